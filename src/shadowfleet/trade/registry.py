"""A user's ship registry: deadweight, TPC and design draught by IMO number (I/O edge)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from shadowfleet.errors import InputError

REGISTRY_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "imo": ("imo", "imo_number", "imo number", "lrimoshipno"),
    "deadweight_t": ("deadweight_t", "deadweight", "dwt", "summer_dwt"),
    "tpc_t_per_cm": ("tpc_t_per_cm", "tpc", "tonnes_per_cm"),
    "design_draught_m": ("design_draught_m", "design_draught", "summer_draught_m", "summer_draught", "draught_m"),
}
"""Accepted column names (case-insensitive) for each registry field."""


def load_registry(path: str | Path) -> pl.DataFrame:
    """Read a registry CSV: ``imo`` and any of deadweight (t), TPC (t/cm), design draught (m).

    Rows whose IMO is not a 7-digit number are dropped; values that are not positive
    numbers are nulls.

    Raises:
        InputError: When the file cannot be read or has no IMO column.
    """
    try:
        raw = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path}: cannot read the registry CSV: {exc}") from exc
    lower = {c.strip().lower(): c for c in raw.columns}
    picked: dict[str, str] = {}
    for field, names in REGISTRY_ALIASES.items():
        for name in names:
            if name in lower:
                picked[field] = lower[name]
                break
    if "imo" not in picked:
        raise InputError(f"{path}: the registry needs an IMO column (one of {', '.join(REGISTRY_ALIASES['imo'])})")
    columns = [
        pl.col(picked[field]).str.strip_chars().cast(pl.Float64, strict=False).alias(field)
        if field in picked
        else pl.lit(None, pl.Float64).alias(field)
        for field in REGISTRY_ALIASES
    ]
    frame = raw.select(columns).with_columns(
        pl.when(pl.col(c) > 0).then(pl.col(c)).alias(c) for c in ("deadweight_t", "tpc_t_per_cm", "design_draught_m")
    )
    return frame.filter(pl.col("imo").is_between(1_000_000, 9_999_999)).with_columns(pl.col("imo").cast(pl.Int64))
