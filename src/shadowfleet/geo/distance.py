"""Great-circle distances and bearings on a spherical Earth, vectorised over arrays."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_M: Final = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""
METRES_PER_NM: Final = 1852.0
KNOT_M_PER_S: Final = METRES_PER_NM / 3600.0
"""One knot in metres per second."""

F64 = npt.NDArray[np.float64]
ArrayLike = F64 | float


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> F64:
    """Great-circle distance in metres between points given in degrees."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    result: F64 = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return result


def bearing_deg(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> F64:
    """Initial true bearing in degrees [0, 360) from point 1 to point 2."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dlmb) * np.cos(phi2)
    x = np.cos(phi1) * np.sin(phi2) - np.sin(phi1) * np.cos(phi2) * np.cos(dlmb)
    result: F64 = np.degrees(np.arctan2(y, x)) % 360.0
    return result


def destination(lat: ArrayLike, lon: ArrayLike, bearing: ArrayLike, distance_m: ArrayLike) -> tuple[F64, F64]:
    """The point reached from (lat, lon) along ``bearing`` degrees after ``distance_m``."""
    phi1 = np.radians(lat)
    lmb1 = np.radians(lon)
    theta = np.radians(bearing)
    delta = np.asarray(distance_m) / EARTH_RADIUS_M
    phi2 = np.arcsin(np.sin(phi1) * np.cos(delta) + np.cos(phi1) * np.sin(delta) * np.cos(theta))
    lmb2 = lmb1 + np.arctan2(np.sin(theta) * np.sin(delta) * np.cos(phi1), np.cos(delta) - np.sin(phi1) * np.sin(phi2))
    lon2 = (np.degrees(lmb2) + 540.0) % 360.0 - 180.0
    return np.degrees(phi2), lon2
