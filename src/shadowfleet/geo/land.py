"""Land and water, from the 1 km global land mask of the ``global-land-mask`` package.

The package's raster (GLOBE, 1/120°, lakes counted as land) is read from its own data
file and kept packed eight cells to a byte: 117 MB in memory instead of the 933 MB
the package holds once imported, and indexed directly, with the package's truncating
cell arithmetic (tests compare the two lookups point for point).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
import numpy.typing as npt
from scipy import ndimage

from shadowfleet.errors import GeoError, PackageDataError
from shadowfleet.geo.distance import destination

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Raster:
    """The GLOBE water raster, packed to bits.

    Attributes:
        packed: ``np.packbits`` of the ocean mask along longitude: (rows, columns / 8).
        lat0: Latitude of the first row's edge (90°), degrees.
        lat_step: Row step, degrees (negative: rows run southwards).
        lon0: Longitude of the first column's edge (-180°), degrees.
        lon_step: Column step, degrees.
        n_rows: Rows.
        n_cols: Columns.
    """

    packed: U8
    lat0: float
    lat_step: float
    lon0: float
    lon_step: float
    n_rows: int
    n_cols: int

    def rows(self, lat: F64) -> I64:
        """Row of each latitude (clamped)."""
        result: I64 = np.clip(((lat - self.lat0) / self.lat_step).astype(np.int64), 0, self.n_rows - 1)
        return result

    def cols(self, lon: F64) -> I64:
        """Column of each longitude (wrapped)."""
        result: I64 = np.floor((lon - self.lon0) / self.lon_step).astype(np.int64) % self.n_cols
        return result

    def water(self, rows: I64, cols: I64) -> Mask:
        """Whether each cell is water."""
        bits = (self.packed[rows, cols >> 3] >> (7 - (cols & 7))) & 1
        result: Mask = bits.astype(bool)
        return result

    def window(self, row0: int, row1: int, col0: int, col1: int) -> Mask:
        """Water of rows [row0, row1) and columns [col0, col1) (columns wrap around the globe)."""
        row0, row1 = max(0, row0), min(self.n_rows, row1)
        if col0 >= 0 and col1 <= self.n_cols:
            first, last = col0 >> 3, (col1 - 1 >> 3) + 1
            bits = np.unpackbits(self.packed[row0:row1, first:last], axis=1)
            result: Mask = bits[:, col0 - 8 * first : col1 - 8 * first].astype(bool)
            return result
        unpacked = np.unpackbits(self.packed[row0:row1], axis=1)[:, np.arange(col0, col1) % self.n_cols]
        wrapped: Mask = unpacked.astype(bool)
        return wrapped


def _raster_of(packed: U8, geometry: F64) -> Raster:
    lat0, lat_step, lon0, lon_step, n_rows, n_cols = (float(g) for g in geometry)
    return Raster(packed, lat0, lat_step, lon0, lon_step, int(n_rows), int(n_cols))


def _cache_dir() -> Path:
    base = os.environ.get("SHADOWFLEET_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "shadowfleet"
    )
    return Path(base)


@functools.cache
def raster() -> Raster:
    """The packed raster.

    Built once from the ``global-land-mask`` package's data file (a few seconds, ~2 GB
    transiently while the package's file is decompressed) and kept in the user cache
    (``$SHADOWFLEET_CACHE`` or ``~/.cache/shadowfleet``) as a 117 MB file that later
    runs memory-map: only the pages of the regions looked at are ever read.
    """
    # Located without importing the package, whose import alone loads the whole raster.
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or not spec.submodule_search_locations:
        raise PackageDataError("the global-land-mask package is not installed")
    source = Path(next(iter(spec.submodule_search_locations))) / "globe_combined_mask_compressed.npz"
    stamp = f"{source.stat().st_size}-{int(source.stat().st_mtime)}"
    cached = _cache_dir() / f"globe-land-mask-{stamp}.npy"
    header = _cache_dir() / f"globe-land-mask-{stamp}.geometry.npy"
    if not (cached.exists() and header.exists()):
        with np.load(source) as data:
            lat, lon = data["lat"], data["lon"]
            packed = np.packbits(data["mask"], axis=1)
        geometry = np.array([lat[0], lat[1] - lat[0], lon[0], lon[1] - lon[0], lat.size, lon.size])
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            for path, array in ((header, geometry), (cached, packed)):
                temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                with open(temporary, "wb") as handle:
                    np.save(handle, array)
                os.replace(temporary, path)
        except OSError:  # a read-only cache: keep the raster in memory for this process
            return _raster_of(packed, geometry)
    packed = np.load(cached, mmap_mode="r")
    geometry = np.load(header)
    return _raster_of(packed, geometry)


def is_land(lat: F64 | float, lon: F64 | float) -> Mask:
    """Whether each point is on land in the 1 km GLOBE land mask (lakes count as land).

    Longitudes are wrapped into [-180, 180); latitudes beyond the raster are clamped.
    """
    grid = raster()
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = (np.atleast_1d(np.asarray(lon, dtype=np.float64)) + 180.0) % 360.0 - 180.0
    rows = grid.rows(lat_a)
    cols = np.clip(((lon_a - grid.lon0) / grid.lon_step).astype(np.int64), 0, grid.n_cols - 1)
    result: Mask = ~grid.water(rows, cols)
    return result


@numba.njit(cache=True, nogil=True)
def crosses_land(r: float, c: float, r1: float, c1: float, packed: U8, n_cols: int) -> bool:  # pragma: no cover
    """Whether the segment between two fractional (row, column) raster positions touches land.

    A grid traversal (Amanatides & Woo 1987): every cell the segment passes through is
    visited, in order, until land or the end cell.
    """
    n_rows = packed.shape[0]
    dr, dc = r1 - r, c1 - c
    cell_r, cell_c = int(np.floor(r)), int(np.floor(c))
    end_r, end_c = int(np.floor(r1)), int(np.floor(c1))
    step_r = 1 if dr > 0 else -1
    step_c = 1 if dc > 0 else -1
    t_delta_r = abs(1.0 / dr) if dr != 0 else np.inf
    t_delta_c = abs(1.0 / dc) if dc != 0 else np.inf
    if dr > 0:
        t_max_r = (cell_r + 1 - r) / dr
    elif dr < 0:
        t_max_r = (cell_r - r) / dr
    else:
        t_max_r = np.inf
    if dc > 0:
        t_max_c = (cell_c + 1 - c) / dc
    elif dc < 0:
        t_max_c = (cell_c - c) / dc
    else:
        t_max_c = np.inf
    for _ in range(abs(end_r - cell_r) + abs(end_c - cell_c) + 1):
        rr = min(max(cell_r, 0), n_rows - 1)
        cc = cell_c % n_cols
        if not (packed[rr, cc >> 3] >> (7 - (cc & 7))) & 1:
            return True
        if cell_r == end_r and cell_c == end_c:
            return False
        if t_max_r < t_max_c:
            cell_r += step_r
            t_max_r += t_delta_r
        else:
            cell_c += step_c
            t_max_c += t_delta_c
    return False


@numba.njit(cache=True, nogil=True)
def _cross_land_kernel(row0: F64, col0: F64, row1: F64, col1: F64, packed: U8, n_cols: int) -> Mask:  # pragma: no cover
    out = np.zeros(row0.size, dtype=np.bool_)
    for k in range(row0.size):
        out[k] = crosses_land(row0[k], col0[k], row1[k], col1[k], packed, n_cols)
    return out


def segments_cross_land(lat1: F64 | float, lon1: F64 | float, lat2: F64 | float, lon2: F64 | float) -> Mask:
    """Whether each straight segment (linear in latitude and longitude) touches a land cell.

    Exact for the raster: every mask cell the segment passes through is visited (a
    grid traversal computes the cell boundaries it crosses; nothing is sampled), so a
    segment found clear is water at every point along it, however finely it is later
    sampled. Segments must not cross the antimeridian.
    """
    lat1, lon1, lat2, lon2 = (np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (lat1, lon1, lat2, lon2))
    grid = raster()
    result: Mask = _cross_land_kernel(
        (lat1 - grid.lat0) / grid.lat_step,
        (lon1 - grid.lon0) / grid.lon_step,
        (lat2 - grid.lat0) / grid.lat_step,
        (lon2 - grid.lon0) / grid.lon_step,
        grid.packed,
        grid.n_cols,
    )
    return result


@dataclass(frozen=True, eq=False)
class OpenSea:
    """The water cells of a region connected to its largest body of water.

    The 1 km mask holds enclosed pockets of water (docks, lagoons, rivers cut by the
    resolution) from which no ship can reach the sea; places chosen for ships must lie
    in the open sea.

    Attributes:
        row0: Mask row of the first row held.
        col0: Mask column of the first column held.
        connected: Whether each cell of the region is open sea.
    """

    row0: int
    col0: int
    connected: Mask

    @classmethod
    def of_region(cls, south: float, north: float, west: float, east: float) -> OpenSea:
        """Label the region's water and keep the largest connected body.

        Cells count as connected across an edge only (4-connectivity), as ships are
        routed: a diagonal step between water cells is allowed only when the cells
        beside it are water too, which makes it a pair of edge steps.
        """
        grid = raster()
        row0 = max(0, int((north - grid.lat0) / grid.lat_step))
        row1 = min(grid.n_rows, int((south - grid.lat0) / grid.lat_step) + 1)
        col0 = int(np.floor((west - grid.lon0) / grid.lon_step))
        col1 = int(np.floor((east - grid.lon0) / grid.lon_step)) + 1
        water = grid.window(row0, row1, col0, col1)
        labels, count = ndimage.label(water)
        if count == 0:
            return cls(row0, col0, np.zeros_like(water))
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        return cls(row0, col0, labels == int(np.argmax(sizes)))

    def contains(self, lat: F64 | float, lon: F64 | float) -> Mask:
        """Whether each point is in the open sea (False outside the region)."""
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        grid = raster()
        rows = ((lat_a - grid.lat0) / grid.lat_step).astype(np.int64) - self.row0
        cols = np.floor((lon_a - grid.lon0) / grid.lon_step).astype(np.int64) - self.col0
        inside = (rows >= 0) & (rows < self.connected.shape[0]) & (cols >= 0) & (cols < self.connected.shape[1])
        result: Mask = np.zeros(lat_a.size, dtype=bool)
        result[inside] = self.connected[rows[inside], cols[inside]]
        return result


def clear_of_land(lat: F64 | float, lon: F64 | float, radius_m: float, bearings: int = 16) -> Mask:
    """Whether each point is water with no land within ``radius_m`` metres.

    Checked on rings at a quarter, half, three quarters and all of the radius, on
    ``bearings`` directions each: exact to the mask's resolution for radii up to a few
    kilometres, approximate (a narrow islet between rays may be missed) beyond.
    """
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    clear = ~is_land(lat_a, lon_a)
    directions = np.arange(bearings) * (360.0 / bearings)
    for fraction in (0.25, 0.5, 0.75, 1.0):
        ring_lat, ring_lon = destination(
            np.repeat(lat_a, bearings), np.repeat(lon_a, bearings), np.tile(directions, lat_a.size), radius_m * fraction
        )
        clear &= ~is_land(ring_lat, ring_lon).reshape(lat_a.size, bearings).any(axis=1)
    return clear


def distance_to_land_m(lat: F64 | float, lon: F64 | float, limit_m: float = 200_000.0, step_m: float = 2_000.0) -> F64:
    """Distance from each point to the nearest land of the mask, metres.

    Searched on rings on 36 bearings: every ``step_m`` up to ten steps out, then every
    2.5 steps up to 25, then every 5 (so to about 2 km within 20 km of shore, 5 km to
    50 km and 10 km beyond, with the defaults); a ring's radius is returned, so a
    distance is rounded up to its ring and narrow islets between rays far off may be
    missed. Points farther than ``limit_m`` from any land get ``limit_m``.
    """
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    result: F64 = np.full(lat_a.size, limit_m)
    on_land = is_land(lat_a, lon_a)
    result[on_land] = 0.0
    remaining = np.flatnonzero(~on_land)
    directions = np.arange(0.0, 360.0, 10.0)
    radii = np.concatenate(
        [
            np.arange(step_m, 10 * step_m + step_m / 2, step_m),
            np.arange(12.5 * step_m, 25 * step_m + step_m / 2, 2.5 * step_m),
            np.arange(30 * step_m, limit_m + step_m / 2, 5 * step_m),
        ]
    )
    for radius in radii[radii <= limit_m]:
        if remaining.size == 0:
            break
        ring_lat, ring_lon = destination(
            np.repeat(lat_a[remaining], directions.size),
            np.repeat(lon_a[remaining], directions.size),
            np.tile(directions, remaining.size),
            radius,
        )
        hit = is_land(ring_lat, ring_lon).reshape(remaining.size, directions.size).any(axis=1)
        result[remaining[hit]] = radius
        remaining = remaining[~hit]
    return result


def open_water_near(
    lat: float,
    lon: float,
    clearance_m: float = 1_500.0,
    max_radius_m: float = 30_000.0,
    sea: OpenSea | None = None,
) -> tuple[float, float]:
    """The nearest point, within ``max_radius_m``, with no land within ``clearance_m``.

    Searches rings of growing radius (250 m steps, 64 bearings) around the point, so
    that the answer is in open water, not in a cove narrower than the land mask's cells.

    Args:
        lat: Latitude, degrees.
        lon: Longitude, degrees.
        clearance_m: Water required all around, metres.
        max_radius_m: Farthest distance searched, metres.
        sea: When given, the point must also be in this open sea.

    Raises:
        GeoError: When no such point exists within ``max_radius_m``.
    """

    def ok(lats: F64 | float, lons: F64 | float) -> Mask:
        good = clear_of_land(lats, lons, clearance_m)
        return good & sea.contains(lats, lons) if sea is not None else good

    if ok(lat, lon)[0]:
        return float(lat), float(lon)
    bearings = (np.arange(64) * (360.0 / 64)).astype(np.float64)
    for radius in np.arange(250.0, max_radius_m + 1.0, 250.0):
        ring_lat, ring_lon = destination(np.full(bearings.size, lat), np.full(bearings.size, lon), bearings, radius)
        clear = np.flatnonzero(ok(ring_lat, ring_lon))
        if clear.size:
            return float(ring_lat[clear[0]]), float(ring_lon[clear[0]])
    raise GeoError(f"no open water within {max_radius_m / 1000:.0f} km of ({lat:.4f}, {lon:.4f})")
