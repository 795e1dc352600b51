"""Cleaning of positions before segmentation (``DESIGN.md`` §5 Cleaning).

Sentinel values ("not available") become nulls, impossible coordinates and exact
duplicates are dropped, and every dropped row is counted by reason: nothing is lost
silently. Exact duplicates are common because one transmission is heard by several
receivers (and several providers); the copy kept is the first by receiver class
(terrestrial before satellite, whose clocks drift) and then by source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import polars as pl

SOG_NOT_AVAILABLE_KN: Final = 102.2
"""Speeds at or above this are the 102.3 kn "not available" value (or beyond the field)."""
SAME_REPORT: Final = ("mmsi", "timestamp", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status", "msg_type")


@dataclass(frozen=True)
class CleanReport:
    """What cleaning did.

    Attributes:
        rows_in: Positions read.
        rows_out: Positions kept.
        dropped: Rows dropped, by reason (``no_position``, ``off_globe``, ``duplicate``).
        nulled: Values set to null, by column (sentinels and out-of-range values).
    """

    rows_in: int
    rows_out: int
    dropped: dict[str, int] = field(default_factory=dict)
    nulled: dict[str, int] = field(default_factory=dict)


def clean_positions(positions: pl.DataFrame) -> tuple[pl.DataFrame, CleanReport]:
    """Null the sentinels, drop unusable and duplicate rows, sort by vessel and time.

    Args:
        positions: Rows of the ``positions`` table (any order).

    Returns:
        The cleaned positions sorted by ``(mmsi, timestamp)``, and the report.
    """
    rows_in = positions.height
    nulled_exprs = {
        "sog_kn": (pl.col("sog_kn") >= SOG_NOT_AVAILABLE_KN) | (pl.col("sog_kn") < 0),
        "cog_deg": (pl.col("cog_deg") >= 360.0) | (pl.col("cog_deg") < 0),
        "heading_deg": (pl.col("heading_deg") >= 360.0) | (pl.col("heading_deg") < 0),
    }
    counts = positions.select(
        *(expr.sum().alias(name) for name, expr in nulled_exprs.items()),
        (pl.col("lat").is_null() | pl.col("lon").is_null() | pl.col("timestamp").is_null()).sum().alias("no_position"),
        (
            pl.col("lat").is_not_null()
            & pl.col("lon").is_not_null()
            & ((pl.col("lat").abs() > 90.0) | (pl.col("lon").abs() > 180.0))
        )
        .sum()
        .alias("off_globe"),
    ).row(0, named=True)
    frame = positions.with_columns(
        pl.when(expr).then(None).otherwise(pl.col(name)).alias(name) for name, expr in nulled_exprs.items()
    ).filter(
        pl.col("lat").is_not_null()
        & pl.col("lon").is_not_null()
        & pl.col("timestamp").is_not_null()
        & (pl.col("lat").abs() <= 90.0)
        & (pl.col("lon").abs() <= 180.0)
    )
    before_dedupe = frame.height
    receiver_rank = (
        pl.col("receiver_class")
        .cast(pl.String)
        .replace_strict({"terrestrial": 0, "unknown": 1, "satellite": 2}, default=1, return_dtype=pl.Int8)
        if "receiver_class" in frame.columns
        else pl.lit(0, dtype=pl.Int8)
    )
    # Sorted so that copies of one report are adjacent (the preferred receiver first);
    # a copy is then a row equal to the one before on every column of the report,
    # which needs no hash table over ten million rows.
    key = [c for c in SAME_REPORT if c in frame.columns]
    frame = frame.with_columns(receiver_rank.alias("_rank")).sort([*key, "_rank"], maintain_order=True, nulls_last=True)
    repeat = pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(1)) for c in key).fill_null(False)
    frame = frame.filter(~repeat).drop("_rank")
    report = CleanReport(
        rows_in=rows_in,
        rows_out=frame.height,
        dropped={
            "no_position": int(counts["no_position"]),
            "off_globe": int(counts["off_globe"]),
            "duplicate": before_dedupe - frame.height,
        },
        nulled={name: int(counts[name]) for name in nulled_exprs},
    )
    return frame, report
