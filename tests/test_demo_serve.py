"""``shadowfleet demo`` (the cached demo store) and ``shadowfleet serve`` (a real HTTP server)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from shadowfleet.cli import app
from shadowfleet.demo import MARKER_FILE, build_demo_store
from shadowfleet.errors import StoreError

runner = CliRunner()


def test_a_built_demo_store_is_reused(demo_store: Path) -> None:
    started = time.perf_counter()
    again = build_demo_store(demo_store, vessels=60, days=30, seed=1)
    assert again.reused and time.perf_counter() - started < 5
    assert (demo_store / MARKER_FILE).is_file() and (demo_store / "_simulation" / "parameters.json").is_file()


def test_demo_command_reuses_the_store_and_stops_with_no_serve(demo_store: Path) -> None:
    result = runner.invoke(
        app,
        ["demo", "--store", str(demo_store), "--vessels", "60", "--days", "30", "--no-serve"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "Reusing the demo store" in result.output and "UN 1718" in result.output


@pytest.mark.parametrize(
    "files",
    [
        {"thesis.tex": "precious"},
        {"demo.json": '{"name": "my web demo"}', "index.html": "<p>mine</p>"},  # another tool's demo.json
        {"catalog.duckdb": "", "vessels.parquet": "", "report.docx": "mine"},  # a store the demo did not build
    ],
)
def test_demo_refuses_a_directory_it_did_not_make(tmp_path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(StoreError, match="not a shadowfleet demo store"):
        build_demo_store(tmp_path, vessels=8, days=1)
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == files


def test_a_rebuild_keeps_the_analyst_records_and_foreign_files(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    build_demo_store(root, vessels=8, days=1, seed=2)
    (root / "analyst.sqlite").write_bytes(b"watch-list")
    (root / "notes.txt").write_text("mine", encoding="utf-8")
    rebuilt = build_demo_store(root, vessels=8, days=1, seed=2, rebuild=True)
    assert not rebuilt.reused and rebuilt.ingest
    assert (root / "analyst.sqlite").read_bytes() == b"watch-list"
    assert (root / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (root / "vessels.parquet").is_file() and (root / MARKER_FILE).is_file()


def test_serve_reports_a_missing_or_empty_store(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--store", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "no such store" in result.output + result.stderr
    (tmp_path / "empty").mkdir()
    ingested_nothing = runner.invoke(app, ["serve", "--store", str(tmp_path / "empty")])
    assert ingested_nothing.exit_code == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_on_localhost_only_and_needs_the_token_to_write(demo_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo_store, store, ignore=shutil.ignore_patterns("_simulation", "analyst.sqlite*"))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "shadowfleet.cli", "serve", "--store", str(store), "--port", str(port)],
        env={"SHADOWFLEET_API_TOKEN": "from-the-environment", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                summary = httpx.get(f"{base}/api/summary", timeout=5).json()
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start in 30 s")
        assert summary["writes_enabled"] is True
        vessel_id = httpx.get(f"{base}/api/vessels", params={"limit": 1}).json()["items"][0]["vessel_id"]
        assert httpx.put(f"{base}/api/watchlist/{vessel_id}").status_code == 401
        authorised = {"Authorization": "Bearer from-the-environment"}
        assert httpx.put(f"{base}/api/watchlist/{vessel_id}", headers=authorised).status_code == 200
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "shadowfleet"
        # Bound to the loopback interface: another address of this machine is refused.
        outward = socket.gethostbyname(socket.gethostname())
        if not outward.startswith("127."):
            with pytest.raises(httpx.TransportError):
                httpx.get(f"http://{outward}:{port}/api/summary", timeout=2)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert f"http://localhost:{port}/" in output and "?token=" in output
