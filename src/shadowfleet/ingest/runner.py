"""Ingest inputs into a store: read, decode, finalise, stage and commit, input by input.

This is the edge where files meet the pure decoders. Each input (or zip member) is
hashed; an input already in the store is skipped; otherwise it is decoded batch by
batch into the staging area and committed atomically with its summary row in
``sources``. A file that cannot be read at all is reported as failed with a clear
message and does not stop the other inputs.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from shadowfleet.config import Config
from shadowfleet.errors import InputError, ShadowfleetError
from shadowfleet.ingest.batch import DecodedBatch, finalise
from shadowfleet.ingest.nmea import NmeaDecoder
from shadowfleet.ingest.rejects import count_by_reason
from shadowfleet.ingest.sources import Member, inspect_input, open_stream
from shadowfleet.ingest.tables import detect_layout, normalise_table, settle_time_formats
from shadowfleet.store.lake import Store

Hash = Any  # hashlib's hash objects have no public class
MAX_LINE_BYTES = 1 << 20
"""A longer stretch without a newline is cut into pieces (each then refused as malformed)."""
ProgressCallback = Callable[[str, int, int | None], None]
"""Called with (input name, bytes done, bytes total or None) as decoding advances."""


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Per-run options of ``shadowfleet ingest``.

    Attributes:
        default_time: Time given to NMEA messages that nothing in the data dates.
        column_map: Table column mapping (canonical field → column) for generic CSVs.
        time_format: strftime format of table timestamps.
        receiver_class: Receiver class for table rows whose table does not say.
    """

    default_time: datetime | None = None
    column_map: dict[str, str] | None = None
    time_format: str | None = None
    receiver_class: str | None = None


@dataclass(slots=True)
class SourceReport:
    """What happened to one input."""

    name: str
    source_id: str | None = None
    format: str | None = None
    status: str = "pending"  # ingested | skipped | empty | failed
    message: str = ""
    units_read: int = 0
    unit: str = "lines"
    rows: Counter[str] = field(default_factory=Counter)
    rejects: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    content_hash: str = ""
    time_min: datetime | None = None
    time_max: datetime | None = None
    duration_s: float = 0.0


def _iter_nmea(
    member: Member, config: Config, options: IngestOptions, progress: ProgressCallback | None, digest: Hash
) -> Iterator[DecodedBatch]:
    default_us = None
    if options.default_time is not None:
        moment = options.default_time if options.default_time.tzinfo else options.default_time.replace(tzinfo=UTC)
        default_us = int(moment.timestamp() * 1_000_000)
    decoder = NmeaDecoder(config.ingest, default_us)
    chunk_size = config.ingest.nmea_chunk_bytes
    total = member.path.stat().st_size if member.compression == "none" else None
    done = 0
    first_line = 1
    with open_stream(member.path, member.compression, member.member) as handle:
        pending = b""
        while True:
            block = handle.read(chunk_size)
            digest.update(block)
            if member.cr_line_ends:
                block = block.replace(b"\r", b"\n")
            final = not block
            data = pending + block
            if not final:
                cut = data.rfind(b"\n") + 1
                if cut == 0 and len(data) < MAX_LINE_BYTES:
                    pending = data
                    continue
                if cut == 0:  # no newline for MAX_LINE_BYTES: not a log; cut anyway
                    cut = len(data)
                data, pending = data[:cut], data[cut:]
            done += len(block)
            if data or final:
                batch = decoder.decode(data, first_line, final=final)
                first_line += batch.counts["lines"]
                yield batch
            if progress is not None:
                progress(member.name, done, total)
            if final:
                return


def _iter_table(
    member: Member,
    config: Config,
    options: IngestOptions,
    progress: ProgressCallback | None,
    scratch: Path,
    digest: Hash,
) -> Iterator[DecodedBatch]:
    if member.compression == "none":
        source = member.path
        _hash_into(source, digest)
    else:
        # Decompressed to a scratch file, for Polars to scan it in batches.
        source = scratch / ("table.parquet" if member.format == "parquet" else "table.csv")
        with open_stream(member.path, member.compression, member.member) as handle, open(source, "wb") as out:
            while block := handle.read(8 * 1024 * 1024):
                digest.update(block)
                out.write(block)
    try:
        if member.format == "parquet":
            first_row = 1
            lazy = pl.scan_parquet(source)
        else:
            first_row = 2  # line 1 is the header
            lazy = pl.scan_csv(
                source,
                separator=member.separator,
                infer_schema=False,
                truncate_ragged_lines=True,
                encoding="utf8-lossy",
                quote_char='"',
                eol_char="\r" if member.cr_line_ends else "\n",
            )
        columns = lazy.collect_schema().names()
    except Exception as exc:  # Polars raises several kinds for unreadable files
        raise InputError(f"cannot read {member.format.upper()}: {exc}", member.name) from exc
    layout = detect_layout(columns, options.column_map, options.time_format, member.name)
    layout = settle_time_formats(lazy, layout, member.name)
    done = 0
    try:
        for frame in lazy.collect_batches(chunk_size=config.ingest.csv_batch_rows):
            batch = normalise_table(
                frame,
                layout,
                first_row=first_row + done,
                epoch_ms_threshold=config.ingest.epoch_ms_threshold,
                min_valid_time_s=config.ingest.min_valid_time_s,
                receiver_class=options.receiver_class,
            )
            batch.counts[f"provider.{layout.provider}"] += frame.height
            done += frame.height
            if progress is not None:
                progress(member.name, done, None)
            yield batch
    except InputError:
        raise
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot parse table near row {first_row + done}: {exc}", member.name) from exc


def _hash_into(path: Path, digest: Hash) -> None:
    with open(path, "rb") as handle:
        while block := handle.read(8 * 1024 * 1024):
            digest.update(block)


def ingest_member(
    store: Store,
    member: Member,
    config: Config,
    options: IngestOptions,
    progress: ProgressCallback | None = None,
) -> SourceReport:
    """Ingest one input stream into the store (the caller holds the write lock).

    Args:
        store: The store.
        member: The input, from :func:`inspect_input`.
        config: Configuration.
        options: Run options.
        progress: Optional progress callback.

    Returns:
        The report of this input.
    """
    report = SourceReport(name=member.name, source_id=member.source_id, format=member.format)
    started = time.perf_counter()
    if store.has_source(member.source_id):
        report.status = "skipped"
        report.message = "already in the store (same content)"
        return report
    if member.format == "empty":
        report.status = "empty"
        report.message = "the file is empty"
    report.unit = "lines" if member.format in ("nmea", "empty") else "rows"
    staged = store.stage(member.source_id)
    digest = hashlib.sha256()
    try:
        with tempfile.TemporaryDirectory(dir=staged.folder) as scratch:
            if member.format == "nmea":
                batches: Iterator[DecodedBatch] = _iter_nmea(member, config, options, progress, digest)
            elif member.format in ("csv", "parquet"):
                batches = _iter_table(member, config, options, progress, Path(scratch), digest)
            else:
                batches = iter(())
            for batch in batches:
                tables = finalise(batch, member.source_id, config.store.vessel_buckets)
                staged.write(tables)
                _account(report, batch, tables)
        report.content_hash = digest.hexdigest()
        same = store.sources().filter(pl.col("content_sha256") == report.content_hash)
        if same.height:
            # The same content under another file (renamed, recompressed...).
            staged.abort()
            report.status = "skipped"
            report.message = f"same content as {same['path'][0]} (already in the store)"
            report.rows.clear()
            report.rejects.clear()
            report.counts.clear()
            report.units_read = 0
            report.time_min = report.time_max = None
            return report
        report.duplicates = staged.duplicates
        report.rows["positions"] -= staged.duplicates
        report.duration_s = time.perf_counter() - started
        staged.commit(_source_row(member, report))
        if report.status == "pending":
            report.status = "ingested"
    except ShadowfleetError as exc:
        staged.abort()
        report.status = "failed"
        report.message = str(exc)
    except Exception as exc:  # one input's failure must not stop the others
        staged.abort()
        report.status = "failed"
        report.message = f"{member.name}: unexpected {type(exc).__name__} while reading: {exc}"
    except BaseException:
        staged.abort()
        raise
    report.duration_s = time.perf_counter() - started
    return report


def _account(report: SourceReport, batch: DecodedBatch, tables: dict[str, pl.DataFrame]) -> None:
    report.counts.update(batch.counts)
    report.units_read += batch.counts.get("lines", 0) + batch.counts.get("rows", 0)
    for name in ("positions", "statics", "aids_to_navigation", "base_stations"):
        report.rows[name] += tables[name].height
    report.rejects.update(count_by_reason(tables["rejects"]))
    stamps = [tables[t]["timestamp"] for t in ("positions", "statics") if tables[t].height]
    for stamp in stamps:
        low, high = stamp.min(), stamp.max()
        if isinstance(low, datetime) and (report.time_min is None or low < report.time_min):
            report.time_min = low
        if isinstance(high, datetime) and (report.time_max is None or high > report.time_max):
            report.time_max = high


def _source_row(member: Member, report: SourceReport) -> dict[str, Any]:
    size = member.path.stat().st_size
    counts = {"rejects": dict(report.rejects), **{k: v for k, v in sorted(report.counts.items()) if v}}
    return {
        "source_id": member.source_id,
        "path": str(member.path.resolve()),
        "member": member.member,
        "content_sha256": report.content_hash,
        "file_sha256": member.file_hash,
        "format": member.format,
        "size_bytes": size,
        "ingested_at": datetime.now(UTC),
        "units_read": report.units_read,
        "unit": report.unit,
        "positions": report.rows["positions"],
        "statics": report.rows["statics"],
        "aids_to_navigation": report.rows["aids_to_navigation"],
        "base_stations": report.rows["base_stations"],
        "rejected": sum(report.rejects.values()),
        "duplicates": report.duplicates,
        "counts_json": json.dumps(counts, sort_keys=True),
        "time_min": report.time_min,
        "time_max": report.time_max,
        "duration_s": report.duration_s,
    }


def ingest_paths(
    store: Store,
    paths: list[str | Path],
    config: Config,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
) -> list[SourceReport]:
    """Ingest several inputs; an unreadable one is reported and the others go on.

    Args:
        store: The store (its write lock is taken here).
        paths: Input files.
        config: Configuration.
        options: Run options.
        progress: Optional progress callback.

    Returns:
        One report per input stream (a zip archive may hold several).
    """
    options = options or IngestOptions()
    reports: list[SourceReport] = []
    with store.writing():
        for path in paths:
            try:
                members = inspect_input(path)
            except InputError as exc:
                reports.append(SourceReport(name=str(path), status="failed", message=str(exc)))
                continue
            reports.extend(ingest_member(store, member, config, options, progress) for member in members)
    return reports
