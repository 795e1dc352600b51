"""The ``shadowfleet`` command: ingest, query, export, config; exit codes (demo and serve: test_demo_serve.py)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from shadowfleet.cli import app
from tests.conftest import CSV, NMEA

runner = CliRunner()
KYSTVERKET = NMEA / "kystverket_Ais1000Lines.nm4"
NY = CSV / "noaa_nyharbor_2020-06-30_first_hour.csv"


def run(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    result = run("ingest", KYSTVERKET, NY, "--store", path, "--quiet")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return path


def test_ingest_prints_a_summary(tmp_path: Path) -> None:
    result = run("ingest", NMEA / "dma_stream_example.txt", "--store", tmp_path / "s", "--quiet")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    out = result.output  # type: ignore[attr-defined]
    assert "Ingest" in out and "ingested" in out
    assert "unsupported_type" in out  # rejects by reason
    assert "timestamps from: gatehouse_header" in out
    assert "8,551" in out  # lines read


def test_ingest_exit_code_2_when_an_input_cannot_be_read(tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = run("ingest", binary, KYSTVERKET, "--store", tmp_path / "s", "--quiet")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "failed" in result.output and "binary content" in result.output  # type: ignore[attr-defined]
    # The readable input was ingested anyway.
    counted = run("query", "--store", tmp_path / "s", "--format", "json", "SELECT count(*) AS n FROM positions")
    assert json.loads(counted.output)[0]["n"] == 748  # type: ignore[attr-defined]


def test_default_time_and_columns_options(tmp_path: Path) -> None:
    undated = NMEA / "pyais_nmea_data_sample.txt"
    result = run("ingest", undated, "--store", tmp_path / "a", "--default-time", "2021-01-01T00:00:00Z", "-q")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    table = tmp_path / "t.csv"
    table.write_text("id,t,y,x\n244660000,2021-01-01 00:00:00,52,4\n")
    result = run("ingest", table, "--store", tmp_path / "b", "--columns", "mmsi=id,timestamp=t,lat=y,lon=x", "-q")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    bad = run("ingest", table, "--store", tmp_path / "c", "--columns", "speed=t", "-q")
    assert bad.exit_code == 1  # type: ignore[attr-defined]
    assert "unknown field 'speed'" in bad.output  # type: ignore[attr-defined]
    bad_time = run("ingest", undated, "--store", tmp_path / "d", "--default-time", "yesterday", "-q")
    assert bad_time.exit_code == 1  # type: ignore[attr-defined]


def test_query_formats(store: Path) -> None:
    sql = "SELECT mmsi, imo, name FROM statics WHERE imo = 9323340 LIMIT 1"
    table = run("query", "--store", store, sql)
    assert "TARGALE" in table.output  # type: ignore[attr-defined]
    as_csv = run("query", "--store", store, "--format", "csv", sql)
    assert as_csv.output.splitlines() == ["mmsi,imo,name", "538002775,9323340,TARGALE"]  # type: ignore[attr-defined]
    as_json = run("query", "--store", store, "--format", "json", sql)
    assert json.loads(as_json.output) == [{"mmsi": 538002775, "imo": 9323340, "name": "TARGALE"}]  # type: ignore[attr-defined]


def test_query_errors_are_clean(store: Path, tmp_path: Path) -> None:
    bad_sql = run("query", "--store", store, "SELEKT nonsense")
    assert bad_sql.exit_code == 1 and "query failed" in bad_sql.output  # type: ignore[attr-defined]
    no_store = run("query", "--store", tmp_path / "nowhere", "SELECT 1")
    assert no_store.exit_code == 2 and "no such store" in no_store.output  # type: ignore[attr-defined]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".geojson"])
def test_export_positions_with_filters(store: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"targale{suffix}"
    result = run(
        "export",
        "positions",
        "--store",
        store,
        "--out",
        out,
        "--mmsi",
        "538002775",
        "--start",
        "2020-06-30T00:10:00Z",
        "--end",
        "2020-06-30T00:40:00Z",
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    if suffix == ".geojson":
        collection = json.loads(out.read_text())
        features = collection["features"]
        assert {f["properties"]["mmsi"] for f in features} == {538002775}
        assert all(len(f["geometry"]["coordinates"]) == 2 for f in features)
        assert features[0]["properties"]["timestamp"].startswith("2020-06-30T00:1")
        count = len(features)
    else:
        frame = pl.read_parquet(out) if suffix == ".parquet" else pl.read_csv(out)
        assert frame["mmsi"].unique().to_list() == [538002775]
        count = frame.height
    assert count == 10


def test_export_bbox_and_bad_arguments(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "box.csv"
    result = run("export", "positions", "--store", store, "--out", out, "--bbox", "-74.1,40.6,-74.0,40.7")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    frame = pl.read_csv(out)
    assert frame.height > 0
    assert frame["lon"].is_between(-74.1, -74.0).all() and frame["lat"].is_between(40.6, 40.7).all()
    assert run("export", "positions", "--store", store, "--out", tmp_path / "x.txt").exit_code == 2  # type: ignore[attr-defined]
    assert run("export", "nonsense", "--store", store, "--out", tmp_path / "x.csv").exit_code == 2  # type: ignore[attr-defined]
    assert run("export", "sources", "--store", store, "--out", tmp_path / "x.geojson").exit_code == 2  # type: ignore[attr-defined]
    assert run("export", "positions", "--store", store, "--out", out, "--bbox", "1,2").exit_code == 1  # type: ignore[attr-defined]


def test_config_dump_and_load(tmp_path: Path) -> None:
    dumped = run("config")
    assert "[ingest]" in dumped.output and "max_fragment_line_gap = 100" in dumped.output  # type: ignore[attr-defined]
    custom = tmp_path / "c.toml"
    custom.write_text("[ingest]\nmax_fragment_line_gap = 7\n")
    assert "max_fragment_line_gap = 7" in run("config", "--config", custom).output  # type: ignore[attr-defined]
    custom.write_text("[ingest]\nmax_fragment_gap = 7\n")
    failed = run("config", "--config", custom)
    assert failed.exit_code == 1 and "unknown key(s) max_fragment_gap" in failed.output  # type: ignore[attr-defined]


def test_version() -> None:
    assert run("--version").output.startswith("shadowfleet ")  # type: ignore[attr-defined]


def test_empty_file_is_reported_not_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.nmea"
    empty.write_bytes(b"")
    result = run("ingest", empty, "--store", tmp_path / "s", "-q")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert "empty" in result.output and "the file is empty" in result.output  # type: ignore[attr-defined]
    sources = run("query", "--store", tmp_path / "s", "--format", "json", "SELECT format, units_read FROM sources")
    assert json.loads(sources.output) == [{"format": "empty", "units_read": 0}]  # type: ignore[attr-defined]


def test_garbage_lines_inside_a_log_do_not_stop_it(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.nmea"
    mixed.write_bytes(b"\x00\xff\xfe binary noise\n" + KYSTVERKET.read_bytes() + b"\n!AIVDM,1,1,,A,13aDo8?P0\n")
    result = run("ingest", mixed, "--store", tmp_path / "s", "-q")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    rejects = run("query", "--store", tmp_path / "s", "--format", "json", "SELECT line_number, reason FROM rejects")
    assert json.loads(rejects.output) == [  # type: ignore[attr-defined]
        {"line_number": 1, "reason": "malformed"},
        {"line_number": 1002, "reason": "malformed"},
    ]
