"""Encounters and loitering at their thresholds, on hand-built tracks at sea."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from shadowfleet.config import AreaConfig, Config, EncounterConfig
from shadowfleet.errors import InputError
from shadowfleet.events.areas import load_areas
from shadowfleet.pipeline import build_tracks, detect_events
from tests.track_builders import METRES_PER_DEGREE, fix, positions, static, statics

CONFIG = Config()
SEA = (20.5, 112.5)  # South China Sea, > 60 nm from land and far from any port


def _drifting(
    mmsi: int,
    start_h: float,
    hours: float,
    north_m: float = 0.0,
    every_s: float = 600.0,
    sog: float = 0.4,
    receiver: str = "satellite",
) -> list[dict[str, object]]:
    """A vessel lying nearly still at sea (fixes every ``every_s``)."""
    lat = SEA[0] + north_m / METRES_PER_DEGREE
    count = int(hours * 3600 / every_s) + 1
    return [
        fix(
            mmsi,
            start_h + k * every_s / 3600,
            lat + 2.0 * k / METRES_PER_DEGREE,
            SEA[1],
            sog,
            0.0,
            receiver_class=receiver,
        )
        for k in range(count)
    ]


def _events(rows: list[dict[str, object]], reports: list[dict[str, object]] | None = None) -> pl.DataFrame:
    result = build_tracks(positions(rows), statics(reports or []), CONFIG)
    return detect_events(result, CONFIG).events


@pytest.mark.parametrize(("distance_m", "found"), [(450.0, True), (550.0, False)])
def test_encounter_distance_threshold(distance_m: float, found: bool) -> None:
    rows = _drifting(412000001, 0.0, 3.0) + _drifting(413000002, 0.0, 3.0, north_m=distance_m)
    events = _events(rows).filter(pl.col("event_type") == "encounter")
    assert (events.height == 1) is found


@pytest.mark.parametrize(("hours", "found"), [(1.8, False), (2.2, True)])
def test_encounter_duration_threshold(hours: float, found: bool) -> None:
    rows = _drifting(412000001, 0.0, hours) + _drifting(413000002, 0.0, hours, north_m=100.0)
    events = _events(rows).filter(pl.col("event_type") == "encounter")
    assert (events.height == 1) is found


def test_encounter_needs_both_slow_and_away_from_port() -> None:
    fast = [fix(413000002, k / 6, SEA[0] + 0.0009, SEA[1], 6.0, 0.0) for k in range(19)]
    rows = _drifting(412000001, 0.0, 3.0) + fast
    assert _events(rows).filter(pl.col("event_type") == "encounter").is_empty()
    # off Ningbo-Zhoushan's anchorages
    port = [fix(412000001, k / 6, 29.93, 122.10, 0.2, 0.0) for k in range(19)] + [
        fix(413000002, k / 6, 29.9305, 122.10, 0.2, 0.0) for k in range(19)
    ]
    assert _events(port).filter(pl.col("event_type") == "encounter").is_empty()


def test_meetings_less_than_four_hours_apart_are_one_encounter_across_midnight() -> None:
    first = _drifting(412000001, 21.0, 2.5) + _drifting(413000002, 21.0, 2.5, north_m=80.0)
    # they drift apart (1.5 km) for 3 h, then meet again after midnight
    apart = [fix(413000002, 23.6 + k / 6, SEA[0] + 1500 / METRES_PER_DEGREE, SEA[1], 0.4, 0.0) for k in range(18)]
    second = _drifting(412000001, 26.6, 2.5) + _drifting(413000002, 26.6, 2.5, north_m=60.0)
    events = _events(first + apart + second).filter(pl.col("event_type") == "encounter")
    assert events.height == 1
    assert json.loads(events["details"][0])["duration_h"] > 7


def test_opposite_draught_changes_make_a_transfer_and_name_the_donor() -> None:
    rows = _drifting(412000001, 0.0, 12.0) + _drifting(413000002, 0.0, 12.0, north_m=70.0)
    reports = [
        static(412000001, 0.0, 5, 0.5, draught_m=5.0),
        static(412000001, 13.0, 5, 0.5, draught_m=9.0),  # receiver loads
        static(413000002, 0.0, 5, 0.5, draught_m=10.0),
        static(413000002, 14.0, 5, 0.5, draught_m=6.5),  # donor discharges
    ]
    events = _events(rows, reports).filter(pl.col("event_type") == "encounter")
    row = events.row(0, named=True)
    assert row["subtype"] == "sts" and row["mmsi"] == 413000002 and row["other_mmsi"] == 412000001
    assert json.loads(row["details"])["draught_before_m"] == [10.0, 5.0]
    assert row["confidence"] > 0.8


@pytest.mark.parametrize(("hours", "found"), [(3.8, False), (4.2, True)])
def test_loitering_duration_threshold(hours: float, found: bool) -> None:
    events = _events(_drifting(412000001, 0.0, hours)).filter(pl.col("event_type") == "loitering")
    assert (events.height == 1) is found


def test_loitering_near_shore_or_fast_is_not_loitering() -> None:
    near_shore = [fix(412000001, k / 6, 22.1, 113.9, 0.3, 0.0) for k in range(36)]  # off Hong Kong
    assert _events(near_shore).filter(pl.col("event_type") == "loitering").is_empty()
    fast = _drifting(412000001, 0.0, 6.0, sog=2.5)
    assert _events(fast).filter(pl.col("event_type") == "loitering").is_empty()


def test_a_long_silence_breaks_loitering_a_satellite_pause_does_not() -> None:
    pause = _drifting(412000001, 0.0, 2.5) + _drifting(412000001, 5.5, 2.5, north_m=300.0)  # 3 h, drifted 300 m
    events = _events(pause).filter(pl.col("event_type") == "loitering")
    assert events.height == 1 and json.loads(events["details"][0])["longest_silence_h"] == pytest.approx(3.0, abs=0.01)
    moved = _drifting(412000001, 0.0, 2.5) + _drifting(412000001, 5.5, 2.5, north_m=20_000.0)  # 20 km in 3 h
    assert _events(moved).filter(pl.col("event_type") == "loitering").is_empty()
    dark = _drifting(412000001, 0.0, 2.5) + _drifting(412000001, 15.0, 2.5, north_m=300.0)  # 12.5 h: breaks
    assert _events(dark).filter(pl.col("event_type") == "loitering").is_empty()


@pytest.mark.parametrize(("after_m", "expected"), [(6.45, []), (6.55, ["load"]), (5.4, ["discharge"])])
def test_draught_change_threshold(after_m: float, expected: list[str]) -> None:
    rows = _drifting(412000001, 0.0, 30.0, every_s=1800.0)
    reports = [static(412000001, 0.0, 20, 10.0, draught_m=6.0), static(412000001, 20.0, 20, 10.0, draught_m=after_m)]
    events = _events(rows, reports).filter(pl.col("event_type") == "draught_change")
    assert events["subtype"].to_list() == expected
    if expected:
        row = events.row(0, named=True)
        assert row["start_time"].hour == 10 and row["end_time"].hour == 20  # last old report → first new
        assert json.loads(row["details"])["draught_before_m"] == 6.0


def test_draughts_taking_turns_are_not_loads() -> None:
    # Two ships on one MMSI: their draughts alternate every few minutes, each heard
    # several times: no cargo work is that quick. A lasting change afterwards still counts.
    rows = _drifting(412000001, 0.0, 40.0, every_s=1800.0)
    reports = [static(412000001, 0.0, 20, 5.0, draught_m=5.3)]
    reports += [static(412000001, 6.0 + k * 0.4, 3, 0.1, draught_m=7.6 if k % 2 == 0 else 5.3) for k in range(8)]
    reports.append(static(412000001, 20.0, 20, 10.0, draught_m=8.4))
    events = _events(rows, reports).filter(pl.col("event_type") == "draught_change")
    assert events["subtype"].to_list() == ["load"]
    assert json.loads(events["details"][0])["draught_before_m"] == 5.3


def test_a_stale_laden_draught_heard_briefly_once_is_kept() -> None:
    # Back on after a dark voyage: the laden draught typed at loading is heard for
    # minutes, then the crew declares the discharged draught. Evidence of the load.
    rows = _drifting(412000001, 0.0, 40.0, every_s=1800.0)
    reports = [
        static(412000001, 0.0, 20, 5.0, draught_m=2.9),
        static(412000001, 20.0, 4, 0.3, draught_m=6.7),
        static(412000001, 20.5, 20, 10.0, draught_m=2.9),
    ]
    events = _events(rows, reports).filter(pl.col("event_type") == "draught_change")
    assert events["subtype"].to_list() == ["load", "discharge"]


def test_a_draught_heard_once_is_not_a_load() -> None:
    rows = _drifting(412000001, 0.0, 30.0, every_s=1800.0)
    reports = [
        static(412000001, 0.0, 20, 10.0, draught_m=6.0),
        static(412000001, 10.1, 1, 0.0, draught_m=12.0),
        static(412000001, 10.2, 20, 10.0, draught_m=6.0),
    ]
    assert _events(rows, reports).filter(pl.col("event_type") == "draught_change").is_empty()


# ----------------------------------------------------------------------------- port visits

PORT = (32.916667, 117.366667)  # Bengbu (WPI), a gazetteer port with no other point within 30 km


def _call(offset_m: float, *, stop: bool = True, from_sea: bool = True, to_sea: bool = True) -> list[dict[str, object]]:
    """Sail in from 20 km north, stay 10 h at ``offset_m`` north of the point, sail out."""
    rows: list[dict[str, object]] = []
    lat0, lon0 = PORT
    if from_sea:
        rows += [
            fix(412000009, k / 6, lat0 + (20_000 - k * 1_000) / METRES_PER_DEGREE, lon0, 10.0, 180.0) for k in range(18)
        ]
    speed = 0.1 if stop else 1.0
    rows += [fix(412000009, 3.0 + k / 6, lat0 + offset_m / METRES_PER_DEGREE, lon0, speed, 0.0) for k in range(60)]
    if to_sea:
        rows += [
            fix(412000009, 13.0 + k / 6, lat0 + (offset_m + k * 1_000) / METRES_PER_DEGREE, lon0, 10.0, 0.0)
            for k in range(1, 20)
        ]
    return rows


def test_the_reference_point_is_in_the_gazetteer() -> None:
    from shadowfleet.geo.gazetteer import nearest_harbour

    distance, _ = nearest_harbour(np.array([PORT[0]]), np.array([PORT[1]]))
    assert distance[0] < 10.0


@pytest.mark.parametrize(("offset_m", "found"), [(2_900.0, True), (3_100.0, False)])
def test_port_visit_entry_distance(offset_m: float, found: bool) -> None:
    visits = _events(_call(offset_m)).filter(pl.col("event_type") == "port_visit")
    assert (visits.height == 1) is found
    if found:
        row = visits.row(0, named=True)
        assert row["confidence"] == 1.0 and row["port_name"] == "Bengbu" and row["subtype"] is None


def test_port_visit_confidence_levels() -> None:
    passing = _events(_call(1_500.0, stop=False)).filter(pl.col("event_type") == "port_visit")
    assert passing.is_empty()  # entry and exit only: level 1, not reported
    already_in = _events(_call(1_500.0, from_sea=False)).filter(pl.col("event_type") == "port_visit")
    assert already_in["confidence"].to_list() == [0.75]  # stop and exit, no entry seen


def test_a_silence_in_port_is_evidence_and_the_exit_has_hysteresis() -> None:
    lat0, lon0 = PORT
    rows = [
        fix(412000009, k / 6, lat0 + (20_000 - k * 1_000) / METRES_PER_DEGREE, lon0, 10.0, 180.0) for k in range(18)
    ]
    rows += [fix(412000009, 3.0, lat0 + 2_500 / METRES_PER_DEGREE, lon0, 1.0, 0.0)]
    rows += [fix(412000009, 7.5, lat0 + 3_500 / METRES_PER_DEGREE, lon0, 1.0, 0.0)]  # 4.5 h later, 3.5 km: still in
    rows += [
        fix(412000009, 7.6 + k / 6, lat0 + (4_500 + k * 1_000) / METRES_PER_DEGREE, lon0, 10.0, 0.0) for k in range(10)
    ]
    visits = _events(rows).filter(pl.col("event_type") == "port_visit")
    assert visits["confidence"].to_list() == [1.0]  # entry, port gap, exit
    assert json.loads(visits["details"][0])["confidence_level"] == 4
    assert json.loads(visits["details"][0])["exited"] is True
    # The data end while it is still in port: the visit's end is its last fix.
    still_in = _events(rows[:20]).filter(pl.col("event_type") == "port_visit")
    assert json.loads(still_in["details"][0])["exited"] is False


@pytest.mark.parametrize(("away_h", "visits"), [(0.5, 1), (3.0, 2)])
def test_back_at_the_same_port_soon_is_one_visit(away_h: float, visits: int) -> None:
    # Stopped 1.5 km from the point, out past the 4 km exit radius for a while
    # (shifting berth), then stopped again: one visit if back within 2 h.
    lat0, lon0 = PORT
    rows = [
        fix(412000009, k / 6, lat0 + (20_000 - k * 1_000) / METRES_PER_DEGREE, lon0, 10.0, 180.0) for k in range(18)
    ]
    rows += [fix(412000009, 3.0 + k / 6, lat0 + 1_500 / METRES_PER_DEGREE, lon0, 0.1, 0.0) for k in range(30)]
    rows += [
        fix(412000009, 8.0 + k / 12, lat0 + 4_500 / METRES_PER_DEGREE, lon0, 1.0, 0.0) for k in range(int(away_h * 12))
    ]
    back = 8.0 + away_h
    rows += [fix(412000009, back + k / 6, lat0 + 1_000 / METRES_PER_DEGREE, lon0, 0.1, 0.0) for k in range(30)]
    rows += [
        fix(412000009, back + 5.0 + k / 6, lat0 + (1_000 + k * 1_000) / METRES_PER_DEGREE, lon0, 10.0, 0.0)
        for k in range(1, 20)
    ]
    found = _events(rows).filter(pl.col("event_type") == "port_visit")
    assert found.height == visits
    if visits == 1:
        assert (found["end_time"][0] - found["start_time"][0]).total_seconds() / 3600 > 10


# ----------------------------------------------------------------------------- areas of interest


def test_entering_korea_bay_is_an_area_entry_first_heard_inside_is_not(tmp_path: Path) -> None:
    # sailing north-east from the Yellow Sea into Korea Bay
    rows = [fix(412000011, k / 2, 37.6 + k * 0.05, 123.0, 10.0, 0.0) for k in range(40)]
    events = _events(rows).filter(pl.col("event_type") == "area_entry")
    assert events["subtype"].to_list() == ["korea_bay"]
    inside_from_start = [fix(412000012, k / 2, 39.0, 123.0 + k * 0.01, 5.0, 90.0) for k in range(10)]
    assert _events(inside_from_start).filter(pl.col("event_type") == "area_entry").is_empty()
    # the user's own areas replace the defaults
    custom = tmp_path / "areas.geojson"
    custom.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "my_box"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[122.5, 38.5], [123.5, 38.5], [123.5, 38.8], [122.5, 38.8], [122.5, 38.5]]
                            ],
                        },
                    }
                ],
            }
        )
    )
    config = replace(CONFIG, areas=AreaConfig(path=str(custom)))
    result = build_tracks(positions(rows), statics([]), config)
    found = detect_events(result, config).events.filter(pl.col("event_type") == "area_entry")
    assert found["subtype"].to_list() == ["my_box"]


def test_an_unreadable_areas_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "areas.geojson"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="areas of interest"):
        load_areas(bad)


@pytest.mark.parametrize(("lat0", "lon0"), [(35.5, 123.5), (66.0, 179.9), (-45.0, -20.0), (0.0, 0.0)])
def test_candidate_pairs_find_every_close_pair(lat0: float, lon0: float) -> None:
    # Brute force over every pair at each instant: the grid join must find the same,
    # at any latitude and across the antimeridian.
    from shadowfleet.events.encounters import candidate_pairs
    from shadowfleet.geo.distance import destination, haversine_m

    rng = np.random.default_rng(5)
    n, instants = 400, 3
    bearing = rng.uniform(0, 360, n * instants)
    distance = np.sqrt(rng.uniform(0, 1, n * instants)) * 6_000.0
    lat, lon = destination(np.full(n * instants, lat0), np.full(n * instants, lon0), bearing, distance)
    lon = (lon + 180.0) % 360.0 - 180.0
    samples = pl.DataFrame(
        {
            "vessel_id": [f"V{i:03d}" for i in np.tile(np.arange(n), instants)],
            "mmsi": np.tile(np.arange(n), instants) + 200_000_000,
            "timestamp": np.repeat(np.arange(instants), n) * 600_000_000,
            "lat": lat,
            "lon": lon,
        }
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))
    pairs = candidate_pairs(samples, EncounterConfig())
    expected = 0
    for _, group in samples.group_by("timestamp"):
        la, lo, v = group["lat"].to_numpy(), group["lon"].to_numpy(), group["vessel_id"].to_numpy()
        close = haversine_m(la[:, None], lo[:, None], la[None, :], lo[None, :]) <= 500.0
        expected += int((close & (v[:, None] < v[None, :])).sum())
    assert expected > 50
    assert pairs.height == expected
    assert (pairs["vessel_a"] < pairs["vessel_b"]).all()
