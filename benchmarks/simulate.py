"""Simulator speed and memory: the scale scenario (about 10 million positions) and the default one.

Each run is a fresh process (``shadowfleet simulate``), timed from start to files on
disk; peak memory is the child's maximum resident set size. The issue's target: ten
million positions in under a few minutes on 2 cores.

Usage: ``python benchmarks/simulate.py [--scale-vessels 3600] [--formats nmea,parquet]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"


def run(args: list[str]) -> dict[str, float | int]:
    """Run ``shadowfleet simulate`` in a child process; wall time, peak memory, positions."""
    work = Path(tempfile.mkdtemp(prefix="shadowfleet-simulate-"))
    try:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "shadowfleet.cli", "simulate", "--out", str(work), "-q", *args],
            stdout=subprocess.DEVNULL,
            env={**os.environ, "COLUMNS": "160"},
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
        elapsed = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"shadowfleet simulate {' '.join(args)} failed")
        truth = json.loads((work / "truth.json").read_text())
        size = sum(p.stat().st_size for p in work.iterdir())
        return {
            "seconds": round(elapsed, 1),
            "peak_mib": round(usage.ru_maxrss / 1024),
            "positions": truth["counts"]["positions"],
            "statics": truth["counts"]["statics"],
            "vessels": truth["counts"]["vessels"],
            "bytes": size,
            "positions_per_s": round(truth["counts"]["positions"] / elapsed),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale-vessels", type=int, default=None)
    parser.add_argument("--formats", default="parquet,nmea")
    args = parser.parse_args(argv)
    results: dict[str, object] = {}
    results["dprk-coal nmea (default)"] = run(["--scenario", "dprk-coal"])
    extra = ["--vessels", str(args.scale_vessels)] if args.scale_vessels else []
    for fmt in args.formats.split(","):
        results[f"scale {fmt}"] = run(["--scenario", "scale", "--format", fmt, *extra])
    width = max(len(k) for k in results)
    print(f"{'run':<{width}}  {'s':>7} {'peak MiB':>9} {'positions':>11} {'positions/s':>12} {'MB written':>11}")
    for name, r in results.items():
        assert isinstance(r, dict)
        print(
            f"{name:<{width}}  {r['seconds']:>7} {r['peak_mib']:>9,} {r['positions']:>11,} "
            f"{r['positions_per_s']:>12,} {r['bytes'] / 1e6:>11,.0f}"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "simulate.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
