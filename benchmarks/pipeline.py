"""Speed and memory of tracks, identities and detection on 1, 3 and 10 million positions.

The positions are the simulator's ``scale`` scenario (thousands of vessels over a
wide region, a week), ingested once into a store kept under ``benchmarks/out``; the
smaller sizes are whole vessels drawn from it, so every size has the same density
of tracks, identity changes and spoofing per row. Each size runs in a fresh process:
``tracks`` times cleaning, segmentation, vessel linking and identity periods
(:func:`shadowfleet.pipeline.build_tracks`); ``detect`` adds the detectors and the
trade stage (voyages, shipments, flows; its share printed apart). Peak
memory is the child's maximum resident set size, reading included.

The issue's targets: cost linear in rows, 10 million positions through tracks and
identities in ≤ 20 s on 2 cores; the design's: full ``detect`` on 10 million in
≤ 60 s and ≤ 4 GB.

Usage: ``python benchmarks/pipeline.py [--sizes 1e6,3e6,1e7] [--vessels 3700]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
WORK = OUT / "pipeline"


def _prepare(vessels: int, seed: int) -> Path:
    """Simulate and ingest the scale scenario once; returns the store."""
    data, store = WORK / f"scale-{vessels}-{seed}", WORK / f"store-{vessels}-{seed}"
    if not (store / "sources.parquet").exists():
        cli = [sys.executable, "-m", "shadowfleet.cli"]
        simulate = ["simulate", "--scenario", "scale", "--vessels", str(vessels), "--seed", str(seed)]
        subprocess.run(
            [*cli, *simulate, "--format", "parquet", "--out", str(data), "-q"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [*cli, "ingest", *sorted(str(p) for p in data.glob("*.parquet")), "--store", str(store)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return store


def _subsets(store: Path, sizes: list[int]) -> dict[int, tuple[Path, Path]]:
    """Positions and statics files of whole vessels adding up to about each size."""
    import polars as pl

    from shadowfleet.store.lake import Store

    handle = Store(store)
    positions = handle.scan("positions").collect()
    statics = handle.scan("statics").collect()
    counts = positions.group_by("mmsi").len().sort("mmsi")
    # A fixed pseudo-random order of vessels (by a hash of the MMSI) so subsets are spread out.
    counts = counts.with_columns(((pl.col("mmsi") * 2654435761) % 4294967296).alias("_order")).sort("_order")
    cumulative = counts["len"].cum_sum().to_numpy()
    out: dict[int, tuple[Path, Path]] = {}
    for size in sizes:
        take = int((cumulative < size).sum()) + 1
        chosen = counts["mmsi"][:take]
        p_path, s_path = WORK / f"positions-{size}.parquet", WORK / f"statics-{size}.parquet"
        positions.filter(pl.col("mmsi").is_in(chosen.implode())).write_parquet(p_path)
        statics.filter(pl.col("mmsi").is_in(chosen.implode())).write_parquet(s_path)
        out[size] = (p_path, s_path)
    return out


def child(positions_path: str, statics_path: str, stage: str) -> None:
    """Run one stage in this process and print its timings as JSON."""
    import polars as pl

    from shadowfleet.config import Config
    from shadowfleet.pipeline import build_tracks, detect_events, working_positions

    # Read as the local engine reads the store: only the working columns.
    positions = working_positions(pl.scan_parquet(positions_path)).collect()
    statics = pl.read_parquet(statics_path)
    config = Config()
    started = time.perf_counter()
    result = build_tracks(positions, statics, config)
    tracks_s = time.perf_counter() - started
    report: dict[str, object] = {
        "rows": positions.height,
        "tracks_s": round(tracks_s, 2),
        "stages_s": {k: round(v, 2) for k, v in result.timings_s.items()},
        "tracks": result.tracks.height,
        "vessels": result.vessels.height,
    }
    if stage == "detect":
        detect_started = started = time.perf_counter()
        found = detect_events(result, config)
        report["events"] = found.events.height
        report["detectors_s"] = {k: round(v, 2) for k, v in found.timings_s.items()}
        # The trade stage (voyages, shipments, flows) on what detect found.
        from shadowfleet.trade.flows import trade_flows
        from shadowfleet.trade.voyages import sea_stop_vessels, trade_tables

        started = time.perf_counter()
        sea = result.identities.filter(pl.col("vessel_id").is_in(sea_stop_vessels(found.events).implode()))
        at_sea = positions.filter(pl.col("mmsi").is_in(sea["mmsi"].unique().implode()))
        voyages, shipments, _ = trade_tables(
            found.events, result.declarations, result.identities, config.draught, config.trade, positions=at_sea
        )
        trade_flows(shipments)
        report["trade_s"] = round(time.perf_counter() - started, 2)
        report["detect_s"] = round(tracks_s + time.perf_counter() - detect_started, 2)
        report["voyages"] = voyages.height
        report["shipments"] = shipments.height
    print(json.dumps(report))


def measure(files: tuple[Path, Path], stage: str) -> dict[str, object]:
    """Run a stage in a fresh process; its report plus peak memory."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(files[0]), str(files[1]), stage],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark child failed ({stage}, {files[0].name})")
    report: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    report["peak_mib"] = round(usage.ru_maxrss / 1024)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1e6,3e6,1e7")
    parser.add_argument("--vessels", type=int, default=3_700)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=3, metavar=("POSITIONS", "STATICS", "STAGE"), help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    if args.child:
        child(*args.child)
        return 0
    if args.prepare:
        _subsets(_prepare(args.vessels, args.seed), sizes)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    # Prepared in a child: a process forked from one holding the whole data set would
    # count the parent's pages in its own peak memory.
    prepare = ["--prepare", "--sizes", args.sizes, "--vessels", str(args.vessels), "--seed", str(args.seed)]
    subprocess.run([sys.executable, __file__, *prepare], check=True)
    files = {size: (WORK / f"positions-{size}.parquet", WORK / f"statics-{size}.parquet") for size in sizes}
    results = []
    print(f"{'rows':>11} {'stage':>7} {'seconds':>8} {'s per M rows':>13} {'peak MiB':>9}")
    for size in sizes:
        for stage in ("tracks", "detect"):
            report = measure(files[size], stage)
            seconds = float(report["detect_s" if stage == "detect" else "tracks_s"])  # type: ignore[arg-type]
            rows = int(report["rows"])  # type: ignore[call-overload]
            report["stage"] = stage
            results.append(report)
            trade = f"   (of which trade {report['trade_s']} s)" if "trade_s" in report else ""
            print(
                f"{rows:>11,} {stage:>7} {seconds:>8.1f} {seconds / rows * 1e6:>13.2f} {report['peak_mib']:>9,}{trade}"
            )
    (OUT / "pipeline.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
