"""Scoring against ground truth: one-to-one matching, tolerances, risk ranking, trade."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from shadowfleet.errors import InputError
from shadowfleet.evaluate import (
    TOLERANCE_H,
    empty_events,
    expected_events,
    expected_shipments,
    load_truth,
    score_events,
    score_risk,
    score_shipments,
    score_trade,
    truth_from_dict,
)

T0 = datetime(2020, 3, 1, tzinfo=UTC)


def _iso(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(kind: str, vessel: str, mmsi: int, start_h: float, end_h: float, **extra: Any) -> dict[str, Any]:
    return {
        "event_type": kind, "subtype": extra.pop("subtype", ""), "vessel": vessel, "mmsi": mmsi,
        "other_vessel": extra.pop("other_vessel", None), "other_mmsi": extra.pop("other_mmsi", None),
        "start_time": _iso(start_h), "end_time": _iso(end_h), "lat": 30.0, "lon": 122.0, "port_name": None,
        "deliberate": extra.pop("deliberate", True), "observable": extra.pop("observable", True), "details": {},
    }  # fmt: skip


@pytest.fixture
def truth() -> dict[str, Any]:
    vessels = [
        {"vessel": "A", "evader": True, "role": "direct_runner",
         "identities": [{"mmsi": 445000001, "valid_from": _iso(-100), "valid_to": _iso(50)},
                        {"mmsi": 667000001, "valid_from": _iso(50), "valid_to": _iso(500)}]},
        {"vessel": "B", "evader": True, "role": "sts_receiver_tonkin",
         "identities": [{"mmsi": 412000002, "valid_from": _iso(-100), "valid_to": _iso(500)}]},
        {"vessel": "C", "evader": False, "role": "ordinary",
         "identities": [{"mmsi": 413000003, "valid_from": _iso(-100), "valid_to": _iso(500)}]},
        {"vessel": "D", "evader": False, "role": "ordinary",
         "identities": [{"mmsi": 413000004, "valid_from": _iso(-100), "valid_to": _iso(500)}]},
    ]  # fmt: skip
    events = [
        _event("ais_gap", "A", 445000001, 10, 40, subtype="likely_deliberate"),
        _event("ais_gap", "C", 413000003, 10, 20, subtype="in_port", deliberate=False),
        _event("ais_gap", "A", 667000001, 300, 320, subtype="likely_deliberate", observable=False),
        _event("encounter", "A", 667000001, 100, 120, subtype="sts", other_vessel="B", other_mmsi=412000002),
        _event("port_visit", "C", 413000003, 0, 30),
        _event("port_visit", "C", 413000003, 60, 90),
    ]
    totals = [{"origin_country": "KP", "destination_country": "CN", "commodity": "coal", "tonnes": 10_000.0}]
    return {"vessels": vessels, "events": events, "totals": totals}


def _detected(rows: list[tuple[str, str, int, int | None, float, float]]) -> pl.DataFrame:
    frame = pl.DataFrame(
        [
            {"event_type": k, "subtype": s, "mmsi": m, "other_mmsi": o, "start_time": T0 + timedelta(hours=a),
             "end_time": T0 + timedelta(hours=b)}
            for k, s, m, o, a, b in rows
        ],
        schema={"event_type": pl.String, "subtype": pl.String, "mmsi": pl.Int64, "other_mmsi": pl.Int64,
                "start_time": pl.Datetime("us", "UTC"), "end_time": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    return frame


def _row(scores: pl.DataFrame, kind: str) -> dict[str, Any]:
    return scores.filter(pl.col("event_type") == kind).row(0, named=True)


def test_expected_events_leave_out_what_the_data_cannot_show(truth: dict[str, Any]) -> None:
    expected = expected_events(truth_from_dict(truth))
    assert expected.filter(pl.col("event_type") == "ais_gap").height == 1  # not in_port, not unobservable
    assert expected.height == 4


def test_perfect_detection_scores_one(truth: dict[str, Any]) -> None:
    detected = _detected([
        ("ais_gap", "likely_deliberate", 445000001, None, 10, 40),
        ("encounter", "sts", 667000001, 412000002, 100, 120),
        ("port_visit", "", 413000003, None, 0, 30),
        ("port_visit", "", 413000003, None, 60, 90),
    ])  # fmt: skip
    scores = score_events(detected, truth_from_dict(truth)).table
    for kind in ("ais_gap", "encounter", "port_visit"):
        row = _row(scores, kind)
        assert (row["precision"], row["recall"], row["f1"]) == (1.0, 1.0, 1.0)
    assert _row(scores, "loitering")["expected"] == 0


def test_matching_is_one_to_one_and_respects_the_tolerance(truth: dict[str, Any]) -> None:
    tolerance = TOLERANCE_H["port_visit"]
    detected = _detected([
        ("port_visit", "", 413000003, None, 1, 29),  # matches the first visit
        ("port_visit", "", 413000003, None, 2, 28),  # a duplicate: nothing left to match
        ("port_visit", "", 413000003, None, 90 + tolerance + 1, 100),  # beyond the tolerance
        ("port_visit", "", 413000004, None, 60, 90),  # the wrong vessel
    ])  # fmt: skip
    row = _row(score_events(detected, truth_from_dict(truth)).table, "port_visit")
    assert row["matched"] == 1 and row["detected"] == 4 and row["expected"] == 2
    assert row["precision"] == 0.25 and row["recall"] == 0.5
    assert row["f1"] == pytest.approx(2 * 0.25 * 0.5 / 0.75)


def test_the_closest_detection_wins(truth: dict[str, Any]) -> None:
    detected = _detected([("port_visit", "", 413000003, None, 5, 35), ("port_visit", "", 413000003, None, 0, 30)])
    row = _row(score_events(detected, truth_from_dict(truth)).table, "port_visit")
    assert row["matched"] == 1 and row["median_start_error_h"] == 0.0


def test_encounters_match_either_way_round_and_any_mmsi_of_the_vessel(truth: dict[str, Any]) -> None:
    reversed_pair = _detected([("encounter", "sts", 412000002, 667000001, 101, 119)])
    assert _row(score_events(reversed_pair, truth_from_dict(truth)).table, "encounter")["matched"] == 1
    wrong_pair = _detected([("encounter", "sts", 412000002, 413000004, 101, 119)])
    assert _row(score_events(wrong_pair, truth_from_dict(truth)).table, "encounter")["matched"] == 0
    # The gap was broadcast under A's first MMSI; A's later MMSI at that time is not A.
    old_mmsi = _detected([("ais_gap", "likely_deliberate", 667000001, None, 10, 40)])
    assert _row(score_events(old_mmsi, truth_from_dict(truth)).table, "ais_gap")["matched"] == 0


def test_reception_gaps_are_not_scored(truth: dict[str, Any]) -> None:
    detected = _detected(
        [("ais_gap", "reception", 413000004, None, 5, 15), ("ais_gap", "likely_deliberate", 413000004, None, 200, 215)]
    )
    row = _row(score_events(detected, truth_from_dict(truth)).table, "ais_gap")
    assert row["detected"] == 1 and row["matched"] == 0 and row["precision"] == 0.0


def test_no_detector_means_zero_recall_not_a_crash(truth: dict[str, Any]) -> None:
    row = _row(score_events(empty_events(), truth_from_dict(truth)).table, "port_visit")
    assert row["recall"] == 0.0 and row["precision"] is None and row["f1"] is None


def test_risk_ranking(truth: dict[str, Any]) -> None:
    parsed = truth_from_dict(truth)
    perfect = pl.DataFrame(
        {"mmsi": [445000001, 412000002, 413000003, 413000004], "risk_score": [90.0, 80.0, 10.0, 5.0]}
    )
    risk = score_risk(perfect, parsed)
    assert risk.auc == 1.0 and risk.precision_at_k == 1.0 and risk.evaders == 2
    backwards = perfect.with_columns((100 - pl.col("risk_score")).alias("risk_score"))
    assert score_risk(backwards, parsed).auc == 0.0
    flat = perfect.with_columns(pl.lit(50.0).alias("risk_score"))
    assert score_risk(flat, parsed).auc == 0.5
    # A vessel scored under either of its MMSIs counts; unscored vessels count as 0.
    partial = pl.DataFrame({"mmsi": [667000001], "risk_score": [70.0]})
    assert score_risk(partial, parsed).auc == 0.75


def test_trade_score(truth: dict[str, Any]) -> None:
    parsed = truth_from_dict(truth)
    score = score_trade(parsed, "KP", "CN", "coal", 12_000.0, 9_000.0, 15_000.0)
    assert score.true_tonnes == 10_000.0 and score.relative_error == pytest.approx(0.2) and score.within_band
    assert score_trade(parsed, "KP", "CN", "coal", None).estimated_tonnes is None
    assert score_trade(parsed, "KP", "CN", "coal", 5_000.0, 4_000.0, 6_000.0).within_band is False


def _parcel(vessel: str, tonnes: float, load_h: float, discharge_h: float, **extra: Any) -> dict[str, Any]:
    return {
        "vessel": vessel, "loaded_by": extra.pop("loaded_by", vessel), "via": [], "commodity": "coal",
        "tonnes": tonnes, "load_country": "KP", "discharge_country": "CN", "load_time": _iso(load_h),
        "discharge_time": _iso(discharge_h), "discharged_in_period": extra.pop("in_period", True),
    }  # fmt: skip


def test_trade_truth_is_what_the_data_can_show(truth: dict[str, Any]) -> None:
    truth["start"] = _iso(0)
    truth["voyages"] = [
        _parcel("A", 5_000.0, 60, 150),  # loaded in the period by a vessel heard before: counts
        _parcel("A", 4_000.0, -20, 30),  # loaded before the data began
        _parcel("B", 3_000.0, 35, 200, loaded_by="A"),  # A silent from hour 10 to 40 (began in the data): counts
        _parcel("B", 2_000.0, 100, 600, in_period=False),  # discharged after the period
    ]
    truth["events"].append(_event("ais_gap", "D", 413000004, -50, 80, subtype="likely_deliberate"))
    truth["voyages"].append(_parcel("D", 1_000.0, 70, 120))  # D silent since before the data: not counted
    parsed = truth_from_dict(truth)
    assert sorted(expected_shipments(parsed, "KP", "CN", "coal")["tonnes"].to_list()) == [3_000.0, 5_000.0]
    score = score_trade(parsed, "KP", "CN", "coal", 9_000.0, 7_000.0, 10_000.0)
    assert score.true_tonnes == 8_000.0 and score.moved_tonnes == 10_000.0 and score.within_band
    estimated = pl.DataFrame(
        {
            "loaded_by": ["vA", "vA", "vA"],
            "origin_country": ["KP", "KP", "KP"],
            "destination_country": ["CN", "CN", "CN"],
            "destination_kind": ["port_visit", "port_visit", "port_visit"],
            "discharge_end": [T0 + timedelta(hours=h) for h in (160, 190, 400)],
            "load_end": [T0 + timedelta(hours=h) for h in (62, 36, 300)],
            "tonnes_mid": [5_500.0, 2_400.0, 1_000.0],
            "method": ["draught", "draught", "load_factor"],
        }
    )
    mmsis = pl.DataFrame({"vessel_id": ["vA", "vB"], "mmsi": [667000001, 412000002]})
    rows = score_shipments(estimated, mmsis, parsed, "KP", "CN", "coal")
    matched = rows.filter(pl.col("true_t").is_not_null()).sort("true_t")
    assert matched["error"].to_list() == pytest.approx([-0.2, 0.1])
    assert rows.filter(pl.col("true_t").is_null())["estimated_t"].to_list() == [1_000.0]  # a false shipment


def test_load_truth_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"truth\.json"):
        load_truth(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text(json.dumps({"events": []}))
    with pytest.raises(InputError):
        load_truth(tmp_path / "bad.json")


@pytest.mark.slow
def test_accuracy_harness_runs_end_to_end(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "accuracy.py"), "--days", "2", "--vessels", "16", "--seed", "4",
         "--keep", str(tmp_path / "work"), "--results", str(tmp_path / "results.json")],
        capture_output=True, text=True, check=False, timeout=600, env={**os.environ, "COLUMNS": "160"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "agrees" in result.stdout and "port_visit" in result.stdout
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["ingest"]["agrees"] and saved["ingest"]["positions_stored"] > 0
    assert {row["event_type"] for row in saved["events"]} >= {"ais_gap", "encounter", "port_visit"}


def test_draught_changes_expected_by_the_design_definition(truth: dict[str, Any]) -> None:
    small = _event("draught_change", "C", 413000003, 30, 31, subtype="load")
    small["details"] = {"draught_before_m": 7.02, "draught_after_m": 7.38}  # 7.0 → 7.4 in AIS: below 0.5 m
    large = _event("draught_change", "C", 413000003, 90, 91, subtype="discharge")
    large["details"] = {"draught_before_m": 9.3, "draught_after_m": 7.1}
    truth["events"] += [small, large]
    expected = expected_events(truth_from_dict(truth)).filter(pl.col("event_type") == "draught_change")
    assert expected["draught_change_m"].to_list() == [-2.2]


def test_only_closed_likely_deliberate_gaps_are_scored(truth: dict[str, Any]) -> None:
    detected = _detected(
        [
            ("ais_gap", "in_port", 413000003, None, 10, 20),
            ("ais_gap", "likely_deliberate", 445000001, None, 10, 40),
        ]
    )
    row = _row(score_events(detected, truth_from_dict(truth)).table, "ais_gap")
    assert row["detected"] == 1 and row["matched"] == 1
