"""Latency of the API's vessel, track and event endpoints on a store of 10 million positions.

The store is the pipeline benchmark's ``scale`` scenario (3,700 vessels, a week,
about 10.5 million positions) after ``detect``, ``screen`` (UN 1718) and
``estimate trade``; it is built once under ``benchmarks/out/api``. The server runs
in its own process (``shadowfleet serve``, uvicorn, real HTTP on 127.0.0.1) and one
client sends requests one at a time, as an analyst's browser does: for each of
``--requests`` randomly drawn vessels, its profile, its track at a random zoom level
(3–12, a random time window or the whole week) and a filtered page of events (by
type, subtype, box, vessel, time range, confidence, page). Search and the ranked
list are timed too. Latency is wall time from sending to the last byte read.

DESIGN §8 target: p95 < 100 ms for vessel and event queries on a 10 M-position store.

Usage: ``python benchmarks/api.py [--requests 300] [--seed 1]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
WORK = OUT / "api"
TARGET_P95_MS = 100.0


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "shadowfleet.cli", *args], check=True, stdout=subprocess.DEVNULL)


def prepare() -> Path:
    """The detected and screened 10 M store (built once)."""
    store = WORK / "store"
    if (store / "trade_flows.parquet").exists():
        return store
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from pipeline import _prepare

    source = _prepare(3700, 1)
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(source, store, ignore=shutil.ignore_patterns("_staging"))
    un_list = ROOT / "src" / "shadowfleet" / "data" / "sanctions" / "un1718_vessels_2020-06-04.csv"
    _cli("detect", "--store", str(store))
    _cli("screen", "--store", str(store), "--list", str(un_list))
    _cli(
        "estimate",
        "trade",
        "--store",
        str(store),
        "--origin-country",
        "KP",
        "--destination-country",
        "CN",
        "--commodity",
        "coal",
        "--price-usd-per-t",
        "80:100",
    )
    return store


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _time(client: httpx.Client, path: str, params: dict[str, object]) -> float:
    started = time.perf_counter()
    response = client.get(path, params=params)  # type: ignore[arg-type]
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path} {params}: {response.status_code} {response.text[:200]}")
    return elapsed


def measure(store: Path, requests: int, seed: int) -> dict[str, object]:
    """Start the server on the store, send the requests, return the latencies."""
    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "shadowfleet.cli", "serve", "--store", str(store), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                try:
                    summary = client.get("/api/summary").json()
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        raise SystemExit(server.stderr.read().decode() if server.stderr else "server died") from None
                    time.sleep(0.2)
            ready_s = time.perf_counter() - started
            rng = random.Random(seed)
            vessels = client.get("/api/vessels", params={"limit": 1000}).json()["items"]
            vessels += client.get("/api/vessels", params={"limit": 1000, "offset": 1000}).json()["items"]
            time_min = datetime.fromisoformat(summary["time_min"])
            time_max = datetime.fromisoformat(summary["time_max"])
            span_s = (time_max - time_min).total_seconds()
            min_lon, min_lat, max_lon, max_lat = summary["bbox"]
            types = [t for t, n in summary["events_by_type"].items() if n]
            timings: dict[str, list[float]] = {
                "vessel profile": [],
                "track": [],
                "track (arrow)": [],
                "events page": [],
                "search": [],
                "vessel list": [],
                "summary": [],
            }
            points: list[int] = []
            for _ in range(requests):
                vessel = rng.choice(vessels)
                vessel_id = vessel["vessel_id"]
                timings["vessel profile"].append(_time(client, f"/api/vessels/{vessel_id}", {}))
                track: dict[str, object] = {"zoom": rng.randint(3, 12)}
                if rng.random() < 0.5:
                    begin = time_min + timedelta(seconds=rng.uniform(0, span_s * 0.7))
                    track |= {"start": begin.isoformat(), "end": (begin + timedelta(days=2)).isoformat()}
                timings["track"].append(_time(client, f"/api/vessels/{vessel_id}/track", track))
                timings["track (arrow)"].append(
                    _time(client, f"/api/vessels/{vessel_id}/track", track | {"format": "arrow"})
                )
                points.append(
                    client.get(f"/api/vessels/{vessel_id}/track", params=track).json()["simplification"]["points_out"]  # type: ignore[arg-type]
                )
                events: dict[str, object] = {"limit": rng.choice([50, 100, 500]), "offset": rng.choice([0, 0, 100])}
                choice = rng.random()
                if choice < 0.25:
                    events["vessel_id"] = vessel_id
                elif choice < 0.5:
                    lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
                    events["bbox"] = f"{lon - 2:.3f},{lat - 2:.3f},{lon + 2:.3f},{lat + 2:.3f}"
                elif choice < 0.75:
                    events["type"] = rng.choice(types)
                    events["min_confidence"] = rng.choice([0.0, 0.5])
                else:
                    begin = time_min + timedelta(seconds=rng.uniform(0, span_s))
                    events |= {"start": begin.isoformat(), "end": (begin + timedelta(hours=12)).isoformat()}
                timings["events page"].append(_time(client, "/api/events", events))
                query = vessel["name"] or str(vessel["mmsi"])
                timings["search"].append(_time(client, "/api/vessels/search", {"q": query[: rng.randint(4, 12)]}))
                listing = {"limit": 50, "offset": rng.choice([0, 50, 500])}
                if rng.random() < 0.5:
                    listing["min_score"] = rng.choice([10, 30, 60])
                timings["vessel list"].append(_time(client, "/api/vessels", listing))
                timings["summary"].append(_time(client, "/api/summary", {}))
            map_ms = [_time(client, "/api/map/events", {}) for _ in range(5)]
            rss = _rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report: dict[str, object] = {
        "positions": summary["positions"],
        "vessels": summary["vessels"],
        "events": summary["events"],
        "requests_per_endpoint": requests,
        "server_ready_s": round(ready_s, 1),
        "server_rss_mib": round(rss),
        "track_points_median": int(np.median(points)),
        "map_events_all_ms_median": round(float(np.median(map_ms)), 1),
        "latency_ms": {
            name: {
                "p50": round(float(np.percentile(values, 50)), 1),
                "p95": round(float(np.percentile(values, 95)), 1),
                "p99": round(float(np.percentile(values, 99)), 1),
                "max": round(max(values), 1),
            }
            for name, values in timings.items()
        },
        "cpus": os.cpu_count(),
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="Requests per endpoint.")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    store = prepare()
    report = measure(store, args.requests, args.seed)
    (OUT / "api.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"{report['positions']:,} positions, {report['vessels']:,} vessels, {report['events']:,} events; "
        f"server ready in {report['server_ready_s']} s, {report['server_rss_mib']} MiB resident"
    )
    print(f"{'endpoint':<16} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    latency: dict[str, dict[str, float]] = report["latency_ms"]  # type: ignore[assignment]
    for name, values in latency.items():
        print(f"{name:<16} {values['p50']:>8} {values['p95']:>8} {values['p99']:>8} {values['max']:>8}")
    print(f"all events for the map (Arrow): {report['map_events_all_ms_median']} ms median")
    worst = max(v["p95"] for k, v in latency.items() if k in ("vessel profile", "track", "events page"))
    verdict = "met" if worst < TARGET_P95_MS else "MISSED"
    print(f"target p95 < {TARGET_P95_MS:.0f} ms for vessel, track and event queries: worst p95 {worst} ms ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
