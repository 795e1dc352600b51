"""identity_change and identity_anomaly on hand-built vessels."""

from __future__ import annotations

import json

import polars as pl

from shadowfleet.config import Config
from shadowfleet.pipeline import build_tracks, detect_events
from shadowfleet.schemas import EVENTS
from tests.track_builders import moored, positions, static, statics

CONFIG = Config()


def _events(rows: list[dict[str, object]], reports: list[dict[str, object]]) -> pl.DataFrame:
    result = build_tracks(positions(rows), statics(reports), CONFIG)
    return detect_events(result, CONFIG).events


def _of(events: pl.DataFrame, event_type: str) -> pl.DataFrame:
    return events.filter(pl.col("event_type") == event_type)


def test_rename_is_one_change_dated_between_the_last_old_and_first_new_report() -> None:
    rows = moored(1, 0.0, 72.0, 30.0, 122.0)
    reports = [
        static(1, 0.0, 100, 20.0, name="ALPHA"),
        static(1, 40.0, 50, 30.0, name="BRAVO"),
    ]
    events = _of(_events(rows, reports), "identity_change")
    assert events["subtype"].to_list() == ["name"]
    row = events.row(0, named=True)
    assert row["start_time"].hour == 20 and row["end_time"].hour == 16  # day 1 20:00 → day 2 16:00
    assert json.loads(row["details"]) == {"before": "ALPHA", "after": "BRAVO", "reports_after": 50}
    assert events.schema == pl.Schema(EVENTS)


def test_values_that_alternate_are_not_renamings() -> None:
    rows = moored(1, 0.0, 72.0, 30.0, 122.0)
    reports = [
        static(1, h, 20, 5.0, name=name) for h, name in ((0, "ALPHA"), (10, "BRAVO"), (20, "ALPHA"), (30, "BRAVO"))
    ]
    assert _of(_events(rows, reports), "identity_change").is_empty()


def test_small_dimension_changes_are_not_changes() -> None:
    rows = moored(1, 0.0, 72.0, 30.0, 122.0)
    small = [
        static(1, 0.0, 50, 20.0, length_m=100.0, beam_m=16.0),
        static(1, 30.0, 50, 20.0, length_m=104.0, beam_m=16.0),
    ]
    assert _of(_events(rows, small), "identity_change").is_empty()
    large = [
        static(1, 0.0, 50, 20.0, length_m=100.0, beam_m=16.0),
        static(1, 30.0, 50, 20.0, length_m=106.0, beam_m=16.0),
    ]
    assert _of(_events(rows, large), "identity_change")["subtype"].to_list() == ["dimensions"]


def test_reflagging_under_the_same_imo_is_an_mmsi_and_a_flag_change() -> None:
    rows = moored(445000001, 0.0, 24.0, 39.0, 125.0) + moored(667000001, 100.0, 24.0, 30.0, 122.0)
    reports = [
        static(445000001, 0.0, 50, 23.0, imo_reported=9323340, call_sign="HMAB1"),
        static(667000001, 100.0, 50, 23.0, imo_reported=9323340, call_sign="HMAB1"),
    ]
    events = _events(rows, reports)
    changes = _of(events, "identity_change").sort("subtype")
    assert changes["subtype"].to_list() == ["flag", "mmsi"]
    assert json.loads(changes["details"][0]) == {"before": "KP", "after": "SL"}
    anomalies = _of(events, "identity_anomaly")
    # a DPRK call sign on a Sierra Leone MMSI is a false flag; on the DPRK MMSI it is not
    assert anomalies["subtype"].to_list() == ["mid_flag_mismatch"]
    assert anomalies["mmsi"].to_list() == [667000001]


def test_invalid_mid_and_invalid_imo() -> None:
    rows = moored(446000001, 0.0, 24.0, 39.0, 125.0) + moored(412000002, 0.0, 24.0, 30.0, 122.0)
    reports = [static(446000001, 0.0, 50, 23.0), static(412000002, 0.0, 50, 23.0, imo_reported=1234560)]
    anomalies = _of(_events(rows, reports), "identity_anomaly").sort("subtype")
    assert anomalies.select("subtype", "mmsi").rows() == [("invalid_imo", 412000002), ("invalid_mid", 446000001)]
    assert json.loads(anomalies["details"][1]) == {"mid": 446}


def test_an_invalid_imo_heard_once_among_valid_ones_is_noise() -> None:
    rows = moored(412000002, 0.0, 48.0, 30.0, 122.0)
    reports = [
        static(412000002, 0.0, 100, 20.0, imo_reported=9323340),
        static(412000002, 20.1, 1, 0.0, imo_reported=9323341),
        static(412000002, 20.2, 100, 20.0, imo_reported=9323340),
    ]
    assert _of(_events(rows, reports), "identity_anomaly").is_empty()


def test_one_imo_on_two_mmsis_at_once_goes_to_the_one_heard_less() -> None:
    rows = moored(412000003, 0.0, 24.0, 30.0, 122.0) + moored(373000004, 0.0, 24.0, 35.0, 125.0)
    reports = [
        static(412000003, 0.0, 200, 23.0, imo_reported=9323340),
        static(373000004, 0.0, 20, 23.0, imo_reported=9323340),
    ]
    reused = _of(_events(rows, reports), "identity_anomaly").filter(pl.col("subtype") == "imo_reused")
    assert reused.height == 1
    assert reused["mmsi"][0] == 373000004 and reused["other_mmsi"][0] == 412000003
    # just under the overlap needed
    short = [
        static(412000003, 0.0, 200, 23.0, imo_reported=9323340),
        static(373000004, 22.5, 20, 0.4, imo_reported=9323340),
    ]
    config_rows = moored(412000003, 0.0, 23.0, 30.0, 122.0) + moored(373000004, 22.5, 2.0, 35.0, 125.0)
    events = _events(config_rows, short)
    assert events.filter(pl.col("subtype") == "imo_reused").is_empty()


def test_event_ids_are_content_hashes_stable_across_runs() -> None:
    rows = moored(1, 0.0, 72.0, 30.0, 122.0)
    reports = [static(1, 0.0, 100, 20.0, name="ALPHA"), static(1, 40.0, 50, 30.0, name="BRAVO")]
    first = _events(rows, reports)["event_id"].to_list()
    again = _events(list(reversed(rows)), list(reversed(reports)))["event_id"].to_list()
    assert first == again and len(first[0]) == 17
