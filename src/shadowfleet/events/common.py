"""What every detector shares: event ids and the events frame."""

from __future__ import annotations

import hashlib

import polars as pl

from shadowfleet.schemas import EVENTS, conform, empty


def _event_id(key: str) -> str:
    return "E" + hashlib.sha256(key.encode()).hexdigest()[:16]


def make_events(frame: pl.DataFrame) -> pl.DataFrame:
    """Conform detector output to the ``events`` schema and give each event its id.

    ``event_id`` is a SHA-256 content hash of the event type, subtype, vessel (or MMSI
    when no vessel is known) and start time, so the same evidence gives the same id
    in every run, on every engine.

    Args:
        frame: At least ``event_type``, ``start_time``; any other ``events`` column.

    Returns:
        A frame with exactly the ``events`` columns, sorted by start time.
    """
    if frame.is_empty():
        return empty(EVENTS)
    events = conform(frame, EVENTS)
    key = pl.concat_str(
        [
            pl.col("event_type"),
            pl.col("subtype").fill_null(""),
            pl.coalesce(pl.col("vessel_id"), pl.col("mmsi").cast(pl.String)).fill_null(""),
            pl.col("other_vessel_id").fill_null(""),
            pl.col("start_time").dt.epoch("us").cast(pl.String),
        ],
        separator="|",
    )
    ids = events.select(key.map_elements(_event_id, return_dtype=pl.String).alias("event_id"))
    return events.with_columns(ids["event_id"]).sort("start_time", "event_type", "event_id")


def details(**columns: pl.Expr) -> pl.Expr:
    """A ``details`` JSON text column from named expressions (measured quantities, evidence)."""
    return pl.struct([expr.alias(name) for name, expr in columns.items()]).struct.json_encode().alias("details")
