"""Where every vessel is, how fast and which way, at any set of instants (vectorised).

The legs of all vessels are flattened into one table and all routes into one vertex
array; a query of N instants is answered with a handful of ``searchsorted`` calls and
array arithmetic, with no Python loop over instants. Ships do what real ones do at
each kind of leg: steady course and speed along the route under way (with sensor
noise), a few metres of GNSS jitter alongside, a slow swing around the anchor with
the tide, a slow meandering drift at sea.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from shadowfleet.geo.distance import KNOT_M_PER_S, bearing_deg
from shadowfleet.geo.routes import SeaRoute
from shadowfleet.simulate.voyage import LegKind, Voyager

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

METRES_PER_DEGREE: Final = 111_195.0
TIDAL_PERIOD_S: Final = 44_712.0
"""Semi-diurnal tide (M2), seconds: a ship at anchor swings with its reversal."""
MEANDER_PERIOD_S: Final = 3 * 3600.0
KEY_SPAN_S: Final = 1e9
"""Time span reserved per vessel in the search key, seconds (31 years)."""
KEY_OFFSET_S: Final = 1e8
"""Added to times (which may be negative during warm-up) before keying, seconds."""


@dataclass(frozen=True)
class Timeline:
    """All vessels' legs, flattened, and the routes they sail.

    Attributes:
        vessel: Vessel index of each leg (legs sorted by vessel, then time).
        start_s: Leg start, seconds since the epoch.
        end_s: Leg end.
        kind: :class:`LegKind` values.
        lat: Leg anchor point latitude, degrees.
        lon: Leg anchor point longitude, degrees.
        nav_status: Navigational status broadcast.
        route: Route index of UNDERWAY legs (-1 otherwise).
        s0_m: Distance along the route at leg start, metres.
        speed_mps: Speed, m/s.
        bearing_deg: Drift direction or heading, degrees.
        radius_m: Swing radius or meander amplitude, metres.
        offset_m: Abeam offset, metres.
        phase: Random phase of swings and meanders, radians.
        key: Search key of each leg start.
        route_lat: All routes' vertex latitudes, concatenated.
        route_lon: All routes' vertex longitudes.
        route_distance: Cumulative distance of each vertex plus its route's offset, metres.
        route_bearing: Bearing from each vertex to the next, degrees.
        route_first: First vertex of each route.
        route_last: Last vertex of each route.
        route_offset: Global distance offset of each route, metres.
        route_length: Length of each route, metres.
    """

    vessel: I64
    start_s: F64
    end_s: F64
    kind: I64
    lat: F64
    lon: F64
    nav_status: I64
    route: I64
    s0_m: F64
    speed_mps: F64
    bearing_deg: F64
    radius_m: F64
    offset_m: F64
    phase: F64
    key: F64
    route_lat: F64
    route_lon: F64
    route_distance: F64
    route_bearing: F64
    route_first: I64
    route_last: I64
    route_offset: F64
    route_length: F64


def _key(vessel: I64, t: F64) -> F64:
    return vessel.astype(np.float64) * KEY_SPAN_S + (t + KEY_OFFSET_S)


def build_timeline(voyagers: list[Voyager], rng: np.random.Generator, lazy_status: Mask) -> Timeline:
    """Flatten the legs of every vessel.

    Args:
        voyagers: The vessels' timelines, indexed by vessel.
        rng: Random generator (phases).
        lazy_status: Vessels whose crew never changes the navigational status from
            "under way" (a common slackness real port detectors must live with).
    """
    routes: dict[int, int] = {}
    route_objects: list[SeaRoute] = []
    rows: list[tuple[float, ...]] = []
    for voyager in voyagers:
        for leg in voyager.legs:
            route_index = -1
            if leg.route is not None:
                route_index = routes.setdefault(id(leg.route), len(routes))
                if route_index == len(route_objects):
                    route_objects.append(leg.route)
            status = leg.nav_status
            if lazy_status[voyager.index] and leg.kind in (LegKind.MOORED, LegKind.ANCHORED):
                status = 0
            rows.append(
                (
                    voyager.index,
                    leg.start_s,
                    leg.end_s,
                    int(leg.kind),
                    leg.lat,
                    leg.lon,
                    status,
                    route_index,
                    leg.s0_m,
                    leg.speed_mps,
                    leg.bearing_deg,
                    leg.radius_m,
                    leg.offset_m,
                )
            )
    table = np.array(rows, dtype=np.float64).reshape(-1, 13)
    order = np.lexsort((table[:, 1], table[:, 0]))
    table = table[order]
    vessel = table[:, 0].astype(np.int64)
    start = table[:, 1]
    lengths = np.array([r.length_m for r in route_objects], dtype=np.float64)
    counts = np.array([r.lat.size for r in route_objects], dtype=np.int64)
    first = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64) if counts.size else np.zeros(0, np.int64)
    offset = np.r_[0.0, np.cumsum(lengths + 1.0)[:-1]] if lengths.size else np.zeros(0)
    if route_objects:
        route_lat = np.concatenate([r.lat for r in route_objects])
        route_lon = np.concatenate([r.lon for r in route_objects])
        route_distance = np.concatenate([r.cumulative_m + o for r, o in zip(route_objects, offset, strict=True)])
        bearing = np.zeros(route_lat.size)
        bearing[:-1] = bearing_deg(route_lat[:-1], route_lon[:-1], route_lat[1:], route_lon[1:])
        last_of_route = first + counts - 1
        bearing[last_of_route] = bearing[np.maximum(last_of_route - 1, 0)]
    else:
        route_lat = route_lon = route_distance = bearing = np.zeros(0)
    return Timeline(
        vessel=vessel,
        start_s=start,
        end_s=table[:, 2],
        kind=table[:, 3].astype(np.int64),
        lat=table[:, 4],
        lon=table[:, 5],
        nav_status=table[:, 6].astype(np.int64),
        route=table[:, 7].astype(np.int64),
        s0_m=table[:, 8],
        speed_mps=table[:, 9],
        bearing_deg=table[:, 10],
        radius_m=table[:, 11],
        offset_m=table[:, 12],
        phase=rng.uniform(0, 2 * np.pi, vessel.size),
        key=_key(vessel, start),
        route_lat=route_lat,
        route_lon=route_lon,
        route_distance=route_distance,
        route_bearing=bearing,
        route_first=first,
        route_last=first + counts - 1,
        route_offset=offset,
        route_length=lengths,
    )


@dataclass(frozen=True)
class State:
    """Kinematic state of vessels at instants.

    Attributes:
        present: The instant falls within the vessel's timeline (it is in the region).
        leg: Index of the leg in the timeline (meaningless where not present).
        lat: Latitude, degrees.
        lon: Longitude, degrees, in [-180, 180).
        sog_kn: Speed over ground, knots, as the GNSS measures it.
        cog_deg: Course over ground, degrees.
        heading_deg: True heading, degrees.
        nav_status: Navigational status broadcast.
        kind: Leg kind.
        true_speed_kn: The speed of the leg, knots (drives the reporting interval).
    """

    present: Mask
    leg: I64
    lat: F64
    lon: F64
    sog_kn: F64
    cog_deg: F64
    heading_deg: F64
    nav_status: I64
    kind: I64
    true_speed_kn: F64


def leg_at(timeline: Timeline, vessel: I64, t: F64) -> tuple[I64, Mask]:
    """The leg each (vessel, instant) falls in, and whether it falls in any."""
    keys = _key(vessel, t)
    leg = np.searchsorted(timeline.key, keys, side="right") - 1
    leg = np.clip(leg, 0, max(0, timeline.key.size - 1))
    present = (timeline.vessel[leg] == vessel) & (t >= timeline.start_s[leg]) & (t < timeline.end_s[leg])
    return leg, present


def sample(timeline: Timeline, vessel: I64, t: F64, rng: np.random.Generator) -> State:
    """The state of vessels at instants (one vessel index per instant)."""
    n = t.size
    leg, present = leg_at(timeline, vessel, t)
    kind = timeline.kind[leg]
    lat = timeline.lat[leg].copy()
    lon = timeline.lon[leg].copy()
    speed = timeline.speed_mps[leg]
    elapsed = t - timeline.start_s[leg]
    sog = np.abs(rng.normal(0.0, 0.03, n))
    cog = rng.uniform(0.0, 360.0, n)
    heading = (timeline.bearing_deg[leg] + rng.normal(0.0, 0.5, n)) % 360.0

    under_way = kind == LegKind.UNDERWAY
    if under_way.any():
        i = np.flatnonzero(under_way)
        route = timeline.route[leg[i]]
        along = np.clip(timeline.s0_m[leg[i]] + speed[i] * elapsed[i], 0.0, timeline.route_length[route])
        distance = timeline.route_offset[route] + along
        vertex = np.searchsorted(timeline.route_distance, distance, side="right") - 1
        vertex = np.clip(
            vertex, timeline.route_first[route], np.maximum(timeline.route_first[route], timeline.route_last[route] - 1)
        )
        nxt = np.minimum(vertex + 1, timeline.route_last[route])
        span = timeline.route_distance[nxt] - timeline.route_distance[vertex]
        fraction = np.where(span > 0, (distance - timeline.route_distance[vertex]) / np.where(span > 0, span, 1.0), 0.0)
        lat[i] = timeline.route_lat[vertex] + fraction * (timeline.route_lat[nxt] - timeline.route_lat[vertex])
        lon[i] = timeline.route_lon[vertex] + fraction * (timeline.route_lon[nxt] - timeline.route_lon[vertex])
        course = timeline.route_bearing[vertex]
        cog[i] = (course + rng.normal(0.0, 1.0, i.size)) % 360.0
        heading[i] = (course + rng.normal(0.0, 2.0, i.size)) % 360.0
        sog[i] = np.maximum(0.0, speed[i] / KNOT_M_PER_S + rng.normal(0.0, 0.15, i.size))

    moored = kind == LegKind.MOORED
    if moored.any():
        i = np.flatnonzero(moored)
        _shift(lat, lon, i, rng.normal(0.0, 4.0, i.size), rng.normal(0.0, 4.0, i.size))

    anchored = kind == LegKind.ANCHORED
    if anchored.any():
        i = np.flatnonzero(anchored)
        phase = timeline.phase[leg[i]]
        radius = timeline.radius_m[leg[i]]
        omega = 2 * np.pi / TIDAL_PERIOD_S
        angle = np.radians(timeline.bearing_deg[leg[i]]) + (np.pi / 2) * np.sin(omega * elapsed[i] + phase)
        _shift(
            lat,
            lon,
            i,
            radius * np.sin(angle) + rng.normal(0, 4.0, i.size),
            radius * np.cos(angle) + rng.normal(0, 4.0, i.size),
        )
        swing_speed = radius * (np.pi / 2) * omega * np.abs(np.cos(omega * elapsed[i] + phase))
        sog[i] = np.abs(swing_speed / KNOT_M_PER_S + rng.normal(0.0, 0.05, i.size))
        heading[i] = (np.degrees(angle) + 180.0 + rng.normal(0.0, 2.0, i.size)) % 360.0

    drifting = kind == LegKind.DRIFTING
    if drifting.any():
        i = np.flatnonzero(drifting)
        direction = np.radians(timeline.bearing_deg[leg[i]])
        amplitude = timeline.radius_m[leg[i]]
        omega = 2 * np.pi / MEANDER_PERIOD_S
        phase = omega * elapsed[i]
        along = speed[i] * elapsed[i]
        across = amplitude * np.sin(phase) + timeline.offset_m[leg[i]]
        east = along * np.sin(direction) + across * np.cos(direction)
        north = along * np.cos(direction) - across * np.sin(direction)
        _shift(lat, lon, i, east + rng.normal(0, 4.0, i.size), north + rng.normal(0, 4.0, i.size))
        across_rate = amplitude * omega * np.cos(phase)
        velocity = np.hypot(speed[i], across_rate)
        sog[i] = np.abs(velocity / KNOT_M_PER_S + rng.normal(0.0, 0.05, i.size))
        course = np.degrees(direction + np.arctan2(across_rate, np.maximum(speed[i], 1e-9)))
        cog[i] = (course + rng.normal(0.0, 3.0, i.size)) % 360.0
        heading[i] = (np.degrees(direction) + 60.0 + rng.normal(0.0, 5.0, i.size)) % 360.0

    lon = (lon + 180.0) % 360.0 - 180.0
    return State(
        present=present,
        leg=leg,
        lat=lat,
        lon=lon,
        sog_kn=sog,
        cog_deg=cog,
        heading_deg=heading,
        nav_status=timeline.nav_status[leg],
        kind=kind,
        true_speed_kn=speed / KNOT_M_PER_S,
    )


def _shift(lat: F64, lon: F64, index: I64, east_m: F64, north_m: F64) -> None:
    """Move points by metres east and north (small offsets, flat-Earth)."""
    base = lat[index]
    lat[index] = base + north_m / METRES_PER_DEGREE
    lon[index] = lon[index] + east_m / (METRES_PER_DEGREE * np.cos(np.radians(base)))
