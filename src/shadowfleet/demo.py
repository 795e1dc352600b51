"""The demo store: the ``dprk-coal`` scenario through the whole pipeline.

``shadowfleet demo`` and the browser tests build their store here. The simulated AIS
files are cached in the store (``_simulation/``) keyed by the scenario's parameters,
and a store already built from the same parameters and code version is reused as it
is, so a second ``shadowfleet demo`` starts serving at once.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Final

from shadowfleet import __version__, schemas
from shadowfleet.config import Config
from shadowfleet.engines.local import EstimateSummary, run_detect, run_estimate, run_screen
from shadowfleet.errors import StoreError
from shadowfleet.ingest.runner import IngestOptions, SourceReport, ingest_paths
from shadowfleet.store.catalog import refresh_catalog
from shadowfleet.store.lake import CATALOG_FILE, Store

DEMO_SCENARIO: Final = "dprk-coal"
DEMO_LIST: Final = "un1718_vessels_2020-06-04.csv"
"""The UN Security Council 1718 Committee's designated vessels (bundled, 4 June 2020)."""
DEMO_FLOW: Final = ("KP", "CN", "coal", (80.0, 100.0))
"""The seed case's flow: DPRK coal to China at US$80–100 per tonne."""
SIMULATION_DIR: Final = "_simulation"
MARKER_FILE: Final = "demo.json"
_STORE_ENTRIES: Final = frozenset({CATALOG_FILE, f".{CATALOG_FILE}.tmp", "_staging", ".lock"})
"""Entries of a store that are not tables; with the tables' files, all a rebuild removes."""

Stage = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class DemoParameters:
    """What a demo store is built from; a store built from other parameters is rebuilt.

    Attributes:
        seed: Simulation seed.
        days: Days simulated (the scenario's default when None).
        vessels: Vessels simulated (the scenario's default when None).
        version: shadowfleet version that built it.
    """

    seed: int = 1
    days: int | None = None
    vessels: int | None = None
    version: str = __version__


@dataclass(frozen=True)
class DemoStore:
    """A built demo store.

    Attributes:
        store: The store.
        reused: True when an existing store built from the same parameters was reused.
        ingest: Ingest reports (empty when reused).
        estimate: The KP → CN coal estimate (None when reused).
    """

    store: Store
    reused: bool
    ingest: list[SourceReport]
    estimate: EstimateSummary | None


def sanctions_list_path() -> Path:
    """Path of the bundled UN 1718 vessel list."""
    return Path(str(resources.files("shadowfleet") / "data" / "sanctions" / DEMO_LIST))


def _read_marker(root: Path) -> dict[str, object] | None:
    """The demo marker's parameters, or None when the file is absent or not a demo marker."""
    try:
        loaded = json.loads((root / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(loaded, dict) or set(loaded) - {"building"} != set(asdict(DemoParameters())):
        return None
    return loaded


def _is_store_entry(name: str) -> bool:
    """Whether a directory entry is part of the store the demo builds (a table or the catalog)."""
    return name in _STORE_ENTRIES or name.split(".", 1)[0] in schemas.TABLES


def _check_demo_directory(root: Path) -> None:
    """Refuse a directory the demo did not make: a rebuild deletes the store's tables there.

    Raises:
        StoreError: When ``root`` holds anything and no demo marker.
    """
    if not root.is_dir() or _read_marker(root) is not None:
        return
    others = sorted(child.name for child in root.iterdir() if child.name != SIMULATION_DIR)
    if others:
        raise StoreError(
            f"{root}: not empty and not a shadowfleet demo store (it holds {', '.join(others[:5])}); "
            "the demo needs a directory of its own"
        )


def _simulation_files(folder: Path, parameters: DemoParameters) -> list[Path]:
    """The cached simulation's NMEA files, simulating them when absent or stale."""
    marker = folder / "parameters.json"
    wanted = {**asdict(parameters), "scenario": DEMO_SCENARIO}
    files = sorted(folder.glob("*.nmea"))
    try:
        cached = json.loads(marker.read_text(encoding="utf-8")) == wanted and bool(files)
    except (OSError, ValueError):
        cached = False
    if cached:
        return files
    from shadowfleet.simulate.generate import simulate
    from shadowfleet.simulate.output import write_simulation

    shutil.rmtree(folder, ignore_errors=True)
    sim = simulate(DEMO_SCENARIO, seed=parameters.seed, days=parameters.days, vessels=parameters.vessels)
    write_simulation(sim, folder, "nmea")
    marker.write_text(json.dumps(wanted), encoding="utf-8")
    return sorted(folder.glob("*.nmea"))


def build_demo_store(
    root: str | Path,
    *,
    seed: int = 1,
    days: int | None = None,
    vessels: int | None = None,
    rebuild: bool = False,
    stage: Stage = _quiet,
) -> DemoStore:
    """Simulate ``dprk-coal``, ingest it, detect, screen against UN 1718, estimate KP → CN coal.

    Args:
        root: Store directory (created when missing).
        seed: Simulation seed.
        days: Days to simulate (scenario default when None).
        vessels: Vessels to simulate (scenario default when None).
        rebuild: Rebuild the store even when one from the same parameters exists.
        stage: Called with the name of each stage as it starts.

    Returns:
        The store and what was built.

    Raises:
        StoreError: When ``root`` is a non-empty directory the demo did not make.
        ShadowfleetError: From any stage (unreadable input, store errors).
    """
    root = Path(root)
    parameters = DemoParameters(seed=seed, days=days, vessels=vessels)
    if not rebuild and _read_marker(root) == asdict(parameters):
        return DemoStore(Store(root), reused=True, ingest=[], estimate=None)
    _check_demo_directory(root)
    root.mkdir(parents=True, exist_ok=True)
    # Marked as a demo directory before anything is written, so an interrupted
    # build can be resumed; "building" keeps it from being reused as it is.
    (root / MARKER_FILE).write_text(json.dumps({**asdict(parameters), "building": True}), encoding="utf-8")
    config = Config()
    stage("simulating dprk-coal")
    files = _simulation_files(root / SIMULATION_DIR, parameters)
    # The store's tables are rebuilt from the simulation: stale tables of other
    # parameters must not survive (ingest skips sources it has already seen). The
    # analyst's records (analyst.sqlite) and anything else are left alone.
    for child in root.iterdir():
        if _is_store_entry(child.name):
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    store = Store(root, config.store, create=True)
    stage("ingesting")
    reports = ingest_paths(store, list(files), config, IngestOptions())
    refresh_catalog(store)
    stage("detecting tracks and events")
    run_detect(store, config)
    stage("screening against UN 1718")
    run_screen(store, [str(sanctions_list_path())], config)
    stage("estimating trade")
    estimate = run_estimate(store, config, flow=DEMO_FLOW)
    (root / MARKER_FILE).write_text(json.dumps(asdict(parameters)), encoding="utf-8")
    return DemoStore(store, reused=False, ingest=reports, estimate=estimate)
