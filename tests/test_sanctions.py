"""Sanctions lists in their real formats, and screening vessels against them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from shadowfleet.cli import app
from shadowfleet.config import ScreeningConfig
from shadowfleet.errors import ConfigError, InputError
from shadowfleet.sanctions.lists import imo_is_valid, load_list, merge_entries
from shadowfleet.sanctions.match import best_matches, normalise_name, screen_vessels, vessel_match_json
from shadowfleet.store.lake import Store

DATA = Path(__file__).parent / "data" / "sanctions"
UN = DATA / "un1718_designated_vessels_2020-06-04.csv"
OFAC = DATA / "sdn.csv"
EU = DATA / "eu_designated_vessels_2025-12.csv"
NOAA_HOUR = Path(__file__).parent / "data" / "csv" / "noaa_nyharbor_2020-06-30_first_hour.csv"
runner = CliRunner()


def test_imo_check_digit() -> None:
    assert imo_is_valid(9323340) and imo_is_valid(7303803)
    assert not imo_is_valid(9323341)
    assert not imo_is_valid(123456)


def test_un_1718_list() -> None:
    load = load_list(UN)
    assert load.layout == "un1718" and load.entries.height == 58 and not load.rejected
    blue = load.entries.filter(pl.col("name") == "Blue Nouvelle").row(0, named=True)
    assert blue["aliases"] == ["Chong Bong", "Greenlight"]
    assert blue["mmsis"] == [445114000, 445528000, 515721000, 529734000]
    assert blue["call_signs"] == ["HMXW", "T3NM2", "XUJX6"]
    assert load.entries["listed_on"].null_count() == 0


def test_ofac_sdn_official_layout_with_aliases() -> None:
    load = load_list(OFAC)
    assert load.layout == "ofac_sdn"
    assert load.entries.height == 406  # the companies among the first rows are not vessels
    assert load.entries["imo"].is_not_null().sum() == 399
    artavil = load.entries.filter(pl.col("name") == "ARTAVIL").row(0, named=True)
    assert set(artavil["aliases"]) >= {"ABADAN", "SHONA"}  # from alt.csv
    sand_swan = load.entries.filter(pl.col("name") == "SAND SWAN").row(0, named=True)
    assert "ANA I" in sand_swan["aliases"]  # f.k.a. in the remarks
    assert sand_swan["call_signs"] == ["P3QG3"] and sand_swan["owners"] == ["Sand & Swan Navigation Co. Ltd."]


def test_eu_list_and_merging_across_lists() -> None:
    eu = load_list(EU)
    assert eu.layout == "eu" and eu.entries.height == 597
    assert eu.entries.filter(pl.col("imo") == 9323340)["name"].to_list() == ["Tranquil Sea"]
    merged = merge_entries(pl.concat([load_list(UN).entries, load_list(OFAC).entries]))
    shared = merged.filter(pl.col("lists").list.unique().list.len() == 2)
    assert shared.height == 50  # the UN 1718 and OFAC 2021 lists share 50 hulls
    assert merged.height == 58 + 406 - 50
    one = shared.row(0, named=True)
    assert len(one["entry_ids"]) == len(one["lists"]) == 2


def test_opensanctions_followthemoney_lines(tmp_path: Path) -> None:
    lines = [
        {"id": "v1", "schema": "Vessel", "datasets": ["us_ofac_sdn"],
         "properties": {"name": ["OCEAN STAR"], "previousName": ["SEA STAR"], "imoNumber": ["9323340"],
                        "mmsi": ["538002775"], "flag": ["pa"], "callSign": ["3EAB2"]}},
        {"id": "c1", "schema": "Company", "properties": {"name": ["Shadow Shipping Ltd"]}},
        {"id": "o1", "schema": "Ownership", "properties": {"owner": ["c1"], "asset": ["v1"]}},
        {"id": "p1", "schema": "Person", "properties": {"name": ["Somebody"]}},
    ]  # fmt: skip
    path = tmp_path / "entities.ftm.json"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n", encoding="utf-8")
    load = load_list(path)
    assert load.layout == "ftm" and load.rejected == {"not a JSON entity": 1}
    row = load.entries.row(0, named=True)
    assert (row["name"], row["aliases"], row["imo"], row["mmsis"]) == ("OCEAN STAR", ["SEA STAR"], 9323340, [538002775])
    assert row["owners"] == ["Shadow Shipping Ltd"] and row["call_signs"] == ["3EAB2"]


def test_plain_watch_list_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "watch.csv"
    path.write_text(
        "Vessel,IMO Number,MMSI,Callsign\nKOREA STAR,9323341,,\n,,,\nRUNNER,,412000001,BXYZ\n", encoding="utf-8"
    )
    load = load_list(path)
    assert load.layout == "watchlist" and load.entries.height == 2
    assert load.rejected == {"invalid IMO number (entry kept without it)": 1, "no name, IMO, MMSI or call sign": 1}
    assert load.entries["imo"].to_list() == [None, None]


def test_unknown_layout_names_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="vessel_name, imo_number"):
        load_list(path)
    with pytest.raises(InputError, match="cannot read"):
        load_list(tmp_path / "missing.csv")


def _identities(rows: list[tuple[str, int, int | None, str, str | None, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "vessel_id": v,
                "mmsi": m,
                "imo": i,
                "name": n,
                "call_sign": c,
                "valid_from": datetime(2020, 3, d0, tzinfo=UTC),
                "valid_to": datetime(2020, 3, d1, tzinfo=UTC),
            }
            for v, m, i, n, c, d0, d1 in rows
        ]
    )


def test_screening_finds_renamed_and_relabelled_hulls() -> None:
    entries = merge_entries(pl.concat([load_list(UN).entries, load_list(EU).entries]))
    identities = _identities(
        [
            ("A", 538002775, 9323340, "TARGALE", None, 1, 10),  # EU-listed hull by IMO, another name
            ("B", 412000001, None, "M/V GREENLIGHT", None, 1, 5),  # a former UN name, renamed since
            ("B", 412000001, None, "HAPPY DAY", None, 5, 20),
            ("C", 445114000, None, "UNKNOWN", None, 1, 20),  # an MMSI the UN list gives
            ("D", 413000004, None, "NOTHING", "T3NM2", 1, 20),  # a call sign the UN list gives
            ("E", 413000005, 9000003, "GREENLIGHT", None, 1, 20),  # same name, another IMO: not this hull
        ]
    )
    matches = screen_vessels(identities, entries, ScreeningConfig())
    best = best_matches(matches)
    by_vessel = {row["vessel_id"]: row for row in best.iter_rows(named=True)}
    assert by_vessel["A"]["matched_on"] == "imo" and by_vessel["A"]["listed_name"] == "Tranquil Sea"
    assert by_vessel["B"]["matched_on"] == "name" and by_vessel["B"]["listed_name"] == "Blue Nouvelle"
    assert by_vessel["B"]["score"] < ScreeningConfig().call_sign_score and by_vessel["B"]["name_only"]
    assert by_vessel["C"]["matched_on"] == "mmsi" and by_vessel["D"]["matched_on"] == "call_sign"
    assert "E" not in by_vessel
    period = matches.filter((pl.col("vessel_id") == "B") & (pl.col("matched_on") == "name"))
    assert period["valid_to"].to_list() == [datetime(2020, 3, 5, tzinfo=UTC)]  # when it carried that name
    json_rows = vessel_match_json(matches).filter(pl.col("vessel_id") == "A")["sanctions_matches"][0]
    assert json.loads(json_rows) == [
        {"list": "EU", "entry_id": "EU:9323340", "listed_name": "Tranquil Sea", "matched_on": "imo", "score": 1.0}
    ]


def test_name_normalisation_and_config() -> None:
    assert normalise_name("M/V  Chon-Ma San.") == "CHON MA SAN"
    assert normalise_name("MT Ocean Star") == "OCEAN STAR"
    with pytest.raises(ConfigError):
        ScreeningConfig(name_min_similarity=0)


def test_screen_command_on_the_new_york_hour(tmp_path: Path) -> None:
    store = tmp_path / "store"
    for args in (["ingest", NOAA_HOUR, "--store", store], ["detect", "--store", store]):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["screen", "--store", str(store), "--list", str(EU), "--list", str(UN), "--list", str(OFAC)]
    )
    assert result.exit_code == 0, result.output
    assert "Tranquil" in result.output
    vessels = Store(store).scan("vessels").collect().filter(pl.col("mmsi") == 538002775)
    matches = json.loads(vessels["sanctions_matches"][0])
    assert matches[0]["listed_name"] == "Tranquil Sea" and matches[0]["matched_on"] == "imo"
    table = Store(store).scan("sanctions_matches").collect()
    assert table.filter(pl.col("matched_on") == "imo").height == 1
    odd = tmp_path / "odd.csv"
    odd.write_text("when,where\n2020-01-01,sea\n", encoding="utf-8")
    bad = runner.invoke(app, ["screen", "--store", str(store), "--list", str(odd)])
    assert bad.exit_code == 2 and "not a sanctions list layout" in bad.output


def test_run_ingests_detects_screens_and_estimates_trade(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = runner.invoke(app, ["run", str(NOAA_HOUR), "--store", str(store), "--list", str(EU), "-q"])
    assert result.exit_code == 0, result.output
    assert "highest risk" in result.output and "trade_flows" in result.output
    assert Store(store).table_files("voyages") and Store(store).table_files("shipments")
    vessels = Store(store).scan("vessels").collect().sort("risk_score", descending=True)
    top = vessels.row(0, named=True)
    assert top["mmsi"] == 538002775 and top["risk_score"] == 60.0
    assert json.loads(top["risk_reasons"])[0]["event_ids"] == ["EU:9323340"]
    before = runner.invoke(app, ["screen", "--store", str(tmp_path / "empty"), "--list", str(EU)])
    assert before.exit_code != 0
