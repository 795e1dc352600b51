"""The API's queries: pure functions of the store's Polars frames.

Nothing here reads files or knows about HTTP, so each query is tested on small frames
and the same code answers the web application, the benchmarks and any later engine.
Filters are Polars expressions; no SQL is built from request text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
import polars as pl
import pyarrow as pa
from rapidfuzz import fuzz, process, utils

from shadowfleet.config import RiskConfig
from shadowfleet.risk.score import band

EVENT_TYPES: Final[tuple[str, ...]] = (
    "ais_gap",
    "encounter",
    "loitering",
    "port_visit",
    "dark_port_call",
    "identity_change",
    "identity_anomaly",
    "spoofing",
    "draught_change",
    "area_entry",
    "route_deviation",
    "dark_detection",
)
"""The fixed ``event_type`` vocabulary (DESIGN §3), in the order of ``event_type_code``."""

ARROW_MEDIA_TYPE: Final = "application/vnd.apache.arrow.stream"
"""The IANA media type of an Arrow IPC stream."""

MAP_TILE_PX: Final = 512
"""MapLibre's tile size: at zoom z the world is 512·2^z pixels wide."""

NAME_MATCH_MIN: Final = 70.0
"""Smallest rapidfuzz WRatio (0–100) at which a name is offered as a search result."""

VESSEL_ROW_COLUMNS: Final[tuple[str, ...]] = (
    "vessel_id",
    "mmsi",
    "imo",
    "name",
    "call_sign",
    "flag_iso2",
    "ship_type",
    "first_seen",
    "last_seen",
    "n_positions",
    "risk_score",
    "band",
    "sanctioned",
)


def iso_utc(column: pl.Expr) -> pl.Expr:
    """UTC times as ISO 8601 text ending in ``Z``, with microseconds only when there are some."""
    return column.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").str.replace(r"\.000000Z$", "Z")


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: times as ISO 8601 UTC (``...Z``), NaN as null, dates as ``YYYY-MM-DD``."""
    columns: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            columns.append(iso_utc(column))
        elif dtype == pl.Date:
            columns.append(column.dt.strftime("%Y-%m-%d"))
        elif dtype.is_float():
            columns.append(pl.when(column.is_finite()).then(column).otherwise(None).alias(name))
        else:
            columns.append(column)
    return frame.select(columns).to_dicts()


# --- vessels ---------------------------------------------------------------------------------


def vessel_rows(vessels: pl.DataFrame, identities: pl.DataFrame, config: RiskConfig) -> pl.DataFrame:
    """The vessels table as the API lists it: latest call sign, risk band, sanctioned flag.

    Args:
        vessels: The ``vessels`` table.
        identities: The ``identities`` table (for the call sign, which ``vessels`` lacks).
        config: Risk configuration (the band limits).

    Returns:
        One row per vessel with :data:`VESSEL_ROW_COLUMNS`, highest risk first.
    """
    call_signs = (
        identities.filter(pl.col("call_sign").is_not_null())
        .sort("valid_to")
        .group_by("vessel_id")
        .agg(pl.col("call_sign").last())
    )
    matched = pl.col("sanctions_matches").is_not_null() & (pl.col("sanctions_matches").str.strip_chars() != "[]")
    return (
        vessels.join(call_signs, on="vessel_id", how="left")
        .with_columns(
            pl.col("risk_score").fill_null(0.0),
            band(pl.col("risk_score").fill_null(0.0), config).alias("band"),
            matched.alias("sanctioned"),
        )
        .select(VESSEL_ROW_COLUMNS)
        .sort(["risk_score", "n_positions", "vessel_id"], descending=[True, True, False])
    )


@dataclass(frozen=True)
class VesselFilter:
    """Filters of the ranked vessel list.

    Attributes:
        flag: ISO 3166-1 alpha-2 flag (from the MMSI's MID).
        ship_type: AIS ship type code.
        sanctioned: Only vessels matching (True) or not matching (False) a list.
        band: Risk band (``low``, ``medium``, ``high``, ``severe``).
        min_score: Lowest risk score (0–100).
        max_score: Highest risk score (0–100).
    """

    flag: str | None = None
    ship_type: int | None = None
    sanctioned: bool | None = None
    band: str | None = None
    min_score: float | None = None
    max_score: float | None = None

    def expression(self) -> pl.Expr:
        """The filter as one Polars predicate."""
        predicate = pl.lit(True)
        if self.flag is not None:
            predicate &= pl.col("flag_iso2") == self.flag.upper()
        if self.ship_type is not None:
            predicate &= pl.col("ship_type") == self.ship_type
        if self.sanctioned is not None:
            predicate &= pl.col("sanctioned") == self.sanctioned
        if self.band is not None:
            predicate &= pl.col("band") == self.band
        if self.min_score is not None:
            predicate &= pl.col("risk_score") >= self.min_score
        if self.max_score is not None:
            predicate &= pl.col("risk_score") <= self.max_score
        return predicate


_IMO_TEXT = re.compile(r"^(?:IMO\s*)?(\d{7})$", re.IGNORECASE)


def search_vessels(rows: pl.DataFrame, identities: pl.DataFrame, query: str, limit: int) -> pl.DataFrame:
    """Vessels matching a search text, best first.

    Nine digits match an MMSI, seven digits (or ``IMO1234567``) an IMO number, any
    text a call sign (exactly, case-insensitive) and a name (fuzzily, WRatio ≥
    :data:`NAME_MATCH_MIN`). Every identity a vessel ever used counts, so a vessel
    is found under its former names and numbers too.

    Args:
        rows: :func:`vessel_rows`.
        identities: The ``identities`` table.
        query: The search text.
        limit: Most results.

    Returns:
        ``rows`` columns plus ``matched_on``, ``matched_value``, ``match_score`` (0–100).
    """
    text = query.strip()
    # ASCII digits only: str.isdigit() accepts superscripts and other scripts' digits.
    numeric = text.isascii() and text.isdigit()
    hits: list[pl.DataFrame] = []
    schema = {
        "vessel_id": pl.String(),
        "matched_on": pl.String(),
        "matched_value": pl.String(),
        "match_score": pl.Float64(),
    }
    if numeric:
        number = int(text)
        for column, width in (("mmsi", 9), ("imo", 7)):
            exact = identities.filter(pl.col(column) == number) if len(text) == width else identities.clear()
            prefix = identities.filter(pl.col(column).cast(pl.String).str.starts_with(text)) if len(text) >= 3 else None
            for found, score in ((exact, 100.0), (prefix, 80.0)):
                if found is not None and found.height:
                    hits.append(
                        found.select(
                            "vessel_id",
                            pl.lit(column).alias("matched_on"),
                            pl.col(column).cast(pl.String).alias("matched_value"),
                            pl.lit(score).alias("match_score"),
                        )
                    )
    imo = _IMO_TEXT.match(text)
    if imo and not numeric:
        hits.append(
            identities.filter(pl.col("imo") == int(imo.group(1))).select(
                "vessel_id",
                pl.lit("imo").alias("matched_on"),
                pl.col("imo").cast(pl.String).alias("matched_value"),
                pl.lit(100.0).alias("match_score"),
            )
        )
    if text:
        hits.append(
            identities.filter(pl.col("call_sign").str.to_uppercase() == text.upper()).select(
                "vessel_id",
                pl.lit("call_sign").alias("matched_on"),
                pl.col("call_sign").alias("matched_value"),
                pl.lit(100.0).alias("match_score"),
            )
        )
        names = identities.select("vessel_id", "name").drop_nulls().unique()
        if names.height and not numeric:
            scored = process.cdist(
                [text], names["name"].to_list(), scorer=fuzz.WRatio, processor=utils.default_process, workers=1
            )[0]
            keep = scored >= NAME_MATCH_MIN
            if keep.any():
                hits.append(
                    names.filter(pl.Series(keep)).select(
                        "vessel_id",
                        pl.lit("name").alias("matched_on"),
                        pl.col("name").alias("matched_value"),
                        pl.Series("match_score", scored[keep].astype(np.float64)),
                    )
                )
    if not hits:
        return rows.clear().with_columns(*(pl.lit(None, dtype).alias(name) for name, dtype in list(schema.items())[1:]))
    best = (
        pl.concat([hit.cast(schema) for hit in hits])  # type: ignore[arg-type]
        .sort("match_score", descending=True)
        .unique("vessel_id", keep="first", maintain_order=True)
    )
    return (
        best.join(rows, on="vessel_id", how="inner")
        .sort(["match_score", "risk_score"], descending=True)
        .head(limit)
        .select(*rows.columns, "matched_on", "matched_value", "match_score")
    )


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundingBox:
    """A longitude/latitude box in degrees; ``min_lon > max_lon`` crosses the antimeridian."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def parse(cls, text: str) -> BoundingBox:
        """Parse ``min_lon,min_lat,max_lon,max_lat``.

        Raises:
            ValueError: With a message for the user when the text is not a box.
        """
        parts = text.split(",")
        if len(parts) != 4:
            raise ValueError("bbox: expected min_lon,min_lat,max_lon,max_lat")
        try:
            min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
        except ValueError as exc:
            raise ValueError(f"bbox: not numbers: {text!r}") from exc
        if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
            raise ValueError("bbox: values must be finite")
        if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValueError("bbox: longitudes in [-180, 180], latitudes in [-90, 90] with min_lat <= max_lat")
        return cls(min_lon, min_lat, max_lon, max_lat)

    def contains(self, lon: pl.Expr, lat: pl.Expr) -> pl.Expr:
        """Whether points are inside the box."""
        in_lat = lat.is_between(self.min_lat, self.max_lat)
        if self.min_lon <= self.max_lon:
            return in_lat & lon.is_between(self.min_lon, self.max_lon)
        return in_lat & ((lon >= self.min_lon) | (lon <= self.max_lon))


@dataclass(frozen=True)
class EventFilter:
    """Filters of the events list and map.

    Attributes:
        types: Event types (any of).
        subtypes: Subtypes (any of).
        start: Events ending at or after this time.
        end: Events starting at or before this time (open events have no end).
        bbox: Events located in this box.
        vessel_id: Events of this vessel, as the vessel or the other party.
        mmsi: Events of this MMSI, as the vessel or the other party.
        min_confidence: Events with at least this confidence (0–1; events without one are left out).
    """

    types: tuple[str, ...] = ()
    subtypes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    bbox: BoundingBox | None = None
    vessel_id: str | None = None
    mmsi: int | None = None
    min_confidence: float | None = None

    def expression(self) -> pl.Expr:
        """The filter as one Polars predicate."""
        predicate = pl.lit(True)
        if self.types:
            predicate &= pl.col("event_type").is_in(list(self.types))
        if self.subtypes:
            predicate &= pl.col("subtype").is_in(list(self.subtypes))
        if self.start is not None:
            # An open event (no end: still going when the data end) overlaps every later time.
            predicate &= pl.col("end_time").is_null() | (pl.col("end_time") >= self.start)
        if self.end is not None:
            predicate &= pl.col("start_time") <= self.end
        if self.bbox is not None:
            predicate &= self.bbox.contains(pl.col("lon"), pl.col("lat")).fill_null(False)
        if self.vessel_id is not None:
            predicate &= (pl.col("vessel_id") == self.vessel_id) | (
                pl.col("other_vessel_id") == self.vessel_id
            ).fill_null(False)
        if self.mmsi is not None:
            predicate &= (pl.col("mmsi") == self.mmsi) | (pl.col("other_mmsi") == self.mmsi).fill_null(False)
        if self.min_confidence is not None:
            predicate &= (pl.col("confidence") >= self.min_confidence).fill_null(False)
        return predicate


def filter_events(events: pl.DataFrame, where: EventFilter) -> pl.DataFrame:
    """Events matching a filter, newest first (ties by id, so pages are stable)."""
    return events.filter(where.expression()).sort(["start_time", "event_id"], descending=[True, False])


def event_rows(events: pl.DataFrame, vessel_names: pl.DataFrame) -> pl.DataFrame:
    """Events without their details, with the names of the vessel and of the other vessel.

    Args:
        events: Events.
        vessel_names: ``vessel_id``, ``name``.
    """
    return (
        events.drop("details")
        .join(vessel_names.rename({"name": "vessel_name"}), on="vessel_id", how="left", maintain_order="left")
        .join(
            vessel_names.rename({"vessel_id": "other_vessel_id", "name": "other_vessel_name"}),
            on="other_vessel_id",
            how="left",
            maintain_order="left",
        )
    )


def map_events_arrow(events: pl.DataFrame) -> pa.Table:
    """The compact columnar form of events the map draws (one row per event).

    Columns: ``event_id``, ``event_type_code`` (uint8 index into :data:`EVENT_TYPES`),
    ``subtype`` (dictionary-encoded text), ``lat``, ``lon`` (float32), ``start_s``,
    ``end_s`` (float64 epoch seconds, NaN when open), ``confidence`` (float32, NaN when
    none), ``vessel_id``.
    """
    codes = pl.DataFrame({"event_type": list(EVENT_TYPES), "event_type_code": range(len(EVENT_TYPES))}).cast(
        {"event_type_code": pl.UInt8}
    )
    table = (
        events.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
        .join(codes, on="event_type", how="inner", maintain_order="left")
        .select(
            "event_id",
            "event_type_code",
            "subtype",
            pl.col("lat").cast(pl.Float32),
            pl.col("lon").cast(pl.Float32),
            (pl.col("start_time").dt.epoch("us") / 1e6).alias("start_s"),
            (pl.col("end_time").dt.epoch("us") / 1e6).fill_null(float("nan")).alias("end_s"),
            pl.col("confidence").cast(pl.Float32).fill_null(float("nan")),
            "vessel_id",
        )
    )
    # Plain (not large) strings: what every Arrow reader, apache-arrow JS included, expects.
    return table.to_arrow().cast(
        pa.schema(
            [
                ("event_id", pa.string()),
                ("event_type_code", pa.uint8()),
                ("subtype", pa.dictionary(pa.int32(), pa.string())),
                ("lat", pa.float32()),
                ("lon", pa.float32()),
                ("start_s", pa.float64()),
                ("end_s", pa.float64()),
                ("confidence", pa.float32()),
                ("vessel_id", pa.string()),
            ]
        )
    )


# --- tracks -----------------------------------------------------------------------------------


def vessel_names(shipments: pl.DataFrame, vessels: pl.DataFrame) -> dict[str, str | None]:
    """Names of every vessel that loaded, carried or passed on the shipments' cargo."""
    ids = set(shipments["loaded_by"].drop_nulls()) | set(shipments["carrier"].drop_nulls())
    for via in shipments["via_vessels"].drop_nulls():
        ids.update(v for v in via.split(",") if v)
    named = vessels.filter(pl.col("vessel_id").is_in(sorted(ids))).select("vessel_id", "name")
    names: dict[str, str | None] = dict.fromkeys(sorted(ids))
    names.update(named.iter_rows())
    return names


def pixel_deg(zoom: float) -> float:
    """Width of one screen pixel at a zoom level, in degrees of longitude (Web Mercator)."""
    return 360.0 / (MAP_TILE_PX * float(2.0**zoom))


def simplify_track(positions: pl.DataFrame, zoom: float, gap_h: float) -> pl.DataFrame:
    """Thin a vessel's positions to what a map at ``zoom`` can show.

    A fix is kept when it falls in another screen pixel than the fix before it (pixels
    of the Web Mercator plane at that zoom), so a ship standing still or steaming a
    straight line inside one pixel collapses to a point, and a ship's path keeps one
    fix per pixel it crosses. The first and last fix of every stretch between silences
    longer than ``gap_h`` are always kept, so the gaps stay where they are.

    Args:
        positions: ``mmsi, timestamp, lat, lon, sog_kn, cog_deg`` of one vessel, in time order.
        zoom: Map zoom level (0–22).
        gap_h: Silences longer than this (hours) split the track into stretches.

    Returns:
        The kept fixes with a ``stretch`` number (0, 1, ... in time order).
    """
    if positions.is_empty():
        return positions.with_columns(pl.lit(0, pl.Int32).alias("stretch"))
    tolerance = pixel_deg(zoom)
    latitude = pl.col("lat").clip(-85.0511, 85.0511).radians()
    mercator_y_deg = ((latitude / 2 + math.pi / 4).tan().log()).degrees()
    silence = pl.col("timestamp").diff().dt.total_seconds().fill_null(0) > gap_h * 3600
    framed = positions.with_columns(
        silence.cum_sum().cast(pl.Int32).alias("stretch"),
        (pl.col("lon") / tolerance).floor().cast(pl.Int64).alias("_x"),
        (mercator_y_deg / tolerance).floor().cast(pl.Int64).alias("_y"),
    )
    moved = (pl.col("_x") != pl.col("_x").shift(1)) | (pl.col("_y") != pl.col("_y").shift(1))
    row = pl.col("_row")
    first = row == row.min().over("stretch")
    last = row == row.max().over("stretch")
    return framed.with_row_index("_row").filter(moved.fill_null(True) | first | last).drop("_row", "_x", "_y")


def track_geojson(kept: pl.DataFrame, vessel_id: str) -> list[dict[str, Any]]:
    """GeoJSON features of a simplified track: one LineString per stretch (a Point for a single fix)."""
    features: list[dict[str, Any]] = []
    seconds = kept.with_columns((pl.col("timestamp").dt.epoch("ms") / 1000).alias("time_s"))
    for (stretch,), part in seconds.group_by(["stretch"], maintain_order=True):
        coordinates = np.column_stack([part["lon"].to_numpy(), part["lat"].to_numpy()]).round(6).tolist()
        times = part["time_s"].to_list()
        geometry = (
            {"type": "LineString", "coordinates": coordinates}
            if len(coordinates) > 1
            else {"type": "Point", "coordinates": coordinates[0]}
        )
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "vessel_id": vessel_id,
                    "stretch": stretch,
                    "mmsi": sorted(set(part["mmsi"].to_list())),
                    "start_time": records(part.select("timestamp").head(1))[0]["timestamp"],
                    "end_time": records(part.select("timestamp").tail(1))[0]["timestamp"],
                    "n_points": part.height,
                    "times_s": times,
                },
            }
        )
    return features


def track_arrow(kept: pl.DataFrame) -> pa.Table:
    """A simplified track as Arrow: ``mmsi, time_s, lat, lon, sog_kn, cog_deg, stretch``."""
    return (
        kept.select(
            "mmsi",
            (pl.col("timestamp").dt.epoch("us") / 1e6).alias("time_s"),
            pl.col("lat").cast(pl.Float64),
            pl.col("lon").cast(pl.Float64),
            pl.col("sog_kn").cast(pl.Float32),
            pl.col("cog_deg").cast(pl.Float32),
            pl.col("stretch").cast(pl.Int32),
        )
        .to_arrow()
        .cast(
            pa.schema(
                [
                    ("mmsi", pa.int64()),
                    ("time_s", pa.float64()),
                    ("lat", pa.float64()),
                    ("lon", pa.float64()),
                    ("sog_kn", pa.float32()),
                    ("cog_deg", pa.float32()),
                    ("stretch", pa.int32()),
                ]
            )
        )
    )


def arrow_stream(table: pa.Table) -> bytes:
    """An Arrow table as IPC stream bytes."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def split_list(values: Sequence[str] | None) -> tuple[str, ...]:
    """Repeatable and comma-separated query values as one tuple (``a,b&x=c`` → ``a, b, c``)."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())
