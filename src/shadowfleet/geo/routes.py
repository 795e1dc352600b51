"""Sea routes between two points on water, along shipping lanes and never across land.

The lanes come from the ``searoute`` package (the Eurostat MARNET network, routed
shortest-path). Its network is coarse near coasts: a route may cut a cape, an island
or the last kilometres to a berth. Every segment of a route is therefore checked
exactly against the 1 km GLOBE land mask (:func:`segments_cross_land` visits every
raster cell a segment passes through), and each stretch over land is replaced by the
shortest path through water cells of the mask itself (8-connected, Dijkstra),
simplified by line of sight. A returned route is water at every point of every
segment, interpolated linearly in latitude and longitude, which is how
:mod:`shadowfleet.simulate.motion` moves ships along it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

import numba
import numpy as np
import numpy.typing as npt
import searoute
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from shadowfleet.errors import GeoError
from shadowfleet.geo.distance import haversine_m
from shadowfleet.geo.land import OpenSea, crosses_land, is_land, raster, segments_cross_land

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

LOCATE_STEP_M: Final = 500.0
"""Spacing of the points used to locate stretches over land, metres."""
MAX_VERTEX_SPACING_M: Final = 5_000.0
"""Longest segment of a returned route, metres."""
PADS_DEG: Final = (0.1, 0.5, 2.0, 6.0)
"""Margins tried in turn around a stretch over land when searching for a detour, degrees."""
METRES_PER_DEGREE: Final = 111_195.0


@dataclass(frozen=True)
class SeaRoute:
    """A route as a polyline on water.

    Attributes:
        lat: Latitudes of the vertices, degrees.
        lon: Longitudes of the vertices, degrees (continuous along the route).
        cumulative_m: Distance sailed from the origin to each vertex, metres.
    """

    lat: F64
    lon: F64
    cumulative_m: F64

    @property
    def length_m(self) -> float:
        """Length of the route, metres."""
        return float(self.cumulative_m[-1])


def densify(lat: F64, lon: F64, step_m: float) -> tuple[F64, F64]:
    """Insert points so that no segment of a polyline is longer than ``step_m`` metres.

    Points are interpolated linearly in latitude and longitude, so they lie on the
    polyline's own segments.
    """
    if lat.size < 2:
        return lat.copy(), lon.copy()
    lengths = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    pieces = np.maximum(1, np.ceil(lengths / step_m).astype(np.int64))
    starts = np.repeat(np.arange(lat.size - 1), pieces)
    offsets = np.arange(int(pieces.sum())) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    fraction = offsets / np.repeat(pieces, pieces)
    out_lat = np.r_[lat[starts] + (lat[starts + 1] - lat[starts]) * fraction, lat[-1]]
    out_lon = np.r_[lon[starts] + (lon[starts + 1] - lon[starts]) * fraction, lon[-1]]
    return out_lat, out_lon


@numba.njit(cache=True, nogil=True)
def _sight_kernel(rows: F64, cols: F64, packed: npt.NDArray[np.uint8], n_cols: int) -> I64:  # pragma: no cover
    keep = np.empty(rows.size, dtype=np.int64)
    keep[0] = 0
    n_kept = 1
    i = 0
    last = rows.size - 1
    while i < last:
        # Exponential then binary search for the farthest vertex in sight. Only checked
        # segments are kept (the next vertex is always in sight on a water polyline).
        step = 1
        best = i + 1
        while i + step <= last and not crosses_land(rows[i], cols[i], rows[i + step], cols[i + step], packed, n_cols):
            best = i + step
            step *= 2
        low, high = best, min(i + step, last + 1)
        while high - low > 1:
            middle = (low + high) // 2
            if crosses_land(rows[i], cols[i], rows[middle], cols[middle], packed, n_cols):
                high = middle
            else:
                low = middle
        keep[n_kept] = low
        n_kept += 1
        i = low
    return keep[:n_kept]


def _line_of_sight(lat: F64, lon: F64) -> tuple[F64, F64]:
    """Drop vertices of a water polyline while every kept segment stays on water."""
    if lat.size < 3:
        return lat, lon
    grid = raster()
    index = _sight_kernel(
        (lat - grid.lat0) / grid.lat_step, (lon - grid.lon0) / grid.lon_step, grid.packed, grid.n_cols
    )
    return lat[index], lon[index]


@functools.lru_cache(maxsize=4_096)
def _grid_path(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[F64, F64] | None:
    """Shortest path through water cells of the mask between two water points, or None.

    Nodes are the mask's own cells; a step joins edge-adjacent water cells, or
    diagonal ones when both cells beside the diagonal are water too, so every step
    stays inside water cells. Cached: routes along the same lane repair the same
    stretches (a strait the mask closes) with the same detour.
    """
    grid = raster()
    cell, lat_top, lon_left = abs(grid.lat_step), grid.lat0, grid.lon0
    for pad in PADS_DEG:
        top = min(89.99, max(lat1, lat2) + pad)
        bottom = max(-89.99, min(lat1, lat2) - pad)
        left, right = min(lon1, lon2) - pad, max(lon1, lon2) + pad
        row0 = max(0, int((lat_top - top) / cell))
        row1 = min(grid.n_rows, int((lat_top - bottom) / cell) + 1)
        col0 = int(np.floor((left - lon_left) / cell))
        col1 = int(np.floor((right - lon_left) / cell)) + 1
        rows = np.arange(row0, row1)
        cols = np.arange(col0, col1)
        water = grid.window(row0, row1, col0, col1)
        n_rows, n_cols = water.shape
        index = np.arange(n_rows * n_cols).reshape(n_rows, n_cols)
        centre_lat = lat_top - (rows + 0.5) * cell
        centre_lon = lon_left + (cols + 0.5) * cell
        grid_lat = np.repeat(centre_lat, n_cols).reshape(n_rows, n_cols)
        grid_lon = np.tile(centre_lon, n_rows).reshape(n_rows, n_cols)
        edge_from: list[I64] = []
        edge_to: list[I64] = []
        weight: list[F64] = []
        # Step lengths per row (cells are 1/120° squares: east-west steps shrink with latitude).
        north_m = cell * METRES_PER_DEGREE
        east_m = north_m * np.cos(np.radians(grid_lat))
        for d_row, d_col in ((0, 1), (1, 0), (1, 1), (1, -1)):
            a = (slice(0, n_rows - d_row), slice(max(0, -d_col), n_cols - max(0, d_col)))
            b = (slice(d_row, n_rows), slice(max(0, d_col), n_cols - max(0, -d_col)))
            both = water[a] & water[b]
            if d_row and d_col:
                both &= water[(slice(0, n_rows - 1), b[1])] & water[(slice(1, n_rows), a[1])]
            edge_from.append(index[a][both])
            edge_to.append(index[b][both])
            weight.append(np.hypot(d_row * north_m, d_col * east_m[a][both]))
        graph = coo_matrix(
            (np.concatenate(weight), (np.concatenate(edge_from), np.concatenate(edge_to))), shape=(index.size,) * 2
        ).tocsr()
        start = (int((lat_top - lat1) / cell) - row0) * n_cols + int(np.floor((lon1 - lon_left) / cell)) - col0
        end = (int((lat_top - lat2) / cell) - row0) * n_cols + int(np.floor((lon2 - lon_left) / cell)) - col0
        distances, predecessors = dijkstra(graph, directed=False, indices=start, return_predecessors=True)
        if not np.isfinite(distances[end]):
            continue
        path = [end]
        while path[-1] != start:
            path.append(int(predecessors[path[-1]]))
        cells = np.asarray(path[::-1])
        # The ends lie inside the first and last cells, so joining them to the cell
        # centres stays on water.
        return np.r_[lat1, grid_lat.ravel()[cells], lat2], np.r_[lon1, grid_lon.ravel()[cells], lon2]
    return None


def _repair(lat: F64, lon: F64, sea: OpenSea | None) -> tuple[F64, F64]:
    """Replace every stretch of a polyline that crosses land with a path over water.

    With ``sea``, a detour starts and ends only at points in the open sea, never in
    a pocket of water the mask leaves enclosed, from which no path leads anywhere.
    """
    lat, lon = densify(lat, lon, LOCATE_STEP_M)
    bad = segments_cross_land(lat[:-1], lon[:-1], lat[1:], lon[1:])
    if not bad.any():
        return lat, lon
    point_land = is_land(lat, lon)
    if sea is not None:
        inside = sea.contains(lat, lon)
        point_land[1:-1] |= ~inside[1:-1]
    edges = np.flatnonzero(np.diff(np.r_[False, bad, False].astype(np.int8))).reshape(-1, 2)
    runs: list[tuple[int, int]] = []
    for first, end in edges:  # segments first..end-1 cross land: points first..end
        before, after = int(first), int(end)
        while before > 0 and point_land[before]:
            before -= 1
        while after < lat.size - 1 and point_land[after]:
            after += 1
        if point_land[before] or point_land[after]:
            raise GeoError(f"route end on land near ({lat[before]:.4f}, {lon[before]:.4f})")
        if runs and before <= runs[-1][1]:
            runs[-1] = (runs[-1][0], after)
        else:
            runs.append((before, after))
    pieces_lat: list[F64] = []
    pieces_lon: list[F64] = []
    cursor = 0
    for before, after in runs:
        path = _grid_path(float(lat[before]), float(lon[before]), float(lat[after]), float(lon[after]))
        if path is None:
            raise GeoError(
                f"no water path around land between ({lat[before]:.4f}, {lon[before]:.4f}) "
                f"and ({lat[after]:.4f}, {lon[after]:.4f})"
            )
        detour_lat, detour_lon = _line_of_sight(*path)
        pieces_lat += [lat[cursor:before], detour_lat]
        pieces_lon += [lon[cursor:before], detour_lon]
        cursor = after + 1
    pieces_lat.append(lat[cursor:])
    pieces_lon.append(lon[cursor:])
    return np.concatenate(pieces_lat), np.concatenate(pieces_lon)


def _drop_repeats(lat: F64, lon: F64) -> tuple[F64, F64]:
    keep = np.r_[True, (np.diff(lat) != 0) | (np.diff(lon) != 0)]
    return lat[keep], lon[keep]


@functools.lru_cache(maxsize=16_384)
def sea_route(
    origin_lat: float,
    origin_lon: float,
    destination_lat: float,
    destination_lon: float,
    sea: OpenSea | None = None,
) -> SeaRoute:
    """The sea route from an origin to a destination, both on water.

    Args:
        origin_lat: Origin latitude, degrees.
        origin_lon: Origin longitude, degrees.
        destination_lat: Destination latitude, degrees.
        destination_lon: Destination longitude, degrees.
        sea: The open sea of the region, when known; detours then avoid enclosed
            pockets of water along the lanes (strongly advised for repeated routing).

    Returns:
        A polyline from the origin to the destination none of whose segments touches
        a land cell of the mask, with vertices at most :data:`MAX_VERTEX_SPACING_M`
        apart. Longitudes are continuous along the route (wrap them when reporting).
        Results are cached and read-only.

    Raises:
        GeoError: When an end is on land or no water path exists.
    """
    if is_land(np.array([origin_lat, destination_lat]), np.array([origin_lon, destination_lon])).any():
        raise GeoError(
            f"a sea route needs both ends on water: ({origin_lat:.4f}, {origin_lon:.4f}) → "
            f"({destination_lat:.4f}, {destination_lon:.4f})"
        )
    if origin_lat == destination_lat and origin_lon == destination_lon:
        lat, lon = np.array([origin_lat]), np.array([origin_lon])
    else:
        feature = searoute.searoute(
            [origin_lon, origin_lat], [destination_lon, destination_lat], units="km", append_orig_dest=True
        )
        coordinates = np.asarray(feature.geometry["coordinates"], dtype=np.float64)
        lon, lat = np.unwrap(coordinates[:, 0], period=360.0), coordinates[:, 1]
        lat, lon = _drop_repeats(lat, lon)
        lat, lon = _line_of_sight(*_repair(lat, lon, sea))
        lat, lon = densify(lat, lon, MAX_VERTEX_SPACING_M)
    cumulative = np.r_[0.0, np.cumsum(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]))]
    for array in (lat, lon, cumulative):
        array.flags.writeable = False
    return SeaRoute(lat, lon, cumulative)


@functools.lru_cache(maxsize=65_536)
def lane_distance_m(origin_lat: float, origin_lon: float, destination_lat: float, destination_lon: float) -> float:
    """Length of the shortest route along the sea lanes between two points, metres.

    For distances only (a voyage's shortest length, reachability): the ``searoute``
    lanes as they are, ends joined to the nearest lane, without the land-mask repair of
    :func:`sea_route` — about fifty times faster, and the repair changes lengths by
    little. Results are cached.

    Raises:
        GeoError: When the lanes give no route.
    """
    try:
        feature = searoute.searoute([origin_lon, origin_lat], [destination_lon, destination_lat], units="m")
        return float(feature["properties"]["length"])
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise GeoError(
            f"no lane route from ({origin_lat}, {origin_lon}) to ({destination_lat}, {destination_lon})"
        ) from exc
