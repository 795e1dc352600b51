"""Engines: where the core's pure functions meet a store (local Polars; later Spark)."""
