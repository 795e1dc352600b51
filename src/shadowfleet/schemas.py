"""The schema of every table shadowfleet reads or writes.

Column names carry their units (``sog_kn``, ``length_m``). Times are microsecond UTC
datetimes; ``mmsi`` and ``imo`` are Int64. Every frame the core produces is conformed to
one of these schemas with :func:`conform` before it is stored, so the lake, the DuckDB
views, the API and the Spark engine all see the same columns and types.

Additions to the design's table list (``DESIGN.md`` §3), and why:

* ``positions.transponder_class`` ('A'/'B'): reception statistics and reporting-rate
  expectations differ by class (ITU-R M.1371), and CSV providers give the class but no
  message type.
* ``positions.receiver_id``: the receiving station or satellite (tag-block ``s:``,
  Gatehouse header); needed for satellite clock checks and per-receiver reception.
* ``statics.last_timestamp`` / ``n_reports``: identical consecutive static reports of a
  vessel are stored once as a run, which keeps a year of 6-minute type 5 reports small
  while keeping how often each value was heard (a value heard once among many contrary
  ones is noise).
* ``statics.imo_reported``: the IMO number as broadcast, kept even when its check digit
  fails, so that identity anomalies can be detected; ``imo`` holds only valid numbers.
* ``aids_to_navigation``, ``base_stations``: kept apart from vessels.
* ``source_line``: the line (NMEA: first fragment) or row of the input file a record
  came from, so that every position used as evidence is traceable to the raw data as
  ``(source_id, source_line)``.
* ``sources``, ``rejects``: provenance of every ingested file and every line refused.
* ``declarations``: a vessel's declared destination and draught over time, as runs
  with noise removed (the identity periods' companion; draught changes and voyages
  are read from it).
* ``tracks``: one row per track (the segmenter's output), with the vessel it belongs
  to, its chain (the tracks of one MMSI one hull sailed) and a noise flag, so that
  every ``vessel_id`` is traceable to the fixes behind it.
"""

from __future__ import annotations

from typing import Final

import polars as pl

UTC_TIME: Final = pl.Datetime("us", "UTC")

POSITIONS: Final[dict[str, pl.DataType]] = {
    "mmsi": pl.Int64(),
    "timestamp": UTC_TIME,
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "sog_kn": pl.Float32(),
    "cog_deg": pl.Float32(),
    "heading_deg": pl.Float32(),
    "nav_status": pl.Int8(),
    "msg_type": pl.Int8(),
    "transponder_class": pl.String(),
    "receiver_class": pl.String(),
    "receiver_id": pl.String(),
    "source_id": pl.String(),
    "source_line": pl.Int64(),
    "vessel_bucket": pl.Int32(),
}

STATICS: Final[dict[str, pl.DataType]] = {
    "mmsi": pl.Int64(),
    "timestamp": UTC_TIME,
    "last_timestamp": UTC_TIME,
    "n_reports": pl.Int32(),
    "msg_type": pl.Int8(),
    "imo": pl.Int64(),
    "imo_reported": pl.Int64(),
    "name": pl.String(),
    "call_sign": pl.String(),
    "ship_type": pl.Int16(),
    "length_m": pl.Float32(),
    "beam_m": pl.Float32(),
    "draught_m": pl.Float32(),
    "destination": pl.String(),
    "eta": UTC_TIME,
    "transponder_class": pl.String(),
    "receiver_class": pl.String(),
    "source_id": pl.String(),
    "source_line": pl.Int64(),
    "vessel_bucket": pl.Int32(),
}

AIDS_TO_NAVIGATION: Final[dict[str, pl.DataType]] = {
    "mmsi": pl.Int64(),
    "timestamp": UTC_TIME,
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "aid_type": pl.Int8(),
    "name": pl.String(),
    "length_m": pl.Float32(),
    "beam_m": pl.Float32(),
    "virtual_aid": pl.Boolean(),
    "off_position": pl.Boolean(),
    "receiver_class": pl.String(),
    "source_id": pl.String(),
    "source_line": pl.Int64(),
}

BASE_STATIONS: Final[dict[str, pl.DataType]] = {
    "mmsi": pl.Int64(),
    "timestamp": UTC_TIME,
    "station_time": UTC_TIME,
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "receiver_class": pl.String(),
    "source_id": pl.String(),
    "source_line": pl.Int64(),
}

REJECTS: Final[dict[str, pl.DataType]] = {
    "source_id": pl.String(),
    "line_number": pl.Int64(),
    "reason": pl.String(),
    "detail": pl.String(),
    "raw": pl.String(),
}

SOURCES: Final[dict[str, pl.DataType]] = {
    "source_id": pl.String(),
    "path": pl.String(),
    "member": pl.String(),
    "content_sha256": pl.String(),
    "file_sha256": pl.String(),
    "format": pl.String(),
    "size_bytes": pl.Int64(),
    "ingested_at": UTC_TIME,
    "units_read": pl.Int64(),
    "unit": pl.String(),
    "positions": pl.Int64(),
    "statics": pl.Int64(),
    "aids_to_navigation": pl.Int64(),
    "base_stations": pl.Int64(),
    "rejected": pl.Int64(),
    "duplicates": pl.Int64(),
    "counts_json": pl.String(),
    "time_min": UTC_TIME,
    "time_max": UTC_TIME,
    "duration_s": pl.Float64(),
}

IDENTITIES: Final[dict[str, pl.DataType]] = {
    "vessel_id": pl.String(),
    "mmsi": pl.Int64(),
    "imo": pl.Int64(),
    "name": pl.String(),
    "call_sign": pl.String(),
    "flag_iso2": pl.String(),
    "ship_type": pl.Int16(),
    "length_m": pl.Float32(),
    "beam_m": pl.Float32(),
    "valid_from": UTC_TIME,
    "valid_to": UTC_TIME,
}

TRACKS: Final[dict[str, pl.DataType]] = {
    "track_id": pl.String(),
    "vessel_id": pl.String(),
    "mmsi": pl.Int64(),
    "chain": pl.String(),
    "start_time": UTC_TIME,
    "end_time": UTC_TIME,
    "n_positions": pl.Int64(),
    "start_lat": pl.Float64(),
    "start_lon": pl.Float64(),
    "end_lat": pl.Float64(),
    "end_lon": pl.Float64(),
    "transponder_class": pl.String(),
    "noise": pl.Boolean(),
}

DECLARATIONS: Final[dict[str, pl.DataType]] = {
    "vessel_id": pl.String(),
    "field": pl.String(),
    "value": pl.String(),
    "draught_m": pl.Float64(),
    "start_time": UTC_TIME,
    "end_time": UTC_TIME,
    "reports": pl.Int64(),
}

EVENTS: Final[dict[str, pl.DataType]] = {
    "event_id": pl.String(),
    "event_type": pl.String(),
    "subtype": pl.String(),
    "vessel_id": pl.String(),
    "mmsi": pl.Int64(),
    "imo": pl.Int64(),
    "other_vessel_id": pl.String(),
    "other_mmsi": pl.Int64(),
    "start_time": UTC_TIME,
    "end_time": UTC_TIME,
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "port_name": pl.String(),
    "confidence": pl.Float64(),
    "details": pl.String(),
}

SANCTIONS_MATCHES: Final[dict[str, pl.DataType]] = {
    "vessel_id": pl.String(),
    "key": pl.String(),
    "lists": pl.List(pl.String()),
    "entry_ids": pl.List(pl.String()),
    "listed_name": pl.String(),
    "matched_on": pl.String(),
    "matched_value": pl.String(),
    "listed_value": pl.String(),
    "score": pl.Float64(),
    "valid_from": UTC_TIME,
    "valid_to": UTC_TIME,
}
"""Every way a vessel matches a designated vessel (``shadowfleet screen``): the list
entry (``key``: ``IMO:<n>`` or the list's id), what matched (``imo``, ``mmsi``,
``call_sign`` or ``name``), the values on both sides, the score and the period the
vessel used the matched identifier."""

VESSELS: Final[dict[str, pl.DataType]] = {
    "vessel_id": pl.String(),
    "mmsi": pl.Int64(),
    "imo": pl.Int64(),
    "name": pl.String(),
    "flag_iso2": pl.String(),
    "ship_type": pl.Int16(),
    "first_seen": UTC_TIME,
    "last_seen": UTC_TIME,
    "n_positions": pl.Int64(),
    "risk_score": pl.Float64(),
    "risk_reasons": pl.String(),
    "sanctions_matches": pl.String(),
}

DETECTIONS: Final[dict[str, pl.DataType]] = {
    "detection_id": pl.String(),
    "scene_id": pl.String(),
    "timestamp": UTC_TIME,
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "length_m": pl.Float32(),
    "source": pl.String(),
    "matched_mmsi": pl.Int64(),
    "match_score": pl.Float64(),
    "status": pl.String(),
}

VOYAGES: Final[dict[str, pl.DataType]] = {
    "voyage_id": pl.String(),
    "vessel_id": pl.String(),
    "origin_kind": pl.String(),
    "origin_event_id": pl.String(),
    "origin_port": pl.String(),
    "origin_country": pl.String(),
    "departure_time": UTC_TIME,
    "destination_kind": pl.String(),
    "destination_event_id": pl.String(),
    "destination_port": pl.String(),
    "destination_country": pl.String(),
    "arrival_time": UTC_TIME,
    "draught_m": pl.Float64(),
    "state": pl.String(),
    "loaded_t": pl.Float64(),
    "discharged_t": pl.Float64(),
}
"""Legs between a vessel's consecutive stops (``shadowfleet.trade.voyages``); a leg
with no destination was still under way when the data end."""

SHIPMENTS: Final[dict[str, pl.DataType]] = {
    "shipment_id": pl.String(),
    "loaded_by": pl.String(),
    "carrier": pl.String(),
    "via_vessels": pl.String(),
    "transfer_event_ids": pl.String(),
    "pattern": pl.String(),
    "origin_kind": pl.String(),
    "origin_port": pl.String(),
    "origin_country": pl.String(),
    "origin_lat": pl.Float64(),
    "origin_lon": pl.Float64(),
    "origin_event_id": pl.String(),
    "origin_confidence": pl.Float64(),
    "load_start": UTC_TIME,
    "load_end": UTC_TIME,
    "destination_kind": pl.String(),
    "destination_port": pl.String(),
    "destination_country": pl.String(),
    "destination_event_id": pl.String(),
    "discharge_start": UTC_TIME,
    "discharge_end": UTC_TIME,
    "commodity": pl.String(),
    "tonnes_low": pl.Float64(),
    "tonnes_mid": pl.Float64(),
    "tonnes_high": pl.Float64(),
    "method": pl.String(),
    "evidence": pl.String(),
}
"""One loading followed to where its cargo left the last ship carrying it."""

TRADE_FLOWS: Final[dict[str, pl.DataType]] = {
    "origin_country": pl.String(),
    "origin_port": pl.String(),
    "destination_country": pl.String(),
    "destination_port": pl.String(),
    "month": pl.Date(),
    "commodity": pl.String(),
    "voyages": pl.Int64(),
    "tonnes_low": pl.Float64(),
    "tonnes_mid": pl.Float64(),
    "tonnes_high": pl.Float64(),
    "value_usd_low": pl.Float64(),
    "value_usd_high": pl.Float64(),
}

TABLES: Final[dict[str, dict[str, pl.DataType]]] = {
    "positions": POSITIONS,
    "statics": STATICS,
    "aids_to_navigation": AIDS_TO_NAVIGATION,
    "base_stations": BASE_STATIONS,
    "rejects": REJECTS,
    "sources": SOURCES,
    "tracks": TRACKS,
    "identities": IDENTITIES,
    "declarations": DECLARATIONS,
    "events": EVENTS,
    "vessels": VESSELS,
    "sanctions_matches": SANCTIONS_MATCHES,
    "detections": DETECTIONS,
    "voyages": VOYAGES,
    "shipments": SHIPMENTS,
    "trade_flows": TRADE_FLOWS,
}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with the given schema."""
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select, order and cast a frame's columns to a schema; missing columns are null.

    Args:
        frame: Any frame holding some of the schema's columns (extra columns dropped).
        schema: One of this module's table schemas.

    Returns:
        A frame with exactly the schema's columns, in order, with its types.
    """
    columns = [
        (pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype=dtype)).alias(name)
        for name, dtype in schema.items()
    ]
    return frame.select(columns)
