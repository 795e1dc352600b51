"""Geography: distances, the land mask, open sea, the gazetteer and sea routes."""

from __future__ import annotations

import numpy as np
import pytest
from global_land_mask import globe

from shadowfleet.errors import GeoError
from shadowfleet.geo.distance import bearing_deg, destination, haversine_m
from shadowfleet.geo.gazetteer import anchorages, call_sign_country, country_of_mid, mid_table, mids_of, ports
from shadowfleet.geo.land import OpenSea, clear_of_land, is_land, open_water_near, segments_cross_land
from shadowfleet.geo.routes import densify, sea_route

YELLOW_SEA = (35.5, 123.0)
NAMPO_OFFSHORE = (38.678, 125.285)


@pytest.fixture(scope="module")
def east_asia() -> OpenSea:
    return OpenSea.of_region(15.0, 45.0, 104.0, 142.0)


def test_haversine_bearing_and_destination_agree() -> None:
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195, rel=1e-4)
    assert bearing_deg(0.0, 0.0, 0.0, 1.0) == pytest.approx(90.0)
    lat, lon = destination(np.array([38.7]), np.array([125.3]), np.array([217.0]), np.array([42_000.0]))
    assert haversine_m(38.7, 125.3, lat, lon)[0] == pytest.approx(42_000.0, rel=1e-9)
    assert bearing_deg(38.7, 125.3, lat, lon)[0] == pytest.approx(217.0, abs=1e-6)


def test_is_land_is_the_packages_mask() -> None:
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(-89.9, 89.9, 200_000), rng.uniform(-180.0, 179.99, 200_000)
    assert (is_land(lat, lon) == globe.is_land(lat, lon)).all()
    assert is_land(39.9, 116.4)[0]  # Beijing
    assert not is_land(*YELLOW_SEA)[0]


def test_segment_check_is_exact_against_dense_sampling() -> None:
    rng = np.random.default_rng(3)
    n = 3_000
    lat1, lon1 = rng.uniform(30, 40, n), rng.uniform(118, 128, n)
    angle, length = rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 0.2, n)
    lat2, lon2 = lat1 + length * np.cos(angle), lon1 + length * np.sin(angle)
    exact = segments_cross_land(lat1, lon1, lat2, lon2)
    sampled = np.array(
        [is_land(*densify(np.array([lat1[i], lat2[i]]), np.array([lon1[i], lon2[i]]), 5.0)).any() for i in range(n)]
    )
    assert 0.1 < exact.mean() < 0.9  # both kinds are exercised
    assert (exact == sampled).all()


def test_open_sea_excludes_enclosed_water(east_asia: OpenSea) -> None:
    assert east_asia.contains(*YELLOW_SEA)[0]
    assert east_asia.contains(*NAMPO_OFFSHORE)[0]
    assert not east_asia.contains(39.9, 116.4)[0]  # land
    assert not east_asia.contains(60.0, 0.0)[0]  # outside the region
    # Lake Taihu is water in no sea: a lake is land in the GLOBE mask, and any
    # enclosed pocket of water is left out of the open sea.
    water = ~is_land(31.2, 120.2)[0]
    assert not (water and east_asia.contains(31.2, 120.2)[0])


def test_clear_of_land_and_open_water_near(east_asia: OpenSea) -> None:
    assert clear_of_land(*YELLOW_SEA, 20_000.0)[0]
    assert not clear_of_land(36.06, 120.38, 2_000.0)[0]  # Qingdao harbour
    lat, lon = open_water_near(38.7333, 125.4167, clearance_m=1_500.0, sea=east_asia)  # Nampo
    assert clear_of_land(lat, lon, 1_500.0)[0] and east_asia.contains(lat, lon)[0]
    assert haversine_m(38.7333, 125.4167, lat, lon) < 30_000.0
    with pytest.raises(GeoError):
        open_water_near(47.9, 106.9, max_radius_m=5_000.0)  # Ulaanbaatar


def test_gazetteer() -> None:
    nampo = ports().filter(ports()["locode"] == "KPNAM").row(0, named=True)
    assert nampo["sanctioned"] and nampo["country_iso2"] == "KP"
    assert not ports().filter(ports()["locode"] == "CNNGB")["sanctioned"][0]
    assert anchorages().height > 50_000
    assert country_of_mid(445) == "KP" and country_of_mid(412) == "CN" and country_of_mid(446) is None
    assert mids_of("CN") == (412, 413, 414)
    assert mid_table()["mid"].n_unique() == mid_table().height
    assert call_sign_country("HMYG7") == "KP"
    assert call_sign_country("3EAB9") == "PA"
    assert call_sign_country("BRAB7") == "CN"
    assert call_sign_country("BQAB7") == "TW"  # B is China's series, BM-BQ, BV and BX Taiwan's
    assert call_sign_country("BMAB") == "TW"  # the longer prefix wins
    assert call_sign_country("ZZ9") is None


def _assert_water_route(route_lat: np.ndarray, route_lon: np.ndarray) -> None:
    assert not segments_cross_land(route_lat[:-1], route_lon[:-1], route_lat[1:], route_lon[1:]).any()


@pytest.mark.parametrize(
    ("origin", "destination_point"),
    [
        (NAMPO_OFFSHORE, (29.95, 122.0)),  # Nampo to Ningbo-Zhoushan
        ((38.95, 121.68), (20.79, 106.79)),  # Dalian round Shandong and Taiwan to Haiphong
        ((35.05, 129.03), (35.40, 139.72)),  # Busan to Tokyo Bay: the mask closes the Kanmon Strait
    ],
)
def test_sea_routes_never_cross_land(
    east_asia: OpenSea, origin: tuple[float, float], destination_point: tuple[float, float]
) -> None:
    route = sea_route(*origin, *destination_point, east_asia)
    _assert_water_route(route.lat, route.lon)
    assert (route.lat[0], route.lon[0]) == origin
    assert (route.lat[-1], route.lon[-1]) == destination_point
    assert np.all(np.diff(route.cumulative_m) > 0)
    assert np.max(np.diff(route.cumulative_m)) <= 5_000.0 * 1.01  # linear in degrees, measured on the sphere
    straight = haversine_m(*origin, *destination_point)
    assert straight <= route.length_m < 3.0 * straight
    # Any point along the polyline is water, however it is sampled.
    lat, lon = densify(route.lat, route.lon, 37.0)
    assert not is_land(lat, lon).any()


def test_route_ends_must_be_water(east_asia: OpenSea) -> None:
    with pytest.raises(GeoError, match="on water"):
        sea_route(39.9, 116.4, *YELLOW_SEA, east_asia)
    same = sea_route(*YELLOW_SEA, *YELLOW_SEA, east_asia)
    assert same.length_m == 0.0 and same.lat.size == 1
