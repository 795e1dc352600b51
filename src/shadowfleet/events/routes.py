"""Route deviation: voyages sailed far longer than the sea route, and than peers sail it.

A voyage (a *leg*) runs from the end of one port visit of a vessel to the start of its
next visit at another port. Its sailed distance is the sum of the great-circle steps
between its fixes (a silence counts as the straight line across it, so a dark detour
is undercounted, never invented); the shortest distance is the route along the sea
lanes between the two ports (:func:`shadowfleet.geo.routes.lane_distance_m`, one per
port pair). ``ratio = sailed / shortest``. A leg in which the
vessel stopped (slower than ``stop_max_kn``) for ``max_stop_h`` or more away from both
ports (or was silent that long without getting anywhere) is not judged: it is two
voyages with a call the gazetteer does not know (the
first measurement on the simulator's baseline flagged 23 such legs, all ordinary ships
calling at berths beyond the port-visit radius), or a wait at sea that the loitering
and encounter detectors report.

Circuitous routing is judged against what others do (``DESIGN.md`` §5): the reference
is the median ``ratio`` of the other voyages of the same class (AIS ship type tens
digit) on the same port pair, either direction, when there are at least
``min_peers``; else of the same class on any route; else of every voyage. The spread
is the scaled median absolute deviation of the reference's log-ratios, floored at
``min_spread`` (GPS jitter and weather routing alone make a few per cent). A voyage is
flagged when ``ratio >= min_ratio`` and its log-ratio lies ``min_z`` spreads or more
above the reference. ``confidence`` is the share of the reference voyages with a lower
ratio. Subtype: where the reference came from (``same_route``, ``same_class``,
``all_voyages``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from shadowfleet.config import RouteDeviationConfig
from shadowfleet.errors import GeoError
from shadowfleet.events.common import details, make_events
from shadowfleet.geo.distance import KNOT_M_PER_S, haversine_m
from shadowfleet.geo.routes import lane_distance_m

_MAD_TO_SIGMA = 1.4826


def _legs(port_visits: pl.DataFrame) -> pl.DataFrame:
    visits = (
        port_visits.filter((pl.col("event_type") == "port_visit") & pl.col("vessel_id").is_not_null())
        .select("vessel_id", "mmsi", "start_time", "end_time", "port_name", "lat", "lon")
        .sort("vessel_id", "start_time")
    )
    return (
        visits.with_columns(
            pl.col("start_time").shift(-1).over("vessel_id").alias("arrival"),
            pl.col("port_name").shift(-1).over("vessel_id").alias("destination"),
            pl.col("lat").shift(-1).over("vessel_id").alias("destination_lat"),
            pl.col("lon").shift(-1).over("vessel_id").alias("destination_lon"),
        )
        .filter(pl.col("arrival").is_not_null() & (pl.col("destination") != pl.col("port_name")))
        .select(
            "vessel_id",
            "mmsi",
            pl.col("end_time").alias("departure"),
            "arrival",
            pl.col("port_name").alias("origin"),
            "destination",
            pl.col("lat").alias("origin_lat"),
            pl.col("lon").alias("origin_lon"),
            "destination_lat",
            "destination_lon",
        )
        .with_row_index("_leg")
    )


def _sailed_m(legs: pl.DataFrame, positions: pl.DataFrame, config: RouteDeviationConfig) -> pl.DataFrame:
    """Distance sailed per leg, metres, and time stopped away from both ends, hours."""
    fixes = (
        positions.filter(pl.col("vessel_id").is_not_null())
        .select(pl.col("vessel_id").cast(pl.String), "timestamp", "lat", "lon")
        .sort("timestamp")
    )
    placed = (
        fixes.join_asof(
            legs.select(
                "vessel_id",
                "_leg",
                "departure",
                "arrival",
                "origin_lat",
                "origin_lon",
                "destination_lat",
                "destination_lon",
            ).sort("departure"),
            left_on="timestamp",
            right_on="departure",
            by="vessel_id",
            check_sortedness=False,
        )
        .filter(pl.col("_leg").is_not_null() & (pl.col("timestamp") <= pl.col("arrival")))
        .sort("_leg", "timestamp")
    )
    if placed.is_empty():
        return legs.with_columns(
            pl.lit(None, pl.Float64).alias("sailed_m"),
            pl.lit(0, pl.UInt32).alias("fixes"),
            pl.lit(0.0).alias("stopped_h"),
        )
    leg = placed["_leg"].to_numpy()
    lat, lon = placed["lat"].to_numpy(), placed["lon"].to_numpy()
    t = placed["timestamp"].dt.epoch("us").to_numpy() / 1e6
    step = np.zeros(placed.height)
    stopped_s = np.zeros(placed.height)
    if placed.height > 1:
        same = leg[1:] == leg[:-1]
        step[1:] = np.where(same, haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]), 0.0)
        seconds = t[1:] - t[:-1]
        away = (
            haversine_m(lat[1:], lon[1:], placed["origin_lat"].to_numpy()[1:], placed["origin_lon"].to_numpy()[1:])
            > config.stop_away_m
        ) & (
            haversine_m(
                lat[1:], lon[1:], placed["destination_lat"].to_numpy()[1:], placed["destination_lon"].to_numpy()[1:]
            )
            > config.stop_away_m
        )
        slow = step[1:] < config.stop_max_kn * KNOT_M_PER_S * np.maximum(seconds, 1.0)
        # A silence with little displacement counts too: the vessel stayed (or went
        # somewhere unheard and came back), so the leg is no single voyage either way.
        stopped_s[1:] = np.where(same & away & slow, seconds, 0.0)
    sums = (
        placed.select("_leg")
        .with_columns(pl.Series("_step", step), pl.Series("_stopped", stopped_s))
        .group_by("_leg")
        .agg(
            pl.col("_step").sum().alias("sailed_m"),
            pl.len().alias("fixes"),
            (pl.col("_stopped").sum() / 3600.0).alias("stopped_h"),
        )
    )
    return legs.join(sums, on="_leg", how="left")


def _shortest_m(legs: pl.DataFrame) -> pl.DataFrame:
    """Sea-route distance per port pair, metres (NaN when no route can be found)."""
    ports = pl.concat(
        [
            legs.select(
                pl.col("origin").alias("port"), pl.col("origin_lat").alias("lat"), pl.col("origin_lon").alias("lon")
            ),
            legs.select(
                pl.col("destination").alias("port"),
                pl.col("destination_lat").alias("lat"),
                pl.col("destination_lon").alias("lon"),
            ),
        ]
    ).unique("port", keep="first")
    where = {port: (lat, lon) for port, lat, lon in ports.iter_rows()}
    pairs = legs.select(
        pl.min_horizontal("origin", "destination").alias("_a"), pl.max_horizontal("origin", "destination").alias("_b")
    ).unique()
    lengths = []
    for a, b in pairs.iter_rows():  # one route per port pair along the lanes
        try:
            lengths.append(lane_distance_m(*where[a], *where[b]))
        except (KeyError, GeoError):
            lengths.append(float("nan"))
    table = pairs.with_columns(pl.Series("shortest_m", lengths, dtype=pl.Float64))
    return legs.with_columns(
        pl.min_horizontal("origin", "destination").alias("_a"), pl.max_horizontal("origin", "destination").alias("_b")
    ).join(table, on=["_a", "_b"], how="left")


def _reference(voyages: pl.DataFrame, keys: list[str], config: RouteDeviationConfig, suffix: str) -> pl.DataFrame:
    """Leave-one-out median and spread of log-ratios of the other voyages sharing ``keys``."""
    group = voyages.select(*keys, "_leg", "_log").join(
        voyages.select(*keys, pl.col("_leg").alias("_other"), pl.col("_log").alias("_other_log")), on=keys
    )
    stats = (
        group.filter(pl.col("_leg") != pl.col("_other"))
        .group_by("_leg")
        .agg(
            pl.len().alias(f"_n_{suffix}"),
            pl.col("_other_log").median().alias(f"_median_{suffix}"),
            ((pl.col("_other_log") - pl.col("_other_log").median()).abs().median() * _MAD_TO_SIGMA).alias(
                f"_spread_{suffix}"
            ),
            (pl.col("_other_log") < pl.col("_log").first()).mean().alias(f"_below_{suffix}"),
        )
    )
    return voyages.join(stats, on="_leg", how="left").with_columns(
        pl.when(pl.col(f"_n_{suffix}") >= config.min_peers)
        .then(pl.lit(True))
        .otherwise(pl.lit(False))
        .alias(f"_ok_{suffix}")
    )


def detect_route_deviations(
    port_visits: pl.DataFrame, positions: pl.DataFrame, identities: pl.DataFrame, config: RouteDeviationConfig
) -> pl.DataFrame:
    """``route_deviation`` events (see the module notes).

    Args:
        port_visits: Events; the ``port_visit`` rows are used.
        positions: Segmented positions with ``vessel_id``.
        identities: The ``identities`` table (ship type per vessel).
        config: Route deviation configuration.
    """
    legs = _legs(port_visits)
    if legs.is_empty():
        return make_events(pl.DataFrame())
    legs = _shortest_m(_sailed_m(legs, positions, config))
    ship_class = (
        identities.filter(pl.col("ship_type").is_not_null())
        .group_by("vessel_id")
        .agg(pl.col("ship_type").mode().first())
        .select("vessel_id", (pl.col("ship_type") // 10).cast(pl.Int64).alias("ship_class"))
    )
    voyages = (
        legs.join(ship_class, on="vessel_id", how="left")
        .with_columns(pl.col("ship_class").fill_null(-1))
        .filter(
            pl.col("shortest_m").is_not_nan()
            & (pl.col("shortest_m") >= config.min_route_m)
            & pl.col("sailed_m").is_not_null()
            & (pl.col("stopped_h") < config.max_stop_h)
        )
        .with_columns((pl.col("sailed_m") / pl.col("shortest_m")).alias("ratio"))
        .with_columns(pl.col("ratio").clip(lower_bound=1e-6).log().alias("_log"))
        .with_columns(pl.lit(0).alias("_everyone"))
    )
    if voyages.is_empty():
        return make_events(pl.DataFrame())
    voyages = _reference(voyages, ["_a", "_b", "ship_class"], config, "route")
    voyages = _reference(voyages, ["ship_class"], config, "class")
    voyages = _reference(voyages, ["_everyone"], config, "all")
    level = (
        pl.when(pl.col("_ok_route"))
        .then(pl.lit("route"))
        .when(pl.col("_ok_class"))
        .then(pl.lit("class"))
        .when(pl.col("_ok_all"))
        .then(pl.lit("all"))
    )

    def pick(name: str) -> pl.Expr:
        return (
            pl.when(pl.col("_ok_route"))
            .then(pl.col(f"_{name}_route"))
            .when(pl.col("_ok_class"))
            .then(pl.col(f"_{name}_class"))
            .when(pl.col("_ok_all"))
            .then(pl.col(f"_{name}_all"))
        )

    scored = voyages.with_columns(
        level.alias("_level"),
        pick("median").alias("_median"),
        pl.max_horizontal(pick("spread"), pl.lit(config.min_spread)).alias("_spread"),
        pick("below").alias("_below"),
        pick("n").alias("_n"),
    ).with_columns(((pl.col("_log") - pl.col("_median")) / pl.col("_spread")).alias("_z"))
    flagged = scored.filter(
        pl.col("_level").is_not_null() & (pl.col("ratio") >= config.min_ratio) & (pl.col("_z") >= config.min_z)
    )
    if flagged.is_empty():
        return make_events(pl.DataFrame())
    subtype = pl.col("_level").replace_strict({"route": "same_route", "class": "same_class", "all": "all_voyages"})
    events = flagged.select(
        pl.lit("route_deviation").alias("event_type"),
        subtype.alias("subtype"),
        "vessel_id",
        "mmsi",
        pl.col("departure").alias("start_time"),
        pl.col("arrival").alias("end_time"),
        pl.col("origin_lat").alias("lat"),
        pl.col("origin_lon").alias("lon"),
        pl.col("destination").alias("port_name"),
        pl.col("_below").round(4).alias("confidence"),
        details(
            origin=pl.col("origin"),
            destination=pl.col("destination"),
            sailed_m=pl.col("sailed_m").round(),
            shortest_m=pl.col("shortest_m").round(),
            ratio=pl.col("ratio").round(3),
            reference_ratio=pl.col("_median").exp().round(3),
            reference_voyages=pl.col("_n"),
            z=pl.col("_z").round(2),
            ship_class=pl.col("ship_class"),
            fixes=pl.col("fixes"),
        ),
    )
    return make_events(events)
