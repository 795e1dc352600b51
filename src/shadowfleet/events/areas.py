"""Entries into areas of interest (``DESIGN.md`` §5; ``area_entry`` with the area's name as subtype).

Areas are GeoJSON polygons: the package ships approximate defaults for the DPRK coal
case (the seas off the DPRK's west and east coasts, Korea Bay, the northern Gulf of
Tonkin transfer area, the Ningbo-Zhoushan and Lianyungang anchorages; drawn for this
project from the public descriptions of the UN Panel of Experts, not official
boundaries), and ``[areas] path`` replaces them with the user's own file. An entry is
a fix inside an area after a fix of the same vessel outside it; the event lasts until
the vessel's last consecutive fix inside (a vessel first heard inside has not been
seen entering, and gets no event).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import shapely

from shadowfleet.config import AreaConfig
from shadowfleet.errors import InputError
from shadowfleet.events.common import details, flagged_runs, make_events, vessel_code


def load_areas(path: str | Path | None = None) -> list[tuple[str, shapely.Geometry]]:
    """Named polygons from a GeoJSON file (the packaged defaults when ``path`` is empty).

    Raises:
        InputError: When the file cannot be read or holds no named polygon.
    """
    try:
        if path:
            text = Path(path).read_text(encoding="utf-8")
        else:
            text = (resources.files("shadowfleet") / "data" / "geo" / "areas.geojson").read_text(encoding="utf-8")
        collection = json.loads(text)
        areas = [
            (str(feature["properties"]["name"]), shapely.geometry.shape(feature["geometry"]))
            for feature in collection["features"]
        ]
    except (OSError, ValueError, KeyError, TypeError, shapely.errors.GEOSException) as exc:
        raise InputError(f"areas of interest cannot be read: {exc}", path or "packaged areas.geojson") from exc
    if not areas:
        raise InputError("no area in the file", path or "packaged areas.geojson")
    return areas


def detect_area_entries(positions: pl.DataFrame, config: AreaConfig) -> pl.DataFrame:
    """``area_entry`` events (see the module notes).

    Args:
        positions: Segmented positions with ``vessel_id`` (noise rows null, ignored).
        config: Area configuration.
    """
    fixes = positions.filter(pl.col("vessel_id").is_not_null()).select(
        vessel_code(positions).alias("_code"),
        "vessel_id",
        "mmsi",
        "timestamp",
        "lat",
        "lon",
    )
    parts = []
    for name, polygon in load_areas(config.path or None):
        min_lon, min_lat, max_lon, max_lat = polygon.bounds
        near = fixes.filter(
            pl.col("lat").is_between(min_lat - 1, max_lat + 1) & pl.col("lon").is_between(min_lon - 1, max_lon + 1)
        ).sort("_code", "timestamp")
        if near.is_empty():
            continue
        inside = shapely.contains_xy(polygon, near["lon"].to_numpy(), near["lat"].to_numpy())
        code = near["_code"].to_numpy()
        before_outside = np.zeros(inside.size, dtype=bool)
        before_outside[1:] = (code[1:] == code[:-1]) & ~inside[:-1]
        frame = near.select(
            pl.col("vessel_id").cast(pl.String), "mmsi", "timestamp", "lat", "lon", "_code"
        ).with_columns(pl.Series("_inside", inside))
        runs = flagged_runs(frame, "_inside", "_code")
        entered = before_outside[runs["first_row"].to_numpy()]
        runs = runs.filter(pl.Series(entered))
        if runs.is_empty():
            continue
        first = frame[runs["first_row"].to_numpy()]
        parts.append(
            runs.select(
                pl.lit("area_entry").alias("event_type"),
                pl.lit(name).alias("subtype"),
                "vessel_id",
                "mmsi",
                "start_time",
                "end_time",
                pl.Series("lat", first["lat"]),
                pl.Series("lon", first["lon"]),
                details(
                    area=pl.lit(name),
                    positions_inside=pl.col("positions"),
                    hours_inside=((pl.col("end_time") - pl.col("start_time")).dt.total_seconds() / 3600).round(2),
                ),
            )
        )
    return make_events(pl.concat(parts)) if parts else make_events(pl.DataFrame())
