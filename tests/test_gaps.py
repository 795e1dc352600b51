"""AIS gaps: the reception model, the confidence that a transmitter was off, subtypes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from shadowfleet.config import AreaConfig, DarkPortCallConfig, GapConfig
from shadowfleet.errors import ConfigError
from shadowfleet.events.common import make_events
from shadowfleet.events.dark_port_calls import detect_dark_port_calls
from shadowfleet.events.gaps import detect_gaps
from shadowfleet.geo.gazetteer import harbours
from shadowfleet.geo.land import distance_to_land_m
from tests.track_builders import T0

DAYS = 12
STEP_H = 0.5


def fleet(
    n: int = 30,
    *,
    lat0: float = 35.4,
    lon0: float = 123.8,
    receiver: str = "satellite",
    step_h: float = STEP_H,
    days: float = DAYS,
    silences: dict[int, tuple[float, float]] | None = None,
    everyone_silent: tuple[float, float] | None = None,
    natural: bool = False,
    seed: int = 1,
) -> pl.DataFrame:
    """``n`` vessels circling slowly at sea, heard every ``step_h`` hours.

    Args:
        silences: Vessel index → (start, end) hours during which it is not heard.
        everyone_silent: Hours during which no vessel is heard (a coverage outage).
        natural: Give every other vessel one ordinary 14 h silence at a random time,
            so that the data show how long silences last here.
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    hours = np.arange(0.0, days * 24.0, step_h)
    for index in range(n):
        phase = rng.uniform(0, 2 * np.pi)
        lat = lat0 + 0.25 * np.sin(2 * np.pi * hours / 48.0 + phase) + rng.uniform(-0.2, 0.2)
        lon = lon0 + 0.25 * np.cos(2 * np.pi * hours / 48.0 + phase) + rng.uniform(-0.2, 0.2)
        keep = np.ones(hours.size, dtype=bool)
        if silences and index in silences:
            start, end = silences[index]
            keep &= (hours <= start) | (hours >= end)
        if everyone_silent:
            start, end = everyone_silent
            keep &= (hours <= start) | (hours >= end)
        if natural and not (silences and index in silences):
            start = float(rng.uniform(24.0, days * 24.0 - 48.0))
            keep &= (hours <= start) | (hours >= start + 14.0)
        for h, la, lo in zip(hours[keep], lat[keep], lon[keep], strict=True):
            rows.append(
                {
                    "vessel_id": f"V{index:03d}",
                    "mmsi": 412_000_000 + index,
                    "timestamp": T0 + timedelta(hours=float(h)),
                    "lat": float(la),
                    "lon": float(lo),
                    "sog_kn": 8.0,
                    "transponder_class": "A",
                    "receiver_class": receiver,
                }
            )
    return pl.DataFrame(rows).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC"))


def gaps_of(frame: pl.DataFrame, vessel: str, config: GapConfig | None = None) -> pl.DataFrame:
    events = detect_gaps(frame, config or GapConfig())
    return events.filter(pl.col("vessel_id") == vessel)


def detail(event: pl.DataFrame, key: str) -> Any:
    return json.loads(event["details"][0])[key]


def test_silence_where_everyone_is_heard_scores_high() -> None:
    frame = fleet(silences={3: (100.0, 172.0)}, natural=True)
    gap = gaps_of(frame, "V003")
    assert gap.height == 1
    assert gap["subtype"][0] == "likely_deliberate"
    assert gap["confidence"][0] > 0.95
    assert detail(gap, "duration_h") == pytest.approx(72.0, abs=0.6)
    assert detail(gap, "windows") >= 5
    assert detail(gap, "shore_start_m") > 20_000  # mid Yellow Sea
    assert detail(gap, "p_silent_if_on") < 1e-3
    # The others' ordinary 14 h silences are reception.
    others = detect_gaps(frame, GapConfig()).filter(pl.col("vessel_id") != "V003")
    assert others.height == 29
    assert (others["subtype"] == "reception").all()


def test_outage_that_silences_everyone_is_reception() -> None:
    frame = fleet(everyone_silent=(100.0, 130.0))
    events = detect_gaps(frame, GapConfig())
    assert events.height == 30  # every vessel has the same 30 h silence
    assert (events["subtype"] == "reception").all()
    assert events["confidence"].max() < 0.5  # type: ignore[operator]
    assert detail(events, "z1_others_start") > 0.5


def test_place_where_long_silences_are_ordinary_is_reception() -> None:
    # Sparse reception: every vessel is heard only every 30 h, so a 36 h silence there
    # is what everyone does, while the same silence in a well-covered sea is not.
    sparse = fleet(step_h=30.0, days=20, silences={3: (300.0, 336.0)})
    gap = sparse.pipe(detect_gaps, GapConfig()).filter(
        (pl.col("vessel_id") == "V003") & (pl.col("start_time") >= T0 + timedelta(hours=290))
    )
    assert gap.height >= 1
    assert (gap["confidence"] < 0.5).all()
    dense = gaps_of(fleet(silences={3: (100.0, 136.0)}, natural=True), "V003")
    assert dense["confidence"][0] > 0.5


def test_short_silence_spanning_no_window_is_not_evidence() -> None:
    gap = gaps_of(fleet(silences={3: (100.5, 109.0)}), "V003")  # 8.5 h, inside one 12 h window
    assert gap.height == 1
    assert detail(gap, "windows") == 0
    assert gap["confidence"][0] == pytest.approx(GapConfig().prior_deliberate)
    assert gap["subtype"][0] == "reception"


def test_below_threshold_is_not_a_gap_and_empty_input() -> None:
    assert gaps_of(fleet(silences={3: (100.0, 105.0)}), "V003").is_empty()
    assert detect_gaps(fleet(n=1).head(1), GapConfig()).is_empty()


def test_stopped_in_port_is_in_port() -> None:
    port = harbours().filter(pl.col("name") == "NINGBO").row(0, named=True)
    rows = [
        {
            "vessel_id": "P1",
            "mmsi": 413_000_001,
            "timestamp": T0 + timedelta(hours=float(hours)),
            "lat": port["lat"] + 0.001,
            "lon": port["lon"],
            "sog_kn": 0.0,
            "transponder_class": "A",
            "receiver_class": "terrestrial",
        }
        for hours in [*np.arange(0.0, 20.0, 0.25), *np.arange(60.0, 80.0, 0.25)]
    ]
    frame = pl.concat(
        [
            fleet(lat0=30.0, lon0=123.3, receiver="terrestrial"),
            pl.DataFrame(rows).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC")),
        ]
    )
    gap = gaps_of(frame, "P1").filter(pl.col("end_time").is_not_null())  # and an open one after 80 h
    assert gap.height == 1
    assert gap["subtype"][0] == "in_port"
    assert gap["port_name"][0] == "NINGBO"


def test_open_gap_mid_sea_and_at_the_edge_of_the_data() -> None:
    frame = fleet(silences={3: (150.0, 10_000.0)})
    gap = gaps_of(frame, "V003")
    assert gap.height == 1
    assert gap["end_time"][0] is None
    assert detail(gap, "open") is True
    assert gap["confidence"][0] > 0.5  # vanished where everyone else is heard
    # Where vessels routinely leave the data (the edge of a regional feed), vanishing
    # is ordinary: ten ships sail east out of the data at 125.5° E.
    rows = []
    for index in range(10):
        start_h = 20.0 + 10.0 * index
        for step in range(0, 48):
            hours = start_h + 0.25 * step
            rows.append(
                {
                    "vessel_id": f"X{index:02d}",
                    "mmsi": 414_000_000 + index,
                    "timestamp": T0 + timedelta(hours=hours),
                    "lat": 35.5,
                    "lon": 123.1 + 0.2 * 0.25 * step * 1.0,
                    "sog_kn": 10.0,
                    "transponder_class": "A",
                    "receiver_class": "satellite",
                }
            )
    leaving = pl.concat([fleet(), pl.DataFrame(rows).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC"))])
    edge = detect_gaps(leaving, GapConfig()).filter(pl.col("vessel_id").str.starts_with("X"))
    assert edge.height == 10
    assert edge["end_time"].is_null().all()
    assert (edge["confidence"] < 0.5).all()
    assert all(json.loads(d)["p_left_data"] > 0.05 for d in edge["details"])


def test_event_id_survives_reclassification() -> None:
    frame = fleet(silences={3: (100.0, 136.0)})
    strict = gaps_of(frame, "V003", GapConfig(prior_deliberate=0.5))
    lenient = gaps_of(frame, "V003", GapConfig(prior_deliberate=1e-9))
    assert strict["subtype"][0] != lenient["subtype"][0]
    assert strict["event_id"][0] == lenient["event_id"][0]


def test_areas_and_sanctioned_ports_near_the_ends() -> None:
    # Silent in Korea Bay, near the DPRK west coast: the packaged areas name it.
    frame = fleet(lat0=38.6, lon0=123.9, silences={3: (100.0, 172.0)})
    gap = gaps_of(frame, "V003")
    assert gap.height == 1
    assert "korea_bay" in (detail(gap, "areas_start") or "")
    assert detail(gap, "sanctioned_port_start_m") < 300_000
    assert detail(gap, "sanctioned_port_start")
    assert detect_gaps(frame, GapConfig(), AreaConfig()).height >= 1


def test_distance_to_land() -> None:
    lat = np.array([35.4, 31.23, 37.0])
    lon = np.array([123.8, 121.47, 140.0])  # Yellow Sea, Shanghai (land), Japan inland
    distance = distance_to_land_m(lat, lon)
    assert distance[0] > 50_000
    assert distance[1] == 0.0
    assert distance[2] == 0.0


def test_config_validation() -> None:
    with pytest.raises(ConfigError):
        GapConfig(min_gap_h=0)
    with pytest.raises(ConfigError):
        GapConfig(window_h=100.0)
    with pytest.raises(ConfigError):
        GapConfig(prior_deliberate=1.0)
    with pytest.raises(ConfigError):
        GapConfig(port_area_m=-1)


# -- dark port calls ------------------------------------------------------------------


def _korea_bay_gap(
    duration_h: float, end_lat: float = 38.5, end_lon: float = 123.9, confidence: float = 0.99
) -> pl.DataFrame:
    start = T0 + timedelta(hours=100)
    return make_events(
        pl.DataFrame(
            {
                "event_type": ["ais_gap"],
                "subtype": ["likely_deliberate"],
                "vessel_id": ["V003"],
                "mmsi": [412_000_003],
                "start_time": [start],
                "end_time": [start + timedelta(hours=duration_h)],
                "lat": [38.4],
                "lon": [123.7],
                "confidence": [confidence],
                "details": [json.dumps({"end_lat": end_lat, "end_lon": end_lon, "duration_h": duration_h})],
            }
        ).with_columns(pl.col("start_time", "end_time").dt.replace_time_zone("UTC"))
    )


def _draught(before: float, after: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "vessel_id": ["V003", "V003"],
            "field": ["draught_m", "draught_m"],
            "value": [str(before), str(after)],
            "draught_m": [before, after],
            "start_time": [T0, T0 + timedelta(hours=100 + 130)],
            "end_time": [T0 + timedelta(hours=99), T0 + timedelta(hours=300)],
            "reports": [100, 100],
        }
    ).with_columns(pl.col("start_time", "end_time").dt.replace_time_zone("UTC"))


def test_dark_port_call_reachable_and_loaded() -> None:
    speeds = fleet(n=4)  # V003 sails at 8 kn
    calls = detect_dark_port_calls(_korea_bay_gap(120.0), speeds, _draught(4.0, 7.5), DarkPortCallConfig())
    assert calls.height == 1
    call = calls.row(0, named=True)
    assert call["subtype"] == "loaded"
    assert call["port_name"] in {"Nampo", "Kyomipo"}  # the Taedong estuary ports, nearest by sea
    info = json.loads(call["details"])
    assert info["country"] == "KP"
    assert info["sea_route_out_m"] > 100_000  # around the Ongjin peninsula, not across it
    assert info["time_in_port_h"] >= DarkPortCallConfig().min_stay_h
    assert info["gap_event_id"]
    odds = DarkPortCallConfig().draught_change_odds
    assert call["confidence"] == pytest.approx(0.99 * odds / (1 + odds), abs=1e-3)
    # Arrival after the gap began and departure before it ended.
    assert T0 + timedelta(hours=100) < call["start_time"] < call["end_time"] < T0 + timedelta(hours=220)


def test_a_false_position_hides_a_call_as_a_silence_does() -> None:
    speeds = fleet(n=4)
    start = T0 + timedelta(hours=100)
    hidden = {"true_before_lat": 38.4, "true_before_lon": 123.7, "true_after_lat": 38.5, "true_after_lon": 123.9}
    spoof = make_events(
        pl.DataFrame(
            {
                "event_type": ["spoofing", "spoofing"],
                "subtype": ["speed_jump", "speed_jump"],
                "vessel_id": ["V003", "V003"],
                "mmsi": [412_000_003, 412_000_003],
                "start_time": [start, start + timedelta(hours=300)],
                "end_time": [start + timedelta(hours=120), start + timedelta(hours=420)],
                # Broadcast from a Chinese anchorage meanwhile.
                "lat": [38.93, 38.93],
                "lon": [121.68, 121.68],
                # The second jump has no true fix after it: nothing to infer from.
                "details": [json.dumps(hidden), json.dumps({**hidden, "true_after_lat": None})],
            }
        ).with_columns(pl.col("start_time", "end_time").dt.replace_time_zone("UTC"))
    )
    calls = detect_dark_port_calls(spoof, speeds, _draught(4.0, 7.5), DarkPortCallConfig())
    assert calls.height == 1
    info = json.loads(calls["details"][0])
    assert info["hidden_by"] == "spoofing" and info["country"] == "KP" and calls["subtype"][0] == "loaded"
    gap = detect_dark_port_calls(_korea_bay_gap(120.0), speeds, _draught(4.0, 7.5), DarkPortCallConfig())
    assert json.loads(gap["details"][0])["hidden_by"] == "ais_gap"


def test_dark_port_call_needs_time_and_a_likely_switch_off() -> None:
    speeds = fleet(n=4)
    config = DarkPortCallConfig()
    too_short = detect_dark_port_calls(_korea_bay_gap(14.0), speeds, _draught(4.0, 4.0), config)
    assert too_short.is_empty()  # ~200 km each way at 8.8 kn does not fit in 14 h with a stay
    unlikely = detect_dark_port_calls(_korea_bay_gap(120.0, confidence=0.2), speeds, _draught(4.0, 7.5), config)
    assert unlikely.is_empty()
    unknown = detect_dark_port_calls(_korea_bay_gap(120.0), speeds, _draught(4.0, 4.0).head(0), config)
    assert unknown["subtype"][0] == "draught_unknown"
    assert unknown["confidence"][0] == pytest.approx(0.99 * config.prior_call, abs=1e-3)
    # Far from any sanctioned port: the East China Sea is days away from the DPRK.
    far = _korea_bay_gap(30.0).with_columns(pl.lit(28.0).alias("lat"), pl.lit(124.0).alias("lon"))
    far = far.with_columns(pl.lit(json.dumps({"end_lat": 28.1, "end_lon": 124.0, "duration_h": 30.0})).alias("details"))
    assert detect_dark_port_calls(far, speeds, _draught(4.0, 7.5), config).is_empty()
    with pytest.raises(ConfigError):
        DarkPortCallConfig(prior_call=1.0)


def test_coming_back_under_another_mmsi_is_evidence_of_a_switch_off() -> None:
    # Where silences of a day and a half are ordinary, the same silence with the
    # transmitter reprogrammed to another MMSI during it is not.
    frame = fleet(step_h=30.0, days=20, silences={3: (300.0, 336.0)})
    back_as_another = (pl.col("vessel_id") == "V003") & (pl.col("timestamp") >= T0 + timedelta(hours=336))
    renamed = frame.with_columns(pl.when(back_as_another).then(667_000_003).otherwise(pl.col("mmsi")).alias("mmsi"))

    def the_silence(events: pl.DataFrame) -> pl.DataFrame:
        return events.filter(
            (pl.col("vessel_id") == "V003")
            & (pl.col("start_time") >= T0 + timedelta(hours=290))
            & (pl.col("start_time") <= T0 + timedelta(hours=300))
        )

    config = GapConfig()
    same = the_silence(detect_gaps(frame, config))
    changed = the_silence(detect_gaps(renamed, config))
    assert same.height == changed.height == 1
    assert detail(same, "identity_changed") is False and detail(changed, "identity_changed") is True
    assert detail(changed, "end_mmsi") == 667_000_003
    p = detail(changed, "p_silent_if_on")
    prior = config.prior_deliberate
    assert changed["confidence"][0] == pytest.approx(
        prior / (prior + (1 - prior) * p / config.identity_change_ratio), abs=1e-3
    )
    assert changed["confidence"][0] > same["confidence"][0]
    with pytest.raises(ConfigError):
        GapConfig(identity_change_ratio=0.5)


def test_a_draught_declared_after_the_next_port_call_is_that_calls() -> None:
    speeds = fleet(n=4)
    gap = _korea_bay_gap(120.0)  # silent from hour 100 to 220
    # 4.0 m in force until hour 229, 7.5 m declared from 230: after a 4 h port visit
    # that began when the vessel reappeared.
    draughts = _draught(4.0, 7.5).with_columns(
        pl.when(pl.col("draught_m") == 4.0)
        .then(pl.lit(T0 + timedelta(hours=229)).dt.replace_time_zone("UTC"))
        .otherwise(pl.col("end_time"))
        .alias("end_time")
    )
    visits = make_events(
        pl.DataFrame(
            {
                "event_type": ["port_visit"],
                "vessel_id": ["V003"],
                "start_time": [T0 + timedelta(hours=220)],
                "end_time": [T0 + timedelta(hours=224)],
            }
        ).with_columns(pl.col("start_time", "end_time").dt.replace_time_zone("UTC"))
    )
    config = DarkPortCallConfig()
    alone = detect_dark_port_calls(gap, speeds, draughts, config)
    assert alone["subtype"].to_list() == ["loaded"]  # read 48 h after the silence
    called = detect_dark_port_calls(gap, speeds, draughts, config, visits)
    assert called["subtype"].to_list() == ["no_draught_change"]
    assert called["confidence"][0] == pytest.approx(0.99 * config.prior_call, abs=1e-3)
