"""Shared fixtures: paths of the bundled real data and of the optional shared data."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
NMEA = DATA / "nmea"
CSV = DATA / "csv"
SHARED_DATA = TESTS.parent.parent / "shared" / "data"

NMEA_FILES = sorted(p for p in NMEA.iterdir() if p.is_file())


def read_bytes(path: Path) -> bytes:
    """A test file's content, decompressed when gzipped."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def shared(relative: str) -> Path:
    """A file of ../shared/data; the calling test is skipped when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{relative} not available (../shared/data is absent)")
    return path


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store (dprk-coal, 60 vessels × 30 days, UN 1718, KP→CN coal), built once per session.

    About 25 s. Fewer vessels or days leave too few runners: 60 × 20 days has no KP→CN
    shipment and 40 × 10 no encounter. The API, fuzz and browser tests share it.
    """
    import polars as pl

    from shadowfleet.demo import build_demo_store

    root = tmp_path_factory.mktemp("demo") / "store"
    build_demo_store(root, vessels=60, days=30, seed=1)
    events = pl.read_parquet(root / "events.parquet")
    assert pl.read_parquet(root / "sanctions_matches.parquet").height > 0, "no sanctioned vessel"
    assert events.filter(pl.col("event_type") == "ais_gap").height > 0, "no AIS gap"
    assert events.filter(pl.col("event_type") == "encounter").height > 0, "no encounter"
    shipments = pl.read_parquet(root / "shipments.parquet")
    assert shipments.filter((pl.col("origin_country") == "KP") & (pl.col("destination_country") == "CN")).height > 0
    return root
