"""The ``shadowfleet`` command.

Exit codes: 0 success, 1 usage or configuration error, 2 input or store error (an
unreadable input, a missing store). Every long command shows progress and ends with a
summary.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from shadowfleet import __version__
from shadowfleet.config import Config, dump_config, load_config
from shadowfleet.engines.local import (
    DetectSummary,
    EstimateSummary,
    ScreenSummary,
    run_detect,
    run_estimate,
    run_screen,
)
from shadowfleet.errors import ConfigError, InputError, QueryError, ShadowfleetError
from shadowfleet.ingest.runner import IngestOptions, SourceReport, ingest_paths
from shadowfleet.ingest.tables import FIELD_ALIASES
from shadowfleet.store import catalog
from shadowfleet.store.export import ExportFilter, export_table
from shadowfleet.store.lake import Store

app = typer.Typer(
    name="shadowfleet",
    help="Find ships that evade sanctions at sea, from AIS data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True, soft_wrap=True)  # messages name files: never wrap them

StoreOption = Annotated[Path, typer.Option("--store", "-s", help="Store directory.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML configuration file.")]


def _fail(exc: ShadowfleetError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(exc.exit_code)


def _parse_time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"{option}: not an ISO 8601 time: {text!r} (e.g. 2020-06-30T12:00:00Z)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_columns(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    mapping: dict[str, str] = {}
    for item in text.split(","):
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise ConfigError(f"--columns: expected field=column pairs, got {item!r}")
        if field.strip() not in FIELD_ALIASES:
            raise ConfigError(f"--columns: unknown field {field.strip()!r}; fields: {', '.join(FIELD_ALIASES)}")
        mapping[field.strip()] = column.strip()
    return mapping


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"shadowfleet {__version__}")
        raise typer.Exit(0)


@app.command()
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="NMEA, CSV or Parquet files (plain, gzip, bzip2, xz or zip).")],
    store: StoreOption,
    config: ConfigOption = None,
    default_time: Annotated[
        str | None, typer.Option(help="ISO time for NMEA messages nothing in the data dates.")
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(help="Column mapping for other CSVs: field=column,... (fields: mmsi, timestamp, lat...)."),
    ] = None,
    time_format: Annotated[str | None, typer.Option(help="strftime format of CSV timestamps.")] = None,
    receiver_class: Annotated[
        str | None, typer.Option(help="Receiver class of CSV rows: terrestrial, satellite or unknown.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Read AIS inputs into the store (re-ingesting the same input adds nothing)."""
    try:
        settings = load_config(config)
        if receiver_class not in (None, "terrestrial", "satellite", "unknown"):
            raise ConfigError("--receiver-class must be terrestrial, satellite or unknown")
        options = IngestOptions(
            default_time=_parse_time(default_time, "--default-time"),
            column_map=_parse_columns(columns),
            time_format=time_format,
            receiver_class=receiver_class,
        )
        reports = run_ingest(Store(store, settings.store, create=True), inputs, settings, options, quiet=quiet)
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(2)


def run_ingest(
    store: Store, inputs: list[Path], settings: Config, options: IngestOptions, *, quiet: bool = False
) -> list[SourceReport]:
    """Ingest with a progress bar and print the summary (used by ``ingest`` and ``demo``)."""
    started = time.perf_counter()
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=errors,
        disable=quiet,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(Path(name).name[-40:], total=total)
            progress.update(tasks[name], completed=done, total=total)

        reports = ingest_paths(store, list(inputs), settings, options, on_progress)
    catalog.refresh_catalog(store)
    print_ingest_summary(reports, time.perf_counter() - started)
    return reports


def print_ingest_summary(reports: list[SourceReport], elapsed_s: float) -> None:
    """Rich tables: one row per input, then rejects by reason and what else was counted."""
    wide = console.width >= 130  # narrow terminals get the essential columns only
    table = Table(title="Ingest", title_justify="left")
    table.add_column("input", overflow="fold", max_width=32 if wide else 24)
    if wide:
        table.add_column("format")
    table.add_column("status")
    for column in ("read", "positions", "statics", "other", "rejected", *(("dupl.",) if wide else ())):
        table.add_column(column, justify="right")
    if wide:
        table.add_column("time range (UTC)")
    rejects: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    styles = {"ingested": "green", "skipped": "yellow", "failed": "red", "empty": "yellow"}
    for r in reports:
        rejects.update(r.rejects)
        counts.update(r.counts)
        span = ""
        if r.time_min and r.time_max:
            same_day = r.time_min.date() == r.time_max.date()
            span = (
                f"{r.time_min:%Y-%m-%d %H:%M}–{r.time_max:%H:%M}"
                if same_day
                else f"{r.time_min:%Y-%m-%d}–{r.time_max:%Y-%m-%d}"
            )
        cells = [
            Path(r.name).name,
            *((r.format or "?",) if wide else ()),
            f"[{styles.get(r.status, 'white')}]{r.status}",
            f"{r.units_read:,}" if r.units_read else "",
            f"{r.rows['positions']:,}",
            f"{r.rows['statics']:,}",
            f"{r.rows['aids_to_navigation'] + r.rows['base_stations']:,}",
            f"{sum(r.rejects.values()):,}",
            *((f"{r.duplicates:,}", span) if wide else ()),
        ]
        table.add_row(*cells)
    table.caption = "read: lines (NMEA) or rows (tables); other: aids to navigation and base stations"
    console.print(table)
    for r in reports:
        if r.message and r.status in ("failed", "skipped", "empty"):
            colour = "red" if r.status == "failed" else "yellow"
            console.print(
                f"[{colour}]{r.status}[/]: {r.message}"
                if r.status == "failed"
                else f"[{colour}]{Path(r.name).name}: {r.message}",
                soft_wrap=True,  # the message names a file: never break it
            )
    if rejects:
        reasons = Table(title="Rejected, by reason (samples in the rejects table)", title_justify="left")
        reasons.add_column("reason")
        reasons.add_column("count", justify="right")
        for reason, n in rejects.most_common():
            reasons.add_row(reason, f"{n:,}")
        console.print(reasons)
    notes = []
    unsupported = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("unsupported_type.") and v}
    if unsupported:
        listed = ", ".join(f"{t}: {n:,}" for t, n in sorted(unsupported.items(), key=lambda kv: -kv[1])[:12])
        notes.append(f"unsupported message types (counted, not stored): {listed}")
    sources = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("time_source.") and v}
    if sources:
        notes.append(
            "timestamps from: " + ", ".join(f"{s} {n:,}" for s, n in sorted(sources.items(), key=lambda kv: -kv[1]))
        )
    ignored = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("ignored.") and v}
    if ignored:
        notes.append("lines ignored: " + ", ".join(f"{k} {v:,}" for k, v in ignored.items()))
    nulled = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("nulled.") and v}
    if nulled:
        notes.append("out-of-range values set to null: " + ", ".join(f"{k} {v:,}" for k, v in nulled.items()))
    if counts.get("tag_block.checksum_mismatch"):
        notes.append(f"tag blocks with a wrong checksum (fields kept): {counts['tag_block.checksum_mismatch']:,}")
    if rejects.get("missing_timestamp"):
        notes.append("[yellow]some messages had no timestamp: pass --default-time to keep them")
    for note in notes:
        console.print(f"• {note}")
    total_units = sum(r.units_read for r in reports)
    console.print(
        f"[bold]{len(reports)} input(s), {total_units:,} lines/rows in {elapsed_s:.1f} s"
        + (f" ({total_units / elapsed_s:,.0f}/s)" if elapsed_s > 0 else "")
    )


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="DuckDB SQL over the store's views (positions, statics, sources...).")],
    store: StoreOption,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    limit: Annotated[int, typer.Option(help="Most rows printed as a table.")] = 50,
) -> None:
    """Run SQL over the store and print the result."""
    try:
        if output not in ("table", "csv", "json"):
            raise ConfigError("--format must be table, csv or json")
        handle = Store(store)
        connection = catalog.connect(handle)
        try:
            result = catalog.fetch(connection, sql)
        except Exception as exc:  # duckdb raises many error classes
            raise QueryError(f"query failed: {exc}") from exc
        finally:
            connection.close()
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    if output == "csv":
        sys.stdout.write(result.write_csv())
    elif output == "json":
        sys.stdout.write(result.write_json() + "\n")
    else:
        print_frame(result, limit)


def print_frame(frame: pl.DataFrame, limit: int = 50, title: str | None = None) -> None:
    """Print a frame as a Rich table (first ``limit`` rows)."""
    table = Table(title=title, title_justify="left")
    for name in frame.columns:
        table.add_column(name, overflow="fold")
    for row in frame.head(limit).iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)
    if frame.height > limit:
        console.print(f"({frame.height:,} rows, {limit} shown; use --limit or --format csv)")
    else:
        console.print(f"({frame.height:,} rows)")


@app.command()
def export(
    table: Annotated[
        str, typer.Argument(help="positions, statics, rejects, sources, tracks, identities, events, vessels.")
    ],
    store: StoreOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .parquet, .csv or .geojson.")],
    mmsi: Annotated[list[int] | None, typer.Option(help="Only these MMSIs (repeatable).")] = None,
    start: Annotated[str | None, typer.Option(help="From this ISO time (inclusive).")] = None,
    end: Annotated[str | None, typer.Option(help="Until this ISO time (exclusive).")] = None,
    bbox: Annotated[str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat in degrees.")] = None,
) -> None:
    """Write a table of the store to a file."""
    try:
        box = None
        if bbox:
            parts = [float(v) for v in bbox.split(",")]
            if len(parts) != 4:
                raise ConfigError("--bbox needs four numbers: min_lon,min_lat,max_lon,max_lat")
            box = (parts[0], parts[1], parts[2], parts[3])
        where = ExportFilter(
            mmsi=tuple(mmsi or ()), start=_parse_time(start, "--start"), end=_parse_time(end, "--end"), bbox=box
        )
        written = export_table(Store(store), table, out, where)
    except ValueError as exc:
        raise _fail(ConfigError(f"--bbox: {exc}")) from exc
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    console.print(f"wrote {written:,} rows of {table} to {out}")


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the data files and truth.json.")],
    scenario: Annotated[str, typer.Option(help="dprk-coal, baseline or scale.")] = "dprk-coal",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
    days: Annotated[int | None, typer.Option(help="Days of data (scenario default when omitted).")] = None,
    vessels: Annotated[int | None, typer.Option(help="Number of vessels (scenario default when omitted).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="nmea, csv or parquet.")] = "nmea",
    map_png: Annotated[Path | None, typer.Option("--map", help="Also draw a map of the tracks into this PNG.")] = None,
    config: ConfigOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Simulate AIS traffic with sanctions-evasion behaviours, and write what really happened (truth.json)."""
    from shadowfleet.simulate import output
    from shadowfleet.simulate import scenario as scenarios
    from shadowfleet.simulate.generate import simulate as run_simulation

    started = time.perf_counter()
    try:
        if output_format not in output.FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(output.FORMATS)}")
        scenarios.scenario_named(scenario)
        settings = load_config(config)
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=errors,
            disable=quiet,
            transient=True,
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def on_progress(stage: str, fraction: float) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=1.0)
                progress.update(tasks[stage], completed=fraction)

            sim = run_simulation(
                scenario, seed=seed, days=days, vessels=vessels, config=settings.simulate, progress=on_progress
            )
            on_progress(f"writing {output_format}", 0.0)
            written = output.write_simulation(sim, out, output_format)
            on_progress(f"writing {output_format}", 1.0)
            if map_png is not None:
                from shadowfleet.simulate.plot import draw_map

                on_progress("drawing the map", 0.0)
                draw_map(sim, map_png)
                on_progress("drawing the map", 1.0)
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    print_simulation_summary(sim.truth, written.as_dict(out), out, time.perf_counter() - started)
    if map_png is not None:
        console.print(f"map: {map_png}")


def print_simulation_summary(truth: dict[str, object], files: dict[str, object], out: Path, elapsed_s: float) -> None:
    """What was simulated, written, and injected (by event type, and how much of it the data shows)."""
    counts = truth["counts"]
    assert isinstance(counts, dict)
    overview = Table(
        title=f"Simulated {truth['scenario']} (seed {truth['seed']}), {truth['start']} to {truth['end']}",
        title_justify="left",
    )
    overview.add_column("")
    overview.add_column("", justify="right")
    damaged = files["damaged"]
    assert isinstance(damaged, dict)
    for label, value in (
        ("vessels (evading)", f"{counts['vessels']:,} ({counts['evaders']:,})"),
        ("positions received", f"{counts['positions']:,}"),
        ("static reports received", f"{counts['statics']:,}"),
        ("files written", f"{len(files['paths']):,} ({files['lines']:,} lines/rows)"),  # type: ignore[arg-type]
        ("damaged on purpose", ", ".join(f"{k} {v}" for k, v in damaged.items()) or "none"),
    ):
        overview.add_row(label, value)
    console.print(overview)
    events = truth["events"]
    assert isinstance(events, list)
    by_type: Counter[tuple[str, str]] = Counter()
    seen: Counter[tuple[str, str]] = Counter()
    for event in events:
        key = (event["event_type"], event["subtype"])
        by_type[key] += 1
        seen[key] += bool(event["observable"])
    table = Table(title="Ground truth (truth.json): behaviours injected", title_justify="left")
    for column in ("event_type", "subtype", "events", "in the data"):
        table.add_column(column, justify="right" if column in ("events", "in the data") else "left")
    for (kind, subtype), n in sorted(by_type.items()):
        table.add_row(kind, subtype, f"{n:,}", f"{seen[(kind, subtype)]:,}")
    console.print(table)
    totals = [t for t in truth["totals"] if t["origin_country"] == "KP"]  # type: ignore[attr-defined]
    for total in totals:
        console.print(
            f"• cargo moved {total['origin_country']} → {total['destination_country']} ({total['commodity']}): "
            f"{total['tonnes']:,.0f} t"
        )
    console.print(f"wrote {out}/ in {elapsed_s:.1f} s; the ground truth is {out / 'truth.json'}")


@app.command()
def detect(store: StoreOption, config: ConfigOption = None) -> None:
    """Compute tracks, vessels, identities and events over the store (replaces earlier results)."""
    started = time.perf_counter()
    try:
        settings = load_config(config)
        handle = Store(store)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
        ) as bar:
            task = bar.add_task("detect", total=None)
            summary = run_detect(handle, settings, lambda stage: bar.update(task, description=stage))
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    print_detect_summary(summary, time.perf_counter() - started)


def print_detect_summary(summary: DetectSummary, elapsed_s: float) -> None:
    """The end-of-run summary of ``detect``: what was read, dropped, built and found."""
    table = Table(title="detect", show_header=False)
    table.add_row("positions read", f"{summary.positions_read:,}")
    for reason, count in summary.dropped.items():
        if count:
            table.add_row(f"  dropped: {reason}", f"{count:,}")
    for column, count in summary.nulled.items():
        if count:
            table.add_row(f"  nulled: {column}", f"{count:,}")
    table.add_row("tracks (noise)", f"{summary.tracks:,} ({summary.noise_tracks:,})")
    table.add_row("vessels", f"{summary.vessels:,}")
    table.add_row("identity periods", f"{summary.identities:,}")
    table.add_row(
        "impossible jumps / glitches ignored", f"{summary.spoofing['jumps']:,} / {summary.spoofing['glitches']:,}"
    )
    console.print(table)
    print_frame(summary.events, title="events")
    stages = ", ".join(f"{name} {seconds:.1f}" for name, seconds in summary.timings_s.items())
    console.print(f"done in {elapsed_s:.1f} s ({stages} s)")


@app.command()
def screen(
    store: StoreOption,
    lists: Annotated[
        list[Path],
        typer.Option(
            "--list", "-l", help="A sanctions list or watch-list (UN 1718, OFAC SDN, EU, OpenSanctions, CSV)."
        ),
    ],
    config: ConfigOption = None,
) -> None:
    """Screen the store's vessels against sanctions lists (after ``detect``)."""
    started = time.perf_counter()
    try:
        settings = load_config(config)
        summary = run_screen(Store(store), [str(p) for p in lists], settings)
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    print_screen_summary(summary, time.perf_counter() - started)


def print_screen_summary(summary: ScreenSummary, elapsed_s: float) -> None:
    """The end-of-run summary of ``screen``: lists read, matches, riskiest vessels."""
    table = Table(title="lists read")
    for column in ("file", "layout", "vessels", "rows not used"):
        table.add_column(column)
    for load in summary.lists:
        rejected = ", ".join(f"{reason}: {count}" for reason, count in load.rejected.items()) or "none"
        table.add_row(Path(load.path).name, load.layout, f"{load.entries.height:,}", rejected)
    console.print(table)
    console.print(f"{summary.entries:,} designated vessels after merging by IMO ({summary.shared:,} on several lists)")
    shown = summary.matches.select(
        "vessel_id",
        pl.col("lists").list.unique().list.join(", ").alias("lists"),
        "listed_name",
        "matched_on",
        "matched_value",
        "score",
        pl.col("bases").list.join(", ").alias("all bases"),
    )
    print_frame(shown, title=f"{summary.vessels_matched:,} vessels matched")
    print_frame(summary.riskiest, title="highest risk (reasons in vessels.risk_reasons)")
    console.print(f"done in {elapsed_s:.1f} s; matches in the sanctions_matches table")


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Argument(help="NMEA, CSV or Parquet files (plain, gzip, bzip2, xz or zip).")],
    store: StoreOption,
    lists: Annotated[
        list[Path] | None,
        typer.Option("--list", "-l", help="Sanctions lists or watch-lists to screen against (repeatable)."),
    ] = None,
    config: ConfigOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Ingest, detect, screen and build voyages and trade flows in one go (as the separate commands would)."""
    started = time.perf_counter()
    try:
        settings = load_config(config)
        handle = Store(store, settings.store, create=True)
        reports = run_ingest(handle, inputs, settings, IngestOptions(), quiet=quiet)
        summary = run_detect(handle, settings)
        print_detect_summary(summary, time.perf_counter() - started)
        if lists:
            screened = run_screen(handle, [str(p) for p in lists], settings)
            print_screen_summary(screened, time.perf_counter() - started)
        estimated = run_estimate(handle, settings)
        print_estimate_summary(estimated, time.perf_counter() - started)
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(2)


estimate_app = typer.Typer(help="Estimates built from the store: cargo and trade.", no_args_is_help=True)
app.add_typer(estimate_app, name="estimate")


def _parse_price(text: str) -> tuple[float, float]:
    low, sep, high = text.partition(":")
    try:
        band = (float(low), float(high if sep else low))
    except ValueError as exc:
        raise ConfigError(f"--price-usd-per-t: expected LOW:HIGH US$ per tonne, got {text!r}") from exc
    if not 0 <= band[0] <= band[1]:
        raise ConfigError(f"--price-usd-per-t: need 0 <= LOW <= HIGH, got {text!r}")
    return band


@estimate_app.command("trade")
def estimate_trade(
    store: StoreOption,
    origin_country: Annotated[str, typer.Option(help="Loading country, ISO 3166-1 alpha-2 (e.g. KP).")],
    destination_country: Annotated[str, typer.Option(help="Discharge country, ISO 3166-1 alpha-2 (e.g. CN).")],
    commodity: Annotated[str, typer.Option(help="The commodity declared for this flow (AIS does not carry it).")],
    price_usd_per_t: Annotated[str, typer.Option(help="Price band LOW:HIGH in US$ per tonne.")] = "0:0",
    registry: Annotated[
        Path | None, typer.Option(help="Registry CSV: imo, deadweight_t, tpc_t_per_cm, design_draught_m.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Tonnes, value, voyages and vessels of a trade flow, with the evidence for each voyage."""
    started = time.perf_counter()
    try:
        settings = load_config(config)
        if len(origin_country) != 2 or len(destination_country) != 2:
            raise ConfigError("--origin-country and --destination-country are ISO 3166-1 alpha-2 codes (e.g. KP, CN)")
        flow = (origin_country, destination_country, commodity, _parse_price(price_usd_per_t))
        summary = run_estimate(Store(store), settings, registry_path=str(registry) if registry else None, flow=flow)
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    assert summary.estimate is not None
    if as_json:
        sys.stdout.write(json.dumps(summary.estimate.to_json(), indent=2, default=str) + "\n")
        return
    print_estimate_summary(summary, time.perf_counter() - started)


def print_estimate_summary(summary: EstimateSummary, elapsed_s: float) -> None:
    """The end-of-run summary of the trade stage, and of the flow asked for."""
    console.print(
        f"{summary.voyages:,} voyages between stops; {summary.shipments.height:,} loadings followed "
        f"({summary.shipments.filter(pl.col('destination_country').is_not_null()).height:,} to a known destination)"
        + (f"; {summary.registry_vessels:,} hulls from the registry" if summary.registry_vessels else "")
    )
    flows = (
        summary.flows.group_by("origin_country", "destination_country", "commodity")
        .agg(pl.col("voyages").sum(), pl.col("tonnes_mid").sum().round(0))
        .sort("tonnes_mid", descending=True)
    )
    print_frame(flows, limit=15, title="largest flows (trade_flows table)")
    estimate = summary.estimate
    if estimate is not None:
        tonnes, value = estimate.tonnes(), estimate.value_usd()
        head = Table(
            title=f"{estimate.origin_country} → {estimate.destination_country} {estimate.commodity}", show_header=False
        )
        head.add_row("tonnes low / mid / high", f"{tonnes['low']:,.0f} / {tonnes['mid']:,.0f} / {tonnes['high']:,.0f}")
        head.add_row(
            f"value at US${estimate.price_usd_per_t[0]:g}-{estimate.price_usd_per_t[1]:g}/t",
            f"US${value['low']:,.0f} - {value['high']:,.0f}",
        )
        head.add_row("voyages / vessels", f"{estimate.shipments.height:,} / {len(estimate.vessels()):,}")
        head.add_row(
            "arrived, not yet seen discharging (not counted)",
            f"{estimate.arrived.height:,} ({float(estimate.arrived['tonnes_mid'].sum()):,.0f} t)",
        )
        head.add_row(
            "discharged there, origin not seen (not counted)",
            f"{estimate.unknown_origin.height:,} ({float(estimate.unknown_origin['tonnes_mid'].sum()):,.0f} t)",
        )
        console.print(head)
        print_frame(pl.DataFrame(estimate.turnaround()), title="turnaround by route pattern")
        months = pl.DataFrame(
            [
                {"month": m["month"], "voyages": m["voyages"], **{f"t_{k}": round(v) for k, v in m["tonnes"].items()}}
                for m in estimate.by_month()
            ]
        )
        print_frame(months, title="by month of loading")
        print_frame(
            estimate.shipments.select(
                "loaded_by",
                "origin_port",
                pl.col("load_end").dt.strftime("%Y-%m-%d %H:%M").alias("loaded"),
                pl.col("via_vessels").alias("via"),
                "destination_port",
                pl.col("discharge_end").dt.strftime("%Y-%m-%d %H:%M").alias("discharged"),
                pl.col("tonnes_mid").round(0).alias("t_mid"),
                "method",
            ),
            title="voyages (evidence: event ids in the shipments table and --json)",
        )
    console.print(f"done in {elapsed_s:.1f} s; tables voyages, shipments, trade_flows written")


@app.command("config")
def show_config(config: ConfigOption = None) -> None:
    """Print the configuration (defaults, or a file merged over them) as TOML."""
    try:
        sys.stdout.write(dump_config(load_config(config)))
    except ShadowfleetError as exc:
        raise _fail(exc) from exc


def _serve(application: Any, host: str, port: int, token: str | None) -> None:
    import uvicorn

    address = f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{port}/"
    console.print(f"[bold]shadowfleet[/] serving at [link={address}]{address}[/]  (API docs: {address}docs)")
    if token:
        console.print(f"writes enabled: open {address}?token={token} to use them in the browser")
    else:
        console.print("read-only: start with --token (or SHADOWFLEET_API_TOKEN) to allow watch-lists, notes and cases")
    if host not in ("127.0.0.1", "localhost", "::1"):
        errors.print(f"[yellow]warning:[/] listening on {host}: anyone who can reach this machine can read the store")
    console.print("Ctrl-C stops the server.")
    uvicorn.run(application, host=host, port=port, log_level="warning")


HostOption = Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")]
PortOption = Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)]
TokenOption = Annotated[
    str | None,
    typer.Option(envvar="SHADOWFLEET_API_TOKEN", help="API token that writes (watch-list, notes, cases) need."),
]


@app.command()
def serve(
    store: StoreOption,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    token: TokenOption = None,
    config: ConfigOption = None,
) -> None:
    """Serve the web application and the HTTP API over a store."""
    from shadowfleet.api.app import create_app

    try:
        settings = load_config(config)
        application = create_app(store, token=token, config=settings)
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    _serve(application, host, port, token)


@app.command()
def demo(
    store: Annotated[Path, typer.Option("--store", "-s", help="Store directory (created; reused when built).")] = Path(
        "shadowfleet-demo"
    ),
    seed: Annotated[int, typer.Option(help="Simulation seed.")] = 1,
    days: Annotated[int | None, typer.Option(help="Days to simulate (scenario default: 30).")] = None,
    vessels: Annotated[int | None, typer.Option(help="Vessels to simulate (scenario default: 150).")] = None,
    rebuild: Annotated[bool, typer.Option(help="Rebuild the store even when it is already built.")] = False,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the store and stop.")] = False,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    token: TokenOption = None,
) -> None:
    """Simulate the DPRK coal case, run the whole pipeline with the UN 1718 list, and serve the result."""
    from shadowfleet.api.app import create_app
    from shadowfleet.demo import DEMO_FLOW, build_demo_store

    started = time.perf_counter()
    try:
        with Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(), console=errors, transient=True
        ) as progress:
            task = progress.add_task("demo", total=None)
            built = build_demo_store(
                store,
                seed=seed,
                days=days,
                vessels=vessels,
                rebuild=rebuild,
                stage=lambda name: progress.update(task, description=name),
            )
        if built.reused:
            console.print(f"Reusing the demo store {store}/ (--rebuild builds it again).")
        else:
            print_ingest_summary(built.ingest, time.perf_counter() - started)
            if built.estimate is not None:
                print_estimate_summary(built.estimate, time.perf_counter() - started)
        # The demo always allows writes, with a fresh token unless one is given.
        serve_token = token or secrets.token_urlsafe(16)
        application = None if no_serve else create_app(store, token=serve_token)
    except ShadowfleetError as exc:
        raise _fail(exc) from exc
    origin, destination, commodity, _ = DEMO_FLOW
    console.print(
        f"Store {store}/ ready in {time.perf_counter() - started:.1f} s: "
        f"the {origin} → {destination} {commodity} case, screened against the UN 1718 list."
    )
    if application is not None:
        _serve(application, host, port, serve_token)


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except InputError as exc:  # pragma: no cover - commands catch their own
        errors.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
