"""Land and water, from the 1 km global land mask of the ``global-land-mask`` package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numba
import numpy as np
import numpy.typing as npt
from global_land_mask import globe
from scipy import ndimage

from shadowfleet.errors import GeoError
from shadowfleet.geo.distance import destination

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


# The package's own lookup validates and copies its inputs on every call, which costs
# more than the lookup itself for the many short arrays route planning asks about; the
# same raster is indexed here directly, with the same truncating cell arithmetic
# (tests compare the two).
_OCEAN: Final = globe._mask
_LAT0: Final = float(globe._lat[0])
_LAT_STEP: Final = float(globe._lat[1] - globe._lat[0])
_LON0: Final = float(globe._lon[0])
_LON_STEP: Final = float(globe._lon[1] - globe._lon[0])
_N_LAT, _N_LON = _OCEAN.shape


def is_land(lat: F64 | float, lon: F64 | float) -> Mask:
    """Whether each point is on land in the 1 km GLOBE land mask (lakes count as land).

    Longitudes are wrapped into [-180, 180); latitudes beyond the raster are clamped.
    """
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = (np.atleast_1d(np.asarray(lon, dtype=np.float64)) + 180.0) % 360.0 - 180.0
    rows = np.clip(((lat_a - _LAT0) / _LAT_STEP).astype(np.int64), 0, _N_LAT - 1)
    cols = np.clip(((lon_a - _LON0) / _LON_STEP).astype(np.int64), 0, _N_LON - 1)
    result: Mask = ~_OCEAN[rows, cols]
    return result


@numba.njit(cache=True, nogil=True)
def _cross_land_kernel(row0: F64, col0: F64, row1: F64, col1: F64, ocean: Mask) -> Mask:  # pragma: no cover
    """Grid traversal (Amanatides & Woo 1987) of each segment over the raster."""
    n_rows, n_cols = ocean.shape
    out = np.zeros(row0.size, dtype=np.bool_)
    for k in range(row0.size):
        r, c = row0[k], col0[k]
        dr, dc = row1[k] - r, col1[k] - c
        cell_r, cell_c = int(np.floor(r)), int(np.floor(c))
        end_r, end_c = int(np.floor(row1[k])), int(np.floor(col1[k]))
        step_r = 1 if dr > 0 else -1
        step_c = 1 if dc > 0 else -1
        inf = np.inf
        t_delta_r = abs(1.0 / dr) if dr != 0 else inf
        t_delta_c = abs(1.0 / dc) if dc != 0 else inf
        if dr > 0:
            t_max_r = (cell_r + 1 - r) / dr
        elif dr < 0:
            t_max_r = (cell_r - r) / dr
        else:
            t_max_r = inf
        if dc > 0:
            t_max_c = (cell_c + 1 - c) / dc
        elif dc < 0:
            t_max_c = (cell_c - c) / dc
        else:
            t_max_c = inf
        steps = abs(end_r - cell_r) + abs(end_c - cell_c)
        for _ in range(steps + 1):
            rr = min(max(cell_r, 0), n_rows - 1)
            if not ocean[rr, cell_c % n_cols]:
                out[k] = True
                break
            if cell_r == end_r and cell_c == end_c:
                break
            if t_max_r < t_max_c:
                cell_r += step_r
                t_max_r += t_delta_r
            else:
                cell_c += step_c
                t_max_c += t_delta_c
    return out


def segments_cross_land(lat1: F64 | float, lon1: F64 | float, lat2: F64 | float, lon2: F64 | float) -> Mask:
    """Whether each straight segment (linear in latitude and longitude) touches a land cell.

    Exact for the raster: every mask cell the segment passes through is visited (a
    grid traversal computes the cell boundaries it crosses; nothing is sampled), so a
    segment found clear is water at every point along it, however finely it is later
    sampled. Segments must not cross the antimeridian.
    """
    lat1, lon1, lat2, lon2 = (np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (lat1, lon1, lat2, lon2))
    result: Mask = _cross_land_kernel(
        (lat1 - _LAT0) / _LAT_STEP,
        (lon1 - _LON0) / _LON_STEP,
        (lat2 - _LAT0) / _LAT_STEP,
        (lon2 - _LON0) / _LON_STEP,
        _OCEAN,
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
        row0 = max(0, int((north - _LAT0) / _LAT_STEP))
        row1 = min(_N_LAT, int((south - _LAT0) / _LAT_STEP) + 1)
        col0 = int(np.floor((west - _LON0) / _LON_STEP))
        col1 = int(np.floor((east - _LON0) / _LON_STEP)) + 1
        water = _OCEAN[row0:row1][:, np.arange(col0, col1) % _N_LON]
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
        rows = ((lat_a - _LAT0) / _LAT_STEP).astype(np.int64) - self.row0
        cols = np.floor((lon_a - _LON0) / _LON_STEP).astype(np.int64) - self.col0
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
