"""Dark port calls: could a vessel have called at a sanctioned port while it was silent?

For every closed ``ais_gap`` at least ``min_gap_confidence`` likely to be a switch-off,
and every port of a sanctioned state in the gazetteer:

* **Reachable.** The vessel sails from where it went silent to the port and from the
  port to where it reappeared, along the sea lanes (:func:`shadowfleet.geo.routes.lane_distance_m`,
  after a great-circle pre-filter: the great circle never exceeds the route), at its
  plausible speed — ``speed_margin`` times the 90th percentile of its own speeds under
  way, or ``default_speed_kn`` when it never reported one — and still has
  ``min_stay_h`` in port. The port reachable with the shortest round trip is named; the
  others are listed. The vessel must have gone silent and reappeared at least
  ``min_approach_m`` from the port: one last heard in the port was seen calling (the
  port-visit detector reports that visit, its silence as evidence).
* **Cargo.** Loading or discharging changes the draught. The draught declared before
  the gap is compared with the one in force ``draught_after_h`` after it (crews update
  the draught hours after sailing, so the first report after the gap often still
  carries the old value), or ``next_call_grace_h`` after arriving at the next port
  visit if that comes first (at most half the visit: a change declared after the
  vessel has worked cargo in another port is that port's): a
  change of at least ``min_draught_change_m`` multiplies the odds of a call by
  ``draught_change_odds``; an unchanged draught (both declared) multiplies them by
  ``draught_unchanged_odds``; no declaration leaves them as they are.
* **Confidence** = P(switch-off) × P(call | switch-off, reachable, cargo evidence), the
  second from the prior odds ``prior_call`` and the cargo factor. The estimated arrival
  and departure (``start_time``, ``end_time``) assume the vessel sailed straight there
  and straight back at its plausible speed.

Subtype from the cargo evidence: ``loaded`` (deeper after), ``discharged`` (lighter
after), ``no_draught_change`` or ``draught_unknown``.
"""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import polars as pl

from shadowfleet.config import DarkPortCallConfig
from shadowfleet.errors import GeoError
from shadowfleet.events.common import details, make_events
from shadowfleet.geo.distance import KNOT_M_PER_S, haversine_m
from shadowfleet.geo.gazetteer import harbours
from shadowfleet.geo.land import open_water_near
from shadowfleet.geo.routes import lane_distance_m

_GAP_FIELDS = ("end_lat", "end_lon", "duration_h")


def _sanctioned_ports() -> pl.DataFrame:
    """Sanctioned ports, one point each, moved to open water nearby so routes can reach them."""
    table = harbours().filter(pl.col("sanctioned")).unique("name", keep="first", maintain_order=True)
    water = []
    for lat, lon in zip(table["lat"].to_list(), table["lon"].to_list(), strict=True):
        try:
            water.append(open_water_near(lat, lon, clearance_m=500.0, max_radius_m=30_000.0))
        except GeoError:
            water.append((np.nan, np.nan))
    return table.with_columns(
        pl.Series("water_lat", [w[0] for w in water]), pl.Series("water_lon", [w[1] for w in water])
    ).filter(pl.col("water_lat").is_not_nan())


def _route_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    try:
        return lane_distance_m(lat1, lon1, lat2, lon2)
    except GeoError:
        return float("nan")


def _speeds(positions: pl.DataFrame, vessels: pl.Series, config: DarkPortCallConfig) -> pl.DataFrame:
    """Each vessel's plausible top speed, knots."""
    return (
        positions.filter(pl.col("vessel_id").cast(pl.String).is_in(vessels.implode()))
        .filter(pl.col("sog_kn") > config.under_way_min_kn)
        .group_by(pl.col("vessel_id").cast(pl.String))
        .agg(pl.col("sog_kn").cast(pl.Float64).quantile(0.9).alias("_p90_kn"))
        .select("vessel_id", (pl.col("_p90_kn") * config.speed_margin).alias("speed_kn"))
    )


def _draughts(
    gaps: pl.DataFrame, declarations: pl.DataFrame, config: DarkPortCallConfig, port_visits: pl.DataFrame | None
) -> pl.DataFrame:
    """Declared draught before each gap and the one in force after it (see the module notes)."""
    draughts = declarations.filter(pl.col("field") == "draught_m").select(
        "vessel_id", "draught_m", "start_time", "end_time"
    )
    # When the draught after the gap is read: `draught_after_h` after it, or shortly
    # after arriving at the next port visit, whichever comes first.
    read_at = pl.col("end_time") + timedelta(hours=config.draught_after_h)
    if port_visits is not None and not port_visits.is_empty():
        visits = port_visits.select(
            pl.col("vessel_id").cast(gaps.schema["vessel_id"]),
            pl.col("start_time").alias("_visit_start"),
            (
                pl.col("start_time")
                + pl.duration(
                    seconds=pl.min_horizontal(
                        pl.lit(config.next_call_grace_h * 3600.0),
                        (pl.col("end_time") - pl.col("start_time")).dt.total_seconds() / 2.0,
                    ).clip(0.0)
                )
            ).alias("_visit_read"),
        ).sort("_visit_start")
        gaps = (
            gaps.sort("end_time")
            .join_asof(
                visits,
                left_on="end_time",
                right_on="_visit_start",
                by="vessel_id",
                strategy="forward",
                check_sortedness=False,
            )
            .with_columns(pl.min_horizontal(read_at, pl.col("_visit_read")).alias("_read_at"))
            .drop("_visit_start", "_visit_read")
        )
    else:
        gaps = gaps.with_columns(read_at.alias("_read_at"))
    before = (
        gaps.select("_gap", "vessel_id", "start_time")
        .join(draughts.rename({"start_time": "_from", "end_time": "_to"}), on="vessel_id", how="inner")
        .filter(pl.col("_from") <= pl.col("start_time"))
        .sort("_from")
        .group_by("_gap")
        .agg(pl.col("draught_m").last().alias("draught_before_m"))
    )
    after = (
        gaps.select("_gap", "vessel_id", "end_time", "_read_at")
        .join(draughts.rename({"start_time": "_from", "end_time": "_to"}), on="vessel_id", how="inner")
        .filter((pl.col("_to") >= pl.col("end_time")) & (pl.col("_from") <= pl.col("_read_at")))
        .sort("_from")
        .group_by("_gap")
        .agg(pl.col("draught_m").last().alias("draught_after_m"))
    )
    return gaps.join(before, on="_gap", how="left").join(after, on="_gap", how="left").drop("_read_at").sort("_gap")


def _hidden_intervals(events: pl.DataFrame, config: DarkPortCallConfig) -> pl.DataFrame:
    """Intervals in which the AIS did not show where a vessel was.

    Closed ``ais_gap`` events at least ``min_gap_confidence`` likely to be switch-offs
    (not ``in_port``), and ``speed_jump`` spoofing pieces whose true positions on both
    sides are known: a vessel broadcasting a false position is as hidden as a silent
    one (confidence 1: the positions were physically impossible).

    Returns:
        ``event_id, hidden_by, vessel_id, mmsi, start_time, end_time, lat, lon,
        end_lat, end_lon, duration_h, confidence``.
    """
    gaps = events.filter(
        (pl.col("event_type") == "ais_gap")
        & pl.col("end_time").is_not_null()
        & (pl.col("confidence") >= config.min_gap_confidence)
        & (pl.col("subtype") != "in_port")
    )
    decoded = [json.loads(text) for text in gaps["details"].to_list()]
    silences = gaps.with_columns(
        pl.lit("ais_gap").alias("hidden_by"),
        *(pl.Series(name, [d.get(name) for d in decoded], dtype=pl.Float64) for name in _GAP_FIELDS),
    )
    spoofs = events.filter((pl.col("event_type") == "spoofing") & (pl.col("subtype") == "speed_jump"))
    fields = {
        "true_before_lat": "lat",
        "true_before_lon": "lon",
        "true_after_lat": "end_lat",
        "true_after_lon": "end_lon",
    }
    decoded = [json.loads(text) if text else {} for text in spoofs["details"].to_list()]
    false_positions = (
        spoofs.drop("lat", "lon")
        .with_columns(
            pl.lit("spoofing").alias("hidden_by"),
            pl.lit(1.0).alias("confidence"),
            ((pl.col("end_time") - pl.col("start_time")).dt.total_seconds() / 3600.0).alias("duration_h"),
            *(pl.Series(name, [d.get(key) for d in decoded], dtype=pl.Float64) for key, name in fields.items()),
        )
        .drop_nulls(["lat", "lon", "end_lat", "end_lon"])
    )
    columns = [
        "event_id", "hidden_by", "vessel_id", "mmsi", "start_time", "end_time", "lat", "lon", "end_lat", "end_lon",
        "duration_h", "confidence",
    ]  # fmt: skip
    return pl.concat([silences.select(columns), false_positions.select(columns)]).filter(
        pl.col("vessel_id").is_not_null()
    )


def detect_dark_port_calls(
    gap_events: pl.DataFrame,
    positions: pl.DataFrame,
    declarations: pl.DataFrame,
    config: DarkPortCallConfig,
    port_visits: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``dark_port_call`` events (see the module notes).

    Args:
        gap_events: ``ais_gap`` and ``spoofing`` events (others are ignored): the
            intervals in which the vessel's position was not shown.
        positions: Segmented positions with ``vessel_id`` and ``sog_kn`` (for speeds).
        declarations: The ``declarations`` table (declared draughts over time).
        config: Dark port call configuration.
        port_visits: ``port_visit`` events: a draught change declared after the vessel
            reached its next port is that port's, not the silence's.
    """
    gaps = _hidden_intervals(gap_events, config)
    ports = _sanctioned_ports()
    if gaps.is_empty() or ports.is_empty():
        return make_events(pl.DataFrame())
    gaps = gaps.with_row_index("_gap")
    gaps = gaps.join(_speeds(positions, gaps["vessel_id"], config), on="vessel_id", how="left").with_columns(
        pl.col("speed_kn").fill_null(config.default_speed_kn).clip(config.min_speed_kn, config.max_speed_kn)
    )
    pairs = gaps.join(
        ports.select(pl.col("name").alias("_port"), pl.col("country_iso2").alias("_country"), "water_lat", "water_lon"),
        how="cross",
    )
    lat0, lon0 = pairs["lat"].to_numpy(), pairs["lon"].to_numpy()
    lat1, lon1 = pairs["end_lat"].to_numpy(), pairs["end_lon"].to_numpy()
    p_lat, p_lon = pairs["water_lat"].to_numpy(), pairs["water_lon"].to_numpy()
    speed_m_per_h = pairs["speed_kn"].to_numpy() * KNOT_M_PER_S * 3600.0
    available_h = pairs["duration_h"].to_numpy() - config.min_stay_h
    great_circle_h = (haversine_m(lat0, lon0, p_lat, p_lon) + haversine_m(p_lat, p_lon, lat1, lon1)) / speed_m_per_h
    # A vessel last heard in the port (or first heard again there) was seen calling:
    # the port-visit detector reports it; a dark call is one the silence hides.
    away = (haversine_m(lat0, lon0, p_lat, p_lon) >= config.min_approach_m) & (
        haversine_m(p_lat, p_lon, lat1, lon1) >= config.min_approach_m
    )
    candidate = np.flatnonzero((great_circle_h <= available_h) & away)
    out_m = np.full(pairs.height, np.nan)
    back_m = np.full(pairs.height, np.nan)
    for row in candidate:  # a few per gap, routed on the cached sea-lane graph
        out_m[row] = _route_m(lat0[row], lon0[row], p_lat[row], p_lon[row])
        back_m[row] = _route_m(p_lat[row], p_lon[row], lat1[row], lon1[row])
    pairs = pairs.with_columns(
        pl.Series("out_m", out_m),
        pl.Series("back_m", back_m),
        pl.Series("_available_h", available_h),
        pl.Series("_speed_m_per_h", speed_m_per_h),
    ).with_columns(
        ((pl.col("out_m") + pl.col("back_m")) / pl.col("_speed_m_per_h")).alias("sailing_h"),
    )
    reachable = pairs.filter(pl.col("sailing_h").is_not_nan() & (pl.col("sailing_h") <= pl.col("_available_h")))
    if reachable.is_empty():
        return make_events(pl.DataFrame())
    best = (
        reachable.sort("_gap", "sailing_h")
        .group_by("_gap", maintain_order=True)
        .agg(pl.all().first(), pl.col("_port").alias("reachable_ports"))
        .with_columns(pl.col("reachable_ports").list.join(", "))
    )
    best = _draughts(best, declarations, config, port_visits)
    change = pl.col("draught_after_m") - pl.col("draught_before_m")
    both = pl.col("draught_before_m").is_not_null() & pl.col("draught_after_m").is_not_null()
    changed = both & (change.abs() >= config.min_draught_change_m)
    odds_factor = (
        pl.when(changed).then(config.draught_change_odds).when(both).then(config.draught_unchanged_odds).otherwise(1.0)
    )
    prior_odds = config.prior_call / (1.0 - config.prior_call)
    call_odds = prior_odds * odds_factor
    subtype = (
        pl.when(changed & (change > 0))
        .then(pl.lit("loaded"))
        .when(changed)
        .then(pl.lit("discharged"))
        .when(both)
        .then(pl.lit("no_draught_change"))
        .otherwise(pl.lit("draught_unknown"))
    )
    out_h = pl.col("out_m") / pl.col("_speed_m_per_h")
    back_h = pl.col("back_m") / pl.col("_speed_m_per_h")
    events = best.select(
        pl.lit("dark_port_call").alias("event_type"),
        subtype.alias("subtype"),
        "vessel_id",
        "mmsi",
        (pl.col("start_time") + pl.duration(seconds=(out_h * 3600.0).round())).alias("start_time"),
        (pl.col("end_time") - pl.duration(seconds=(back_h * 3600.0).round())).alias("end_time"),
        pl.col("water_lat").alias("lat"),
        pl.col("water_lon").alias("lon"),
        pl.col("_port").alias("port_name"),
        (pl.col("confidence") * call_odds / (1.0 + call_odds)).round(4).alias("confidence"),
        details(
            gap_event_id=pl.col("event_id"),
            hidden_by=pl.col("hidden_by"),
            gap_confidence=pl.col("confidence"),
            country=pl.col("_country"),
            reachable_ports=pl.col("reachable_ports"),
            speed_kn=pl.col("speed_kn").round(1),
            sea_route_out_m=pl.col("out_m").round(),
            sea_route_back_m=pl.col("back_m").round(),
            gap_h=pl.col("duration_h"),
            time_in_port_h=(pl.col("duration_h") - pl.col("sailing_h")).round(1),
            draught_before_m=pl.col("draught_before_m"),
            draught_after_m=pl.col("draught_after_m"),
            cargo_odds_factor=odds_factor,
        ),
    )
    return make_events(events)
