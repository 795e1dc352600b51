"""Port visits: GFW's hysteresis state machine over continuous time (``DESIGN.md`` §5).

In port within ``entry_distance_m`` (3 km) of a port or anchorage point of the
gazetteer, back at sea beyond ``exit_distance_m`` (4 km); stopped at or below
``stop_begin_kn`` (0.2 kn), moving again at or above ``stop_end_kn`` (0.5 kn); in
between, each state holds. A silence of at least ``port_gap_h`` (4 h) while in port is
a port gap. Confidence follows GFW (``reference/detection-definitions.md`` §4.3):
4 = entry and exit with a stop or gap, 3 = entry or exit with a stop or gap, 2 = a
stop or gap only, 1 = entry/exit only (mostly transits past an anchorage), mapped to
0.25–1.0; visits of confidence ≥ ``min_confidence_level`` are reported. The visit
is placed at the harbour point of its first stop (else its first fix in port) and
named after it; ports of sanctioned states make the subtype ``sanctioned``.

The state machine runs per vessel (across its tracks and MMSIs), compiled with numba.
Anchorages discovered from the data (GFW's recipe) are not built yet: berths further
than 3 km from every gazetteer point are missed.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.config import PortVisitConfig
from shadowfleet.events.common import details, make_events, vessel_code
from shadowfleet.geo.gazetteer import harbours, nearest_harbour

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@numba.njit(cache=True, nogil=True)
def _visit_kernel(
    vessel: I64,
    t: F64,
    distance: F64,
    sog: F64,
    entry_m: float,
    exit_m: float,
    stop_kn: float,
    go_kn: float,
    gap_s: float,
) -> tuple[I64, B, B, B]:  # pragma: no cover - compiled; exercised through detect_port_visits
    """Per fix: visit number (-1 at sea), and per visit number: entered, exited, stopped/gap flags."""
    n = t.size
    visit = np.full(n, -1, dtype=np.int64)
    entered = np.zeros(n, dtype=np.bool_)
    exited = np.zeros(n, dtype=np.bool_)
    evidence = np.zeros(n, dtype=np.bool_)
    current = -1
    count = 0
    in_port = False
    stopped = False
    for i in range(n):
        first_of_vessel = i == 0 or vessel[i] != vessel[i - 1]
        if first_of_vessel:
            # A visit open at the end of the previous vessel's data has no exit.
            in_port = distance[i] <= entry_m
            stopped = False
            current = -1
            if in_port:
                current = count
                count += 1
                # no entry observed: the vessel was already in port when first heard
        elif in_port:
            if t[i] - t[i - 1] >= gap_s:
                evidence[current] = True  # a port gap
            if distance[i] >= exit_m:
                in_port = False
                exited[current] = True
                current = -1
                stopped = False
        elif distance[i] <= entry_m:
            in_port = True
            current = count
            count += 1
            entered[current] = True
        if in_port:
            visit[i] = current
            if not np.isnan(sog[i]):
                if sog[i] <= stop_kn:
                    stopped = True
                elif sog[i] >= go_kn:
                    stopped = False
            if stopped:
                evidence[current] = True
    return visit, entered[:count], exited[:count], evidence[:count]


def _merge_returns(visits: pl.DataFrame, merge_gap_h: float) -> pl.DataFrame:
    """One visit for a vessel back at the same port less than ``merge_gap_h`` after leaving it."""
    ordered = visits.sort("vessel_id", "start_time")
    new = (
        (pl.col("vessel_id") != pl.col("vessel_id").shift(1))
        | (pl.col("name") != pl.col("name").shift(1))
        | (pl.col("start_time") - pl.col("end_time").shift(1) >= pl.duration(seconds=round(merge_gap_h * 3600)))
    ).fill_null(True)
    return (
        ordered.with_columns(new.cum_sum().alias("_merged"))
        .group_by("_merged", maintain_order=True)
        .agg(
            pl.all().exclude("start_time", "end_time", "positions", "_level", "_exited").first(),
            pl.col("_exited").last(),
            pl.col("start_time").min(),
            pl.col("end_time").max(),
            pl.col("positions").sum(),
            pl.col("_level").max(),
        )
        .drop("_merged")
    )


def detect_port_visits(positions: pl.DataFrame, config: PortVisitConfig) -> pl.DataFrame:
    """``port_visit`` events (see the module notes).

    Args:
        positions: Segmented positions with ``vessel_id`` (noise rows null, ignored) and ``sog_kn``.
        config: Port-visit configuration.
    """
    # Sorted by the vessel's integer code, not its text: ten million strings are not
    # needed to order fixes by vessel.
    code = vessel_code(positions)
    fixes = (
        positions.filter(pl.col("vessel_id").is_not_null())
        .select(
            code.alias("_code"),
            "vessel_id",
            "mmsi",
            "timestamp",
            "lat",
            "lon",
            pl.col("sog_kn").cast(pl.Float64),
        )
        .sort("_code", "timestamp")
    )
    if fixes.is_empty():
        return make_events(pl.DataFrame())
    # Looked up once per ~100 m cell: moored vessels repeat their positions.
    cells = fixes.select((pl.col("lat") * 1000).round(0).alias("_r"), (pl.col("lon") * 1000).round(0).alias("_c"))
    unique_cells = cells.unique(maintain_order=True)
    distance, index = nearest_harbour(
        unique_cells["_r"].to_numpy() / 1000, unique_cells["_c"].to_numpy() / 1000, config.exit_distance_m * 2
    )
    looked = unique_cells.with_columns(pl.Series("_distance", distance), pl.Series("_harbour", index))
    joined = cells.join(looked, on=["_r", "_c"], how="left", maintain_order="left")
    vessel_codes = fixes["_code"].to_numpy()
    visit, entered, exited, evidence = _visit_kernel(
        vessel_codes,
        fixes["timestamp"].dt.epoch("us").to_numpy() / 1e6,
        joined["_distance"].to_numpy(),
        fixes["sog_kn"].fill_null(np.nan).to_numpy(),
        config.entry_distance_m,
        config.exit_distance_m,
        config.stop_begin_kn,
        config.stop_end_kn,
        config.port_gap_h * 3600.0,
    )
    if entered.size == 0:
        return make_events(pl.DataFrame())
    level = np.where(
        evidence & entered & exited, 4, np.where(evidence & (entered | exited), 3, np.where(evidence, 2, 1))
    )
    in_port = fixes.with_columns(
        pl.Series("_visit", visit), pl.Series("_harbour", joined["_harbour"].to_numpy())
    ).filter(pl.col("_visit") >= 0)
    visits = (
        in_port.group_by("_visit", maintain_order=True)
        .agg(
            pl.col("vessel_id").first(),
            pl.col("mmsi").first(),
            pl.col("timestamp").min().alias("start_time"),
            pl.col("timestamp").max().alias("end_time"),
            # the harbour of the first slow fix, else of the first fix in port
            pl.col("_harbour").filter(pl.col("sog_kn") <= config.stop_begin_kn).first().alias("_stop_harbour"),
            pl.col("_harbour").first().alias("_first_harbour"),
            pl.len().alias("positions"),
        )
        .with_columns(
            pl.coalesce("_stop_harbour", "_first_harbour").alias("_harbour"),
        )
    )
    visits = visits.with_columns(
        pl.Series("_level", level[visits["_visit"].to_numpy()]),
        pl.Series("_exited", exited[visits["_visit"].to_numpy()]),
    ).filter(pl.col("_level") >= config.min_confidence_level)
    table = harbours().with_row_index("_harbour").with_columns(pl.col("_harbour").cast(pl.Int64))
    named = _merge_returns(visits.join(table, on="_harbour", how="left"), config.merge_gap_h)
    events = named.select(
        pl.lit("port_visit").alias("event_type"),
        pl.when(pl.col("sanctioned")).then(pl.lit("sanctioned")).otherwise(None).alias("subtype"),
        pl.col("vessel_id").cast(pl.String),
        "mmsi",
        "start_time",
        "end_time",
        "lat",
        "lon",
        pl.col("name").alias("port_name"),
        (pl.col("_level") / 4.0).alias("confidence"),
        details(
            confidence_level=pl.col("_level"),
            country_iso2=pl.col("country_iso2"),
            harbour_kind=pl.col("kind"),
            duration_h=((pl.col("end_time") - pl.col("start_time")).dt.total_seconds() / 3600).round(2),
            positions=pl.col("positions"),
            # False: the vessel was still in port when its data ended (or it fell
            # silent there); the visit's end is the last fix, not a departure.
            exited=pl.col("_exited"),
        ),
    )
    return make_events(events)
