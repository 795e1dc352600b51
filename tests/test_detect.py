"""``shadowfleet detect`` end to end: simulated and real data through the store."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from shadowfleet.cli import app
from shadowfleet.config import Config
from shadowfleet.engines.local import run_detect
from shadowfleet.evaluate import score_events, truth_from_dict
from shadowfleet.schemas import DECLARATIONS, EVENTS, IDENTITIES, TRACKS, VESSELS
from shadowfleet.simulate.generate import simulate
from shadowfleet.simulate.output import write_simulation
from shadowfleet.store.lake import Store
from tests.conftest import CSV, shared

runner = CliRunner()


def _cli(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("sim")
    sim = simulate("dprk-coal", seed=11, days=6, vessels=45)
    written = write_simulation(sim, out / "data", "nmea")
    store = out / "store"
    _cli("ingest", *written.paths, "--store", store)
    return store, json.loads((out / "data" / "truth.json").read_text())


@pytest.mark.slow
def test_detect_writes_the_tables_and_finds_the_identity_games(simulated: tuple[Path, dict[str, object]]) -> None:
    store_dir, truth = simulated
    output = _cli("detect", "--store", store_dir)
    assert "vessels" in output and "events" in output
    store = Store(store_dir)
    tables = (
        ("tracks", TRACKS),
        ("identities", IDENTITIES),
        ("declarations", DECLARATIONS),
        ("events", EVENTS),
        ("vessels", VESSELS),
    )
    for table, schema in tables:
        frame = store.scan(table).collect()
        assert frame.schema == pl.Schema(schema), table
        assert frame.height > 0 or table == "events"
    events = store.scan("events").collect()
    scores = score_events(
        events, truth_from_dict(truth), event_types=("identity_change", "identity_anomaly", "spoofing")
    )
    for row in scores.table.iter_rows(named=True):
        if row["expected"]:
            assert row["recall"] >= 0.8, row
        if row["detected"]:
            assert row["precision"] >= 0.8, row
    # Re-running gives the same event ids (content hashes).
    again = run_detect(store, Config())
    assert again.events["events"].sum() == events.height
    assert sorted(store.scan("events").collect()["event_id"].to_list()) == sorted(events["event_id"].to_list())


@pytest.mark.slow
def test_export_events(simulated: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    store_dir, _ = simulated
    _cli("detect", "--store", store_dir)
    for suffix in ("csv", "parquet", "geojson"):
        out = tmp_path / f"events.{suffix}"
        _cli("export", "events", "--store", store_dir, "--out", out)
        assert out.stat().st_size > 0
    frame = pl.read_parquet(tmp_path / "events.parquet")
    assert frame.schema == pl.Schema(EVENTS)
    _cli("query", "--store", store_dir, "SELECT event_type, count(*) FROM events GROUP BY ALL")


def test_new_york_harbor_hour_segments_without_splitting_vessels(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    _cli("ingest", CSV / "noaa_nyharbor_2020-06-30_first_hour.csv", "--store", store_dir)
    summary = run_detect(Store(store_dir), Config())
    tracks = Store(store_dir).scan("tracks").collect().filter(~pl.col("noise"))
    per_mmsi = tracks.group_by("mmsi").len()
    split = per_mmsi.filter(pl.col("len") > 1)
    # One hour of a busy harbour: every MMSI is one hull on one track.
    assert summary.vessels >= 100
    assert split.height <= 0.01 * per_mmsi.height, split
    events = Store(store_dir).scan("events").collect()
    # Ferries, tugs and barges in the East and Harlem rivers (closed by the 1 km land
    # mask) and at their piers are not spoofing, renaming or one another.
    assert events.filter(pl.col("event_type").is_in(["spoofing", "identity_change"])).is_empty(), events


@pytest.mark.slow
def test_new_york_harbor_week(tmp_path: Path) -> None:
    path = shared("noaa_ais_tracktable/NYHarbor_2020_12_01_to_07_points.csv.gz")
    store_dir = tmp_path / "store"
    _cli("ingest", path, "--store", store_dir)
    summary = run_detect(Store(store_dir), Config())
    tracks = Store(store_dir).scan("tracks").collect().filter(~pl.col("noise"))
    vessels = Store(store_dir).scan("vessels").collect()
    # A week has silences over 24 h (new tracks) but they belong to the same vessel;
    # the file has no speed or course, so dead reckoning uses the implied ones.
    assert vessels["vessel_id"].n_unique() == tracks["mmsi"].n_unique()
    assert summary.positions_kept > 0
    events = Store(store_dir).scan("events").collect()
    spoofing = events.filter(pl.col("event_type") == "spoofing")
    # One small craft (338029926) is stamped 16 km and then 14 km further within two
    # and a half minutes: an impossible relocation, reported once; nothing else.
    assert spoofing.height <= 1, spoofing
    for row in spoofing.iter_rows(named=True):
        assert row["subtype"] == "speed_jump" and json.loads(row["details"])["implied_speed_kn"] > 200
    # A harbour week: hundreds of silences (craft laid up at night, vessels leaving the
    # feed's box), none of them a switch-off at sea (0 measured); most are in port.
    gaps = events.filter(pl.col("event_type") == "ais_gap")
    assert gaps.height > 100
    assert gaps.filter(pl.col("subtype") == "likely_deliberate").height <= 2
    assert gaps.filter(pl.col("subtype") == "in_port").height > gaps.height / 3


@pytest.mark.slow
def test_day_by_day_detect_gives_the_same_events_as_one_run(
    simulated: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    store_dir, _ = simulated
    run_detect(Store(store_dir), Config())
    whole = Store(store_dir).scan("events").collect()
    days = sorted((store_dir.parent / "data").glob("ais-*.nmea"))
    assert len(days) >= 5
    daily = tmp_path / "daily"
    settled_ids: set[str] = set()
    for day in days:
        _cli("ingest", day, "--store", daily)
        run_detect(Store(daily), Config())
        events = Store(daily).scan("events").collect()
        data_end = events["end_time"].max() if events.height else None
        if data_end is not None:
            # Events of behaviours that ended a day before the data did are settled:
            # later days must not change them.
            settled = events.filter(
                pl.col("event_type").is_in(["port_visit", "encounter", "area_entry"])
                & (pl.col("end_time") < data_end - timedelta(days=1))
            )
            settled_ids |= set(settled["event_id"].to_list())
    final = Store(daily).scan("events").collect()
    assert sorted(final["event_id"].to_list()) == sorted(whole["event_id"].to_list())
    assert final.sort("event_id").equals(whole.sort("event_id"))
    assert settled_ids <= set(final["event_id"].to_list())
