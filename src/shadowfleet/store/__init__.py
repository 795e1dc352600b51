"""The store: a Parquet lake with a DuckDB catalog."""
