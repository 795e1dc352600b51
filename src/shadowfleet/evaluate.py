"""Score detections against a simulation's ground truth (``truth.json``).

Events are matched one to one per event type: a detected event may match a true one
when it concerns the same vessel (any MMSI the vessel used while the event lasted;
for encounters the same pair, in either order) and their periods overlap once each is
widened by the type's time tolerance. The matching maximises the number of matched
pairs (and, among such matchings, the total start-time error), so no detection is
counted twice and no true event is claimed twice.

Only what the data can show is expected: true events whose evidence was not received
(``observable`` false: the vessel was dark or out of coverage) are not counted as
misses, and for ``ais_gap`` only deliberate gaps are expected (a gap caused by
reception is not an event to find). A ``draught_change`` is expected when it is one by
the design's definition: the draught as AIS carries it (0.1 m steps) changed by at
least ``[draught] min_change_m`` (0.5 m); smaller cargo work (a few containers) is not.
Likewise only the detector's closed ``likely_deliberate`` gaps are scored: ``reception`` gaps are its own verdict of no
switch-off, ``in_port`` gaps are ordinary port practice (the simulator's crews switching
off alongside, which its truth marks as not deliberate), and open gaps have no end in
the data, as the truth's open gaps are unobservable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from shadowfleet.config import DraughtConfig
from shadowfleet.errors import InputError
from shadowfleet.schemas import EVENTS

TOLERANCE_H: Final[dict[str, float]] = {
    "ais_gap": 6.0,
    "encounter": 3.0,
    "loitering": 6.0,
    "port_visit": 6.0,
    "dark_port_call": 24.0,
    "identity_change": 24.0,
    "identity_anomaly": 24.0,
    "spoofing": 6.0,
    "draught_change": 24.0,
}
"""Time tolerance per event type, hours: the true and detected periods must overlap
once each is widened by this much. Identity and draught events are dated by the
reports that show them, which arrive every few minutes at best and hours apart at sea."""

EVENT_TYPES: Final = tuple(TOLERANCE_H)
UTC_TIME: Final = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Truth:
    """A simulation's ground truth, as frames.

    Attributes:
        events: One row per true event (``vessel``, ``other_vessel``, times, ...).
        identities: Identity periods: ``vessel``, ``mmsi``, ``valid_from``, ``valid_to``.
        vessels: ``vessel``, ``evader``, ``role``.
        totals: Tonnes moved per (origin country, destination country, commodity).
        raw: The parsed ``truth.json``.
    """

    events: pl.DataFrame
    identities: pl.DataFrame
    vessels: pl.DataFrame
    totals: pl.DataFrame
    raw: dict[str, Any] = field(repr=False)


def _times(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC").cast(UTC_TIME) for c in columns
    )


def truth_from_dict(raw: Mapping[str, Any]) -> Truth:
    """Frames from a parsed ``truth.json``."""
    event_schema = {
        "event_type": pl.String,
        "subtype": pl.String,
        "vessel": pl.String,
        "mmsi": pl.Int64,
        "other_vessel": pl.String,
        "other_mmsi": pl.Int64,
        "start_time": pl.String,
        "end_time": pl.String,
        "lat": pl.Float64,
        "lon": pl.Float64,
        "port_name": pl.String,
        "deliberate": pl.Boolean,
        "observable": pl.Boolean,
    }
    rows = [{k: e.get(k) for k in event_schema} for e in raw["events"]]
    for row, event in zip(rows, raw["events"], strict=True):
        details = event.get("details") or {}
        before, after = details.get("draught_before_m"), details.get("draught_after_m")
        # As the AIS carries it (0.1 m steps), for the design's definition of a change.
        row["draught_change_m"] = (
            round(round(after, 1) - round(before, 1), 1) if before is not None and after is not None else None
        )
    events = _times(
        pl.DataFrame(rows, schema={**event_schema, "draught_change_m": pl.Float64}), "start_time", "end_time"
    )
    identities = _times(
        pl.DataFrame(
            [
                {"vessel": v["vessel"], "mmsi": i["mmsi"], "valid_from": i["valid_from"], "valid_to": i["valid_to"]}
                for v in raw["vessels"]
                for i in v["identities"]
            ],
            schema={"vessel": pl.String, "mmsi": pl.Int64, "valid_from": pl.String, "valid_to": pl.String},
        ),
        "valid_from",
        "valid_to",
    )
    vessels = pl.DataFrame(
        [{"vessel": v["vessel"], "evader": v["evader"], "role": v["role"]} for v in raw["vessels"]],
        schema={"vessel": pl.String, "evader": pl.Boolean, "role": pl.String},
    )
    totals = pl.DataFrame(
        raw.get("totals", []),
        schema={
            "origin_country": pl.String,
            "destination_country": pl.String,
            "commodity": pl.String,
            "tonnes": pl.Float64,
        },
    )
    return Truth(events, identities, vessels, totals, dict(raw))


def load_truth(path: str | Path) -> Truth:
    """Read ``truth.json``.

    Raises:
        InputError: When the file is missing or not a simulation truth.
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return truth_from_dict(raw)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a readable truth.json: {exc}", path) from exc


def expected_events(truth: Truth) -> pl.DataFrame:
    """The true events a detector can be expected to find (see the module notes)."""
    events = truth.events.filter(pl.col("observable"))
    return events.filter(
        ((pl.col("event_type") != "ais_gap") | pl.col("deliberate"))
        & (
            (pl.col("event_type") != "draught_change")
            | (pl.col("draught_change_m").abs() >= DraughtConfig().min_change_m - 1e-9)
        )
    )


def _detected_vessels(detected: pl.DataFrame, identities: pl.DataFrame, column: str) -> pl.DataFrame:
    """Attach the true vessel(s) behind each detection's MMSI at the time of the event."""
    return (
        detected.join(identities, left_on=column, right_on="mmsi", how="inner")
        .filter((pl.col("start_time") <= pl.col("valid_to")) & (pl.col("end_time") >= pl.col("valid_from")))
        .drop("valid_from", "valid_to")
    )


@dataclass(frozen=True)
class EventScores:
    """Scores per event type.

    Attributes:
        table: One row per type: ``event_type``, ``expected``, ``detected``,
            ``matched``, ``precision``, ``recall``, ``f1``, ``median_start_error_h``.
        matches: Matched pairs: ``event_type``, ``truth_row``, ``detected_row``.
    """

    table: pl.DataFrame
    matches: pl.DataFrame


def score_events(
    detected: pl.DataFrame,
    truth: Truth,
    tolerance_h: Mapping[str, float] = TOLERANCE_H,
    event_types: tuple[str, ...] = EVENT_TYPES,
) -> EventScores:
    """Precision, recall and F1 per event type, with one-to-one matching.

    Args:
        detected: Detected events (the ``events`` table; at least ``event_type``,
            ``subtype``, ``mmsi``, ``other_mmsi``, ``start_time``, ``end_time``).
        truth: The ground truth.
        tolerance_h: Time tolerance per type, hours.
        event_types: Types to score.
    """
    expected = expected_events(truth).with_row_index("truth_row")
    detected = detected.filter(
        (pl.col("event_type") != "ais_gap")
        | ((pl.col("subtype") == "likely_deliberate") & pl.col("end_time").is_not_null())
    ).with_row_index("detected_row")
    identities = truth.identities
    rows = []
    match_parts = []
    for event_type in event_types:
        want = expected.filter(pl.col("event_type") == event_type)
        got = detected.filter(pl.col("event_type") == event_type)
        tolerance = pl.duration(seconds=round(tolerance_h.get(event_type, 6.0) * 3600))
        got_vessels = _detected_vessels(got, identities, "mmsi")
        candidates = got_vessels.join(want, on="vessel", how="inner", suffix="_truth").filter(
            (pl.col("start_time") <= pl.col("end_time_truth") + tolerance)
            & (pl.col("end_time") >= pl.col("start_time_truth") - tolerance)
        )
        if event_type == "encounter":
            others = _detected_vessels(
                got.select("detected_row", "other_mmsi", "start_time", "end_time"), identities, "other_mmsi"
            ).select("detected_row", pl.col("vessel").alias("other"))
            candidates = candidates.join(others, on="detected_row", how="inner").filter(
                pl.col("other") == pl.col("other_vessel")
            )
            # The pair may be reported either way round.
            swapped = (
                got_vessels.join(
                    want.rename({"vessel": "swap_vessel", "other_vessel": "vessel"}),
                    on="vessel",
                    how="inner",
                    suffix="_truth",
                )
                .filter(
                    (pl.col("start_time") <= pl.col("end_time_truth") + tolerance)
                    & (pl.col("end_time") >= pl.col("start_time_truth") - tolerance)
                )
                .join(others, on="detected_row", how="inner")
                .filter(pl.col("other") == pl.col("swap_vessel"))
            )
            candidates = pl.concat(
                [
                    candidates.select("detected_row", "truth_row", "start_time", "start_time_truth"),
                    swapped.select("detected_row", "truth_row", "start_time", "start_time_truth"),
                ]
            )
        pairs = candidates.select("detected_row", "truth_row", "start_time", "start_time_truth").unique(
            ["detected_row", "truth_row"]
        )
        matched = _match(pairs, want, got)
        n_matched = matched.height
        precision = n_matched / got.height if got.height else None
        recall = n_matched / want.height if want.height else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision and recall
            else (0.0 if precision is not None and recall is not None else None)
        )
        errors = (matched["start_time"] - matched["start_time_truth"]).dt.total_seconds().abs() / 3600
        rows.append(
            {
                "event_type": event_type,
                "expected": want.height,
                "detected": got.height,
                "matched": n_matched,
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "median_start_error_h": float(errors.median()) if n_matched else None,  # type: ignore[arg-type]
            }
        )
        match_parts.append(matched.select(pl.lit(event_type).alias("event_type"), "truth_row", "detected_row"))
    table = pl.DataFrame(
        rows,
        schema={
            "event_type": pl.String,
            "expected": pl.Int64,
            "detected": pl.Int64,
            "matched": pl.Int64,
            "precision": pl.Float64,
            "recall": pl.Float64,
            "f1": pl.Float64,
            "median_start_error_h": pl.Float64,
        },
    )
    matches = pl.concat(match_parts) if match_parts else pl.DataFrame()
    return EventScores(table, matches)


def _match(pairs: pl.DataFrame, want: pl.DataFrame, got: pl.DataFrame) -> pl.DataFrame:
    """The largest one-to-one set of candidate pairs; among those, the closest in time.

    Candidate pairs form a bipartite graph; each connected component is solved on its
    own with the Hungarian algorithm, non-candidate pairs costing more than any set of
    real ones, so the number of matches is maximal and their total time error minimal.
    """
    if pairs.is_empty():
        return pairs
    pairs = pairs.with_columns(
        (pl.col("start_time") - pl.col("start_time_truth")).dt.total_seconds().abs().cast(pl.Float64).alias("_cost")
    )
    d_codes, d = np.unique(pairs["detected_row"].to_numpy(), return_inverse=True)
    t_codes, t = np.unique(pairs["truth_row"].to_numpy(), return_inverse=True)
    n_d = d_codes.size
    graph = csr_matrix((np.ones(d.size), (d, n_d + t)), shape=(n_d + t_codes.size,) * 2)
    _, component = connected_components(graph, directed=False)
    edge_component = component[d]
    sizes = np.bincount(edge_component)
    single = sizes[edge_component] == 1
    keep = np.zeros(d.size, dtype=bool)
    keep[single] = True
    cost = pairs["_cost"].to_numpy()
    for c in np.unique(edge_component[~single]):
        edges = np.flatnonzero(edge_component == c)
        rows, row_index = np.unique(d[edges], return_inverse=True)
        cols, col_index = np.unique(t[edges], return_inverse=True)
        matrix = np.full((rows.size, cols.size), NOT_A_PAIR)
        matrix[row_index, col_index] = cost[edges]
        chosen_rows, chosen_cols = linear_sum_assignment(matrix)
        real = matrix[chosen_rows, chosen_cols] < NOT_A_PAIR
        lookup = {(r, k): e for r, k, e in zip(row_index, col_index, edges, strict=True)}
        for r, k in zip(chosen_rows[real], chosen_cols[real], strict=True):
            keep[lookup[(r, k)]] = True
    return pairs.filter(pl.Series(keep)).drop("_cost")


NOT_A_PAIR: Final = 1e12
"""Cost of assigning two events that are not a candidate pair (more than any real set)."""


@dataclass(frozen=True)
class RiskScores:
    """How well a risk score ranks the evaders first.

    Attributes:
        auc: Probability that a random evader outscores a random ordinary vessel (ties count half).
        precision_at_k: Share of evaders among the k highest scores, k = number of evaders.
        evaders: Evaders in the truth.
        vessels: Vessels in the truth.
    """

    auc: float | None
    precision_at_k: float | None
    evaders: int
    vessels: int


def score_risk(vessels: pl.DataFrame, truth: Truth) -> RiskScores:
    """Score the ``vessels`` table's ``risk_score`` against who evades.

    A true vessel takes the highest score of any detected vessel that used one of its
    MMSIs; a vessel never scored counts as 0.
    """
    scored = (
        vessels.select("mmsi", "risk_score")
        .join(truth.identities.select("vessel", "mmsi").unique(), on="mmsi", how="inner")
        .group_by("vessel")
        .agg(pl.col("risk_score").max())
    )
    table = truth.vessels.join(scored, on="vessel", how="left").with_columns(pl.col("risk_score").fill_null(0.0))
    labels = table["evader"].to_numpy()
    scores = table["risk_score"].to_numpy().astype(np.float64)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    auc = None
    if n_pos and n_neg:
        ranks = pl.Series(scores).rank("average").to_numpy()
        auc = float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    precision_at_k = None
    if n_pos:
        top = np.argsort(-scores, kind="stable")[:n_pos]
        precision_at_k = float(labels[top].mean())
    return RiskScores(auc, precision_at_k, n_pos, labels.size)


@dataclass(frozen=True)
class TradeScore:
    """An estimate of tonnes moved against the truth.

    Attributes:
        true_tonnes: Tonnes of the flow the data can show (:func:`expected_shipments`),
            or the simulator's totals for a truth without a voyage list.
        estimated_tonnes: The estimate (mid).
        relative_error: (estimate − truth) / truth.
        within_band: Whether the truth lies within the estimate's low–high band.
        moved_tonnes: Every tonne of the flow the simulator discharged in the period,
            including cargo loaded before the data begin or while the loader had been
            silent since before them.
    """

    true_tonnes: float
    estimated_tonnes: float | None
    relative_error: float | None
    within_band: bool | None
    moved_tonnes: float | None = None


def expected_shipments(truth: Truth, origin_country: str, destination_country: str, commodity: str) -> pl.DataFrame:
    """The true parcels of a flow the data can show.

    A parcel counts when it was discharged in the period, loaded in it, and its loader
    was not silent (or broadcasting a false position) from before the data began until
    the loading: the loading of a vessel never heard before it is not in the data, as
    dark port calls need a closed silence (module notes). The simulator's ``totals``
    count every discharge in the period; :class:`TradeScore` reports both.

    Returns:
        ``vessel, loaded_by, tonnes, load_time, discharge_time`` per parcel.
    """
    schema = {
        "vessel": pl.String,
        "loaded_by": pl.String,
        "tonnes": pl.Float64,
        "load_time": pl.String,
        "discharge_time": pl.String,
    }
    start = str(truth.raw.get("start", ""))
    hidden = truth.events.filter(
        pl.col("event_type").is_in(["ais_gap", "spoofing"])
        & (pl.col("start_time") < pl.lit(start).str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC"))
    ).select("vessel", pl.col("end_time").alias("_hidden_until"))
    rows = [
        {k: v.get(k) for k in schema}
        for v in truth.raw.get("voyages", [])
        if v.get("load_country") == origin_country
        and v.get("discharge_country") == destination_country
        and v.get("commodity") == commodity
        and v.get("discharged_in_period")
        and str(v.get("load_time")) >= start
    ]
    parcels = _times(pl.DataFrame(rows, schema=schema), "load_time", "discharge_time")
    unseen = (
        parcels.with_row_index("_parcel")
        .join(hidden, left_on="loaded_by", right_on="vessel")
        .filter(pl.col("_hidden_until").is_null() | (pl.col("_hidden_until") >= pl.col("load_time")))
        .select("_parcel")
        .unique()
    )
    return parcels.with_row_index("_parcel").join(unseen, on="_parcel", how="anti").drop("_parcel")


def score_trade(
    truth: Truth,
    origin_country: str,
    destination_country: str,
    commodity: str,
    estimate_mid_t: float | None,
    estimate_low_t: float | None = None,
    estimate_high_t: float | None = None,
) -> TradeScore:
    """Compare an estimate of a trade flow with the tonnes the simulation moved."""
    flow = truth.totals.filter(
        (pl.col("origin_country") == origin_country)
        & (pl.col("destination_country") == destination_country)
        & (pl.col("commodity") == commodity)
    )
    moved = float(flow["tonnes"].sum())
    if "voyages" in truth.raw:
        true_tonnes = float(expected_shipments(truth, origin_country, destination_country, commodity)["tonnes"].sum())
    else:
        true_tonnes = moved
    if estimate_mid_t is None:
        return TradeScore(true_tonnes, None, None, None, moved)
    error = (estimate_mid_t - true_tonnes) / true_tonnes if true_tonnes else None
    band = None
    if estimate_low_t is not None and estimate_high_t is not None:
        band = estimate_low_t <= true_tonnes <= estimate_high_t
    return TradeScore(true_tonnes, estimate_mid_t, error, band, moved)


def score_shipments(
    shipments: pl.DataFrame,
    vessel_mmsis: pl.DataFrame,
    truth: Truth,
    origin_country: str,
    destination_country: str,
    commodity: str,
    tolerance_h: float = 72.0,
) -> pl.DataFrame:
    """Per-voyage errors: each expected parcel and the estimated shipment matched to it.

    A shipment matches a parcel when the vessel that loaded it broadcast one of the
    parcel loader's MMSIs and the loadings ended within ``tolerance_h`` of each other
    (a dark call's times are inferred); one to one, the closest in tonnes first (the
    simulator splits parcels, leaving remainders of a few tonnes).

    Args:
        shipments: The ``shipments`` table (the flow's rows are picked here).
        vessel_mmsis: ``vessel_id, mmsi`` of the store's vessels.
        truth: The ground truth.
        origin_country: ISO 3166-1 alpha-2.
        destination_country: ISO 3166-1 alpha-2.
        commodity: The flow's commodity.
        tolerance_h: Loading time tolerance, hours.

    Returns:
        One row per expected parcel (``vessel`` (loader), ``true_t``, ``estimated_t``,
        ``method``, ``error``; the estimate null when missed) and one per unmatched
        shipment of the flow (``vessel`` null).
    """
    expected = expected_shipments(truth, origin_country, destination_country, commodity).with_row_index("_parcel")
    estimated = shipments.filter(
        (pl.col("origin_country") == origin_country)
        & (pl.col("destination_country") == destination_country)
        & (pl.col("destination_kind") != "arrived")  # not seen discharged: not in the estimate
    ).with_row_index("_shipment")
    loaders = truth.identities.select(pl.col("vessel").alias("loaded_by"), "mmsi").unique()
    pairs = (
        expected.join(loaders, on="loaded_by")
        .join(vessel_mmsis.select(pl.col("vessel_id").alias("_loader"), "mmsi").unique(), on="mmsi")
        .join(
            estimated.select("_shipment", pl.col("loaded_by").alias("_loader"), "load_end", "tonnes_mid"), on="_loader"
        )
        .with_columns(((pl.col("load_end") - pl.col("load_time")).dt.total_seconds().abs() / 3600).alias("_dt"))
        .filter(pl.col("_dt") <= tolerance_h)
        .unique(["_parcel", "_shipment"])
        .with_columns((pl.col("tonnes_mid") / pl.col("tonnes")).log().abs().alias("_size"))
        .sort("_size", "_dt")
    )
    taken_parcels: set[int] = set()
    taken_shipments: set[int] = set()
    matches: list[tuple[int, int]] = []
    for parcel, shipment in pairs.select("_parcel", "_shipment").iter_rows():  # candidate pairs: a few dozen
        if parcel not in taken_parcels and shipment not in taken_shipments:
            taken_parcels.add(parcel)
            taken_shipments.add(shipment)
            matches.append((parcel, shipment))
    matched = pl.DataFrame(matches, schema={"_parcel": pl.UInt32, "_shipment": pl.UInt32}, orient="row")
    rows = (
        expected.join(matched, on="_parcel", how="left")
        .join(estimated.select("_shipment", "tonnes_mid", "method"), on="_shipment", how="left")
        .select(
            pl.col("loaded_by").alias("vessel"),
            "load_time",
            "discharge_time",
            pl.col("tonnes").alias("true_t"),
            pl.col("tonnes_mid").alias("estimated_t"),
            "method",
        )
    )
    extra = estimated.join(matched, on="_shipment", how="anti").select(
        pl.lit(None, pl.String).alias("vessel"),
        pl.col("load_end").alias("load_time"),
        pl.col("discharge_end").alias("discharge_time"),
        pl.lit(None, pl.Float64).alias("true_t"),
        pl.col("tonnes_mid").alias("estimated_t"),
        "method",
    )
    return pl.concat([rows, extra]).with_columns(
        ((pl.col("estimated_t") - pl.col("true_t")) / pl.col("true_t")).alias("error")
    )


def empty_events() -> pl.DataFrame:
    """An empty events table (what a run without detectors produces)."""
    return pl.DataFrame(schema=EVENTS)
