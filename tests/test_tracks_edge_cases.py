"""Edge cases found in review: shared MMSIs, ties, stray fixes, repeated periods."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from shadowfleet import schemas
from shadowfleet.config import Config
from shadowfleet.pipeline import _vessels, build_tracks, detect_events
from shadowfleet.tracks.clean import clean_positions
from tests.track_builders import fix, moored, positions, sailing, static, statics

CONFIG = Config()


def test_two_ships_starting_together_on_one_mmsi_are_two_vessels_named_apart() -> None:
    a = sailing(2, 0.0, 6.0, 30.0, 120.0, 10.0, 0.0)
    b = sailing(2, 0.0, 6.0, 31.0, 121.0, 10.0, 180.0)
    result = build_tracks(positions(a + b), statics([]), CONFIG)
    assert result.vessels.height == 2
    assert result.tracks["track_id"].n_unique() == result.tracks.height
    collision = detect_events(result, CONFIG).events.filter(pl.col("subtype") == "mmsi_collision")
    assert collision.height == 1
    row = collision.row(0, named=True)
    assert row["vessel_id"] != row["other_vessel_id"] and row["other_vessel_id"] is not None


def test_a_relocation_through_one_stray_fix_is_one_jump_event() -> None:
    rows = [*moored(3, 0.0, 2.0, 30.0, 122.0, jitter_m=0.0), fix(3, 2.05, 33.0, 122.0, 0.0, None)]
    rows += moored(3, 2.1, 2.0, 36.0, 122.0, jitter_m=0.0)
    result = build_tracks(positions(rows), statics([]), CONFIG)
    jumps = detect_events(result, CONFIG).events.filter(pl.col("subtype") == "speed_jump")
    assert jumps.height == 1


def test_identity_periods_only_break_where_something_changed() -> None:
    rows = moored(1, 0.0, 48.0, 30.0, 122.0)
    reports = [
        static(1, 1.0, 50, 10.0, name="ALPHA"),
        static(1, 2.0, 50, 10.0, call_sign="3EAB1"),  # first heard later: not a change
        static(1, 30.0, 50, 10.0, name="BRAVO"),
    ]
    result = build_tracks(positions(rows), statics(reports), CONFIG)
    assert result.identities["name"].to_list() == ["ALPHA", "BRAVO"]


def test_duplicates_are_found_when_another_report_sits_between_them() -> None:
    rows = [fix(1, 0.0, 10.0, 20.0, 5.0, 90.0), fix(1, 0.0, 10.0, 20.0, 6.0, 90.0), fix(1, 0.0, 10.0, 20.0, 5.0, 90.0)]
    cleaned, report = clean_positions(positions(rows))
    assert report.dropped["duplicate"] == 1 and cleaned.height == 2


def test_a_short_track_overlapping_only_the_end_of_another_is_not_noise() -> None:
    long = sailing(5, 0.0, 10.0, 30.0, 122.0, 10.0, 90.0, every_s=1800.0)
    later = [fix(5, 9.5 + k, 35.0, 125.0, 10.0, 0.0) for k in range(3)]  # 9.5 h to 11.5 h
    result = build_tracks(positions(long + later), statics([]), CONFIG)
    assert int(result.tracks["noise"].sum()) == 0


def test_the_vessels_mmsi_is_the_one_heard_most_in_total() -> None:
    # MMSI periods A (100 fixes), B (150), A again (100): A is heard most (200).
    t = [datetime(2020, 3, d, tzinfo=UTC) for d in (1, 2, 3, 4, 5, 6)]
    periods = pl.DataFrame(
        {
            "vessel_id": ["V1"] * 3,
            "mmsi": [412000001, 667000001, 412000001],
            "flag_iso2": ["CN", "SL", "CN"],
            "start_time": [t[0], t[2], t[4]],
            "end_time": [t[1], t[3], t[5]],
            "n_positions": [100, 150, 100],
        }
    )
    vessels = _vessels(schemas.empty(schemas.IDENTITIES), periods)
    assert vessels.row(0, named=True)["mmsi"] == 412000001 and vessels["flag_iso2"][0] == "CN"
