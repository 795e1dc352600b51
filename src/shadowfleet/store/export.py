"""Export a table of the store to Parquet, CSV or GeoJSON, with optional filters."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import polars as pl

from shadowfleet import schemas
from shadowfleet.errors import InputError, StoreError
from shadowfleet.store.lake import Store

FORMATS: Final = {".parquet": "parquet", ".csv": "csv", ".geojson": "geojson", ".json": "geojson"}
GEOJSON_BATCH_ROWS: Final = 200_000


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Row filters of an export (all optional).

    Attributes:
        mmsi: Keep these MMSIs.
        start: Keep rows at or after this time (``timestamp`` or ``start_time``).
        end: Keep rows before this time.
        bbox: ``(min_lon, min_lat, max_lon, max_lat)`` in degrees.
    """

    mmsi: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None


def _time_column(schema: dict[str, pl.DataType]) -> str | None:
    for name in ("timestamp", "start_time", "ingested_at"):
        if name in schema:
            return name
    return None


def filtered(store: Store, table: str, where: ExportFilter) -> pl.LazyFrame:
    """A lazy scan of ``table`` with the filters applied.

    Raises:
        InputError: When a filter needs a column the table does not have.
    """
    if table not in schemas.TABLES:
        raise InputError(f"unknown table {table!r}; tables: {', '.join(schemas.TABLES)}")
    schema = schemas.TABLES[table]
    frame = store.scan(table)
    if where.mmsi:
        if "mmsi" not in schema:
            raise InputError(f"table {table} has no mmsi column")
        frame = frame.filter(pl.col("mmsi").is_in(list(where.mmsi)))
    time_column = _time_column(schema)
    for bound, keep in ((where.start, True), (where.end, False)):
        if bound is None:
            continue
        if time_column is None:
            raise InputError(f"table {table} has no time column to filter on")
        moment = (
            pl.lit(bound).dt.convert_time_zone("UTC") if bound.tzinfo else pl.lit(bound).dt.replace_time_zone("UTC")
        )
        frame = frame.filter(pl.col(time_column) >= moment if keep else pl.col(time_column) < moment)
    if where.bbox is not None:
        if "lat" not in schema:
            raise InputError(f"table {table} has no position to filter on")
        min_lon, min_lat, max_lon, max_lat = where.bbox
        frame = frame.filter(pl.col("lon").is_between(min_lon, max_lon) & pl.col("lat").is_between(min_lat, max_lat))
    return frame


def export_table(store: Store, table: str, out: str | Path, where: ExportFilter | None = None) -> int:
    """Write a table (filtered) to a file; the format follows the file's extension.

    Args:
        store: The store.
        table: Table name.
        out: Output file (``.parquet``, ``.csv``, ``.geojson``).
        where: Row filters.

    Returns:
        Number of rows (GeoJSON: features) written.

    Raises:
        InputError: Unknown table or extension, or a filter the table cannot take.
        StoreError: When the file cannot be written.
    """
    path = Path(out)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"unknown export format {path.suffix!r}; use {', '.join(FORMATS)}", path)
    frame = filtered(store, table, where or ExportFilter()).collect()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        if kind == "parquet":
            frame.write_parquet(temporary)
            written = frame.height
        elif kind == "csv":
            frame.write_csv(temporary)
            written = frame.height
        else:
            written = _write_geojson(frame, temporary, table)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {exc}") from exc
    return written


def geojson_features(
    frame: pl.DataFrame, table: str, path: Path | None = None, *, keep_unlocated: bool = False
) -> pl.Series:
    """One GeoJSON ``Feature`` (text) per row: a Point at ``lon, lat`` with the other columns as properties.

    Args:
        frame: Rows with ``lat`` and ``lon`` columns.
        table: The table's name (for the error message).
        path: The file being written (for the error message).
        keep_unlocated: Rows without a position become features with a null geometry
            (RFC 7946 §3.2: an unlocated feature) instead of being left out.

    Raises:
        InputError: When the table has no positions.
    """
    if "lat" not in frame.columns or "lon" not in frame.columns:
        raise InputError(f"table {table} has no positions; export it as .csv or .parquet", path)
    has_position = pl.col("lat").is_not_null() & pl.col("lon").is_not_null()
    located = frame if keep_unlocated else frame.filter(has_position)
    properties = [c for c in located.columns if c not in ("lat", "lon")]
    # Times as ISO 8601 text, the GeoJSON convention.
    located = located.with_columns(
        pl.col(c).dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")
        for c, dtype in located.schema.items()
        if isinstance(dtype, pl.Datetime)
    )
    properties_json = pl.struct(properties).struct.json_encode() if properties else pl.lit("{}")
    point = pl.concat_str(
        [
            pl.lit('{"type":"Point","coordinates":['),
            pl.col("lon").cast(pl.String),
            pl.lit(","),
            pl.col("lat").cast(pl.String),
            pl.lit("]}"),
        ]
    )
    geometry = pl.when(has_position).then(point).otherwise(pl.lit("null"))
    return located.select(
        pl.concat_str(
            [pl.lit('{"type":"Feature","geometry":'), geometry, pl.lit(',"properties":'), properties_json, pl.lit("}")]
        ).alias("feature")
    )["feature"]


def _write_geojson(frame: pl.DataFrame, path: Path, table: str) -> int:
    features = geojson_features(frame, table, path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write('{"type":"FeatureCollection","features":[\n')
        for offset in range(0, features.len(), GEOJSON_BATCH_ROWS):
            chunk = features.slice(offset, GEOJSON_BATCH_ROWS)
            if offset:
                handle.write(",\n")
            handle.write(",\n".join(chunk.to_list()))
        handle.write("\n]}\n")
    return features.len()
