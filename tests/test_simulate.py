"""The scenario simulator: realism, ground truth, determinism, and round trips through ingest."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from pyais import decode
from typer.testing import CliRunner

from shadowfleet.cli import app
from shadowfleet.config import Config
from shadowfleet.evaluate import EVENT_TYPES
from shadowfleet.geo.distance import KNOT_M_PER_S, haversine_m
from shadowfleet.geo.gazetteer import call_sign_country, country_of_mid
from shadowfleet.geo.land import is_land
from shadowfleet.ingest.runner import ingest_paths
from shadowfleet.simulate.behaviours import World
from shadowfleet.simulate.fleet import (
    HULLS,
    SEAWATER_T_PER_M3,
    IdentityFactory,
    ShipClass,
    draw_hull,
    imo_check_digit,
    imo_is_valid,
)
from shadowfleet.simulate.generate import Simulation, simulate
from shadowfleet.simulate.output import write_simulation
from shadowfleet.simulate.reception import itu_interval_s
from shadowfleet.simulate.scenario import BASELINE, DPRK_COAL, SCENARIOS, Role
from shadowfleet.simulate.voyage import LegKind
from shadowfleet.store import catalog
from shadowfleet.store.lake import Store

SEED = 11


@pytest.fixture(scope="module")
def sim() -> Simulation:
    """A small dprk-coal run: every evasion role, four days."""
    return simulate("dprk-coal", seed=SEED, days=4, vessels=40)


def _roles(sim: Simulation) -> dict[int, str]:
    return {r.index: r.role for r in sim.vessels}


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# -- vessels ---------------------------------------------------------------------------


def test_hulls_are_physically_consistent() -> None:
    rng = np.random.default_rng(0)
    for ship_class in ShipClass:
        for _ in range(50):
            hull = draw_hull(rng, ship_class)
            displacement = (
                SEAWATER_T_PER_M3 * hull.length_m * hull.beam_m * hull.design_draught_m * hull.block_coefficient
            )
            assert 0.65 * displacement < hull.deadweight_t < 0.9 * displacement
            assert hull.tpc_t_per_cm == pytest.approx(
                SEAWATER_T_PER_M3 * hull.waterplane_coefficient * hull.length_m * hull.beam_m / 100
            )
            assert hull.ballast_draught_m < hull.design_draught_m
            assert hull.ship_type in HULLS[ship_class].ship_types
            capacity = hull.cargo_capacity_t(hull.ballast_draught_m)
            assert hull.draught_after(hull.ballast_draught_m, capacity) == pytest.approx(hull.design_draught_m)


def test_imo_check_digits_of_real_listed_vessels() -> None:
    listed = pl.read_csv(
        Path(__file__).parents[1] / "src/shadowfleet/data/sanctions/un1718_vessels_2020-06-04.csv", infer_schema=False
    )
    imos = [int(i) for i in listed["imo"].drop_nulls()]
    assert len(imos) == 58
    assert all(imo_is_valid(i) for i in imos)
    assert imo_check_digit(907472) == 9  # IMO 9074729, the standard's own example
    assert not imo_is_valid(9074728)
    factory = IdentityFactory(np.random.default_rng(1))
    assert all(imo_is_valid(factory.imo()) for _ in range(200))
    assert not any(imo_is_valid(factory.imo(valid=False)) for _ in range(200))


def test_identities_are_valid_for_ordinary_vessels(sim: Simulation) -> None:
    mmsis = Counter()
    for record in sim.vessels:
        for _, identity in record.voyager.identities:
            mmsis[identity.mmsi] += 1
        if record.evader:
            continue
        (_, identity), *_ = record.voyager.identities
        assert 100_000_000 <= identity.mmsi <= 999_999_999
        assert country_of_mid(identity.mmsi // 1_000_000) == identity.flag_iso2
        assert call_sign_country(identity.call_sign) == identity.flag_iso2
        assert identity.imo == 0 or imo_is_valid(identity.imo)
        assert 0 < len(identity.name) <= 20
    # Only the deliberately shared MMSI is used by two vessels.
    shared = [e for e in sim.truth["events"] if e["subtype"] == "mmsi_collision"]
    assert sum(1 for n in mmsis.values() if n > 1) <= len(shared) + 1


def test_false_flags_are_recorded_and_visible_in_the_call_sign(sim: Simulation) -> None:
    anomalies = [e for e in sim.truth["events"] if e["event_type"] == "identity_anomaly"]
    assert anomalies, "the evading fleet plays identity games"
    by_key = {r.key: r for r in sim.vessels}
    for event in anomalies:
        record = by_key[event["vessel"]]
        assert record.evader
        if event["subtype"] == "mid_flag_mismatch":
            identity = next(
                i
                for t, i in reversed(record.voyager.identities)
                if t <= _seconds(event["start_time"]) - sim.scenario.start.timestamp() + 1
            )
            assert call_sign_country(identity.call_sign) != country_of_mid(identity.mmsi // 1_000_000)
        if event["subtype"] == "invalid_mid":
            assert country_of_mid(event["details"]["mid"]) is None
        if event["subtype"] == "invalid_imo":
            assert not imo_is_valid(event["details"]["imo"])


# -- motion and reception --------------------------------------------------------------


def test_positions_are_at_sea_and_move_at_ship_speeds(sim: Simulation) -> None:
    honest = sim.positions.filter(~pl.col("spoofed"))
    assert not is_land(honest["lat"].to_numpy(), honest["lon"].to_numpy()).any()
    under_way = honest.filter(pl.col("nav_status") == 0)
    assert under_way["sog_kn"].max() < 25.0
    track = (
        honest.sort("vessel", "timestamp")
        .with_columns(
            pl.col("lat").shift().over("vessel").alias("lat0"),
            pl.col("lon").shift().over("vessel").alias("lon0"),
            (pl.col("timestamp").diff().over("vessel").dt.total_seconds()).alias("dt"),
        )
        .filter(pl.col("dt") > 300)
    )
    distance = haversine_m(
        track["lat0"].to_numpy(), track["lon0"].to_numpy(), track["lat"].to_numpy(), track["lon"].to_numpy()
    )
    implied_kn = distance / track["dt"].to_numpy() / KNOT_M_PER_S
    assert np.quantile(implied_kn, 0.999) < 22.0


def test_reporting_follows_itu_intervals_and_the_provider(sim: Simulation) -> None:
    kinds = np.array([LegKind.MOORED, LegKind.UNDERWAY, LegKind.UNDERWAY, LegKind.UNDERWAY, LegKind.DRIFTING])
    speeds = np.array([0.0, 10.0, 18.0, 25.0, 1.0])
    assert itu_interval_s(kinds, speeds, np.zeros(5, dtype=bool)).tolist() == [180.0, 10.0, 6.0, 2.0, 10.0]
    assert itu_interval_s(kinds, speeds, np.ones(5, dtype=bool)).tolist() == [180.0, 30.0, 30.0, 30.0, 180.0]
    terrestrial = sim.positions.filter(pl.col("receiver_class") == "terrestrial").sort("vessel", "timestamp")
    gaps = terrestrial.with_columns(pl.col("timestamp").diff().over("vessel").dt.total_seconds().alias("dt"))
    # The provider keeps at most one position a minute (with ±20 % jitter of its clock).
    assert gaps["dt"].drop_nulls().quantile(0.01) >= 0.6 * sim.config.provider_interval_s
    moored = gaps.filter((pl.col("nav_status") == 5) & (pl.col("dt") < 3600))
    assert moored["dt"].median() >= 150  # 3 min reports alongside


def test_reception_mixes_coast_and_satellite_with_natural_gaps(sim: Simulation) -> None:
    share = sim.positions["receiver_class"].value_counts(normalize=True)
    satellite = share.filter(pl.col("receiver_class") == "satellite")["proportion"].item()
    assert 0.005 < satellite < 0.5
    roles = _roles(sim)
    ordinary = sim.positions.filter(pl.col("vessel").replace_strict(roles, return_dtype=pl.String) == "ordinary")
    gaps = ordinary.sort("vessel", "timestamp").with_columns(
        (pl.col("timestamp").diff().over("vessel").dt.total_seconds() / 3600).alias("gap_h")
    )
    assert gaps.filter(pl.col("gap_h") > 3).height > 0, "ordinary vessels have natural reception gaps"


def test_nothing_is_received_while_the_transponder_is_off(sim: Simulation) -> None:
    epoch = sim.scenario.start.timestamp()
    t = sim.positions["timestamp"].dt.epoch("us").to_numpy() / 1e6 - epoch
    vessel = sim.positions["vessel"].to_numpy()
    for record in sim.vessels:
        for start, end in record.voyager.off:
            inside = (vessel == record.index) & (t > start) & (t < end)
            assert not inside.any()


# -- ground truth ------------------------------------------------------------------------


def test_truth_uses_the_design_vocabulary_and_covers_every_behaviour(sim: Simulation) -> None:
    events = sim.truth["events"]
    assert {e["event_type"] for e in events} <= set(EVENT_TYPES)
    kinds = Counter((e["event_type"], e["subtype"]) for e in events if e["deliberate"])
    for kind in [
        ("ais_gap", "likely_deliberate"),
        ("encounter", "sts"),
        ("loitering", "at_sea"),
        ("draught_change", "load"),
        ("draught_change", "discharge"),
        ("spoofing", "mmsi_collision"),
    ]:
        assert kinds[kind] > 0, kind
    assert any(e["event_type"] == "dark_port_call" for e in events)
    assert all(e["port_country"] == "KP" for e in events if e["event_type"] == "dark_port_call")
    assert any(e["event_type"] == "port_visit" and not e["deliberate"] for e in events)
    for event in events:
        assert _seconds(event["start_time"]) <= _seconds(event["end_time"])
        if event["event_type"] == "encounter":
            assert event["other_vessel"] and event["other_mmsi"]
    evaders = {v["vessel"] for v in sim.truth["vessels"] if v["evader"]}
    acting = {e["vessel"] for e in events if e["deliberate"]}
    assert acting <= evaders  # ordinary vessels do nothing deliberate
    assert len(acting) >= 0.7 * len(evaders)  # in four days most evaders are seen at work


def test_draught_rises_when_loading_and_falls_when_discharging(sim: Simulation) -> None:
    changes = [e for e in sim.truth["events"] if e["event_type"] == "draught_change"]
    assert changes
    for event in changes:
        before, after = event["details"]["draught_before_m"], event["details"]["draught_after_m"]
        assert (after > before) if event["subtype"] == "load" else (after < before)
    # Transfers: the donor's draught falls as the receiver's rises, by the same tonnes.
    by_key = {r.key: r for r in sim.vessels}
    for event in (e for e in changes if e["details"].get("ship_to_ship") and e["subtype"] == "load"):
        hull = by_key[event["vessel"]].hull
        rise_m = event["details"]["draught_after_m"] - event["details"]["draught_before_m"]
        assert rise_m * 100 * hull.tpc_t_per_cm == pytest.approx(event["details"]["tonnes"], rel=0.01, abs=2)


def test_transfers_happen_alongside_at_sea(sim: Simulation) -> None:
    keys = {r.key: r.index for r in sim.vessels}
    epoch = sim.scenario.start
    for event in (e for e in sim.truth["events"] if e["event_type"] == "encounter"):
        start, end = (datetime.fromisoformat(event[k].replace("Z", "+00:00")) for k in ("start_time", "end_time"))
        assert (end - start).total_seconds() >= 2 * 3600
        pair = [
            sim.positions.filter((pl.col("vessel") == keys[event[k]]) & pl.col("timestamp").is_between(start, end))
            .filter(~pl.col("spoofed"))
            .sort("timestamp")
            for k in ("vessel", "other_vessel")
        ]
        if min(p.height for p in pair) == 0:
            continue
        joined = (
            pair[0]
            .join_asof(
                pair[1].select("timestamp", pl.col("lat").alias("lat2"), pl.col("lon").alias("lon2")),
                on="timestamp",
                strategy="nearest",
                tolerance="5m",
            )
            .drop_nulls("lat2")
        )
        distance = haversine_m(
            joined["lat"].to_numpy(), joined["lon"].to_numpy(), joined["lat2"].to_numpy(), joined["lon2"].to_numpy()
        )
        assert np.median(distance) < 500.0
        assert pair[0]["sog_kn"].max() < 2.0 and pair[1]["sog_kn"].max() < 2.0
    del epoch


def test_cargo_moved_is_accounted_per_voyage(sim: Simulation) -> None:
    voyages = pl.DataFrame(sim.truth["voyages"])
    assert (voyages["tonnes"] > 0).all()
    done = voyages.filter(pl.col("discharged_in_period") & pl.col("load_country").is_not_null())
    totals = done.group_by("load_country", "discharge_country", "commodity").agg(pl.col("tonnes").sum())
    for row in sim.truth["totals"]:
        match = totals.filter(
            (pl.col("load_country") == row["origin_country"])
            & (pl.col("discharge_country") == row["destination_country"])
            & (pl.col("commodity") == row["commodity"])
        )
        assert match["tonnes"].item() == pytest.approx(row["tonnes"], abs=1.0)
    dprk = voyages.filter(pl.col("load_country") == "KP")
    assert (dprk["commodity"] == "coal").all() and dprk.height > 0


def test_same_seed_same_data_other_seed_other_data() -> None:
    first = simulate("dprk-coal", seed=5, days=2, vessels=14)
    again = simulate("dprk-coal", seed=5, days=2, vessels=14)
    other = simulate("dprk-coal", seed=6, days=2, vessels=14)
    assert first.positions.equals(again.positions)
    assert first.statics.equals(again.statics)
    assert json.dumps(first.truth) == json.dumps(again.truth)
    assert not first.positions.equals(other.positions)


def test_baseline_has_no_evasion() -> None:
    base = simulate("baseline", seed=3, days=3, vessels=25)
    assert not any(v["evader"] for v in base.truth["vessels"])
    deliberate = [e for e in base.truth["events"] if e["deliberate"]]
    assert deliberate == []
    assert all(e["port_country"] != "KP" for e in base.truth["events"] if e["port_country"])
    assert not any(t["origin_country"] == "KP" for t in base.truth["totals"])


def test_scenario_geography_is_at_sea() -> None:
    assert set(SCENARIOS) == {"dprk-coal", "baseline", "scale"}
    world = World(DPRK_COAL, np.random.default_rng(0))
    for stops in world.ports.values():
        for stop in (stops.berth, stops.anchorage):
            assert world.sea.contains(stop.lat, stop.lon)[0], stop
        assert haversine_m(stops.berth.lat, stops.berth.lon, stops.anchorage.lat, stops.anchorage.lon) < 60_000
    for gateway in world.gateways:
        assert world.sea.contains(gateway.lat, gateway.lon)[0]
    assert {p.locode for p in DPRK_COAL.ports_with(Role.DPRK_COAL)} == {"KPNAM", "KPHAE"}
    assert not BASELINE.ports_with(Role.DPRK_COAL)
    lat, lon = world.sea_point(DPRK_COAL.sts_tonkin)
    assert 19.4 <= lat <= 20.4 and 107.2 <= lon <= 108.0


# -- output and round trips ------------------------------------------------------------


def _ingest(paths: list[Path], store_dir: Path) -> tuple[Store, int, int]:
    store = Store(store_dir, create=True)
    reports = ingest_paths(store, list(paths), Config())
    catalog.refresh_catalog(store)
    return store, sum(r.rows["positions"] for r in reports), sum(sum(r.rejects.values()) for r in reports)


def _stored(store: Store, sql: str) -> pl.DataFrame:
    connection = catalog.connect(store)
    try:
        return catalog.fetch(connection, sql)
    finally:
        connection.close()


@pytest.mark.parametrize("fmt", ["nmea", "csv", "parquet"])
def test_every_format_round_trips_through_ingest(sim: Simulation, tmp_path: Path, fmt: str) -> None:
    written = write_simulation(sim, tmp_path / "data", fmt)
    truth = json.loads((tmp_path / "data" / "truth.json").read_text())
    assert truth["files"]["positions"] == written.positions
    store, positions, rejected = _ingest(written.paths, tmp_path / "store")
    assert positions == written.positions
    assert rejected == sum(written.damaged.values())
    stored = _stored(store, "SELECT mmsi, timestamp, lat, lon, sog_kn, cog_deg, receiver_class FROM positions")
    expected = sim.positions.select("mmsi", "timestamp", "lat", "lon", "sog_kn", "cog_deg", "receiver_class")
    key = ["mmsi", "timestamp"]
    if fmt != "parquet":  # NMEA tag blocks and NOAA CSV carry whole seconds
        expected = expected.with_columns(pl.col("timestamp").dt.truncate("1s"))
    joined = stored.with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC"))).join(
        expected.filter(pl.len().over(key) == 1), on=key, how="inner", suffix="_sim"
    )  # keys reported twice in one second (two receivers, or a shared MMSI) are left out
    assert joined.height >= 0.97 * positions
    # CSV keeps 5 decimals; AIS 1/10000 minute, which decoders round to 1e-6 degree.
    tolerance = {"csv": 1.5e-5, "nmea": 1.4e-6, "parquet": 1e-9}[fmt]
    assert (joined["lat"] - joined["lat_sim"]).abs().max() <= tolerance
    assert (joined["lon"] - joined["lon_sim"]).abs().max() <= tolerance
    assert (joined["sog_kn"] - joined["sog_kn_sim"]).abs().max() <= 0.051
    assert (joined["receiver_class"] == joined["receiver_class_sim"]).all()


def test_nmea_sentences_decode_with_pyais(sim: Simulation, tmp_path: Path) -> None:
    written = write_simulation(sim, tmp_path, "nmea")
    lines = written.paths[0].read_text().splitlines()[:4000]
    positions = sim.positions.with_columns(pl.col("timestamp").dt.epoch("s").alias("epoch"))
    statics = sim.statics.with_columns(pl.col("timestamp").dt.epoch("s").alias("epoch"))
    checked = Counter()
    pending: list[bytes] = []
    for line in lines:
        if "!" not in line or "*" not in line[line.index("!") :]:
            continue
        tag, sentence = line[1:].split("\\", 1)
        epoch = int(tag.split("c:")[1].split("*")[0])
        parts = sentence.split(",")
        pending.append(sentence.encode())
        if parts[2] != parts[1]:
            continue
        try:
            message = decode(*pending).asdict()
        except Exception:
            pending = []
            continue
        pending = []
        if message["msg_type"] in (1, 3, 18):
            row = positions.filter((pl.col("mmsi") == message["mmsi"]) & (pl.col("epoch") == epoch))
            if row.is_empty():
                continue
            assert min(abs(row["lat"] - message["lat"])) < 1e-5
            assert min(abs(row["lon"] - message["lon"])) < 1e-5
            assert min(abs(row["sog_kn"] - message["speed"])) < 0.051
            checked["position"] += 1
        elif message["msg_type"] in (5, 24):
            row = statics.filter((pl.col("mmsi") == message["mmsi"]) & (pl.col("epoch") == epoch))
            if row.is_empty():
                continue
            if message["msg_type"] == 5:
                assert message["shipname"] in row["name"].to_list()
                assert message["callsign"] in row["call_sign"].to_list()
                assert min(abs(row["draught_m"] - message["draught"])) < 0.051
                assert message["imo"] in [*row["imo"].fill_null(0).to_list()]
                checked["type5"] += 1
            else:
                checked["type24"] += 1
    assert checked["position"] > 1000 and checked["type5"] > 10


def test_map_is_drawn(sim: Simulation, tmp_path: Path) -> None:
    from shadowfleet.simulate.plot import draw_map

    path = draw_map(sim, tmp_path / "map.png", dpi=60)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_simulate_command(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "sim"
    result = runner.invoke(
        app, ["simulate", "--out", str(out), "--days", "1", "--vessels", "10", "--format", "csv", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "Ground truth" in result.output
    assert (out / "truth.json").exists() and list(out.glob("ais-*.csv"))
    bad = runner.invoke(app, ["simulate", "--out", str(out), "--scenario", "atlantis"])
    assert bad.exit_code == 1 and "unknown scenario" in bad.output
    bad = runner.invoke(app, ["simulate", "--out", str(out), "--format", "xml"])
    assert bad.exit_code == 1 and "--format" in bad.output
