"""Explainable vessel risk: points per indicator, each traceable to its evidence.

``risk_score`` (0-100) is the capped sum of the points of the indicators below, every
one with configurable points and caps (``[risk]``); ``risk_reasons`` lists each
indicator that scored, with its points and the event ids (or list entry ids) behind
it. No learned model: an analyst can recompute every point by hand. The indicators
follow the US deceptive-shipping-practices advisory of May 2020 and the consolidated
table in ``reference/sanctions-indicators.md`` §1.7:

* ``sanctions_list`` — matched a designated vessel by IMO, MMSI or call sign
  (points × match score); ``sanctions_name`` — a name-only match (a lead, few points);
* ``deliberate_gap`` — likely deliberate AIS gaps, points × confidence each;
* ``dark_port_call`` — possible calls at sanctioned ports while dark, × confidence;
* ``sanctioned_port_visit`` — observed visits to ports of sanctioned states;
* ``ship_to_ship`` — encounters with transfer evidence; ``encounter`` — other meetings
  at sea;
* ``partner_listed`` / ``partner_high_risk`` — met a listed vessel, or one whose own
  score (without this hop) is in the high band: one hop through encounters;
* ``identity_change`` and ``identity_anomaly`` (false flags, invalid or duplicated
  IMO numbers, unallocated MIDs); ``flag_hopping`` — two or more flag changes;
* ``spoofing`` — impossible jumps, positions on land, circles, shared MMSIs;
* ``high_risk_area`` — entries into, and loitering inside, high-risk areas;
* ``route_deviation`` — voyages far longer than peers sail them.

Bands: ``low`` below ``medium_from``, ``medium``, ``high`` from ``high_from``,
``severe`` from ``severe_from``.
"""

from __future__ import annotations

import json
from typing import Final

import numpy as np
import polars as pl
import shapely

from shadowfleet.config import RiskConfig

REASONS: Final[dict[str, pl.DataType]] = {
    "vessel_id": pl.String(),
    "indicator": pl.String(),
    "points": pl.Float64(),
    "event_ids": pl.List(pl.String()),
}


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(dtype) for name, dtype in REASONS.items())


def _per_event(
    events: pl.DataFrame, indicator: str, condition: pl.Expr, points: pl.Expr | float, cap: float
) -> pl.DataFrame:
    """Points per vessel from the events meeting ``condition``, capped."""
    chosen = events.filter(condition)
    if chosen.is_empty():
        return pl.DataFrame(schema=REASONS)
    points_expr = points if isinstance(points, pl.Expr) else pl.lit(points)
    return (
        chosen.with_columns(points_expr.cast(pl.Float64).alias("_points"))
        .group_by("vessel_id")
        .agg(pl.col("_points").sum().clip(upper_bound=cap).alias("points"), pl.col("event_id").alias("event_ids"))
        .select("vessel_id", pl.lit(indicator).alias("indicator"), "points", "event_ids")
    )


def _in_areas(events: pl.DataFrame, areas: list[tuple[str, shapely.Geometry]]) -> pl.Series:
    """Whether each event's position lies in one of the areas."""
    inside = np.zeros(events.height, dtype=bool)
    lat = events["lat"].fill_null(np.nan).to_numpy()
    lon = events["lon"].fill_null(np.nan).to_numpy()
    for _, geometry in areas:
        inside |= shapely.contains_xy(geometry, lon, lat)
    return pl.Series("_in_area", inside)


def _event_reasons(events: pl.DataFrame, config: RiskConfig, areas: list[tuple[str, shapely.Geometry]]) -> pl.DataFrame:
    kind, sub = pl.col("event_type"), pl.col("subtype")
    confidence = pl.col("confidence").fill_null(0.5)
    high_risk = list(config.high_risk_areas)
    risky_areas = [(name, geometry) for name, geometry in areas if name in high_risk]
    events = events.with_columns(_in_areas(events, risky_areas))
    # A meeting is both ships' evidence: the events table names one of them first.
    meetings = events.filter(kind == "encounter")
    events = pl.concat(
        [
            events,
            meetings.filter(pl.col("other_vessel_id").is_not_null()).with_columns(
                pl.col("other_vessel_id").alias("vessel_id"), pl.col("vessel_id").alias("other_vessel_id")
            ),
        ]
    )
    parts = [
        _per_event(
            events,
            "deliberate_gap",
            (kind == "ais_gap") & (sub == "likely_deliberate"),
            config.gap_points * confidence,
            config.gap_cap,
        ),
        _per_event(
            events,
            "dark_port_call",
            kind == "dark_port_call",
            config.dark_port_call_points * confidence,
            config.dark_port_call_cap,
        ),
        _per_event(
            events,
            "sanctioned_port_visit",
            (kind == "port_visit") & (sub == "sanctioned"),
            config.sanctioned_port_visit_points,
            config.sanctioned_port_visit_cap,
        ),
        _per_event(events, "ship_to_ship", (kind == "encounter") & (sub == "sts"), config.sts_points, config.sts_cap),
        _per_event(
            events, "encounter", (kind == "encounter") & (sub != "sts"), config.encounter_points, config.encounter_cap
        ),
        _per_event(
            events,
            "identity_change",
            kind == "identity_change",
            config.identity_change_points,
            config.identity_change_cap,
        ),
        _per_event(
            events,
            "identity_anomaly",
            kind == "identity_anomaly",
            config.identity_anomaly_points,
            config.identity_anomaly_cap,
        ),
        _per_event(events, "spoofing", kind == "spoofing", config.spoofing_points, config.spoofing_cap),
        _per_event(
            events,
            "high_risk_area",
            ((kind == "area_entry") & sub.is_in(high_risk)) | ((kind == "loitering") & pl.col("_in_area")),
            config.high_risk_area_points,
            config.high_risk_area_cap,
        ),
        _per_event(
            events,
            "route_deviation",
            kind == "route_deviation",
            config.route_deviation_points,
            config.route_deviation_cap,
        ),
    ]
    flag_changes = events.filter((kind == "identity_change") & (sub == "flag"))
    hopping = (
        flag_changes.group_by("vessel_id")
        .agg(pl.col("event_id").alias("event_ids"), pl.len().alias("_n"))
        .filter(pl.col("_n") >= config.flag_hopping_min_changes)
        .select(
            "vessel_id",
            pl.lit("flag_hopping").alias("indicator"),
            pl.lit(config.flag_hopping_points).alias("points"),
            "event_ids",
        )
    )
    parts.append(hopping)
    filled = [_conform(p) for p in parts if p.height]
    return pl.concat(filled) if filled else pl.DataFrame(schema=REASONS)


def _list_reasons(matches: pl.DataFrame, config: RiskConfig) -> pl.DataFrame:
    """Points for list matches: the strongest identifier match, or a name-only lead."""
    if matches.is_empty():
        return pl.DataFrame(schema=REASONS)
    identifier = matches.filter(pl.col("matched_on") != "name")
    name_only = matches.filter(~pl.col("vessel_id").is_in(identifier["vessel_id"].unique().implode()))
    parts = []
    if identifier.height:
        parts.append(
            identifier.group_by("vessel_id").agg(
                pl.lit("sanctions_list").alias("indicator"),
                (pl.col("score").max() * config.list_match_points).alias("points"),
                pl.col("entry_ids")
                .list.explode(keep_nulls=False, empty_as_null=False)
                .unique()
                .sort()
                .alias("event_ids"),
            )
        )
    if name_only.height:
        parts.append(
            name_only.group_by("vessel_id").agg(
                pl.lit("sanctions_name").alias("indicator"),
                pl.lit(config.name_match_points).alias("points"),
                pl.col("entry_ids")
                .list.explode(keep_nulls=False, empty_as_null=False)
                .unique()
                .sort()
                .alias("event_ids"),
            )
        )
    return pl.concat([_conform(p) for p in parts])


def _partner_reasons(events: pl.DataFrame, base: pl.DataFrame, listed: pl.Series, config: RiskConfig) -> pl.DataFrame:
    """One hop through encounters: met a listed vessel, or one already high-risk."""
    meetings = events.filter((pl.col("event_type") == "encounter") & pl.col("other_vessel_id").is_not_null())
    if meetings.is_empty():
        return pl.DataFrame(schema=REASONS)
    both_ways = pl.concat(
        [
            meetings.select("vessel_id", pl.col("other_vessel_id").alias("partner"), "event_id"),
            meetings.select(
                pl.col("other_vessel_id").alias("vessel_id"), pl.col("vessel_id").alias("partner"), "event_id"
            ),
        ]
    )
    scored = both_ways.join(
        base.select(pl.col("vessel_id").alias("partner"), pl.col("score").alias("_partner_score")),
        on="partner",
        how="left",
    )
    listed_hits = _per_event(
        scored.with_columns(pl.lit("").alias("event_type"), pl.lit("").alias("subtype")),
        "partner_listed",
        pl.col("partner").is_in(listed.implode()),
        config.partner_listed_points,
        config.partner_listed_points,
    )
    risky_hits = _per_event(
        scored.with_columns(pl.lit("").alias("event_type"), pl.lit("").alias("subtype")),
        "partner_high_risk",
        ~pl.col("partner").is_in(listed.implode()) & (pl.col("_partner_score").fill_null(0.0) >= config.high_from),
        config.partner_high_risk_points,
        config.partner_high_risk_points,
    )
    parts = [p for p in (listed_hits, risky_hits) if p.height]
    return pl.concat(parts) if parts else pl.DataFrame(schema=REASONS)


def _totals(reasons: pl.DataFrame) -> pl.DataFrame:
    return reasons.group_by("vessel_id").agg(pl.col("points").sum().clip(upper_bound=100.0).alias("score"))


def band(score: pl.Expr, config: RiskConfig) -> pl.Expr:
    """The band of a score: ``low``, ``medium``, ``high`` or ``severe``."""
    return (
        pl.when(score >= config.severe_from)
        .then(pl.lit("severe"))
        .when(score >= config.high_from)
        .then(pl.lit("high"))
        .when(score >= config.medium_from)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )


def score_vessels(
    vessels: pl.DataFrame,
    events: pl.DataFrame,
    matches: pl.DataFrame,
    config: RiskConfig,
    areas: list[tuple[str, shapely.Geometry]] | None = None,
) -> pl.DataFrame:
    """The ``vessels`` table with ``risk_score`` and ``risk_reasons`` filled (see the module notes).

    Args:
        vessels: The ``vessels`` table.
        events: The ``events`` table.
        matches: The ``sanctions_matches`` table (may be empty).
        config: Risk configuration.
        areas: Areas of interest (named polygons); those named in
            ``config.high_risk_areas`` count for loitering inside them.
    """
    events = events.with_columns(pl.col("vessel_id").cast(pl.String), pl.col("other_vessel_id").cast(pl.String))
    base_reasons = pl.concat([_event_reasons(events, config, areas or []), _list_reasons(matches, config)])
    base = _totals(base_reasons)
    listed = matches.filter(pl.col("matched_on") != "name")["vessel_id"].unique()
    reasons = pl.concat([base_reasons, _partner_reasons(events, base, listed, config)])
    totals = _totals(reasons)
    explained = (
        reasons.sort("points", descending=True)
        .with_columns(pl.col("points").round(1))
        .group_by("vessel_id", maintain_order=True)
        .agg(pl.struct("indicator", "points", "event_ids").alias("_reasons"))
        .with_columns(
            pl.col("_reasons")
            .map_elements(lambda rows: json.dumps(list(rows)), return_dtype=pl.String)
            .alias("risk_reasons")
        )
        .drop("_reasons")
    )
    return (
        vessels.drop("risk_score", "risk_reasons")
        .join(totals.rename({"score": "risk_score"}), on="vessel_id", how="left")
        .join(explained, on="vessel_id", how="left")
        .with_columns(pl.col("risk_score").fill_null(0.0).round(1), pl.col("risk_reasons").fill_null("[]"))
        .select(vessels.columns)
    )
