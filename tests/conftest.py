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
    """A small demo store (dprk-coal, 150 vessels × 10 days, UN 1718, KP→CN coal), built once per session.

    Ten days of the full fleet (about 20 s) still hold KP→CN voyages, sanctioned vessels
    and encounters; smaller fleets have too few runners.
    """
    from shadowfleet.demo import build_demo_store

    root = tmp_path_factory.mktemp("demo") / "store"
    build_demo_store(root, vessels=150, days=10, seed=1)
    return root
