"""Accuracy of the pipeline on a simulated scenario, scored against its ground truth.

Runs ``shadowfleet simulate`` (in process), ingests the files into a fresh store,
runs the detectors (``shadowfleet.engines.local.run_detect``),
and scores:

* ingest: positions and static reports stored against those written, rejected lines
  against the lines damaged on purpose (these must agree exactly);
* events, per type: precision, recall, F1 with one-to-one matching and the type's
  time tolerance (``shadowfleet.evaluate``);
* risk: AUC and precision at k of the ``vessels`` table's ``risk_score`` for who evades;
* trade: the estimate of DPRK → China coal against the tonnes moved.

Stages that do not exist yet are reported as such, never as zeros that look measured.

Usage: ``python benchmarks/accuracy.py [--scenario dprk-coal] [--seed 1] [--days N]
[--vessels N] [--format nmea|csv|parquet] [--keep DIR]``. Results are printed and
written to ``benchmarks/out/accuracy-<scenario>-seed<seed>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

from shadowfleet.config import Config
from shadowfleet.evaluate import empty_events, load_truth, score_events, score_risk, score_shipments, score_trade
from shadowfleet.ingest.runner import ingest_paths
from shadowfleet.simulate.generate import simulate
from shadowfleet.simulate.output import write_simulation
from shadowfleet.store import catalog
from shadowfleet.store.lake import Store

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
console = Console()


def _detector() -> Any | None:
    """The pipeline's detection entry point, when it exists yet."""
    try:
        pipeline = importlib.import_module("shadowfleet.engines.local")
    except ModuleNotFoundError:
        return None
    return getattr(pipeline, "run_detect", None)


def _table(store: Store, name: str) -> pl.DataFrame | None:
    if not store.table_files(name):
        return None
    connection = catalog.connect(store)
    try:
        return catalog.fetch(connection, f"SELECT * FROM {name}")
    finally:
        connection.close()


def _listed_matched(store: Store, truth: Any) -> dict[str, int]:
    """Evaders carrying a UN-listed IMO, and how many of them screening matched by it."""
    listed = {v["vessel"]: int(v["sanctions_listed"]["imo"]) for v in truth.raw["vessels"] if v.get("sanctions_listed")}
    matches = _table(store, "sanctions_matches")
    vessels = _table(store, "vessels")
    if matches is None or vessels is None or not listed:
        return {"listed": len(listed), "matched": 0}
    by_imo = matches.filter(pl.col("matched_on") == "imo").join(vessels.select("vessel_id", "mmsi"), on="vessel_id")
    mmsi_to_vessel = truth.identities.select("vessel", "mmsi").unique()
    found = by_imo.join(mmsi_to_vessel, on="mmsi")
    hits = {row["vessel"] for row in found.iter_rows(named=True) if row["key"] == f"IMO:{listed.get(row['vessel'])}"}
    return {"listed": len(listed), "matched": len(hits & set(listed))}


def run(scenario: str, seed: int, days: int | None, vessels: int | None, fmt: str, work: Path) -> dict[str, Any]:
    """Simulate, ingest, detect and score; returns the results."""
    results: dict[str, Any] = {"scenario": scenario, "seed": seed, "format": fmt}
    started = time.perf_counter()
    sim = simulate(scenario, seed=seed, days=days, vessels=vessels)
    data = work / "data"
    for owned in (data, work / "store"):  # a kept directory from an earlier run is replaced, not mixed in
        shutil.rmtree(owned, ignore_errors=True)
    written = write_simulation(sim, data, fmt)
    results["simulate_s"] = round(time.perf_counter() - started, 1)
    truth = load_truth(data / "truth.json")
    results["days"], results["vessels"] = sim.scenario.days, len(sim.vessels)

    started = time.perf_counter()
    store = Store(work / "store", create=True)
    reports = ingest_paths(store, list(written.paths), Config())
    catalog.refresh_catalog(store)
    results["ingest_s"] = round(time.perf_counter() - started, 1)
    stored_positions = sum(r.rows["positions"] for r in reports)
    rejected = sum(sum(r.rejects.values()) for r in reports)
    damaged = sum(written.damaged.values())
    results["ingest"] = {
        "positions_written": written.positions,
        "positions_stored": stored_positions,
        "statics_written": written.statics,
        "lines_damaged": damaged,
        "lines_rejected": rejected,
        "agrees": stored_positions == written.positions and rejected == damaged,
    }
    statics_table = _table(store, "statics")
    if statics_table is not None and "n_reports" in statics_table.columns:
        results["ingest"]["statics_stored"] = int(statics_table["n_reports"].sum())
        results["ingest"]["agrees"] &= results["ingest"]["statics_stored"] == written.statics or fmt != "nmea"

    detect = _detector()
    results["detectors"] = detect is not None
    if detect is not None:
        started = time.perf_counter()
        detect(store, Config())
        catalog.refresh_catalog(store)
        results["detect_s"] = round(time.perf_counter() - started, 1)
        # Screening with the real UN 1718 list the simulator drew listed IMOs from.
        local = importlib.import_module("shadowfleet.engines.local")
        if hasattr(local, "run_screen"):
            un_list = resources.files("shadowfleet") / "data" / "sanctions" / "un1718_vessels_2020-06-04.csv"
            local.run_screen(store, [str(un_list)], Config())
            results["listed"] = _listed_matched(store, truth)
        if hasattr(local, "run_estimate"):
            local.run_estimate(store, Config(), flow=("KP", "CN", "coal", (80.0, 100.0)))
    events = _table(store, "events")
    scores = score_events(events if events is not None else empty_events(), truth)
    results["events"] = scores.table.to_dicts()

    vessels_table = _table(store, "vessels")
    if vessels_table is not None and "risk_score" in vessels_table.columns:
        risk = score_risk(vessels_table, truth)
        results["risk"] = {"auc": risk.auc, "precision_at_k": risk.precision_at_k, "evaders": risk.evaders}
    else:
        results["risk"] = None
    flows = _table(store, "trade_flows")
    shipments = _table(store, "shipments")
    if flows is not None:
        flow = flows.filter(
            (pl.col("origin_country") == "KP")
            & (pl.col("destination_country") == "CN")
            & (pl.col("commodity") == "coal")
        )
        trade = score_trade(
            truth,
            "KP",
            "CN",
            "coal",
            float(flow["tonnes_mid"].sum()),
            float(flow["tonnes_low"].sum()),
            float(flow["tonnes_high"].sum()),
        )
    else:
        trade = score_trade(truth, "KP", "CN", "coal", None)
    results["trade"] = {
        "true_tonnes": trade.true_tonnes,
        "moved_tonnes": trade.moved_tonnes,
        "estimated_tonnes": trade.estimated_tonnes,
        "estimated_low": float(flow["tonnes_low"].sum()) if flows is not None else None,
        "estimated_high": float(flow["tonnes_high"].sum()) if flows is not None else None,
        "relative_error": trade.relative_error,
        "within_band": trade.within_band,
    }
    identities = _table(store, "identities")
    if shipments is not None and identities is not None:
        per_voyage = score_shipments(shipments, identities.select("vessel_id", "mmsi"), truth, "KP", "CN", "coal")
        found = per_voyage.filter(pl.col("true_t").is_not_null() & pl.col("estimated_t").is_not_null())
        results["trade"]["voyages"] = {
            "expected": int(per_voyage["true_t"].is_not_null().sum()),
            "estimated": int(per_voyage["estimated_t"].is_not_null().sum()),
            "matched": found.height,
            "median_abs_error": float(found["error"].abs().median()) if found.height else None,  # type: ignore[arg-type]
            "by_method": {
                str(k): v for k, v in found.group_by("method").agg(pl.col("error").abs().median()).iter_rows()
            },
            "rows": per_voyage.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M")).to_dicts(),
        }
    return results


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def report(results: dict[str, Any]) -> None:
    """Print the results as tables."""
    ingest = results["ingest"]
    console.print(
        f"[bold]{results['scenario']}[/] seed {results['seed']}: {results['vessels']} vessels, {results['days']} days, "
        f"{results['format']}; simulate {results['simulate_s']} s, ingest {results['ingest_s']} s"
    )
    console.print(
        f"ingest: {ingest['positions_stored']:,} of {ingest['positions_written']:,} positions stored, "
        f"{ingest['lines_rejected']:,} lines rejected for {ingest['lines_damaged']:,} damaged: "
        + ("[green]agrees[/]" if ingest["agrees"] else "[red]DISAGREES[/]")
    )
    table = Table(title="Events against the truth (one-to-one matching)", title_justify="left")
    for column in ("event_type", "expected", "detected", "matched", "precision", "recall", "f1", "start error h"):
        table.add_column(
            column, justify="left" if column == "event_type" else "right", no_wrap=True, min_width=len(column)
        )
    for row in results["events"]:
        table.add_row(
            row["event_type"],
            _fmt(row["expected"]),
            _fmt(row["detected"]),
            _fmt(row["matched"]),
            _fmt(row["precision"]),
            _fmt(row["recall"]),
            _fmt(row["f1"]),
            _fmt(row["median_start_error_h"]),
        )
    console.print(table)
    if not results["detectors"]:
        console.print("• no detector in the pipeline yet: every expected event counts as missed")
    risk = results["risk"]
    if results.get("detect_s") is not None:
        console.print(f"• detect took {results['detect_s']} s")
    console.print(
        "• risk ranking: not available (no vessels table with risk scores yet)"
        if risk is None
        else f"• risk ranking: AUC {_fmt(risk['auc'])}, precision at k={risk['evaders']} {_fmt(risk['precision_at_k'])}"
        + (
            f"; UN-listed IMO evaders matched: {results['listed']['matched']} of {results['listed']['listed']}"
            if results.get("listed")
            else ""
        )
    )
    trade = results["trade"]
    if trade["estimated_tonnes"] is None:
        console.print(f"• trade KP → CN coal: {trade['true_tonnes']:,.0f} t moved; no estimate yet")
        return
    error = "–" if trade["relative_error"] is None else f"{trade['relative_error']:+.1%}"
    console.print(
        f"• trade KP → CN coal: truth {trade['true_tonnes']:,.0f} t in the data ({trade['moved_tonnes'] or 0:,.0f} t "
        f"moved in all); estimated {trade['estimated_low']:,.0f} / {trade['estimated_tonnes']:,.0f} / "
        f"{trade['estimated_high']:,.0f} t (low / mid / high): error {error}, truth "
        + ("inside" if trade["within_band"] else "[red]outside[/]")
        + " the band"
    )
    voyages = trade.get("voyages")
    if voyages:
        console.print(
            f"• voyages: {voyages['matched']} of {voyages['expected']} true parcels matched by "
            f"{voyages['estimated']} estimated; median |error| per voyage {_fmt(voyages['median_abs_error'])} "
            f"(by method: {', '.join(f'{k} {v:.3f}' for k, v in voyages['by_method'].items())})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scenario", default="dprk-coal")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--vessels", type=int, default=None)
    parser.add_argument("--format", default="nmea", choices=("nmea", "csv", "parquet"))
    parser.add_argument("--keep", type=Path, default=None, help="Keep the data and store in this directory.")
    parser.add_argument("--results", type=Path, default=None, help="Where to write the results JSON.")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="shadowfleet-accuracy-"))
    try:
        results = run(args.scenario, args.seed, args.days, args.vessels, args.format, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    report(results)
    path = args.results or OUT / f"accuracy-{args.scenario}-seed{args.seed}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    console.print(f"results: {path}")
    return 0 if results["ingest"]["agrees"] else 1


if __name__ == "__main__":
    sys.exit(main())
