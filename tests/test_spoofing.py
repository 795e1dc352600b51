"""Spoofing detectors at their thresholds, on hand-built tracks."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from shadowfleet.config import Config, SpoofingConfig
from shadowfleet.events.spoofing import detect_circles, inland
from shadowfleet.pipeline import build_tracks, detect_events
from tests.track_builders import METRES_PER_DEGREE, fix, moored, positions, sailing, statics

CONFIG = Config()


def _spoofing(rows: list[dict[str, object]], config: Config = CONFIG) -> pl.DataFrame:
    result = build_tracks(positions(rows), statics([]), config)
    events = detect_events(result, config).events
    return events.filter(pl.col("event_type") == "spoofing")


def _excursion(offset_m: float, fixes_away: int = 3) -> list[dict[str, object]]:
    """A moored vessel whose fixes jump ``offset_m`` north for a while, 10 min apart."""
    rows = [fix(5, k / 6, 30.0, 122.0, 0.0, None) for k in range(30)]
    for k in range(10, 10 + fixes_away):
        rows[k] = fix(5, k / 6, 30.0 + offset_m / METRES_PER_DEGREE, 122.0, 0.0, None)
    return rows


@pytest.mark.parametrize(("offset_m", "expected"), [(17_500.0, 0), (18_500.0, 1)])
def test_speed_jump_threshold(offset_m: float, expected: int) -> None:
    # (d - 1 km) / (600 s + 60 s) > 50 kn  ⇔  d > 17.98 km
    events = _spoofing(_excursion(offset_m))
    assert events.filter(pl.col("subtype") == "speed_jump").height == expected


def test_an_excursion_is_one_event_spanning_the_displaced_fixes() -> None:
    events = _spoofing(_excursion(100_000.0)).filter(pl.col("subtype") == "speed_jump")
    assert events.height == 1
    row = events.row(0, named=True)
    assert json.loads(row["details"])["positions"] == 3
    assert (row["end_time"] - row["start_time"]).total_seconds() == pytest.approx(1200, abs=1)


def test_a_single_stray_fix_is_a_glitch_not_an_event() -> None:
    result = build_tracks(positions(_excursion(100_000.0, fixes_away=1)), statics([]), CONFIG)
    found = detect_events(result, CONFIG)
    assert found.events.filter(pl.col("subtype") == "speed_jump").is_empty()
    assert found.spoofing.glitches == 1


def test_receivers_show_which_side_of_a_jump_is_false() -> None:
    # A vessel alternates for days between its true place (heard by a station next to
    # it) and a false one 900 km away (heard by the same station: impossible).
    station = [
        fix(900 + k, h, 38.0 + 0.01 * k, 123.5, 5.0, 0.0, receiver_id="KOREA BAY")
        for k in range(5)
        for h in np.arange(0, 96, 0.5)
    ]
    rows = []
    for h in np.arange(0.0, 96.0, 0.25):
        false = 24 <= h < 48 or h >= 72
        place = (30.0, 122.0) if false else (38.05, 123.5)
        rows.append(fix(6, float(h), *place, 0.1, None, receiver_id="KOREA BAY"))
    events = _spoofing(station + rows).filter(pl.col("subtype") == "speed_jump")
    assert events.height == 2
    assert events["start_time"].dt.hour().to_list() == [0, 0]
    assert [json.loads(d)["kind"] for d in events["details"]] == ["beyond_receiver_reach"] * 2
    assert all(abs(lat - 30.0) < 0.01 for lat in events["lat"].to_list())


def test_positions_inland_are_spoofing_and_coastal_ones_are_not() -> None:
    config = SpoofingConfig()
    lat = np.array([42.0, 35.0, 31.2])  # Inner Mongolia, Yellow Sea, Shanghai waterfront
    lon = np.array([110.0, 123.0, 121.5])
    assert inland(lat, lon, config).tolist() == [True, False, False]


@pytest.mark.parametrize(("inland_fixes", "expected"), [(1, 0), (2, 1)])
def test_on_land_needs_two_fixes(inland_fixes: int, expected: int) -> None:
    rows = sailing(8, 0.0, 2.0, 35.0, 123.0, 10.0, 90.0)
    for k in range(inland_fixes):
        rows[5 + k] = fix(8, rows[5 + k]["timestamp"].timestamp() / 3600 - 438_288.0, 42.0, 110.0, 10.0, 90.0)  # type: ignore[union-attr]
    events = _spoofing(rows)
    assert events.filter(pl.col("subtype") == "on_land").height == expected
    # a jump onto land is reported as the on-land event, not also as a jump
    if expected:
        assert events.filter(pl.col("subtype") == "speed_jump").is_empty()


def _circle(turns: float, radius_m: float = 1_000.0, period_min: float = 30.0) -> list[dict[str, object]]:
    rows = moored(9, 0.0, 2.0, 31.3, 121.6, every_s=180.0)
    start_h = 2.0
    times = np.arange(0.0, turns * period_min * 60.0, 60.0)
    angle = 2 * np.pi * times / (period_min * 60.0)
    speed = 2 * np.pi * radius_m / (period_min * 60.0) / 0.514444
    for t, a in zip(times, angle, strict=True):
        lat = 31.3 + radius_m * np.cos(a) / METRES_PER_DEGREE
        lon = 121.6 + radius_m * np.sin(a) / (METRES_PER_DEGREE * np.cos(np.radians(31.3)))
        rows.append(fix(9, start_h + t / 3600.0, lat, lon, speed, float((np.degrees(a) + 90) % 360)))
    rows += moored(9, start_h + turns * period_min / 60.0 + 0.1, 2.0, 31.3, 121.6, every_s=180.0, seed=1)
    return rows


@pytest.mark.parametrize(("turns", "expected"), [(1.9, False), (2.1, True)])
def test_circles_need_two_full_turns(turns: float, expected: bool) -> None:
    rows = [r for r in _circle(turns) if r["sog_kn"] != 0.0]  # the circle alone, no berth
    frame = positions(rows).with_columns(
        pl.lit(0, dtype=pl.Int64).alias("track_number"), pl.lit("V").alias("vessel_id")
    )
    events = detect_circles(frame, CONFIG.spoofing)
    assert (events.height == 1) is expected


def test_a_circle_drawn_from_a_berth_is_one_circle_event() -> None:
    # Entering and leaving the circle adds up to half a turn of measured turning.
    assert _spoofing(_circle(1.4)).filter(pl.col("subtype") == "circle").is_empty()
    events = _spoofing(_circle(2.5))
    assert events["subtype"].to_list() == ["circle"]  # the jump onto the circle is part of it


def test_berth_jitter_and_straight_tracks_are_not_circles() -> None:
    rows = moored(10, 0.0, 24.0, 31.3, 121.6, every_s=60.0, jitter_m=15.0) + sailing(
        11, 0.0, 6.0, 33.0, 123.0, 12.0, 45.0
    )
    assert _spoofing(rows).is_empty()


def test_two_ships_on_one_mmsi_are_one_collision() -> None:
    a = sailing(7, 0.0, 6.0, 30.0, 122.0, sog=12.0, cog=0.0)
    b = sailing(7, 0.05, 4.0, 33.0, 125.0, sog=10.0, cog=180.0)
    events = _spoofing(a + b)
    assert events["subtype"].to_list() == ["mmsi_collision"]
    row = events.row(0, named=True)
    assert row["vessel_id"] != row["other_vessel_id"] and row["other_mmsi"] == 7
