"""DuckDB over the lake: one view per table, in ``catalog.duckdb`` and in memory.

``catalog.duckdb`` lets any DuckDB client open a store and query it (``duckdb
store/catalog.duckdb``). shadowfleet's own queries use a fresh in-memory connection
with the same views, so readers never contend for the catalog file's lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import duckdb
import polars as pl

from shadowfleet import schemas
from shadowfleet.errors import StoreError
from shadowfleet.store.lake import CATALOG_FILE, Store

_DUCKDB_TYPES: Final[dict[type[pl.DataType], str]] = {
    pl.Int8: "TINYINT",
    pl.Int16: "SMALLINT",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.Float32: "FLOAT",
    pl.Float64: "DOUBLE",
    pl.String: "VARCHAR",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
}


def _duckdb_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return f"{_duckdb_type(inner if isinstance(inner, pl.DataType) else inner())}[]"
    return _DUCKDB_TYPES[type(dtype)]


def _quote_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def view_sql(store: Store, table: str) -> str:
    """The ``CREATE OR REPLACE VIEW`` statement of one table over the lake."""
    schema = schemas.TABLES[table]
    columns = ", ".join(f'"{name}"' for name in schema)
    files = store.table_files(table)
    if files:
        # An explicit list of the committed inputs' files (see Store.table_files):
        # a reader of the catalog never sees an input being committed.
        listed = ", ".join(_quote_path(p.resolve()) for p in files)
        source = f"read_parquet([{listed}], union_by_name = true, hive_partitioning = false)"
        return f'CREATE OR REPLACE VIEW "{table}" AS SELECT {columns} FROM {source}'
    typed = ", ".join(f'CAST(NULL AS {_duckdb_type(dtype)}) AS "{name}"' for name, dtype in schema.items())
    return f'CREATE OR REPLACE VIEW "{table}" AS SELECT {typed} LIMIT 0'


def attach_views(connection: duckdb.DuckDBPyConnection, store: Store) -> None:
    """Create every table's view on a connection."""
    connection.execute("SET TimeZone = 'UTC'")
    for table in schemas.TABLES:
        connection.execute(view_sql(store, table))


def refresh_catalog(store: Store) -> Path:
    """Rewrite the views of ``catalog.duckdb`` (after the lake changed).

    Returns:
        The catalog's path.
    """
    path = store.root / CATALOG_FILE
    temporary = path.with_name(f".{CATALOG_FILE}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(temporary)) as connection:
            attach_views(connection, store)
        os.replace(temporary, path)
    except (duckdb.Error, OSError) as exc:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"cannot write the catalog {path}: {exc}") from exc
    return path


def connect(store: Store) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the store's views."""
    connection = duckdb.connect(":memory:")
    attach_views(connection, store)
    return connection


def fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """Run SQL and return the result as a Polars frame."""
    relation: duckdb.DuckDBPyRelation | None = connection.sql(sql)
    if relation is None:  # a statement, not a query
        return pl.DataFrame()
    frame = pl.from_arrow(relation.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame
