"""AIS gaps, and the probability that the transmitter was off rather than unheard.

A gap is a silence longer than ``min_gap_h`` between consecutive fixes of a vessel
(across its tracks and MMSIs: a ship that goes dark and comes back under another
identity still left a gap). Whether a ship that kept transmitting could have stayed
unheard that long is learned from the data itself, in the spirit of Welch et al.
(2022) but as a probability instead of their hard rules (``reference/
detection-definitions.md`` §1.2, §1.4):

* **Reception windows.** Time is cut into aligned windows of ``window_h`` (12 h, the
  dominant period of satellite revisits). A window of a vessel is *covered* when the
  vessel is known to have been there throughout (fixes on both sides, with no silence
  in between that the model does not trust); it is *heard* when it holds a fix and
  *silent* otherwise. Its place is the first fix, or for a silent window the position
  interpolated along the silence. Counting windows per vessel-time, not per fix, keeps
  the 2-10 s terrestrial reports from drowning everything else.
* **Reception per cell.** For every ``cell_deg`` cell and reporting regime (class A or
  B, under way or stationary: ITU-R M.1371 rates differ tenfold), ``z1`` is the share of
  covered windows that were silent, and ``z2`` the share of silent windows followed by
  another silent one (a station outage or a coverage hole lasts; windows are not
  independent). Cells with few windows are shrunk towards their regime over all cells
  (``shrink_windows`` pseudo-windows), and every rate below is the upper
  ``credible_level`` bound of its Beta posterior rather than its mean: where the data
  are thin, the doubt goes to the vessel.
* **The vessel's own reception.** The same ``z1`` over the vessel's own windows in the
  ``own_days`` before the gap, shrunk to its cell: a weak class B set is unheard more
  often than its neighbours.
* **Silence if transmitting.** A gap spanning ``k`` whole windows has
  ``P = z1 · z2^(k-1)`` with the largest (least incriminating) ``z1`` of the start
  cell, the end cell and the vessel's own, and the larger ``z2`` of the two cells; a
  gap spanning no whole window gets ``P = 1`` (silences under 12 h are ordinary under
  satellite coverage, Welch et al.'s first rule).
* **Confidence** by Bayes with the prior ``prior_deliberate``:
  ``prior / (prior + (1 - prior) · P)``. A vessel that comes back under another MMSI
  (its transmitter was reprogrammed while silent: "static-data changes across the gap"
  is an indicator of deliberate disabling in the sanctions advisories) divides ``P``
  by ``identity_change_ratio``, the likelihood ratio of that change under a switch-off
  against a reception gap.
* **No circularity.** The model learns only from silences up to
  ``learn_max_silence_h`` (48 h): a longer one may itself be a switch-off, and letting
  switch-offs teach the model that silence is normal where they happen would hide
  them (Welch et al. keep suspected disabling out of their reception map for the same
  reason). Iterating instead (refit without the gaps scored deliberate) was measured to
  spiral: each refit saw better reception and flagged more, until ``z2`` reached 0.
* **Leaving the data.** A silent vessel may simply have sailed out of the area the data
  covers (and, for a closed gap, come back) — but only from a cell at the edge of the
  data (a neighbouring cell holds none): from inside, it would have been heard crossing
  the cells around. There, the share of covered windows in the cell that were some
  vessel's last before it vanished for good (vessels leave the data where they leave
  it) bounds ``P`` from below, so gaps at the edges of a regional feed score low and a
  ship that vanishes mid-sea scores high. A vessel silent from its last
  fix to the end of the data has an *open* gap.

* **Everyone else at the time.** The same share among the other vessels covered in the
  same outage cell during the gap's first (and last) window, among those last heard by
  the same kind of receiver: ``outage_cell_deg`` for terrestrial stations (a station
  reaches 40-70 nm), ``satellite_outage_cell_deg`` for satellites (one pass covers a
  swath thousands of kilometres wide). A station outage or a lapse in satellite passes
  silences everyone who depends on it at once, while a ship that goes silent where
  everyone else is heard has no such excuse.

Subtypes: ``in_port`` when the vessel was stopped at both ends, both within
``port_area_m`` of a gazetteer port or anchorage and of each other (a ship switching off
alongside, or shifting from anchorage to berth unheard, is ordinary port life and says
nothing about a voyage), else
``likely_deliberate`` at or above ``deliberate_confidence``, else ``reception``. A vessel
silent from its last fix to the end of the data has an *open* gap (no ``end_time``),
scored on the silence so far. ``details`` records every term: duration, distance,
implied speed, distance from land at both ends, the nearest port of a sanctioned state
to either end, areas of interest near either end, the reception terms and the number
of fixes in the 12 h before the gap.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl
import shapely
from scipy.stats import beta

from shadowfleet.config import AreaConfig, GapConfig
from shadowfleet.events.areas import load_areas
from shadowfleet.events.common import details, make_events, vessel_code
from shadowfleet.geo.distance import KNOT_M_PER_S, haversine_m
from shadowfleet.geo.gazetteer import harbours, nearest_harbour
from shadowfleet.geo.land import distance_to_land_m
from shadowfleet.schemas import EVENTS

F64 = npt.NDArray[np.float64]

_METRES_PER_DEGREE = 111_320.0
_LEARN_COLUMNS = ("_cell", "_coarse", "_regime", "_silent", "_next_silent")


def _cell(lat: pl.Expr, lon: pl.Expr, size: float) -> pl.Expr:
    row = ((lat + 90.0) / size).floor().cast(pl.Int64)
    col = (((lon + 180.0) % 360.0) / size).floor().cast(pl.Int64)
    return row * 100_000 + col


def _upper(successes: pl.Expr, trials: pl.Expr, prior: pl.Expr, shrink: float, level: float) -> pl.Expr:
    """Upper credible bound of a rate: the ``level`` quantile of its Beta posterior.

    The prior is ``shrink`` pseudo-trials at the rate ``prior`` on top of Jeffreys'
    Beta(1/2, 1/2) (without it, a near-zero prior rate puts all the mass at zero and
    the bound collapses below the mean); a bound rather than the mean, so that few
    windows give the vessel the benefit of the doubt.
    """

    def bound(values: pl.Series) -> pl.Series:
        fields = values.struct
        s = fields.field("s").cast(pl.Float64).fill_null(0.0).to_numpy()
        n = fields.field("n").cast(pl.Float64).fill_null(0.0).to_numpy()
        rate = fields.field("p").cast(pl.Float64).fill_null(1.0).to_numpy()
        a = s + shrink * rate + 0.5
        b = np.maximum(n - s, 0.0) + shrink * (1.0 - rate) + 0.5
        return pl.Series(np.asarray(beta.ppf(level, a, b), dtype=np.float64))

    return pl.struct(s=successes, n=trials, p=prior).map_batches(bound, return_dtype=pl.Float64)


def _coarse(lat: pl.Expr, lon: pl.Expr, sat: pl.Expr, sizes: tuple[float, float]) -> pl.Expr:
    """Outage cell: the terrestrial or satellite grid (by the receiver), receiver in the last bit."""
    return pl.when(sat == 1).then(_cell(lat, lon, sizes[1])).otherwise(_cell(lat, lon, sizes[0])) * 2 + sat


def _fixes(positions: pl.DataFrame, config: GapConfig) -> pl.DataFrame:
    """One row per usable fix, in time order per vessel, with the neighbouring fixes.

    The regime needs the speed: the reported one, else (feeds such as NOAA's without
    speed) the speed implied by the distance from the previous fix.
    """
    klass_b = (pl.col("transponder_class").cast(pl.String) == "B").fill_null(False)
    fixes = (
        positions.filter(pl.col("vessel_id").is_not_null())
        .select(
            vessel_code(positions).alias("_v"),
            "mmsi",
            "timestamp",
            (pl.col("timestamp").dt.epoch("us") / 1e6).alias("_t"),
            "lat",
            "lon",
            pl.col("sog_kn").cast(pl.Float64),
            klass_b.alias("_b"),
            (pl.col("receiver_class").cast(pl.String) == "satellite").fill_null(False).cast(pl.Int64).alias("_sat"),
        )
        .sort("_v", "timestamp")
    )
    vessel = fixes["_v"].to_numpy()
    t, lat, lon = fixes["_t"].to_numpy(), fixes["lat"].to_numpy(), fixes["lon"].to_numpy()
    implied = np.full(fixes.height, np.nan)
    if fixes.height > 1:
        same = vessel[1:] == vessel[:-1]
        step_m = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
        step_s = np.maximum(t[1:] - t[:-1], 1.0)
        implied[1:] = np.where(same, step_m / step_s / KNOT_M_PER_S, np.nan)
    speed = pl.coalesce(pl.col("sog_kn"), pl.col("_implied_kn"))
    stationary = (speed <= config.stationary_max_kn).fill_null(False)
    # Rows are in vessel order, so a neighbour is a plain shift, nulled across vessels.
    same_before = pl.col("_v") == pl.col("_v").shift(1)
    same_after = pl.col("_v") == pl.col("_v").shift(-1)

    def after(column: str) -> pl.Expr:
        return pl.when(same_after).then(pl.col(column).shift(-1))

    return (
        fixes.with_columns(pl.Series("_implied_kn", implied).fill_nan(None))
        .with_columns((pl.col("_b").cast(pl.Int8) * 2 + stationary.cast(pl.Int8)).alias("_regime"))
        .drop("sog_kn", "_b", "_implied_kn")
        .with_columns(
            pl.when(same_before).then(pl.col("_t").shift(1)).alias("_t_prev"),
            after("_t").alias("_t_next"),
            after("lat").alias("_lat_next"),
            after("lon").alias("_lon_next"),
            after("_regime").alias("_regime_next"),
            after("mmsi").alias("end_mmsi"),
            after("_sat").alias("_sat_next"),
        )
    )


def _vessel_names(positions: pl.DataFrame) -> pl.DataFrame:
    """``_v`` (the integer code :func:`_fixes` keys vessels by) → ``vessel_id``."""
    return (
        positions.filter(pl.col("vessel_id").is_not_null())
        .select(vessel_code(positions).alias("_v"), pl.col("vessel_id").cast(pl.String))
        .unique("_v")
    )


def _silent_windows(
    silences: pl.DataFrame, window_s: float, cell_deg: float, coarse_deg: tuple[float, float]
) -> pl.DataFrame:
    """The whole windows inside each silence, placed by interpolation along it."""
    first = (pl.col("_t") / window_s).ceil().cast(pl.Int64)
    last = (pl.col("_t_next") / window_s).floor().cast(pl.Int64) - 1
    spans = silences.with_columns(first.alias("_w0"), last.alias("_w1")).filter(pl.col("_w1") >= pl.col("_w0"))
    if spans.is_empty():
        return pl.DataFrame(schema={"_v": pl.Int64, "_w": pl.Int64, **dict.fromkeys(_LEARN_COLUMNS, pl.Int64)})
    windows = spans.with_columns(pl.int_ranges("_w0", pl.col("_w1") + 1).alias("_w")).explode("_w")
    fraction = ((pl.col("_w") + 0.5) * window_s - pl.col("_t")) / (pl.col("_t_next") - pl.col("_t"))
    d_lon = (pl.col("_lon_next") - pl.col("lon") + 180.0) % 360.0 - 180.0  # across the antimeridian
    lat = pl.col("lat") + fraction * (pl.col("_lat_next") - pl.col("lat"))
    lon = (pl.col("lon") + fraction * d_lon + 180.0) % 360.0 - 180.0
    return windows.select(
        "_v",
        "_w",
        _cell(lat, lon, cell_deg).alias("_cell"),
        _coarse(lat, lon, pl.col("_sat"), coarse_deg).alias("_coarse"),
        pl.col("_regime").cast(pl.Int64),
        pl.lit(1, pl.Int64).alias("_silent"),
        (pl.col("_w") < pl.col("_w1")).cast(pl.Int64).alias("_next_silent"),
    )


def _heard_windows(
    fixes: pl.DataFrame, trusted: pl.Expr, window_s: float, cell_deg: float, coarse_deg: tuple[float, float]
) -> pl.DataFrame:
    """Windows holding a fix, kept when the silences entering and leaving them are trusted."""
    return (
        fixes.with_columns(
            (pl.col("_t") / window_s).floor().cast(pl.Int64).alias("_w"), trusted.alias("_trusted_after")
        )
        .with_columns(
            pl.when(pl.col("_v") == pl.col("_v").shift(1))
            .then(pl.col("_trusted_after").shift(1))
            .alias("_trusted_before")
        )
        .group_by("_v", "_w")
        .agg(
            pl.col("lat").first(),
            pl.col("lon").first(),
            pl.col("_regime").first().cast(pl.Int64),
            pl.col("_sat").first(),
            pl.col("_trusted_before").first(),
            pl.col("_trusted_after").last(),
        )
        .filter(pl.col("_trusted_before").fill_null(False) & pl.col("_trusted_after").fill_null(False))
        .select(
            "_v",
            "_w",
            _cell(pl.col("lat"), pl.col("lon"), cell_deg).alias("_cell"),
            _coarse(pl.col("lat"), pl.col("lon"), pl.col("_sat"), coarse_deg).alias("_coarse"),
            "_regime",
            pl.lit(0, pl.Int64).alias("_silent"),
            pl.lit(0, pl.Int64).alias("_next_silent"),
        )
    )


def _reception(windows: pl.DataFrame, shrink: float, level: float) -> pl.DataFrame:
    """``z1`` and ``z2`` per cell and regime, shrunk towards the regime over all cells (upper bounds)."""
    pooled_silent = int(windows["_silent"].sum())
    pooled_z1 = pooled_silent / windows.height if windows.height else 1.0
    pooled_z2 = int(windows["_next_silent"].sum()) / pooled_silent if pooled_silent else 1.0
    by_regime = windows.group_by("_regime").agg(
        (pl.col("_silent").sum() / pl.len()).alias("_z1_regime"),
        pl.when(pl.col("_silent").sum() > 0)
        .then(pl.col("_next_silent").sum() / pl.col("_silent").sum())
        .otherwise(pooled_z2)
        .alias("_z2_regime"),
    )
    return (
        windows.group_by("_cell", "_regime")
        .agg(pl.len().alias("_n"), pl.col("_silent").sum().alias("_s"), pl.col("_next_silent").sum().alias("_ss"))
        .join(by_regime, on="_regime", how="left")
        .select(
            "_cell",
            "_regime",
            _upper(pl.col("_s"), pl.col("_n"), pl.col("_z1_regime"), shrink, level).alias("z1"),
            _upper(pl.col("_ss"), pl.col("_s"), pl.col("_z2_regime"), shrink, level).alias("z2"),
        )
        .vstack(  # regime-wide rows (cell -1) for places no one else was seen
            by_regime.select(
                pl.lit(-1, pl.Int64).alias("_cell"),
                "_regime",
                pl.col("_z1_regime").alias("z1"),
                pl.col("_z2_regime").alias("z2"),
            )
        )
        .with_columns(pl.lit(pooled_z1).alias("_pooled_z1"), pl.lit(pooled_z2).alias("_pooled_z2"))
    )


def _lookup(gaps: pl.DataFrame, table: pl.DataFrame, cell: str, regime: str, suffix: str) -> pl.DataFrame:
    """Attach ``z1``/``z2`` of a cell and regime, falling back to the regime, then to all."""
    exact = table.filter(pl.col("_cell") >= 0).select(
        pl.col("_cell").alias(cell),
        pl.col("_regime").alias(regime),
        pl.col("z1").alias("_e1"),
        pl.col("z2").alias("_e2"),
    )
    wide = table.filter(pl.col("_cell") < 0).select(
        pl.col("_regime").alias(regime), pl.col("z1").alias("_r1"), pl.col("z2").alias("_r2")
    )
    pooled_z1 = float(table["_pooled_z1"][0]) if table.height else 1.0
    pooled_z2 = float(table["_pooled_z2"][0]) if table.height else 1.0
    return (
        gaps.join(exact, on=[cell, regime], how="left")
        .join(wide, on=regime, how="left")
        .with_columns(
            pl.coalesce("_e1", "_r1", pl.lit(pooled_z1)).alias(f"z1_{suffix}"),
            pl.coalesce("_e2", "_r2", pl.lit(pooled_z2)).alias(f"z2_{suffix}"),
        )
        .drop("_e1", "_e2", "_r1", "_r2")
    )


def _score(gaps: pl.DataFrame, windows: pl.DataFrame, config: GapConfig) -> pl.DataFrame:
    """Confidence of each gap under the reception model fitted on ``windows``."""
    level = config.credible_level
    table = _reception(windows, config.shrink_windows, level)
    scored = _lookup(gaps, table, "_cell_start", "_regime", "start")
    scored = _lookup(scored, table, "_cell_end", "_regime_next", "end")
    window_s = config.window_h * 3600.0
    own = (
        scored.select("_gap", "_v", "_t", "z1_start")
        .join(windows.select("_v", "_w", "_silent"), on="_v", how="inner")
        .filter(
            ((pl.col("_w") + 1) * window_s <= pl.col("_t"))
            & (pl.col("_w") * window_s >= pl.col("_t") - config.own_days * 86_400.0)
        )
        .group_by("_gap")
        .agg(pl.len().alias("_own_n"), pl.col("_silent").sum().alias("_own_s"))
    )
    shrink = config.shrink_windows
    at_time = windows.group_by("_coarse", "_w").agg(pl.len().alias("_n"), pl.col("_silent").sum().alias("_s"))
    for end, coarse, window, z1 in (
        ("start", "_coarse_start", "_w_first", "z1_start"),
        ("end", "_coarse_end", "_w_last", "z1_end"),
    ):
        # Others heard or not in the same place and window; the gap's own silent window,
        # when it was learned from, is taken out.
        own_window = (pl.col("_learned") & (pl.col("windows") > 0)).cast(pl.Int64)
        scored = (
            scored.join(at_time.rename({"_coarse": coarse, "_w": window}), on=[coarse, window], how="left")
            .with_columns(
                _upper(
                    (pl.col("_s").fill_null(0) - own_window).clip(0),
                    (pl.col("_n").fill_null(0) - own_window).clip(0),
                    pl.col(z1),
                    shrink,
                    level,
                ).alias(f"z1_others_{end}")
            )
            .drop("_n", "_s")
        )
    return (
        scored.join(own, on="_gap", how="left")
        .with_columns(
            _upper(pl.col("_own_s").fill_null(0), pl.col("_own_n").fill_null(0), pl.col("z1_start"), shrink, level)
            .fill_nan(1.0)
            .alias("z1_own")
        )
        .with_columns(
            pl.max_horizontal("z1_start", "z1_end", "z1_own", "z1_others_start", "z1_others_end").alias("_z1"),
            pl.max_horizontal("z2_start", "z2_end").alias("_z2"),
        )
        .with_columns(
            pl.when(pl.col("windows") <= 0)
            .then(1.0)
            .otherwise(pl.col("_z1") * pl.col("_z2").pow(pl.col("windows") - 1))
            .clip(0.0, 1.0)
            .alias("p_silent_if_on")
        )
        .drop("_own_n", "_own_s")
    )


def _leaving(
    scored: pl.DataFrame, fixes: pl.DataFrame, windows: pl.DataFrame, data_end: float, config: GapConfig
) -> pl.DataFrame:
    """Bound ``P`` by the rate at which vessels leave the data in the gap's cell; add the confidence."""
    min_gap_s = config.min_gap_h * 3600.0
    endings = (
        fixes.filter(pl.col("_t_next").is_null() & (data_end - pl.col("_t") > min_gap_s))
        .select(_cell(pl.col("lat"), pl.col("lon"), config.cell_deg).alias("_cell_start"))
        .group_by("_cell_start")
        .agg(pl.len().alias("_endings"))
    )
    exposure = windows.group_by(pl.col("_cell").alias("_cell_start")).agg(pl.len().alias("_windows"))
    # Only at the edge of the data (a neighbouring cell without any) can a vessel sail
    # out of it; from inside it would be heard crossing the cells around.
    seen = exposure["_cell_start"]
    offsets = [dr * 100_000 + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    edge = pl.any_horizontal(*[~(pl.col("_cell_start") + offset).is_in(seen.implode()) for offset in offsets])
    total_windows = max(windows.height, 1)
    pooled = int(endings["_endings"].sum()) / total_windows
    shrink = config.shrink_windows
    prior = config.prior_deliberate
    leave = (pl.col("_endings").fill_null(0) + shrink * pooled) / (pl.col("_windows").fill_null(0) + shrink)
    # The vessel came back broadcasting another MMSI (the transmitter was reprogrammed).
    changed = (pl.col("end_mmsi") != pl.col("mmsi")).fill_null(False)
    return (
        scored.join(endings, on="_cell_start", how="left")
        .join(exposure, on="_cell_start", how="left")
        .with_columns(pl.when(edge).then(leave.clip(0.0, 1.0)).otherwise(0.0).alias("p_left_data"))
        .with_columns(
            pl.when(pl.col("windows") > 0)
            .then(pl.max_horizontal("p_silent_if_on", "p_left_data"))
            .otherwise(pl.col("p_silent_if_on"))
            .alias("p_silent_if_on")
        )
        .with_columns(changed.alias("identity_changed"))
        .with_columns(
            (
                prior
                / (
                    prior
                    + (1 - prior)
                    * pl.col("p_silent_if_on")
                    / pl.when(pl.col("identity_changed")).then(config.identity_change_ratio).otherwise(1.0)
                )
            ).alias("confidence")
        )
        .drop("_endings", "_windows")
    )


def _nearest_sanctioned(lat: F64, lon: F64) -> tuple[F64, list[str | None]]:
    table = harbours().filter(pl.col("sanctioned"))
    if table.is_empty() or lat.size == 0:
        return np.full(lat.size, np.nan), [None] * lat.size
    s_lat, s_lon = table["lat"].to_numpy(), table["lon"].to_numpy()
    names = table["name"].to_list()
    distance = haversine_m(lat[:, None], lon[:, None], s_lat[None, :], s_lon[None, :])
    nearest = distance.argmin(axis=1)
    return distance[np.arange(lat.size), nearest], [names[i] for i in nearest]


def _areas_near(lat: F64, lon: F64, areas: list[tuple[str, shapely.Geometry]], near_m: float) -> list[str | None]:
    """Names of the areas within ``near_m`` of each point (approximate: degrees as 111.32 km)."""
    points = shapely.points(lon, lat)
    found: list[list[str]] = [[] for _ in range(lat.size)]
    for name, geometry in areas:
        close = shapely.distance(geometry, points) * _METRES_PER_DEGREE <= near_m
        for index in np.flatnonzero(close):
            found[index].append(name)
    return [", ".join(names) if names else None for names in found]


def detect_gaps(positions: pl.DataFrame, config: GapConfig, areas: AreaConfig | None = None) -> pl.DataFrame:
    """``ais_gap`` events with the probability the transmitter was off (see the module notes).

    Args:
        positions: Segmented positions with ``vessel_id`` (noise rows null, ignored),
            ``sog_kn`` and ``transponder_class``.
        config: Gap configuration.
        areas: Areas of interest recorded when near either end of a gap (the packaged
            defaults when not given).

    Returns:
        ``events`` rows of type ``ais_gap``.
    """
    fixes = _fixes(positions, config)
    if fixes.height < 2:
        return make_events(pl.DataFrame())
    window_s = config.window_h * 3600.0
    outage = (config.outage_cell_deg, config.satellite_outage_cell_deg)
    data_end = float(fixes["_t"].max())  # type: ignore[arg-type]
    min_gap_s = config.min_gap_h * 3600.0
    silence = pl.col("_t_next") - pl.col("_t")
    closed = fixes.filter(silence > min_gap_s)
    open_ = (
        fixes.filter(pl.col("_t_next").is_null() & (data_end - pl.col("_t") > min_gap_s))
        .with_columns(
            pl.lit(data_end).alias("_t_next"), pl.col("lat").alias("_lat_next"), pl.col("lon").alias("_lon_next")
        )
        .with_columns(pl.col("_regime").alias("_regime_next"), pl.col("_sat").alias("_sat_next"))
    )
    gaps = (
        pl.concat([closed.with_columns(pl.lit(False).alias("open")), open_.with_columns(pl.lit(True).alias("open"))])
        .with_row_index("_gap")
        .with_columns(
            _cell(pl.col("lat"), pl.col("lon"), config.cell_deg).alias("_cell_start"),
            _cell(pl.col("_lat_next"), pl.col("_lon_next"), config.cell_deg).alias("_cell_end"),
            _coarse(pl.col("lat"), pl.col("lon"), pl.col("_sat"), outage).alias("_coarse_start"),
            _coarse(pl.col("_lat_next"), pl.col("_lon_next"), pl.col("_sat_next"), outage).alias("_coarse_end"),
            (pl.col("_t") / window_s).ceil().cast(pl.Int64).alias("_w_first"),
            ((pl.col("_t_next") / window_s).floor().cast(pl.Int64) - 1).alias("_w_last"),
            (pl.col("_t_next") - pl.col("_t") <= config.learn_max_silence_h * 3600.0).alias("_learned"),
            (
                (pl.col("_t_next") / window_s).floor().cast(pl.Int64) - (pl.col("_t") / window_s).ceil().cast(pl.Int64)
            ).alias("windows"),
            pl.col("_regime").cast(pl.Int64),
            pl.col("_regime_next").cast(pl.Int64),
        )
    )
    if gaps.is_empty():
        return make_events(pl.DataFrame())

    trusted = (silence <= config.learn_max_silence_h * 3600.0).fill_null(False)
    windows = pl.concat(
        [
            _heard_windows(fixes, trusted, window_s, config.cell_deg, outage),
            _silent_windows(fixes.filter(trusted), window_s, config.cell_deg, outage),
        ]
    )
    scored = _score(gaps, windows, config)
    scored = _leaving(scored, fixes, windows, data_end, config)
    return _events(scored, fixes, _vessel_names(positions), config, areas)


def _events(
    scored: pl.DataFrame, fixes: pl.DataFrame, vessel_names: pl.DataFrame, config: GapConfig, areas: AreaConfig | None
) -> pl.DataFrame:
    """The scored gaps as ``events`` rows with their evidence."""
    lat0, lon0 = scored["lat"].to_numpy(), scored["lon"].to_numpy()
    lat1, lon1 = scored["_lat_next"].to_numpy(), scored["_lon_next"].to_numpy()
    is_open = scored["open"].to_numpy()
    duration_h = (scored["_t_next"] - scored["_t"]).to_numpy() / 3600.0
    distance = np.where(is_open, np.nan, haversine_m(lat0, lon0, lat1, lon1))
    harbour0, index0 = nearest_harbour(lat0, lon0)
    harbour1 = nearest_harbour(lat1, lon1)[0]
    stopped = (scored["_regime"].to_numpy() % 2 == 1) & (scored["_regime_next"].to_numpy() % 2 == 1)
    in_port = (
        ~is_open
        & stopped
        & (harbour0 <= config.port_area_m)
        & (harbour1 <= config.port_area_m)
        & (np.nan_to_num(distance, nan=np.inf) <= config.port_area_m)
    )
    names = harbours()["name"].to_list()
    port_name = [names[i] if port and i >= 0 else None for port, i in zip(in_port, index0, strict=True)]
    sanctioned0, sanctioned_name0 = _nearest_sanctioned(lat0, lon0)
    sanctioned1, sanctioned_name1 = _nearest_sanctioned(lat1, lon1)
    area_list = load_areas((areas or AreaConfig()).path)
    areas0 = _areas_near(lat0, lon0, area_list, config.area_near_m)
    areas1 = _areas_near(lat1, lon1, area_list, config.area_near_m)
    # Fixes in the 12 h before each gap: fixes are sorted by (vessel, time), so one
    # binary search on a combined key counts them.
    span = 2.0**33  # seconds; more than any epoch of AIS (year 2242)
    key = fixes["_v"].to_numpy().astype(np.float64) * span + fixes["_t"].to_numpy()
    gap_key = scored["_v"].to_numpy().astype(np.float64) * span + scored["_t"].to_numpy()
    before = np.searchsorted(key, gap_key, side="right") - np.searchsorted(key, gap_key - 12 * 3600.0, side="right")
    scored = scored.with_columns(pl.Series("fixes_12h_before", before, dtype=pl.Int64)).join(
        vessel_names, on="_v", how="left"
    )
    confidence = scored["confidence"].to_numpy()
    subtype = np.where(
        in_port, "in_port", np.where(confidence >= config.deliberate_confidence, "likely_deliberate", "reception")
    )
    regime_names = np.array(["A under way", "A stationary", "B under way", "B stationary"])
    frame = scored.select(
        pl.lit("ais_gap").alias("event_type"),
        pl.Series("subtype", subtype),
        "vessel_id",
        "mmsi",
        "timestamp",
        pl.when(pl.col("open"))
        .then(None)
        .otherwise(pl.from_epoch((pl.col("_t_next") * 1e6).round().cast(pl.Int64), "us").dt.replace_time_zone("UTC"))
        .alias("end_time"),
        "lat",
        "lon",
        pl.Series("port_name", port_name, dtype=pl.String),
        pl.col("confidence").round(4),
        pl.Series("duration_h", np.round(duration_h, 2)),
        pl.Series("distance_m", np.round(distance)),
        pl.Series("implied_speed_kn", np.round(distance / np.maximum(duration_h * 3600.0, 1.0) / KNOT_M_PER_S, 2)),
        pl.col("_lat_next").round(5).alias("end_lat"),
        pl.col("_lon_next").round(5).alias("end_lon"),
        "end_mmsi",
        "identity_changed",
        "open",
        pl.Series("shore_start_m", distance_to_land_m(lat0, lon0)),
        pl.Series("shore_end_m", np.where(is_open, np.nan, distance_to_land_m(lat1, lon1))),
        pl.Series("sanctioned_port_start", sanctioned_name0, dtype=pl.String),
        pl.Series("sanctioned_port_start_m", np.round(sanctioned0)),
        pl.Series(
            "sanctioned_port_end",
            [None if o else n for o, n in zip(is_open, sanctioned_name1, strict=True)],
            dtype=pl.String,
        ),
        pl.Series("sanctioned_port_end_m", np.where(is_open, np.nan, np.round(sanctioned1))),
        pl.Series("areas_start", areas0, dtype=pl.String),
        pl.Series("areas_end", [None if o else a for o, a in zip(is_open, areas1, strict=True)], dtype=pl.String),
        pl.Series("regime", regime_names[scored["_regime"].to_numpy()]),
        "windows",
        pl.col("z1_start").round(5),
        pl.col("z1_end").round(5),
        pl.col("z1_own").round(5),
        pl.col("z1_others_start").round(5),
        pl.col("z1_others_end").round(5),
        pl.max_horizontal("z2_start", "z2_end").round(5).alias("z2"),
        pl.col("p_silent_if_on").round(8),
        pl.col("p_left_data").round(5),
        pl.col("fixes_12h_before").fill_null(0),
    ).rename({"timestamp": "start_time"})
    frame = frame.with_columns(pl.col(pl.Float64).fill_nan(None))
    evidence = [c for c in frame.columns if c not in EVENTS]  # everything measured goes to details
    return make_events(frame.with_columns(details(**{c: pl.col(c) for c in evidence})), id_subtype=False)
