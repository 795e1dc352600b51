"""The HTTP API (FastAPI's test client) over a small simulated store, and its pure queries."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shadowfleet.api import queries
from shadowfleet.api.app import create_app
from shadowfleet.config import RiskConfig
from shadowfleet.store.catalog import refresh_catalog
from shadowfleet.store.lake import Store
from shadowfleet.trade.flows import estimate_trade

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def store(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A copy: the writes and the reload test must not change the session's demo store.
    root = tmp_path_factory.mktemp("api") / "store"
    shutil.copytree(demo_store, root, ignore=shutil.ignore_patterns("_simulation", "analyst.sqlite*"))
    refresh_catalog(Store(root))
    return root


@pytest.fixture(scope="module")
def client(store: Path) -> TestClient:
    return TestClient(create_app(store, token=TOKEN))


@pytest.fixture(scope="module")
def read_only(store: Path) -> TestClient:
    return TestClient(create_app(store))


def table(store: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(store / f"{name}.parquet")


def arrow(body: bytes) -> pa.Table:
    return pa.ipc.open_stream(body).read_all()


def risky_vessel(store: Path) -> dict[str, Any]:
    """The highest-risk vessel with a sanctions match (the demo always has one)."""
    vessels = table(store, "vessels").filter(pl.col("sanctions_matches").is_not_null())
    return vessels.sort("risk_score", descending=True).row(0, named=True)


# --- overview and vessels -----------------------------------------------------------------------


def test_summary_counts_the_store(client: TestClient, store: Path) -> None:
    body = client.get("/api/summary").json()
    events = table(store, "events")
    assert body["vessels"] == table(store, "vessels").height
    assert body["events"] == events.height
    assert body["events_by_type"] == dict(events.group_by("event_type").len().iter_rows())
    assert (
        body["positions"] == pl.scan_parquet(store / "positions" / "**" / "*.parquet").select(pl.len()).collect().item()
    )
    assert body["sanctioned_vessels"] >= 1
    assert body["writes_enabled"] is True
    min_lon, min_lat, max_lon, max_lat = body["bbox"]
    assert min_lon < max_lon and min_lat < max_lat
    assert datetime.fromisoformat(body["time_min"]) < datetime.fromisoformat(body["time_max"])


def test_vessels_are_ranked_by_risk_and_filtered(client: TestClient, store: Path) -> None:
    body = client.get("/api/vessels", params={"limit": 1000}).json()
    scores = [v["risk_score"] for v in body["items"]]
    assert body["total"] == table(store, "vessels").height == len(scores)
    assert scores == sorted(scores, reverse=True)
    sanctioned = client.get("/api/vessels", params={"sanctioned": "true"}).json()
    assert sanctioned["total"] >= 1 and all(v["sanctioned"] for v in sanctioned["items"])
    severe = client.get("/api/vessels", params={"band": "severe", "limit": 1000}).json()["items"]
    assert all(v["band"] == "severe" and v["risk_score"] >= RiskConfig().severe_from for v in severe)
    middle = client.get("/api/vessels", params={"min_score": 10, "max_score": 50, "limit": 1000}).json()["items"]
    assert all(10 <= v["risk_score"] <= 50 for v in middle)


def test_vessel_pages_do_not_overlap(client: TestClient) -> None:
    first = client.get("/api/vessels", params={"limit": 5, "offset": 0}).json()["items"]
    second = client.get("/api/vessels", params={"limit": 5, "offset": 5}).json()["items"]
    assert len(first) == len(second) == 5
    assert not {v["vessel_id"] for v in first} & {v["vessel_id"] for v in second}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"flag": "KPX"}, 422),
        ({"band": "extreme"}, 422),
        ({"min_score": "nan"}, 422),
        ({"limit": 0}, 422),
        ({"limit": 5000}, 422),
        ({"offset": -1}, 422),
        ({"sanctioned": "maybe"}, 422),
    ],
)
def test_bad_vessel_filters_are_4xx(client: TestClient, params: dict[str, Any], status: int) -> None:
    response = client.get("/api/vessels", params=params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_search_finds_vessels_by_every_identifier(client: TestClient, store: Path) -> None:
    vessel = risky_vessel(store)
    identity = table(store, "identities").filter(pl.col("vessel_id") == vessel["vessel_id"]).row(0, named=True)

    def found(q: str) -> list[dict[str, Any]]:
        response = client.get("/api/vessels/search", params={"q": q})
        assert response.status_code == 200
        return response.json()["results"]

    by_mmsi = found(str(identity["mmsi"]))
    assert by_mmsi[0]["vessel_id"] == vessel["vessel_id"] and by_mmsi[0]["matched_on"] == "mmsi"
    assert by_mmsi[0]["match_score"] == 100
    if identity["imo"] is not None:
        for text in (str(identity["imo"]), f"IMO {identity['imo']}"):
            assert found(text)[0]["vessel_id"] == vessel["vessel_id"]
    if identity["call_sign"]:
        assert vessel["vessel_id"] in {r["vessel_id"] for r in found(identity["call_sign"].lower())}
    name = identity["name"]
    typo = name[:-1] + ("X" if name[-1] != "X" else "Y")  # one wrong letter
    assert vessel["vessel_id"] in {r["vessel_id"] for r in found(typo)}
    assert found("zzqqxxnothing") == []


def test_search_rejects_empty_text(client: TestClient) -> None:
    assert client.get("/api/vessels/search", params={"q": ""}).status_code == 422
    assert client.get("/api/vessels/search").status_code == 422


def test_profile_links_each_risk_reason_to_its_events(client: TestClient, store: Path) -> None:
    vessel = risky_vessel(store)
    body = client.get(f"/api/vessels/{vessel['vessel_id']}").json()
    assert body["vessel"]["vessel_id"] == vessel["vessel_id"]
    assert body["identities"] and all(i["vessel_id"] == vessel["vessel_id"] for i in body["identities"])
    assert body["sanctions_matches"] and body["sanctions_matches"][0]["lists"] == ["UN1718"]
    stored = json.loads(vessel["risk_reasons"])
    assert [r["indicator"] for r in body["risk_reasons"]] == [r["indicator"] for r in stored]
    event_ids = set(table(store, "events")["event_id"])
    for reason in body["risk_reasons"]:
        cited = set(reason["event_ids"])
        assert {e["event_id"] for e in reason["events"]} == cited & event_ids
        assert set(reason["list_entries"]) == cited - event_ids
    assert any(r["list_entries"] for r in body["risk_reasons"])  # the UN 1718 entry
    assert sum(body["event_counts"].values()) >= sum(len(r["events"]) > 0 for r in body["risk_reasons"])


def test_unknown_or_malformed_ids_are_404_or_422(client: TestClient) -> None:
    assert client.get("/api/vessels/Vnothere").status_code == 404
    assert client.get("/api/events/Enothere").status_code == 404
    assert client.get("/api/vessels/Vnothere/track").status_code == 404
    assert client.get("/api/vessels/bad id;drop").status_code == 422


# --- tracks ---------------------------------------------------------------------------------------


def test_track_is_simplified_for_the_zoom_and_keeps_its_gaps(client: TestClient, store: Path) -> None:
    vessel = risky_vessel(store)
    path = f"/api/vessels/{vessel['vessel_id']}/track"
    coarse = client.get(path, params={"zoom": 2}).json()
    fine = client.get(path, params={"zoom": 16}).json()
    assert coarse["simplification"]["positions_in"] == fine["simplification"]["positions_in"] > 0
    assert coarse["simplification"]["points_out"] < fine["simplification"]["points_out"]
    assert fine["simplification"]["points_out"] <= fine["simplification"]["positions_in"]
    assert len(coarse["features"]) == len(fine["features"])  # same stretches at every zoom
    for feature in fine["features"]:
        times = feature["properties"]["times_s"]
        assert times == sorted(times)
        assert feature["properties"]["n_points"] == len(times)
    # Consecutive stretches are separated by silences longer than gap_h.
    ends = [(f["properties"]["times_s"][0], f["properties"]["times_s"][-1]) for f in fine["features"]]
    assert all(later[0] - earlier[1] > 6 * 3600 for earlier, later in itertools.pairwise(ends))


def test_track_time_range_and_arrow_agree(client: TestClient, store: Path) -> None:
    vessel = risky_vessel(store)
    path = f"/api/vessels/{vessel['vessel_id']}/track"
    whole = client.get(path, params={"zoom": 22}).json()
    times = [t for f in whole["features"] for t in f["properties"]["times_s"]]
    middle = datetime.fromtimestamp(times[len(times) // 2], UTC)
    start, end = middle - timedelta(days=1), middle + timedelta(days=1)
    part = client.get(path, params={"zoom": 22, "start": start.isoformat(), "end": end.isoformat()}).json()
    part_times = [t for f in part["features"] for t in f["properties"]["times_s"]]
    assert part_times and all(start.timestamp() <= t <= end.timestamp() for t in part_times)
    assert len(part_times) < len(times)
    response = client.get(path, params={"zoom": 22, "format": "arrow"})
    assert response.headers["content-type"] == queries.ARROW_MEDIA_TYPE
    stream = arrow(response.content)
    assert stream.column_names == ["mmsi", "time_s", "lat", "lon", "sog_kn", "cog_deg", "stretch"]
    assert stream.column("time_s").to_pylist() == pytest.approx(times, abs=1e-3)
    assert client.get(path, params={"start": end.isoformat(), "end": start.isoformat()}).status_code == 400
    assert client.get(path, params={"zoom": 23}).status_code == 422
    assert client.get(path, params={"format": "kml"}).status_code == 422


def test_simplify_track_collapses_a_ship_at_anchor_and_keeps_gap_ends() -> None:
    start = datetime(2020, 3, 1, tzinfo=UTC)
    minutes = [0, 10, 20, 30, 40, 50, 60 * 10, 60 * 10 + 10]  # a 9 h silence before the last two fixes
    frame = pl.DataFrame(
        {
            "mmsi": [1] * 8,
            "timestamp": [start + timedelta(minutes=m) for m in minutes],
            "lat": [39.0, 39.00001, 39.00002, 39.00001, 39.0, 39.00001, 39.5, 39.5],
            "lon": [125.0] * 6 + [125.5, 125.50001],
            "sog_kn": [0.0] * 8,
            "cog_deg": [0.0] * 8,
        }
    )
    kept = queries.simplify_track(frame, zoom=8, gap_h=6)
    # Anchored: the first and last fix of the first stretch; after the gap, both fixes (ends of the stretch).
    assert kept["timestamp"].to_list() == [frame["timestamp"][i] for i in (0, 5, 6, 7)]
    assert kept["stretch"].to_list() == [0, 0, 1, 1]
    at_full_detail = queries.simplify_track(frame, zoom=22, gap_h=6)
    assert at_full_detail.height == frame.height


def test_simplify_track_keeps_one_fix_per_pixel_crossed() -> None:
    start = datetime(2020, 3, 1, tzinfo=UTC)
    n = 1000
    frame = pl.DataFrame(
        {
            "mmsi": [1] * n,
            "timestamp": [start + timedelta(minutes=i) for i in range(n)],
            "lat": [0.0] * n,
            "lon": [i * 0.001 for i in range(n)],  # 1 degree of longitude along the equator
            "sog_kn": [10.0] * n,
            "cog_deg": [90.0] * n,
        }
    )
    for zoom in (4, 6, 8):
        pixels = 1.0 / queries.pixel_deg(zoom)
        kept = queries.simplify_track(frame, zoom=zoom, gap_h=6).height
        assert pixels - 2 <= kept <= pixels + 3


# --- events ---------------------------------------------------------------------------------------


def test_events_filters(client: TestClient, store: Path) -> None:
    events = table(store, "events")
    gaps = client.get("/api/events", params={"type": "ais_gap", "limit": 1000}).json()
    assert gaps["total"] == events.filter(pl.col("event_type") == "ais_gap").height
    assert {e["event_type"] for e in gaps["items"]} == {"ais_gap"}
    both = client.get("/api/events", params=[("type", "ais_gap,encounter"), ("type", "port_visit")]).json()
    assert both["total"] == events.filter(pl.col("event_type").is_in(["ais_gap", "encounter", "port_visit"])).height
    deliberate = client.get("/api/events", params={"subtype": "likely_deliberate", "min_confidence": 0.5}).json()
    assert all(e["subtype"] == "likely_deliberate" and e["confidence"] >= 0.5 for e in deliberate["items"])
    box = client.get("/api/events", params={"bbox": "120,35,130,42", "limit": 1000}).json()["items"]
    assert all(120 <= e["lon"] <= 130 and 35 <= e["lat"] <= 42 for e in box)
    assert len(box) == events.filter(pl.col("lon").is_between(120, 130) & pl.col("lat").is_between(35, 42)).height
    newest = client.get("/api/events", params={"limit": 1000}).json()["items"]
    assert [e["start_time"] for e in newest] == sorted((e["start_time"] for e in newest), reverse=True)


def test_events_of_a_vessel_include_those_where_it_is_the_other_party(client: TestClient, store: Path) -> None:
    encounters = table(store, "events").filter(pl.col("event_type") == "encounter")
    if encounters.is_empty():
        pytest.skip("no encounter in this store")
    other = encounters.row(0, named=True)["other_vessel_id"]
    items = client.get("/api/events", params={"vessel_id": other, "type": "encounter"}).json()["items"]
    assert encounters.row(0, named=True)["event_id"] in {e["event_id"] for e in items}
    names = dict(table(store, "vessels").select("vessel_id", "name").iter_rows())
    assert all(e["other_vessel_name"] == names.get(e["other_vessel_id"]) for e in items)


def test_events_time_range_is_an_overlap(client: TestClient, store: Path) -> None:
    events = table(store, "events").filter(pl.col("end_time").is_not_null())
    long_one = events.sort(pl.col("end_time") - pl.col("start_time"), descending=True).row(0, named=True)
    inside = long_one["start_time"] + (long_one["end_time"] - long_one["start_time"]) / 2
    params = {"start": inside.isoformat(), "end": inside.isoformat(), "limit": 1000}
    found = {e["event_id"] for e in client.get("/api/events", params=params).json()["items"]}
    assert long_one["event_id"] in found


def test_event_pages_cover_every_event_once(client: TestClient, store: Path) -> None:
    total = table(store, "events").height
    seen: list[str] = []
    for offset in range(0, total, 400):
        seen += [
            e["event_id"] for e in client.get("/api/events", params={"limit": 400, "offset": offset}).json()["items"]
        ]
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize(
    "params",
    [
        {"type": "no_such_type"},
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "0,50,10,40"},
        {"bbox": "0,0,200,10"},
        {"bbox": "nan,0,1,1"},
        {"start": "2020-03-05", "end": "2020-03-01"},
    ],
)
def test_bad_event_filters_are_400(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/api/events", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_bad_event_values_are_422(client: TestClient) -> None:
    for params in ({"min_confidence": 2}, {"start": "yesterday"}, {"mmsi": -1}, {"limit": 100000}):
        assert client.get("/api/events", params=params).status_code == 422


def test_event_detail_has_its_parsed_evidence(client: TestClient, store: Path) -> None:
    gap = table(store, "events").filter(pl.col("event_type") == "ais_gap").row(0, named=True)
    body = client.get(f"/api/events/{gap['event_id']}").json()
    assert body["details"] == json.loads(gap["details"])
    assert body["vessel_id"] == gap["vessel_id"] and "vessel_name" in body


def test_map_events_are_an_arrow_stream_of_the_filtered_events(client: TestClient, store: Path) -> None:
    events = table(store, "events").filter(pl.col("lat").is_not_null())
    response = client.get("/api/map/events")
    assert response.headers["content-type"] == queries.ARROW_MEDIA_TYPE
    stream = arrow(response.content)
    assert stream.num_rows == events.height == int(response.headers["x-total-count"])
    types = [queries.EVENT_TYPES[code] for code in stream.column("event_type_code").to_pylist()]
    assert sorted(types) == sorted(events["event_type"].to_list())
    by_id = dict(events.select("event_id", "subtype").iter_rows())
    assert pa.types.is_dictionary(stream.schema.field("subtype").type)
    subtypes = zip(stream.column("event_id").to_pylist(), stream.column("subtype").to_pylist(), strict=True)
    assert all(subtype == by_id[event_id] for event_id, subtype in subtypes)
    assert stream.schema.field("lat").type == pa.float32()
    limited = client.get("/api/map/events", params={"type": "port_visit", "limit": 3})
    assert arrow(limited.content).num_rows == 3
    assert int(limited.headers["x-total-count"]) == events.filter(pl.col("event_type") == "port_visit").height


# --- exports, places, trade -----------------------------------------------------------------------


def test_vessel_events_export_as_csv_and_geojson(client: TestClient, store: Path) -> None:
    vessel = risky_vessel(store)
    mine = table(store, "events").filter(
        (pl.col("vessel_id") == vessel["vessel_id"]) | (pl.col("other_vessel_id") == vessel["vessel_id"])
    )
    as_csv = client.get(f"/api/vessels/{vessel['vessel_id']}/events", params={"format": "csv"})
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {r["event_id"] for r in rows} == set(mine["event_id"])
    as_geojson = client.get(f"/api/vessels/{vessel['vessel_id']}/events", params={"format": "geojson"}).json()
    assert as_geojson["type"] == "FeatureCollection"
    # Every event, those without a position as features with a null geometry (RFC 7946 §3.2).
    assert {f["properties"]["event_id"] for f in as_geojson["features"]} == set(mine["event_id"])
    unlocated = set(mine.filter(pl.col("lat").is_null())["event_id"])
    assert {f["properties"]["event_id"] for f in as_geojson["features"] if f["geometry"] is None} == unlocated


def test_places_and_basemap(client: TestClient) -> None:
    ports = client.get("/api/ports", params={"sanctioned": "true"}).json()["features"]
    assert ports and all(p["properties"]["country_iso2"] == "KP" for p in ports)
    assert any(p["properties"]["name"].lower().startswith("nampo") for p in ports)
    areas = client.get("/api/areas").json()["features"]
    assert areas and all(a["geometry"]["type"] in ("Polygon", "MultiPolygon") for a in areas)
    land = client.get("/api/basemap/land")
    assert land.status_code == 200 and land.json()["type"] == "FeatureCollection"


def test_trade_estimate_is_the_estimate_of_the_stored_shipments(client: TestClient, store: Path) -> None:
    body = client.get(
        "/api/trade/estimate",
        params={"origin_country": "kp", "destination_country": "CN", "commodity": "coal", "price_usd_per_t": "80:100"},
    ).json()
    expected = estimate_trade(table(store, "shipments"), "KP", "CN", "coal", (80.0, 100.0))
    assert body["tonnes"] == pytest.approx(expected.tonnes())
    assert body["value_usd"] == pytest.approx(expected.value_usd())
    assert body["voyages"] == expected.shipments.height
    assert sum(m["tonnes"]["mid"] for m in body["by_month"]) == pytest.approx(body["tonnes"]["mid"])
    named = table(store, "vessels").filter(pl.col("vessel_id").is_in(body["vessel_ids"]))
    assert body["vessel_ids"] and set(body["vessel_ids"]) <= set(body["vessel_names"])
    assert all(body["vessel_names"][v] == name for v, name in named.select("vessel_id", "name").iter_rows())
    flows = client.get("/api/trade/flows", params={"origin_country": "KP"}).json()["items"]
    assert flows and all(f["origin_country"] == "KP" for f in flows)
    assert client.get("/api/trade/estimate", params={"price_usd_per_t": "100:80"}).status_code == 400
    assert client.get("/api/trade/estimate", params={"price_usd_per_t": "-1"}).status_code == 422
    assert client.get("/api/trade/estimate", params={"origin_country": "KPR"}).status_code == 422


# --- writes ----------------------------------------------------------------------------------------


def test_writes_need_a_token(client: TestClient, read_only: TestClient, store: Path) -> None:
    vessel_id = risky_vessel(store)["vessel_id"]
    assert read_only.put(f"/api/watchlist/{vessel_id}", headers=AUTH).status_code == 403
    assert read_only.get("/api/summary").json()["writes_enabled"] is False
    assert client.put(f"/api/watchlist/{vessel_id}").status_code == 401
    assert client.put(f"/api/watchlist/{vessel_id}", headers={"Authorization": "Bearer wrong"}).status_code == 401
    note = {"target_kind": "vessel", "target_id": vessel_id, "text": "x"}
    assert client.post("/api/notes", json=note).status_code == 401
    assert client.post("/api/cases", json={"title": "x"}).status_code == 401


def test_watchlist_round_trip(client: TestClient, store: Path) -> None:
    vessel_id = risky_vessel(store)["vessel_id"]
    added = client.put(f"/api/watchlist/{vessel_id}", json={"note": "UN 1718 listed"}, headers=AUTH)
    assert added.status_code == 200 and added.json()["note"] == "UN 1718 listed"
    items = client.get("/api/watchlist").json()["items"]
    assert [i["vessel_id"] for i in items] == [vessel_id] and items[0]["vessel"]["sanctioned"] is True
    assert client.get(f"/api/vessels/{vessel_id}").json()["watchlisted"] is True
    assert client.put("/api/watchlist/Vnothere", headers=AUTH).status_code == 404
    assert client.delete(f"/api/watchlist/{vessel_id}", headers=AUTH).status_code == 204
    assert client.delete(f"/api/watchlist/{vessel_id}", headers=AUTH).status_code == 404
    assert client.get("/api/watchlist").json()["items"] == []


def test_notes_on_vessels_and_events(client: TestClient, store: Path) -> None:
    vessel_id = risky_vessel(store)["vessel_id"]
    event_id = table(store, "events")["event_id"][0]
    text = "Robert'); DROP TABLE notes;--"  # stored as text: statements take bound parameters
    on_vessel = client.post(
        "/api/notes", json={"target_kind": "vessel", "target_id": vessel_id, "text": text}, headers=AUTH
    )
    assert on_vessel.status_code == 201
    on_event = client.post(
        "/api/notes", json={"target_kind": "event", "target_id": event_id, "text": "seen"}, headers=AUTH
    )
    assert on_event.status_code == 201
    assert [n["text"] for n in client.get(f"/api/vessels/{vessel_id}").json()["notes"]] == [text]
    assert [n["text"] for n in client.get(f"/api/events/{event_id}").json()["notes"]] == ["seen"]
    missing = client.post(
        "/api/notes", json={"target_kind": "event", "target_id": "Enothere", "text": "x"}, headers=AUTH
    )
    assert missing.status_code == 404
    bad = client.post("/api/notes", json={"target_kind": "port", "target_id": vessel_id, "text": "x"}, headers=AUTH)
    assert bad.status_code == 422
    assert client.delete(f"/api/notes/{on_vessel.json()['note_id']}", headers=AUTH).status_code == 204
    assert client.get("/api/notes", params={"target_kind": "vessel", "target_id": vessel_id}).json()["items"] == []


def test_cases_round_trip(client: TestClient, store: Path) -> None:
    vessel_id = risky_vessel(store)["vessel_id"]
    event_ids = table(store, "events").filter(pl.col("vessel_id") == vessel_id)["event_id"].head(2).to_list()
    body = {"title": "Nampo runs", "description": "two calls", "vessel_ids": [vessel_id], "event_ids": event_ids}
    created = client.post("/api/cases", json=body, headers=AUTH)
    assert created.status_code == 201
    case = created.json()
    assert case["vessel_ids"] == [vessel_id] and case["event_ids"] == event_ids
    updated = client.put(f"/api/cases/{case['case_id']}", json={**body, "title": "Nampo runs, March"}, headers=AUTH)
    assert updated.json()["title"] == "Nampo runs, March" and updated.json()["created_at"] == case["created_at"]
    assert client.get(f"/api/cases/{case['case_id']}").json()["title"] == "Nampo runs, March"
    unknown = client.post("/api/cases", json={**body, "event_ids": ["Enothere"]}, headers=AUTH)
    assert unknown.status_code == 404 and "Enothere" in unknown.json()["detail"]
    assert client.put("/api/cases/Cnothere", json=body, headers=AUTH).status_code == 404
    assert client.delete(f"/api/cases/{case['case_id']}", headers=AUTH).status_code == 204
    assert client.get(f"/api/cases/{case['case_id']}").status_code == 404


def test_analyst_records_survive_a_restart(store: Path) -> None:
    vessel_id = risky_vessel(store)["vessel_id"]
    first = TestClient(create_app(store, token=TOKEN))
    first.put(f"/api/watchlist/{vessel_id}", headers=AUTH)
    second = TestClient(create_app(store, token=TOKEN))
    assert vessel_id in {i["vessel_id"] for i in second.get("/api/watchlist").json()["items"]}
    second.delete(f"/api/watchlist/{vessel_id}", headers=AUTH)


# --- the store changing under a running server ---------------------------------------------------


def test_server_follows_the_store(store: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(store, root)
    refresh_catalog(Store(root))
    client = TestClient(create_app(root))
    before = client.get("/api/summary").json()["events"]
    handle = Store(root)
    events = handle.scan("events").collect()
    with handle.writing():
        handle.replace_tables({"events": events.head(5)})
        refresh_catalog(handle)
    assert before > 5
    assert client.get("/api/summary").json()["events"] == 5


def test_a_store_without_vessels_is_a_clear_error(tmp_path: Path) -> None:
    from shadowfleet.errors import StoreError

    Store(tmp_path / "empty", create=True)
    with pytest.raises(StoreError, match="no vessels"):
        create_app(tmp_path / "empty")


# --- pure queries ----------------------------------------------------------------------------------


def test_records_write_times_in_utc_and_nan_as_null() -> None:
    frame = pl.DataFrame(
        {
            "t": [datetime(2020, 3, 1, 12, 0, 0, tzinfo=UTC), datetime(2020, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)],
            "x": [float("nan"), 1.5],
            "d": [datetime(2020, 3, 1).date(), None],
        }
    )
    assert queries.records(frame) == [
        {"t": "2020-03-01T12:00:00Z", "x": None, "d": "2020-03-01"},
        {"t": "2020-03-01T12:00:00.250000Z", "x": 1.5, "d": None},
    ]


def test_search_finds_a_vessel_under_a_former_name() -> None:
    identities = pl.DataFrame(
        {
            "vessel_id": ["V1", "V1", "V2"],
            "mmsi": [445112000, 613000001, 412000002],
            "imo": [8405311, 8405311, None],
            "name": ["SAM JONG 1", "RYONG KUM 54", "HUA YANG"],
            "call_sign": ["HMYV", "TJABC", "BXYZ"],
            "valid_to": [datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 3, 1, tzinfo=UTC), None],
        }
    )
    rows = pl.DataFrame({"vessel_id": ["V1", "V2"], "name": ["RYONG KUM 54", "HUA YANG"], "risk_score": [90.0, 1.0]})
    for text in ("sam jong", "SAM JONG 1", "445112000", "IMO8405311", "hmyv"):
        assert queries.search_vessels(rows, identities, text, 10)["vessel_id"].to_list() == ["V1"], text
    assert queries.search_vessels(rows, identities, "4451", 10)["matched_on"].to_list() == ["mmsi"]


def test_bounding_box_across_the_antimeridian() -> None:
    box = queries.BoundingBox.parse("170,-10,-170,10")
    frame = pl.DataFrame({"lon": [175.0, -175.0, 0.0], "lat": [0.0, 0.0, 0.0]})
    assert frame.filter(box.contains(pl.col("lon"), pl.col("lat")))["lon"].to_list() == [175.0, -175.0]


def test_a_shared_mmsi_gives_each_vessel_only_its_own_fixes(client: TestClient, store: Path) -> None:
    from shadowfleet.api.state import shared_mmsis

    tracks = table(store, "tracks").filter(pl.col("vessel_id").is_not_null())
    shared = shared_mmsis(table(store, "tracks"))
    vessels = tracks.filter(pl.col("mmsi").is_in(shared))["vessel_id"].unique().to_list()
    if not vessels:
        pytest.skip("no MMSI shared by overlapping tracks in this store")
    positions = pl.scan_parquet(store / "positions" / "**" / "*.parquet")
    for vessel_id in vessels:
        own = tracks.filter(pl.col("vessel_id") == vessel_id)
        # Fixes of its tracks on shared MMSIs: exactly those the segmenter gave them, not
        # the other transmitter's; elsewhere every fix of the MMSI in the track's window.
        expected = int(own.filter(pl.col("mmsi").is_in(shared))["n_positions"].sum())
        for mmsi, start, end in (
            own.filter(~pl.col("mmsi").is_in(shared)).select("mmsi", "start_time", "end_time").iter_rows()
        ):
            window = (pl.col("mmsi") == mmsi) & pl.col("timestamp").is_between(start, end)
            expected += positions.filter(window).select(pl.len()).collect().item()
        body = client.get(f"/api/vessels/{vessel_id}/track", params={"zoom": 22}).json()
        assert body["simplification"]["positions_in"] == expected, vessel_id


# --- edge cases found in review -------------------------------------------------------------------


def test_an_open_event_overlaps_every_later_time() -> None:
    start = datetime(2020, 3, 1, tzinfo=UTC)
    events = pl.DataFrame(
        {
            "event_id": ["Eopen", "Eclosed"],
            "start_time": [start, start],
            "end_time": [None, start + timedelta(hours=10)],
        },
        schema_overrides={"end_time": pl.Datetime("us", "UTC")},
    )
    later = queries.EventFilter(start=start + timedelta(days=9))
    assert events.filter(later.expression())["event_id"].to_list() == ["Eopen"]
    before = queries.EventFilter(end=start - timedelta(hours=1))
    assert events.filter(before.expression()).is_empty()


def test_search_text_of_non_ascii_digits_is_a_name_search(client: TestClient) -> None:
    response = client.get("/api/vessels/search", params={"q": "²³¹"})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_times_beyond_the_calendar_in_utc_are_400(client: TestClient, store: Path, moment: str) -> None:
    assert client.get("/api/events", params={"start": moment}).status_code == 400
    vessel_id = risky_vessel(store)["vessel_id"]
    assert client.get(f"/api/vessels/{vessel_id}/track", params={"start": moment}).status_code == 400


def test_csv_export_writes_times_as_iso_utc(client: TestClient, store: Path) -> None:
    vessel_id = risky_vessel(store)["vessel_id"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/vessels/{vessel_id}/events").text)))
    assert rows and all(r["start_time"].endswith("Z") and "+" not in r["start_time"] for r in rows)
    estimate = client.get("/api/trade/estimate", params={"price_usd_per_t": "80:100"}).json()
    assert all(s["load_end"].endswith("Z") for s in estimate["shipments"])


def test_watchlist_items_carry_the_vessel_row(client: TestClient, store: Path) -> None:
    vessel_id = risky_vessel(store)["vessel_id"]
    client.put(f"/api/watchlist/{vessel_id}", headers=AUTH)
    item = client.get("/api/watchlist").json()["items"][0]
    assert item["vessel"]["watchlisted"] is True
    client.delete(f"/api/watchlist/{vessel_id}", headers=AUTH)


def test_an_empty_token_means_read_only_and_a_non_ascii_token_is_refused(store: Path) -> None:
    from shadowfleet.errors import ConfigError

    empty = TestClient(create_app(store, token=""))
    assert empty.get("/api/summary").json()["writes_enabled"] is False
    assert empty.put("/api/watchlist/Vx", headers={"Authorization": "Bearer "}).status_code == 403
    with pytest.raises(ConfigError, match="ASCII"):
        create_app(store, token="tök")


def test_a_case_deleted_meanwhile_is_not_recreated(store: Path) -> None:
    from shadowfleet.api.analyst import AnalystRecords

    records = AnalystRecords(store)
    case = records.save_case("t", "", [], [])
    assert case is not None
    records.delete_case(case["case_id"])
    assert records.save_case("t2", "", [], [], case_id=case["case_id"]) is None
    assert records.case(case["case_id"]) is None
