"""Voyages, cargo operations and shipments: where cargo was loaded and where it went.

A vessel's **stops** are the places where cargo can change hands: port visits, dark
port calls (an AIS silence long enough for a call at a sanctioned port, with the port
inferred), encounters with another vessel (ship-to-ship), loitering at sea and
deliberate silences with no call inferred (the place is unknown). Where stops overlap,
the more specific one stands (encounter, port visit, dark port call, loitering, silence).

**Cargo operations.** The declared draught a vessel arrived with and the one it arrived
with at its next stop (declared by arrival, or within ``arrival_grace_h`` of it: crews
type the new draught in hours after sailing, some only on arrival; after the last stop,
the last one declared) give each stop a change: with no other stop in between, a
change declared on the way is the late update of this stop's cargo work; one of at least the
draught detector's ``min_change_m`` is a load or a discharge, its tonnes by the
displacement difference (:mod:`shadowfleet.trade.cargo`). A vessel whose declared
draughts span less than ``min_draught_range_m`` never updated its draught: its
operations are unknown.

**Voyages** are the legs between consecutive stops (origin, destination, departure,
arrival), laden or in ballast from the draught declared on the leg relative to the
vessel's range, with the tonnes loaded at the origin and discharged at the destination.

**Shipments** follow each loading to where its cargo left the ship: the carrier's next
discharge; when that discharge is an encounter, the cargo passes to the other vessel
(its load there is the same cargo, not a new shipment) and on to that vessel's next
discharge, up to ``MAX_TRANSFERS`` hand-overs. Tonnes come from the first draught
measurement along the way (the loading, else the receiver's load, else the final
discharge). For origins with a declared commodity (``[trade] declared_commodities``),
a call at one of the country's ports by a vessel that never updated its draught is a
loading of unknown size, estimated as a load factor × the hull's deadweight (method
``load_factor``, weaker evidence), and ends at the next encounter or port call in
another country, or off the port where the ship switched on again after a deliberate
silence (:func:`reappearances`); it is dropped when the ship reached that port light
and left it laden (it had room for a whole cargo there). A registry (IMO, deadweight, TPC, design draught) replaces the
estimated hull where it knows the vessel.

Known limits: a loading split between several receivers follows the first; cargo
loaded before the data begins has no origin; a discharge during a silence whose ship
reappeared away from any port has no destination.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Final

import numpy as np
import polars as pl

from shadowfleet.config import DraughtConfig, TradeConfig
from shadowfleet.events.draught import kept_draughts
from shadowfleet.geo.distance import KNOT_M_PER_S, haversine_m
from shadowfleet.geo.gazetteer import harbours, nearest_harbour
from shadowfleet.schemas import SHIPMENTS, VOYAGES, conform
from shadowfleet.tracks.segment import stable_id
from shadowfleet.trade.cargo import (
    block_coefficients,
    block_from_tpc,
    draught_difference,
    laden_cargo_high,
    load_factor_cargo,
)

_END_OF_TIME: Final = datetime(9999, 1, 1, tzinfo=UTC)

MAX_TRANSFERS: Final = 3
"""Ship-to-ship hand-overs followed per shipment (a chain longer than this is left at sea)."""

STOP_PRECEDENCE: Final[dict[str, int]] = {
    "encounter": 0,
    "port_visit": 1,
    "dark_port_call": 2,
    "loitering": 3,
    "ais_gap": 4,
    "spoofed": 5,
}
"""Where stops overlap, the lower number stands."""

_STOP_COLUMNS: Final = (
    "vessel_id",
    "kind",
    "event_id",
    "start_time",
    "end_time",
    "confidence",
    "port_name",
    "country_iso2",
    "lat",
    "lon",
    "partner_vessel_id",
    "open_end",
)


def reappearances(events: pl.DataFrame, config: TradeConfig) -> pl.DataFrame:
    """Deliberate silences that ended in a port's approaches, as places cargo can leave a ship.

    A runner that sailed dark from a loading and switched on again just off a port it
    then did not call at (no port visit within ``arrival_grace_h``) discharged during
    the silence: the port is where the cargo of unknown size it carried ended.

    Args:
        events: The ``events`` table.
        config: Trade configuration (``reappearance_port_km``, ``arrival_grace_h``).

    Returns:
        Stop rows (:func:`cargo_stops` columns, ``kind`` ``reappearance``, start and end
        at the silence's end, the gap's event id, the port's name and country).
    """
    gaps = events.filter(
        (pl.col("event_type") == "ais_gap")
        & (pl.col("subtype") == "likely_deliberate")
        & pl.col("end_time").is_not_null()
    ).select(
        pl.col("vessel_id").cast(pl.String),
        "event_id",
        "end_time",
        "confidence",
        _json_field("end_lat").cast(pl.Float64).alias("_lat"),
        _json_field("end_lon").cast(pl.Float64).alias("_lon"),
    )
    gaps = gaps.drop_nulls(["vessel_id", "_lat", "_lon"])
    distance_m, row = nearest_harbour(
        gaps["_lat"].to_numpy(), gaps["_lon"].to_numpy(), max_m=config.reappearance_port_km * 1000.0
    )
    near = gaps.with_columns(pl.Series("_harbour", row)).filter(pl.Series(np.isfinite(distance_m)))
    places = (
        harbours()
        .with_row_index("_harbour")
        .select(pl.col("_harbour").cast(pl.Int64), pl.col("name").alias("port_name"), "country_iso2")
    )
    near = near.join(places, on="_harbour", how="inner")
    grace = pl.duration(seconds=round(config.arrival_grace_h * 3600))
    called = (
        near.select("vessel_id", "event_id", "end_time")
        .join(
            events.filter(pl.col("event_type") == "port_visit").select(
                pl.col("vessel_id").cast(pl.String), pl.col("start_time").alias("_vs"), pl.col("end_time").alias("_ve")
            ),
            on="vessel_id",
        )
        .filter((pl.col("_vs") <= pl.col("end_time") + grace) & (pl.col("_ve") >= pl.col("end_time")))
        .select("vessel_id", "event_id")
        .unique()
    )
    return (
        near.join(called, on=["vessel_id", "event_id"], how="anti")
        .select(
            "vessel_id",
            pl.lit("reappearance").alias("kind"),
            "event_id",
            pl.col("end_time").alias("start_time"),
            "end_time",
            "confidence",
            "port_name",
            "country_iso2",
            pl.col("_lat").alias("lat"),
            pl.col("_lon").alias("lon"),
            pl.lit(None, pl.String).alias("partner_vessel_id"),
            # Seen leaving or not, nothing says the cargo work there was over.
            pl.lit(True).alias("open_end"),
        )
        .sort("vessel_id", "start_time")
    )


def _json_field(name: str) -> pl.Expr:
    return pl.col("details").fill_null("{}").str.json_path_match(f"$.{name}")


_NEXT_STOP_COLUMNS: Final = ("kind", "event_id", "start_time", "port_name", "country_iso2", "operation", "tonnes_mid")


def cargo_stops(events: pl.DataFrame) -> pl.DataFrame:
    """The stops where cargo can change hands, one row per vessel and stop (see module notes).

    Args:
        events: The ``events`` table.

    Returns:
        ``vessel_id, kind, event_id, start_time, end_time, confidence, port_name,
        country_iso2, lat, lon, partner_vessel_id, open_end`` sorted by vessel and
        start, without stops overlapping a more specific one. ``open_end``: the stop's
        end is its last fix, not a departure (a port visit the vessel was never seen
        leaving).
    """
    ev = events.with_columns(pl.col("vessel_id").cast(pl.String), pl.col("other_vessel_id").cast(pl.String))
    no_text = pl.lit(None, pl.String)

    def stop(
        frame: pl.DataFrame,
        kind: pl.Expr,
        port: pl.Expr,
        country: pl.Expr,
        partner: pl.Expr,
        open_end: pl.Expr | None = None,
    ) -> pl.DataFrame:
        return frame.select(
            "vessel_id",
            kind.alias("kind"),
            "event_id",
            "start_time",
            "end_time",
            "lat",
            "lon",
            "confidence",
            port.alias("port_name"),
            country.alias("country_iso2"),
            partner.alias("partner_vessel_id"),
            (pl.lit(False) if open_end is None else open_end).alias("open_end"),
        )

    of_type = pl.col("event_type")
    visits = stop(
        ev.filter(of_type == "port_visit"),
        pl.lit("port_visit"),
        pl.col("port_name"),
        _json_field("country_iso2"),
        no_text,
        # Stores written before visits recorded their exit: any visit may be open.
        _json_field("exited").fill_null("false") != "true",
    )
    dark_calls = stop(
        ev.filter(of_type == "dark_port_call"),
        pl.lit("dark_port_call"),
        pl.col("port_name"),
        _json_field("country"),
        no_text,
    )
    meetings = ev.filter(of_type == "encounter")
    both_sides = pl.concat(
        [
            meetings.select("vessel_id", pl.col("other_vessel_id").alias("partner_vessel_id"), "event_id"),
            meetings.select(
                pl.col("other_vessel_id").alias("vessel_id"), pl.col("vessel_id").alias("partner_vessel_id"), "event_id"
            ),
        ]
    ).join(meetings.select("event_id", "start_time", "end_time", "lat", "lon", "confidence"), on="event_id")
    encounters = stop(
        both_sides.filter(pl.col("vessel_id").is_not_null() & pl.col("partner_vessel_id").is_not_null()),
        pl.lit("encounter"),
        no_text,
        no_text,
        pl.col("partner_vessel_id"),
    )
    deliberate = (of_type == "ais_gap") & (pl.col("subtype") == "likely_deliberate") & pl.col("end_time").is_not_null()
    at_sea = stop(ev.filter((of_type == "loitering") | deliberate), of_type, no_text, no_text, no_text)
    stops = pl.concat([visits, dark_calls, encounters, at_sea]).filter(
        pl.col("start_time").is_not_null() & pl.col("end_time").is_not_null()
    )
    # Positions broadcast while a vessel was spoofing are not where it was: a stop built
    # from them (mostly inside a spoofing interval) has no trusted place, and gives way
    # to any other stop, such as the dark port call inferred over that interval.
    spoofs = ev.filter(pl.col("event_type") == "spoofing").select(
        "vessel_id", pl.col("start_time").alias("_s"), pl.col("end_time").alias("_e")
    )
    overlap_s = (pl.min_horizontal("end_time", "_e") - pl.max_horizontal("start_time", "_s")).dt.total_seconds()
    spoofed = (
        stops.filter(pl.col("kind") != "dark_port_call")
        .select("vessel_id", "event_id", "start_time", "end_time")
        .join(spoofs, on="vessel_id")
        .filter(overlap_s >= 0.5 * (pl.col("end_time") - pl.col("start_time")).dt.total_seconds())
        .select("vessel_id", "event_id", pl.lit(True).alias("_spoofed"))
        .unique()
    )
    flagged = pl.col("_spoofed").fill_null(False)
    stops = stops.join(spoofed, on=["vessel_id", "event_id"], how="left").with_columns(
        pl.when(flagged).then(pl.lit("spoofed")).otherwise(pl.col("kind")).alias("kind"),
        pl.when(flagged).then(pl.lit(None, pl.String)).otherwise(pl.col("port_name")).alias("port_name"),
        pl.when(flagged).then(pl.lit(None, pl.String)).otherwise(pl.col("country_iso2")).alias("country_iso2"),
        pl.when(flagged)
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col("partner_vessel_id"))
        .alias("partner_vessel_id"),
    )
    stops = stops.with_columns(pl.col("kind").replace_strict(STOP_PRECEDENCE, return_dtype=pl.Int8).alias("_rank"))
    # A stop inside (or overlapping) a more specific one of the same vessel is that one.
    pairs = stops.select("vessel_id", "event_id", "start_time", "end_time", "_rank").join(
        stops.select(
            "vessel_id", pl.col("start_time").alias("_s"), pl.col("end_time").alias("_e"), pl.col("_rank").alias("_r")
        ),
        on="vessel_id",
    )
    covered = (
        pairs.filter(
            (pl.col("_r") < pl.col("_rank"))
            & (pl.col("_s") < pl.col("end_time"))
            & (pl.col("_e") > pl.col("start_time"))
        )
        .select("vessel_id", "event_id")
        .unique()
    )
    return (
        stops.join(covered, on=["vessel_id", "event_id"], how="anti")
        .select(_STOP_COLUMNS)
        .unique(["vessel_id", "event_id"])
        .sort("vessel_id", "start_time", "end_time")
    )


def vessel_hulls(identities: pl.DataFrame, registry: pl.DataFrame | None = None) -> pl.DataFrame:
    """One hull per vessel: the most broadcast length, beam, ship type and IMO, with a registry's figures.

    Args:
        identities: The ``identities`` table.
        registry: ``imo, deadweight_t, tpc_t_per_cm, design_draught_m`` (any may be null).

    Returns:
        ``vessel_id, imo, length_m, beam_m, ship_type, deadweight_t, tpc_t_per_cm,
        design_draught_m``.
    """

    def most_common(name: str) -> pl.Expr:
        return pl.col(name).drop_nulls().mode().sort().first().alias(name)

    hulls = (
        identities.with_columns(pl.col("vessel_id").cast(pl.String))
        .group_by("vessel_id")
        .agg(
            most_common("imo"),
            most_common("length_m").cast(pl.Float64),
            most_common("beam_m").cast(pl.Float64),
            most_common("ship_type").cast(pl.Float64),
        )
    )
    if registry is None or registry.is_empty():
        return hulls.with_columns(
            pl.lit(None, pl.Float64).alias("deadweight_t"),
            pl.lit(None, pl.Float64).alias("tpc_t_per_cm"),
            pl.lit(None, pl.Float64).alias("design_draught_m"),
        )
    known = registry.select(
        pl.col("imo").cast(pl.Int64),
        pl.col("deadweight_t").cast(pl.Float64),
        pl.col("tpc_t_per_cm").cast(pl.Float64),
        pl.col("design_draught_m").cast(pl.Float64),
    ).unique("imo")
    return hulls.join(known, on="imo", how="left")


def _draught_as_of(frame: pl.DataFrame, time_column: str, draughts: pl.DataFrame, name: str) -> pl.DataFrame:
    """The declared draught in force at ``time_column`` (last one begun at or before it).

    Also when that value was first (``{name}_from``) and last (``{name}_to``) heard.
    """
    return (
        frame.sort(time_column)
        .join_asof(
            draughts.select(
                "vessel_id",
                pl.col("start_time").alias("_declared"),
                pl.col("draught_m").alias(name),
                pl.col("start_time").alias(f"{name}_from"),
                pl.col("end_time").alias(f"{name}_to"),
            ).sort("_declared"),
            left_on=time_column,
            right_on="_declared",
            by="vessel_id",
            strategy="backward",
            check_sortedness=False,
        )
        .drop("_declared")
    )


def hidden_intervals(events: pl.DataFrame) -> pl.DataFrame:
    """When each vessel's position was hidden: closed likely-deliberate gaps and spoofing.

    Returns:
        ``vessel_id, start_time, end_time``.
    """
    return events.filter(
        ((pl.col("event_type") == "ais_gap") & (pl.col("subtype") == "likely_deliberate"))
        | (pl.col("event_type") == "spoofing")
    ).select(pl.col("vessel_id").cast(pl.String), "start_time", pl.col("end_time").fill_null(pl.col("start_time")))


def cargo_operations(
    stops: pl.DataFrame,
    draughts: pl.DataFrame,
    hulls: pl.DataFrame,
    config: TradeConfig,
    min_change_m: float,
    hidden: pl.DataFrame | None = None,
    fixes: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Draught before and after each stop, the operation and its tonnes (see module notes).

    Args:
        stops: From :func:`cargo_stops`.
        draughts: The kept declared draughts (:func:`shadowfleet.events.draught.kept_draughts`).
        hulls: From :func:`vessel_hulls`.
        config: Trade configuration.
        min_change_m: A change at least this large is cargo moved, metres.
        hidden: :func:`hidden_intervals` of the events, to pair transfers made while
            the giving ship was dark (none paired without it or ``fixes``).
        fixes: ``vessel_id, timestamp, lat, lon`` of the vessels stopped at sea
            (:func:`vessel_fixes`), to pair transfers the encounter detector missed
            between sparse fixes.

    Returns:
        The stops with ``draught_before_m, draught_after_m, operation`` (``load``,
        ``discharge``, ``none``, ``unknown``), ``tonnes_low/mid/high`` (positive, of a
        load or discharge measured from draught), ``draught_usable``, ``laden_after``,
        ``arrived_light`` (declared draught on arrival at or below the laden line),
        the hull and the vessel's draught range.
    """
    grace_s = config.arrival_grace_h * 3600.0
    ranges = draughts.group_by("vessel_id").agg(
        pl.col("draught_m").min().alias("lightest_m"), pl.col("draught_m").max().alias("deepest_m")
    )
    # The arrival draught: declared by arrival plus a grace (half the stop at most).
    arrival_at = pl.col("start_time") + pl.duration(
        seconds=pl.min_horizontal(
            pl.lit(grace_s), (pl.col("end_time") - pl.col("start_time")).dt.total_seconds() / 2.0
        ).clip(0.0)
    )
    ops = (
        stops.sort("vessel_id", "start_time")
        .with_columns(arrival_at.alias("_arrival_at"))
        .with_columns(pl.col("_arrival_at").shift(-1).over("vessel_id").alias("_next_arrival_at"))
        .with_columns(
            pl.col("_next_arrival_at")
            .fill_null(pl.lit(_END_OF_TIME, dtype=pl.Datetime("us", "UTC")))
            .alias("_after_at")
        )
    )
    ops = _draught_as_of(ops, "_arrival_at", draughts, "draught_before_m")
    ops = _draught_as_of(ops, "_after_at", draughts, "draught_after_m")
    ops = ops.join(ranges, on="vessel_id", how="left").join(hulls, on="vessel_id", how="left")
    usable = (pl.col("deepest_m") - pl.col("lightest_m") >= config.min_draught_range_m).fill_null(False)
    laden_line = pl.col("lightest_m") + config.laden_share * (pl.col("deepest_m") - pl.col("lightest_m"))
    # Nothing declared before the stop (first heard leaving it laden): it came in ballast.
    assumed = usable & pl.col("draught_before_m").is_null() & (pl.col("draught_after_m") > laden_line)
    ops = ops.with_columns(
        assumed.alias("before_assumed"),
        pl.when(assumed).then(pl.col("lightest_m")).otherwise(pl.col("draught_before_m")).alias("draught_before_m"),
    )
    change = pl.col("draught_after_m") - pl.col("draught_before_m")
    ops = ops.with_columns(
        usable.alias("draught_usable"),
        pl.when(~usable | change.is_null())
        .then(pl.lit("unknown"))
        .when(change >= min_change_m)
        .then(pl.lit("load"))
        .when(change <= -min_change_m)
        .then(pl.lit("discharge"))
        .otherwise(pl.lit("none"))
        .alias("operation"),
        pl.when(usable).then(pl.col("draught_after_m") > laden_line).alias("laden_after"),
        pl.when(usable).then(pl.col("draught_before_m") <= laden_line).alias("arrived_light"),
    ).sort("vessel_id", "start_time")
    ops = _draught_tonnes(ops, config)
    return _pair_dark_transfers(ops, hidden, fixes, config)


def _draught_tonnes(ops: pl.DataFrame, config: TradeConfig) -> pl.DataFrame:
    """Tonnes of each measured load or discharge (interval arithmetic; laden-condition top)."""
    mask = (
        ops["operation"].is_in(["load", "discharge"]) & ops["length_m"].is_not_null() & ops["beam_m"].is_not_null()
    ).to_numpy()
    n = ops.height
    low, mid, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if mask.any():
        sub = ops.filter(pl.Series(mask))
        length = sub["length_m"].to_numpy().astype(np.float64)
        beam = sub["beam_m"].to_numpy().astype(np.float64)
        before = sub["draught_before_m"].to_numpy().astype(np.float64)
        after = sub["draught_after_m"].to_numpy().astype(np.float64)
        design = sub["design_draught_m"].fill_null(sub["deepest_m"]).to_numpy().astype(np.float64)
        blocks = block_coefficients(sub["ship_type"].fill_null(np.nan).to_numpy().astype(np.float64))
        tpc = sub["tpc_t_per_cm"].to_numpy().astype(np.float64)
        has_tpc = ~np.isnan(tpc)
        if has_tpc.any():
            from_tpc = block_from_tpc(length, beam, np.where(has_tpc, tpc, 1.0))
            blocks = tuple(np.where(has_tpc, from_tpc, b) for b in blocks)  # type: ignore[assignment]
        lo, mi, hi = draught_difference(length, beam, before, after, design, blocks)
        if has_tpc.any():
            u = config.registry_tpc_uncertainty
            lo = np.where(has_tpc, np.where(lo > 0, lo * (1 - u), lo * (1 + u)), lo)
            hi = np.where(has_tpc, np.where(hi > 0, hi * (1 + u), hi * (1 - u)), hi)
        loads = mi > 0
        lo, mi, hi = np.where(loads, lo, -hi), np.abs(mi), np.where(loads, hi, -lo)
        # A loading from ballast: the laden-condition cargo is the upper end (ballast
        # pumped out while loading hides from the two-draught difference).
        from_ballast = sub["arrived_light"].fill_null(False).to_numpy() & loads
        if from_ballast.any():
            lightship = np.where(
                np.floor_divide(np.nan_to_num(sub["ship_type"].to_numpy().astype(np.float64), nan=0.0), 10) == 8,
                config.lightship_share_tanker[0],
                config.lightship_share_cargo[0],
            )
            laden = laden_cargo_high(length, beam, after, design, blocks[2], lightship, config.constants_share[0])
            hi = np.where(from_ballast, np.maximum(hi, laden), hi)
        idx = np.flatnonzero(mask)
        low[idx], mid[idx], high[idx] = np.maximum(lo, 0.0), mi, hi
    return ops.with_columns(
        pl.Series("tonnes_low", low).fill_nan(None),
        pl.Series("tonnes_mid", mid).fill_nan(None),
        pl.Series("tonnes_high", high).fill_nan(None),
    ).drop("_after_at", "_arrival_at", "_next_arrival_at")


def _stable_id(prefix: str, *columns: str) -> pl.Expr:
    """A content-hash id of columns (:func:`shadowfleet.tracks.segment.stable_id`)."""
    return pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in columns], separator="|").map_elements(
        lambda text: stable_id(prefix, text), return_dtype=pl.String
    )


def build_voyages(ops: pl.DataFrame) -> pl.DataFrame:
    """Legs between consecutive stops of each vessel (:data:`shadowfleet.schemas.VOYAGES`).

    Args:
        ops: From :func:`cargo_operations`.
    """
    legs = ops.sort("vessel_id", "start_time").with_columns(
        *[pl.col(c).shift(-1).over("vessel_id").alias(f"next_{c}") for c in _NEXT_STOP_COLUMNS]
    )
    voyages = legs.select(
        _stable_id("Y", "vessel_id", "event_id").alias("voyage_id"),
        "vessel_id",
        pl.col("kind").alias("origin_kind"),
        pl.col("event_id").alias("origin_event_id"),
        pl.col("port_name").alias("origin_port"),
        pl.col("country_iso2").alias("origin_country"),
        pl.col("end_time").alias("departure_time"),
        pl.col("next_kind").alias("destination_kind"),
        pl.col("next_event_id").alias("destination_event_id"),
        pl.col("next_port_name").alias("destination_port"),
        pl.col("next_country_iso2").alias("destination_country"),
        pl.col("next_start_time").alias("arrival_time"),
        pl.col("draught_after_m").alias("draught_m"),
        pl.when(pl.col("laden_after").is_null())
        .then(pl.lit("unknown"))
        .when(pl.col("laden_after"))
        .then(pl.lit("laden"))
        .otherwise(pl.lit("ballast"))
        .alias("state"),
        pl.when(pl.col("operation") == "load").then(pl.col("tonnes_mid")).alias("loaded_t"),
        pl.when(pl.col("next_operation") == "discharge").then(pl.col("next_tonnes_mid")).alias("discharged_t"),
    )
    return conform(voyages, VOYAGES)


def _follow(starts: pl.DataFrame, ops: pl.DataFrame, sinks: pl.DataFrame) -> pl.DataFrame:
    """Follow cargo from ``starts`` to where it left its last ship.

    ``starts`` has ``shipment_id, vessel_id, sink_set, time``, the tonnes, the method
    and the origin country. One as-of join per hand-over, never a loop over rows: each
    round finds every open shipment's next sink on its carrier; a sink at a transfer (an
    encounter, or a pair made while the giving ship was dark) passes the cargo to the
    other vessel, whose load there (when its draught showed one) measures it.
    """
    sink_columns = sinks.select(
        "vessel_id",
        "sink_set",
        pl.col("start_time").alias("_sink_start"),
        pl.col("end_time").alias("_sink_end"),
        pl.col("event_id").alias("_sink_event"),
        pl.col("transfer_key").alias("_transfer"),
        pl.col("kind").alias("_sink_kind"),
        pl.col("partner_vessel_id").alias("_partner"),
        pl.col("port_name").alias("_sink_port"),
        pl.col("country_iso2").alias("_sink_country"),
        pl.col("operation").alias("_sink_operation"),
        pl.col("tonnes_low").alias("_sink_low"),
        pl.col("tonnes_mid").alias("_sink_mid"),
        pl.col("tonnes_high").alias("_sink_high"),
        pl.col("open_end").alias("_sink_open"),
        (pl.col("arrived_light") & pl.col("laden_after")).fill_null(False).alias("_sink_came_light_left_laden"),
    ).sort("_sink_start")
    received = ops.filter(pl.col("transfer_key").is_not_null()).select(
        pl.col("vessel_id").alias("_partner"),
        pl.col("transfer_key").alias("_transfer"),
        pl.col("end_time").alias("_recv_end"),
        pl.col("operation").alias("_recv_op"),
        pl.col("draught_usable").alias("_recv_usable"),
        pl.col("tonnes_low").alias("_recv_low"),
        pl.col("tonnes_mid").alias("_recv_mid"),
        pl.col("tonnes_high").alias("_recv_high"),
    )
    done: list[pl.DataFrame] = []
    current = starts.with_columns(
        pl.lit([], pl.List(pl.String)).alias("via_event_ids"), pl.lit([], pl.List(pl.String)).alias("via_vessel_ids")
    )
    for hop in range(MAX_TRANSFERS + 1):
        found = current.sort("time").join_asof(
            sink_columns,
            left_on="time",
            right_on="_sink_start",
            by=["vessel_id", "sink_set"],
            strategy="forward",
            check_sortedness=False,
        )
        at_meeting = pl.col("_transfer").is_not_null() & pl.col("_partner").is_not_null()
        handed = found.filter(at_meeting)
        done.append(found.filter(~at_meeting.fill_null(False)))
        if handed.is_empty():
            break
        if hop == MAX_TRANSFERS:
            done.append(handed)
            break
        handed = handed.join(received, on=["_partner", "_transfer"], how="left")
        measured_here = (pl.col("_recv_op") == "load") & (
            pl.col("tonnes_mid").is_null() | (pl.col("method") == "load_factor")
        )
        current = handed.select(
            "shipment_id",
            pl.col("_partner").alias("vessel_id"),
            pl.when(pl.col("_recv_usable").fill_null(False))
            .then(pl.lit("measured"))
            .otherwise(pl.lit("blind"))
            .alias("sink_set"),
            # From the receiver's side of the transfer on (a dark transfer's two stops differ).
            pl.coalesce("_recv_end", "_sink_end").alias("time"),
            pl.when(measured_here).then(pl.col("_recv_low")).otherwise(pl.col("tonnes_low")).alias("tonnes_low"),
            pl.when(measured_here).then(pl.col("_recv_mid")).otherwise(pl.col("tonnes_mid")).alias("tonnes_mid"),
            pl.when(measured_here).then(pl.col("_recv_high")).otherwise(pl.col("tonnes_high")).alias("tonnes_high"),
            pl.when(measured_here).then(pl.lit("draught_transfer")).otherwise(pl.col("method")).alias("method"),
            "origin_country",
            pl.col("via_event_ids").list.concat(pl.concat_list(pl.col("_transfer"))),
            pl.col("via_vessel_ids").list.concat(pl.concat_list(pl.col("_partner"))),
        )
    return pl.concat(done, how="diagonal_relaxed")


def build_shipments(
    ops: pl.DataFrame,
    config: TradeConfig,
    data_end: datetime | None = None,
    arrivals: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every loading followed to its discharge (:data:`shadowfleet.schemas.SHIPMENTS`).

    Args:
        ops: From :func:`cargo_operations`.
        config: Trade configuration (declared commodities, load factor, hull shares).
        data_end: The last time in the data: cargo of unknown size whose ship reached
            its destination and was never seen leaving it before the data ended (a
            stop with an open end, within ``open_stop_margin_h`` of the end) was not
            seen discharged (``destination_kind`` ``arrived``).
        arrivals: :func:`reappearances`, where cargo of unknown size can end.
    """
    commodities = config.commodity_of()
    declared = list(commodities)
    places = ("port_visit", "dark_port_call", "loitering", "ais_gap", "spoofed")
    measured = ops.filter(
        (pl.col("operation") == "load")
        & pl.col("kind").is_in(places)
        & pl.col("tonnes_mid").is_not_null()
        & pl.col("transfer_key").is_null()
    )
    # Loadings of unknown size at a declared origin: calls by vessels that never update
    # their draught, and dark calls with no change declared (a crew hiding its call
    # rarely types in the draught it sailed with; the unchanged value is no evidence).
    blind = ops.filter(
        (
            (~pl.col("draught_usable"))
            | ((pl.col("kind") == "dark_port_call") & pl.col("operation").is_in(["none", "unknown"]))
        )
        & pl.col("kind").is_in(["port_visit", "dark_port_call"])
        & pl.col("country_iso2").is_in(declared)
        & pl.col("length_m").is_not_null()
        & pl.col("beam_m").is_not_null()
    )
    # Calls at the origin's ports in a row, each beginning within `multi_port_loading_h`
    # of the last one's end, are one loading made at several berths (the last stands).
    # A reappearance off another country's port between two calls separates them.
    places_in_order = pl.concat(
        [ops.select("vessel_id", "start_time", "country_iso2", "kind")]
        + ([] if arrivals is None else [arrivals.select("vessel_id", "start_time", "country_iso2", "kind")])
    )
    following = (
        places_in_order.select(
            "vessel_id", "start_time", pl.col("country_iso2").alias("_c"), pl.col("kind").alias("_k")
        )
        .sort("vessel_id", "start_time")
        .with_columns(
            pl.col("_c").shift(-1).over("vessel_id").alias("_next_c"),
            pl.col("_k").shift(-1).over("vessel_id").alias("_next_k"),
            pl.col("start_time").shift(-1).over("vessel_id").alias("_next_start"),
        )
    )
    soon = pl.duration(seconds=round(config.multi_port_loading_h * 3600))
    blind = blind.join(following, on=["vessel_id", "start_time"], how="left").filter(
        ~(
            (pl.col("_next_c") == pl.col("country_iso2"))
            & pl.col("_next_k").is_in(["port_visit", "dark_port_call"])
            & (pl.col("_next_start") - pl.col("end_time") <= soon)
        ).fill_null(False)
    )
    blind = _with_load_factor(blind, config)
    loadings = pl.concat(
        [
            measured.with_columns(pl.lit("draught").alias("method")),
            blind.with_columns(pl.lit("load_factor").alias("method")),
        ],
        how="diagonal_relaxed",
    )
    received = ops.filter((pl.col("operation") == "load") & pl.col("transfer_key").is_not_null())
    starts = loadings.select(
        _stable_id("S", "vessel_id", "event_id").alias("shipment_id"),
        "vessel_id",
        pl.when(pl.col("method") == "draught").then(pl.lit("measured")).otherwise(pl.lit("blind")).alias("sink_set"),
        pl.col("end_time").alias("time"),
        "tonnes_low",
        "tonnes_mid",
        "tonnes_high",
        "method",
        pl.col("country_iso2").alias("origin_country"),
    )
    sinks = _sinks(ops, declared, arrivals)
    followed = _follow(starts, ops, sinks)
    # Loads at transfers no followed cargo arrived in: cargo of unknown origin.
    arrived = followed.select(
        pl.col("via_event_ids").list.last().alias("transfer_key"),
        pl.col("via_vessel_ids").list.last().alias("vessel_id"),
    )
    orphan = received.join(arrived.drop_nulls(), on=["vessel_id", "transfer_key"], how="anti")
    if not orphan.is_empty():
        more = orphan.select(
            _stable_id("S", "vessel_id", "event_id").alias("shipment_id"),
            "vessel_id",
            pl.lit("measured").alias("sink_set"),
            pl.col("end_time").alias("time"),
            "tonnes_low",
            "tonnes_mid",
            "tonnes_high",
            pl.lit("draught").alias("method"),
            pl.lit(None, pl.String).alias("origin_country"),
        )
        followed = pl.concat([followed, _follow(more, ops, sinks)], how="diagonal_relaxed")
        loadings = pl.concat([loadings, orphan.with_columns(pl.lit("draught").alias("method"))], how="diagonal_relaxed")
    origin = loadings.select(
        _stable_id("S", "vessel_id", "event_id").alias("shipment_id"),
        pl.col("vessel_id").alias("loaded_by"),
        pl.col("kind").alias("origin_kind"),
        pl.col("event_id").alias("origin_event_id"),
        pl.col("port_name").alias("origin_port"),
        pl.col("start_time").alias("load_start"),
        pl.col("end_time").alias("load_end"),
        pl.col("lat").alias("origin_lat"),
        pl.col("lon").alias("origin_lon"),
        pl.col("draught_before_m").alias("load_draught_before_m"),
        pl.col("draught_after_m").alias("load_draught_after_m"),
        pl.col("partner_vessel_id").alias("origin_partner"),
        pl.col("confidence").alias("origin_confidence"),
    )
    # Cargo of unknown size cannot have been aboard a ship that reached the port it was
    # followed to light (declared draught at or below its laden line, from a crew that
    # updates it) and left it laden: it had room for a whole cargo there.
    contradicted = (pl.col("method") == "load_factor") & pl.col("_sink_came_light_left_laden").fill_null(False)
    followed = followed.filter(~contradicted)
    shipments = followed.join(origin, on="shipment_id", how="left")
    # The discharge measurement where nothing upstream was measured.
    use_sink = (pl.col("tonnes_mid").is_null() | (pl.col("method") == "load_factor")) & (
        (pl.col("_sink_operation") == "discharge") & pl.col("_sink_mid").is_not_null()
    )
    shipments = shipments.with_columns(
        pl.when(use_sink).then(pl.col("_sink_low")).otherwise(pl.col("tonnes_low")).alias("tonnes_low"),
        pl.when(use_sink).then(pl.col("_sink_mid")).otherwise(pl.col("tonnes_mid")).alias("tonnes_mid"),
        pl.when(use_sink).then(pl.col("_sink_high")).otherwise(pl.col("tonnes_high")).alias("tonnes_high"),
        pl.when(use_sink).then(pl.lit("draught_discharge")).otherwise(pl.col("method")).alias("method"),
    )
    out = shipments.select(
        "shipment_id",
        "loaded_by",
        pl.col("vessel_id").alias("carrier"),
        pl.col("via_vessel_ids").list.join(",").replace("", None).alias("via_vessels"),
        pl.col("via_event_ids").list.join(",").replace("", None).alias("transfer_event_ids"),
        "origin_kind",
        "origin_port",
        pl.when(pl.col("origin_kind") == "encounter")
        .then(pl.lit(None, pl.String))
        .otherwise(pl.col("origin_country"))
        .alias("origin_country"),
        "origin_lat",
        "origin_lon",
        "origin_event_id",
        "origin_confidence",
        "load_start",
        "load_end",
        pl.col("_sink_kind").alias("destination_kind"),
        pl.col("_sink_port").alias("destination_port"),
        pl.col("_sink_country").alias("destination_country"),
        pl.col("_sink_event").alias("destination_event_id"),
        pl.col("_sink_start").alias("discharge_start"),
        pl.col("_sink_end").alias("discharge_end"),
        "_sink_open",
        "tonnes_low",
        "tonnes_mid",
        "tonnes_high",
        "method",
        pl.struct(
            "load_draught_before_m", "load_draught_after_m", "origin_partner", pl.col("sink_set").alias("followed")
        )
        .map_elements(lambda s: json.dumps({k: v for k, v in s.items() if v is not None}), return_dtype=pl.String)
        .alias("evidence"),
    )
    still_there = pl.lit(False)
    if data_end is not None:
        open_after = data_end - timedelta(hours=config.open_stop_margin_h)
        still_there = (
            (pl.col("method") == "load_factor")
            & pl.col("_sink_open").fill_null(False)
            & pl.col("discharge_end").is_not_null()
            & (pl.col("discharge_end") >= pl.lit(open_after, dtype=pl.Datetime("us", "UTC")))
        )
    out = out.with_columns(
        pl.col("origin_country").replace_strict(commodities, default="unspecified").alias("commodity"),
        pl.when(pl.col("destination_kind").is_null())
        .then(pl.lit("aboard"))
        .when(still_there)
        .then(pl.lit("arrived"))
        .otherwise(pl.col("destination_kind"))
        .alias("destination_kind"),
        pl.when(pl.col("via_vessels").is_null())
        .then(pl.lit("direct"))
        .otherwise(pl.lit("ship_to_ship"))
        .alias("pattern"),
    )
    return conform(out, SHIPMENTS).sort("load_start", "shipment_id")


def _pair_dark_transfers(
    ops: pl.DataFrame, hidden: pl.DataFrame | None, fixes: pl.DataFrame | None, config: TradeConfig
) -> pl.DataFrame:
    """Give every transfer a key: an encounter its event id; an unseen transfer a pair's.

    An **unseen transfer**: one ship's draught fell and another's rose at sea
    (loitering, a silence, a spoofed stretch; no encounter seen), the windows in which
    the two changes happened (from the old value last heard to the new one first
    heard) overlap, the giver could sail between the two stops in the time between
    them at ``transfer_speed_kn`` (a day's slack), the tonnes agree
    (the low-high bands overlap), and during the overlap (± ``transfer_margin_h``)
    either the giving ship's position was hidden (a deliberate silence or spoofing) or
    the two were seen within ``transfer_near_km`` of each other (fixes at most
    ``transfer_margin_h`` apart: an encounter too sparsely heard for the encounter
    detector). Each load pairs with its closest discharge in tonnes and only when that
    discharge's closest load is it (mutual best).
    """
    keyed = ops.with_columns(pl.when(pl.col("kind") == "encounter").then(pl.col("event_id")).alias("transfer_key"))
    if (hidden is None or hidden.is_empty()) and (fixes is None or fixes.is_empty()):
        return keyed
    at_sea = ["loitering", "ais_gap", "spoofed"]
    window = [
        "vessel_id",
        "event_id",
        "start_time",
        "lat",
        "lon",
        "tonnes_low",
        "tonnes_mid",
        "tonnes_high",
        pl.col("draught_before_m_to").alias("window_start"),
        pl.col("draught_after_m_from").alias("window_end"),
    ]
    candidates = keyed.filter(
        pl.col("kind").is_in(at_sea) & pl.col("partner_vessel_id").is_null() & pl.col("tonnes_mid").is_not_null()
    )
    gives = candidates.filter(pl.col("operation") == "discharge").select(window)
    takes = candidates.filter(pl.col("operation") == "load").select(window)
    if gives.is_empty() or takes.is_empty():
        return keyed
    pairs = gives.join_where(
        takes,
        pl.col("vessel_id") != pl.col("vessel_id_right"),
        pl.col("window_start") <= pl.col("window_end_right"),
        pl.col("window_start_right") <= pl.col("window_end"),
        pl.col("tonnes_low") <= pl.col("tonnes_high_right"),
        pl.col("tonnes_low_right") <= pl.col("tonnes_high"),
    ).with_columns(
        pl.max_horizontal("window_start", "window_start_right").alias("_from"),
        pl.min_horizontal("window_end", "window_end_right").alias("_to"),
    )
    if pairs.is_empty():
        return keyed
    distance = haversine_m(
        pairs["lat"].to_numpy(), pairs["lon"].to_numpy(), pairs["lat_right"].to_numpy(), pairs["lon_right"].to_numpy()
    )
    apart_h = (pl.col("start_time") - pl.col("start_time_right")).dt.total_seconds().abs() / 3600.0 + 24.0
    pairs = pairs.with_columns(pl.Series("_distance_m", distance)).filter(
        pl.col("_distance_m") <= config.transfer_speed_kn * KNOT_M_PER_S * 3600.0 * apart_h
    )
    margin = timedelta(hours=config.transfer_margin_h)
    evidence = []
    if hidden is not None and not hidden.is_empty():
        evidence.append(
            pairs.select("event_id", "event_id_right", "vessel_id", "_from", "_to")
            .join(hidden.rename({"start_time": "_hs", "end_time": "_he"}), on="vessel_id")
            .filter((pl.col("_hs") < pl.col("_to") + margin) & (pl.col("_he") > pl.col("_from") - margin))
            .select("event_id", "event_id_right")
        )
    if fixes is not None and not fixes.is_empty():
        evidence.append(_seen_together(pairs, fixes, config))
    dark = pl.concat(evidence).unique()
    pairs = pairs.join(dark, on=["event_id", "event_id_right"]).with_columns(
        (pl.col("tonnes_mid") / pl.col("tonnes_mid_right")).log().abs().alias("_misfit")
    )
    best_give = pl.col("_misfit") == pl.col("_misfit").min().over("event_id")
    best_take = pl.col("_misfit") == pl.col("_misfit").min().over("event_id_right")
    chosen = pairs.filter(best_give & best_take).unique("event_id").unique("event_id_right")
    if chosen.is_empty():
        return keyed
    chosen = chosen.with_columns(_stable_id("T", "event_id", "event_id_right").alias("_key"))
    sides = pl.concat(
        [
            chosen.select("vessel_id", "event_id", "_key", pl.col("vessel_id_right").alias("_partner")),
            chosen.select(
                pl.col("vessel_id_right").alias("vessel_id"),
                pl.col("event_id_right").alias("event_id"),
                "_key",
                pl.col("vessel_id").alias("_partner"),
            ),
        ]
    )
    return (
        keyed.join(sides, on=["vessel_id", "event_id"], how="left")
        .with_columns(
            pl.coalesce("transfer_key", "_key").alias("transfer_key"),
            pl.coalesce("partner_vessel_id", "_partner").alias("partner_vessel_id"),
        )
        .drop("_key", "_partner")
    )


def _seen_together(pairs: pl.DataFrame, fixes: pl.DataFrame, config: TradeConfig) -> pl.DataFrame:
    """Candidate pairs whose ships were seen within ``transfer_near_km`` during the overlap."""
    margin = timedelta(hours=config.transfer_margin_h)
    windows = pairs.select(
        "event_id",
        "event_id_right",
        pl.col("vessel_id").alias("_giver"),
        pl.col("vessel_id_right").alias("_taker"),
        (pl.col("_from") - margin).alias("_w0"),
        (pl.col("_to") + margin).alias("_w1"),
    )
    inside = (pl.col("timestamp") >= pl.col("_w0")) & (pl.col("timestamp") <= pl.col("_w1"))
    given = windows.join(fixes.rename({"vessel_id": "_giver"}), on="_giver").filter(inside)
    taken = (
        windows.select("event_id", "event_id_right", "_taker", "_w0", "_w1")
        .join(fixes.rename({"vessel_id": "_taker", "lat": "_lat", "lon": "_lon"}), on="_taker")
        .filter(inside)
        .select("event_id", "event_id_right", "timestamp", "_lat", "_lon")
    )
    if given.is_empty() or taken.is_empty():
        return pairs.select("event_id", "event_id_right").head(0)
    near = (
        given.sort("timestamp")
        .join_asof(
            taken.sort("timestamp"),
            on="timestamp",
            by=["event_id", "event_id_right"],
            strategy="nearest",
            tolerance=margin,
            check_sortedness=False,
        )
        .drop_nulls("_lat")
    )
    distance = haversine_m(
        near["lat"].to_numpy(), near["lon"].to_numpy(), near["_lat"].to_numpy(), near["_lon"].to_numpy()
    )
    return (
        near.with_columns(pl.Series("_m", distance))
        .filter(pl.col("_m") <= config.transfer_near_km * 1000.0)
        .select("event_id", "event_id_right")
        .unique()
    )


def vessel_fixes(positions: pl.DataFrame, identities: pl.DataFrame) -> pl.DataFrame:
    """``vessel_id`` of each ``mmsi, timestamp, lat, lon`` fix, from the identity periods."""
    periods = identities.select(pl.col("vessel_id").cast(pl.String), "mmsi", "valid_from", "valid_to").sort(
        "valid_from"
    )
    return (
        positions.select("mmsi", "timestamp", "lat", "lon")
        .sort("timestamp")
        .join_asof(
            periods, left_on="timestamp", right_on="valid_from", by="mmsi", strategy="backward", check_sortedness=False
        )
        .filter(pl.col("vessel_id").is_not_null() & (pl.col("timestamp") <= pl.col("valid_to")))
        .select("vessel_id", "timestamp", "lat", "lon")
    )


def _sinks(ops: pl.DataFrame, origins: list[str], arrivals: pl.DataFrame | None = None) -> pl.DataFrame:
    """Where cargo leaves a ship, in two sets.

    ``measured`` (cargo whose loading the draught showed): a discharge, or an encounter
    in which the other vessel loaded. ``blind`` (cargo of unknown size): the next
    encounter, discharge, or call at a port outside the declared origins, including a
    reappearance off such a port after a deliberate silence (``arrivals``, from
    :func:`reappearances`).
    """
    partner_loaded = ops.filter(pl.col("transfer_key").is_not_null() & (pl.col("operation") == "load")).select(
        pl.col("partner_vessel_id").alias("vessel_id"), "transfer_key", pl.lit(True).alias("_partner_loaded")
    )
    marked = ops.join(partner_loaded, on=["vessel_id", "transfer_key"], how="left").with_columns(
        pl.col("_partner_loaded").fill_null(False)
    )
    measured = marked.filter((pl.col("operation") == "discharge") | pl.col("_partner_loaded"))
    blind = marked.filter(
        pl.col("transfer_key").is_not_null()
        | (pl.col("operation") == "discharge")
        | (pl.col("kind").is_in(["port_visit", "dark_port_call"]) & ~pl.col("country_iso2").is_in(origins))
    )
    if arrivals is not None and not arrivals.is_empty():
        blind = pl.concat(
            [
                blind,
                arrivals.filter(~pl.col("country_iso2").is_in(origins)).with_columns(
                    pl.lit(False).alias("_partner_loaded")
                ),
            ],
            how="diagonal_relaxed",
        )
    return (
        pl.concat(
            [
                measured.with_columns(pl.lit("measured").alias("sink_set")),
                blind.with_columns(pl.lit("blind").alias("sink_set")),
            ],
            how="diagonal_relaxed",
        )
        .drop("_partner_loaded")
        .sort("vessel_id", "start_time")
    )


def _with_load_factor(blind: pl.DataFrame, config: TradeConfig) -> pl.DataFrame:
    """Load-factor tonnes of loadings of unknown size (the weaker estimate)."""
    if blind.is_empty():
        return blind.with_columns(
            pl.lit(None, pl.Float64).alias("tonnes_low"),
            pl.lit(None, pl.Float64).alias("tonnes_mid"),
            pl.lit(None, pl.Float64).alias("tonnes_high"),
        )
    length = blind["length_m"].to_numpy().astype(np.float64)
    beam = blind["beam_m"].to_numpy().astype(np.float64)
    ship_type = blind["ship_type"].fill_null(np.nan).to_numpy().astype(np.float64)
    declared = blind["deepest_m"].fill_null(0.0).to_numpy().astype(np.float64)
    registry_draught = blind["design_draught_m"].fill_null(np.nan).to_numpy().astype(np.float64)
    ratio = config.length_to_draught
    # A static draught never updated says nothing of the load line: the hull's proportions do.
    design = [np.maximum(length / ratio[2 - i], declared) for i in range(3)]
    known = ~np.isnan(registry_draught)
    design = [np.where(known, registry_draught, d) for d in design]
    tens = np.floor_divide(np.nan_to_num(ship_type, nan=0.0), 10)
    shares = [
        np.where(
            tens == 7,
            config.lightship_share_cargo[i],
            np.where(tens == 8, config.lightship_share_tanker[i], config.lightship_share_other[i]),
        )
        for i in range(3)
    ]
    blocks = block_coefficients(ship_type)
    low, mid, high = load_factor_cargo(
        length,
        beam,
        (design[0], design[1], design[2]),
        blocks,
        (shares[0], shares[1], shares[2]),
        (config.load_factor[0], config.load_factor[1], config.load_factor[2]),
        blind["deadweight_t"].fill_null(np.nan).to_numpy().astype(np.float64),
    )
    return blind.with_columns(
        pl.Series("tonnes_low", low), pl.Series("tonnes_mid", mid), pl.Series("tonnes_high", high)
    )


def sea_stop_vessels(events: pl.DataFrame) -> pl.Series:
    """Vessels with a stop at sea (loitering, a deliberate silence, spoofing).

    The only ones whose fixes :func:`trade_tables` needs, to pair unseen transfers.
    """
    return (
        events.filter(
            pl.col("event_type").is_in(["loitering", "spoofing"])
            | ((pl.col("event_type") == "ais_gap") & (pl.col("subtype") == "likely_deliberate"))
        )["vessel_id"]
        .cast(pl.String)
        .drop_nulls()
        .unique()
    )


def trade_tables(
    events: pl.DataFrame,
    declarations: pl.DataFrame,
    identities: pl.DataFrame,
    draught: DraughtConfig,
    trade: TradeConfig,
    *,
    registry: pl.DataFrame | None = None,
    positions: pl.DataFrame | None = None,
    data_end: datetime | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The whole trade stage: stops, cargo operations, voyages and shipments.

    Args:
        events: The ``events`` table.
        declarations: The ``declarations`` table.
        identities: The ``identities`` table.
        draught: Draught configuration (noise rules, minimum change).
        trade: Trade configuration.
        registry: A ship registry (:func:`shadowfleet.trade.registry.load_registry`).
        positions: ``mmsi, timestamp, lat, lon`` of (at least) the
            :func:`sea_stop_vessels`, to pair transfers seen only in sparse fixes.
        data_end: The last time in the data (see :func:`build_shipments`).

    Returns:
        ``voyages``, ``shipments`` and the hulls used (:func:`vessel_hulls`).
    """
    hulls = vessel_hulls(identities, registry)
    operations = cargo_operations(
        cargo_stops(events),
        kept_draughts(declarations, draught),
        hulls,
        trade,
        draught.min_change_m,
        hidden_intervals(events),
        vessel_fixes(positions, identities) if positions is not None else None,
    )
    shipments = build_shipments(operations, trade, data_end, reappearances(events, trade))
    return build_voyages(operations), shipments, hulls
