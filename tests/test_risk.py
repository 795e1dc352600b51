"""Explainable risk: every point traceable to an event or a list entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from shadowfleet.config import RiskConfig
from shadowfleet.errors import ConfigError
from shadowfleet.events.areas import load_areas
from shadowfleet.risk.score import band, score_vessels
from shadowfleet.schemas import EVENTS, SANCTIONS_MATCHES, VESSELS, conform

T = datetime(2020, 3, 1, tzinfo=UTC)


def _vessels(*ids: str) -> pl.DataFrame:
    return conform(
        pl.DataFrame({"vessel_id": list(ids), "mmsi": list(range(412000001, 412000001 + len(ids)))}), VESSELS
    )


def _event(event_id: str, vessel: str, kind: str, subtype: str | None = None, **extra: object) -> dict[str, object]:
    return {"event_id": event_id, "vessel_id": vessel, "event_type": kind, "subtype": subtype, "start_time": T,
            "end_time": T, "lat": extra.pop("lat", 30.0), "lon": extra.pop("lon", 122.0),
            "confidence": extra.pop("confidence", 1.0), **extra}  # fmt: skip


def _events(rows: list[dict[str, object]]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows), EVENTS)


def _reasons(scored: pl.DataFrame, vessel: str) -> dict[str, dict[str, object]]:
    text = scored.filter(pl.col("vessel_id") == vessel)["risk_reasons"][0]
    return {r["indicator"]: r for r in json.loads(text)}


def test_points_are_traceable_and_capped() -> None:
    events = _events(
        [
            _event("g1", "A", "ais_gap", "likely_deliberate", confidence=0.9),
            _event("g2", "A", "ais_gap", "likely_deliberate", confidence=0.5),
            _event("g3", "A", "ais_gap", "reception", confidence=0.1),  # not a reason
            _event("d1", "A", "dark_port_call", "loaded", confidence=0.8),
            *[_event(f"s{i}", "B", "spoofing", "speed_jump") for i in range(5)],  # capped
        ]
    )
    config = RiskConfig()
    scored = score_vessels(_vessels("A", "B", "C"), events, pl.DataFrame(schema=SANCTIONS_MATCHES), config)
    a = _reasons(scored, "A")
    assert a["deliberate_gap"]["points"] == pytest.approx(config.gap_points * 1.4, abs=0.1)
    assert a["deliberate_gap"]["event_ids"] == ["g1", "g2"]
    assert a["dark_port_call"]["points"] == pytest.approx(config.dark_port_call_points * 0.8, abs=0.1)
    total = scored.filter(pl.col("vessel_id") == "A")["risk_score"][0]
    assert total == pytest.approx(sum(r["points"] for r in a.values()), abs=0.2)
    assert _reasons(scored, "B")["spoofing"]["points"] == config.spoofing_cap
    c = scored.filter(pl.col("vessel_id") == "C").row(0, named=True)
    assert c["risk_score"] == 0.0 and c["risk_reasons"] == "[]"


def test_list_matches_and_one_hop_through_encounters() -> None:
    matches = conform(
        pl.DataFrame(
            [
                {
                    "vessel_id": "L",
                    "key": "IMO:9323340",
                    "lists": ["UN1718"],
                    "entry_ids": ["UN1718:9323340"],
                    "listed_name": "X",
                    "matched_on": "imo",
                    "score": 1.0,
                },
                {
                    "vessel_id": "N",
                    "key": "IMO:7303803",
                    "lists": ["EU"],
                    "entry_ids": ["EU:7303803"],
                    "listed_name": "Y",
                    "matched_on": "name",
                    "score": 0.6,
                },
            ]
        ),
        SANCTIONS_MATCHES,
    )
    events = _events(
        [
            _event("e1", "P", "encounter", "sts", other_vessel_id="L"),  # met the listed hull
            _event("e2", "Q", "encounter", "brief", other_vessel_id="R"),
            *[_event(f"g{i}", "R", "ais_gap", "likely_deliberate") for i in range(3)],
            *[_event(f"d{i}", "R", "dark_port_call", "loaded") for i in range(2)],
        ]
    )
    config = RiskConfig()
    scored = score_vessels(_vessels("L", "N", "P", "Q", "R"), events, matches, config)
    assert _reasons(scored, "L")["sanctions_list"] == {
        "indicator": "sanctions_list", "points": 60.0, "event_ids": ["UN1718:9323340"]
    }  # fmt: skip
    assert _reasons(scored, "N")["sanctions_name"]["points"] == config.name_match_points
    p = _reasons(scored, "P")
    assert p["partner_listed"]["event_ids"] == ["e1"] and "ship_to_ship" in p
    assert _reasons(scored, "L")["ship_to_ship"]["event_ids"] == ["e1"]  # a meeting counts for both ships
    q = _reasons(scored, "Q")
    assert q["partner_high_risk"]["points"] == config.partner_high_risk_points  # R scored high on its own


def test_loitering_in_a_high_risk_area_and_bands() -> None:
    events = _events(
        [
            _event("l1", "A", "loitering", "at_sea", lat=38.5, lon=124.0),  # Korea Bay
            _event("l2", "B", "loitering", "at_sea", lat=33.0, lon=125.5),  # off Jeju: not high-risk
            _event("a1", "B", "area_entry", "ningbo_zhoushan_anchorages"),
        ]
    )
    config = RiskConfig()
    scored = score_vessels(_vessels("A", "B"), events, pl.DataFrame(schema=SANCTIONS_MATCHES), config, load_areas())
    assert _reasons(scored, "A")["high_risk_area"]["event_ids"] == ["l1"]
    assert scored.filter(pl.col("vessel_id") == "B")["risk_score"][0] == 0.0
    bands = pl.DataFrame({"s": [0.0, 30.0, 60.0, 90.0]}).select(band(pl.col("s"), config).alias("b"))["b"].to_list()
    assert bands == ["low", "medium", "high", "severe"]
    with pytest.raises(ConfigError):
        RiskConfig(high_from=90.0, severe_from=80.0)
