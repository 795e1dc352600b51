"""The unit of work between decoding and the store: one batch of decoded records.

Decoders (NMEA, provider tables) produce :class:`DecodedBatch` frames holding the
message fields; :func:`finalise` turns them into rows of the stored tables: conformed
to :mod:`shadowfleet.schemas`, stamped with the source id and vessel bucket, and with
identical consecutive static reports folded into runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from shadowfleet import schemas
from shadowfleet.store.lake import vessel_bucket

STATIC_FIELDS = (
    "imo_reported",
    "name",
    "call_sign",
    "ship_type",
    "length_m",
    "beam_m",
    "draught_m",
    "destination",
    "eta",
)
"""What a static report reports (a table row holding any of them is one)."""
STATIC_CONTENT = ("imo", *STATIC_FIELDS, "transponder_class")
"""Columns whose values make a static report different from the previous one."""


@dataclass(slots=True)
class DecodedBatch:
    """Records decoded from one chunk of an input, before they are stored.

    Attributes:
        positions: Vessel position reports (message columns of ``positions``).
        statics: Static and voyage reports, one row per report.
        aids_to_navigation: Aid-to-navigation reports.
        base_stations: Base-station reports.
        rejects: ``line_number, reason, detail, raw`` of every refused line or row.
        counts: Named counters (lines, message types, time sources, nulled values...).
    """

    positions: pl.DataFrame
    statics: pl.DataFrame
    aids_to_navigation: pl.DataFrame
    base_stations: pl.DataFrame
    rejects: pl.DataFrame
    counts: Counter[str] = field(default_factory=Counter)


def fold_static_runs(statics: pl.DataFrame) -> pl.DataFrame:
    """Fold consecutive identical static reports of a vessel into one row per run.

    Reports are ordered by vessel, message type, which parts they carry (class B
    sends its name and its call sign in alternate type 24 parts) and time; a run ends
    where any content column changes. Each run keeps its first report's values and
    receiver, with ``last_timestamp`` and ``n_reports``.

    Args:
        statics: Rows with the ``statics`` columns (``n_reports`` may be absent).

    Returns:
        One row per run.
    """
    if statics.height == 0:
        return statics.with_columns(
            pl.col("timestamp").alias("last_timestamp"), pl.lit(1, dtype=pl.Int32).alias("n_reports")
        )
    if "n_reports" not in statics.columns:
        statics = statics.with_columns(pl.lit(1, dtype=pl.Int32).alias("n_reports"))
    if "last_timestamp" not in statics.columns:
        statics = statics.with_columns(pl.col("timestamp").alias("last_timestamp"))
    keys = [
        pl.col("mmsi"),
        pl.col("msg_type").fill_null(-1),
        pl.col("name").is_null().alias("_no_name"),
        pl.col("call_sign").is_null().alias("_no_call_sign"),
    ]
    ordered = statics.with_columns(keys[1].alias("_type"), keys[2], keys[3]).sort(
        ["mmsi", "_type", "_no_name", "_no_call_sign", "timestamp"]
    )
    changed = pl.lit(False)
    for column in ["mmsi", "_type", "_no_name", "_no_call_sign", *STATIC_CONTENT]:
        changed = changed | pl.col(column).ne_missing(pl.col(column).shift(1))
    ordered = ordered.with_columns(changed.fill_null(True).cum_sum().alias("_run"))
    others = [c for c in statics.columns if c not in ("last_timestamp", "n_reports")]
    return (
        ordered.group_by("_run", maintain_order=True)
        .agg(
            *[pl.col(c).first() for c in others],
            pl.col("last_timestamp").max(),
            pl.col("n_reports").sum().cast(pl.Int32),
        )
        .drop("_run")
    )


def finalise(batch: DecodedBatch, source_id: str, buckets: int) -> dict[str, pl.DataFrame]:
    """Rows of each stored table from a decoded batch.

    Args:
        batch: Decoded records.
        source_id: Id of the input they came from.
        buckets: Number of vessel buckets.

    Returns:
        Table name → frame conformed to the table's schema.
    """

    def stamped(frame: pl.DataFrame, bucketed: bool) -> pl.DataFrame:
        frame = frame.with_columns(pl.lit(source_id, dtype=pl.String).alias("source_id"))
        if bucketed:
            mmsi = frame["mmsi"].cast(pl.Int64).fill_null(0).to_numpy()
            frame = frame.with_columns(pl.Series("vessel_bucket", vessel_bucket(mmsi, buckets)))
        return frame

    rejects = batch.rejects.with_columns(pl.lit(source_id, dtype=pl.String).alias("source_id"))
    return {
        "positions": schemas.conform(stamped(batch.positions, True), schemas.POSITIONS),
        "statics": schemas.conform(fold_static_runs(stamped(batch.statics, True)), schemas.STATICS),
        "aids_to_navigation": schemas.conform(stamped(batch.aids_to_navigation, False), schemas.AIDS_TO_NAVIGATION),
        "base_stations": schemas.conform(stamped(batch.base_stations, False), schemas.BASE_STATIONS),
        "rejects": schemas.conform(rejects, schemas.REJECTS),
    }
