"""Tracks resampled to a fixed interval over continuous time (for encounters).

The grid is absolute — multiples of ``resample_interval_s`` since the Unix epoch — so
the samples of every vessel fall on the same instants and two vessels can be compared
by an equi-join on time, with no cut at midnight or at the edge of a batch: a batch
that starts mid-track gives the same samples as one run over everything, as long as
it holds the fix before its first grid instant. Positions are interpolated linearly
(longitude across the antimeridian the short way) between consecutive fixes of one
track, and only across silences of at most ``resample_max_gap_h`` — or, when the
vessel reappears where a drift slower than ``resample_slow_speed_kn`` would have taken
it, of at most ``resample_max_slow_gap_h`` (a vessel lying still under satellite-only
coverage): nothing is invented inside a real gap.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from shadowfleet.config import TrackConfig
from shadowfleet.geo.distance import KNOT_M_PER_S, haversine_m


def resample_tracks(positions: pl.DataFrame, config: TrackConfig) -> pl.DataFrame:
    """Samples of every track on the absolute time grid.

    Args:
        positions: Segmented positions (``track_number``, ``mmsi``, ``timestamp``,
            ``lat``, ``lon``, ``sog_kn``, optionally ``vessel_id``), sorted by
            ``(mmsi, timestamp)`` or by ``(track_number, timestamp)``.
        config: ``resample_interval_s`` and ``resample_max_gap_h``.

    Returns:
        ``track_number, vessel_id, mmsi, timestamp, lat, lon, sog_kn`` and
        ``nearest_fix_s`` (seconds to the closer of the two fixes interpolated
        between: 0 on a fix, large in the middle of a long silence), sorted by track
        and time.
    """
    columns = ["track_number", "mmsi", "timestamp", "lat", "lon", "sog_kn"]
    has_vessel = "vessel_id" in positions.columns
    ordered = positions.select(*columns, *(["vessel_id"] if has_vessel else [])).sort(
        "track_number", "timestamp", maintain_order=True
    )
    if ordered.height == 0:
        return _empty(has_vessel)
    interval_us = round(config.resample_interval_s * 1e6)
    t = ordered["timestamp"].dt.epoch("us").to_numpy()
    track = ordered["track_number"].to_numpy()
    lat = ordered["lat"].to_numpy()
    lon = ordered["lon"].to_numpy()
    sog = ordered["sog_kn"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    # Each grid instant in [t_i, t_i+1) is produced by the pair (i, i+1) of its track;
    # the track's last fix gives its own instant when it lies exactly on the grid.
    nxt = np.append(np.arange(1, t.size), t.size - 1)
    same = np.append(track[1:] == track[:-1], False)
    span_us = t[nxt] - t
    # A vessel found where a slow drift would have taken it lay there through the
    # silence (satellite passes leave hours between fixes at sea): bridged up to
    # resample_max_slow_gap_h. Anything faster is only bridged over short silences.
    drift_kn = haversine_m(lat, lon, lat[nxt], lon[nxt]) / np.maximum(span_us / 1e6, 1.0) / KNOT_M_PER_S
    slow_bridge = (drift_kn < config.resample_slow_speed_kn) & (
        span_us <= round(config.resample_max_slow_gap_h * 3600 * 1e6)
    )
    gap_ok = same & ((span_us <= round(config.resample_max_gap_h * 3600 * 1e6)) | slow_bridge)
    first_k = -(-t // interval_us)  # ceil
    last_k = np.where(gap_ok, -(-t[nxt] // interval_us) - 1, np.where(t % interval_us == 0, t // interval_us, -1))
    counts = np.where(gap_ok | (t % interval_us == 0), np.maximum(last_k - first_k + 1, 0), 0)
    rows = np.repeat(np.arange(t.size), counts)
    if rows.size == 0:
        return _empty(has_vessel)
    offsets = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    grid_us = (first_k[rows] + offsets) * interval_us
    after = nxt[rows]
    span = np.where(gap_ok[rows], t[after] - t[rows], 1).astype(np.float64)
    fraction = np.where(gap_ok[rows], (grid_us - t[rows]) / span, 0.0)
    dlon = (lon[after] - lon[rows] + 180.0) % 360.0 - 180.0
    out_lon = (lon[rows] + fraction * np.where(gap_ok[rows], dlon, 0.0) + 180.0) % 360.0 - 180.0
    out_lat = lat[rows] + fraction * np.where(gap_ok[rows], lat[after] - lat[rows], 0.0)
    sog_after = np.where(gap_ok[rows], sog[after], sog[rows])
    out_sog = sog[rows] + fraction * (sog_after - sog[rows])
    nearest = np.where(gap_ok[rows], np.minimum(grid_us - t[rows], t[after] - grid_us), 0) / 1e6
    frame = pl.DataFrame(
        {
            "track_number": track[rows],
            "mmsi": ordered["mmsi"].to_numpy()[rows],
            "timestamp": pl.Series(grid_us).cast(pl.Datetime("us", "UTC")),
            "lat": out_lat,
            "lon": out_lon,
            "sog_kn": out_sog,
            "nearest_fix_s": nearest,
        },
        nan_to_null=True,
    )
    if has_vessel:
        frame = frame.with_columns(ordered["vessel_id"].gather(rows).alias("vessel_id"))
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("vessel_id"))
    return frame.select("track_number", "vessel_id", "mmsi", "timestamp", "lat", "lon", "sog_kn", "nearest_fix_s")


def _empty(has_vessel: bool) -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "track_number": pl.Int64,
            "vessel_id": pl.Categorical if has_vessel else pl.String,
            "mmsi": pl.Int64,
            "timestamp": pl.Datetime("us", "UTC"),
            "lat": pl.Float64,
            "lon": pl.Float64,
            "sog_kn": pl.Float64,
            "nearest_fix_s": pl.Float64,
        }
    )
