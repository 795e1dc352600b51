"""What every detector shares: event ids and the events frame."""

from __future__ import annotations

import hashlib

import polars as pl

from shadowfleet.schemas import EVENTS, conform, empty


def _event_id(key: str) -> str:
    return "E" + hashlib.sha256(key.encode()).hexdigest()[:16]


def make_events(frame: pl.DataFrame, *, id_subtype: bool = True) -> pl.DataFrame:
    """Conform detector output to the ``events`` schema and give each event its id.

    ``event_id`` is a SHA-256 content hash of the event type, subtype, vessel (or MMSI
    when no vessel is known) and start time, so the same evidence gives the same id
    in every run, on every engine.

    Args:
        frame: At least ``event_type``, ``start_time``; any other ``events`` column.
        id_subtype: Whether the subtype is part of the id. Not for classifications a
            model may revise as data arrives (a gap's ``reception`` or
            ``likely_deliberate``), so the event keeps its id when it is reclassified.

    Returns:
        A frame with exactly the ``events`` columns, sorted by start time.
    """
    if frame.is_empty():
        return empty(EVENTS)
    events = conform(frame, EVENTS)
    key = pl.concat_str(
        [
            pl.col("event_type"),
            pl.col("subtype").fill_null("") if id_subtype else pl.lit(""),
            pl.coalesce(pl.col("vessel_id"), pl.col("mmsi").cast(pl.String)).fill_null(""),
            pl.col("other_vessel_id").fill_null(""),
            pl.col("start_time").dt.epoch("us").cast(pl.String),
        ],
        separator="|",
    )
    ids = events.select(key.map_elements(_event_id, return_dtype=pl.String).alias("event_id"))
    return events.with_columns(ids["event_id"]).sort("start_time", "event_type", "event_id")


def vessel_code(positions: pl.DataFrame) -> pl.Expr:
    """An integer per vessel over the rows that have one.

    Sorting and joining on it is much cheaper than on ten million ``vessel_id``
    strings: the categorical's code when it is one, else a dense rank.
    """
    if isinstance(positions.schema["vessel_id"], pl.Categorical):
        return pl.col("vessel_id").to_physical().cast(pl.Int64)
    return pl.col("vessel_id").rank("dense").cast(pl.Int64)


def details(**columns: pl.Expr) -> pl.Expr:
    """A ``details`` JSON text column from named expressions (measured quantities, evidence)."""
    return pl.struct([expr.alias(name) for name, expr in columns.items()]).struct.json_encode().alias("details")


def flagged_runs(frame: pl.DataFrame, flag: str, key: str) -> pl.DataFrame:
    """Runs of consecutive rows with ``flag`` true within each ``key`` (an MMSI or a track).

    Args:
        frame: Rows in time order within each key, with ``mmsi``, ``vessel_id``,
            ``timestamp``, ``lat``, ``lon`` and the boolean column ``flag``.
        flag: The column marking the rows of interest.
        key: The column whose changes also end a run.

    Returns:
        One row per run: ``mmsi, vessel_id, start_time, end_time, lat, lon`` (the
        run's mean position), ``positions`` and ``first_row``/``last_row`` (row
        numbers in ``frame``).
    """
    run = ((pl.col(flag) != pl.col(flag).shift(1)) | (pl.col(key) != pl.col(key).shift(1))).fill_null(True).cum_sum()
    return (
        frame.with_row_index("_row")
        .with_columns(run.alias("_run"))
        .filter(pl.col(flag))
        .group_by("_run", maintain_order=True)
        .agg(
            pl.col("mmsi").first(),
            pl.col("vessel_id").first(),
            pl.col("timestamp").min().alias("start_time"),
            pl.col("timestamp").max().alias("end_time"),
            pl.col("lat").mean(),
            pl.col("lon").mean(),
            pl.len().alias("positions"),
            pl.col("_row").min().alias("first_row"),
            pl.col("_row").max().alias("last_row"),
        )
        .drop("_run")
    )


def run_events(runs: pl.DataFrame, event_type: str, subtype: str, **measured: pl.Expr) -> pl.DataFrame:
    """Events from :func:`flagged_runs` rows: one per run, with the measured quantities as details."""
    return make_events(
        runs.select(
            pl.lit(event_type).alias("event_type"),
            pl.lit(subtype).alias("subtype"),
            pl.col("vessel_id").cast(pl.String),
            "mmsi",
            "start_time",
            "end_time",
            "lat",
            "lon",
            details(**measured),
        )
    )
