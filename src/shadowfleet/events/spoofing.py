"""Spoofed positions: impossible jumps, positions on land, circles, shared MMSIs.

Definitions from ``DESIGN.md`` §5 Spoofing and ``reference/sanctions-indicators.md``
(AIS-SPOOF-POS).

* ``speed_jump``: consecutive fixes of an MMSI imply more than ``max_speed_kn`` after
  allowing ``position_error_m`` and ``time_error_s`` for measurement error. A jump
  out and a jump back that returns to where the vessel could be is one excursion
  (the event spans the displaced fixes); an excursion of fewer than
  ``min_excursion_positions`` fixes is a glitch, counted, not reported. A jump with
  no return is reported at the moment of the jump. Jumps between two interleaving
  tracks are the MMSI collision's, not jumps.
* ``on_land``: fixes with land all around them for ``inland_distance_m`` (the 1 km
  GLOBE mask), away from every gazetteer port and anchorage (berths up rivers).
* ``circle``: within ``circle_window_h`` a track turns at least ``circle_min_turns``
  full turns, one way, around a centre it keeps a near-constant distance from (the
  "crop circles" of GNSS interference at Shanghai; C4ADS/Humphreys 2019).
* ``mmsi_collision``: two tracks of one MMSI interleave in time
  (:func:`shadowfleet.tracks.identity.concurrent_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numba
import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.spatial import cKDTree

from shadowfleet.config import SpoofingConfig
from shadowfleet.events.common import details, make_events
from shadowfleet.geo.distance import EARTH_RADIUS_M, KNOT_M_PER_S, destination, haversine_m
from shadowfleet.geo.gazetteer import anchorages, ports
from shadowfleet.geo.land import is_land

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

INLAND_BEARINGS: Final = 8
CIRCLE_MIN_STEP_M: Final = 20.0
"""Moves shorter than this between fixes carry no usable bearing (GPS noise at a berth)."""
CIRCLE_SIGN_CONSISTENCY: Final = 0.8
"""Share of a circling window's turns that must go the same way (noise turns both ways)."""


@dataclass(frozen=True)
class SpoofingReport:
    """Counts behind the spoofing events (for the run summary).

    Attributes:
        jumps: Fix-to-fix jumps above the speed limit (collision alternations excluded).
        glitches: Excursions too short to report (stray fixes).
        on_land_fixes: Fixes found inland.
    """

    jumps: int = 0
    glitches: int = 0
    on_land_fixes: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def _implied_speed_kn(distance_m: F64, dt_s: F64, config: SpoofingConfig) -> F64:
    moved = np.maximum(distance_m - config.position_error_m, 0.0)
    result: F64 = moved / (np.abs(dt_s) + config.time_error_s) / KNOT_M_PER_S
    return result


def receiver_reach(positions: pl.DataFrame, config: SpoofingConfig) -> pl.DataFrame:
    """Where each terrestrial receiver is and how far it hears, from the data itself.

    A coastal station hears only to its radio horizon (tens of nautical miles, rarely
    a few hundred in ducting), so a fix it received far beyond the distances it
    usually hears was transmitted from somewhere else than it claims: physical
    evidence of which side of a jump is false. The station's place is estimated as
    the median of the fixes it heard (robust while spoofed fixes are a minority) and
    its reach as a high quantile of their distances.

    Returns:
        ``receiver_id, receiver_lat, receiver_lon, reach_m`` for receivers with enough fixes.
    """
    heard = positions.filter((pl.col("receiver_class") == "terrestrial") & pl.col("receiver_id").is_not_null()).select(
        "receiver_id", "lat", "lon"
    )
    centres = (
        heard.group_by("receiver_id")
        .agg(pl.col("lat").median().alias("receiver_lat"), pl.col("lon").median().alias("receiver_lon"), pl.len())
        .filter(pl.col("len") >= config.receiver_min_positions)
    )
    if centres.is_empty():
        return centres.drop("len").with_columns(pl.lit(None, dtype=pl.Float64).alias("reach_m"))
    joined = heard.join(centres, on="receiver_id")
    distance = haversine_m(
        joined["lat"].to_numpy(),
        joined["lon"].to_numpy(),
        joined["receiver_lat"].to_numpy(),
        joined["receiver_lon"].to_numpy(),
    )
    reach = (
        joined.select("receiver_id", pl.Series("d", distance))
        .group_by("receiver_id")
        .agg(pl.col("d").quantile(config.receiver_reach_quantile).alias("reach_m"))
    )
    return centres.drop("len").join(reach, on="receiver_id")


def beyond_reach(positions: pl.DataFrame, reach: pl.DataFrame, config: SpoofingConfig) -> npt.NDArray[np.float64]:
    """Per fix, whether its terrestrial receiver could have heard it where it claims to be.

    Returns:
        1.0 when it could not, 0.0 when it could, NaN without such evidence
        (satellite or unknown receivers).
    """
    if reach.is_empty() or "receiver_id" not in positions.columns:
        return np.full(positions.height, np.nan)
    joined = positions.select("lat", "lon", "receiver_id", "receiver_class").join(
        reach, on="receiver_id", how="left", maintain_order="left"
    )
    known = (joined["receiver_class"] == "terrestrial").fill_null(False).to_numpy() & joined[
        "receiver_lat"
    ].is_not_null().to_numpy()
    out = np.full(positions.height, np.nan)
    rows = np.flatnonzero(known)
    if rows.size:
        d = haversine_m(
            joined["lat"].to_numpy()[rows],
            joined["lon"].to_numpy()[rows],
            joined["receiver_lat"].to_numpy()[rows],
            joined["receiver_lon"].to_numpy()[rows],
        )
        limit = np.maximum(
            config.receiver_reach_factor * joined["reach_m"].to_numpy()[rows], config.receiver_min_reach_m
        )
        out[rows] = (d > limit).astype(np.float64)
    return out


def detect_speed_jumps(
    positions: pl.DataFrame, pairs: pl.DataFrame, config: SpoofingConfig
) -> tuple[pl.DataFrame, SpoofingReport]:
    """``speed_jump`` events (see the module notes).

    An MMSI's fixes are cut into pieces at every impossible jump. A piece is false
    when the terrestrial receivers that heard it could not have heard it there
    (:func:`beyond_reach`); without that evidence, when it is bracketed by jumps that
    bring the vessel back to where it could be and is the shortest of the three
    pieces (A B A). False pieces become events spanning their fixes; a piece of
    fewer than ``min_excursion_positions`` fixes bracketed that way is a glitch;
    any other jump is reported on its own, at its time.

    Args:
        positions: Segmented positions sorted by ``(mmsi, timestamp)`` with
            ``track_number``, ``vessel_id`` and, when known, ``receiver_id`` and
            ``receiver_class``.
        pairs: Interleaving track pairs (collisions), whose alternations are skipped.
        config: Spoofing configuration.
    """
    mmsi = positions["mmsi"].to_numpy()
    lat = positions["lat"].to_numpy()
    lon = positions["lon"].to_numpy()
    t = positions["timestamp"].dt.epoch("us").to_numpy() / 1e6
    track = positions["track_number"].to_numpy()
    n = mmsi.size
    if n < 2:
        return make_events(pl.DataFrame()), SpoofingReport()
    same = np.zeros(n, dtype=bool)
    same[1:] = mmsi[1:] == mmsi[:-1]
    distance = np.zeros(n)
    distance[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dt = np.zeros(n)
    dt[1:] = t[1:] - t[:-1]
    jump = same & (_implied_speed_kn(distance, dt, config) > config.max_speed_kn)
    if pairs.height and jump.any():
        previous_track = np.concatenate([[-1], track[:-1]])
        lo = np.minimum(previous_track, track)
        hi = np.maximum(previous_track, track)
        concurrent = set(zip(pairs["track_a"].to_list(), pairs["track_b"].to_list(), strict=True))
        rows = np.flatnonzero(jump)
        skip = np.array([(int(lo[r]), int(hi[r])) in concurrent for r in rows], dtype=bool)
        jump[rows[skip]] = False
    if not jump.any():
        return make_events(pl.DataFrame()), SpoofingReport()
    # Pieces: maximal runs of fixes of one MMSI between jumps.
    new_piece = jump | ~same
    piece = np.cumsum(new_piece) - 1
    starts = np.flatnonzero(new_piece)
    ends = np.append(starts[1:], n) - 1
    n_pieces = starts.size
    count = ends - starts + 1
    duration = t[ends] - t[starts]
    entered = jump[starts]
    left = np.append(jump[starts[1:]], False)
    far = beyond_reach(positions, receiver_reach(positions, config), config)
    evidence = np.bincount(piece, weights=np.nan_to_num(far, nan=0.0), minlength=n_pieces)
    witnessed = np.bincount(piece, weights=(~np.isnan(far)).astype(np.float64), minlength=n_pieces)
    far_share = np.where(witnessed > 0, evidence / np.maximum(witnessed, 1), np.nan)
    # Heuristic for pieces without receiver evidence: A B A with B the shortest.
    bracketed = entered & left
    k = np.arange(n_pieces)
    before = np.maximum(k - 1, 0)
    after = np.minimum(k + 1, n_pieces - 1)
    back_distance = haversine_m(lat[ends[before]], lon[ends[before]], lat[starts[after]], lon[starts[after]])
    back_dt = t[starts[after]] - t[ends[before]]
    returns = bracketed & (_implied_speed_kn(back_distance, back_dt, config) <= config.max_speed_kn)
    shortest = duration <= np.minimum(duration[before], duration[after])
    glitch = returns & (count < config.min_excursion_positions)
    # A vessel that alternates between its true place and a false one does so with
    # every pair of jumps, so an MMSI's pieces fall into two classes by parity; the
    # receivers' evidence on any piece of a class speaks for the whole class.
    parity = (k - np.searchsorted(starts, _group_start(mmsi)[starts])) % 2
    piece_group = np.cumsum(~same[starts]) - 1
    slot = piece_group * 2 + parity
    class_far = np.bincount(slot, weights=evidence, minlength=2 * (piece_group[-1] + 1))
    class_witnessed = np.bincount(slot, weights=witnessed, minlength=2 * (piece_group[-1] + 1))
    class_share = np.where(class_witnessed > 0, class_far / np.maximum(class_witnessed, 1), np.nan)
    mine = class_share[slot]
    other = class_share[piece_group * 2 + (1 - parity)]
    decided = (mine >= 0.5) | (other >= 0.5)
    by_evidence = (mine >= 0.5) & ~(other >= 0.5) & (entered | left)
    by_shape = returns & shortest & ~glitch & ~decided
    false_piece = (by_evidence | by_shape) & (count >= config.min_excursion_positions)
    # Jumps not explained by a false piece or a glitch on either side are reported alone.
    explained = false_piece | glitch
    jump_rows = np.flatnonzero(jump)
    jp = piece[jump_rows]
    lone = ~explained[jp] & ~explained[jp - 1]
    lone &= (count[jp] >= config.min_excursion_positions) & (count[jp - 1] >= config.min_excursion_positions)
    false_rows = np.flatnonzero(false_piece)
    first = np.concatenate([starts[false_rows], jump_rows[lone]])
    last = np.concatenate([ends[false_rows], jump_rows[lone]])
    jump_at = np.concatenate(
        [
            np.where(entered[false_rows], starts[false_rows], starts[np.minimum(false_rows + 1, n_pieces - 1)]),
            jump_rows[lone],
        ]
    )
    kind = np.concatenate(
        [np.where(by_evidence[false_rows], "beyond_receiver_reach", "excursion"), np.full(int(lone.sum()), "jump")]
    )
    if first.size == 0:
        return make_events(pl.DataFrame()), SpoofingReport(jumps=int(jump.sum()), glitches=int(glitch.sum()))
    begin = positions[first]
    events = pl.DataFrame(
        {
            "event_type": "spoofing",
            "subtype": "speed_jump",
            "vessel_id": begin["vessel_id"],
            "mmsi": begin["mmsi"],
            "start_time": begin["timestamp"],
            "end_time": positions[last]["timestamp"],
            "lat": begin["lat"],
            "lon": begin["lon"],
            "kind": kind,
            "jump_m": np.round(distance[jump_at]),
            "jump_s": np.round(dt[jump_at], 1),
            "implied_speed_kn": np.round(distance[jump_at] / np.maximum(dt[jump_at], 1.0) / KNOT_M_PER_S, 1),
            "from_lat": np.round(lat[jump_at - 1], 5),
            "from_lon": np.round(lon[jump_at - 1], 5),
            "positions": last - first + 1,
            "beyond_reach_share": np.round(
                np.concatenate([far_share[false_rows], far_share[piece[jump_rows[lone]]]]), 3
            ),
        }
    ).select(
        "event_type",
        "subtype",
        "vessel_id",
        "mmsi",
        "start_time",
        "end_time",
        "lat",
        "lon",
        details(
            **{
                c: pl.col(c)
                for c in (
                    "kind",
                    "jump_m",
                    "jump_s",
                    "implied_speed_kn",
                    "from_lat",
                    "from_lon",
                    "positions",
                    "beyond_reach_share",
                )
            }
        ),
    )
    return make_events(events), SpoofingReport(jumps=int(jump.sum()), glitches=int(glitch.sum()))


def _group_start(keys: I64) -> I64:
    change = np.ones(keys.size, dtype=bool)
    change[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(change)
    result: I64 = starts[np.cumsum(change) - 1]
    return result


def _group_end(keys: I64) -> I64:
    """Index one past the last row of each row's group."""
    change = np.ones(keys.size, dtype=bool)
    change[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], keys.size)
    result: I64 = ends[np.cumsum(change) - 1]
    return result


def _harbour_tree() -> tuple[cKDTree, float]:
    lat = np.concatenate([ports()["lat"].to_numpy(), anchorages()["lat"].to_numpy()])
    lon = np.concatenate([ports()["lon"].to_numpy(), anchorages()["lon"].to_numpy()])
    return cKDTree(_unit_vectors(lat, lon)), EARTH_RADIUS_M


def _unit_vectors(lat: F64, lon: F64) -> F64:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def inland(lat: F64, lon: F64, config: SpoofingConfig) -> B:
    """Whether each fix is inland: land for ``inland_distance_m`` all round.

    Fixes within ``port_exclusion_m`` of any gazetteer port or anchorage are never
    inland (berths up rivers narrower than the mask's cells).
    """
    result = is_land(lat, lon)
    rows = np.flatnonzero(result)
    if rows.size == 0:
        return result
    bearings = np.arange(INLAND_BEARINGS) * (360.0 / INLAND_BEARINGS)
    surrounded = np.ones(rows.size, dtype=bool)
    for fraction in (1 / 3, 2 / 3, 1.0):
        ring_lat, ring_lon = destination(
            np.repeat(lat[rows], INLAND_BEARINGS),
            np.repeat(lon[rows], INLAND_BEARINGS),
            np.tile(bearings, rows.size),
            config.inland_distance_m * fraction,
        )
        surrounded &= is_land(ring_lat, ring_lon).reshape(rows.size, INLAND_BEARINGS).all(axis=1)
    rows = rows[surrounded]
    if rows.size:
        tree, radius = _harbour_tree()
        chord = 2 * np.sin(config.port_exclusion_m / radius / 2)
        distance, _ = tree.query(_unit_vectors(lat[rows], lon[rows]), k=1, distance_upper_bound=chord)
        rows = rows[~np.isfinite(distance)]
    out = np.zeros(lat.size, dtype=bool)
    out[rows] = True
    return out


def detect_on_land(positions: pl.DataFrame, config: SpoofingConfig) -> tuple[pl.DataFrame, int]:
    """``on_land`` events: runs of consecutive inland fixes of an MMSI.

    Returns:
        The events and the number of inland fixes.
    """
    flag = inland(positions["lat"].to_numpy(), positions["lon"].to_numpy(), config)
    count = int(flag.sum())
    if count == 0:
        return make_events(pl.DataFrame()), 0
    frame = positions.select("mmsi", "vessel_id", "timestamp", "lat", "lon").with_columns(pl.Series("_inland", flag))
    run = (
        ((pl.col("_inland") != pl.col("_inland").shift(1)) | (pl.col("mmsi") != pl.col("mmsi").shift(1)))
        .fill_null(True)
        .cum_sum()
    )
    runs = (
        frame.with_columns(run.alias("_run"))
        .filter(pl.col("_inland"))
        .group_by("_run")
        .agg(
            pl.col("mmsi").first(),
            pl.col("vessel_id").first(),
            pl.col("timestamp").min().alias("start_time"),
            pl.col("timestamp").max().alias("end_time"),
            pl.col("lat").mean(),
            pl.col("lon").mean(),
            pl.len().alias("positions"),
        )
        .filter(pl.col("positions") >= config.min_on_land_positions)
    )
    events = runs.select(
        pl.lit("spoofing").alias("event_type"),
        pl.lit("on_land").alias("subtype"),
        "vessel_id",
        "mmsi",
        "start_time",
        "end_time",
        "lat",
        "lon",
        details(positions=pl.col("positions")),
    )
    return make_events(events), count


@numba.njit(cache=True, nogil=True)
def _circle_kernel(
    track: I64,
    t: F64,
    lat: F64,
    lon: F64,
    window_s: float,
    min_turn_deg: float,
    min_positions: int,
    min_radius: float,
    max_radius: float,
    max_cv: float,
) -> B:  # pragma: no cover - compiled; exercised through detect_circles
    """Fixes inside a circling window; rows sorted by (track, time)."""
    n = t.size
    metres_per_degree = 111_195.0
    turn = np.zeros(n)
    sign = np.zeros(n)
    last_bearing = np.full(n, np.nan)
    for i in range(1, n):
        if track[i] != track[i - 1]:
            continue
        north = (lat[i] - lat[i - 1]) * metres_per_degree
        east = (lon[i] - lon[i - 1]) * metres_per_degree * np.cos(np.radians(lat[i]))
        previous = last_bearing[i - 1]
        if north * north + east * east < 20.0 * 20.0:
            last_bearing[i] = previous
            continue
        bearing = np.degrees(np.arctan2(east, north))
        last_bearing[i] = bearing
        if not np.isnan(previous):
            d = (bearing - previous + 540.0) % 360.0 - 180.0
            turn[i] = d
            sign[i] = 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)
    cum_turn = np.cumsum(turn)
    cum_pos = np.cumsum(sign > 0)
    cum_neg = np.cumsum(sign < 0)
    marks = np.zeros(n + 1, dtype=np.int64)
    j = 0
    for i in range(n):
        if i > 0 and track[i] != track[i - 1]:
            j = i
        while t[i] - t[j] > window_s:
            j += 1
        count = i - j + 1
        if count < min_positions:
            continue
        total = cum_turn[i] - cum_turn[j]
        if abs(total) < min_turn_deg:
            continue
        positive = cum_pos[i] - cum_pos[j]
        negative = cum_neg[i] - cum_neg[j]
        if max(positive, negative) < 0.8 * (positive + negative):
            continue
        mean_lat = 0.0
        mean_lon = 0.0
        for k in range(j, i + 1):
            mean_lat += lat[k]
            mean_lon += lon[k]
        mean_lat /= count
        mean_lon /= count
        scale = np.cos(np.radians(mean_lat))
        s1 = 0.0
        s2 = 0.0
        for k in range(j, i + 1):
            north = (lat[k] - mean_lat) * metres_per_degree
            east = (lon[k] - mean_lon) * metres_per_degree * scale
            r = np.sqrt(north * north + east * east)
            s1 += r
            s2 += r * r
        mean_r = s1 / count
        variance = max(s2 / count - mean_r * mean_r, 0.0)
        if mean_r < min_radius or mean_r > max_radius or np.sqrt(variance) > max_cv * mean_r:
            continue
        marks[j] += 1
        marks[i + 1] -= 1
    return np.cumsum(marks)[:n] > 0


def detect_circles(positions: pl.DataFrame, config: SpoofingConfig) -> pl.DataFrame:
    """``circle`` events: runs of fixes inside circling windows of one track."""
    ordered = positions.select("track_number", "mmsi", "vessel_id", "timestamp", "lat", "lon").sort(
        "track_number", "timestamp", maintain_order=True
    )
    if ordered.height < config.circle_min_positions:
        return make_events(pl.DataFrame())
    circling = _circle_kernel(
        ordered["track_number"].to_numpy(),
        ordered["timestamp"].dt.epoch("us").to_numpy() / 1e6,
        ordered["lat"].to_numpy(),
        ordered["lon"].to_numpy(),
        config.circle_window_h * 3600.0,
        360.0 * config.circle_min_turns,
        config.circle_min_positions,
        config.circle_min_radius_m,
        config.circle_max_radius_m,
        config.circle_max_radial_cv,
    )
    if not circling.any():
        return make_events(pl.DataFrame())
    frame = ordered.with_columns(pl.Series("_circling", circling))
    run = (
        (
            (pl.col("_circling") != pl.col("_circling").shift(1))
            | (pl.col("track_number") != pl.col("track_number").shift(1))
        )
        .fill_null(True)
        .cum_sum()
    )
    runs = (
        frame.with_columns(run.alias("_run"))
        .filter(pl.col("_circling"))
        .group_by("_run")
        .agg(
            pl.col("mmsi").first(),
            pl.col("vessel_id").first(),
            pl.col("timestamp").min().alias("start_time"),
            pl.col("timestamp").max().alias("end_time"),
            pl.col("lat").mean(),
            pl.col("lon").mean(),
            pl.len().alias("positions"),
        )
    )
    events = runs.select(
        pl.lit("spoofing").alias("event_type"),
        pl.lit("circle").alias("subtype"),
        "vessel_id",
        "mmsi",
        "start_time",
        "end_time",
        "lat",
        "lon",
        details(positions=pl.col("positions")),
    )
    return make_events(events)


def detect_collisions(pairs: pl.DataFrame, track_vessels: pl.DataFrame, max_gap_h: float) -> pl.DataFrame:
    """``mmsi_collision`` events: one per MMSI and period of interleaving tracks.

    Args:
        pairs: :func:`shadowfleet.tracks.identity.concurrent_pairs`.
        track_vessels: ``track_number, vessel_id, n_positions``.
        max_gap_h: Periods of one MMSI closer than this are one event, hours.
    """
    if pairs.is_empty():
        return make_events(pl.DataFrame())
    sides = track_vessels.select("track_number", "vessel_id", "n_positions")
    frame = (
        pairs.join(sides.rename({"track_number": "track_a"}), on="track_a", how="left")
        .join(sides.rename({"track_number": "track_b"}), on="track_b", how="left", suffix="_b")
        .sort("mmsi", "start_time")
    )
    gap = pl.duration(seconds=round(max_gap_h * 3600))
    new_period = (
        (pl.col("start_time") > pl.col("end_time").cum_max().shift(1).over("mmsi") + gap)
        | (pl.col("mmsi") != pl.col("mmsi").shift(1))
    ).fill_null(True)
    # The side heard less is named as the vessel (usually the impostor), the other as other_vessel_id.
    grouped = (
        frame.with_columns(new_period.cum_sum().alias("_period"))
        .group_by("mmsi", "_period")
        .agg(
            pl.col("start_time").min(),
            pl.col("end_time").max(),
            pl.col("switches").sum(),
            pl.concat_list("vessel_id", "vessel_id_b").explode().alias("_vessels"),
            pl.concat_list("n_positions", "n_positions_b").explode().alias("_sizes"),
        )
        .with_columns(
            pl.col("_vessels").list.get(pl.col("_sizes").list.arg_min()).alias("vessel_id"),
            pl.col("_vessels").list.get(pl.col("_sizes").list.arg_max()).alias("other_vessel_id"),
        )
    )
    events = grouped.select(
        pl.lit("spoofing").alias("event_type"),
        pl.lit("mmsi_collision").alias("subtype"),
        "vessel_id",
        "mmsi",
        "other_vessel_id",
        pl.col("mmsi").alias("other_mmsi"),
        "start_time",
        "end_time",
        details(switches=pl.col("switches")),
    )
    return make_events(events)
