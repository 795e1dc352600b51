"""Voyages, shipments and trade flows on hand-built events and declared draughts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from shadowfleet.cli import app
from shadowfleet.config import Config, TradeConfig
from shadowfleet.errors import ConfigError, InputError
from shadowfleet.events.common import make_events
from shadowfleet.events.draught import kept_draughts
from shadowfleet.geo.distance import destination
from shadowfleet.geo.gazetteer import harbours
from shadowfleet.schemas import DECLARATIONS, IDENTITIES, conform
from shadowfleet.store.lake import Store
from shadowfleet.trade.cargo import cargo_from_draught, displacement_t, tpc_t_per_cm
from shadowfleet.trade.flows import estimate_trade, trade_flows
from shadowfleet.trade.registry import load_registry
from shadowfleet.trade.voyages import (
    build_shipments,
    build_voyages,
    cargo_operations,
    cargo_stops,
    hidden_intervals,
    reappearances,
    vessel_hulls,
)

T0 = datetime(2020, 3, 1, tzinfo=UTC)
CONFIG = Config()


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def visit(vessel: str, start_h: float, end_h: float, port: str, country: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_type": "port_visit",
        "vessel_id": vessel,
        "start_time": at(start_h),
        "end_time": at(end_h),
        "port_name": port,
        "confidence": 1.0,
        "details": json.dumps({"country_iso2": country}),
        **extra,
    }


def dark_call(vessel: str, start_h: float, end_h: float, port: str, country: str) -> dict[str, Any]:
    return {
        "event_type": "dark_port_call",
        "subtype": "loaded",
        "vessel_id": vessel,
        "start_time": at(start_h),
        "end_time": at(end_h),
        "port_name": port,
        "confidence": 0.8,
        "details": json.dumps({"country": country}),
    }


def meeting(vessel: str, other: str, start_h: float, end_h: float) -> dict[str, Any]:
    return {
        "event_type": "encounter",
        "subtype": "sts",
        "vessel_id": vessel,
        "other_vessel_id": other,
        "start_time": at(start_h),
        "end_time": at(end_h),
        "lat": 20.5,
        "lon": 107.5,
        "confidence": 0.9,
    }


def declared(vessel: str, *values: tuple[float, float]) -> list[dict[str, Any]]:
    """Declared draughts (from hour, metres), each in force until the next."""
    rows = []
    for i, (hour, draught) in enumerate(values):
        end = values[i + 1][0] - 0.1 if i + 1 < len(values) else 2_000.0
        rows.append(
            {
                "vessel_id": vessel,
                "field": "draught_m",
                "value": str(draught),
                "draught_m": draught,
                "start_time": at(hour),
                "end_time": at(end),
                "reports": 50,
            }
        )
    return rows


def hull(vessel: str, length: float = 100.0, beam: float = 16.0, imo: int | None = None) -> dict[str, Any]:
    return {
        "vessel_id": vessel,
        "mmsi": 100_000_000 + len(vessel),
        "imo": imo,
        "ship_type": 70,
        "length_m": length,
        "beam_m": beam,
        "valid_from": T0,
        "valid_to": at(2_000),
    }


def pipeline(
    events: list[dict[str, Any]],
    declarations: list[dict[str, Any]],
    identities: list[dict[str, Any]],
    config: TradeConfig | None = None,
    registry: pl.DataFrame | None = None,
    fixes: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    trade = config or CONFIG.trade
    frame = make_events(pl.DataFrame(events))
    ops = cargo_operations(
        cargo_stops(frame),
        kept_draughts(conform(pl.DataFrame(declarations), DECLARATIONS), CONFIG.draught),
        vessel_hulls(conform(pl.DataFrame(identities), IDENTITIES), registry),
        trade,
        CONFIG.draught.min_change_m,
        hidden_intervals(frame),
        fixes,
    )
    return ops, build_voyages(ops), build_shipments(ops, trade, arrivals=reappearances(frame, trade))


def direct_run() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Discharge at Ningbo, dark call at Nampo (load 3.5 -> 6.5 m), discharge at Longkou."""
    events = [
        visit("A", 0, 48, "NINGBO", "CN"),
        dark_call("A", 120, 180, "Nampo", "KP"),
        visit("A", 240, 300, "LONGKOU", "CN"),
    ]
    # Ballast typed in 2 h after leaving Ningbo; the laden draught only on arrival at
    # Longkou (within the arrival grace): a dark voyage's crew types it in late.
    draughts = declared("A", (-24, 6.5), (50, 3.5), (243, 6.5), (302, 3.5))
    return events, draughts, [hull("A")]


def test_a_direct_run_is_one_shipment_from_the_dark_call_to_the_discharge() -> None:
    ops, voyages, shipments = pipeline(*direct_run())
    assert ops["operation"].to_list() == ["discharge", "load", "discharge"]
    kp = shipments.filter(pl.col("origin_country") == "KP")
    assert kp.height == 1
    row = kp.row(0, named=True)
    expected = cargo_from_draught(100.0, 16.0, 3.5, 6.5, 70, 6.5)
    assert row["tonnes_mid"] == pytest.approx(expected.mid)
    assert row["tonnes_low"] < row["tonnes_mid"] < row["tonnes_high"]
    assert (row["origin_port"], row["destination_port"], row["destination_country"]) == ("Nampo", "LONGKOU", "CN")
    assert (row["method"], row["pattern"], row["commodity"]) == ("draught", "direct", "coal")
    assert row["origin_confidence"] == pytest.approx(0.8)
    # Legs: Ningbo -> Nampo in ballast, Nampo -> Longkou laden, Longkou -> (end) in ballast.
    assert voyages["state"].to_list() == ["ballast", "laden", "ballast"]
    assert voyages["destination_port"].to_list()[:2] == ["Nampo", "LONGKOU"]
    assert voyages["loaded_t"][1] == pytest.approx(expected.mid)


def test_a_draught_typed_in_after_the_grace_belongs_to_the_next_stop() -> None:
    events, _, identities = direct_run()
    late = declared("A", (-24, 6.5), (50, 3.5), (260, 6.5), (302, 3.5))  # 20 h after arriving
    ops, _, shipments = pipeline(events, late, identities)
    assert ops["operation"].to_list() == ["discharge", "none", "none"]
    # The dark call with no change declared is a loading of unknown size (declared origin).
    kp = shipments.filter(pl.col("origin_country") == "KP")
    assert kp["method"].to_list() == ["load_factor"] and kp["destination_port"].to_list() == ["LONGKOU"]


def test_a_ship_to_ship_transfer_moves_the_cargo_once() -> None:
    events = [
        dark_call("D", 0, 60, "Nampo", "KP"),
        meeting("D", "R", 120, 140),
        visit("R", 200, 260, "FANGCHENG", "CN"),
    ]
    draughts = declared("D", (-48, 3.5), (70, 6.5), (143, 3.5)) + declared("R", (-48, 2.5), (142, 5.5), (262, 2.5))
    ops, _, shipments = pipeline(events, draughts, [hull("D"), hull("R", 90.0, 15.0)])
    by_vessel = {(r["vessel_id"], r["kind"]): r["operation"] for r in ops.iter_rows(named=True)}
    assert by_vessel[("D", "encounter")] == "discharge" and by_vessel[("R", "encounter")] == "load"
    assert shipments.height == 1  # the receiver's load is the donor's cargo, not a new shipment
    row = shipments.row(0, named=True)
    assert (row["loaded_by"], row["carrier"], row["via_vessels"], row["pattern"]) == ("D", "R", "R", "ship_to_ship")
    assert (row["origin_country"], row["destination_country"]) == ("KP", "CN")
    assert row["tonnes_mid"] == pytest.approx(cargo_from_draught(100.0, 16.0, 3.5, 6.5, 70, 6.5).mid)
    assert row["transfer_event_ids"] == ops.filter(pl.col("kind") == "encounter")["event_id"][0]


def _dark_transfer_case(donor_dark: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """D loads at Nampo, meets R at sea with its AIS off (no encounter seen); R lands it in China."""
    events = [
        dark_call("D", 0, 60, "Nampo", "KP"),
        {"event_type": "loitering", "subtype": "at_sea", "vessel_id": "R", "start_time": at(120),
         "end_time": at(150), "lat": 21.0, "lon": 108.0},
        {"event_type": "loitering", "subtype": "at_sea", "vessel_id": "D", "start_time": at(200),
         "end_time": at(215), "lat": 22.0, "lon": 110.0},
        visit("R", 200, 260, "FANGCHENG", "CN"),
    ]  # fmt: skip
    if donor_dark:
        events.append(
            {"event_type": "ais_gap", "subtype": "likely_deliberate", "vessel_id": "D", "start_time": at(100),
             "end_time": at(190), "confidence": 0.9}
        )  # fmt: skip
    draughts = declared("D", (-48, 3.5), (70, 6.5), (218, 3.5)) + declared("R", (-48, 2.5), (152, 5.5), (262, 2.5))
    for row in draughts:  # D's laden draught was last heard when it went dark
        if row["vessel_id"] == "D" and row["draught_m"] == 6.5:
            row["end_time"] = at(100)
    return events, draughts, [hull("D"), hull("R", 100.0, 16.0)]


def test_a_transfer_made_while_the_donor_was_dark_is_paired() -> None:
    ops, _, shipments = pipeline(*_dark_transfer_case(donor_dark=True))
    keyed = ops.filter(pl.col("transfer_key").is_not_null())
    assert sorted(keyed["vessel_id"]) == ["D", "R"] and keyed["transfer_key"].n_unique() == 1
    assert shipments.height == 1
    row = shipments.row(0, named=True)
    assert (row["loaded_by"], row["carrier"], row["pattern"]) == ("D", "R", "ship_to_ship")
    assert (row["origin_country"], row["destination_country"]) == ("KP", "CN")
    # Seen from both sides the donor was visible: no pairing, the receiver's cargo has no origin.
    ops, _, shipments = pipeline(*_dark_transfer_case(donor_dark=False))
    assert ops["transfer_key"].is_null().all()
    assert shipments.filter(pl.col("destination_country") == "CN")["origin_country"].to_list() == [None]


@pytest.mark.parametrize(("apart_deg", "paired"), [(0.01, True), (0.5, False)])
def test_a_meeting_too_sparsely_heard_for_an_encounter_is_paired(apart_deg: float, paired: bool) -> None:
    # Both ships visible, heard only every few hours: one fix each near hour 150, together or 50 km apart.
    fixes = pl.DataFrame(
        {
            "vessel_id": ["R", "D", "D"],
            "timestamp": [at(150), at(151), at(60)],
            "lat": [21.0, 21.0 + apart_deg, 39.0],
            "lon": [108.0, 108.0, 125.0],
        }
    )
    ops, _, shipments = pipeline(*_dark_transfer_case(donor_dark=False), fixes=fixes)
    assert ops["transfer_key"].is_not_null().sum() == (2 if paired else 0)
    bound = shipments.filter(pl.col("destination_country") == "CN")
    assert bound["origin_country"].to_list() == (["KP"] if paired else [None])


def test_a_receiver_whose_donor_was_not_seen_loading_has_cargo_of_unknown_origin() -> None:
    events = [meeting("D", "R", 120, 140), visit("R", 200, 260, "FANGCHENG", "CN")]
    draughts = declared("D", (-48, 6.5), (143, 3.5)) + declared("R", (-48, 2.5), (142, 5.5), (262, 2.5))
    _, _, shipments = pipeline(events, draughts, [hull("D"), hull("R", 90.0, 15.0)])
    assert shipments.height == 1
    row = shipments.row(0, named=True)
    assert row["origin_kind"] == "encounter" and row["origin_country"] is None
    assert row["destination_country"] == "CN" and row["commodity"] == "unspecified"


def silence(vessel: str, start_h: float, end_h: float, end_lat: float, end_lon: float) -> dict[str, Any]:
    return {
        "event_type": "ais_gap",
        "subtype": "likely_deliberate",
        "vessel_id": vessel,
        "start_time": at(start_h),
        "end_time": at(end_h),
        "lat": 38.0,
        "lon": 123.0,
        "confidence": 1.0,
        "details": json.dumps({"end_lat": end_lat, "end_lon": end_lon}),
    }


def _chinese_port(offset_m: float) -> tuple[str, float, float]:
    """Longkou (Bohai coast) and a point ``offset_m`` north of it, out in the Bohai Sea."""
    port = harbours().filter((pl.col("name") == "Longkou") & (pl.col("kind") == "port")).row(0, named=True)
    lat, lon = destination(port["lat"], port["lon"], 0.0, offset_m)
    return "LONGKOU", float(lat), float(lon)


@pytest.mark.parametrize(("offset_m", "called_after"), [(3_000.0, False), (3_000.0, True), (60_000.0, False)])
def test_cargo_of_unknown_size_ends_where_the_runner_reappeared_off_a_port(offset_m: float, called_after: bool) -> None:
    # A runner silent from hour 100 to 300 (a dark call at Nampo inferred inside, the
    # draught declared the same on both sides) reappears just off a Chinese port and
    # sails on: it discharged during the silence.
    name, lat, lon = _chinese_port(offset_m)
    events = [
        visit("R", 0, 40, "DALIAN", "CN"),
        silence("R", 100, 300, lat, lon),
        dark_call("R", 130, 200, "Nampo", "KP"),
        visit("R", 400, 450, "BUSAN", "KR"),
    ]
    if called_after:
        events.append(visit("R", 302, 340, name, "CN"))
    draughts = declared("R", (-30, 6.0), (10, 3.0))
    _, _, shipments = pipeline(events, draughts, [hull("R")])
    kp = shipments.filter(pl.col("origin_country") == "KP").row(0, named=True)
    assert kp["method"] == "load_factor"
    if offset_m > 10_000:  # far out at sea: nothing says where it went before Busan
        assert (kp["destination_kind"], kp["destination_country"]) == ("port_visit", "KR")
    elif called_after:  # seen calling there: the visit is the destination
        assert (kp["destination_kind"], kp["destination_port"]) == ("port_visit", name)
    else:
        # The nearest gazetteer point: an anchorage of Longkou, labelled with its
        # prefecture-level port (Yantai) by GFW.
        assert (kp["destination_kind"], kp["destination_country"]) == ("reappearance", "CN")
        assert kp["destination_port"].upper() in {name, "YANTAI"}
        assert kp["discharge_end"] == at(300)


def test_a_reappearance_off_another_countrys_port_separates_two_loadings() -> None:
    # Two dark calls at Nampo a day apart are one loading at two berths, unless the
    # ship reappeared off a Chinese port in between (it delivered the first cargo).
    _, lat, lon = _chinese_port(2_000.0)
    draughts = declared("R", (-30, 6.0), (10, 3.0))
    first_silence = [silence("R", 100, 218, 38.3, 123.5), dark_call("R", 130, 200, "Nampo", "KP")]
    second = [silence("R", 222, 330, 38.3, 123.5), dark_call("R", 230, 300, "Nampo", "KP")]
    _, _, one = pipeline(first_silence + second, draughts, [hull("R")])
    assert one.filter(pl.col("origin_country") == "KP").height == 1
    delivered = [silence("R", 100, 218, lat, lon), dark_call("R", 130, 200, "Nampo", "KP")]
    _, _, two = pipeline(delivered + second, draughts, [hull("R")])
    kp = two.filter(pl.col("origin_country") == "KP").sort("load_end")
    assert kp.height == 2
    assert kp["destination_kind"].to_list()[0] == "reappearance"


def test_cargo_of_unknown_size_cannot_reach_a_port_where_the_ship_came_light_and_loaded() -> None:
    # A silence off the Chinese coast with a DPRK port within reach, the declared
    # draught unchanged across it; then the ship, declaring its ballast draught, loads
    # a full cargo at the next port: it had no DPRK cargo aboard.
    events = [visit("O", 0, 48, "NINGBO", "CN"), dark_call("O", 120, 180, "Nampo", "KP")]
    events.append(visit("O", 240, 250, "TANGSHAN", "CN"))
    ordinary = declared("O", (-24, 9.0), (50, 4.5), (252, 9.5))
    ops, _, shipments = pipeline(events, ordinary, [hull("O", 180.0, 30.0)])
    assert ops["operation"].to_list() == ["discharge", "none", "load"]
    assert shipments.filter(pl.col("origin_country") == "KP").is_empty()
    # Arriving in ballast and leaving in ballast, it may have discharged DPRK cargo there.
    _, _, kept = pipeline(events, declared("O", (-24, 9.0), (50, 4.5)), [hull("O", 180.0, 30.0)])
    assert kept.filter(pl.col("origin_country") == "KP")["destination_port"].to_list() == ["TANGSHAN"]


def test_a_vessel_that_never_updates_its_draught_gets_the_weaker_load_factor_estimate() -> None:
    events = [visit("B", 0, 30, "NAMPO", "KP"), visit("B", 50, 60, "NAMPO", "KP"), visit("B", 100, 140, "DALIAN", "CN")]
    draughts = declared("B", (-10, 4.2))
    _, voyages, shipments = pipeline(events, draughts, [hull("B", 90.0, 14.0)])
    assert shipments.height == 1  # two calls in a row at the origin's ports are one loading
    row = shipments.row(0, named=True)
    assert (row["method"], row["origin_port"], row["destination_port"]) == ("load_factor", "NAMPO", "DALIAN")
    # Deadweight from the hull's proportions (L/T 12-19), load factor 0.7-1.0.
    assert 1_000 < row["tonnes_low"] < row["tonnes_mid"] < row["tonnes_high"] < 10_000
    assert set(voyages["state"]) == {"unknown"}
    # Still at Dalian when the data end: arrived, its discharge not seen, not in the flows.
    ops, _, _ = pipeline(events, draughts, [hull("B", 90.0, 14.0)])
    open_end = build_shipments(ops, CONFIG.trade, data_end=at(142))
    assert open_end["destination_kind"].to_list() == ["arrived"]
    assert trade_flows(open_end).is_empty()
    assert (
        estimate_trade(open_end, "KP", "CN", "coal", (80.0, 100.0)).to_json()["arrived_not_discharged"]["voyages"] == 1
    )
    assert build_shipments(ops, CONFIG.trade, data_end=at(160))["destination_kind"].to_list() == ["port_visit"]
    # Seen leaving Dalian two hours before the data end: it was not still there.
    left = [
        *events[:2],
        visit("B", 100, 140, "DALIAN", "CN", details=json.dumps({"country_iso2": "CN", "exited": True})),
    ]
    ops_left, _, _ = pipeline(left, draughts, [hull("B", 90.0, 14.0)])
    assert build_shipments(ops_left, CONFIG.trade, data_end=at(142))["destination_kind"].to_list() == ["port_visit"]
    # Without a declared commodity for the origin there is no guess.
    _, _, none = pipeline(events, draughts, [hull("B", 90.0, 14.0)], TradeConfig(declared_commodities=()))
    assert none.is_empty()


def test_a_stop_inside_a_spoofed_interval_has_no_place() -> None:
    events, draughts, identities = direct_run()
    spoof = {
        "event_type": "spoofing",
        "subtype": "speed_jump",
        "vessel_id": "A",
        "start_time": at(100),
        "end_time": at(200),
    }
    fake_visit = visit("A", 110, 190, "DALIAN", "CN")  # the fake positions sit at Dalian
    events = [e for e in events if e["event_type"] != "dark_port_call"] + [spoof, fake_visit]
    ops, _, shipments = pipeline(events, draughts, identities)
    assert ops.filter(pl.col("kind") == "spoofed")["port_name"].to_list() == [None]
    loaded = shipments.filter(pl.col("origin_kind") == "spoofed")
    assert loaded.height == 1 and loaded["origin_country"][0] is None  # never a CN -> CN shipment


def test_a_registry_tpc_replaces_the_estimated_hull(tmp_path: Path) -> None:
    events, draughts, _ = direct_run()
    path = tmp_path / "registry.csv"
    tpc = tpc_t_per_cm(100.0, 16.0, 0.84)  # a fuller hull than the type's 0.78
    path.write_text(f"IMO,DWT,TPC,design_draught\n9323340,6000,{tpc},6.6\n1234,1,1,1\n")
    registry = load_registry(path)
    assert registry.height == 1  # 1234 is no IMO number
    _, _, plain = pipeline(events, draughts, [hull("A", imo=9323340)])
    _, _, known = pipeline(events, draughts, [hull("A", imo=9323340)], registry=registry)
    expected = displacement_t(100.0, 16.0, 6.5, 6.6, 0.84) - displacement_t(100.0, 16.0, 3.5, 6.6, 0.84)
    assert known["tonnes_mid"][0] == pytest.approx(expected, rel=1e-6)
    assert known["tonnes_mid"][0] > plain["tonnes_mid"][0]
    assert known["tonnes_high"][0] / known["tonnes_low"][0] < plain["tonnes_high"][0] / plain["tonnes_low"][0]
    with pytest.raises(InputError, match="IMO column"):
        (tmp_path / "bad.csv").write_text("name,dwt\nX,5\n")
        load_registry(tmp_path / "bad.csv")


def test_flows_and_the_estimate() -> None:
    events, draughts, identities = direct_run()
    # A second run a month later by the same vessel.
    later = [
        dark_call("A", 720, 780, "Haeju", "KP"),
        visit("A", 840, 900, "LONGKOU", "CN"),
    ]
    draughts = declared("A", (-24, 6.5), (50, 3.5), (243, 6.5), (302, 3.5), (842, 6.3), (902, 3.5))
    _, _, shipments = pipeline(events + later, draughts, identities)
    flows = trade_flows(shipments, {"coal": (80.0, 100.0)})
    kp = flows.filter(pl.col("origin_country") == "KP")
    assert kp["voyages"].sum() == 2 and kp["month"].n_unique() == 2
    assert kp["value_usd_low"].sum() == pytest.approx(kp["tonnes_low"].sum() * 80)
    estimate = estimate_trade(shipments, "kp", "cn", "coal", (80.0, 100.0))
    out = estimate.to_json()
    assert {"tonnes", "value_usd", "voyages", "vessels", "by_month"} <= set(out)
    assert out["voyages"] == 2 and out["vessels"] == 1 and len(out["by_month"]) == 2
    assert out["value_usd"]["high"] == pytest.approx(out["tonnes"]["high"] * 100)
    direct = next(t for t in out["turnaround"] if t["pattern"] == "direct")
    assert direct["voyages"] == 2 and direct["median_round_trip_days"] == pytest.approx(25.0, abs=0.1)
    assert estimate_trade(shipments, "KP", "VN", "coal", (80.0, 100.0)).to_json()["voyages"] == 0


def test_trade_config_is_checked() -> None:
    with pytest.raises(ConfigError, match="COUNTRY:commodity"):
        TradeConfig(declared_commodities=("coal",))
    with pytest.raises(ConfigError, match="load_factor"):
        TradeConfig(load_factor=(0.9, 0.8, 1.0))
    assert TradeConfig(declared_commodities=("kp:coal", "IR:oil")).commodity_of() == {"KP": "coal", "IR": "oil"}


def test_estimate_trade_command(tmp_path: Path) -> None:
    events, draughts, identities = direct_run()
    store = Store(tmp_path / "store", create=True)
    with store.writing():
        store.replace_tables(
            {
                "events": make_events(pl.DataFrame(events)),
                "declarations": conform(pl.DataFrame(draughts), DECLARATIONS),
                "identities": conform(pl.DataFrame(identities), IDENTITIES),
            }
        )
    runner = CliRunner()
    args = ["estimate", "trade", "--store", str(store.root), "--origin-country", "KP", "--destination-country", "CN"]
    result = runner.invoke(app, [*args, "--commodity", "coal", "--price-usd-per-t", "80:100", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["voyages"] == 1 and out["tonnes"]["low"] < out["tonnes"]["mid"] < out["tonnes"]["high"]
    assert out["value_usd"]["low"] == pytest.approx(out["tonnes"]["low"] * 80)
    table = runner.invoke(app, [*args, "--commodity", "coal", "--price-usd-per-t", "80:100"])
    assert table.exit_code == 0 and "KP → CN coal" in table.output and "Nampo" in table.output
    assert pl.read_parquet(store.root / "trade_flows.parquet")["value_usd_high"].drop_nulls().len() >= 1
    bad = runner.invoke(app, [*args, "--commodity", "coal", "--price-usd-per-t", "cheap"])
    assert bad.exit_code == 1 and "LOW:HIGH" in bad.output
    empty = runner.invoke(app, ["estimate", "trade", "--store", str(tmp_path / "none"), *args[4:], "--commodity", "c"])
    assert empty.exit_code == 2
