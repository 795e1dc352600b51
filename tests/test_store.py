"""The Parquet lake and DuckDB catalog: layout, atomic commits, recovery, idempotence."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from shadowfleet import schemas
from shadowfleet.config import Config
from shadowfleet.errors import StoreError
from shadowfleet.ingest.runner import ingest_paths
from shadowfleet.store import catalog
from shadowfleet.store.lake import STAGING, Store, vessel_bucket
from tests.conftest import CSV, NMEA

KYSTVERKET = NMEA / "kystverket_Ais1000Lines.nm4"
DMA = NMEA / "dma_stream_example.txt"


def ingest(store: Store, *paths: Path) -> list[object]:
    return ingest_paths(store, list(paths), Config())  # type: ignore[return-value]


def test_layout_partitions_positions_by_day_and_sorts_them(store_dir: Path) -> None:
    store = Store(store_dir, create=True)
    ingest(store, KYSTVERKET, CSV / "noaa_nyharbor_2020-06-30_first_hour.csv")
    days = sorted(p.name for p in (store_dir / "positions").iterdir())
    assert days == ["date=2019-08-07", "date=2020-06-30"]
    for part in (store_dir / "positions").glob("*/*.parquet"):
        frame = pl.read_parquet(part)
        assert frame.equals(frame.sort(["vessel_bucket", "mmsi", "timestamp"]))
        assert frame.schema == pl.Schema(schemas.POSITIONS)
    assert (store_dir / "sources.parquet").exists()
    assert not (store_dir / STAGING).exists() or not any((store_dir / STAGING).iterdir())


def test_reingesting_the_same_content_adds_nothing(store_dir: Path, tmp_path: Path) -> None:
    store = Store(store_dir, create=True)
    (first,) = ingest(store, KYSTVERKET)
    count = store.scan("positions").collect().height
    renamed = tmp_path / "copy.nm4"
    shutil.copy(KYSTVERKET, renamed)
    compressed = tmp_path / "copy.nm4.gz"
    compressed.write_bytes(gzip.compress(KYSTVERKET.read_bytes()))
    reports = ingest(store, KYSTVERKET, renamed, compressed)
    assert [r.status for r in reports] == ["skipped", "skipped", "skipped"]  # type: ignore[attr-defined]
    assert "same content" in reports[2].message  # type: ignore[attr-defined]
    assert store.scan("positions").collect().height == count
    assert store.sources().height == 1
    assert first.status == "ingested"  # type: ignore[attr-defined]


def test_sources_table_records_provenance_and_counts(store_dir: Path) -> None:
    store = Store(store_dir, create=True)
    ingest(store, DMA)
    row = store.sources().row(0, named=True)
    assert row["path"] == str(DMA.resolve())
    assert row["format"] == "nmea" and row["unit"] == "lines" and row["units_read"] == 8551
    counts = json.loads(row["counts_json"])
    assert counts["rejects"]["unsupported_type"] == row["rejected"] - counts["rejects"].get("invalid_field", 0)
    assert counts["time_source.gatehouse_header"] > 0
    assert row["time_min"] == datetime(2010, 6, 11, 11, 46, 10, tzinfo=UTC)
    rejects = store.scan("rejects").collect()
    assert rejects.height == row["rejected"]
    assert set(rejects["source_id"].to_list()) == {row["source_id"]}


def test_interrupted_ingest_before_commit_leaves_nothing(store_dir: Path) -> None:
    store = Store(store_dir, create=True)
    staged = store.stage("deadbeefdeadbeef")
    staged.write({"positions": _one_position()})
    # The process dies here: no COMMIT.json. Nothing is visible...
    assert store.scan("positions").collect().height == 0
    # ...and the next writer discards the staging folder.
    with store.writing():
        pass
    assert not (store_dir / STAGING / "deadbeefdeadbeef").exists()
    assert store.scan("positions").collect().height == 0


def test_interrupted_ingest_after_journal_is_completed(store_dir: Path) -> None:
    store = Store(store_dir, create=True)
    staged = store.stage("feedfacefeedface")
    staged.write({"positions": _one_position()})
    journal = {"source": _source_row("feedfacefeedface"), "files": staged.files}
    (staged.folder / "COMMIT.json").write_text(json.dumps(journal))
    # The process dies after writing the journal, before moving the files.
    assert store.scan("positions").collect().height == 0
    assert store.recover() == ["feedfacefeedface"]
    assert store.scan("positions").collect().height == 1
    assert store.has_source("feedfacefeedface")


def test_only_one_writer_at_a_time(store_dir: Path) -> None:
    store = Store(store_dir, create=True)
    with store.writing(), pytest.raises(StoreError, match="another shadowfleet process"), store.writing():
        pass


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such store"):
        Store(tmp_path / "nowhere")


def test_duplicate_reports_in_one_batch_are_stored_once(store_dir: Path, tmp_path: Path) -> None:
    text = KYSTVERKET.read_bytes().rstrip(b"\n") + b"\n"
    doubled = tmp_path / "doubled.nm4"
    doubled.write_bytes(text + text)  # every report heard twice, identically
    store = Store(store_dir, create=True)
    (report,) = ingest(store, doubled)
    assert report.duplicates == 748  # type: ignore[attr-defined]
    assert store.scan("positions").collect().height == 748


def test_catalog_views_are_typed_even_for_empty_tables(store_dir: Path) -> None:
    store = Store(store_dir, create=True)
    ingest(store, KYSTVERKET)
    path = catalog.refresh_catalog(store)
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert set(schemas.TABLES) <= tables
        assert connection.execute("SELECT count(*) FROM positions").fetchone() == (748,)
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (0,)
        described = dict(connection.execute("DESCRIBE positions").fetchall()[i][:2] for i in range(3))
        assert described == {"mmsi": "BIGINT", "timestamp": "TIMESTAMP WITH TIME ZONE", "lat": "DOUBLE"}


def test_vessel_bucket_is_a_fixed_function_of_the_mmsi() -> None:
    mmsi = np.array([445451000, 538002775, 367000140, 1], dtype=np.int64)
    # Fixed values: changing the function would move stored vessels between buckets.
    assert vessel_bucket(mmsi, 64).tolist() == vessel_bucket(mmsi.copy(), 64).tolist()
    assert vessel_bucket(mmsi, 64).tolist() == [int(v) for v in _reference_buckets(mmsi, 64)]
    assert set(vessel_bucket(np.arange(100_000, dtype=np.int64), 64).tolist()) == set(range(64))


def _reference_buckets(mmsi: np.ndarray, buckets: int) -> list[int]:
    """SplitMix64's finaliser in plain Python integers."""
    out = []
    mask = (1 << 64) - 1
    for value in mmsi.tolist():
        z = (value + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        out.append(z % buckets)
    return out


def _one_position() -> pl.DataFrame:
    return schemas.conform(
        pl.DataFrame(
            {
                "mmsi": [244660000],
                "timestamp": [datetime(2020, 1, 1, tzinfo=UTC)],
                "lat": [52.0],
                "lon": [4.0],
                "source_id": ["x"],
                "vessel_bucket": [1],
            }
        ),
        schemas.POSITIONS,
    )


def _source_row(source_id: str) -> dict[str, object]:
    return {
        "source_id": source_id,
        "path": "/data/x.nmea",
        "member": None,
        "content_sha256": source_id * 4,
        "file_sha256": source_id * 4,
        "format": "nmea",
        "size_bytes": 1,
        "ingested_at": "2026-11-29T00:00:00+00:00",
        "units_read": 1,
        "unit": "lines",
        "positions": 1,
        "statics": 0,
        "aids_to_navigation": 0,
        "base_stations": 0,
        "rejected": 0,
        "duplicates": 0,
        "counts_json": "{}",
        "time_min": "2020-01-01T00:00:00+00:00",
        "time_max": "2020-01-01T00:00:00+00:00",
        "duration_s": 0.1,
    }


def test_a_commit_that_fails_after_its_journal_is_completed_later(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shadowfleet.store import lake

    store = Store(store_dir, create=True)
    real_write = lake.write_parquet_atomic

    def full_disk(frame: pl.DataFrame, path: Path, config: object) -> None:
        if path.name == "sources.parquet":
            raise StoreError(f"cannot write {path}: No space left on device")
        real_write(frame, path, config)  # type: ignore[arg-type]

    monkeypatch.setattr(lake, "write_parquet_atomic", full_disk)
    (report,) = ingest(store, KYSTVERKET)
    assert report.status == "failed"  # type: ignore[attr-defined]
    assert store.scan("positions").collect().height == 0  # not visible: no sources row
    monkeypatch.setattr(lake, "write_parquet_atomic", real_write)
    with store.writing():
        pass  # the next writer completes the commit
    assert store.scan("positions").collect().height == 748
    assert store.sources().height == 1
