"""The package's gazetteer: ports, anchorages, Maritime Identification Digits, call-sign prefixes.

The tables are built from ``../shared/data`` by ``tools/build_package_data.py`` and
shipped inside the package (``shadowfleet/data/geo``); their origins and licences are
in ``shadowfleet/data/README.md``.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.spatial import cKDTree

from shadowfleet.errors import PackageDataError
from shadowfleet.geo.distance import EARTH_RADIUS_M

SANCTIONED_STATES: Final[frozenset[str]] = frozenset({"KP"})
"""ISO 3166-1 alpha-2 codes of states under a UN port-call embargo relevant here (DPRK)."""

# ITU call-sign series allocated to the flags the scenarios use (ITU Radio Regulations,
# Appendix 42). A call sign beginning with one of these prefixes was issued by that
# state, so a call sign of one state on an MMSI of another is a flag mismatch.
CALL_SIGN_PREFIXES: Final[dict[str, tuple[str, ...]]] = {
    "CN": ("B", "XS", "3H", "3I", "3J", "3K", "3L", "3M", "3N", "3O", "3P", "3Q", "3R", "3S", "3T", "3U"),
    "HK": ("VR",),
    "TW": ("BM", "BN", "BO", "BP", "BQ", "BV", "BX"),
    "KP": ("HM", "P5", "P6", "P7", "P8", "P9"),
    "KR": ("D7", "D8", "D9", "DS", "DT", "HL", "6K", "6L", "6M", "6N"),
    "JP": ("7J", "7K", "7L", "7M", "7N", "8J", "8K", "8L", "8M", "8N", "JA", "JD", "JJ", "JS"),
    "VN": ("3W", "XV"),
    "PA": ("3E", "3F", "H3", "H8", "H9", "HO", "HP"),
    "SL": ("9L",),
    "TG": ("5V",),
    "MN": ("JT", "JU", "JV"),
    "KH": ("XU",),
    "KM": ("D6",),
    "BZ": ("V3",),
    "TZ": ("5H", "5I"),
    "LR": ("5L", "5M", "6Z", "A8", "D5", "EL"),
    "MH": ("V7",),
    "SG": ("9V", "S6"),
    "RU": ("R", "U"),
}


def _data_file(name: str) -> pl.DataFrame:
    resource = resources.files("shadowfleet") / "data" / "geo" / name
    try:
        with resources.as_file(resource) as path:
            if name.endswith(".csv"):
                return pl.read_csv(path, infer_schema=False)
            return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise PackageDataError(f"packaged table geo/{name} cannot be read: {exc}") from exc


@functools.cache
def ports() -> pl.DataFrame:
    """Ports: UN/LOCODE ports of the ``searoute`` network plus World Port Index ports.

    Columns: ``locode`` (null for WPI-only ports), ``name``, ``country_name``, ``lat``,
    ``lon`` (degrees), ``country_iso2``, ``source`` (``searoute`` or ``wpi``),
    ``harbor_size`` (WPI only), ``sanctioned`` (port of a state in :data:`SANCTIONED_STATES`).
    """
    table = _data_file("ports.parquet")
    return table.with_columns(pl.col("country_iso2").is_in(list(SANCTIONED_STATES)).alias("sanctioned"))


@functools.cache
def anchorages() -> pl.DataFrame:
    """Global Fishing Watch anchorage points (places where vessels are seen to stop).

    Columns: ``s2id``, ``lat``, ``lon`` (degrees), ``label`` (nearest town or port),
    ``sublabel``, ``iso3``, ``country_iso2``.
    """
    return _data_file("anchorages.parquet")


@functools.cache
def mid_table() -> pl.DataFrame:
    """Maritime Identification Digits (ITU) and the state each is allocated to.

    Columns: ``mid`` (Int64), ``iso2``, ``country``.
    """
    table = _data_file("mid.csv")
    return table.select(pl.col("mid").cast(pl.Int64), pl.col("iso2"), pl.col("country")).filter(
        pl.col("iso2").is_not_null()
    )


@functools.cache
def mids_of(country_iso2: str) -> tuple[int, ...]:
    """The MIDs allocated to a state, in ascending order (empty when it has none)."""
    table = mid_table().filter(pl.col("iso2") == country_iso2)
    return tuple(sorted(int(m) for m in table["mid"]))


@functools.cache
def country_of_mid(mid: int) -> str | None:
    """The ISO 3166-1 alpha-2 state a MID is allocated to, or None when unallocated."""
    table = mid_table().filter(pl.col("mid") == mid)
    return None if table.is_empty() else str(table["iso2"][0])


def call_sign_country(call_sign: str) -> str | None:
    """The state whose ITU series a call sign belongs to (longest prefix wins), or None."""
    best: tuple[int, str | None] = (0, None)
    text = call_sign.strip().upper()
    for country, prefixes in CALL_SIGN_PREFIXES.items():
        for prefix in prefixes:
            if text.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), country)
    return best[1]


def port(locode: str) -> dict[str, object]:
    """One port by UN/LOCODE, as a dict of its columns.

    Raises:
        PackageDataError: When no port has that code.
    """
    rows = ports().filter(pl.col("locode") == locode)
    if rows.is_empty():
        raise PackageDataError(f"no port with UN/LOCODE {locode!r} in the gazetteer")
    return rows.row(0, named=True)


@functools.cache
def harbours() -> pl.DataFrame:
    """Every port and anchorage point of the gazetteer, as one table.

    Columns: ``name`` (the port's name; an anchorage's label), ``country_iso2``,
    ``lat``, ``lon`` (degrees), ``kind`` (``port`` or ``anchorage``), ``sanctioned``.
    """
    port_rows = ports().select(
        pl.col("name"), pl.col("country_iso2"), pl.col("lat"), pl.col("lon"), pl.lit("port").alias("kind")
    )
    anchorage_rows = anchorages().select(
        pl.col("label").alias("name"),
        pl.col("country_iso2"),
        pl.col("lat"),
        pl.col("lon"),
        pl.lit("anchorage").alias("kind"),
    )
    table = pl.concat([port_rows, anchorage_rows], how="vertical_relaxed")
    return table.with_columns(
        pl.col("country_iso2").is_in(list(SANCTIONED_STATES)).fill_null(False).alias("sanctioned")
    )


@functools.cache
def _harbour_tree() -> cKDTree:
    table = harbours()
    return cKDTree(_unit_vectors(table["lat"].to_numpy(), table["lon"].to_numpy()))


def nearest_harbour(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], max_m: float = 100_000.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Distance to the nearest :func:`harbours` point (metres, ``inf`` beyond ``max_m``) and its row (-1 then)."""
    if np.asarray(lat).size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    chord_max = 2 * np.sin(max_m / EARTH_RADIUS_M / 2)
    chord, index = _harbour_tree().query(
        _unit_vectors(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)),
        k=1,
        distance_upper_bound=chord_max,
    )
    found = np.isfinite(chord)
    distance = np.where(found, 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(np.where(found, chord, 0) / 2, 1.0)), np.inf)
    return distance, np.where(found, index, -1).astype(np.int64)


def _unit_vectors(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    phi, lam = np.radians(lat), np.radians(lon)
    result: npt.NDArray[np.float64] = np.column_stack(
        [np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)]
    )
    return result


def harbour_distance_m(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], max_m: float = 100_000.0
) -> npt.NDArray[np.float64]:
    """Great-circle distance from each point to the nearest gazetteer port or anchorage point, metres.

    Args:
        lat: Latitudes, degrees.
        lon: Longitudes, degrees.
        max_m: Distances beyond this are returned as ``inf`` (the search stops there).
    """
    return nearest_harbour(lat, lon, max_m)[0]
