"""Hand-built positions and static reports for the tracks and events tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from shadowfleet.schemas import POSITIONS, STATICS, conform

T0 = datetime(2020, 3, 1, tzinfo=UTC)
NM = 1852.0
METRES_PER_DEGREE = 111_195.0


def fix(
    mmsi: int, hours: float, lat: float, lon: float, sog: float | None = None, cog: float | None = None, **extra: Any
) -> dict[str, Any]:
    """One position row, ``hours`` after :data:`T0`."""
    return {
        "mmsi": mmsi,
        "timestamp": T0 + timedelta(hours=hours),
        "lat": lat,
        "lon": lon,
        "sog_kn": sog,
        "cog_deg": cog,
        "transponder_class": "A",
        "receiver_class": "terrestrial",
        **extra,
    }


def positions(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """A ``positions`` frame from row dicts (missing columns null)."""
    return conform(pl.DataFrame(list(rows), infer_schema_length=None), POSITIONS)


def sailing(
    mmsi: int, start_h: float, hours: float, lat: float, lon: float, sog: float, cog: float, every_s: float = 600.0
) -> list[dict[str, Any]]:
    """Fixes of a vessel on a straight course (flat-earth; fine over tens of miles)."""
    times = np.arange(0.0, hours * 3600.0 + 1e-6, every_s)
    metres = times * sog * NM / 3600.0
    north = metres * np.cos(np.radians(cog))
    east = metres * np.sin(np.radians(cog))
    return [
        fix(
            mmsi,
            start_h + t / 3600.0,
            lat + n / METRES_PER_DEGREE,
            lon + e / (METRES_PER_DEGREE * np.cos(np.radians(lat))),
            sog,
            cog,
        )
        for t, n, e in zip(times, north, east, strict=True)
    ]


def moored(
    mmsi: int,
    start_h: float,
    hours: float,
    lat: float,
    lon: float,
    every_s: float = 180.0,
    jitter_m: float = 5.0,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Fixes of a vessel alongside a berth, with GPS jitter."""
    rng = np.random.default_rng(seed)
    times = np.arange(0.0, hours * 3600.0 + 1e-6, every_s)
    return [
        fix(
            mmsi,
            start_h + t / 3600.0,
            lat + rng.normal(0, jitter_m) / METRES_PER_DEGREE,
            lon + rng.normal(0, jitter_m) / METRES_PER_DEGREE,
            0.0,
            None,
        )
        for t in times
    ]


def static(mmsi: int, hours: float, n_reports: int = 1, span_h: float = 0.0, **values: Any) -> dict[str, Any]:
    """One run of identical static reports."""
    return {
        "mmsi": mmsi,
        "timestamp": T0 + timedelta(hours=hours),
        "last_timestamp": T0 + timedelta(hours=hours + span_h),
        "n_reports": n_reports,
        "msg_type": 5,
        "transponder_class": "A",
        **values,
    }


def statics(rows: Iterable[dict[str, Any]]) -> pl.DataFrame:
    """A ``statics`` frame from row dicts (``imo`` valid only when its check digit is)."""
    frame = pl.DataFrame(list(rows), infer_schema_length=None)
    if "imo_reported" in frame.columns and "imo" not in frame.columns:
        from shadowfleet.ingest.ais import imo_check_digit_ok

        reported = frame["imo_reported"].fill_null(0).to_numpy().astype(np.int64)
        valid = pl.Series("imo", reported, dtype=pl.Int64)
        frame = frame.with_columns(pl.when(pl.Series(imo_check_digit_ok(reported))).then(valid).alias("imo"))
    return conform(frame, STATICS)
