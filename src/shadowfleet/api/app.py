"""The HTTP API and the web application (``shadowfleet serve``).

Reading needs nothing; writing (watch-list, notes, cases) needs the token the server
was started with, as ``Authorization: Bearer TOKEN``. Every parameter is validated
before it reaches a query, so bad input gets a 4xx with a message; a 500 is a bug.
See docs/api.md for the contract.
"""

import json
import math
import secrets
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import polars as pl
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParameter
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from shadowfleet import __version__
from shadowfleet.api import queries
from shadowfleet.api.analyst import AnalystRecords
from shadowfleet.api.state import StoreData, StoreState
from shadowfleet.config import Config
from shadowfleet.errors import ConfigError, ShadowfleetError
from shadowfleet.events.areas import load_areas
from shadowfleet.geo import gazetteer
from shadowfleet.store.export import geojson_features
from shadowfleet.trade.flows import estimate_trade

MAP_EVENTS_MAX: Final = 1_000_000
"""Most events one map request may ask for."""
TRACK_GAP_H: Final = 6.0
"""Default silence (hours) that splits a drawn track, the ``[gap]`` detector's minimum."""

_ID_PATTERN: Final = r"^[A-Za-z0-9:_.\-]{1,64}$"
PathId = Annotated[str, PathParameter(pattern=_ID_PATTERN, description="An id as the API gives it.")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
Time = Annotated[datetime | None, Query(description="ISO 8601 time; UTC when no offset is given.")]
Confidence = Annotated[float | None, Query(ge=0.0, le=1.0, allow_inf_nan=False, description="0–1.")]
Country = Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2.")]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01 at +14:00 is before year 1 in UTC
        raise _bad_request(f"time out of range: {moment.isoformat()}") from exc


def _bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def _not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} not found")


class WatchRequest(BaseModel):
    """A watch-list entry."""

    note: str = Field("", max_length=10_000)


class NoteRequest(BaseModel):
    """A note on a vessel or an event."""

    target_kind: Literal["vessel", "event"]
    target_id: str = Field(pattern=_ID_PATTERN)
    text: str = Field(min_length=1, max_length=100_000)


class CaseRequest(BaseModel):
    """A saved case: a title, a description and the vessels and events it is about."""

    title: str = Field(min_length=1, max_length=500)
    description: str = Field("", max_length=100_000)
    vessel_ids: list[Annotated[str, Field(pattern=_ID_PATTERN)]] = Field(default_factory=list, max_length=10_000)
    event_ids: list[Annotated[str, Field(pattern=_ID_PATTERN)]] = Field(default_factory=list, max_length=100_000)


def web_directory() -> Path:
    """Where the built web application lives (``make web`` builds it from ``frontend/``)."""
    return Path(str(resources.files("shadowfleet") / "web"))


def create_app(store_root: str | Path, *, token: str | None = None, config: Config | None = None) -> FastAPI:
    """The application over one store.

    Args:
        store_root: A store ``shadowfleet run`` (or ``detect``) has written.
        token: The API token writes need; None leaves the API read-only.
        config: Configuration (risk bands, areas); the defaults when None.

    Raises:
        StoreError: When the store cannot be read or has no vessels.
    """
    settings = config or Config()
    token = token or None  # an empty token (SHADOWFLEET_API_TOKEN= set empty) means read-only
    if token is not None and not token.isascii():
        # HTTP headers are Latin-1 on the wire; only ASCII compares the same on both sides.
        raise ConfigError("the API token must be ASCII")
    state = StoreState(Path(store_root), settings)
    records = AnalystRecords(state.root)
    areas_geojson = _areas_geojson(settings)
    bearer = HTTPBearer(auto_error=False)

    app = FastAPI(
        title="shadowfleet",
        version=__version__,
        description="Vessels, tracks, behaviour events, sanctions matches and trade estimates of one store.",
    )

    @app.exception_handler(ShadowfleetError)
    async def _shadowfleet_error(_: Request, exc: ShadowfleetError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    def data() -> StoreData:
        return state.current()

    Data = Annotated[StoreData, Depends(data)]  # noqa: N806 - a type alias

    def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if token is None:
            raise HTTPException(status_code=403, detail="read-only server: start it with --token to allow writes")
        if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), token.encode()):
            raise HTTPException(
                status_code=401, detail="missing or wrong API token", headers={"WWW-Authenticate": "Bearer"}
            )

    Writer = Annotated[None, Depends(require_token)]  # noqa: N806 - a type alias

    def vessel_or_404(current: StoreData, vessel_id: str) -> dict[str, Any]:
        row = current.vessel_rows.filter(pl.col("vessel_id") == vessel_id)
        if row.is_empty():
            raise _not_found(f"vessel {vessel_id}")
        return _with_watch(queries.records(row), records.watched())[0]

    # --- overview -----------------------------------------------------------------------------

    @app.get("/api/summary", tags=["overview"])
    def summary(current: Data) -> dict[str, Any]:
        """Counts, time span and extent of the store, and the event vocabulary."""
        counts = current.events.group_by("event_type").len().sort("event_type")
        return {
            "store": str(current.root),
            **current.extent,
            "vessels": current.vessels.height,
            "positions": current.positions.frame.height,
            "sanctioned_vessels": int(current.vessel_rows["sanctioned"].sum()),
            "events": current.events.height,
            "events_by_type": dict(zip(counts["event_type"].to_list(), counts["len"].to_list(), strict=True)),
            "event_types": list(queries.EVENT_TYPES),
            "writes_enabled": token is not None,
        }

    # --- vessels ------------------------------------------------------------------------------

    @app.get("/api/vessels/search", tags=["vessels"])
    def search_vessels(
        current: Data,
        q: Annotated[str, Query(min_length=1, max_length=100, description="MMSI, IMO, call sign or name.")],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        """Vessels by MMSI, IMO, call sign or (fuzzy) name, under any identity they used."""
        found = queries.search_vessels(current.vessel_rows, current.identities, q, limit)
        return {"query": q, "results": _with_watch(queries.records(found), records.watched())}

    @app.get("/api/vessels", tags=["vessels"])
    def list_vessels(
        current: Data,
        flag: Country = None,
        ship_type: Annotated[int | None, Query(ge=0, le=255)] = None,
        sanctioned: bool | None = None,
        band: Literal["low", "medium", "high", "severe"] | None = None,
        min_score: Annotated[float | None, Query(ge=0, le=100, allow_inf_nan=False)] = None,
        max_score: Annotated[float | None, Query(ge=0, le=100, allow_inf_nan=False)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> dict[str, Any]:
        """Vessels ranked by risk score, highest first."""
        where = queries.VesselFilter(flag, ship_type, sanctioned, band, min_score, max_score)
        chosen = current.vessel_rows.filter(where.expression())
        page = chosen.slice(offset, limit)
        return {
            "total": chosen.height,
            "limit": limit,
            "offset": offset,
            "items": _with_watch(queries.records(page), records.watched()),
        }

    @app.get("/api/vessels/{vessel_id}", tags=["vessels"])
    def vessel_profile(current: Data, vessel_id: PathId) -> dict[str, Any]:
        """One vessel: identities over time, sanctions matches, risk reasons with their events, voyages."""
        vessel = vessel_or_404(current, vessel_id)
        mine = pl.col("vessel_id") == vessel_id
        reasons = json.loads(
            current.vessels.filter(mine)["risk_reasons"].fill_null("[]").item() or "[]",
        )
        wanted = sorted({event_id for reason in reasons for event_id in reason.get("event_ids", [])})
        names = current.vessels.select("vessel_id", "name")
        found = queries.event_rows(current.events.filter(pl.col("event_id").is_in(wanted)), names)
        by_id = {row["event_id"]: row for row in queries.records(found)}
        for reason in reasons:
            ids = reason.get("event_ids", [])
            reason["events"] = [by_id[i] for i in ids if i in by_id]
            # Reasons from a sanctions list cite list entries, not events.
            reason["list_entries"] = [i for i in ids if i not in by_id]
        events = current.events.filter(mine | (pl.col("other_vessel_id") == vessel_id).fill_null(False))
        counts = events.group_by("event_type").len().sort("event_type")
        shipments = current.shipments.filter(
            (pl.col("loaded_by") == vessel_id)
            | (pl.col("carrier") == vessel_id).fill_null(False)
            | pl.col("via_vessels").str.contains(vessel_id, literal=True).fill_null(False)
        )
        return {
            "vessel": vessel,
            "identities": queries.records(current.identities.filter(mine).sort("valid_from")),
            "sanctions_matches": queries.records(current.sanctions_matches.filter(mine).sort("score", descending=True)),
            "risk_reasons": reasons,
            "event_counts": dict(zip(counts["event_type"].to_list(), counts["len"].to_list(), strict=True)),
            "voyages": queries.records(current.voyages.filter(mine).sort("departure_time")),
            "shipments": queries.records(shipments.sort("load_end")),
            "vessel_names": queries.vessel_names(shipments, current.vessels),
            "notes": records.notes("vessel", vessel_id),
            "watchlisted": vessel["watchlisted"],
        }

    @app.get("/api/vessels/{vessel_id}/track", tags=["vessels"], response_model=None)
    def vessel_track(
        current: Data,
        vessel_id: PathId,
        start: Time = None,
        end: Time = None,
        zoom: Annotated[float, Query(ge=0, le=22, allow_inf_nan=False, description="Map zoom level.")] = 4,
        gap_h: Annotated[float, Query(gt=0, le=10_000, allow_inf_nan=False)] = TRACK_GAP_H,
        format: Literal["geojson", "arrow"] = "geojson",
    ) -> dict[str, Any] | Response:
        """The vessel's positions in a time range, simplified for the zoom level (GeoJSON or Arrow IPC)."""
        vessel_or_404(current, vessel_id)
        start, end = _utc(start), _utc(end)
        if start is not None and end is not None and start > end:
            raise _bad_request("start is after end")
        tracks = current.tracks.filter(pl.col("vessel_id") == vessel_id)
        windows = [
            (track_id, mmsi, max(begin, start) if start else begin, min(finish, end) if end else finish)
            for track_id, mmsi, begin, finish in tracks.select("track_id", "mmsi", "start_time", "end_time").iter_rows()
        ]
        fixes = current.positions.positions(windows)
        kept = queries.simplify_track(fixes, zoom, gap_h)
        if format == "arrow":
            return Response(queries.arrow_stream(queries.track_arrow(kept)), media_type=queries.ARROW_MEDIA_TYPE)
        return {
            "type": "FeatureCollection",
            "features": queries.track_geojson(kept, vessel_id),
            "simplification": {
                "zoom": zoom,
                "tolerance_deg": queries.pixel_deg(zoom),
                "positions_in": fixes.height,
                "points_out": kept.height,
            },
        }

    @app.get("/api/vessels/{vessel_id}/events", tags=["vessels"], response_model=None)
    def vessel_events_export(
        current: Data,
        vessel_id: PathId,
        format: Literal["csv", "geojson"] = "csv",
    ) -> Response:
        """The vessel's events (as the vessel or the other party) as a CSV or GeoJSON download."""
        vessel_or_404(current, vessel_id)
        events = queries.filter_events(current.events, queries.EventFilter(vessel_id=vessel_id)).sort("start_time")
        name = f"{vessel_id}-events.{format}"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        if format == "csv":
            iso_times = [queries.iso_utc(pl.col(c)) for c, t in events.schema.items() if isinstance(t, pl.Datetime)]
            return Response(events.with_columns(iso_times).write_csv(), media_type="text/csv", headers=disposition)
        features = geojson_features(events, "events", keep_unlocated=True)
        body = '{"type":"FeatureCollection","features":[' + ",".join(features.to_list()) + "]}"
        return Response(body, media_type="application/geo+json", headers=disposition)

    # --- events -------------------------------------------------------------------------------

    def event_filter(
        type: Annotated[list[str] | None, Query(description="Event types; repeat or separate with commas.")] = None,
        subtype: Annotated[list[str] | None, Query(description="Subtypes; repeat or separate with commas.")] = None,
        start: Time = None,
        end: Time = None,
        bbox: Annotated[str | None, Query(max_length=200, description="min_lon,min_lat,max_lon,max_lat")] = None,
        vessel_id: Annotated[str | None, Query(pattern=_ID_PATTERN)] = None,
        mmsi: Annotated[int | None, Query(ge=0, le=999_999_999)] = None,
        min_confidence: Confidence = None,
    ) -> queries.EventFilter:
        types = queries.split_list(type)
        unknown = sorted(set(types) - set(queries.EVENT_TYPES))
        if unknown:
            raise _bad_request(f"unknown event type {', '.join(unknown)}; one of {', '.join(queries.EVENT_TYPES)}")
        start, end = _utc(start), _utc(end)
        if start is not None and end is not None and start > end:
            raise _bad_request("start is after end")
        try:
            box = queries.BoundingBox.parse(bbox) if bbox else None
        except ValueError as exc:
            raise _bad_request(str(exc)) from exc
        return queries.EventFilter(types, queries.split_list(subtype), start, end, box, vessel_id, mmsi, min_confidence)

    Filter = Annotated[queries.EventFilter, Depends(event_filter)]  # noqa: N806 - a type alias

    @app.get("/api/events", tags=["events"])
    def list_events(current: Data, where: Filter, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        """Events matching the filters, newest first, a page at a time."""
        chosen = queries.filter_events(current.events, where)
        page = queries.event_rows(chosen.slice(offset, limit), current.vessels.select("vessel_id", "name"))
        return {"total": chosen.height, "limit": limit, "offset": offset, "items": queries.records(page)}

    @app.get("/api/events/{event_id}", tags=["events"])
    def event_detail(current: Data, event_id: PathId) -> dict[str, Any]:
        """One event with its evidence (``details``, parsed)."""
        found = current.events.filter(pl.col("event_id") == event_id)
        if found.is_empty():
            raise _not_found(f"event {event_id}")
        row = queries.records(queries.event_rows(found, current.vessels.select("vessel_id", "name")))[0]
        try:
            row["details"] = json.loads(found["details"].item() or "{}")
        except ValueError:
            row["details"] = {"raw": found["details"].item()}
        row["notes"] = records.notes("event", event_id)
        return row

    @app.get("/api/map/events", tags=["events"], response_class=Response)
    def map_events(
        current: Data, where: Filter, limit: Annotated[int, Query(ge=1, le=MAP_EVENTS_MAX)] = 200_000
    ) -> Response:
        """Located events for the map as an Arrow IPC stream (see docs/api.md for the columns)."""
        chosen = queries.filter_events(current.events, where).filter(
            pl.col("lat").is_not_null() & pl.col("lon").is_not_null()
        )
        table = queries.map_events_arrow(chosen.head(limit))
        return Response(
            queries.arrow_stream(table),
            media_type=queries.ARROW_MEDIA_TYPE,
            headers={"X-Total-Count": str(chosen.height)},
        )

    # --- places -------------------------------------------------------------------------------

    @app.get("/api/ports", tags=["places"])
    def ports(sanctioned: bool | None = None) -> dict[str, Any]:
        """Ports of the gazetteer (World Port Index), as GeoJSON points."""
        table = gazetteer.ports()
        if sanctioned is not None:
            table = table.filter(pl.col("sanctioned") == sanctioned)
        columns = [c for c in ("name", "country_iso2", "locode", "sanctioned") if c in table.columns]
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                    "properties": {c: row[c] for c in columns},
                }
                for row in table.select(*columns, "lat", "lon").iter_rows(named=True)
            ],
        }

    @app.get("/api/areas", tags=["places"])
    def areas() -> dict[str, Any]:
        """Areas of interest (``[areas] path``) as GeoJSON."""
        return dict(areas_geojson)

    @app.get("/api/basemap/land", tags=["places"], response_class=FileResponse)
    def basemap_land() -> FileResponse:
        """Natural Earth 1:50m land polygons (public domain), the offline base map."""
        path = Path(str(resources.files("shadowfleet") / "data" / "geo" / "ne_50m_land.json"))
        return FileResponse(path, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"})

    # --- trade --------------------------------------------------------------------------------

    @app.get("/api/trade/flows", tags=["trade"])
    def trade_flows(
        current: Data,
        origin_country: Country = None,
        destination_country: Country = None,
        commodity: Annotated[str | None, Query(max_length=100)] = None,
    ) -> dict[str, Any]:
        """The ``trade_flows`` table (by origin, destination, month of loading, commodity)."""
        predicate = pl.lit(True)
        if origin_country:
            predicate &= pl.col("origin_country") == origin_country.upper()
        if destination_country:
            predicate &= pl.col("destination_country") == destination_country.upper()
        if commodity:
            predicate &= pl.col("commodity") == commodity
        chosen = current.trade_flows.filter(predicate).sort("month", "tonnes_mid", descending=[False, True])
        return {"items": queries.records(chosen)}

    @app.get("/api/trade/estimate", tags=["trade"])
    def trade_estimate(
        current: Data,
        origin_country: Annotated[str, Query(pattern=r"^[A-Za-z]{2}$")] = "KP",
        destination_country: Annotated[str, Query(pattern=r"^[A-Za-z]{2}$")] = "CN",
        commodity: Annotated[str, Query(min_length=1, max_length=100)] = "coal",
        price_usd_per_t: Annotated[str, Query(pattern=r"^\d{1,7}(\.\d+)?(:\d{1,7}(\.\d+)?)?$")] = "0:0",
    ) -> dict[str, Any]:
        """Tonnes, value band, voyages and vessels of one flow (as ``shadowfleet estimate trade --json``)."""
        low, _, high = price_usd_per_t.partition(":")
        band = (float(low), float(high or low))
        if band[0] > band[1]:
            raise _bad_request("price_usd_per_t: LOW must not exceed HIGH")
        estimate = estimate_trade(current.shipments, origin_country, destination_country, commodity, band)
        answer: dict[str, Any] = _finite(estimate.to_json())
        every = pl.concat([estimate.shipments, estimate.arrived, estimate.unknown_origin])
        answer["vessel_names"] = queries.vessel_names(every, current.vessels)
        return answer

    # --- analyst records ----------------------------------------------------------------------

    @app.get("/api/watchlist", tags=["analyst"])
    def watchlist(current: Data) -> dict[str, Any]:
        """Watch-listed vessels with their current risk."""
        items = records.watchlist()
        rows = current.vessel_rows.filter(pl.col("vessel_id").is_in([i["vessel_id"] for i in items]))
        by_id = {row["vessel_id"]: row for row in queries.records(rows)}
        _with_watch(list(by_id.values()), {item["vessel_id"] for item in items})
        return {"items": [{**item, "vessel": by_id.get(item["vessel_id"])} for item in items]}

    @app.put("/api/watchlist/{vessel_id}", tags=["analyst"])
    def watch(current: Data, _: Writer, vessel_id: PathId, body: WatchRequest | None = None) -> dict[str, Any]:
        """Add a vessel to the watch-list (or change its note)."""
        vessel_or_404(current, vessel_id)
        return records.watch(vessel_id, body.note if body else "")

    @app.delete("/api/watchlist/{vessel_id}", tags=["analyst"], status_code=204)
    def unwatch(_: Writer, vessel_id: PathId) -> Response:
        """Remove a vessel from the watch-list."""
        if not records.unwatch(vessel_id):
            raise _not_found(f"vessel {vessel_id} on the watch-list")
        return Response(status_code=204)

    @app.get("/api/notes", tags=["analyst"])
    def notes(
        target_kind: Literal["vessel", "event"] | None = None,
        target_id: Annotated[str | None, Query(pattern=_ID_PATTERN)] = None,
    ) -> dict[str, Any]:
        """Analyst notes, oldest first."""
        return {"items": records.notes(target_kind, target_id)}

    @app.post("/api/notes", tags=["analyst"], status_code=201)
    def add_note(current: Data, _: Writer, body: NoteRequest) -> dict[str, Any]:
        """Add a note to a vessel or an event."""
        table, column = (current.vessels, "vessel_id") if body.target_kind == "vessel" else (current.events, "event_id")
        if table.filter(pl.col(column) == body.target_id).is_empty():
            raise _not_found(f"{body.target_kind} {body.target_id}")
        return records.add_note(body.target_kind, body.target_id, body.text)

    @app.delete("/api/notes/{note_id}", tags=["analyst"], status_code=204)
    def delete_note(_: Writer, note_id: PathId) -> Response:
        """Delete a note."""
        if not records.delete_note(note_id):
            raise _not_found(f"note {note_id}")
        return Response(status_code=204)

    @app.get("/api/cases", tags=["analyst"])
    def cases() -> dict[str, Any]:
        """Saved cases, most recently updated first."""
        return {"items": records.cases()}

    @app.get("/api/cases/{case_id}", tags=["analyst"])
    def case(case_id: PathId) -> dict[str, Any]:
        """One saved case."""
        found = records.case(case_id)
        if found is None:
            raise _not_found(f"case {case_id}")
        return found

    def check_case(current: StoreData, body: CaseRequest) -> None:
        missing_vessels = set(body.vessel_ids) - set(current.vessels["vessel_id"].to_list())
        missing_events = set(body.event_ids) - set(
            current.events.filter(pl.col("event_id").is_in(body.event_ids))["event_id"].to_list()
        )
        if missing_vessels or missing_events:
            unknown = sorted(missing_vessels | missing_events)
            raise HTTPException(status_code=404, detail=f"not in the store: {', '.join(unknown[:10])}")

    @app.post("/api/cases", tags=["analyst"], status_code=201)
    def create_case(current: Data, _: Writer, body: CaseRequest) -> dict[str, Any]:
        """Save a new case."""
        check_case(current, body)
        created = records.save_case(body.title, body.description, body.vessel_ids, body.event_ids)
        assert created is not None  # a new case cannot have vanished
        return created

    @app.put("/api/cases/{case_id}", tags=["analyst"])
    def update_case(current: Data, _: Writer, case_id: PathId, body: CaseRequest) -> dict[str, Any]:
        """Replace a case's contents."""
        if records.case(case_id) is None:
            raise _not_found(f"case {case_id}")
        check_case(current, body)
        saved = records.save_case(body.title, body.description, body.vessel_ids, body.event_ids, case_id)
        if saved is None:  # deleted meanwhile
            raise _not_found(f"case {case_id}")
        return saved

    @app.delete("/api/cases/{case_id}", tags=["analyst"], status_code=204)
    def delete_case(_: Writer, case_id: PathId) -> Response:
        """Delete a case."""
        if not records.delete_case(case_id):
            raise _not_found(f"case {case_id}")
        return Response(status_code=204)

    # --- the web application ------------------------------------------------------------------

    web = web_directory()
    if (web / "index.html").is_file():
        app.mount("/", StaticFiles(directory=web, html=True), name="web")
    else:

        @app.get("/", include_in_schema=False, response_class=HTMLResponse)
        def no_web() -> str:
            return (
                "<h1>shadowfleet</h1><p>The web application is not built in this installation: "
                "run <code>make web</code> in the source tree. The API is at <a href='/docs'>/docs</a>.</p>"
            )

    return app


def _with_watch(rows: list[dict[str, Any]], watched: set[str]) -> list[dict[str, Any]]:
    for row in rows:
        row["watchlisted"] = row["vessel_id"] in watched
    return rows


def _finite(value: Any) -> Any:
    """A JSON-ready value with NaN and infinities as null (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _areas_geojson(config: Config) -> dict[str, Any]:
    import shapely

    features = [
        {"type": "Feature", "geometry": json.loads(shapely.to_geojson(geometry)), "properties": {"name": name}}
        for name, geometry in load_areas(config.areas.path)
    ]
    return {"type": "FeatureCollection", "features": features}
