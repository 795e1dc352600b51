"""The stages of ``shadowfleet detect`` in order, as pure functions of frames.

``build_tracks`` turns positions and static reports into tracks, vessels and identity
periods; ``detect_events`` runs the detectors on them. Engines (the local one in
:mod:`shadowfleet.engines.local`, later Spark) read the store, call these, and write
the results; nothing here touches a file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from shadowfleet.config import Config
from shadowfleet.events.areas import detect_area_entries
from shadowfleet.events.dark_port_calls import detect_dark_port_calls
from shadowfleet.events.draught import detect_draught_changes
from shadowfleet.events.encounters import detect_encounters
from shadowfleet.events.gaps import detect_gaps
from shadowfleet.events.identity import detect_identity_anomalies, detect_identity_changes
from shadowfleet.events.loitering import detect_loitering
from shadowfleet.events.port_visits import detect_port_visits
from shadowfleet.events.routes import detect_route_deviations
from shadowfleet.events.spoofing import (
    SpoofingReport,
    detect_circles,
    detect_collisions,
    detect_on_land,
    detect_speed_jumps,
    reconcile_spoofing,
)
from shadowfleet.schemas import DECLARATIONS, EVENTS, IDENTITIES, TRACKS, VESSELS, conform, empty
from shadowfleet.tracks.clean import CleanReport, clean_positions
from shadowfleet.tracks.identity import (
    attach_statics,
    chain_tracks,
    concurrent_pairs,
    declarations,
    identity_periods,
    identity_runs,
    link_vessels,
    mmsi_periods,
    summarise_chains,
)
from shadowfleet.tracks.segment import segment_positions, summarise_tracks

Progress = Callable[[str], None]

WORKING_COLUMNS = (
    "mmsi",
    "timestamp",
    "lat",
    "lon",
    "sog_kn",
    "cog_deg",
    "heading_deg",
    "nav_status",
    "msg_type",
    "transponder_class",
    "receiver_class",
    "receiver_id",
    "source_id",
    "source_line",
)
"""Position columns the stages use (``source_id`` and ``source_line`` trace evidence)."""
CATEGORICAL_COLUMNS = ("transponder_class", "receiver_class", "receiver_id", "source_id")


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class TrackResult:
    """Tracks, vessels and identities of a set of positions.

    Attributes:
        positions: Cleaned positions sorted by ``(mmsi, timestamp)`` with
            ``track_number`` and ``vessel_id`` (categorical; null on noise tracks).
        tracks: The ``tracks`` table (plus ``track_number``).
        chains: Chain summaries with ``vessel_id``.
        links: Why chains were linked into vessels.
        pairs: Interleaving track pairs (MMSI collisions).
        statics: Static reports attributed to vessels, with normalised keys.
        runs: Kept identity runs per vessel and field.
        mmsi_periods: MMSI periods per vessel.
        identities: The ``identities`` table.
        declarations: The ``declarations`` table (destination and draught over time).
        vessels: The ``vessels`` table (risk columns empty until screening).
        clean: The cleaning report.
        timings_s: Seconds per stage.
    """

    positions: pl.DataFrame
    tracks: pl.DataFrame
    chains: pl.DataFrame
    links: pl.DataFrame
    pairs: pl.DataFrame
    statics: pl.DataFrame
    runs: pl.DataFrame
    mmsi_periods: pl.DataFrame
    identities: pl.DataFrame
    declarations: pl.DataFrame
    vessels: pl.DataFrame
    clean: CleanReport
    timings_s: dict[str, float] = field(default_factory=dict)


def working_positions(positions: pl.LazyFrame) -> pl.LazyFrame:
    """The position columns the stages use, low-cardinality text as categories.

    Engines apply it to their scan so the full-width table is never in memory.
    """
    names = positions.collect_schema().names()
    wanted = [c for c in WORKING_COLUMNS if c in names]
    return positions.select(wanted).with_columns(
        pl.col(c).cast(pl.Categorical) for c in CATEGORICAL_COLUMNS if c in wanted
    )


def build_tracks(
    positions: pl.DataFrame, statics: pl.DataFrame, config: Config, progress: Progress = _quiet
) -> TrackResult:
    """Clean, segment, chain, link and name: positions and statics to vessels.

    Args:
        positions: Rows of the ``positions`` table (any order).
        statics: Rows of the ``statics`` table.
        config: Configuration (sections ``tracks``, ``identity``, ``spoofing``).
        progress: Called with the name of each stage as it starts.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    progress("cleaning")
    cleaned, report = clean_positions(working_positions(positions.lazy()).collect())
    lap("clean")
    progress("segmenting")
    segmented = segment_positions(cleaned, config.tracks)
    tracks = summarise_tracks(segmented, config.tracks)
    pairs = concurrent_pairs(
        segmented, tracks, config.spoofing.collision_min_positions, config.spoofing.collision_min_switches
    )
    lap("segment")
    progress("linking vessels")
    chains = chain_tracks(tracks, pairs, config.tracks)
    attached = attach_statics(statics, segmented, chains, config.identity)
    chain_summary = summarise_chains(tracks, chains, attached, config.identity)
    links = link_vessels(chain_summary, config.identity)
    chain_vessel = links.chains.select("chain", "vessel_id")
    track_vessel = chains.join(chain_vessel, on="chain").select("track_number", "chain", "vessel_id")
    tracks = tracks.join(track_vessel, on="track_number", how="left")
    segmented = segmented.join(
        track_vessel.select("track_number", pl.col("vessel_id").cast(pl.Categorical)),
        on="track_number",
        how="left",
        maintain_order="left",  # the detectors rely on (mmsi, timestamp) order
    )
    lap("link")
    progress("identities")
    attached = attached.join(chain_vessel, on="chain", how="inner")
    runs = identity_runs(attached, config.identity)
    periods = mmsi_periods(links.chains)
    identities = identity_periods(runs, periods)
    vessels = _vessels(identities, periods)
    lap("identities")
    return TrackResult(
        positions=segmented,
        tracks=tracks,
        chains=links.chains,
        links=links.links,
        pairs=pairs,
        statics=attached,
        runs=runs,
        mmsi_periods=periods,
        identities=conform(identities, IDENTITIES),
        declarations=conform(declarations(runs), DECLARATIONS),
        vessels=vessels,
        clean=report,
        timings_s=timings,
    )


def _vessels(identities: pl.DataFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """The ``vessels`` table: latest identity, MMSI heard most, span and size."""
    latest = (
        identities.sort("valid_from")
        .group_by("vessel_id")
        .agg(
            pl.col("imo").drop_nulls().last(),
            pl.col("name").drop_nulls().last(),
            pl.col("ship_type").drop_nulls().last(),
        )
    )
    per_mmsi = periods.group_by("vessel_id", "mmsi").agg(pl.col("flag_iso2").first(), pl.col("n_positions").sum())
    heard_most = (
        per_mmsi.sort("n_positions", "mmsi", descending=[True, False])
        .group_by("vessel_id", maintain_order=True)
        .agg(pl.col("mmsi").first(), pl.col("flag_iso2").first())
    )
    spans = (
        periods.group_by("vessel_id")
        .agg(
            pl.col("start_time").min().alias("first_seen"),
            pl.col("end_time").max().alias("last_seen"),
            pl.col("n_positions").sum(),
        )
        .join(heard_most, on="vessel_id")
    )
    return conform(spans.join(latest, on="vessel_id", how="left").sort("vessel_id"), VESSELS)


@dataclass(frozen=True)
class EventResult:
    """Events of a run and the counts behind them.

    Attributes:
        events: The ``events`` table.
        spoofing: Counts behind the spoofing events.
        timings_s: Seconds per detector.
    """

    events: pl.DataFrame
    spoofing: SpoofingReport
    timings_s: dict[str, float] = field(default_factory=dict)


def detect_events(result: TrackResult, config: Config, progress: Progress = _quiet) -> EventResult:
    """Run the detectors over a :class:`TrackResult`."""
    timings: dict[str, float] = {}
    positions = result.positions
    fixes = positions.select("vessel_id", "timestamp", "mmsi", "lat", "lon")

    def timed(key: str, label: str, run: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        progress(label)
        start = time.perf_counter()
        found = run()
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - start
        return found

    def spoofing() -> pl.DataFrame:
        jumps, report = detect_speed_jumps(positions, result.pairs, config.spoofing)
        on_land, on_land_fixes = detect_on_land(positions, config.spoofing)
        circles = detect_circles(positions.filter(pl.col("vessel_id").is_not_null()), config.spoofing)
        track_sizes = result.tracks.select("track_number", "vessel_id", "n_positions")
        collisions = detect_collisions(result.pairs, track_sizes, config.spoofing.collision_merge_gap_h)
        counts.append(SpoofingReport(jumps=report.jumps, glitches=report.glitches, on_land_fixes=on_land_fixes))
        return reconcile_spoofing(jumps, on_land, circles, collisions, config.spoofing)

    counts: list[SpoofingReport] = []
    runs, periods, declared = result.runs, result.mmsi_periods, result.declarations
    spoofs = timed("spoofing", "spoofing", spoofing)
    parts = [
        timed("identity", "identity events", lambda: detect_identity_changes(runs, periods, fixes, config.identity)),
        timed("identity", "identity events", lambda: detect_identity_anomalies(runs, periods, fixes, config.identity)),
        spoofs,
    ]
    gaps = timed("gaps", "gaps", lambda: detect_gaps(positions, config.gap, config.areas))
    hidden = pl.concat([conform(gaps, EVENTS), conform(spoofs, EVENTS)])
    visits = timed("port_visits", "port visits", lambda: detect_port_visits(positions, config.port_visit))
    calls = timed(
        "dark_port_calls",
        "dark port calls",
        lambda: detect_dark_port_calls(hidden, positions, declared, config.dark_port_call, visits),
    )
    parts += [
        gaps,
        calls,
        visits,
        timed(
            "route_deviations",
            "route deviations",
            lambda: detect_route_deviations(visits, positions, result.identities, config.route_deviation),
        ),
        timed("areas", "areas", lambda: detect_area_entries(positions, config.areas)),
        timed("draught", "draught changes", lambda: detect_draught_changes(declared, fixes, config.draught)),
        timed(
            "encounters",
            "encounters",
            lambda: detect_encounters(positions, declared, config.encounter, config.tracks),
        ),
        timed("loitering", "loitering", lambda: detect_loitering(positions, config.loitering)),
    ]
    events = pl.concat([conform(p, EVENTS) for p in parts]) if parts else empty(EVENTS)
    return EventResult(
        events=events.sort("start_time", "event_type", "event_id"), spoofing=counts[0], timings_s=timings
    )


def tracks_table(result: TrackResult) -> pl.DataFrame:
    """The ``tracks`` table of a :class:`TrackResult`."""
    return conform(result.tracks, TRACKS)
