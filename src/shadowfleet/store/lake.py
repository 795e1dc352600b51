"""The Parquet lake: shadowfleet's embedded store.

Layout of a store directory::

    positions/date=YYYY-MM-DD/part-<source>-<batch>.parquet   sorted by (vessel_bucket, mmsi, timestamp)
    statics/part-<source>-<batch>.parquet
    aids_to_navigation/..., base_stations/..., rejects/...     (same naming)
    sources.parquet                                           one row per ingested input
    catalog.duckdb                                            a view per table
    _staging/<source>/                                        an ingest in progress

Writes are atomic per input. An ingest writes every file of one input into
``_staging/<source>/``; committing writes a ``COMMIT.json`` journal, moves the staged
files into the lake, rewrites ``sources.parquet`` and removes the staging folder. A run
killed before the journal leaves nothing visible (the staging folder is discarded
when the store is next opened); a run killed after it is completed on next open. So a
reader never sees half an input, and re-ingesting an input whose source id is in
``sources.parquet`` adds nothing.

Only one process may write a store at a time (an exclusive lock on ``.lock``).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet import schemas
from shadowfleet.config import StoreConfig
from shadowfleet.errors import StoreError

STAGING: Final = "_staging"
SOURCES_FILE: Final = "sources.parquet"
CATALOG_FILE: Final = "catalog.duckdb"
PARTITIONED: Final = frozenset({"positions"})
LAKE_TABLES: Final = ("positions", "statics", "aids_to_navigation", "base_stations", "rejects")
DERIVED_TABLES: Final = (
    "tracks",
    "identities",
    "declarations",
    "events",
    "vessels",
    "sanctions_matches",
    "voyages",
    "shipments",
    "trade_flows",
)
"""Tables computed from the lake (``detect``, ``screen``): one Parquet file each, replaced whole."""
POSITION_KEY: Final = (
    "mmsi",
    "timestamp",
    "lat",
    "lon",
    "sog_kn",
    "cog_deg",
    "heading_deg",
    "nav_status",
    "msg_type",
)
"""Columns that make two position rows the same report (receiver and provenance aside)."""


def vessel_bucket(mmsi: npt.NDArray[np.int64], buckets: int) -> npt.NDArray[np.int32]:
    """Stable bucket of each MMSI: SplitMix64's finaliser of the MMSI, modulo ``buckets``.

    Python's and Polars' hashes change between processes or versions; this one is
    fixed arithmetic, so a vessel stays in its bucket forever.
    """
    with np.errstate(over="ignore"):
        z = mmsi.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    result: npt.NDArray[np.int32] = (z % np.uint64(buckets)).astype(np.int32)
    return result


def write_parquet_atomic(frame: pl.DataFrame, path: Path, config: StoreConfig) -> None:
    """Write a Parquet file under a temporary name and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.write_parquet(
            temporary,
            compression=config.compression,  # type: ignore[arg-type]  # validated by StoreConfig
            row_group_size=config.row_group_rows,
        )
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc}") from exc


class Store:
    """A store directory (see the module docstring).

    Args:
        root: The directory; created when ``create`` is True.
        config: Store configuration.
        create: Create the directory when it does not exist.

    Raises:
        StoreError: When the directory does not exist and ``create`` is False, or is
            not a shadowfleet store.
    """

    def __init__(self, root: str | Path, config: StoreConfig | None = None, *, create: bool = False) -> None:
        self.root = Path(root)
        self.config = config or StoreConfig()
        if not self.root.exists():
            if not create:
                raise StoreError(f"{self.root}: no such store (run `shadowfleet ingest` first)")
            self.root.mkdir(parents=True)
        elif not self.root.is_dir():
            raise StoreError(f"{self.root}: not a directory")

    # ------------------------------------------------------------------ locking
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store's write lock; recover any interrupted ingest first."""
        lock_path = self.root / ".lock"
        with open(lock_path, "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise StoreError(f"{self.root}: another shadowfleet process is writing this store") from exc
            try:
                self.recover()
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def recover(self) -> list[str]:
        """Finish committed ingests and discard uncommitted ones.

        Returns:
            Source ids whose commit was completed.
        """
        staging = self.root / STAGING
        completed: list[str] = []
        if not staging.exists():
            return completed
        for folder in sorted(p for p in staging.iterdir() if p.is_dir()):
            journal = folder / "COMMIT.json"
            if journal.exists():
                self._apply_commit(folder, json.loads(journal.read_text()))
                completed.append(folder.name)
            else:
                shutil.rmtree(folder, ignore_errors=True)
        return completed

    # ------------------------------------------------------------------ reading
    def table_files(self, table: str) -> list[Path]:
        """The Parquet files of a table in the lake, from committed inputs only.

        Files are moved into the lake one by one while an input is committed; the
        input is recorded in ``sources`` last. Listing only the files of recorded
        inputs (their names carry the source id) means a reader never sees half an
        input.
        """
        if table == "sources":
            path = self.root / SOURCES_FILE
            return [path] if path.exists() else []
        if table in DERIVED_TABLES:
            path = self.root / f"{table}.parquet"
            return [path] if path.exists() else []
        folder = self.root / table
        if not folder.exists():
            return []
        pattern = "date=*/*.parquet" if table in PARTITIONED else "*.parquet"
        committed = set(self.sources()["source_id"].to_list())
        return sorted(p for p in folder.glob(pattern) if p.name.split("-")[1] in committed)

    def scan(self, table: str) -> pl.LazyFrame:
        """A lazy scan of a table (empty with the table's schema when it has no data)."""
        schema = schemas.TABLES[table]
        files = self.table_files(table)
        if not files:
            return schemas.empty(schema).lazy()
        return pl.scan_parquet(files, missing_columns="insert", extra_columns="ignore").select(list(schema))

    def sources(self) -> pl.DataFrame:
        """The ``sources`` table."""
        path = self.root / SOURCES_FILE
        if not path.exists():
            return schemas.empty(schemas.SOURCES)
        return pl.read_parquet(path)

    def has_source(self, source_id: str) -> bool:
        """Whether an input with this source id was committed."""
        return bool(self.sources().filter(pl.col("source_id") == source_id).height)

    # ------------------------------------------------------------------ writing
    def replace_tables(self, tables: dict[str, pl.DataFrame]) -> None:
        """Replace derived tables (see :data:`DERIVED_TABLES`).

        Each is written to a temporary name and renamed into place, so a reader sees
        the old table or the new one, never half of one. Call under :meth:`writing`.
        """
        for name, frame in tables.items():
            if name not in DERIVED_TABLES:
                raise StoreError(f"{name} is not a derived table ({', '.join(DERIVED_TABLES)})")
            write_parquet_atomic(
                schemas.conform(frame, schemas.TABLES[name]), self.root / f"{name}.parquet", self.config
            )

    def stage(self, source_id: str) -> StagedSource:
        """Start writing one input; see :class:`StagedSource`."""
        return StagedSource(self, source_id)

    def _apply_commit(self, folder: Path, journal: dict[str, Any]) -> None:
        for relative in journal["files"]:
            staged = folder / relative
            final = self.root / relative
            if staged.exists():
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, final)
        values = dict(journal["source"])
        for column, dtype in schemas.SOURCES.items():
            if isinstance(dtype, pl.Datetime) and isinstance(values.get(column), str):
                values[column] = datetime.fromisoformat(values[column])
        row = pl.DataFrame([{c: values.get(c) for c in schemas.SOURCES}], schema=schemas.SOURCES)
        existing = self.sources().filter(pl.col("source_id") != journal["source"]["source_id"])
        write_parquet_atomic(pl.concat([existing, row]), self.root / SOURCES_FILE, self.config)
        shutil.rmtree(folder, ignore_errors=True)


class StagedSource:
    """The files of one input being ingested, kept apart until :meth:`commit`.

    Batches are written as they are decoded, so memory stays bounded for inputs of
    any size. Position rows identical to another row of the same batch (same vessel,
    time, position and motion) are dropped and counted.
    """

    def __init__(self, store: Store, source_id: str) -> None:
        self.store = store
        self.source_id = source_id
        self.folder = store.root / STAGING / source_id
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        self.files: list[str] = []
        self.batches = 0
        self.duplicates = 0
        self.journaled = False

    def write(self, tables: dict[str, pl.DataFrame]) -> None:
        """Write one batch of each table.

        Args:
            tables: Table name → frame conformed to its schema.
        """
        batch = self.batches
        self.batches += 1
        for table, frame in tables.items():
            if frame.height == 0:
                continue
            if table == "positions":
                self._write_positions(frame, batch)
            else:
                self._write(f"{table}/part-{self.source_id}-{batch:05d}.parquet", frame)

    def _write(self, relative: str, frame: pl.DataFrame) -> None:
        write_parquet_atomic(frame, self.folder / relative, self.store.config)
        self.files.append(relative)

    def _write_positions(self, frame: pl.DataFrame, batch: int) -> None:
        before = frame.height
        # Identical reports in one batch (the same message heard by two receivers at
        # the same instant) are stored once. Duplicates across batches or inputs are
        # left to the cleaning step of track building, which sees each vessel's rows
        # in time order anyway; checking every batch against the lake here would cost
        # a read of the whole partition per batch.
        frame = frame.unique(subset=list(POSITION_KEY), keep="first", maintain_order=True)
        self.duplicates += before - frame.height
        frame = frame.with_columns(pl.col("timestamp").dt.date().alias("_date"))
        for (day,), rows in frame.group_by("_date", maintain_order=True):
            part = rows.drop("_date").sort(["vessel_bucket", "mmsi", "timestamp"])
            self._write(f"positions/date={day}/part-{self.source_id}-{batch:05d}.parquet", part)

    def commit(self, source_row: dict[str, Any]) -> None:
        """Make the input visible: journal, move the files, record the source.

        Raises:
            StoreError: When the commit could not be finished. Once the journal is
                written the commit is decided: the next writer completes it.
        """
        row = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in source_row.items()}
        journal = {"source": row, "files": self.files}
        path = self.folder / "COMMIT.json"
        temporary = path.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps(journal))
            os.replace(temporary, path)
        except OSError as exc:
            raise StoreError(f"cannot write the commit journal {path}: {exc}") from exc
        self.journaled = True
        try:
            self.store._apply_commit(self.folder, journal)
        except OSError as exc:
            raise StoreError(
                f"commit of {self.source_id} interrupted ({exc}); the next write to the store completes it"
            ) from exc

    def abort(self) -> None:
        """Discard everything staged, unless the commit was already decided."""
        if not self.journaled:
            shutil.rmtree(self.folder, ignore_errors=True)
