"""The embedded engine: read the store, run the pipeline in this process, write the results."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import polars as pl

from shadowfleet.config import Config
from shadowfleet.errors import StoreError
from shadowfleet.events.areas import load_areas
from shadowfleet.pipeline import Progress, build_tracks, detect_events, tracks_table, working_positions
from shadowfleet.risk.score import band, score_vessels
from shadowfleet.sanctions.lists import ListLoad, load_list, merge_entries
from shadowfleet.sanctions.match import best_matches, screen_vessels, vessel_match_json
from shadowfleet.schemas import SANCTIONS_MATCHES
from shadowfleet.store.catalog import refresh_catalog
from shadowfleet.store.lake import Store
from shadowfleet.trade.flows import TradeEstimate, estimate_trade, trade_flows
from shadowfleet.trade.registry import load_registry
from shadowfleet.trade.voyages import sea_stop_vessels, trade_tables


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class DetectSummary:
    """What ``shadowfleet detect`` did.

    Attributes:
        positions_read: Positions read from the store.
        positions_kept: Positions left after cleaning.
        dropped: Positions dropped by reason.
        nulled: Values nulled by column.
        tracks: Tracks (of which noise).
        noise_tracks: Tracks flagged as noise.
        vessels: Vessels.
        identities: Identity periods.
        events: Events by type and subtype.
        spoofing: Counts behind the spoofing events.
        timings_s: Seconds per stage.
    """

    positions_read: int
    positions_kept: int
    dropped: dict[str, int]
    nulled: dict[str, int]
    tracks: int
    noise_tracks: int
    vessels: int
    identities: int
    events: pl.DataFrame
    spoofing: dict[str, int]
    timings_s: dict[str, float] = field(default_factory=dict)


def run_detect(store: Store, config: Config, progress: Progress = _quiet) -> DetectSummary:
    """Compute tracks, identities, vessels and events over the whole store and write them.

    Args:
        store: The store (its lake is read; its derived tables are replaced).
        config: Configuration.
        progress: Called with each stage's name.
    """
    started = time.perf_counter()
    progress("reading")
    positions = working_positions(store.scan("positions")).collect()
    statics = store.scan("statics").collect()
    read_s = time.perf_counter() - started
    result = build_tracks(positions, statics, config, progress)
    del positions
    found = detect_events(result, config, progress)
    progress("risk")
    # Scored from the events alone until `screen` adds the lists.
    no_matches = pl.DataFrame(schema=SANCTIONS_MATCHES)
    vessels = score_vessels(result.vessels, found.events, no_matches, config.risk, load_areas(config.areas.path))
    progress("writing")
    write_started = time.perf_counter()
    with store.writing():
        store.replace_tables(
            {
                "tracks": tracks_table(result),
                "identities": result.identities,
                "declarations": result.declarations,
                "events": found.events,
                "vessels": vessels,
            }
        )
        refresh_catalog(store)
    timings = {"read": read_s, **result.timings_s, **found.timings_s, "write": time.perf_counter() - write_started}
    by_type = found.events.group_by("event_type", "subtype").len("events").sort("event_type", "subtype")
    return DetectSummary(
        positions_read=result.clean.rows_in,
        positions_kept=result.clean.rows_out,
        dropped=result.clean.dropped,
        nulled=result.clean.nulled,
        tracks=result.tracks.height,
        noise_tracks=int(result.tracks["noise"].sum()),
        vessels=result.vessels.height,
        identities=result.identities.height,
        events=by_type,
        spoofing={
            "jumps": found.spoofing.jumps,
            "glitches": found.spoofing.glitches,
            "on_land_fixes": found.spoofing.on_land_fixes,
        },
        timings_s=timings,
    )


@dataclass(frozen=True)
class ScreenSummary:
    """What ``shadowfleet screen`` did.

    Attributes:
        lists: Per list file: path, layout, entries, rows rejected by reason.
        entries: Designated vessels after merging the lists by IMO number.
        shared: Of those, named by more than one list.
        matches: The strongest match per (vessel, entry) (:func:`best_matches`).
        vessels_matched: Vessels with at least one match.
        riskiest: The ten highest risk scores: vessel, name, score, band.
    """

    lists: list[ListLoad]
    entries: int
    shared: int
    matches: pl.DataFrame
    vessels_matched: int
    riskiest: pl.DataFrame


def run_screen(store: Store, list_paths: list[str], config: Config) -> ScreenSummary:
    """Screen the store's vessels against sanctions lists; write the matches and risk.

    Writes the ``sanctions_matches`` table and the ``vessels`` table's
    ``sanctions_matches``, ``risk_score`` and ``risk_reasons`` columns. Needs
    ``detect`` to have run.

    Raises:
        InputError: When a list cannot be read or is in no known layout.
        StoreError: When the store has no vessels yet.
    """
    loads = [load_list(path) for path in list_paths]
    entries = merge_entries(pl.concat([load.entries for load in loads]))
    if not store.table_files("identities") or not store.table_files("vessels"):
        raise StoreError(f"{store.root}: no vessels yet; run `shadowfleet detect` first")
    identities = store.scan("identities").collect()
    vessels = store.scan("vessels").collect()
    events = store.scan("events").collect()
    matches = screen_vessels(identities, entries, config.screening)
    per_vessel = vessel_match_json(matches)
    updated = vessels.drop("sanctions_matches").join(per_vessel, on="vessel_id", how="left").select(vessels.columns)
    updated = score_vessels(updated, events, matches, config.risk, load_areas(config.areas.path))
    with store.writing():
        store.replace_tables({"sanctions_matches": matches, "vessels": updated})
        refresh_catalog(store)
    best = best_matches(matches)
    return ScreenSummary(
        lists=loads,
        entries=entries.height,
        shared=entries.filter(pl.col("lists").list.unique().list.len() > 1).height,
        matches=best,
        vessels_matched=best["vessel_id"].n_unique(),
        riskiest=updated.sort("risk_score", descending=True)
        .head(10)
        .select("vessel_id", "name", "risk_score", band(pl.col("risk_score"), config.risk).alias("band")),
    )


@dataclass(frozen=True)
class EstimateSummary:
    """What the trade stage built (``shadowfleet estimate trade`` and ``run``).

    Attributes:
        voyages: Legs between stops.
        shipments: Loadings followed to their discharge.
        flows: The ``trade_flows`` table.
        registry_vessels: Vessels whose hull came from the registry.
        estimate: The estimate of the flow asked for, if any.
    """

    voyages: int
    shipments: pl.DataFrame
    flows: pl.DataFrame
    registry_vessels: int
    estimate: TradeEstimate | None = None


def run_estimate(
    store: Store,
    config: Config,
    *,
    registry_path: str | None = None,
    flow: tuple[str, str, str, tuple[float, float]] | None = None,
) -> EstimateSummary:
    """Build voyages, shipments and trade flows from the store's events and draughts.

    Args:
        store: A store ``detect`` has run on.
        config: Configuration (``[trade]``, ``[draught]``).
        registry_path: A registry CSV (IMO, deadweight, TPC, design draught).
        flow: (origin country, destination country, commodity, (low, high) US$/t):
            the flow to estimate; its commodity is declared for the origin and its
            value written into ``trade_flows``.

    Raises:
        StoreError: When ``detect`` has not run.
        InputError: When the registry cannot be read.
    """
    if not store.table_files("events") or not store.table_files("identities"):
        raise StoreError(f"{store.root}: no events yet; run `shadowfleet detect` first")
    trade = config.trade
    prices: dict[str, tuple[float, float]] = {}
    if flow is not None:
        origin, _, commodity, price = flow
        declared = tuple(d for d in trade.declared_commodities if not d.upper().startswith(f"{origin.upper()}:"))
        trade = dataclasses.replace(trade, declared_commodities=(*declared, f"{origin.upper()}:{commodity}"))
        prices[commodity] = price
    registry = load_registry(registry_path) if registry_path else None
    events = store.scan("events").collect()
    identities = store.scan("identities").collect()
    # Fixes of the vessels stopped at sea only (candidates for an unseen transfer).
    at_sea = identities.filter(pl.col("vessel_id").cast(pl.String).is_in(sea_stop_vessels(events).implode()))
    positions = store.scan("positions").filter(pl.col("mmsi").is_in(at_sea["mmsi"].unique().implode()))
    voyages, shipments, hulls = trade_tables(
        events,
        store.scan("declarations").collect(),
        identities,
        config.draught,
        trade,
        registry=registry,
        positions=positions.select("mmsi", "timestamp", "lat", "lon").collect(),
        data_end=store.scan("positions").select(pl.col("timestamp").max()).collect().item(),
    )
    flows = trade_flows(shipments, prices)
    with store.writing():
        store.replace_tables({"voyages": voyages, "shipments": shipments, "trade_flows": flows})
        refresh_catalog(store)
    estimate = None
    if flow is not None:
        estimate = estimate_trade(shipments, flow[0], flow[1], flow[2], flow[3])
    return EstimateSummary(
        voyages=voyages.height,
        shipments=shipments,
        flows=flows,
        registry_vessels=int(hulls["deadweight_t"].is_not_null().sum() + 0) if registry is not None else 0,
        estimate=estimate,
    )
