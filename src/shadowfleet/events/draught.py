"""Draught changes: loads and discharges read from the draught a vessel declares.

A vessel's declared draught (type 5 reports; the ``declarations`` table, with values
heard once among contrary ones already removed as noise) that changes by at least
``min_change_m`` from one kept value to the next is a ``draught_change`` event:
``load`` when it rises, ``discharge`` when it falls (``DESIGN.md`` §5). The event spans
the last report of the old value to the first of the new: the cargo moved in between,
in a port, alongside another ship or while the AIS was off, and crews often update the
draught hours later. Details give both values and the change, for the cargo estimate.
"""

from __future__ import annotations

import polars as pl

from shadowfleet.config import DraughtConfig
from shadowfleet.events.common import details, make_events


def kept_draughts(declarations: pl.DataFrame, config: DraughtConfig) -> pl.DataFrame:
    """The declared draughts a vessel really held: brief values that flip back removed.

    Args:
        declarations: The ``declarations`` table.
        config: Draught configuration.

    Returns:
        The ``draught_m`` rows of ``declarations``, sorted by vessel and time.
    """
    draughts = declarations.filter(pl.col("field") == "draught_m").sort("vessel_id", "start_time")
    # Two transmitters on one MMSI take turns: the same value comes back, briefly,
    # again and again. A short-lived value that recurs within a day is such a flip and
    # never a loading state (cargo work takes hours). A short-lived value seen once is
    # kept: a stale laden draught heard for minutes when a ship switches back on after a
    # dark voyage is evidence, not noise.
    brief = pl.col("start_time").shift(-1).over("vessel_id") - pl.col("start_time") < pl.duration(
        seconds=round(config.min_in_force_h * 3600)
    )
    draughts = draughts.with_columns(brief.fill_null(False).alias("_brief"))
    brief_runs = draughts.filter(pl.col("_brief")).select("vessel_id", "draught_m", pl.col("start_time").alias("_t"))
    recurring = (
        brief_runs.join(brief_runs.rename({"_t": "_t2"}), on=["vessel_id", "draught_m"])
        .filter(
            (pl.col("_t") != pl.col("_t2"))
            & ((pl.col("_t") - pl.col("_t2")).abs() <= pl.duration(seconds=round(config.flip_window_h * 3600)))
        )
        .select("vessel_id", "draught_m", pl.col("_t").alias("start_time"))
        .unique()
        .with_columns(pl.lit(True).alias("_flip"))
    )
    draughts = (
        draughts.join(recurring, on=["vessel_id", "draught_m", "start_time"], how="left")
        .filter(~pl.col("_flip").fill_null(False))
        .drop("_brief", "_flip")
    )
    return draughts


def detect_draught_changes(declarations: pl.DataFrame, fixes: pl.DataFrame, config: DraughtConfig) -> pl.DataFrame:
    """``draught_change`` events.

    Args:
        declarations: The ``declarations`` table.
        fixes: ``vessel_id, timestamp, mmsi, lat, lon`` of the vessels' fixes (the
            event is placed at the vessel's position when the new draught is first heard).
        config: Draught configuration.
    """
    draughts = kept_draughts(declarations, config)
    changes = (
        draughts.with_columns(
            pl.col("draught_m").shift(1).over("vessel_id").alias("before_m"),
            pl.col("end_time").shift(1).over("vessel_id").alias("before_end"),
        )
        .filter(pl.col("before_m").is_not_null())
        .with_columns((pl.col("draught_m") - pl.col("before_m")).alias("change_m"))
        .filter(pl.col("change_m").abs() >= config.min_change_m)
    )
    if changes.is_empty():
        return make_events(pl.DataFrame())
    wanted = changes["vessel_id"].unique()
    relevant = fixes.filter(pl.col("vessel_id").cast(pl.String).is_in(wanted.implode())).select(
        pl.col("vessel_id").cast(pl.String), "timestamp", "mmsi", "lat", "lon"
    )
    located = changes.sort("start_time").join_asof(
        relevant.sort("timestamp"),
        left_on="start_time",
        right_on="timestamp",
        by="vessel_id",
        strategy="nearest",
        check_sortedness=False,
    )
    events = located.select(
        pl.lit("draught_change").alias("event_type"),
        pl.when(pl.col("change_m") > 0).then(pl.lit("load")).otherwise(pl.lit("discharge")).alias("subtype"),
        "vessel_id",
        "mmsi",
        pl.col("before_end").alias("start_time"),
        pl.col("start_time").alias("end_time"),
        "lat",
        "lon",
        details(
            draught_before_m=pl.col("before_m").round(2),
            draught_after_m=pl.col("draught_m").round(2),
            change_m=pl.col("change_m").round(2),
            reports_after=pl.col("reports"),
        ),
    )
    return make_events(events)
