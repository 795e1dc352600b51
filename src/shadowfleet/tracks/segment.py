"""Segmentation of each MMSI's positions into tracks a single hull could have sailed.

The matcher is Global Fishing Watch's (gpsdio-segment, ``reference/
detection-definitions.md`` §5.3): every new fix is scored against each open track of
its MMSI by the discrepancy between where the track's last fix and the new fix
predict each other to be. The discrepancy is the smallest of three hypotheses, in
nautical miles:

1. dead reckoning from both ends (speed over ground along course, for a time shrunk as
   ``h / (1 + (h/4)^0.5)`` because vessels do not sail straight for long), the mean of
   the forward and backward errors;
2. the vessel did not move: ``shape_factor`` × the distance;
3. each fix lies on the other's course line: ``shape_factor`` × the mean perpendicular
   distance, when both projections fall within the distance sailable at the reported
   speeds.

A fix matches a track when the discrepancy is below ``max_speed_kn`` × the padded
time; the score is ``exp(-(5 d/d_max)²) / h_padded``, down-weighted for short tracks
and across a class A/B transponder mismatch. When the runner-up scores within a factor
of ``ambiguity_factor`` of the best, the ambiguous tracks are closed and a new one is
started: two ships on one MMSI are cut apart rather than mixed. Tracks silent for
``max_gap_h`` are closed.

The matcher is a sequential state machine per MMSI, compiled with numba over NumPy
arrays of all vessels at once (``DESIGN.md`` §2 permits exactly this); everything
around it is vectorised Polars.
"""

from __future__ import annotations

import hashlib
from typing import Final

import numba
import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.config import TrackConfig

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

NM_PER_DEGREE: Final = 60.0


@numba.njit(cache=True, nogil=True)
def _score(
    t1: float,
    lat1: float,
    lon1: float,
    sog1: float,
    cog1: float,
    t2: float,
    lat2: float,
    lon2: float,
    sog2: float,
    cog2: float,
    params: F64,
) -> float:  # pragma: no cover - compiled; exercised through segment_positions
    """GFW's match score of fix 2 following fix 1 (0 when they cannot be one hull)."""
    penalty_hours, hours_exponent, buffer_hours, max_speed, penalty_speed, shape, very_slow = (
        params[0],
        params[1],
        params[2],
        params[3],
        params[4],
        params[5],
        params[6],
    )
    h = max(t2 - t1, 0.0) / 3600.0
    padded_h = np.sqrt(h * h + buffer_hours * buffer_hours)
    shrunk_h = h / (1.0 + (h / penalty_hours) ** (1.0 - hours_exponent)) if h > 0 else 0.0
    dlon = lon2 - lon1
    if dlon > 180.0:
        dlon -= 360.0
    elif dlon < -180.0:
        dlon += 360.0
    dy = (lat2 - lat1) * NM_PER_DEGREE
    dx = dlon * NM_PER_DEGREE * np.cos(np.radians(0.5 * (lat1 + lat2)))
    distance = np.sqrt(dx * dx + dy * dy)
    discrepancy = shape * distance
    # Dead reckoning needs a speed; a course too unless the vessel is barely moving.
    usable1 = not np.isnan(sog1) and (not np.isnan(cog1) or sog1 < very_slow)
    usable2 = not np.isnan(sog2) and (not np.isnan(cog2) or sog2 < very_slow)
    if usable1 or usable2:
        errors = 0.0
        n = 0
        if usable1:
            s = sog1 if not np.isnan(cog1) else 0.0
            c = np.radians(cog1) if not np.isnan(cog1) else 0.0
            ex = dx - s * shrunk_h * np.sin(c)
            ey = dy - s * shrunk_h * np.cos(c)
            errors += np.sqrt(ex * ex + ey * ey)
            n += 1
        if usable2:
            s = sog2 if not np.isnan(cog2) else 0.0
            c = np.radians(cog2) if not np.isnan(cog2) else 0.0
            ex = dx - s * shrunk_h * np.sin(c)
            ey = dy - s * shrunk_h * np.cos(c)
            errors += np.sqrt(ex * ex + ey * ey)
            n += 1
        discrepancy = min(discrepancy, errors / n)
    if usable1 and usable2 and not np.isnan(cog1) and not np.isnan(cog2) and sog1 > 0 and sog2 > 0:
        c1 = np.radians(cog1)
        c2 = np.radians(cog2)
        along1 = dx * np.sin(c1) + dy * np.cos(c1)
        along2 = dx * np.sin(c2) + dy * np.cos(c2)
        if 0.0 < along1 <= sog1 * h and 0.0 < along2 <= sog2 * h:
            perpendicular = 0.5 * (abs(dx * np.cos(c1) - dy * np.sin(c1)) + abs(dx * np.cos(c2) - dy * np.sin(c2)))
            discrepancy = min(discrepancy, shape * perpendicular)
    max_discrepancy = padded_h * max_speed
    if discrepancy > max_discrepancy:
        return 0.0
    alpha = (max_speed / penalty_speed) * discrepancy / max_discrepancy
    return float(np.exp(-alpha * alpha) / padded_h)


@numba.njit(cache=True, nogil=True)
def _segment_kernel(
    mmsi: I64,
    t: F64,
    lat: F64,
    lon: F64,
    sog: F64,
    cog: F64,
    class_b: B,
    params: F64,
    max_gap_s: float,
    ambiguity_factor: float,
    short_track: float,
    mismatch_weight: float,
    max_open: int,
) -> I64:  # pragma: no cover - compiled; exercised through segment_positions
    """Track number (global, from 0) of every fix; rows sorted by (mmsi, t)."""
    n = t.size
    track = np.empty(n, dtype=np.int64)
    open_track = np.empty(max_open, dtype=np.int64)
    open_last = np.empty(max_open, dtype=np.int64)
    open_count = np.empty(max_open, dtype=np.int64)
    scores = np.empty(max_open, dtype=np.float64)
    next_track = 0
    start = 0
    while start < n:
        stop = start
        while stop < n and mmsi[stop] == mmsi[start]:
            stop += 1
        n_open = 0
        for r in range(start, stop):
            k = 0
            while k < n_open:  # close tracks silent for too long
                if t[r] - t[open_last[k]] > max_gap_s:
                    n_open -= 1
                    open_track[k] = open_track[n_open]
                    open_last[k] = open_last[n_open]
                    open_count[k] = open_count[n_open]
                else:
                    k += 1
            best = -1
            best_score = 0.0
            second_score = 0.0
            for k in range(n_open):
                q = open_last[k]
                score = _score(t[q], lat[q], lon[q], sog[q], cog[q], t[r], lat[r], lon[r], sog[r], cog[r], params)
                a = open_count[k] / short_track
                score *= a / np.sqrt(1.0 + a * a)
                if class_b[q] != class_b[r]:
                    score *= mismatch_weight
                scores[k] = score
                if score > best_score:
                    second_score = best_score
                    best_score = score
                    best = k
                elif score > second_score:
                    second_score = score
            if best >= 0 and second_score * ambiguity_factor >= best_score:
                k = 0  # ambiguous: close every contender, start afresh
                while k < n_open:
                    if scores[k] > 0 and scores[k] * ambiguity_factor >= best_score:
                        n_open -= 1
                        open_track[k] = open_track[n_open]
                        open_last[k] = open_last[n_open]
                        open_count[k] = open_count[n_open]
                        scores[k] = scores[n_open]
                    else:
                        k += 1
                best = -1
            if best >= 0:
                track[r] = open_track[best]
                open_last[best] = r
                open_count[best] += 1
                continue
            if n_open == max_open:  # close the stalest
                stalest = 0
                for k in range(1, n_open):
                    if t[open_last[k]] < t[open_last[stalest]]:
                        stalest = k
                n_open -= 1
                open_track[stalest] = open_track[n_open]
                open_last[stalest] = open_last[n_open]
                open_count[stalest] = open_count[n_open]
            open_track[n_open] = next_track
            open_last[n_open] = r
            open_count[n_open] = 1
            track[r] = next_track
            next_track += 1
            n_open += 1
        start = stop
    return track


def score_params(config: TrackConfig) -> F64:
    """The matcher's parameters as the array the compiled kernels take."""
    return np.array(
        [
            config.penalty_hours,
            config.hours_exponent,
            config.buffer_hours,
            config.max_speed_kn,
            config.penalty_speed_kn,
            config.shape_factor,
            config.very_slow_kn,
        ],
        dtype=np.float64,
    )


def match_score(
    first: tuple[float, float, float, float, float],
    second: tuple[float, float, float, float, float],
    config: TrackConfig,
) -> float:
    """The matcher's score of ``second`` following ``first`` (0: not one hull).

    Args:
        first: ``(t_s, lat, lon, sog_kn, cog_deg)`` of the earlier fix (NaN for unknown).
        second: The same for the later fix.
        config: Track configuration.
    """
    return float(_score(*first, *second, score_params(config)))


def _as_float(series: pl.Series) -> F64:
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy()


def _fill_kinematics(mmsi: I64, t: F64, lat: F64, lon: F64, sog: F64, cog: F64, config: TrackConfig) -> tuple[F64, F64]:
    """Speed and course for dead reckoning where the data has none.

    Some providers drop speed and course; without them only the "did not move"
    hypothesis is left and any vessel faster than ~6 kn is cut into pieces. The
    speed and course implied since the MMSI's previous fix (within an hour) stand in,
    but only when plausible for one hull (≤ ``max_speed_kn``): an implied speed
    between two ships sharing the MMSI must not make them look like one.
    """
    n = t.size
    implied_sog = np.full(n, np.nan)
    implied_cog = np.full(n, np.nan)
    if n > 1:
        same = mmsi[1:] == mmsi[:-1]
        dt = t[1:] - t[:-1]
        dlon = (lon[1:] - lon[:-1] + 180.0) % 360.0 - 180.0
        north = (lat[1:] - lat[:-1]) * NM_PER_DEGREE
        east = dlon * NM_PER_DEGREE * np.cos(np.radians(0.5 * (lat[1:] + lat[:-1])))
        speed = np.hypot(north, east) / np.maximum(dt, 1.0) * 3600.0
        usable = same & (dt > 0) & (dt <= 3600.0) & (speed <= config.max_speed_kn)
        implied_sog[1:] = np.where(usable, speed, np.nan)
        implied_cog[1:] = np.where(usable, np.degrees(np.arctan2(east, north)) % 360.0, np.nan)
    missing = np.isnan(sog)
    filled_sog = np.where(missing, implied_sog, sog)
    filled_cog = np.where(np.isnan(cog) & missing, implied_cog, cog)
    return filled_sog, filled_cog


def segment_positions(positions: pl.DataFrame, config: TrackConfig) -> pl.DataFrame:
    """Give every position the track it belongs to.

    Args:
        positions: Cleaned positions sorted by ``(mmsi, timestamp)``
            (:func:`shadowfleet.tracks.clean.clean_positions`).
        config: Track configuration.

    Returns:
        The positions with ``track_number`` (Int64, dense within this frame; the
        stable ``track_id`` is in :func:`summarise_tracks`, one per track rather than
        one per row).
    """
    if positions.is_empty():
        return positions.with_columns(pl.lit(None, dtype=pl.Int64).alias("track_number"))
    t = positions["timestamp"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    class_b = (
        (positions["transponder_class"] == "B").fill_null(False).to_numpy()
        if "transponder_class" in positions.columns
        else np.zeros(positions.height, dtype=bool)
    )
    lat, lon = _as_float(positions["lat"]), _as_float(positions["lon"])
    sog, cog = _fill_kinematics(
        positions["mmsi"].to_numpy(),
        t,
        lat,
        lon,
        _as_float(positions["sog_kn"]),
        _as_float(positions["cog_deg"]),
        config,
    )
    track = _segment_kernel(
        positions["mmsi"].to_numpy(),
        t,
        lat,
        lon,
        sog,
        cog,
        class_b,
        score_params(config),
        config.max_gap_h * 3600.0,
        config.ambiguity_factor,
        config.short_track_positions,
        config.transponder_mismatch_weight,
        config.max_open_tracks,
    )
    return positions.with_columns(pl.Series("track_number", track, dtype=pl.Int64))


def stable_id(prefix: str, *parts: object) -> str:
    """A short content hash: the same parts always give the same id (SHA-256, 16 hex)."""
    text = "|".join("" if p is None else str(p) for p in parts)
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:16]


def summarise_tracks(positions: pl.DataFrame, config: TrackConfig) -> pl.DataFrame:
    """One row per track, with the fixes at each end and a noise flag.

    A track of at most ``noise_max_positions`` fixes lying within the time span of
    another track of its MMSI is noise (a stray fix or a short burst next to the real
    track); it is kept and flagged, not linked into a vessel.

    Returns:
        Columns ``track_id, track_number, mmsi, start_time, end_time, n_positions,
        start_lat, start_lon, end_lat, end_lon, start_sog_kn, start_cog_deg,
        end_sog_kn, end_cog_deg, transponder_class, noise``.
    """
    tracks = (
        positions.group_by("track_number", maintain_order=True)
        .agg(
            pl.col("mmsi").first(),
            pl.col("timestamp").first().alias("start_time"),
            pl.col("timestamp").last().alias("end_time"),
            pl.len().alias("n_positions"),
            pl.col("lat").first().alias("start_lat"),
            pl.col("lon").first().alias("start_lon"),
            pl.col("lat").last().alias("end_lat"),
            pl.col("lon").last().alias("end_lon"),
            pl.col("sog_kn").first().alias("start_sog_kn"),
            pl.col("cog_deg").first().alias("start_cog_deg"),
            pl.col("sog_kn").last().alias("end_sog_kn"),
            pl.col("cog_deg").last().alias("end_cog_deg"),
            (
                pl.col("transponder_class").mode().first()
                if "transponder_class" in positions.columns
                else pl.lit(None, dtype=pl.String)
            ).alias("transponder_class"),
        )
        .sort("mmsi", "start_time")
        .with_columns(
            # "<mmsi>-<first fix time>[-n]": stable across runs over the same data; n
            # tells apart tracks of one MMSI starting at the same instant (two ships).
            pl.format("{}-{}", pl.col("mmsi"), pl.col("start_time").dt.strftime("%Y%m%dT%H%M%S%.6fZ")).alias(
                "track_id"
            ),
            pl.col("track_number").rank("ordinal").over("mmsi", "start_time").alias("_nth"),
        )
        .with_columns(
            pl.when(pl.col("_nth") > 1)
            .then(pl.format("{}-{}", pl.col("track_id"), pl.col("_nth")))
            .otherwise(pl.col("track_id"))
            .alias("track_id")
        )
        .drop("_nth")
    )
    # Does another, longer track of the MMSI span this one? (interval containment)
    longer = tracks.select(
        "mmsi",
        pl.col("track_number").alias("_other"),
        pl.col("start_time").alias("_o_start"),
        pl.col("end_time").alias("_o_end"),
        pl.col("n_positions").alias("_o_n"),
    )
    short = tracks.filter(pl.col("n_positions") <= config.noise_max_positions)
    covered = (
        short.select("track_number", "mmsi", "start_time", "end_time", "n_positions")
        .join(longer, on="mmsi")
        .filter(
            (pl.col("_other") != pl.col("track_number"))
            & (pl.col("_o_n") > pl.col("n_positions"))
            & (pl.col("_o_start") <= pl.col("start_time"))
            & (pl.col("_o_end") >= pl.col("end_time"))
        )
        .select("track_number")
        .unique()
    )
    return tracks.with_columns(pl.col("track_number").is_in(covered["track_number"].implode()).alias("noise"))
