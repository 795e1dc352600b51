"""End-to-end fixtures: a demo store, the API serving the built web application, Chromium.

The tests drive Debian's Chromium (``/usr/bin/chromium``) through Playwright; they never
download a browser. They need the built front-end (``cd frontend && npm ci && npm run
build`` writes ``src/shadowfleet/web``).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
WEB_INDEX = ROOT / "src" / "shadowfleet" / "web" / "index.html"
SCREENSHOTS = ROOT / "docs" / "screenshots"
TOKEN = "e2e-token"
VIEWPORT = {"width": 1440, "height": 900}
BIG_EVENTS = 100_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One API server running in a thread of the test process."""

    base: str
    store: Path
    token: str

    def get(self, path: str) -> Any:
        """GET a JSON answer of the API."""
        with urllib.request.urlopen(self.base + path, timeout=60) as response:
            return json.loads(response.read())


def _serve(store: Path) -> Iterator[Server]:
    import uvicorn

    from shadowfleet.api.app import create_app

    app = create_app(store, token=TOKEN)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}/", store, TOKEN)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def web_built() -> None:
    """The built web application; a clear failure when it is missing."""
    if not WEB_INDEX.is_file():
        pytest.fail(
            f"the web application is not built ({WEB_INDEX} is missing): run "
            "`cd frontend && npm ci && npm run build` first",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def server(web_built: None, demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The API (token ``e2e-token``) over a copy of the demo store (the tests write notes into theirs)."""
    root = tmp_path_factory.mktemp("e2e") / "store"
    shutil.copytree(demo_store, root, ignore=shutil.ignore_patterns(".lock", "analyst.sqlite*", "_simulation"))
    yield from _serve(root)


def synthetic_events(store: Path, n: int, seed: int = 7) -> pl.DataFrame:
    """``n`` events spread over the store's vessels, time span and area (schema EVENTS)."""
    from shadowfleet import schemas

    rng = np.random.default_rng(seed)
    vessels = pl.read_parquet(store / "vessels.parquet").select("vessel_id", "mmsi", "first_seen", "last_seen")
    start = vessels["first_seen"].min()
    end = vessels["last_seen"].max()
    assert start is not None
    assert end is not None
    span_s = (end - start).total_seconds()  # type: ignore[operator]
    types = np.array(
        [
            "ais_gap",
            "encounter",
            "loitering",
            "port_visit",
            "dark_port_call",
            "spoofing",
            "area_entry",
            "draught_change",
        ]
    )
    kind = types[rng.integers(0, len(types), n)]
    pick = rng.integers(0, vessels.height, n)
    offsets = rng.uniform(0, span_s, n)
    durations = rng.exponential(8 * 3600, n)
    confidence = rng.uniform(0, 1, n)
    frame = pl.DataFrame(
        {
            "event_id": [f"E{i:016x}" for i in range(n)],
            "event_type": kind,
            "subtype": ["reception" if k == "ais_gap" else None for k in kind.tolist()],
            "vessel_id": vessels["vessel_id"].gather(pick),
            "mmsi": vessels["mmsi"].gather(pick),
            "start_offset_s": offsets,
            "duration_s": durations,
            "lat": rng.uniform(22.0, 41.0, n),
            "lon": rng.uniform(110.0, 130.0, n),
            "confidence": np.where(np.isin(kind, ["area_entry", "draught_change"]), np.nan, confidence),
            "details": ["{}"] * n,
        }
    ).with_columns(
        (pl.lit(start) + pl.duration(microseconds=(pl.col("start_offset_s") * 1e6).cast(pl.Int64))).alias("start_time"),
        (
            pl.lit(start)
            + pl.duration(microseconds=((pl.col("start_offset_s") + pl.col("duration_s")) * 1e6).cast(pl.Int64))
        ).alias("end_time"),
        pl.col("confidence").fill_nan(None),
    )
    return schemas.conform(frame, schemas.EVENTS)


@pytest.fixture(scope="session")
def big_store(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store whose events table holds 100,000 synthetic events."""
    from shadowfleet.store.catalog import refresh_catalog
    from shadowfleet.store.lake import Store

    root = tmp_path_factory.mktemp("e2e-big") / "store"
    shutil.copytree(demo_store, root, ignore=shutil.ignore_patterns(".lock", "analyst.sqlite*", "_simulation"))
    store = Store(root)
    frame = synthetic_events(root, BIG_EVENTS)
    with store.writing():
        store.replace_tables({"events": frame})
    refresh_catalog(store)
    return root


@pytest.fixture(scope="session")
def big_server(web_built: None, big_store: Path) -> Iterator[Server]:
    """The API over the 100,000-event store."""
    yield from _serve(big_store)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # WebGL on the CPU where there is no GPU (deck.gl and MapLibre need WebGL2).
            args=["--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Console:
    """Errors the page logged or threw."""

    errors: list[str] = field(default_factory=list)

    def check(self) -> None:
        """Fail on any error the page reported."""
        assert not self.errors, "the page reported errors:\n" + "\n".join(self.errors)


@dataclass
class Page:
    """A browser page with its console watch."""

    page: Any
    console: Console
    context: Any


@pytest.fixture
def web(browser: Any) -> Iterator[Page]:
    """A fresh page (own local storage) at 1440×900.

    Fails the test on console errors, uncaught exceptions and any request that leaves
    the test server: the application must work with no network.
    """
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    console = Console()

    def offline(route: Any) -> None:
        console.errors.append(f"request outside the test server: {route.request.url}")
        route.abort()

    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), offline)
    page = context.new_page()
    page.set_default_timeout(30_000)

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            console.errors.append(f"console.error: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console.errors.append(f"pageerror: {exc}"))
    try:
        yield Page(page, console, context)
        console.check()
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a 1440×900 screenshot to docs/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
