"""Loitering: a single vessel slow at sea (``DESIGN.md`` §5; GFW product loitering).

Slower than ``max_speed_kn`` (reported speed, else the speed implied between fixes)
for at least ``min_duration_h``, at least ``min_shore_distance_m`` (20 nm) from land.
Computed per track over continuous time; a silence longer than ``max_gap_h`` breaks
the event (GFW's pipeline does not break on gaps, so a vessel that went dark and
reappeared nearby looked as if it had loitered: ``reference/detection-definitions.md``
§3.3) unless it lasts at most ``max_slow_gap_h`` and the vessel reappears where a
drift below ``max_speed_kn`` would have taken it; the longest such silence is in the
event's details.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from shadowfleet.config import LoiteringConfig
from shadowfleet.events.common import flagged_runs, make_events, run_events
from shadowfleet.geo.distance import KNOT_M_PER_S, haversine_m
from shadowfleet.geo.land import clear_of_land


def detect_loitering(positions: pl.DataFrame, config: LoiteringConfig) -> pl.DataFrame:
    """``loitering`` events (subtype ``at_sea``).

    Args:
        positions: Segmented positions sorted by ``(mmsi, timestamp)`` with
            ``track_number`` and ``vessel_id`` (noise rows, with a null vessel, ignored).
        config: Loitering configuration.
    """
    usable = positions.filter(pl.col("vessel_id").is_not_null()).sort("track_number", "timestamp", maintain_order=True)
    if usable.height < 2:
        return make_events(pl.DataFrame())
    lat, lon = usable["lat"].to_numpy(), usable["lon"].to_numpy()
    seconds = usable["timestamp"].dt.epoch("us").to_numpy() / 1e6
    track = usable["track_number"].to_numpy()
    same = np.zeros(lat.size, dtype=bool)
    same[1:] = track[1:] == track[:-1]
    dt = np.zeros(lat.size)
    dt[1:] = seconds[1:] - seconds[:-1]
    implied = np.full(lat.size, np.nan)
    implied[1:] = np.where(
        same[1:], haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]) / np.maximum(dt[1:], 1.0) / KNOT_M_PER_S, np.nan
    )
    # A silence longer than max_gap_h starts a new stretch, as a new track does --
    # unless the vessel is found, after at most max_slow_gap_h, where a slow drift
    # would have taken it: satellite-only coverage at sea leaves gaps of several
    # hours between passes, and a loitering vessel must not vanish from the record
    # for that. Longer silences always break (a dark trip and back).
    bridged = (dt <= config.max_slow_gap_h * 3600.0) & (np.nan_to_num(implied, nan=np.inf) < config.max_speed_kn)
    stretch = np.cumsum(~same | ((dt > config.max_gap_h * 3600.0) & ~bridged))
    speed = pl.coalesce(pl.col("sog_kn").cast(pl.Float64), pl.Series(implied).fill_nan(None))
    frame = usable.select(
        "mmsi", "vessel_id", "timestamp", "lat", "lon", speed.alias("_speed"), pl.Series("_gap_h", dt / 3600.0)
    ).with_columns(
        pl.Series("_stretch", stretch), (pl.col("_speed").fill_null(0.0) < config.max_speed_kn).alias("_slow")
    )
    runs = flagged_runs(frame, "_slow", "_stretch").with_columns(
        ((pl.col("end_time") - pl.col("start_time")).dt.total_seconds() / 3600).alias("duration_h")
    )
    runs = runs.filter(pl.col("duration_h") >= config.min_duration_h)
    if runs.is_empty():
        return make_events(pl.DataFrame())
    at_sea = clear_of_land(runs["lat"].to_numpy(), runs["lon"].to_numpy(), config.min_shore_distance_m, bearings=32)
    runs = runs.filter(pl.Series(at_sea))
    if runs.is_empty():
        return make_events(pl.DataFrame())
    speeds = frame["_speed"].to_numpy()
    gaps = frame["_gap_h"].to_numpy()
    spans = list(zip(runs["first_row"], runs["last_row"], strict=True))  # a few runs, not positions
    mean_speed = [float(np.nanmean(speeds[a : b + 1])) for a, b in spans]
    longest_gap = [float(gaps[a + 1 : b + 1].max()) if b > a else 0.0 for a, b in spans]
    runs = runs.with_columns(
        pl.Series("_mean_speed", mean_speed, dtype=pl.Float64), pl.Series("_gap", longest_gap, dtype=pl.Float64)
    )
    return run_events(
        runs,
        "loitering",
        "at_sea",
        duration_h=pl.col("duration_h").round(2),
        mean_speed_kn=pl.col("_mean_speed").round(2),
        positions=pl.col("positions"),
        longest_silence_h=pl.col("_gap").round(2),
    )
