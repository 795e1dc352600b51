"""Run a scenario: plan the fleet, sample what is transmitted and received, build the truth."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.config import EncounterConfig, LoiteringConfig, SimulateConfig
from shadowfleet.errors import ConfigError
from shadowfleet.simulate.behaviours import Fleet, VesselRecord, identity_at
from shadowfleet.simulate.fleet import Identity
from shadowfleet.simulate.motion import KEY_OFFSET_S, KEY_SPAN_S, Timeline, build_timeline, leg_at, sample
from shadowfleet.simulate.reception import (
    SATELLITES,
    Reception,
    coverage_grid,
    density_grid,
    in_pass,
    itu_interval_s,
    place_stations,
    satellite_passes,
    terrestrial_candidates,
)
from shadowfleet.simulate.scenario import Scenario, scenario_named
from shadowfleet.simulate.voyage import DAY, NAV_AT_ANCHOR, Spoof, TruthEvent

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

VESSELS_PER_CHUNK: Final = 250
"""Vessels whose transmissions are generated together (bounds memory at scale)."""
METRES_PER_DEGREE: Final = 111_195.0

Progress = Callable[[str, float], None]
"""Called with a stage name and the fraction of the stage done."""


@dataclass
class Simulation:
    """A simulated scenario: the AIS received and what really happened.

    Attributes:
        scenario: The scenario as run (with overrides applied).
        seed: The seed.
        config: Simulation settings.
        vessels: The fleet with every vessel's timeline.
        positions: Received position reports, in no particular order (writers sort
            each day): ``vessel`` (index),
            ``timestamp``, ``mmsi``, ``lat``, ``lon``, ``sog_kn``, ``cog_deg``,
            ``heading_deg``, ``nav_status``, ``msg_type``, ``receiver_class``,
            ``receiver_id``, ``spoofed``.
        statics: Received static and voyage reports, unordered: ``vessel``,
            ``timestamp``, ``mmsi``, ``imo``, ``name``, ``call_sign``, ``ship_type``,
            ``to_bow_m``, ``to_stern_m``, ``to_port_m``, ``to_starboard_m``,
            ``draught_m``, ``destination``, ``eta``, ``transponder_class``,
            ``receiver_class``, ``receiver_id``.
        truth: The ground truth, ready for ``truth.json``.
        stations: Names and positions of the coastal receivers.
    """

    scenario: Scenario
    seed: int
    config: SimulateConfig
    vessels: list[VesselRecord]
    positions: pl.DataFrame
    statics: pl.DataFrame
    truth: dict[str, Any]
    stations: pl.DataFrame


def simulate(
    name: str | Scenario,
    *,
    seed: int = 1,
    days: int | None = None,
    vessels: int | None = None,
    config: SimulateConfig | None = None,
    progress: Progress | None = None,
) -> Simulation:
    """Simulate a scenario.

    Args:
        name: Scenario name (``dprk-coal``, ``baseline``, ``scale``) or a scenario.
        seed: Random seed; the same seed gives the same output.
        days: Days of data (the scenario's default when None).
        vessels: Number of vessels (the scenario's default when None).
        config: Simulation settings.
        progress: Receives (stage, fraction) updates.

    Raises:
        ConfigError: On an unknown scenario or a non-positive size.
    """
    base = scenario_named(name) if isinstance(name, str) else name
    scenario = dataclasses.replace(base, days=days or base.days, vessels=vessels or base.vessels)
    if scenario.days < 1 or scenario.vessels < 1:
        raise ConfigError("--days and --vessels must be at least 1")
    config = config or SimulateConfig()
    report = progress or (lambda stage, fraction: None)
    rng = np.random.default_rng(seed)
    start_s, end_s = 0.0, scenario.days * DAY

    report("planning voyages", 0.0)
    fleet = Fleet(scenario, config, rng, start_s, end_s)
    records = fleet.build()
    report("planning voyages", 1.0)

    lazy = np.array([not r.evader and rng.random() < 0.1 for r in records])
    timeline = build_timeline([r.voyager for r in records], rng, lazy)
    stations = place_stations(scenario, config, rng, start_s, end_s, fleet.world.sea)
    reception = Reception(
        config,
        stations,
        coverage_grid(stations, scenario.region),
        density_grid(timeline, start_s, end_s, scenario.traffic_scale, scenario.region, rng),
        satellite_passes(config, rng, scenario.region, start_s, end_s),
    )
    class_b = np.array([r.hull.transponder_class == "B" for r in records])
    broadcasts = Broadcasts.of(records)
    position_parts: list[pl.DataFrame] = []
    static_parts: list[pl.DataFrame] = []
    n_chunks = max(1, int(np.ceil(len(records) / VESSELS_PER_CHUNK)))
    for chunk in range(n_chunks):
        members = np.arange(chunk * VESSELS_PER_CHUNK, min(len(records), (chunk + 1) * VESSELS_PER_CHUNK))
        position_parts.append(
            _positions(timeline, reception, records, broadcasts, members, class_b, start_s, end_s, scenario.start, rng)
        )
        static_parts.append(
            _statics(timeline, reception, records, broadcasts, members, class_b, start_s, end_s, scenario.start, rng)
        )
        report("sampling transmissions and reception", (chunk + 1) / n_chunks)
    # Not sorted as a whole (a copy of ten million rows): writers sort each day.
    positions = pl.concat(position_parts, rechunk=False)
    statics = pl.concat(static_parts, rechunk=False)
    del position_parts, static_parts
    report("building the ground truth", 0.0)
    truth = _truth(scenario, seed, records, fleet.truth, positions, statics, start_s, end_s)
    report("building the ground truth", 1.0)
    station_table = pl.DataFrame(
        {"name": list(stations.name), "lat": stations.lat, "lon": stations.lon, "range_m": stations.range_m}
    )
    return Simulation(scenario, seed, config, records, positions, statics, truth, station_table)


def _timestamps(epoch: datetime, t: F64) -> pl.Series:
    micros = np.floor(t * 1e6).astype(np.int64) + int(epoch.timestamp() * 1e6)
    return pl.Series("timestamp", micros).cast(pl.Datetime("us", "UTC"))


@dataclass(frozen=True)
class Periods:
    """Periods of many vessels (non-overlapping within a vessel), searchable in bulk.

    Attributes:
        key: Search key of each period's start (sorted).
        vessel: Vessel of each period.
        end: End of each period, seconds since the epoch.
        item: Index of what the period carries (an identity, a draught...).
    """

    key: F64
    vessel: I64
    end: F64
    item: I64

    @classmethod
    def build(cls, vessel: list[int], start: list[float], end: list[float], item: list[int] | None = None) -> Periods:
        """Index periods given as parallel lists."""
        v = np.asarray(vessel, dtype=np.int64)
        key = v.astype(np.float64) * KEY_SPAN_S + (np.asarray(start, dtype=np.float64) + KEY_OFFSET_S)
        order = np.argsort(key, kind="stable")
        items = np.arange(v.size) if item is None else np.asarray(item, dtype=np.int64)
        return cls(key[order], v[order], np.asarray(end, dtype=np.float64)[order], items[order])

    @classmethod
    def steps(cls, vessel: list[int], start: list[float], item: list[int] | None = None) -> Periods:
        """Index values that hold from their start until the vessel's next one."""
        v = np.asarray(vessel, dtype=np.int64)
        t = np.asarray(start, dtype=np.float64)
        order = np.lexsort((t, v))
        end = np.full(v.size, np.inf)
        same = v[order][1:] == v[order][:-1]
        end_sorted = np.where(same, t[order][1:], np.inf)
        end[order[:-1]] = end_sorted
        return cls.build(vessel, start, list(end), item)

    def find(self, vessel: I64, t: F64) -> I64:
        """Item of the period each (vessel, instant) falls in, or -1."""
        if self.key.size == 0:
            return np.full(t.size, -1, dtype=np.int64)
        key = vessel.astype(np.float64) * KEY_SPAN_S + (t + KEY_OFFSET_S)
        k = np.clip(np.searchsorted(self.key, key, side="right") - 1, 0, None)
        start = self.key[k] - self.vessel[k].astype(np.float64) * KEY_SPAN_S - KEY_OFFSET_S
        inside = (self.vessel[k] == vessel) & (t >= start - 1e-6) & (t < self.end[k])
        return np.where(inside, self.item[k], -1)


@dataclass(frozen=True)
class Broadcasts:
    """What each vessel's transponder says and when it is silent, indexed for bulk lookup.

    Attributes:
        off: Periods with the transponder off.
        spoof: Spoofing periods (items index ``spoofs``).
        spoofs: The spoofing periods' parameters.
        identity: Identity periods (items index the identity arrays).
        mmsi: MMSI of each identity.
        imo: IMO of each identity (0 for none).
        name: Name of each identity.
        call_sign: Call sign of each identity.
        draught: Reported draught periods (items index ``draught_m``).
        draught_m: Reported draughts, metres.
        voyage: Destination periods (items index ``destination`` and ``eta_s``).
        destination: Destination texts.
        eta_s: ETAs, seconds since the epoch (NaN: none).
    """

    off: Periods
    spoof: Periods
    spoofs: list[Spoof]
    identity: Periods
    mmsi: I64
    imo: I64
    name: npt.NDArray[np.str_]
    call_sign: npt.NDArray[np.str_]
    draught: Periods
    draught_m: F64
    voyage: Periods
    destination: npt.NDArray[np.str_]
    eta_s: F64

    @classmethod
    def of(cls, records: list[VesselRecord]) -> Broadcasts:
        """Index every vessel's broadcasts."""
        off: list[tuple[int, float, float]] = []
        spoofs: list[tuple[int, Spoof]] = []
        identities: list[tuple[int, float, Identity]] = []
        draughts: list[tuple[int, float, float]] = []
        voyages: list[tuple[int, float, str, float]] = []
        for record in records:
            voyager = record.voyager
            off += [(record.index, start, end) for start, end in voyager.off]
            spoofs += [(record.index, spoof) for spoof in voyager.spoofs]
            identities += [(record.index, start, identity) for start, identity in voyager.identities]
            draughts += [(record.index, start, value) for start, value in voyager.reported_draught]
            voyages += [(record.index, start, text, eta) for start, text, eta in voyager.destinations]
        off_v, off_s, off_e = [o[0] for o in off], [o[1] for o in off], [o[2] for o in off]
        spoof_v = [v for v, _ in spoofs]
        spoof_s, spoof_e = [sp.start_s for _, sp in spoofs], [sp.end_s for _, sp in spoofs]
        id_v, id_s = [i[0] for i in identities], [i[1] for i in identities]
        dr_v, dr_s = [d[0] for d in draughts], [d[1] for d in draughts]
        vo_v, vo_s = [v[0] for v in voyages], [v[1] for v in voyages]
        ids = [i[2] for i in identities]
        return cls(
            off=Periods.build(off_v, off_s, off_e),
            spoof=Periods.build(spoof_v, spoof_s, spoof_e),
            spoofs=[sp for _, sp in spoofs],
            identity=Periods.steps(id_v, id_s),
            mmsi=np.array([i.mmsi for i in ids], dtype=np.int64),
            imo=np.array([i.imo for i in ids], dtype=np.int64),
            name=np.array([i.name for i in ids], dtype=str),
            call_sign=np.array([i.call_sign for i in ids], dtype=str),
            draught=Periods.steps(dr_v, dr_s),
            draught_m=np.array([d[2] for d in draughts], dtype=np.float64),
            voyage=Periods.steps(vo_v, vo_s),
            destination=np.array([*(v[2] for v in voyages), ""], dtype=str),
            eta_s=np.array([*(v[3] for v in voyages), np.nan], dtype=np.float64),
        )


def _apply_spoofs(
    broadcasts: Broadcasts,
    vessel: I64,
    t: F64,
    lat: F64,
    lon: F64,
    sog: F64,
    cog: F64,
    nav: I64,
    rng: np.random.Generator,
) -> Mask:
    """Replace broadcast positions inside spoofing periods; returns which rows were spoofed."""
    which = broadcasts.spoof.find(vessel, t)
    spoofed = which >= 0
    if not spoofed.any():
        return spoofed
    rows = np.flatnonzero(spoofed)
    spoofs = broadcasts.spoofs
    kind = np.array([spoofs[k].kind for k in which[rows]])
    centre_lat = np.array([spoofs[k].lat for k in which[rows]])
    centre_lon = np.array([spoofs[k].lon for k in which[rows]])
    start = np.array([spoofs[k].start_s for k in which[rows]])
    radius = np.array([spoofs[k].radius_m for k in which[rows]])
    period = np.array([max(spoofs[k].period_s, 1.0) for k in which[rows]])
    north = rng.normal(0.0, 8.0, rows.size)
    east = rng.normal(0.0, 8.0, rows.size)
    circle = kind == "circle"
    angle = 2 * np.pi * (t[rows] - start) / period
    north = np.where(circle, radius * np.cos(angle), north)
    east = np.where(circle, radius * np.sin(angle), east)
    sog[rows] = np.where(circle, radius * 2 * np.pi / period / (1852.0 / 3600.0), sog[rows])
    cog[rows] = np.where(circle, (np.degrees(angle) + 90.0) % 360.0, cog[rows])
    fake = kind == "fake_position"
    sog[rows] = np.where(fake, np.abs(rng.normal(0.0, 0.05, rows.size)), sog[rows])
    nav[rows] = np.where(fake, NAV_AT_ANCHOR, nav[rows])
    lat[rows] = centre_lat + north / METRES_PER_DEGREE
    lon[rows] = centre_lon + east / (METRES_PER_DEGREE * np.cos(np.radians(centre_lat)))
    return spoofed


def _identity_columns(broadcasts: Broadcasts, vessel: I64, t: F64) -> dict[str, npt.NDArray[Any]]:
    """The identity each vessel broadcasts at each instant."""
    k = np.maximum(broadcasts.identity.find(vessel, t), 0)
    return {
        "mmsi": broadcasts.mmsi[k],
        "imo": broadcasts.imo[k],
        "name": broadcasts.name[k],
        "call_sign": broadcasts.call_sign[k],
    }


def _positions(
    timeline: Timeline,
    reception: Reception,
    records: list[VesselRecord],
    broadcasts: Broadcasts,
    members: I64,
    class_b: Mask,
    start_s: float,
    end_s: float,
    epoch: datetime,
    rng: np.random.Generator,
) -> pl.DataFrame:
    config = reception.config
    legs = np.flatnonzero(np.isin(timeline.vessel, members))
    legs = legs[(timeline.end_s[legs] > start_s) & (timeline.start_s[legs] < end_s)]
    leg_speed = timeline.speed_mps[legs] / (1852.0 / 3600.0)
    interval = np.maximum(
        itu_interval_s(timeline.kind[legs], leg_speed, class_b[timeline.vessel[legs]]), config.provider_interval_s
    )
    leg_of, t = terrestrial_candidates(timeline, legs, interval, start_s, end_s, rng)
    vessel = timeline.vessel[leg_of]
    state = sample(timeline, vessel, t, rng)
    received, station = reception.terrestrial(state.lat, state.lon, t, class_b[vessel], rng)
    terrestrial = {
        "vessel": vessel[received],
        "t": t[received],
        "receiver": station[received],
        "satellite": np.zeros(int(received.sum()), dtype=bool),
    }

    # Satellite: every pass over each vessel's longitude band.
    passes = reception.passes
    v_grid = np.repeat(members, passes.start_s.size)
    p_grid = np.tile(np.arange(passes.start_s.size), members.size)
    mid = passes.start_s[p_grid] + config.satellite_pass_duration_s / 2
    in_window = (mid > start_s) & (mid < end_s)
    v_grid, p_grid, mid = v_grid[in_window], p_grid[in_window], mid[in_window]
    leg, present = leg_at(timeline, v_grid, mid)
    v_grid, p_grid, mid, leg = v_grid[present], p_grid[present], mid[present], leg[present]
    at_pass = sample(timeline, v_grid, mid, rng)
    same_band = np.floor(at_pass.lon / 10.0).astype(np.int64) == passes.band[p_grid]
    v_grid, p_grid, at_pass_lat, at_pass_lon = (
        v_grid[same_band],
        p_grid[same_band],
        at_pass.lat[same_band],
        at_pass.lon[same_band],
    )
    raw = itu_interval_s(at_pass.kind[same_band], at_pass.true_speed_kn[same_band], class_b[v_grid])
    n_tx = np.maximum(1, np.round(config.satellite_pass_duration_s / raw)).astype(np.int64)
    probability = reception.satellite_probability(at_pass_lat, at_pass_lon, class_b[v_grid])
    k = rng.binomial(n_tx, probability)
    sat_vessel = np.repeat(v_grid, k)
    sat_pass = np.repeat(p_grid, k)
    sat_t = passes.start_s[sat_pass] + rng.uniform(0, config.satellite_pass_duration_s, sat_vessel.size)
    keep = (sat_t >= start_s) & (sat_t < end_s)
    satellite = {
        "vessel": sat_vessel[keep],
        "t": sat_t[keep],
        "receiver": passes.satellite[sat_pass[keep]],
        "satellite": np.ones(int(keep.sum()), dtype=bool),
    }

    vessel = np.r_[terrestrial["vessel"], satellite["vessel"]].astype(np.int64)
    t = np.r_[terrestrial["t"], satellite["t"]]
    receiver = np.r_[terrestrial["receiver"], satellite["receiver"]].astype(np.int64)
    is_satellite = np.r_[terrestrial["satellite"], satellite["satellite"]]
    on = broadcasts.off.find(vessel, t) < 0
    vessel, t, receiver, is_satellite = vessel[on], t[on], receiver[on], is_satellite[on]
    state = sample(timeline, vessel, t, rng)
    present = state.present
    vessel, t, receiver, is_satellite = vessel[present], t[present], receiver[present], is_satellite[present]
    lat, lon = state.lat[present], state.lon[present]
    sog, cog, heading = state.sog_kn[present], state.cog_deg[present], state.heading_deg[present]
    nav = state.nav_status[present].copy()
    spoofed = _apply_spoofs(broadcasts, vessel, t, lat, lon, sog, cog, nav, rng)
    identity = _identity_columns(broadcasts, vessel, t)
    msg_type = np.where(class_b[vessel], 18, np.where(rng.random(t.size) < 0.1, 3, 1))
    station_names = np.array([*reception.stations.name, ""], dtype=object)
    receiver_id = np.where(
        is_satellite,
        np.array(SATELLITES, dtype=object)[np.clip(receiver, 0, len(SATELLITES) - 1)],
        station_names[np.where(receiver >= 0, receiver, len(station_names) - 1)],
    )
    return pl.DataFrame(
        {
            "vessel": vessel,
            "timestamp": _timestamps(epoch, t),
            "mmsi": identity["mmsi"],
            "lat": lat,
            "lon": lon,
            "sog_kn": np.round(np.minimum(sog, 102.2), 1),
            "cog_deg": np.round(cog, 1) % 360.0,
            "heading_deg": np.round(heading).astype(np.int64) % 360,
            "nav_status": nav,
            "msg_type": msg_type,
            "receiver_class": np.where(is_satellite, "satellite", "terrestrial"),
            "receiver_id": receiver_id.astype(str),
            "spoofed": spoofed,
        },
        schema_overrides={"mmsi": pl.Int64, "nav_status": pl.Int64, "msg_type": pl.Int64, "vessel": pl.Int64},
    )


def _statics(
    timeline: Timeline,
    reception: Reception,
    records: list[VesselRecord],
    broadcasts: Broadcasts,
    members: I64,
    class_b: Mask,
    start_s: float,
    end_s: float,
    epoch: datetime,
    rng: np.random.Generator,
) -> pl.DataFrame:
    config = reception.config
    interval = config.static_interval_s
    first = np.array(
        [max(start_s, records[v].voyager.legs[0].start_s) if records[v].voyager.legs else end_s for v in members]
    )
    last = np.array(
        [min(end_s, records[v].voyager.legs[-1].end_s) if records[v].voyager.legs else start_s for v in members]
    )
    phase = rng.uniform(0, interval, members.size)
    n = np.maximum(0, np.floor((last - first - phase) / interval).astype(np.int64) + 1)
    owner = np.repeat(np.arange(members.size), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    vessel = members[owner]
    t = first[owner] + phase[owner] + k * interval
    state = sample(timeline, vessel, t, rng)
    keep = state.present & (broadcasts.off.find(vessel, t) < 0)
    vessel, t, lat, lon = vessel[keep], t[keep], state.lat[keep], state.lon[keep]
    terrestrial, station = reception.terrestrial(lat, lon, t, class_b[vessel], rng)
    in_sat, pass_index = in_pass(reception.passes, lon, t, config.satellite_pass_duration_s)
    by_satellite = (
        ~terrestrial & in_sat & (rng.random(t.size) < reception.satellite_probability(lat, lon, class_b[vessel]))
    )
    got = terrestrial | by_satellite
    vessel, t, station, by_satellite, pass_index = vessel[got], t[got], station[got], by_satellite[got], pass_index[got]
    identity = _identity_columns(broadcasts, vessel, t)
    reported = broadcasts.draught.find(vessel, t)
    draught = np.where(reported >= 0, broadcasts.draught_m[np.maximum(reported, 0)], np.nan)
    voyage = broadcasts.voyage.find(vessel, t)  # -1 picks the empty entry at the end
    destination = broadcasts.destination[voyage]
    eta = broadcasts.eta_s[voyage]
    length = np.array([r.hull.length_m for r in records])[vessel]
    beam = np.array([r.hull.beam_m for r in records])[vessel]
    bow = np.round(length * 0.55)
    station_names = np.array([*reception.stations.name, ""], dtype=object)
    receiver_id = np.where(
        by_satellite,
        np.array(SATELLITES, dtype=object)[reception.passes.satellite[pass_index]]
        if pass_index.size
        else np.array([], dtype=object),
        station_names[np.where(station >= 0, station, len(station_names) - 1)],
    )
    eta_missing = np.isnan(eta)
    eta_series = _timestamps(epoch, np.where(eta_missing, 0.0, eta))
    return pl.DataFrame(
        {
            "vessel": vessel,
            "timestamp": _timestamps(epoch, t),
            "mmsi": identity["mmsi"],
            "imo": identity["imo"],
            "name": identity["name"],
            "call_sign": identity["call_sign"],
            "ship_type": np.array([r.hull.ship_type for r in records], dtype=np.int64)[vessel],
            "to_bow_m": bow.astype(np.int64),
            "to_stern_m": (length - bow).astype(np.int64),
            "to_port_m": np.floor(beam / 2).astype(np.int64),
            "to_starboard_m": (beam - np.floor(beam / 2)).round().astype(np.int64),
            "draught_m": draught,
            "destination": destination.astype(str),
            "eta": eta_series,
            "transponder_class": np.where(class_b[vessel], "B", "A"),
            "receiver_class": np.where(by_satellite, "satellite", "terrestrial"),
            "receiver_id": receiver_id.astype(str),
        },
        schema_overrides={"mmsi": pl.Int64, "imo": pl.Int64, "vessel": pl.Int64},
    ).with_columns(
        pl.when(pl.col("imo") > 0).then(pl.col("imo")).alias("imo"),
        pl.when(pl.Series(eta_missing)).then(None).otherwise(pl.col("eta")).alias("eta"),
    )


def _iso(epoch: datetime, t: float) -> str | None:
    if not np.isfinite(t):
        return None
    return (epoch + timedelta(seconds=float(t))).strftime("%Y-%m-%dT%H:%M:%SZ")


def _counts_between(times_by_vessel: dict[int, F64], vessel: int, start: float, end: float) -> int:
    times = times_by_vessel.get(vessel)
    if times is None:
        return 0
    return int(np.searchsorted(times, end, side="right") - np.searchsorted(times, start, side="left"))


def _observable(event: TruthEvent, position_times: dict[int, F64], static_times: dict[int, F64]) -> bool:
    """Whether the received data holds the evidence a detector needs for an event."""
    hour = 3600.0
    vessels = [event.vessel] + ([event.other] if event.other is not None else [])
    start, end = event.start_s, min(event.end_s, 1e12)
    kind = event.event_type
    if kind == "ais_gap":
        # Bounded by data on both sides: the vessel was received in the day before the
        # gap and after it.
        return (
            _counts_between(position_times, event.vessel, start - DAY, start) > 0
            and _counts_between(position_times, event.vessel, end, end + DAY) > 0
        )
    if kind == "dark_port_call":
        # Inferable from the silence around it once that silence is bounded by data:
        # the vessel was received at some time before the call and again after it (a
        # call inside a fortnight's silence is still inside a closed gap).
        return (
            _counts_between(position_times, event.vessel, -np.inf, start) > 0
            and _counts_between(position_times, event.vessel, end, np.inf) > 0
        )
    if kind == "identity_change":
        # The old and the new identity must both have been heard (at any time in the
        # data); an MMSI change also needs positions on both sides.
        heard = (
            _counts_between(static_times, event.vessel, -np.inf, start) > 0
            and _counts_between(static_times, event.vessel, start, np.inf) > 0
        )
        if event.subtype in ("mmsi", "flag"):
            heard = heard and (
                _counts_between(position_times, event.vessel, -np.inf, start) > 0
                and _counts_between(position_times, event.vessel, start, np.inf) > 0
            )
        return heard
    if kind == "identity_anomaly":
        return _counts_between(static_times, event.vessel, start, end) > 0
    if kind == "draught_change":
        # The evidence is a change of the draught the crew types into the AIS: none
        # when this crew never updates it, however many static reports there are.
        return (
            bool(event.details.get("reported_in_ais", True))
            and _counts_between(static_times, event.vessel, start - 7 * DAY, start) > 0
            and _counts_between(static_times, event.vessel, end + 6 * hour, end + 7 * DAY) > 0
        )
    if kind in MIN_OBSERVED_H:
        # The design defines these by a minimum duration (loitering 4 h, encounters 2 h):
        # the data must cover that much of the event for each vessel in it.
        return all(_observed_span_s(position_times, v, start, end) >= MIN_OBSERVED_H[kind] * hour for v in vessels)
    return all(_counts_between(position_times, v, start, end) >= 2 for v in vessels)


MIN_OBSERVED_H: Final = {
    "loitering": LoiteringConfig().min_duration_h,
    "encounter": EncounterConfig().min_duration_h,
}
"""Received time an event needs to be observable, hours (the detectors' definitions)."""


def _observed_span_s(times_by_vessel: dict[int, F64], vessel: int, start: float, end: float) -> float:
    """Time between the vessel's first and last position inside a period, seconds."""
    times = times_by_vessel.get(vessel)
    if times is None:
        return 0.0
    inside = times[np.searchsorted(times, start, side="left") : np.searchsorted(times, end, side="right")]
    return float(inside[-1] - inside[0]) if inside.size > 1 else 0.0


def _times_by_vessel(frame: pl.DataFrame, epoch: datetime) -> dict[int, F64]:
    seconds = (frame["timestamp"].dt.epoch("us").to_numpy() - int(epoch.timestamp() * 1e6)) / 1e6
    vessel = frame["vessel"].to_numpy()
    order = np.lexsort((seconds, vessel))
    vessel, seconds = vessel[order], seconds[order]
    bounds = np.flatnonzero(np.diff(vessel)) + 1
    return {int(v[0]): s for v, s in zip(np.split(vessel, bounds), np.split(seconds, bounds), strict=True) if v.size}


def _truth(
    scenario: Scenario,
    seed: int,
    records: list[VesselRecord],
    events: list[TruthEvent],
    positions: pl.DataFrame,
    statics: pl.DataFrame,
    start_s: float,
    end_s: float,
) -> dict[str, Any]:
    epoch = scenario.start
    position_times = _times_by_vessel(positions, epoch)
    static_times = _times_by_vessel(statics, epoch)
    out_events = []
    for event in sorted(events, key=lambda e: (e.start_s, e.vessel, e.event_type)):
        if event.end_s < start_s or event.start_s >= end_s:
            continue
        identity = identity_at(records[event.vessel].voyager, max(event.start_s, start_s))
        other_identity = (
            identity_at(records[event.other].voyager, max(event.start_s, start_s)) if event.other is not None else None
        )
        out_events.append(
            {
                "event_type": event.event_type,
                "subtype": event.subtype,
                "vessel": records[event.vessel].key,
                "mmsi": identity.mmsi,
                "imo": identity.imo or None,
                "other_vessel": records[event.other].key if event.other is not None else None,
                "other_mmsi": other_identity.mmsi if other_identity else None,
                "start_time": _iso(epoch, event.start_s),
                "end_time": _iso(epoch, event.end_s) if np.isfinite(event.end_s) else _iso(epoch, end_s),
                "lat": round(event.lat, 5),
                "lon": round(event.lon, 5),
                "port_name": event.port.berth.name if event.port else None,
                "port_locode": event.port.locode if event.port else None,
                "port_country": event.port.berth.country_iso2 if event.port else None,
                "deliberate": event.deliberate,
                "observable": _observable(event, position_times, static_times),
                "details": event.details,
            }
        )
    vessels_out = []
    for record in records:
        voyager = record.voyager
        identities = []
        for k, (since, identity) in enumerate(voyager.identities):
            until = voyager.identities[k + 1][0] if k + 1 < len(voyager.identities) else end_s
            if until < start_s and k + 1 < len(voyager.identities):
                continue
            identities.append(
                {
                    "valid_from": _iso(epoch, max(since, start_s)),
                    "valid_to": _iso(epoch, until),
                    "mmsi": identity.mmsi,
                    "imo": identity.imo or None,
                    "name": identity.name,
                    "call_sign": identity.call_sign,
                    "flag_iso2": identity.flag_iso2 or None,
                    "registered_flag_iso2": identity.registered_flag_iso2,
                }
            )
        hull = record.hull
        vessels_out.append(
            {
                "vessel": record.key,
                "role": record.role,
                "evader": record.evader,
                "ship_class": str(hull.ship_class),
                "ship_type": hull.ship_type,
                "length_m": hull.length_m,
                "beam_m": hull.beam_m,
                "design_draught_m": hull.design_draught_m,
                "deadweight_t": hull.deadweight_t,
                "tpc_t_per_cm": round(hull.tpc_t_per_cm, 2),
                "transponder_class": hull.transponder_class,
                "updates_draught": voyager.updates_draught,
                "sanctions_listed": record.listed,
                "identities": identities,
                "positions_received": int(position_times.get(record.index, np.zeros(0)).size),
            }
        )
    voyages, totals = _voyages(records, epoch, start_s, end_s)
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": seed,
        "start": _iso(epoch, start_s),
        "end": _iso(epoch, end_s),
        "region": dataclasses.asdict(scenario.region),
        "vessels": vessels_out,
        "events": out_events,
        "voyages": voyages,
        "totals": totals,
        "counts": {
            "vessels": len(records),
            "evaders": sum(r.evader for r in records),
            "positions": positions.height,
            "statics": statics.height,
            "events": len(out_events),
        },
    }


def _voyages(
    records: list[VesselRecord], epoch: datetime, start_s: float, end_s: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    for record in records:
        voyager = record.voyager
        for parcel in [*voyager.finished, *voyager.cargo]:
            load_s = parcel.load_s
            discharge_s = parcel.discharge_s
            if discharge_s is not None and discharge_s < start_s:
                continue
            if load_s >= end_s:
                continue
            rows.append(
                {
                    "vessel": records[parcel.vessel].key,
                    "loaded_by": records[parcel.via[0]].key if parcel.via else records[parcel.vessel].key,
                    "via": [records[i].key for i in parcel.via],
                    "commodity": parcel.commodity,
                    "tonnes": round(parcel.tonnes, 1),
                    "load_port": parcel.load_port.berth.name if parcel.load_port else None,
                    "load_locode": parcel.load_port.locode if parcel.load_port else None,
                    "load_country": parcel.load_port.berth.country_iso2 if parcel.load_port else None,
                    "load_time": _iso(epoch, load_s),
                    "discharge_port": parcel.discharge_port.berth.name if parcel.discharge_port else None,
                    "discharge_locode": parcel.discharge_port.locode if parcel.discharge_port else None,
                    "discharge_country": parcel.discharge_port.berth.country_iso2 if parcel.discharge_port else None,
                    "discharge_time": _iso(epoch, discharge_s) if discharge_s is not None else None,
                    "discharged_in_period": discharge_s is not None and start_s <= discharge_s < end_s,
                }
            )
    totals: dict[tuple[str, str, str], float] = {}
    for row in rows:
        if row["discharged_in_period"] and row["load_country"]:
            key = (str(row["load_country"]), str(row["discharge_country"]), str(row["commodity"]))
            totals[key] = totals.get(key, 0.0) + float(row["tonnes"])
    total_rows = [
        {"origin_country": o, "destination_country": d, "commodity": c, "tonnes": round(t, 1)}
        for (o, d, c), t in sorted(totals.items())
    ]
    return rows, total_rows
