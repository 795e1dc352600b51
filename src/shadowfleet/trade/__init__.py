"""Cargo and trade estimation."""
