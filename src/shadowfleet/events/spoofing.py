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
  GLOBE mask), away from every gazetteer port and anchorage (berths up rivers), and
  not where several other vessels sail (waterways narrower than the mask's cells).
* ``circle``: within ``circle_window_h`` a track turns at least ``circle_min_turns``
  full turns, one way, around a centre it keeps a near-constant distance from (the
  "crop circles" of GNSS interference at Shanghai; C4ADS/Humphreys 2019).
* ``mmsi_collision``: two tracks of one MMSI interleave in time
  (:func:`shadowfleet.tracks.identity.concurrent_pairs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Final

import numba
import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.config import SpoofingConfig
from shadowfleet.events.common import details, flagged_runs, make_events, run_events
from shadowfleet.geo.distance import KNOT_M_PER_S, destination, haversine_m
from shadowfleet.geo.gazetteer import harbour_distance_m
from shadowfleet.geo.land import is_land
from shadowfleet.schemas import EVENTS

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


def _implied_speed_kn(
    distance_m: F64, dt_s: F64, config: SpoofingConfig, time_error_s: F64 | float | None = None
) -> F64:
    moved = np.maximum(distance_m - config.position_error_m, 0.0)
    allowance = config.time_error_s if time_error_s is None else time_error_s
    result: F64 = moved / (np.abs(dt_s) + allowance) / KNOT_M_PER_S
    return result


def _time_errors(positions: pl.DataFrame, config: SpoofingConfig) -> F64:
    """Timing allowance between each fix and the previous one, seconds.

    Satellite fixes carry the satellite's clock, which drifts by minutes (GFW drops
    receivers off by more than 30 s; offsets of minutes to days occur), and fixes of
    unknown reception are often stamped when a buffer was read rather than when they
    were sent (the AMSA exactEarth files), so a step involving either gets
    ``satellite_time_error_s``; only steps between coastal fixes get ``time_error_s``.
    """
    if "receiver_class" not in positions.columns:
        return np.full(positions.height, config.satellite_time_error_s)
    satellite = (positions["receiver_class"] != "terrestrial").fill_null(True).to_numpy()
    either = satellite.copy()
    either[1:] |= satellite[:-1]
    result: F64 = np.where(either, config.satellite_time_error_s, config.time_error_s)
    return result


def receiver_reach(positions: pl.DataFrame, config: SpoofingConfig) -> pl.DataFrame:
    """Where each terrestrial receiver is and how far it hears, from the data itself.

    A coastal station hears only to its radio horizon (tens of nautical miles, rarely
    a few hundred in ducting), so a fix it received far beyond the distances it
    usually hears was transmitted from somewhere else than it claims: physical
    evidence of which side of a jump is false. The station's place is estimated as
    the median of the fixes it heard (robust while spoofed fixes are a minority) and
    its typical distance as the median of theirs.

    Returns:
        ``receiver_id, receiver_lat, receiver_lon, reach_m`` for receivers with enough fixes.
    """
    heard = positions.filter((pl.col("receiver_class") == "terrestrial") & pl.col("receiver_id").is_not_null())
    # A station's median place and distance are settled by a couple of million fixes.
    step = max(1, -(-heard.height // config.receiver_sample_positions))
    heard = heard.gather_every(step).select("receiver_id", "lat", "lon")
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
    allowance = _time_errors(positions, config)
    jump = same & (_implied_speed_kn(distance, dt, config, allowance) > config.max_speed_kn)
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
    # Receiver evidence only matters for the pieces next to a jump: look at their fixes alone.
    near_jump = (entered | left)[piece]
    rows_near = np.flatnonzero(near_jump)
    far_near = beyond_reach(positions[rows_near], receiver_reach(positions, config), config)
    evidence = np.bincount(piece[rows_near], weights=np.nan_to_num(far_near, nan=0.0), minlength=n_pieces)
    witnessed = np.bincount(piece[rows_near], weights=(~np.isnan(far_near)).astype(np.float64), minlength=n_pieces)
    far_share = np.where(witnessed > 0, evidence / np.maximum(witnessed, 1), np.nan)
    # Heuristic for pieces without receiver evidence: A B A with B the shortest.
    bracketed = entered & left
    k = np.arange(n_pieces)
    before = np.maximum(k - 1, 0)
    after = np.minimum(k + 1, n_pieces - 1)
    back_distance = haversine_m(lat[ends[before]], lon[ends[before]], lat[starts[after]], lon[starts[after]])
    back_dt = t[starts[after]] - t[ends[before]]
    returns = bracketed & (
        _implied_speed_kn(back_distance, back_dt, config, config.satellite_time_error_s) <= config.max_speed_kn
    )
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
    # (A relocation through one stray fix, or a last fix far away, is still a jump:
    # nothing impossible is dropped unless a glitch or a false piece explains it.)
    lone = ~explained[jp] & ~explained[jp - 1]
    false_rows = np.flatnonzero(false_piece)
    # Lone jumps separated by fewer fixes than an excursion needs are one run of
    # impossible steps (a relocation through a stray fix): one event from the first
    # to the last.
    lone_rows = jump_rows[lone]
    lone_mmsi = mmsi[lone_rows]
    new_run = np.ones(lone_rows.size, dtype=bool)
    new_run[1:] = (np.diff(lone_rows) >= config.min_excursion_positions) | (lone_mmsi[1:] != lone_mmsi[:-1])
    run_first = lone_rows[new_run]
    run_last = (
        lone_rows[np.append(np.flatnonzero(new_run)[1:] - 1, lone_rows.size - 1)] if lone_rows.size else lone_rows
    )
    first = np.concatenate([starts[false_rows], run_first])
    last = np.concatenate([ends[false_rows], run_last])
    jump_at = np.concatenate(
        [
            np.where(entered[false_rows], starts[false_rows], starts[np.minimum(false_rows + 1, n_pieces - 1)]),
            run_first,
        ]
    )
    kind = np.concatenate(
        [np.where(by_evidence[false_rows], "beyond_receiver_reach", "excursion"), np.full(run_first.size, "jump")]
    )
    if first.size == 0:
        return make_events(pl.DataFrame()), SpoofingReport(jumps=int(jump.sum()), glitches=int(glitch.sum()))
    begin = positions[first]
    # Where the vessel truly was around a false piece: the fixes next to it on the same
    # MMSI (a hidden interval, as a silence is, for the dark-port-call inference).
    is_piece = np.concatenate([np.ones(false_rows.size, dtype=bool), np.zeros(run_first.size, dtype=bool)])
    prev_row = np.maximum(first - 1, 0)
    next_row = np.minimum(last + 1, n - 1)
    has_prev = is_piece & (first > 0) & same[first]
    has_next = is_piece & (last + 1 < n) & same[next_row]
    events = (
        pl.DataFrame(
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
                "beyond_reach_share": np.round(np.concatenate([far_share[false_rows], far_share[piece[run_first]]]), 3),
                "true_before_lat": np.where(has_prev, np.round(lat[prev_row], 5), np.nan),
                "true_before_lon": np.where(has_prev, np.round(lon[prev_row], 5), np.nan),
                "true_after_lat": np.where(has_next, np.round(lat[next_row], 5), np.nan),
                "true_after_lon": np.where(has_next, np.round(lon[next_row], 5), np.nan),
            }
        )
        .with_columns(pl.col("^true_.*$").fill_nan(None))
        .select(
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
                        "true_before_lat",
                        "true_before_lon",
                        "true_after_lat",
                        "true_after_lon",
                    )
                }
            ),
        )
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


def inland(lat: F64, lon: F64, config: SpoofingConfig) -> B:
    """Whether each fix is inland: land for ``inland_distance_m`` all round.

    Fixes within ``port_exclusion_m`` of any gazetteer port or anchorage are never
    inland (berths up rivers narrower than the mask's cells).
    """
    result = is_land(lat, lon)
    rows = np.flatnonzero(result)
    if rows.size == 0:
        return result
    # Rings every kilometre (the mask's cell), with bearings close enough that the
    # gap between rays on the outer ring is about a kilometre too.
    radius = config.inland_distance_m
    n_rings = max(3, int(np.ceil(radius / 1_000.0)))
    n_bearings = max(INLAND_BEARINGS, int(np.ceil(2 * np.pi * radius / 1_000.0)))
    bearings = np.arange(n_bearings) * (360.0 / n_bearings)
    surrounded = np.ones(rows.size, dtype=bool)
    for ring in range(1, n_rings + 1):
        ring_lat, ring_lon = destination(
            np.repeat(lat[rows], n_bearings),
            np.repeat(lon[rows], n_bearings),
            np.tile(bearings, rows.size),
            radius * ring / n_rings,
        )
        surrounded &= is_land(ring_lat, ring_lon).reshape(rows.size, n_bearings).all(axis=1)
    rows = rows[surrounded]
    if rows.size:
        rows = rows[harbour_distance_m(lat[rows], lon[rows], config.port_exclusion_m) > config.port_exclusion_m]
    out = np.zeros(lat.size, dtype=bool)
    out[rows] = True
    return out


def _frequented(positions: pl.DataFrame, candidates: B, config: SpoofingConfig) -> B:
    """Whether each candidate fix lies where other vessels sail: navigable water the mask misses.

    The 1 km land mask closes rivers and straits narrower than its cells (the East
    River, the Kanmon strait). Cells (and their neighbours) where at least
    ``navigable_min_vessels`` distinct MMSIs were seen under way are water, whatever
    the mask says: one spoofer alone cannot make a cell navigable.
    """
    cell = config.navigable_cell_deg
    keys = [
        (pl.col("lat") / cell).floor().cast(pl.Int64).alias("_row"),
        (pl.col("lon") / cell).floor().cast(pl.Int64).alias("_col"),
    ]
    # Under way by reported speed, or by the speed implied between fixes when a
    # provider drops it.
    lat, lon = positions["lat"].to_numpy(), positions["lon"].to_numpy()
    seconds = positions["timestamp"].dt.epoch("us").to_numpy() / 1e6
    implied = np.zeros(lat.size)
    if lat.size > 1:
        same = positions["mmsi"].to_numpy()[1:] == positions["mmsi"].to_numpy()[:-1]
        step = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
        implied[1:] = np.where(same, step / np.maximum(seconds[1:] - seconds[:-1], 1.0) / KNOT_M_PER_S, 0.0)
    speed = pl.coalesce(pl.col("sog_kn").cast(pl.Float64), pl.Series(implied))
    moving = (
        positions.filter(speed >= config.navigable_min_speed_kn)
        .select("mmsi", *keys)
        .unique()
        .group_by("_row", "_col")
        .agg(pl.len().alias("_vessels"))
        .filter(pl.col("_vessels") >= config.navigable_min_vessels)
    )
    if moving.is_empty():
        return np.zeros(candidates.size, dtype=bool)
    navigable = pl.concat(
        [
            moving.select((pl.col("_row") + dr).alias("_row"), (pl.col("_col") + dc).alias("_col"))
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
        ]
    ).unique()
    rows = np.flatnonzero(candidates)
    checked = (
        positions[rows]
        .select(*keys)
        .with_row_index("_i")
        .join(navigable.with_columns(pl.lit(True).alias("_water")), on=["_row", "_col"], how="left")
        .sort("_i")
    )
    out = np.zeros(candidates.size, dtype=bool)
    out[rows] = checked["_water"].fill_null(False).to_numpy()
    return out


def detect_on_land(positions: pl.DataFrame, config: SpoofingConfig) -> tuple[pl.DataFrame, int]:
    """``on_land`` events: runs of consecutive inland fixes of an MMSI.

    Returns:
        The events and the number of inland fixes.
    """
    flag = inland(positions["lat"].to_numpy(), positions["lon"].to_numpy(), config)
    if flag.any():
        flag &= ~_frequented(positions, flag, config)
    count = int(flag.sum())
    if count == 0:
        return make_events(pl.DataFrame()), 0
    frame = positions.select("mmsi", "vessel_id", "timestamp", "lat", "lon").with_columns(pl.Series("_inland", flag))
    runs = flagged_runs(frame, "_inland", "mmsi").filter(pl.col("positions") >= config.min_on_land_positions)
    if runs.is_empty():
        return make_events(pl.DataFrame()), count
    # A vessel really in a creek the mask closes sailed in; a false position appears
    # by an impossible jump. So a run counts when a jump leads into or out of it, or
    # when it lies so far inland that no waterway the mask misses is plausible.
    jump_in = _jumps(positions, config)
    first = runs["first_row"].to_numpy().astype(np.int64)
    last = runs["last_row"].to_numpy().astype(np.int64)
    entered = jump_in[first]
    left = jump_in[np.minimum(last + 1, jump_in.size - 1)] & (last + 1 < jump_in.size)
    far_config = replace(config, inland_distance_m=config.on_land_far_m)
    far = inland(runs["lat"].to_numpy(), runs["lon"].to_numpy(), far_config)
    runs = runs.with_columns(pl.Series("_entered", entered), pl.Series("_left", left), pl.Series("_far", far)).filter(
        pl.col("_entered") | pl.col("_left") | pl.col("_far")
    )
    events = run_events(
        runs,
        "spoofing",
        "on_land",
        positions=pl.col("positions"),
        jumped_in=pl.col("_entered"),
        jumped_out=pl.col("_left"),
        far_inland=pl.col("_far"),
    )
    return events, count


def _jumps(positions: pl.DataFrame, config: SpoofingConfig) -> B:
    """Whether each fix is reached from its MMSI's previous fix by an impossible jump."""
    lat, lon = positions["lat"].to_numpy(), positions["lon"].to_numpy()
    mmsi = positions["mmsi"].to_numpy()
    seconds = positions["timestamp"].dt.epoch("us").to_numpy() / 1e6
    out = np.zeros(lat.size, dtype=bool)
    if lat.size > 1:
        distance = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
        allowance = _time_errors(positions, config)[1:]
        out[1:] = (mmsi[1:] == mmsi[:-1]) & (
            _implied_speed_kn(distance, seconds[1:] - seconds[:-1], config, allowance) > config.max_speed_kn
        )
    return out


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
    max_stop_share: float,
    stop_speed_ms: float,
    max_speed_ms: float,
) -> B:  # pragma: no cover - compiled; exercised through detect_circles
    """Fixes inside a circling window; rows sorted by (track, time)."""
    n = t.size
    metres_per_degree = 111_195.0
    turn = np.zeros(n)
    sign = np.zeros(n)
    stopped = np.zeros(n)
    travelled = np.zeros(n)
    impossible = np.zeros(n)
    last_bearing = np.full(n, np.nan)
    for i in range(1, n):
        if track[i] != track[i - 1]:
            continue
        north = (lat[i] - lat[i - 1]) * metres_per_degree
        east = (lon[i] - lon[i - 1]) * metres_per_degree * np.cos(np.radians(lat[i]))
        previous = last_bearing[i - 1]
        step = np.sqrt(north * north + east * east)
        travelled[i] = step
        # Out-of-order or mis-stamped fixes (buffered feeds) zigzag: not a drawn path.
        if step > 50.0 and step / max(t[i] - t[i - 1], 1.0) > max_speed_ms:
            impossible[i] = 1.0
        if step < max(20.0, stop_speed_ms * (t[i] - t[i - 1])):
            stopped[i] = 1.0
        if step < 20.0:
            last_bearing[i] = previous
            continue
        bearing = np.degrees(np.arctan2(east, north))
        last_bearing[i] = bearing
        if not np.isnan(previous):
            d = (bearing - previous + 540.0) % 360.0 - 180.0
            turn[i] = d
            sign[i] = 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)
    cum_turn = np.cumsum(turn)
    cum_stopped = np.cumsum(stopped)
    cum_travelled = np.cumsum(travelled)
    cum_impossible = np.cumsum(impossible)
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
        # The tightest window ending here that still turns enough: a short episode
        # inside a long window is measured on its own fixes, not on the berth's.
        start = j
        while start < i and abs(cum_turn[i] - cum_turn[start + 1]) >= min_turn_deg:
            start += 1
        count = i - start + 1
        if count < min_positions:
            continue
        if cum_impossible[i] - cum_impossible[start] > 0:
            continue
        # Turning twice in seconds is position noise, not a pattern anyone drew or sailed.
        elapsed = t[i] - t[start]
        if elapsed <= 0 or (cum_travelled[i] - cum_travelled[start]) / elapsed > max_speed_ms:
            continue
        # Drawn circles never stop; a ferry looping between piers dwells at each.
        if cum_stopped[i] - cum_stopped[start] > max_stop_share * (count - 1):
            continue
        positive = cum_pos[i] - cum_pos[start]
        negative = cum_neg[i] - cum_neg[start]
        if max(positive, negative) < 0.8 * (positive + negative):
            continue
        mean_lat = 0.0
        mean_lon = 0.0
        for k in range(start, i + 1):
            mean_lat += lat[k]
            mean_lon += lon[k]
        mean_lat /= count
        mean_lon /= count
        scale = np.cos(np.radians(mean_lat))
        s1 = 0.0
        s2 = 0.0
        for k in range(start, i + 1):
            north = (lat[k] - mean_lat) * metres_per_degree
            east = (lon[k] - mean_lon) * metres_per_degree * scale
            r = np.sqrt(north * north + east * east)
            s1 += r
            s2 += r * r
        mean_r = s1 / count
        variance = max(s2 / count - mean_r * mean_r, 0.0)
        if mean_r < min_radius or mean_r > max_radius or np.sqrt(variance) > max_cv * mean_r:
            continue
        marks[start] += 1
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
        config.circle_max_stop_share,
        config.circle_stop_speed_kn * KNOT_M_PER_S,
        config.max_speed_kn * KNOT_M_PER_S,
    )
    if not circling.any():
        return make_events(pl.DataFrame())
    frame = ordered.with_columns(pl.Series("_circling", circling))
    runs = flagged_runs(frame, "_circling", "track_number")
    return run_events(runs, "spoofing", "circle", positions=pl.col("positions"))


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
    # The hull heard less is named as the vessel (usually the impostor), the hull heard
    # most as other_vessel_id; sizes are summed per hull over the period's tracks.
    periods = frame.with_columns(new_period.cum_sum().alias("_period"))
    sides_long = pl.concat(
        [
            periods.select("_period", pl.col("track_a").alias("_track"), "vessel_id", "n_positions"),
            periods.select(
                "_period",
                pl.col("track_b").alias("_track"),
                pl.col("vessel_id_b").alias("vessel_id"),
                pl.col("n_positions_b").alias("n_positions"),
            ),
        ]
    ).unique(["_period", "_track"])
    per_hull = (
        sides_long.group_by("_period", "vessel_id")
        .agg(pl.col("n_positions").sum())
        .sort("n_positions", "vessel_id")
        .group_by("_period", maintain_order=True)
        .agg(
            pl.col("vessel_id").first().alias("_least"),
            pl.col("vessel_id").last().alias("_most"),
            pl.col("vessel_id").n_unique().alias("_hulls"),
        )
    )
    grouped = (
        periods.group_by("mmsi", "_period")
        .agg(pl.col("start_time").min(), pl.col("end_time").max(), pl.col("switches").sum())
        .join(per_hull, on="_period", how="left")
        .with_columns(
            pl.col("_least").alias("vessel_id"),
            pl.when(pl.col("_hulls") > 1).then(pl.col("_most")).otherwise(None).alias("other_vessel_id"),
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


def reconcile_spoofing(
    jumps: pl.DataFrame,
    on_land: pl.DataFrame,
    circles: pl.DataFrame,
    collisions: pl.DataFrame,
    config: SpoofingConfig,
) -> pl.DataFrame:
    """One spoofing episode, one event.

    * Jumps that flip back and forth every few hours on one MMSI (at least
      ``collision_min_switches`` within ``collision_merge_gap_h``) are two transmitters, not a
      spoofer: they become (or extend) that MMSI's ``mmsi_collision``.
    * A jump onto a circle or onto land, or off it, within ``circle_window_h`` of that
      event is part of it.
    * Circles drawn while the MMSI is shared are the two ships' fixes mixed, not a
      pattern: dropped.

    Returns:
        The spoofing events, in the ``events`` schema.
    """
    gap = pl.duration(seconds=round(config.collision_merge_gap_h * 3600))
    margin = pl.duration(seconds=round(config.circle_window_h * 3600))
    parts = [jumps, on_land, circles, collisions]
    if all(p.is_empty() for p in parts):
        return make_events(pl.DataFrame())
    flipping = pl.DataFrame()
    if not jumps.is_empty():
        ordered = jumps.sort("mmsi", "start_time")
        burst = (
            (
                (pl.col("start_time") - pl.col("end_time").shift(1).over("mmsi") > gap)
                | (pl.col("mmsi") != pl.col("mmsi").shift(1))
            )
            .fill_null(True)
            .cum_sum()
        )
        ordered = ordered.with_columns(burst.alias("_burst"))
        sizes = ordered.group_by("_burst").agg(pl.len().alias("_n"))
        ordered = ordered.join(sizes, on="_burst")
        flipping = ordered.filter(pl.col("_n") >= config.collision_min_switches)
        jumps = ordered.filter(pl.col("_n") < config.collision_min_switches).drop("_burst", "_n")
        if not flipping.is_empty():
            extra = flipping.group_by("_burst").agg(
                pl.lit("spoofing").alias("event_type"),
                pl.lit("mmsi_collision").alias("subtype"),
                pl.col("vessel_id").first(),
                pl.col("mmsi").first(),
                pl.col("mmsi").first().alias("other_mmsi"),
                pl.col("start_time").min(),
                pl.col("end_time").max(),
                pl.len().alias("_jumps"),
            )
            collisions = _merge_collisions(collisions, extra, gap)
    specific = pl.concat([on_land, circles]).select(
        "mmsi", pl.col("start_time").alias("_s"), pl.col("end_time").alias("_e")
    )
    if not jumps.is_empty() and not specific.is_empty():
        covered = (
            jumps.join(specific, on="mmsi")
            .filter((pl.col("start_time") <= pl.col("_e") + margin) & (pl.col("end_time") >= pl.col("_s") - margin))
            .select("event_id")
        )
        jumps = jumps.filter(~pl.col("event_id").is_in(covered["event_id"].implode()))
    if not circles.is_empty() and not collisions.is_empty():
        shared = collisions.select("mmsi", pl.col("start_time").alias("_s"), pl.col("end_time").alias("_e"))
        mixed = (
            circles.join(shared, on="mmsi")
            .filter((pl.col("start_time") <= pl.col("_e") + gap) & (pl.col("end_time") >= pl.col("_s") - gap))
            .select("event_id")
        )
        circles = circles.filter(~pl.col("event_id").is_in(mixed["event_id"].implode()))
    kept = [p for p in (jumps, on_land, circles, collisions) if not p.is_empty()]
    return pl.concat([conform_events(p) for p in kept]) if kept else make_events(pl.DataFrame())


def _merge_collisions(collisions: pl.DataFrame, extra: pl.DataFrame, gap: pl.Expr) -> pl.DataFrame:
    """Collision periods of one MMSI closer than ``gap`` merged into one event."""
    frame = pl.concat(
        [
            collisions.select(
                "vessel_id",
                "mmsi",
                "other_vessel_id",
                "other_mmsi",
                "start_time",
                "end_time",
                pl.col("details").str.json_path_match("$.switches").cast(pl.Int64).alias("_switches"),
                pl.lit(0, dtype=pl.Int64).alias("_jumps"),
            ),
            extra.select(
                "vessel_id",
                "mmsi",
                pl.lit(None, dtype=pl.String).alias("other_vessel_id"),
                "other_mmsi",
                "start_time",
                "end_time",
                pl.lit(0, dtype=pl.Int64).alias("_switches"),
                pl.col("_jumps").cast(pl.Int64),
            ),
        ],
        how="vertical_relaxed",
    ).sort("mmsi", "start_time")
    period = (
        (
            (pl.col("start_time") > pl.col("end_time").cum_max().shift(1).over("mmsi") + gap)
            | (pl.col("mmsi") != pl.col("mmsi").shift(1))
        )
        .fill_null(True)
        .cum_sum()
    )
    merged = (
        frame.with_columns(period.alias("_period"))
        .group_by("_period")
        .agg(
            pl.col("vessel_id").drop_nulls().first(),
            pl.col("mmsi").first(),
            pl.col("other_vessel_id").drop_nulls().first(),
            pl.col("other_mmsi").first(),
            pl.col("start_time").min(),
            pl.col("end_time").max(),
            pl.col("_switches").sum(),
            pl.col("_jumps").sum(),
        )
    )
    return make_events(
        merged.select(
            pl.lit("spoofing").alias("event_type"),
            pl.lit("mmsi_collision").alias("subtype"),
            "vessel_id",
            "mmsi",
            "other_vessel_id",
            "other_mmsi",
            "start_time",
            "end_time",
            details(switches=pl.col("_switches"), alternating_jumps=pl.col("_jumps")),
        )
    )


def conform_events(frame: pl.DataFrame) -> pl.DataFrame:
    """A detector's events with exactly the ``events`` columns."""
    return frame.select(list(EVENTS))
