"""Vessels and their identities: which tracks are one hull, and what it called itself.

Three steps, each a function of frames:

1. **Chains** (:func:`chain_tracks`): the tracks of one MMSI that one hull sailed. An
   MMSI whose tracks never interleave is one chain. An MMSI with two tracks that
   interleave in time (two ships broadcasting it) is split into chains greedily, each
   track joining the chain whose last fix predicts its first fix best (the
   segmenter's score, GFW's "fragments to segments" step).
2. **Vessels** (:func:`link_vessels`): chains linked across MMSIs when they carry the
   same IMO number without overlapping in time, keep their call sign with the same
   dimensions (a change made while dark), or when one identity ends and another
   starts within 1 km and 60 days with the same dimensions (Park et al. 2023's
   identity stitcher, ``reference/detection-definitions.md`` §6.5).
3. **Identity periods** (:func:`identity_runs`, :func:`identity_periods`): for each
   vessel and each field (IMO, name, call sign, ship type, dimensions), the runs of
   one value over time; a value heard fewer than ``min_reports`` times within
   ``noise_window_h`` of a contrary value is noise, not a change.

Names and call signs are compared after normalisation (:func:`normalise_name`,
:func:`normalise_call_sign`, after GFW's ShipDataProcess, §6.3); the form broadcast
most often is kept for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from shadowfleet.config import IdentityConfig, TrackConfig
from shadowfleet.geo.distance import haversine_m
from shadowfleet.geo.gazetteer import mid_table
from shadowfleet.tracks.segment import match_score, stable_id

LINK_SCHEMA: Final = {
    "chain": pl.String,
    "chain_b": pl.String,
    "rule": pl.String,
    "distance_m": pl.Float64,
    "gap_h": pl.Float64,
}
FIELDS: Final = ("imo", "imo_reported", "name", "call_sign", "ship_type", "dimensions")
"""Identity fields followed over time (``dimensions`` is length and beam together)."""
DECLARATION_FIELDS: Final = ("destination", "draught_m")
"""Voyage fields followed over time the same way (a declared destination, a draught)."""
NAME_PREFIXES: Final = r"^(M/V|M\.V\.|MV|M/T|M\.T\.|MT|S/S|SS|F/V|FV|MFV|RV|KM)\s+"
NULL_CALL_SIGNS: Final = ("", "NONE", "UNKNOWN", "NIL", "NULL", "NA", "N/A", "0", "00000", "0000000")


def normalise_name(name: pl.Expr) -> pl.Expr:
    """Names compared across reports: upper case, no vessel prefix, no punctuation.

    ``"M/V Xin Hai No. 8"``, ``"XIN HAI 8"`` and ``"XINHAI NO8"`` all become ``"XINHAI8"``.
    """
    return (
        name.str.to_uppercase()
        .str.replace_all(r"\(.*?\)|\[.*?\]", "")
        .str.strip_chars()
        .str.replace(NAME_PREFIXES, "")
        .str.replace_all(r"\bNO\.?\s*(\d)", "$1")
        .str.replace_all(r"[^A-Z0-9]", "")
        .replace("", None)
    )


def normalise_call_sign(call_sign: pl.Expr) -> pl.Expr:
    """Call signs compared across reports: upper case alphanumerics; placeholders null."""
    upper = call_sign.str.to_uppercase().str.strip_chars()
    cleaned = upper.str.replace_all(r"[^A-Z0-9]", "")
    return pl.when(upper.is_in(list(NULL_CALL_SIGNS)) | (cleaned.str.len_chars() < 3)).then(None).otherwise(cleaned)


def ship_type_category(ship_type: pl.Expr) -> pl.Expr:
    """AIS ship types grouped as their meaning: 70 and 79 are both cargo; 31 and 52 differ.

    The units digit only qualifies the hazard category for 20-29 and 40-99, so those
    compare by tens; 30-39 and 50-59 name distinct vessel kinds and compare exactly.
    """
    tens = ship_type // 10
    return (
        pl.when(ship_type.is_null() | (ship_type <= 0))
        .then(None)
        .when(tens.is_in([3, 5]))
        .then(ship_type)
        .otherwise(tens * 10)
        .cast(pl.Int16)
    )


def flag_of_mmsi(mmsi: pl.Expr) -> pl.Expr:
    """ISO 3166 alpha-2 flag of a ship MMSI's MID (null when not a 9-digit ship MMSI or unallocated)."""
    table = mid_table()
    mids = table["mid"].to_list()
    flags = table["iso2"].to_list()
    mid = pl.when((mmsi >= 200_000_000) & (mmsi <= 799_999_999)).then(mmsi // 1_000_000).otherwise(None)
    return mid.replace_strict(mids, flags, default=None, return_dtype=pl.String)


# ----------------------------------------------------------------------------- chains


def concurrent_pairs(
    positions: pl.DataFrame, tracks: pl.DataFrame, min_positions: int, min_switches: int
) -> pl.DataFrame:
    """Pairs of tracks of one MMSI that interleave in time: two transmitters at once.

    Counts how often an MMSI's time-ordered fixes switch between the two tracks. One
    excursion and return (a spoofed burst) is two switches; two ships heard alternately
    give many.

    Args:
        positions: Segmented positions sorted by ``(mmsi, timestamp)``.
        tracks: :func:`~shadowfleet.tracks.segment.summarise_tracks` output.
        min_positions: Fixes each track needs.
        min_switches: Switches between the two needed.

    Returns:
        ``mmsi, track_a, track_b, switches, start_time, end_time`` (the overlap of the
        two tracks' spans), ``track_a < track_b``.
    """
    eligible = tracks.filter(~pl.col("noise") & (pl.col("n_positions") >= min_positions))["track_number"]
    fixes = positions.select("mmsi", "track_number").filter(pl.col("track_number").is_in(eligible.implode()))
    switches = (
        fixes.with_columns(pl.col("track_number").shift(1).over("mmsi").alias("_previous"))
        .filter(pl.col("_previous").is_not_null() & (pl.col("_previous") != pl.col("track_number")))
        .select(
            "mmsi",
            pl.min_horizontal("track_number", "_previous").alias("track_a"),
            pl.max_horizontal("track_number", "_previous").alias("track_b"),
        )
        .group_by("mmsi", "track_a", "track_b")
        .agg(pl.len().alias("switches"))
        .filter(pl.col("switches") >= min_switches)
    )
    spans = tracks.select("track_number", "start_time", "end_time")
    return (
        switches.join(spans.rename({"track_number": "track_a"}), on="track_a")
        .join(spans.rename({"track_number": "track_b"}), on="track_b", suffix="_b")
        .select(
            "mmsi",
            "track_a",
            "track_b",
            "switches",
            pl.max_horizontal("start_time", "start_time_b").alias("start_time"),
            pl.min_horizontal("end_time", "end_time_b").alias("end_time"),
        )
        .sort("mmsi", "start_time")
    )


def chain_tracks(tracks: pl.DataFrame, pairs: pl.DataFrame, config: TrackConfig) -> pl.DataFrame:
    """Assign each non-noise track to a chain: the tracks of one MMSI one hull sailed.

    Args:
        tracks: Track summaries.
        pairs: :func:`concurrent_pairs` (MMSIs listed there are shared).
        config: Track configuration (the matcher's score links tracks in a chain).

    Returns:
        ``track_number, chain`` (chain: ``"<mmsi>"`` or ``"<mmsi>/<k>"`` on shared MMSIs).
    """
    usable = tracks.filter(~pl.col("noise"))
    shared_mmsi = pairs["mmsi"].unique()
    simple = usable.filter(~pl.col("mmsi").is_in(shared_mmsi.implode())).select(
        "track_number", pl.col("mmsi").cast(pl.String).alias("chain")
    )
    shared = usable.filter(pl.col("mmsi").is_in(shared_mmsi.implode())).sort("mmsi", "start_time")
    concurrent = {(int(a), int(b)) for a, b in pairs.select("track_a", "track_b").iter_rows()}
    rows: list[tuple[int, str]] = []
    # A loop over the tracks of shared MMSIs only (a handful per MMSI), not over fixes.
    for (mmsi,), group in shared.group_by("mmsi", maintain_order=True):
        chains: list[dict[str, float | list[int]]] = []
        for track in group.iter_rows(named=True):
            number = int(track["track_number"])
            start = (
                track["start_time"].timestamp(),
                track["start_lat"],
                track["start_lon"],
                _nan(track["start_sog_kn"]),
                _nan(track["start_cog_deg"]),
            )
            best, best_score = -1, 0.0
            for k, chain in enumerate(chains):
                members = chain["members"]
                assert isinstance(members, list)
                if any((min(m, number), max(m, number)) in concurrent for m in members):
                    continue
                if float(chain["end_t"]) > start[0]:  # type: ignore[arg-type]
                    continue
                end = (chain["end_t"], chain["end_lat"], chain["end_lon"], chain["end_sog"], chain["end_cog"])
                score = match_score(end, start, config)  # type: ignore[arg-type]
                if score > best_score:
                    best, best_score = k, score
            state: dict[str, float | list[int]] = {
                "end_t": track["end_time"].timestamp(),
                "end_lat": track["end_lat"],
                "end_lon": track["end_lon"],
                "end_sog": _nan(track["end_sog_kn"]),
                "end_cog": _nan(track["end_cog_deg"]),
            }
            if best < 0:
                state["members"] = [number]
                chains.append(state)
                k = len(chains) - 1
            else:
                members = chains[best]["members"]
                assert isinstance(members, list)
                members.append(number)
                state["members"] = members
                chains[best] = state
                k = best
            rows.append((number, f"{mmsi}/{k}"))
    split = pl.DataFrame(rows, schema={"track_number": pl.Int64, "chain": pl.String}, orient="row")
    return pl.concat([simple.cast({"track_number": pl.Int64}), split])


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def attach_statics(
    statics: pl.DataFrame, positions: pl.DataFrame, chains: pl.DataFrame, config: IdentityConfig
) -> pl.DataFrame:
    """Give each static report the chain of the nearest fix of its MMSI in time.

    Reports on an MMSI that only one hull uses go to its chain whatever the time; on a
    shared MMSI, to the chain of the fix heard nearest in time (within
    ``static_match_tolerance_min`` if any, else the nearest at all). Reports of MMSIs
    with no usable track are dropped (an MMSI never heard at a position is no vessel).

    Returns:
        The statics with ``chain`` and the normalised keys ``name_key``,
        ``call_sign_key``, ``ship_type_key``.
    """
    fixes = (
        positions.select("mmsi", "timestamp", "track_number")
        .join(chains, on="track_number", how="inner")
        .select("mmsi", pl.col("timestamp").alias("_fix_time"), "chain")
        .sort("mmsi", "_fix_time")
    )
    reports = statics.sort("mmsi", "timestamp")
    attached = reports.join_asof(
        fixes,
        left_on="timestamp",
        right_on="_fix_time",
        by="mmsi",
        strategy="nearest",
        check_sortedness=False,
    ).filter(pl.col("chain").is_not_null())
    attached = attached.drop("_fix_time").with_columns(
        normalise_name(pl.col("name")).alias("name_key"),
        normalise_call_sign(pl.col("call_sign")).alias("call_sign_key"),
        ship_type_category(pl.col("ship_type")).alias("ship_type_key"),
    )
    # On a shared MMSI the nearest fix in time is often the other ship's (the one heard
    # more). Each distinct static content goes to one chain: the one whose times of
    # reception it follows most specifically (lift over the chain's share of the
    # MMSI's time), else the one most of its reports fell nearest to. A ship's own
    # static reports are heard when its positions are, so a clone heard in a few
    # windows keeps its own name even beside a victim heard all day.
    content = ["msg_type", "imo_reported", "name_key", "call_sign_key", "ship_type_key", "length_m", "beam_m"]
    shared = (
        chains.join(fixes.select("mmsi", "chain").unique(), on="chain")
        .group_by("mmsi")
        .agg(pl.col("chain").n_unique().alias("_chains"))
        .filter(pl.col("_chains") > 1)
    )
    if shared.is_empty():
        return attached
    bin_us = round(config.static_match_tolerance_min * 60 * 1e6)
    on_shared = attached.join(shared.select("mmsi"), on="mmsi")
    heard = (
        fixes.join(shared.select("mmsi"), on="mmsi")
        .select("mmsi", "chain", (pl.col("_fix_time").dt.epoch("us") // bin_us).alias("_bin"))
        .unique()
    )
    span = heard.group_by("mmsi").agg(pl.col("_bin").n_unique().alias("_span"))
    baseline = (
        heard.group_by("mmsi", "chain")
        .agg(pl.len().alias("_bins"))
        .join(span, on="mmsi")
        .select("mmsi", "chain", (pl.col("_bins") / pl.col("_span")).alias("_baseline"))
    )
    reports = on_shared.select(
        "mmsi",
        *content,
        (pl.col("timestamp").dt.epoch("us") // bin_us).alias("_bin"),
        pl.col("n_reports").cast(pl.Int64),
    )
    totals = reports.group_by("mmsi", *content).agg(pl.col("n_reports").sum().alias("_total"))
    lifts = (
        reports.join(heard, on=["mmsi", "_bin"])
        .group_by("mmsi", *content, "chain")
        .agg(pl.col("n_reports").sum().alias("_hits"))
        .join(totals, on=["mmsi", *content], nulls_equal=True)
        .join(baseline, on=["mmsi", "chain"])
        .with_columns((pl.col("_hits") / pl.col("_total") / pl.col("_baseline")).alias("_lift"))
        .sort("_lift", "chain", descending=[True, False])
        .group_by("mmsi", *content, maintain_order=True)
        .agg(
            pl.col("chain").first().alias("_specific"),
            pl.col("_lift").first().alias("_best"),
            pl.col("_lift").get(1, null_on_oob=True).alias("_second"),
        )
        .filter((pl.col("_best") >= 1.5) & (pl.col("_second").is_null() | (pl.col("_best") >= 1.5 * pl.col("_second"))))
        .select("mmsi", *content, "_specific")
    )
    votes = (
        on_shared.group_by("mmsi", *content, "chain")
        .agg(pl.col("n_reports").cast(pl.Int64).sum().alias("_votes"))
        .sort("_votes", "chain", descending=[True, False])
        .group_by("mmsi", *content, maintain_order=True)
        .agg(pl.col("chain").first().alias("_majority"))
    )
    return (
        attached.join(lifts, on=["mmsi", *content], how="left", nulls_equal=True)
        .join(votes, on=["mmsi", *content], how="left", nulls_equal=True)
        .with_columns(pl.coalesce("_specific", "_majority", "chain").alias("chain"))
        .drop("_specific", "_majority")
    )


def summarise_chains(
    tracks: pl.DataFrame, chains: pl.DataFrame, statics: pl.DataFrame, config: IdentityConfig
) -> pl.DataFrame:
    """One row per chain: span, end fixes, and the identity it most often broadcast.

    Returns:
        ``chain, mmsi, start_time, end_time, n_positions, start_lat, start_lon,
        end_lat, end_lon, imos (list), call_sign_key, length_m, beam_m``.
    """
    spans = (
        tracks.join(chains, on="track_number", how="inner")
        .sort("start_time")
        .group_by("chain")
        .agg(
            pl.col("mmsi").first(),
            pl.col("start_time").first(),
            pl.col("end_time").max(),
            pl.col("n_positions").sum(),
            pl.col("start_lat").first(),
            pl.col("start_lon").first(),
            pl.col("end_lat").sort_by("end_time").last(),
            pl.col("end_lon").sort_by("end_time").last(),
        )
    )
    weight = pl.col("n_reports").cast(pl.Int64)
    imos = (
        statics.select(
            "chain",
            pl.when(pl.col("imo").is_not_null())
            .then(pl.col("imo"))
            .when(pl.col("imo_reported") >= 1_000_000)
            .then(pl.col("imo_reported"))
            .alias("_imo"),
            "n_reports",
        )
        .filter(pl.col("_imo").is_not_null())
        .group_by("chain", "_imo")
        .agg(weight.sum().alias("_n"))
        .filter(pl.col("_n") >= config.min_reports)
        .group_by("chain")
        .agg(pl.col("_imo").alias("imos"))
    )

    def dominant(column: str) -> pl.DataFrame:
        return (
            statics.filter(pl.col(column).is_not_null())
            .group_by("chain", column)
            .agg(weight.sum().alias("_n"))
            .sort("_n", descending=True)
            .group_by("chain")
            .agg(pl.col(column).first())
        )

    return (
        spans.join(imos, on="chain", how="left")
        .join(dominant("call_sign_key"), on="chain", how="left")
        .join(dominant("length_m"), on="chain", how="left")
        .join(dominant("beam_m"), on="chain", how="left")
        .sort("start_time")
    )


# ----------------------------------------------------------------------------- vessels


def _dimensions_match(config: IdentityConfig, *, beam_required: bool = False) -> pl.Expr:
    tolerance = pl.max_horizontal(
        pl.lit(config.dimension_tolerance_m), config.dimension_tolerance_fraction * pl.col("length_m")
    )
    return (
        pl.col("length_m").is_not_null()
        & pl.col("length_m_b").is_not_null()
        & ((pl.col("length_m") - pl.col("length_m_b")).abs() <= tolerance)
        & (
            ((pl.col("beam_m").is_null() | pl.col("beam_m_b").is_null()) & (not beam_required))
            | ((pl.col("beam_m") - pl.col("beam_m_b")).abs() <= config.dimension_tolerance_m).fill_null(False)
        )
    )


def _disjoint(min_overlap_h: float) -> pl.Expr:
    overlap = pl.min_horizontal("end_time", "end_time_b") - pl.max_horizontal("start_time", "start_time_b")
    return overlap < pl.duration(seconds=round(min_overlap_h * 3600))


@dataclass(frozen=True)
class VesselLinks:
    """Chains linked into vessels.

    Attributes:
        chains: The chain summaries with ``vessel_id``.
        links: Why chains were linked: ``chain, chain_b, rule`` (``imo``,
            ``call_sign``, ``stitch``), with ``distance_m`` and ``gap_h`` for stitches.
    """

    chains: pl.DataFrame
    links: pl.DataFrame


def link_vessels(chains: pl.DataFrame, config: IdentityConfig) -> VesselLinks:
    """Link chains into vessels (see the module notes) and name each vessel.

    ``vessel_id`` is a content hash of the earliest chain's MMSI and first fix time,
    so re-running over the same data gives the same ids.
    """
    side_b = chains.rename({c: f"{c}_b" for c in chains.columns})
    by_imo = (
        chains.select("chain", "mmsi", "start_time", "end_time", pl.col("imos").alias("imo"))
        .explode("imo")
        .filter(pl.col("imo").is_not_null())
    )
    imo_pairs = (
        by_imo.join(by_imo.rename({c: f"{c}_b" for c in by_imo.columns if c != "imo"}), on="imo")
        .filter((pl.col("chain") < pl.col("chain_b")) & _disjoint(config.imo_overlap_min_h))
        .select("chain", "chain_b", pl.lit("imo").alias("rule"))
        .unique()
    )
    parts = [imo_pairs]
    if config.link_by_call_sign:
        call_pairs = (
            chains.filter(pl.col("call_sign_key").is_not_null())
            .join(side_b, left_on="call_sign_key", right_on="call_sign_key_b")
            .filter(
                (pl.col("chain") < pl.col("chain_b"))
                & (pl.col("mmsi") != pl.col("mmsi_b"))
                & _disjoint(config.imo_overlap_min_h)
                & _dimensions_match(config)
            )
            .select("chain", "chain_b", pl.lit("call_sign").alias("rule"))
        )
        parts.append(call_pairs)
    parts.append(_stitches(chains, config))
    links = pl.concat(
        [
            p.with_columns(
                pl.lit(None, dtype=pl.Float64).alias("distance_m")
                if "distance_m" not in p.columns
                else pl.col("distance_m"),
                pl.lit(None, dtype=pl.Float64).alias("gap_h") if "gap_h" not in p.columns else pl.col("gap_h"),
            ).select("chain", "chain_b", "rule", "distance_m", "gap_h")
            for p in parts
        ]
    )
    names = chains["chain"].to_list()
    index = {name: i for i, name in enumerate(names)}
    a = np.array([index[c] for c in links["chain"].to_list()], dtype=np.int64)
    b = np.array([index[c] for c in links["chain_b"].to_list()], dtype=np.int64)
    graph = coo_matrix((np.ones(a.size), (a, b)), shape=(len(names), len(names)))
    _, component = connected_components(graph, directed=False)
    labelled = chains.with_columns(pl.Series("_component", component, dtype=pl.Int64))
    first = (
        labelled.sort("start_time")
        .group_by("_component")
        .agg(pl.col("chain").first(), pl.col("start_time").first())
        .with_columns(
            # The chain names the MMSI and, on a shared MMSI, which of its hulls.
            pl.struct("chain", "start_time")
            .map_elements(lambda s: stable_id("V", s["chain"], s["start_time"].isoformat()), return_dtype=pl.String)
            .alias("vessel_id")
        )
        .select("_component", "vessel_id")
    )
    return VesselLinks(labelled.join(first, on="_component").drop("_component"), links)


def _stitches(chains: pl.DataFrame, config: IdentityConfig) -> pl.DataFrame:
    """Park et al.'s stitcher: an MMSI's last chain ends where another MMSI's first begins."""
    # "Ended" and "started" need evidence: the data must run on for a while after the
    # old MMSI's last fix and before the new one's first, or every MMSI would end at
    # the edge of the file (a one-hour harbour file would stitch ferries together).
    silence = pl.duration(seconds=round(config.link_min_silence_h * 3600))
    data_start, data_end = chains["start_time"].min(), chains["end_time"].max()
    last = (
        chains.sort("end_time")
        .group_by("mmsi")
        .agg(pl.all().last())
        .filter(pl.lit(data_end) - pl.col("end_time") >= silence)
    )
    first = (
        chains.sort("start_time")
        .group_by("mmsi")
        .agg(pl.all().first())
        .filter(pl.col("start_time") - pl.lit(data_start) >= silence)
    )
    # A grid join on ~2 km cells and their neighbours keeps the candidate set linear.
    # Longitude cells are as wide in degrees as the data's highest latitude needs for
    # them to be ≥ 2 km everywhere (a few thousand chain ends: wide cells are cheap).
    cell = 0.02
    latitudes = np.abs(np.concatenate([chains["end_lat"].to_numpy(), chains["start_lat"].to_numpy()]))
    highest = float(np.nanmax(latitudes)) if latitudes.size else 0.0
    lon_cell = cell / float(np.cos(np.radians(min(highest, 85.0))))

    def cells(lat: str, lon: str) -> list[pl.Expr]:
        return [
            (pl.col(lat) / cell).floor().cast(pl.Int64).alias("_row"),
            (pl.col(lon) / lon_cell).floor().cast(pl.Int64).alias("_col"),
        ]

    ends = last.with_columns(cells("end_lat", "end_lon"))
    starts = first.rename({c: f"{c}_b" for c in first.columns}).with_columns(cells("start_lat_b", "start_lon_b"))
    shifted = pl.concat(
        [
            starts.with_columns((pl.col("_row") + dr).alias("_row"), (pl.col("_col") + dc).alias("_col"))
            for dr in (-1, 0, 1)
            for dc in (-1, 0, 1)
        ]
    )
    candidates = ends.join(shifted, on=["_row", "_col"]).filter(
        (pl.col("mmsi") != pl.col("mmsi_b"))
        & (pl.col("start_time_b") >= pl.col("end_time"))
        & (pl.col("start_time_b") - pl.col("end_time") <= pl.duration(days=config.link_max_gap_days))
        & _dimensions_match(config, beam_required=True)
        # An IMO number stays with its hull for life: two different ones are two hulls.
        & (
            pl.col("imos").is_null()
            | pl.col("imos_b").is_null()
            | (pl.col("imos").list.set_intersection(pl.col("imos_b")).list.len() > 0)
        )
    )
    if candidates.is_empty():
        return pl.DataFrame(
            schema={
                "chain": pl.String,
                "chain_b": pl.String,
                "rule": pl.String,
                "distance_m": pl.Float64,
                "gap_h": pl.Float64,
            }
        )
    distance = haversine_m(
        candidates["end_lat"].to_numpy(),
        candidates["end_lon"].to_numpy(),
        candidates["start_lat_b"].to_numpy(),
        candidates["start_lon_b"].to_numpy(),
    )
    candidates = candidates.with_columns(
        pl.Series("distance_m", distance),
        ((pl.col("start_time_b") - pl.col("end_time")).dt.total_seconds() / 3600.0).alias("gap_h"),
    ).filter(pl.col("distance_m") < config.link_max_distance_m)
    # One to one, nearest first (Park et al. rank candidates by distance both ways):
    # a greedy pass over the few candidates that survived the filters.
    ranked = candidates.sort("distance_m", "gap_h").select("chain", "chain_b", "distance_m", "gap_h")
    used_a: set[str] = set()
    used_b: set[str] = set()
    keep = []
    for k, (a, b) in enumerate(zip(ranked["chain"].to_list(), ranked["chain_b"].to_list(), strict=True)):
        if a not in used_a and b not in used_b:
            used_a.add(a)
            used_b.add(b)
            keep.append(k)
    chosen = ranked[keep]
    return chosen.select("chain", "chain_b", pl.lit("stitch").alias("rule"), "distance_m", "gap_h")


# ----------------------------------------------------------------------------- identities


def identity_runs(statics: pl.DataFrame, config: IdentityConfig) -> pl.DataFrame:
    """Runs of one value per vessel and field, with noise removed.

    Args:
        statics: Statics with ``vessel_id``, ``mmsi`` and the normalised keys
            (:func:`attach_statics`).
        config: Identity configuration.

    Returns:
        ``vessel_id, field, value`` (comparison key, as text), ``display`` (the form
        broadcast most often), ``start_time``, ``end_time``, ``reports``, ``mmsis``
        (list), one row per kept run, in time order per vessel and field; the fields
        are :data:`FIELDS` and :data:`DECLARATION_FIELDS`.
    """
    window = pl.duration(seconds=round(config.noise_window_h * 3600))
    values = {
        "imo": (pl.col("imo").cast(pl.String), pl.col("imo").cast(pl.String)),
        "imo_reported": (
            pl.when(pl.col("imo_reported") > 0).then(pl.col("imo_reported").cast(pl.String)),
            pl.col("imo_reported").cast(pl.String),
        ),
        "name": (pl.col("name_key"), pl.col("name")),
        "call_sign": (pl.col("call_sign_key"), pl.col("call_sign")),
        "ship_type": (pl.col("ship_type_key").cast(pl.String), pl.col("ship_type").cast(pl.String)),
        "dimensions": (
            pl.when(pl.col("length_m") > 0).then(
                pl.format("{}x{}", pl.col("length_m").round(0).cast(pl.Int64), pl.col("beam_m").round(0).cast(pl.Int64))
            ),
            pl.format("{}x{}", pl.col("length_m").round(0).cast(pl.Int64), pl.col("beam_m").round(0).cast(pl.Int64)),
        ),
        # Voyage declarations: followed over time like the identity, never identity changes.
        "destination": (
            pl.col("destination")
            .str.to_uppercase()
            .str.replace_all(r"[^A-Z0-9]+", " ")
            .str.strip_chars()
            .replace("", None),
            pl.col("destination"),
        ),
        "draught_m": (
            pl.when(pl.col("draught_m") > 0).then(pl.col("draught_m").round(1).cast(pl.String)),
            pl.col("draught_m").round(1).cast(pl.String),
        ),
    }
    parts = []
    base = statics.select(
        "vessel_id",
        "mmsi",
        "timestamp",
        "last_timestamp",
        "n_reports",
        "name",
        "call_sign",
        "imo",
        "imo_reported",
        "ship_type",
        "length_m",
        "beam_m",
        "name_key",
        "call_sign_key",
        "ship_type_key",
        "destination",
        "draught_m",
    )
    for field, (key, display) in values.items():
        reports = (
            base.select(
                "vessel_id",
                "mmsi",
                "timestamp",
                pl.coalesce("last_timestamp", "timestamp").alias("last_timestamp"),
                pl.col("n_reports").cast(pl.Int64).fill_null(1),
                key.alias("value"),
                display.alias("display"),
            )
            .filter(pl.col("value").is_not_null())
            .sort("vessel_id", "timestamp")
        )
        runs = _runs(reports)
        # Noise: few reports with a contrary value heard close by on either side.
        previous_end = pl.col("end_time").shift(1).over("vessel_id")
        next_start = pl.col("start_time").shift(-1).over("vessel_id")
        contrary_near = ((pl.col("start_time") - previous_end) <= window).fill_null(False) | (
            (next_start - pl.col("end_time")) <= window
        ).fill_null(False)
        kept = runs.filter(~((pl.col("reports") < config.min_reports) & contrary_near))
        merged = _merge_runs(kept)
        parts.append(merged.with_columns(pl.lit(field).alias("field")))
    return pl.concat(parts).select(
        "vessel_id", "field", "value", "display", "start_time", "end_time", "reports", "mmsis"
    )


def _runs(reports: pl.DataFrame) -> pl.DataFrame:
    run = (pl.col("value") != pl.col("value").shift(1)).fill_null(True).cum_sum().over("vessel_id")
    return (
        reports.with_columns(run.alias("_run"))
        .group_by("vessel_id", "_run", maintain_order=True)
        .agg(
            pl.col("value").first(),
            pl.col("display").sort_by("n_reports", descending=True).first(),
            pl.col("timestamp").min().alias("start_time"),
            pl.col("last_timestamp").max().alias("end_time"),
            pl.col("n_reports").sum().alias("reports"),
            pl.col("mmsi").unique().alias("mmsis"),
        )
        .drop("_run")
    )


def _merge_runs(runs: pl.DataFrame) -> pl.DataFrame:
    """Join consecutive runs that carry the same value once the noise between them is gone."""
    run = (pl.col("value") != pl.col("value").shift(1)).fill_null(True).cum_sum().over("vessel_id")
    return (
        runs.with_columns(run.alias("_run"))
        .group_by("vessel_id", "_run", maintain_order=True)
        .agg(
            pl.col("value").first(),
            pl.col("display").first(),
            pl.col("start_time").min(),
            pl.col("end_time").max(),
            pl.col("reports").sum(),
            pl.col("mmsis").explode().unique(),
        )
        .drop("_run")
    )


def mmsi_periods(chains: pl.DataFrame) -> pl.DataFrame:
    """Runs of one MMSI per vessel, from its chains in time order.

    Returns:
        ``vessel_id, mmsi, flag_iso2, start_time, end_time, n_positions``.
    """
    ordered = chains.sort("vessel_id", "start_time")
    run = (pl.col("mmsi") != pl.col("mmsi").shift(1)).fill_null(True).cum_sum().over("vessel_id")
    return (
        ordered.with_columns(run.alias("_run"))
        .group_by("vessel_id", "_run", maintain_order=True)
        .agg(
            pl.col("mmsi").first(),
            pl.col("start_time").min(),
            pl.col("end_time").max(),
            pl.col("n_positions").sum(),
        )
        .drop("_run")
        .with_columns(flag_of_mmsi(pl.col("mmsi")).alias("flag_iso2"))
        .select("vessel_id", "mmsi", "flag_iso2", "start_time", "end_time", "n_positions")
    )


def identity_periods(runs: pl.DataFrame, mmsis: pl.DataFrame) -> pl.DataFrame:
    """The ``identities`` table: one row per period in which no identity field changed.

    A period starts at a vessel's first fix and at every kept change of MMSI, IMO,
    name, call sign, ship type or dimensions; each field holds the value in force
    (the first value heard, before it was first heard).
    """
    breaks = pl.concat(
        [
            mmsis.select("vessel_id", pl.col("start_time").alias("valid_from")),
            runs.filter(pl.col("field").is_in(["imo", "name", "call_sign", "ship_type", "dimensions"])).select(
                "vessel_id", pl.col("start_time").alias("valid_from")
            ),
        ]
    )
    first_seen = mmsis.group_by("vessel_id").agg(
        pl.col("start_time").min().alias("_first"), pl.col("end_time").max().alias("_last")
    )
    periods = (
        breaks.join(first_seen, on="vessel_id")
        .with_columns(pl.max_horizontal("valid_from", "_first").alias("valid_from"))
        .unique(["vessel_id", "valid_from"])
        .sort("vessel_id", "valid_from")
        .with_columns(
            pl.col("valid_from").shift(-1).over("vessel_id").fill_null(pl.col("_last")).alias("valid_to"),
        )
        .drop("_first", "_last")
    )

    def in_force(frame: pl.DataFrame, value: str, alias: str) -> pl.DataFrame:
        ordered = frame.sort("start_time")
        backward = periods.sort("valid_from").join_asof(
            ordered.select("vessel_id", "start_time", pl.col(value).alias(alias)),
            left_on="valid_from",
            right_on="start_time",
            by="vessel_id",
            strategy="backward",
            check_sortedness=False,
        )
        forward = periods.sort("valid_from").join_asof(
            ordered.select("vessel_id", "start_time", pl.col(value).alias(f"{alias}_next")),
            left_on="valid_from",
            right_on="start_time",
            by="vessel_id",
            strategy="forward",
            check_sortedness=False,
        )
        return (
            backward.select("vessel_id", "valid_from", alias)
            .join(forward.select("vessel_id", "valid_from", f"{alias}_next"), on=["vessel_id", "valid_from"])
            .select("vessel_id", "valid_from", pl.coalesce(alias, f"{alias}_next").alias(alias))
        )

    result = periods
    result = result.join(in_force(mmsis, "mmsi", "mmsi"), on=["vessel_id", "valid_from"])
    for field, alias in (
        ("imo", "imo"),
        ("name", "name"),
        ("call_sign", "call_sign"),
        ("ship_type", "ship_type"),
        ("dimensions", "dimensions"),
    ):
        result = result.join(
            in_force(runs.filter(pl.col("field") == field), "display", alias),
            on=["vessel_id", "valid_from"],
            how="left",
        )
    # A break where no field actually changed (a field first heard, a value back-filled)
    # is not a new identity: consecutive equal periods are one.
    fields = ["mmsi", "imo", "name", "call_sign", "ship_type", "dimensions"]
    new_period = pl.col("vessel_id") != pl.col("vessel_id").shift(1)
    for column in fields:
        new_period = new_period | pl.col(column).ne_missing(pl.col(column).shift(1))
    result = (
        result.sort("vessel_id", "valid_from")
        .with_columns(new_period.fill_null(True).cum_sum().alias("_period"))
        .group_by("_period", maintain_order=True)
        .agg(
            pl.col("vessel_id").first(),
            *(pl.col(c).first() for c in fields),
            pl.col("valid_from").min(),
            pl.col("valid_to").max(),
        )
        .drop("_period")
    )
    dims = pl.col("dimensions").str.split_exact("x", 1)
    return (
        result.with_columns(
            flag_of_mmsi(pl.col("mmsi")).alias("flag_iso2"),
            pl.col("imo").cast(pl.Int64, strict=False),
            pl.col("ship_type").cast(pl.Int16, strict=False),
            dims.struct.field("field_0").cast(pl.Float32, strict=False).alias("length_m"),
            dims.struct.field("field_1").cast(pl.Float32, strict=False).alias("beam_m"),
        )
        .select(
            "vessel_id",
            "mmsi",
            "imo",
            "name",
            "call_sign",
            "flag_iso2",
            "ship_type",
            "length_m",
            "beam_m",
            "valid_from",
            "valid_to",
        )
        .sort("vessel_id", "valid_from")
    )


def declarations(runs: pl.DataFrame) -> pl.DataFrame:
    """The ``declarations`` table: declared destination and draught over time per vessel.

    Args:
        runs: :func:`identity_runs` (noise already removed).

    Returns:
        ``vessel_id, field`` (``destination`` or ``draught_m``), ``value`` (as
        broadcast; draught in metres), ``draught_m`` (numeric, draught rows only),
        ``start_time, end_time, reports``.
    """
    return (
        runs.filter(pl.col("field").is_in(list(DECLARATION_FIELDS)))
        .select(
            "vessel_id",
            "field",
            pl.col("display").alias("value"),
            pl.when(pl.col("field") == "draught_m")
            .then(pl.col("value").cast(pl.Float64, strict=False))
            .alias("draught_m"),
            "start_time",
            "end_time",
            "reports",
        )
        .sort("vessel_id", "field", "start_time")
    )
