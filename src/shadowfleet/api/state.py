"""What the server holds in memory: the store's tables, indexed for the API's queries.

The tables an analyst browses (vessels, identities, events, matches, voyages,
shipments, flows) are small next to the positions and are held whole. Positions are
held as a few columns sorted by (MMSI, time) so a vessel's track is two binary
searches per track away: about 40 bytes a position, 400 MB for 10 million. The
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
from shadowfleet.store.lake import CATALOG_FILE, Store

TRACK_COLUMNS = ("mmsi", "timestamp", "lat", "lon", "sog_kn", "cog_deg")


def _table(store: Store, name: str) -> pl.DataFrame:
    if not store.table_files(name):
        return schemas.empty(schemas.TABLES[name])
    return store.scan(name).collect()


@dataclass(frozen=True)
class PositionIndex:
    """Positions sorted by (MMSI, time) with the MMSI column as a NumPy array for binary search."""

    frame: pl.DataFrame
    mmsi: npt.NDArray[np.int64]
    time_us: npt.NDArray[np.int64]

    @classmethod
    def build(cls, positions: pl.LazyFrame) -> PositionIndex:
        """Read and sort the position columns a track needs."""
        frame = positions.select(TRACK_COLUMNS).sort("mmsi", "timestamp").collect()
        return cls(
            frame,
            frame["mmsi"].to_numpy(),
            frame["timestamp"].dt.epoch("us").to_numpy(),
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

    def positions(self, windows: list[tuple[int, datetime, datetime]]) -> pl.DataFrame:
        """Fixes of several (MMSI, from, to) windows, in time order without duplicates."""
        slices = []
        for mmsi, start, end in windows:
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
        index = PositionIndex.build(positions)
        return cls(
            root=store.root,
            vessels=vessels,
            vessel_rows=vessel_rows(vessels, identities, config.risk),
            identities=identities,
            tracks=_table(store, "tracks"),
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
