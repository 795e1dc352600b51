"""What the server holds in memory: the store's tables, indexed for the API's queries.

The tables an analyst browses (vessels, identities, events, matches, voyages,
shipments, flows) are small next to the positions and are held whole. Positions are
held as a few columns sorted by (MMSI, time) so a vessel's track is two binary
searches per track away: about 40 bytes a position, 400 MB for 10 million. Where two
transmitters share an MMSI at the same time, MMSI and time do not say whose a fix is:
those MMSIs are segmented again at load, as ``detect`` did, and taken by track. The
store is read again when its catalog changes (each ``detect``, ``screen`` and
``estimate`` rewrites it), so a running server follows the store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet import schemas
from shadowfleet.api.queries import records, vessel_rows
from shadowfleet.config import Config
from shadowfleet.errors import StoreError
from shadowfleet.pipeline import working_positions
from shadowfleet.store.lake import CATALOG_FILE, Store
from shadowfleet.tracks.clean import clean_positions
from shadowfleet.tracks.segment import segment_positions, summarise_tracks

TRACK_COLUMNS = ("mmsi", "timestamp", "lat", "lon", "sog_kn", "cog_deg")


def _table(store: Store, name: str) -> pl.DataFrame:
    if not store.table_files(name):
        return schemas.empty(schemas.TABLES[name])
    return store.scan(name).collect()


def shared_mmsis(tracks: pl.DataFrame) -> list[int]:
    """MMSIs with tracks overlapping in time: two transmitters on one MMSI, or a noise burst beside a track.

    Their fixes cannot be told apart by MMSI and time alone.
    """
    ordered = tracks.sort("mmsi", "start_time")
    overlaps = pl.col("start_time") < pl.col("end_time").cum_max().shift(1).over("mmsi")
    return sorted(ordered.filter(overlaps.fill_null(False))["mmsi"].unique().to_list())


def fixes_by_track(positions: pl.LazyFrame, mmsis: list[int], config: Config) -> pl.DataFrame:
    """The fixes of some MMSIs with the ``track_id`` each belongs to.

    Segments those MMSIs again exactly as ``detect`` did (cleaning, then the
    dead-reckoning segmenter); a track's id is its MMSI and first fix, so the ids are
    those of the ``tracks`` table.
    """
    rows = working_positions(positions.filter(pl.col("mmsi").is_in(mmsis))).collect()
    if rows.is_empty():
        return (
            schemas.empty(schemas.POSITIONS)
            .select(TRACK_COLUMNS)
            .with_columns(pl.lit(None, pl.String).alias("track_id"))
        )
    cleaned, _ = clean_positions(rows)
    segmented = segment_positions(cleaned, config.tracks)
    ids = summarise_tracks(segmented, config.tracks).select("track_number", "track_id")
    return (
        segmented.join(ids, on="track_number")
        .select(*TRACK_COLUMNS, pl.col("track_id").cast(pl.String))
        .sort("track_id", "timestamp")
    )


@dataclass(frozen=True)
class PositionIndex:
    """Positions sorted by (MMSI, time) with the MMSI column as a NumPy array for binary search.

    Attributes:
        frame: ``mmsi, timestamp, lat, lon, sog_kn, cog_deg`` sorted by MMSI and time.
        mmsi: ``frame``'s MMSIs.
        time_us: ``frame``'s times, µs since the epoch.
        shared: MMSIs whose fixes must be taken by track (:func:`shared_mmsis`).
        by_track: The fixes of the ``shared`` MMSIs with their ``track_id``.
    """

    frame: pl.DataFrame
    mmsi: npt.NDArray[np.int64]
    time_us: npt.NDArray[np.int64]
    shared: frozenset[int]
    by_track: pl.DataFrame

    @classmethod
    def build(cls, positions: pl.LazyFrame, tracks: pl.DataFrame, config: Config) -> PositionIndex:
        """Read and sort the position columns a track needs; segment the shared MMSIs."""
        frame = positions.select(TRACK_COLUMNS).sort("mmsi", "timestamp").collect()
        shared = shared_mmsis(tracks)
        return cls(
            frame,
            frame["mmsi"].to_numpy(),
            frame["timestamp"].dt.epoch("us").to_numpy(),
            frozenset(shared),
            fixes_by_track(positions, shared, config),
        )

    def window(self, mmsi: int, start: datetime | None, end: datetime | None) -> tuple[int, int]:
        """Row range [first, last) of one MMSI's fixes between two times (inclusive)."""
        first = int(np.searchsorted(self.mmsi, mmsi, side="left"))
        last = int(np.searchsorted(self.mmsi, mmsi, side="right"))
        if first == last:
            return first, last
        times = self.time_us[first:last]
        low = 0 if start is None else int(np.searchsorted(times, _epoch_us(start), side="left"))
        high = len(times) if end is None else int(np.searchsorted(times, _epoch_us(end), side="right"))
        return first + low, first + high

    def positions(self, windows: list[tuple[str, int, datetime, datetime]]) -> pl.DataFrame:
        """Fixes of several tracks, each as (track id, MMSI, from, to), in time order without duplicates."""
        slices = []
        for track_id, mmsi, start, end in windows:
            if mmsi in self.shared:
                own = self.by_track.filter(
                    (pl.col("track_id") == track_id) & pl.col("timestamp").is_between(start, end)
                )
                slices.append(own.drop("track_id"))
                continue
            first, last = self.window(mmsi, start, end)
            if last > first:
                slices.append(self.frame.slice(first, last - first))
        if not slices:
            return self.frame.clear()
        return pl.concat(slices).unique(maintain_order=True).sort("timestamp")


def _epoch_us(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


@dataclass(frozen=True)
class StoreData:
    """One consistent reading of a store.

    Attributes:
        root: The store directory.
        vessels: The ``vessels`` table.
        vessel_rows: Vessels as the API lists them (:func:`~shadowfleet.api.queries.vessel_rows`).
        identities: The ``identities`` table.
        tracks: The ``tracks`` table.
        events: The ``events`` table.
        sanctions_matches: The ``sanctions_matches`` table.
        voyages: The ``voyages`` table.
        shipments: The ``shipments`` table.
        trade_flows: The ``trade_flows`` table.
        positions: The position index.
        extent: ``time_min``, ``time_max`` (ISO 8601) and ``bbox`` ([min_lon, min_lat,
            max_lon, max_lat] of the central 99 % of positions, so a few false fixes
            do not zoom the map out to the whole world; None when there are none).
        generation: The catalog's modification time (ns) when read.
    """

    root: Path
    vessels: pl.DataFrame
    vessel_rows: pl.DataFrame
    identities: pl.DataFrame
    tracks: pl.DataFrame
    events: pl.DataFrame
    sanctions_matches: pl.DataFrame
    voyages: pl.DataFrame
    shipments: pl.DataFrame
    trade_flows: pl.DataFrame
    positions: PositionIndex
    extent: dict[str, Any]
    generation: int

    @classmethod
    def load(cls, store: Store, config: Config) -> StoreData:
        """Read a store.

        Raises:
            StoreError: When the store has no vessels (``detect`` has not run).
        """
        generation = _generation(store.root)
        if not store.table_files("vessels"):
            raise StoreError(f"{store.root}: no vessels yet; run `shadowfleet run` (or detect) on it first")
        vessels = _table(store, "vessels")
        identities = _table(store, "identities")
        positions = (
            store.scan("positions") if store.table_files("positions") else schemas.empty(schemas.POSITIONS).lazy()
        )
        tracks = _table(store, "tracks")
        index = PositionIndex.build(positions, tracks, config)
        return cls(
            root=store.root,
            vessels=vessels,
            vessel_rows=vessel_rows(vessels, identities, config.risk),
            identities=identities,
            tracks=tracks,
            events=_table(store, "events"),
            sanctions_matches=_table(store, "sanctions_matches"),
            voyages=_table(store, "voyages"),
            shipments=_table(store, "shipments"),
            trade_flows=_table(store, "trade_flows"),
            positions=index,
            extent=_extent(index.frame),
            generation=generation,
        )


def _extent(positions: pl.DataFrame) -> dict[str, Any]:
    span = records(
        positions.select(pl.col("timestamp").min().alias("time_min"), pl.col("timestamp").max().alias("time_max"))
    )[0]
    bbox = None
    if positions.height:
        bounds = positions.select(
            pl.col("lon").quantile(0.005).alias("min_lon"),
            pl.col("lat").quantile(0.005).alias("min_lat"),
            pl.col("lon").quantile(0.995).alias("max_lon"),
            pl.col("lat").quantile(0.995).alias("max_lat"),
        ).row(0)
        bbox = [round(float(v), 4) for v in bounds]
    return {**span, "bbox": bbox}


def _generation(root: Path) -> int:
    try:
        return (root / CATALOG_FILE).stat().st_mtime_ns
    except OSError:
        return 0


class StoreState:
    """The current :class:`StoreData` of a store, read again when the store changes."""

    def __init__(self, root: Path, config: Config) -> None:
        self._store = Store(root, config.store)
        self._config = config
        self._lock = threading.Lock()
        self._data = StoreData.load(self._store, config)

    @property
    def root(self) -> Path:
        """The store directory."""
        return self._store.root

    def current(self) -> StoreData:
        """The store's data, re-read first when its catalog changed since the last reading."""
        data = self._data
        if _generation(self._store.root) == data.generation:
            return data
        with self._lock:
            if _generation(self._store.root) != self._data.generation:
                self._data = StoreData.load(self._store, self._config)
            return self._data
