"""Identity events: changes and anomalies of a vessel's identity (``DESIGN.md`` §5 Identity).

Changes of name, flag, MMSI, IMO, call sign, ship type and dimensions; anomalies of
MID, flag and IMO.

Both work on what :mod:`shadowfleet.tracks.identity` established: the kept runs of
each identity field per vessel (noise removed) and the vessel's MMSI periods.
"""

from __future__ import annotations

import polars as pl

from shadowfleet.config import IdentityConfig
from shadowfleet.events.common import details, make_events
from shadowfleet.geo.gazetteer import call_sign_country
from shadowfleet.ingest.ais import imo_check_digit_ok

CHANGE_FIELDS = ("name", "call_sign", "imo", "ship_type", "dimensions")


def _locate(events: pl.DataFrame, fixes: pl.DataFrame, at: str) -> pl.DataFrame:
    """Attach the vessel's MMSI and position in force at time ``at`` (nearest fix).

    ``fixes`` may carry ``vessel_id`` as a category; only the fixes of the vessels
    with events are looked at.
    """
    wanted = events["vessel_id"].unique().drop_nulls()
    relevant = fixes.filter(pl.col("vessel_id").cast(pl.String).is_in(wanted.implode())).select(
        pl.col("vessel_id").cast(pl.String), "timestamp", "mmsi", "lat", "lon"
    )
    located = events.sort(at).join_asof(
        relevant.sort("timestamp"),
        left_on=at,
        right_on="timestamp",
        by="vessel_id",
        strategy="nearest",
        check_sortedness=False,
    )
    return located.drop("timestamp")


def _value_spans(runs: pl.DataFrame) -> pl.DataFrame:
    """Runs of one field merged per vessel and value: first and last report, total reports."""
    return runs.group_by("vessel_id", "field", "value").agg(
        pl.col("display").sort_by("reports").last(),
        pl.col("start_time").min(),
        pl.col("end_time").max(),
        pl.col("reports").sum(),
    )


def detect_identity_changes(
    runs: pl.DataFrame, mmsi_periods: pl.DataFrame, fixes: pl.DataFrame, config: IdentityConfig
) -> pl.DataFrame:
    """``identity_change`` events: a vessel's field takes a new, persistent value.

    The event spans from the last report of the old value to the first of the new
    (the change happened in between; the vessel may have been dark).

    Args:
        runs: :func:`shadowfleet.tracks.identity.identity_runs`.
        mmsi_periods: :func:`shadowfleet.tracks.identity.mmsi_periods`.
        fixes: ``vessel_id, timestamp, mmsi, lat, lon`` of the vessels' fixes.
        config: Identity configuration.
    """
    previous = pl.col("value").shift(1).over("vessel_id", "field")
    ordered = runs.filter(pl.col("field").is_in(CHANGE_FIELDS)).sort("vessel_id", "field", "start_time")
    # A change is a new value that stays: values that alternate (A B A B) are two
    # transmitters or two identities in use at once, reported as collisions and
    # anomalies, not as a stream of renamings.
    spans = ordered.group_by("vessel_id", "field", "value").agg(
        pl.col("start_time").min().alias("_value_first"), pl.col("end_time").max().alias("_value_last")
    )
    changes = (
        ordered.with_columns(
            previous.alias("before_key"),
            pl.col("display").shift(1).over("vessel_id", "field").alias("before"),
            pl.col("end_time").shift(1).over("vessel_id", "field").alias("before_end"),
        )
        .filter(pl.col("before_key").is_not_null() & (pl.col("before_key") != pl.col("value")))
        .join(spans, on=["vessel_id", "field", "value"])
        .join(
            spans.rename({"value": "before_key", "_value_first": "_before_first", "_value_last": "_before_last"}),
            on=["vessel_id", "field", "before_key"],
        )
        .filter((pl.col("_value_first") >= pl.col("start_time")) & (pl.col("_before_last") <= pl.col("before_end")))
    )
    dims_before = pl.col("before_key").str.split_exact("x", 1)
    dims_after = pl.col("value").str.split_exact("x", 1)
    small_dimension_change = (pl.col("field") == "dimensions") & (
        (
            (
                dims_before.struct.field("field_0").cast(pl.Float64, strict=False)
                - dims_after.struct.field("field_0").cast(pl.Float64, strict=False)
            ).abs()
            < config.dimension_change_min_m
        )
        & (
            (
                dims_before.struct.field("field_1").cast(pl.Float64, strict=False)
                - dims_after.struct.field("field_1").cast(pl.Float64, strict=False)
            ).abs()
            < config.dimension_change_min_m
        )
    )
    changes = changes.filter(~small_dimension_change.fill_null(False)).select(
        pl.lit("identity_change").alias("event_type"),
        pl.col("field").alias("subtype"),
        "vessel_id",
        pl.col("before_end").alias("start_time"),
        pl.col("start_time").alias("end_time"),
        details(before=pl.col("before"), after=pl.col("display"), reports_after=pl.col("reports")),
    )
    field_events = _locate(changes, fixes, "end_time")

    ordered = mmsi_periods.sort("vessel_id", "start_time")
    switched = ordered.with_columns(
        pl.col("mmsi").shift(1).over("vessel_id").alias("before_mmsi"),
        pl.col("flag_iso2").shift(1).over("vessel_id").alias("before_flag"),
        pl.col("end_time").shift(1).over("vessel_id").alias("before_end"),
    ).filter(pl.col("before_mmsi").is_not_null())
    mmsi_events = switched.select(
        pl.lit("identity_change").alias("event_type"),
        pl.lit("mmsi").alias("subtype"),
        "vessel_id",
        pl.col("before_end").alias("start_time"),
        pl.col("start_time").alias("end_time"),
        details(before=pl.col("before_mmsi"), after=pl.col("mmsi")),
    )
    flag_events = switched.filter(pl.col("flag_iso2").fill_null("") != pl.col("before_flag").fill_null("")).select(
        pl.lit("identity_change").alias("event_type"),
        pl.lit("flag").alias("subtype"),
        "vessel_id",
        pl.col("before_end").alias("start_time"),
        pl.col("start_time").alias("end_time"),
        details(before=pl.col("before_flag"), after=pl.col("flag_iso2")),
    )
    located = _locate(pl.concat([mmsi_events, flag_events]), fixes, "end_time")
    return make_events(pl.concat([field_events, located], how="diagonal_relaxed"))


def detect_identity_anomalies(
    runs: pl.DataFrame, mmsi_periods: pl.DataFrame, fixes: pl.DataFrame, config: IdentityConfig
) -> pl.DataFrame:
    """``identity_anomaly`` events.

    * ``invalid_mid``: the MMSI's Maritime Identification Digits are allocated to no
      state (or the MMSI is not a 9-digit ship MMSI).
    * ``mid_flag_mismatch``: the call sign belongs to another state's ITU series than
      the MMSI's MID (a false flag).
    * ``invalid_imo``: a broadcast IMO number fails its check digit.
    * ``imo_reused``: one IMO broadcast by two vessels over overlapping periods; the
      event goes to the vessel heard with it less often (the genuine ship is usually
      the one heard most), naming the other.
    """
    invalid_mid = mmsi_periods.filter(pl.col("flag_iso2").is_null()).select(
        pl.lit("identity_anomaly").alias("event_type"),
        pl.lit("invalid_mid").alias("subtype"),
        "vessel_id",
        "mmsi",
        "start_time",
        "end_time",
        details(mid=(pl.col("mmsi") // 1_000_000)),
    )

    # One anomaly per vessel and offending value, over every run of that value.
    call_signs = _value_spans(runs.filter(pl.col("field") == "call_sign"))
    countries = {
        value: call_sign_country(value) for value in call_signs["value"].unique().to_list() if value is not None
    }
    mismatch = (
        call_signs.with_columns(
            pl.col("value").replace_strict(countries, default=None, return_dtype=pl.String).alias("call_sign_flag")
        )
        .filter(pl.col("call_sign_flag").is_not_null())
        .join(mmsi_periods, on="vessel_id", suffix="_mmsi")
        .filter(
            pl.col("flag_iso2").is_not_null()
            & (pl.col("flag_iso2") != pl.col("call_sign_flag"))
            & (pl.col("start_time") <= pl.col("end_time_mmsi"))
            & (pl.col("end_time") >= pl.col("start_time_mmsi"))
        )
        .select(
            pl.lit("identity_anomaly").alias("event_type"),
            pl.lit("mid_flag_mismatch").alias("subtype"),
            "vessel_id",
            "mmsi",
            pl.max_horizontal("start_time", "start_time_mmsi").alias("start_time"),
            pl.min_horizontal("end_time", "end_time_mmsi").alias("end_time"),
            details(mid_flag=pl.col("flag_iso2"), call_sign=pl.col("display"), call_sign_flag=pl.col("call_sign_flag")),
        )
    )

    reported = _value_spans(runs.filter(pl.col("field") == "imo_reported")).with_columns(
        pl.col("value").cast(pl.Int64, strict=False).alias("_imo")
    )
    invalid_imo = reported.filter(
        pl.col("_imo").is_not_null()
        & ~pl.col("_imo").map_batches(lambda s: pl.Series(imo_check_digit_ok(s.to_numpy())))
    ).select(
        pl.lit("identity_anomaly").alias("event_type"),
        pl.lit("invalid_imo").alias("subtype"),
        "vessel_id",
        "start_time",
        "end_time",
        details(imo=pl.col("_imo"), reports=pl.col("reports")),
    )

    imos = runs.filter(pl.col("field") == "imo").select("vessel_id", "value", "start_time", "end_time", "reports")
    totals = imos.group_by("vessel_id", "value").agg(pl.col("reports").sum().alias("total"))
    imos = imos.join(totals, on=["vessel_id", "value"])
    overlap_min = pl.duration(seconds=round(config.imo_overlap_min_h * 3600))
    reused = (
        imos.join(imos, on="value", suffix="_other")
        .filter(
            (pl.col("vessel_id") != pl.col("vessel_id_other"))
            & (
                pl.min_horizontal("end_time", "end_time_other") - pl.max_horizontal("start_time", "start_time_other")
                >= overlap_min
            )
            # the less-heard side carries the event (ties: the larger vessel id, arbitrary but stable)
            & (
                (pl.col("total") < pl.col("total_other"))
                | ((pl.col("total") == pl.col("total_other")) & (pl.col("vessel_id") > pl.col("vessel_id_other")))
            )
        )
        .select(
            pl.lit("identity_anomaly").alias("event_type"),
            pl.lit("imo_reused").alias("subtype"),
            "vessel_id",
            pl.col("vessel_id_other").alias("other_vessel_id"),
            pl.max_horizontal("start_time", "start_time_other").alias("start_time"),
            pl.min_horizontal("end_time", "end_time_other").alias("end_time"),
            details(imo=pl.col("value"), reports=pl.col("total"), reports_other=pl.col("total_other")),
        )
    )
    other_mmsi = (
        mmsi_periods.group_by("vessel_id", "mmsi")
        .agg(pl.col("n_positions").sum())
        .sort("n_positions", "mmsi", descending=[True, False])
        .group_by("vessel_id", maintain_order=True)
        .agg(pl.col("mmsi").first().alias("other_mmsi"))
    )
    reused = reused.join(other_mmsi.rename({"vessel_id": "other_vessel_id"}), on="other_vessel_id", how="left")

    located = _locate(
        pl.concat([invalid_mid.drop("mmsi"), mismatch.drop("mmsi"), invalid_imo, reused], how="diagonal_relaxed"),
        fixes,
        "start_time",
    )
    return make_events(located)
