"""Which transmissions reach the data: coastal receivers, satellite passes, collisions.

Transmissions follow ITU-R M.1371-5 reporting intervals. A terrestrial provider
delivers at most one position per vessel per ``provider_interval_s`` when the ship is
within range of a coastal station that is working; satellites deliver a few messages
per pass, fewer where traffic is dense (message collisions in the footprint) and for
class B. Everything is vectorised over the candidate transmissions of a chunk of
vessels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.spatial import cKDTree

from shadowfleet.config import SimulateConfig
from shadowfleet.geo.distance import destination, haversine_m
from shadowfleet.geo.gazetteer import ports
from shadowfleet.geo.land import OpenSea
from shadowfleet.simulate.motion import Timeline, leg_at, sample
from shadowfleet.simulate.scenario import Box, Scenario
from shadowfleet.simulate.voyage import DAY, LegKind

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

NAUTICAL_MILE_M: Final = 1852.0
SATELLITES: Final = tuple(f"SPIRE-FM{n:03d}" for n in (101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112))
BAND_DEG: Final = 10.0
"""Width of the longitude bands that share a satellite pass schedule, degrees."""


def itu_interval_s(kind: I64, speed_kn: F64, class_b: Mask) -> F64:
    """Nominal reporting interval of each transmission, seconds (ITU-R M.1371-5 Table 1).

    Class A: 3 min at anchor or moored (≤ 3 kn); 10 s up to 14 kn; 6 s to 23 kn; 2 s
    above. Class B "CS": 30 s above 2 kn, 3 min at or below.
    """
    stationary = ((kind == LegKind.MOORED) | (kind == LegKind.ANCHORED)) & (speed_kn <= 3.0)
    class_a = np.where(stationary, 180.0, np.where(speed_kn <= 14.0, 10.0, np.where(speed_kn <= 23.0, 6.0, 2.0)))
    class_b_interval = np.where(speed_kn > 2.0, 30.0, 180.0)
    result: F64 = np.where(class_b, class_b_interval, class_a)
    return result


@dataclass(frozen=True)
class Stations:
    """Coastal AIS receivers.

    Attributes:
        name: Station names.
        lat: Latitudes, degrees.
        lon: Longitudes, degrees.
        range_m: Nominal class A range of each, metres.
        outage_key: Sorted keys (station × span + start) of outages.
        outage_end: End of each outage, seconds since the epoch.
    """

    name: tuple[str, ...]
    lat: F64
    lon: F64
    range_m: F64
    outage_key: F64
    outage_end: F64


def place_stations(
    scenario: Scenario, config: SimulateConfig, rng: np.random.Generator, start_s: float, end_s: float, sea: OpenSea
) -> Stations:
    """Coastal receivers at ports of the receiving countries, spaced apart, with outages.

    Candidate sites are the gazetteer's ports within 10 km of the open sea (river
    ports far inland carry no coastal receiver). The scenario's own ports always have
    one (every network covers its major ports); each country keeps the share of the
    other sites its network covers.
    """
    box = scenario.region
    table = ports().filter(
        pl.col("country_iso2").is_in(list(scenario.receiver_countries))
        & pl.col("lat").is_between(box.south, box.north)
        & pl.col("lon").is_between(box.west, box.east)
    )
    lat_site, lon_site = table["lat"].to_numpy(), table["lon"].to_numpy()
    coastal = sea.contains(lat_site, lon_site)
    for radius in (2_500.0, 5_000.0, 10_000.0):
        for bearing in range(0, 360, 30):
            ring_lat, ring_lon = destination(lat_site, lon_site, float(bearing), radius)
            coastal |= sea.contains(ring_lat, ring_lon)
    table = table.filter(pl.Series(coastal))
    major = table["locode"].is_in([p.locode for p in scenario.ports]).fill_null(False).to_numpy()
    shuffled = rng.permutation(table.height)
    order = np.r_[shuffled[major[shuffled]], shuffled[~major[shuffled]]]
    major = major[order]
    lat_all, lon_all = table["lat"].to_numpy()[order], table["lon"].to_numpy()[order]
    names = [str(n) for n in table["name"].to_numpy()[order]]
    countries = [str(c) for c in table["country_iso2"].to_numpy()[order]]
    spacing = config.terrestrial_station_spacing_km * 1000.0
    chosen: list[int] = []
    for i in range(lat_all.size):
        if chosen and haversine_m(lat_all[i], lon_all[i], lat_all[chosen], lon_all[chosen]).min() < spacing:
            continue
        chosen.append(i)
    keep = [i for i in chosen if major[i] or rng.random() < scenario.receiver_countries[countries[i]]]
    index = np.asarray(keep, dtype=np.int64)
    spread = config.terrestrial_range_spread
    ranges = config.terrestrial_range_nm * NAUTICAL_MILE_M * rng.uniform(1 - spread, 1 + spread, index.size)
    outage_station: list[int] = []
    outage_start: list[float] = []
    outage_end: list[float] = []
    days = (end_s - start_s) / DAY + 2
    for station in range(index.size):
        for _ in range(int(rng.poisson(config.terrestrial_outages_per_day * days))):
            begin = float(rng.uniform(start_s - DAY, end_s))
            outage_station.append(station)
            outage_start.append(begin)
            outage_end.append(begin + float(rng.uniform(0.5, config.terrestrial_outage_max_h)) * 3600.0)
    keys = np.asarray(outage_station, dtype=np.float64) * 1e9 + np.asarray(outage_start) + 1e8
    order_out = np.argsort(keys)
    seen: dict[str, int] = {}
    station_names = []
    for i in index:
        base = "".join(ch for ch in names[i].upper() if ch.isalnum())[:12] or "STATION"
        seen[base] = seen.get(base, 0) + 1
        station_names.append(f"{countries[i]}-{base}-{seen[base]}")
    return Stations(
        name=tuple(station_names),
        lat=lat_all[index],
        lon=lon_all[index],
        range_m=ranges,
        outage_key=keys[order_out],
        outage_end=np.asarray(outage_end)[order_out],
    )


@dataclass(frozen=True)
class Grid:
    """A regular latitude/longitude grid of values.

    Attributes:
        south: Southern edge, degrees.
        west: Western edge, degrees.
        step: Cell size, degrees.
        values: Values, shape (rows, columns).
        extra: A second integer layer (nearest station), same shape.
    """

    south: float
    west: float
    step: float
    values: F64
    extra: I64

    def cell(self, lat: F64, lon: F64) -> tuple[I64, I64]:
        """Row and column of each point (clamped to the grid)."""
        rows = np.clip(((lat - self.south) / self.step).astype(np.int64), 0, self.values.shape[0] - 1)
        cols = np.clip(((lon - self.west) / self.step).astype(np.int64), 0, self.values.shape[1] - 1)
        return rows, cols

    def at(self, lat: F64, lon: F64) -> F64:
        """The value at each point."""
        rows, cols = self.cell(lat, lon)
        result: F64 = self.values[rows, cols]
        return result


def coverage_grid(stations: Stations, region: Box) -> Grid:
    """Distance to the best station relative to its range (ρ), and that station, per cell."""
    margin = 2.0
    extent = max(region.north - region.south, region.east - region.west) + 2 * margin
    step = max(0.05, extent / 700.0)
    lats = np.arange(region.south - margin, region.north + margin, step) + step / 2
    lons = np.arange(region.west - margin, region.east + margin, step) + step / 2
    grid_lat, grid_lon = np.meshgrid(lats, lons, indexing="ij")
    flat_lat, flat_lon = grid_lat.ravel(), grid_lon.ravel()
    best = np.full(flat_lat.size, np.inf)
    which = np.full(flat_lat.size, -1, dtype=np.int64)
    if len(stations.name):
        # The best station is among the few nearest (ranges differ by ±25 % at most).
        tree = cKDTree(_unit_vectors(stations.lat, stations.lon))
        k = min(6, len(stations.name))
        _, nearest = tree.query(_unit_vectors(flat_lat, flat_lon), k=k)
        nearest = np.asarray(nearest, dtype=np.int64).reshape(flat_lat.size, k)
        for j in range(k):
            station = nearest[:, j]
            ratio = (
                haversine_m(flat_lat, flat_lon, stations.lat[station], stations.lon[station])
                / stations.range_m[station]
            )
            better = ratio < best
            best[better] = ratio[better]
            which[better] = station[better]
    return Grid(
        region.south - margin, region.west - margin, step, best.reshape(grid_lat.shape), which.reshape(grid_lat.shape)
    )


def _unit_vectors(lat: F64, lon: F64) -> F64:
    phi, lam = np.radians(lat), np.radians(lon)
    result: F64 = np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    return result


def density_grid(
    timeline: Timeline, start_s: float, end_s: float, traffic_scale: float, region: Box, rng: np.random.Generator
) -> Grid:
    """Mean number of vessels (scaled to real traffic) in each 1° cell over the period."""
    step = 1.0
    rows = int(np.ceil(region.north - region.south)) + 4
    cols = int(np.ceil(region.east - region.west)) + 4
    counts = np.zeros((rows, cols))
    hours = np.arange(start_s, end_s, 3 * 3600.0)
    vessels = np.unique(timeline.vessel)
    vessel = np.repeat(vessels, hours.size)
    t = np.tile(hours, vessels.size)
    leg, present = leg_at(timeline, vessel, t)
    lat = timeline.lat[leg][present]
    lon = timeline.lon[leg][present]
    under_way = timeline.route[leg][present] >= 0
    if under_way.any():
        state = sample(timeline, vessel[present][under_way], t[present][under_way], rng)
        lat[under_way], lon[under_way] = state.lat, state.lon
    r = np.clip(((lat - region.south + 2) / step).astype(np.int64), 0, rows - 1)
    c = np.clip(((lon - region.west + 2) / step).astype(np.int64), 0, cols - 1)
    np.add.at(counts, (r, c), 1.0)
    counts *= traffic_scale / max(1, hours.size)
    return Grid(region.south - 2, region.west - 2, step, counts, np.zeros_like(counts, dtype=np.int64))


@dataclass(frozen=True)
class Passes:
    """Satellite passes per longitude band.

    Attributes:
        band: Band of each pass (floor(lon / BAND_DEG)).
        start_s: Start of each pass, seconds since the epoch (sorted within a band).
        satellite: Index into :data:`SATELLITES`.
        key: Sorted search keys (band × span + start).
    """

    band: I64
    start_s: F64
    satellite: I64
    key: F64


def satellite_passes(
    config: SimulateConfig, rng: np.random.Generator, region: Box, start_s: float, end_s: float
) -> Passes:
    """Pass times per longitude band: a Poisson process modulated with a 12 h period."""
    bands = np.arange(np.floor(region.west / BAND_DEG) - 1, np.floor(region.east / BAND_DEG) + 2).astype(np.int64)
    rate_max = config.satellite_passes_per_day * (1 + config.satellite_pass_amplitude) / DAY
    all_band, all_start = [], []
    begin, finish = start_s - DAY, end_s
    for band in bands:
        n = int(rng.poisson(rate_max * (finish - begin)))
        times = np.sort(rng.uniform(begin, finish, n))
        phase = rng.uniform(0, 2 * np.pi)
        intensity = (1 + config.satellite_pass_amplitude * np.cos(2 * np.pi * times / (DAY / 2) + phase)) / (
            1 + config.satellite_pass_amplitude
        )
        kept = times[rng.random(n) < intensity]
        all_band.append(np.full(kept.size, band))
        all_start.append(kept)
    band_arr = np.concatenate(all_band) if all_band else np.zeros(0, np.int64)
    start_arr = np.concatenate(all_start) if all_start else np.zeros(0)
    key = band_arr.astype(np.float64) * 1e9 + start_arr + 1e8
    order = np.argsort(key)
    return Passes(band_arr[order], start_arr[order], rng.integers(0, len(SATELLITES), order.size), key[order])


def in_pass(passes: Passes, lon: F64, t: F64, duration_s: float) -> tuple[Mask, I64]:
    """Whether each instant falls in a satellite pass over its longitude, and which."""
    band = np.floor(lon / BAND_DEG).astype(np.int64)
    key = band.astype(np.float64) * 1e9 + t + 1e8
    index = np.clip(np.searchsorted(passes.key, key, side="right") - 1, 0, max(0, passes.key.size - 1))
    if passes.key.size == 0:
        return np.zeros(t.size, dtype=bool), index
    inside = (passes.band[index] == band) & (t >= passes.start_s[index]) & (t < passes.start_s[index] + duration_s)
    return inside, index


@dataclass(frozen=True)
class Reception:
    """Everything that decides what is received.

    Attributes:
        config: Simulation settings.
        stations: Coastal receivers.
        coverage: ρ (distance over range) to the best station, per cell.
        density: Real-traffic vessels per 1° cell.
        passes: Satellite passes.
    """

    config: SimulateConfig
    stations: Stations
    coverage: Grid
    density: Grid
    passes: Passes

    def terrestrial(self, lat: F64, lon: F64, t: F64, class_b: Mask, rng: np.random.Generator) -> tuple[Mask, I64]:
        """Which transmissions a coastal station receives, and which station."""
        c = self.config
        rows, cols = self.coverage.cell(lat, lon)
        ratio = self.coverage.values[rows, cols] / np.where(class_b, c.class_b_range_factor, 1.0)
        station = self.coverage.extra[rows, cols]
        fade = np.clip((1.2 - ratio) / 0.4, 0.0, 1.0)
        density = self.density.at(lat, lon)
        probability = c.terrestrial_probability * fade / (1.0 + density / c.terrestrial_density_half)
        received = (station >= 0) & (rng.random(t.size) < probability)
        if self.stations.outage_key.size:
            key = station.astype(np.float64) * 1e9 + t + 1e8
            outage = np.clip(np.searchsorted(self.stations.outage_key, key, side="right") - 1, 0, None)
            outage_station = np.floor(self.stations.outage_key[outage] / 1e9).astype(np.int64)
            down = (outage_station == station) & (t < self.stations.outage_end[outage])
            received &= ~down
        return received, station

    def satellite_probability(self, lat: F64, lon: F64, class_b: Mask) -> F64:
        """Probability that a satellite decodes one message at each place."""
        c = self.config
        density = self.density.at(lat, lon)
        result: F64 = (
            c.satellite_detection_probability
            * np.where(class_b, c.class_b_satellite_factor, 1.0)
            / (1.0 + density / c.satellite_density_half)
        )
        return result


def terrestrial_candidates(
    timeline: Timeline, legs: I64, interval_s: F64, start_s: float, end_s: float, rng: np.random.Generator
) -> tuple[I64, F64]:
    """Instants at which a terrestrial provider may deliver a position, per leg.

    One candidate per provider interval (or per reporting interval when longer), with
    random phase and ±20 % jitter so that timestamps are not a perfect clock.
    """
    a = np.maximum(timeline.start_s[legs], start_s)
    b = np.minimum(timeline.end_s[legs], end_s)
    phase = rng.uniform(0, 1, legs.size) * interval_s
    span = b - a - phase
    n = np.where(span > 0, np.floor(span / interval_s).astype(np.int64) + 1, 0)
    owner = np.repeat(np.arange(legs.size), n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    jitter = rng.uniform(-0.2, 0.2, owner.size) * interval_s[owner]
    t = np.clip(a[owner] + phase[owner] + k * interval_s[owner] + jitter, a[owner], np.nextafter(b[owner], -np.inf))
    return legs[owner], t
