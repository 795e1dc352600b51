"""Route deviation: voyages sailed far longer than the sea route and than their peers."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from shadowfleet.config import RouteDeviationConfig
from shadowfleet.errors import ConfigError
from shadowfleet.events.common import make_events
from shadowfleet.events.routes import detect_route_deviations
from shadowfleet.geo.land import open_water_near
from shadowfleet.geo.routes import densify, sea_route
from tests.track_builders import T0

QINGDAO = (36.000193, 120.197056)
DALIAN = (39.074132, 123.138022)
OPEN_SEA = (37.2, 123.6)  # the middle of the Yellow Sea, off the direct lane


def _path(*points: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    lats, lons = [], []
    waypoints = [open_water_near(*p, clearance_m=300.0, max_radius_m=30_000.0) for p in points]
    for a, b in itertools.pairwise(waypoints):
        route = sea_route(*a, *b)
        lat, lon = densify(np.asarray(route.lat), np.asarray(route.lon), 2_000.0)
        lats.append(lat)
        lons.append(lon)
    return np.concatenate(lats), np.concatenate(lons)


def _voyage(index: int, depart: datetime, *points: tuple[float, float], stop_h: float = 0.0) -> tuple[list, list]:
    """Fixes of one voyage at 12 kn through ``points``, and its two port visits."""
    lat, lon = _path(*points)
    step_s = 2_000.0 / (12 * 1852 / 3600)
    times = [depart + timedelta(seconds=step_s * i) for i in range(lat.size)]
    if stop_h:  # a long stop half way
        half = lat.size // 2
        times = times[:half] + [t + timedelta(hours=stop_h) for t in times[half:]]
        lat = np.insert(lat, half, lat[half])
        lon = np.insert(lon, half, lon[half])
        times.insert(half, times[half - 1] + timedelta(hours=stop_h * 0.9))
    vessel = f"R{index:02d}"
    fixes = [
        {"vessel_id": vessel, "mmsi": 413_100_000 + index, "timestamp": t, "lat": float(a), "lon": float(o)}
        for t, a, o in zip(times, lat, lon, strict=True)
    ]
    visits = [
        {
            "event_type": "port_visit",
            "vessel_id": vessel,
            "mmsi": 413_100_000 + index,
            "start_time": depart - timedelta(hours=20),
            "end_time": depart,
            "port_name": "QINGDAO",
            "lat": QINGDAO[0],
            "lon": QINGDAO[1],
        },
        {
            "event_type": "port_visit",
            "vessel_id": vessel,
            "mmsi": 413_100_000 + index,
            "start_time": times[-1],
            "end_time": times[-1] + timedelta(hours=20),
            "port_name": "DALIAN",
            "lat": DALIAN[0],
            "lon": DALIAN[1],
        },
    ]
    return fixes, visits


def _world(detour_stop_h: float = 0.0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    fixes, visits = [], []
    for index in range(8):
        f, v = _voyage(index, T0 + timedelta(days=index), QINGDAO, DALIAN)
        fixes += f
        visits += v
    f, v = _voyage(8, T0 + timedelta(days=3, hours=5), QINGDAO, OPEN_SEA, (35.0, 124.5), DALIAN, stop_h=detour_stop_h)
    fixes += f
    visits += v
    positions = pl.DataFrame(fixes).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC"))
    events = make_events(
        pl.DataFrame(visits).with_columns(pl.col("start_time", "end_time").dt.replace_time_zone("UTC"))
    )
    identities = pl.DataFrame({"vessel_id": [f"R{i:02d}" for i in range(9)], "ship_type": [70] * 9}).with_columns(
        pl.col("ship_type").cast(pl.Int16)
    )
    return events, positions, identities


def test_detour_flagged_against_peers_on_the_same_route() -> None:
    events = detect_route_deviations(*_world(), RouteDeviationConfig())
    assert events["vessel_id"].to_list() == ["R08"]
    event = events.row(0, named=True)
    assert event["subtype"] == "same_route"
    assert event["port_name"] == "DALIAN"
    info = json.loads(event["details"])
    assert info["origin"] == "QINGDAO" and info["destination"] == "DALIAN"
    assert info["ratio"] >= 1.5
    assert 0.75 <= info["reference_ratio"] <= 1.1  # peers sail about the lane distance (lanes bend a little more)
    assert info["reference_voyages"] == 8
    assert event["confidence"] == 1.0  # every peer sailed shorter


def test_leg_with_a_long_stop_is_not_one_voyage() -> None:
    assert detect_route_deviations(*_world(detour_stop_h=5.0), RouteDeviationConfig()).is_empty()


def test_thresholds_and_few_peers() -> None:
    events, positions, identities = _world()
    assert detect_route_deviations(events, positions, identities, RouteDeviationConfig(min_ratio=5.0)).is_empty()
    # With too few voyages anywhere, nothing is judged.
    assert detect_route_deviations(events, positions, identities, RouteDeviationConfig(min_peers=20)).is_empty()
    assert detect_route_deviations(events.head(0), positions, identities, RouteDeviationConfig()).is_empty()
    with pytest.raises(ConfigError):
        RouteDeviationConfig(min_ratio=0.5)
