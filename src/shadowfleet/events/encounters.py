"""Ship-to-ship encounters (``DESIGN.md`` §5 Encounter; Miller et al. 2018).

Two vessels within ``max_distance_m`` of each other for at least ``min_duration_h``,
both slower than ``max_speed_kn``, at least ``min_port_distance_m`` from any port or
anchorage. Computed on tracks resampled to the absolute 10-minute grid
(:mod:`shadowfleet.tracks.resample`), so vessels are compared at the same instants
over continuous time (no midnight cut: GFW's known bug). Candidate pairs come from an
equi-join on (instant, cube of an Earth-centred grid of side ``cell_m``) against the
point's own and neighbouring cubes, so the cost grows with the number of samples and
of pairs really near each other, not with the square of the samples; exact distances
are computed for the candidates only. (A latitude/longitude grid with longitude cells
scaled by the cosine of latitude was used first: its columns drift apart from one row
to the next, by a cell or more far from the prime meridian, and missed pairs across
rows — 4-5 % of the close pairs in a drifting fleet in the Yellow Sea.) Encounters of one pair less than ``merge_gap_h``
apart are one.

Evidence of a transfer: each vessel's declared draught before and after the meeting
(from the ``declarations`` runs). One down and the other up by at least
``transfer_min_draught_change_m`` makes the subtype ``sts`` (cargo likely moved);
otherwise ``brief`` (a meeting without evidence that cargo moved). ``confidence``
grows with the duration and with the draught evidence.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from shadowfleet.config import EncounterConfig, TrackConfig
from shadowfleet.events.common import details, make_events
from shadowfleet.geo.distance import EARTH_RADIUS_M, KNOT_M_PER_S, haversine_m
from shadowfleet.geo.gazetteer import harbour_distance_m
from shadowfleet.tracks.resample import resample_tracks


def _slow_samples(samples: pl.DataFrame, config: EncounterConfig) -> pl.DataFrame:
    """Samples under the speed limit, by reported speed or the speed implied between samples."""
    lat, lon = samples["lat"].to_numpy(), samples["lon"].to_numpy()
    seconds = samples["timestamp"].dt.epoch("s").to_numpy().astype(np.float64)
    track = samples["track_number"].to_numpy()
    implied = np.full(lat.size, np.nan)
    if lat.size > 1:
        same = track[1:] == track[:-1]
        step = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]) / np.maximum(seconds[1:] - seconds[:-1], 1.0)
        implied[1:] = np.where(same, step / KNOT_M_PER_S, np.nan)
    speed = pl.coalesce(pl.col("sog_kn"), pl.Series(implied).fill_nan(None))
    return samples.filter(speed.fill_null(0.0) < config.max_speed_kn)


def candidate_pairs(samples: pl.DataFrame, config: EncounterConfig) -> pl.DataFrame:
    """Pairs of vessels within ``max_distance_m`` at the same instant.

    Args:
        samples: Resampled, slow samples with ``vessel_id``, ``timestamp``, ``lat``, ``lon``.
        config: Encounter configuration.

    Returns:
        ``vessel_a, vessel_b`` (``vessel_a < vessel_b``), ``mmsi_a, mmsi_b``,
        ``timestamp``, ``lat``, ``lon`` (midpoint), ``distance_m``.
    """
    keyed = samples.select(pl.col("vessel_id").cast(pl.String), "mmsi", "timestamp", "lat", "lon")
    empty = pl.DataFrame(
        schema={
            "vessel_a": pl.String,
            "vessel_b": pl.String,
            "mmsi_a": pl.Int64,
            "mmsi_b": pl.Int64,
            "timestamp": pl.Datetime("us", "UTC"),
            "lat": pl.Float64,
            "lon": pl.Float64,
            "distance_m": pl.Float64,
        }
    )
    if keyed.height < 2:
        return empty
    # Cubes of an Earth-centred grid: the same size everywhere (no narrowing of
    # longitude cells towards the poles, no seam at the antimeridian), and two points
    # within max_distance_m (a chord no longer than that) lie in the same or adjacent
    # cubes when the side is at least that long.
    phi, lam = np.radians(keyed["lat"].to_numpy()), np.radians(keyed["lon"].to_numpy())
    radius = EARTH_RADIUS_M / config.cell_m
    cubes = [
        np.floor(radius * np.cos(phi) * np.cos(lam)).astype(np.int64),
        np.floor(radius * np.cos(phi) * np.sin(lam)).astype(np.int64),
        np.floor(radius * np.sin(phi)).astype(np.int64),
    ]
    # One Int64 key per (instant, cube), with a margin of one cube on each side so a
    # neighbour is the key plus a constant: the join runs on a single integer column
    # and carries row numbers only (strings are gathered for the few close pairs).
    lows = [int(c.min()) - 1 for c in cubes]
    sizes = [int(c.max()) - low + 2 for c, low in zip(cubes, lows, strict=True)]
    instant = keyed.select(pl.col("timestamp").rank("dense").cast(pl.Int64))["timestamp"].to_numpy()
    key = ((instant * sizes[0] + (cubes[0] - lows[0])) * sizes[1] + (cubes[1] - lows[1])) * sizes[2] + (
        cubes[2] - lows[2]
    )
    base = pl.DataFrame({"_i": np.arange(keyed.height, dtype=np.int64), "_k": key})
    strides = (sizes[1] * sizes[2], sizes[2], 1)
    # Half the 26 neighbours is enough for unordered pairs (the other half see this
    # cube as theirs): the cube itself and the 13 lexicographically after it.
    offsets = [
        dx * strides[0] + dy * strides[1] + dz * strides[2]
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
        for dz in (-1, 0, 1)
        if (dx, dy, dz) >= (0, 0, 0)
    ]
    shifted = pl.concat([base.select(pl.col("_i").alias("_j"), pl.col("_k") + offset) for offset in offsets])
    index = base.join(shifted, on="_k").filter(pl.col("_i") != pl.col("_j"))
    i, j = index["_i"].to_numpy(), index["_j"].to_numpy()
    lat, lon = keyed["lat"].to_numpy(), keyed["lon"].to_numpy()
    close = haversine_m(lat[i], lon[i], lat[j], lon[j]) <= config.max_distance_m
    i, j = i[close], j[close]
    a, b = keyed[i], keyed[j]
    joined = (
        a.select("timestamp", "vessel_id", "mmsi", "lat", "lon")
        .hstack(b.select(*(pl.col(c).alias(f"{c}_b") for c in ("vessel_id", "mmsi", "lat", "lon"))))
        .filter(pl.col("vessel_id") != pl.col("vessel_id_b"))
    )
    # Name each pair in one order (vessel_a < vessel_b), whichever side found it.
    swap = pl.col("vessel_id") > pl.col("vessel_id_b")
    joined = joined.select(
        "timestamp",
        *(
            pl.when(swap).then(pl.col(f"{c}_b")).otherwise(pl.col(c)).alias(c)
            for c in ("vessel_id", "mmsi", "lat", "lon")
        ),
        *(
            pl.when(swap).then(pl.col(c)).otherwise(pl.col(f"{c}_b")).alias(f"{c}_b")
            for c in ("vessel_id", "mmsi", "lat", "lon")
        ),
    )
    if joined.is_empty():
        return empty
    distance = haversine_m(
        joined["lat"].to_numpy(), joined["lon"].to_numpy(), joined["lat_b"].to_numpy(), joined["lon_b"].to_numpy()
    )
    return (
        joined.with_columns(pl.Series("distance_m", distance))
        .filter(pl.col("distance_m") <= config.max_distance_m)
        .select(
            pl.col("vessel_id").alias("vessel_a"),
            pl.col("vessel_id_b").alias("vessel_b"),
            pl.col("mmsi").alias("mmsi_a"),
            pl.col("mmsi_b"),
            "timestamp",
            ((pl.col("lat") + pl.col("lat_b")) / 2).alias("lat"),
            ((pl.col("lon") + pl.col("lon_b")) / 2).alias("lon"),
            "distance_m",
        )
        # one row per pair and instant (a pair may meet through several cell shifts)
        .unique(["vessel_a", "vessel_b", "timestamp"], keep="first")
        .sort("vessel_a", "vessel_b", "timestamp")
    )


DRAUGHT_REPORT_WINDOW_H = 24.0
"""A draught declared within this many hours after a meeting is the one it left with
(crews update the draught some hours after a transfer, not at its last minute)."""


def _draught_at(declarations: pl.DataFrame, vessels: pl.DataFrame, at: str, *, after: bool) -> pl.Series:
    """Each vessel's declared draught in force at time ``at`` (or first declared soon after)."""
    draughts = (
        declarations.filter(pl.col("field") == "draught_m")
        .select("vessel_id", "draught_m", pl.col("start_time").alias("_declared"))
        .sort("_declared")
    )
    ordered = vessels.with_row_index("_i").sort(at)
    in_force = ordered.join_asof(
        draughts, left_on=at, right_on="_declared", by="vessel_id", strategy="backward", check_sortedness=False
    )
    if after:
        soon = ordered.join_asof(
            draughts,
            left_on=at,
            right_on="_declared",
            by="vessel_id",
            strategy="forward",
            tolerance=timedelta(hours=DRAUGHT_REPORT_WINDOW_H),
            check_sortedness=False,
        ).select("_i", pl.col("draught_m").alias("_soon"))
        in_force = in_force.join(soon, on="_i").with_columns(pl.coalesce("_soon", "draught_m").alias("draught_m"))
    return in_force.sort("_i")["draught_m"]


def detect_encounters(
    positions: pl.DataFrame,
    declarations: pl.DataFrame,
    encounter: EncounterConfig,
    tracks: TrackConfig,
) -> pl.DataFrame:
    """``encounter`` events (see the module notes).

    Args:
        positions: Segmented positions with ``track_number`` and ``vessel_id`` (noise
            tracks' rows have a null ``vessel_id`` and are ignored).
        declarations: The ``declarations`` table (draught over time).
        encounter: Encounter configuration.
        tracks: Track configuration (the resampling interval and gap limit).
    """
    usable = positions.filter(
        pl.col("vessel_id").is_not_null() & (pl.col("sog_kn").is_null() | (pl.col("sog_kn") < encounter.max_speed_kn))
    ).select("track_number", "vessel_id", "mmsi", "timestamp", "lat", "lon", "sog_kn")
    # Fixes in port cannot make an encounter (its mean position must be 10 km out);
    # dropping those within half that distance first keeps the resampling small.
    # Looked up once per ~1 km cell, not per fix: moored vessels repeat positions.
    cells = usable.select((pl.col("lat") * 100).round(0).alias("_r"), (pl.col("lon") * 100).round(0).alias("_c"))
    unique_cells = cells.unique()
    near = (
        harbour_distance_m(
            unique_cells["_r"].to_numpy() / 100, unique_cells["_c"].to_numpy() / 100, encounter.min_port_distance_m
        )
        < encounter.min_port_distance_m / 2
    )
    in_port = unique_cells.filter(pl.Series(near)).with_columns(pl.lit(True).alias("_port"))
    usable = usable.filter(
        ~cells.join(in_port, on=["_r", "_c"], how="left", maintain_order="left")["_port"].fill_null(False)
    )
    samples = _slow_samples(resample_tracks(usable, tracks), encounter)
    pairs = candidate_pairs(samples, encounter)
    if pairs.is_empty():
        return make_events(pl.DataFrame())
    step = pl.duration(seconds=round(tracks.resample_interval_s * (1 + encounter.max_missing_samples)))
    run = (
        (pl.col("timestamp") - pl.col("timestamp").shift(1) > step)
        | (pl.col("vessel_a") != pl.col("vessel_a").shift(1))
        | (pl.col("vessel_b") != pl.col("vessel_b").shift(1))
    ).fill_null(True)
    runs = (
        pairs.with_columns(run.cum_sum().alias("_run"))
        .group_by("_run", maintain_order=True)
        .agg(
            pl.col("vessel_a").first(),
            pl.col("vessel_b").first(),
            pl.col("mmsi_a").mode().first(),
            pl.col("mmsi_b").mode().first(),
            pl.col("timestamp").min().alias("start_time"),
            pl.col("timestamp").max().alias("end_time"),
            pl.col("lat").mean(),
            pl.col("lon").mean(),
            pl.col("distance_m").median().alias("median_distance_m"),
            pl.len().alias("samples"),
        )
    )
    # Meetings of one pair less than merge_gap_h apart are one encounter.
    gap = pl.duration(seconds=round(encounter.merge_gap_h * 3600))
    merged_key = (
        (pl.col("start_time") - pl.col("end_time").shift(1) >= gap)
        | (pl.col("vessel_a") != pl.col("vessel_a").shift(1))
        | (pl.col("vessel_b") != pl.col("vessel_b").shift(1))
    ).fill_null(True)
    merged = (
        runs.sort("vessel_a", "vessel_b", "start_time")
        .with_columns(merged_key.cum_sum().alias("_meeting"))
        .group_by("_meeting", maintain_order=True)
        .agg(
            pl.col("vessel_a").first(),
            pl.col("vessel_b").first(),
            pl.col("mmsi_a").first(),
            pl.col("mmsi_b").first(),
            pl.col("start_time").min(),
            pl.col("end_time").max(),
            (pl.col("lat") * pl.col("samples")).sum() / pl.col("samples").sum(),
            (pl.col("lon") * pl.col("samples")).sum() / pl.col("samples").sum(),
            pl.col("median_distance_m").median(),
            pl.col("samples").sum(),
        )
        .with_columns(((pl.col("end_time") - pl.col("start_time")).dt.total_seconds() / 3600).alias("duration_h"))
        .filter(pl.col("duration_h") >= encounter.min_duration_h)
    )
    if merged.is_empty():
        return make_events(pl.DataFrame())
    port = harbour_distance_m(merged["lat"].to_numpy(), merged["lon"].to_numpy(), encounter.min_port_distance_m)
    merged = merged.with_columns(pl.Series("_port_m", port)).filter(pl.col("_port_m") >= encounter.min_port_distance_m)
    if merged.is_empty():
        return make_events(pl.DataFrame())
    with_draught = merged
    for side in ("a", "b"):
        vessels = merged.select(pl.col(f"vessel_{side}").alias("vessel_id"), "start_time", "end_time")
        with_draught = with_draught.with_columns(
            _draught_at(declarations, vessels, "start_time", after=False).alias(f"draught_before_{side}"),
            _draught_at(declarations, vessels, "end_time", after=True).alias(f"draught_after_{side}"),
        )
    change_a = pl.col("draught_after_a") - pl.col("draught_before_a")
    change_b = pl.col("draught_after_b") - pl.col("draught_before_b")
    threshold = encounter.transfer_min_draught_change_m
    transfer = ((change_a <= -threshold) & (change_b >= threshold)) | (
        (change_a >= threshold) & (change_b <= -threshold)
    )
    # The donor (draught falling) is named first when the evidence says who gave.
    donor_is_b = (change_b <= -threshold) & (change_a >= threshold)
    events = with_draught.with_columns(
        transfer.fill_null(False).alias("_transfer"), donor_is_b.fill_null(False).alias("_swap")
    ).select(
        pl.lit("encounter").alias("event_type"),
        pl.when(pl.col("_transfer")).then(pl.lit("sts")).otherwise(pl.lit("brief")).alias("subtype"),
        pl.when(pl.col("_swap")).then(pl.col("vessel_b")).otherwise(pl.col("vessel_a")).alias("vessel_id"),
        pl.when(pl.col("_swap")).then(pl.col("mmsi_b")).otherwise(pl.col("mmsi_a")).alias("mmsi"),
        pl.when(pl.col("_swap")).then(pl.col("vessel_a")).otherwise(pl.col("vessel_b")).alias("other_vessel_id"),
        pl.when(pl.col("_swap")).then(pl.col("mmsi_a")).otherwise(pl.col("mmsi_b")).alias("other_mmsi"),
        "start_time",
        "end_time",
        "lat",
        "lon",
        # Evidence strength: a long meeting is more than a crossing; draught moving
        # opposite ways across it is the strongest sign cargo moved.
        (
            pl.when(pl.col("_transfer"))
            .then(0.9)
            .otherwise(0.3 + 0.4 * (1 - (-pl.col("duration_h") / 8).exp()))
            .alias("confidence")
        ),
        details(
            duration_h=pl.col("duration_h").round(2),
            median_distance_m=pl.col("median_distance_m").round(0),
            samples=pl.col("samples"),
            port_distance_m=pl.col("_port_m").round(0),
            draught_before_m=pl.concat_list(
                pl.when(pl.col("_swap")).then(pl.col("draught_before_b")).otherwise(pl.col("draught_before_a")),
                pl.when(pl.col("_swap")).then(pl.col("draught_before_a")).otherwise(pl.col("draught_before_b")),
            ),
            draught_after_m=pl.concat_list(
                pl.when(pl.col("_swap")).then(pl.col("draught_after_b")).otherwise(pl.col("draught_after_a")),
                pl.when(pl.col("_swap")).then(pl.col("draught_after_a")).otherwise(pl.col("draught_after_b")),
            ),
        ),
    )
    return make_events(events)
