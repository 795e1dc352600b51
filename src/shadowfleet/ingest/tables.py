"""Decoded AIS tables from providers: NOAA MarineCadastre, Danish Maritime Authority, any CSV.

Providers publish decoded AIS as tables with their own column names, units and quirks.
This module maps a table's columns to shadowfleet's fields (by provider layout, by
alias, or by an explicit ``--columns`` mapping), parses every value with vectorised
Polars expressions, and splits rows into positions, static reports, aids to navigation
and base stations. Rows that cannot be used (no MMSI, no time, coordinates off the
globe) are counted by reason and kept as reject samples.

Provider quirks handled, with the reason:

* NOAA MarineCadastre writes course over ground as a *signed* 12-bit value: a course of
  349.0° appears as -61.0 and "not available" (3600) as -49.6, so negative courses are
  shifted by 409.6°. Speed gets the same treatment for its signed 10-bit field.
  IMO numbers carry an "IMO" prefix. All column-name variants (``BaseDateTime``,
  ``base_date_time``, ``TranscieverClass``, ``transceiver``...) are recognised by
  their normalised names.
* The Danish "aisdk" files give times as ``dd/mm/yyyy HH:MM:SS``, the navigational
  status and ship type as text, "Unknown" for a missing IMO, and the kind of station
  in "Type of mobile" (class A/B vessels, AtoN, base stations...).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

import polars as pl

from shadowfleet.errors import InputError
from shadowfleet.ingest.batch import STATIC_FIELDS, DecodedBatch
from shadowfleet.ingest.rejects import RAW_SAMPLE_BYTES, RejectCollector, RejectReason

# Canonical fields a table can provide, and the normalised header names (lowercase,
# letters and digits only) that mean them.
FIELD_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "mmsi": ("mmsi", "userid", "ssvid", "shipid", "sourcemmsi"),
    "timestamp": (
        "timestamp",
        "basedatetime",
        "datetime",
        "time",
        "ts",
        "postime",
        "msgtime",
        "timestamputc",
        "datetimeutc",
        "receivedat",
        "t",
    ),
    "lat": ("lat", "latitude", "y", "latdeg"),
    "lon": ("lon", "longitude", "long", "lng", "x", "londeg"),
    "sog_kn": ("sogkn", "sog", "speed", "speedoverground", "speedkn", "speedknots"),
    "cog_deg": ("cogdeg", "cog", "course", "courseoverground"),
    "heading_deg": ("headingdeg", "heading", "hdg", "trueheading"),
    "nav_status": ("navstatus", "status", "navigationalstatus", "navigationstatus"),
    "msg_type": ("msgtype", "messagetype", "messageid"),
    "imo": ("imo", "imonumber", "imono"),
    "name": ("name", "vesselname", "shipname"),
    "call_sign": ("callsign",),
    "ship_type": ("shiptype", "vesseltype", "shiptypecode"),
    "cargo_type": ("cargotype", "cargo"),
    "length_m": ("lengthm", "length", "loa"),
    "beam_m": ("beamm", "beam", "width"),
    "draught_m": ("draughtm", "draught", "draft"),
    "destination": ("destination", "dest"),
    "eta": ("eta",),
    "transponder_class": ("transponderclass", "transcieverclass", "transceiverclass", "transceiver", "class"),
    "station_type": ("typeofmobile", "mobiletype"),
    "receiver_class": ("receiverclass", "receivertype", "datasourcetype", "source"),
    "receiver_id": ("receiverid", "receiver", "station"),
    "to_bow_m": ("a", "tobow", "dimensiona"),
    "to_stern_m": ("b", "tostern", "dimensionb"),
    "to_port_m": ("c", "toport", "dimensionc"),
    "to_starboard_m": ("d", "tostarboard", "dimensiond"),
    "geometry": ("geometry", "geom", "wkb"),
}
REQUIRED: Final = ("mmsi", "timestamp", "lat", "lon")

NAV_STATUS_TEXT: Final[dict[str, int]] = {
    "underwayusingengine": 0,
    "atanchor": 1,
    "notundercommand": 2,
    "restrictedmanoeuverability": 3,
    "restrictedmanoeuvrability": 3,
    "restrictedmaneuverability": 3,
    "constrainedbyherdraught": 4,
    "moored": 5,
    "aground": 6,
    "engagedinfishing": 7,
    "underwaysailing": 8,
    "reservedforfutureamendmenthsc": 9,
    "reservedforfutureamendmentwig": 10,
    "powerdrivenvesseltowingastern": 11,
    "powerdrivenvesselpushingaheadortowingalongside": 12,
    "reservedforfutureuse": 13,
    "aissart": 14,
    "aissartisactive": 14,
    "unknownvalue": 15,
    "undefined": 15,
    "notdefined": 15,
    "unknown": 15,
}

# Text ship categories (DMA) to the first code of their AIS range (ITU-R M.1371 table 53).
SHIP_TYPE_TEXT: Final[dict[str, int]] = {
    "wig": 20,
    "fishing": 30,
    "towing": 31,
    "towinglongwide": 32,
    "dredging": 33,
    "diving": 34,
    "military": 35,
    "sailing": 36,
    "pleasure": 37,
    "hsc": 40,
    "pilot": 50,
    "sar": 51,
    "tug": 52,
    "porttender": 53,
    "antipollution": 54,
    "lawenforcement": 55,
    "spare1": 56,
    "spare2": 57,
    "medical": 58,
    "notpartytoconflict": 59,
    "passenger": 60,
    "cargo": 70,
    "tanker": 80,
    "other": 90,
}
# Hazard category of the cargo, the second digit of codes 20-29, 40-49, 60-99.
CARGO_CATEGORY_TEXT: Final[dict[str, int]] = {"categoryx": 1, "categoryy": 2, "categoryz": 3, "categoryos": 4}

TIME_FORMATS: Final = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%Y%m%d%H%M%S",
)
EPOCH: Final = "epoch"
"""Pseudo-format of Unix times (seconds or milliseconds) written as text."""
TIME_SAMPLE_ROWS: Final = 100_000


def normalise_name(name: str) -> str:
    """Header name reduced to lowercase letters and digits (``# Timestamp`` → ``timestamp``)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True, slots=True)
class TableLayout:
    """How a table's columns map to shadowfleet's fields.

    Attributes:
        provider: ``noaa``, ``dma`` or ``generic``.
        columns: Canonical field → the table's column name.
        time_format: strftime-style format of string timestamps, :data:`EPOCH` for Unix
            numbers written as text, or None to detect (see :func:`settle_time_formats`).
        eta_format: The same for the ETA column.
        receiver_class: Receiver class of every row when the table says nothing.
    """

    provider: str
    columns: dict[str, str]
    time_format: str | None = None
    eta_format: str | None = None
    receiver_class: str | None = None


def detect_layout(
    columns: list[str],
    column_map: dict[str, str] | None = None,
    time_format: str | None = None,
    path: str | None = None,
) -> TableLayout:
    """Recognise a provider table from its header.

    Args:
        columns: The table's column names.
        column_map: Explicit canonical field → column name, overriding aliases.
        time_format: Explicit timestamp format.
        path: The file, named in errors.

    Returns:
        The layout.

    Raises:
        InputError: When a required field (mmsi, timestamp, lat, lon) has no column.
    """
    by_normalised: dict[str, str] = {}
    for name in columns:
        by_normalised.setdefault(normalise_name(name), name)
    normalised = set(by_normalised)
    if {"typeofmobile", "mmsi"} <= normalised:
        provider = "dma"
    elif "basedatetime" in normalised:
        provider = "noaa"
    else:
        provider = "generic"
    mapping: dict[str, str] = {}
    for canonical, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            if alias in by_normalised:
                mapping[canonical] = by_normalised[alias]
                break
    if provider == "noaa":
        # MarineCadastre publishes no ETA; an "ETA" column in a NOAA-layout file was
        # added downstream (tracktable's sample repeats each row's own seconds in it).
        mapping.pop("eta", None)
    if provider != "dma":
        # Single-letter dimension names are DMA's; elsewhere "a".."d" mean nothing.
        for dimension in ("to_bow_m", "to_stern_m", "to_port_m", "to_starboard_m"):
            if mapping.get(dimension, "").lower() in {"a", "b", "c", "d"}:
                del mapping[dimension]
    for canonical, column in (column_map or {}).items():
        if canonical not in FIELD_ALIASES:
            raise InputError(f"unknown field {canonical!r} in --columns; fields are: {', '.join(FIELD_ALIASES)}", path)
        if column not in columns:
            raise InputError(f"--columns maps {canonical} to {column!r}, which is not a column of the file", path)
        mapping[canonical] = column
    if "geometry" in mapping and ("lat" not in mapping or "lon" not in mapping):
        mapping.setdefault("lat", mapping["geometry"])
        mapping.setdefault("lon", mapping["geometry"])
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        expected = "; ".join(f"{f}: one of {', '.join(FIELD_ALIASES[f][:6])}" for f in missing)
        raise InputError(
            f"not a known AIS table layout: no column for {', '.join(missing)} "
            f"(columns are {', '.join(columns[:30])}). Expected {expected}; "
            "or map them with --columns field=column,...",
            path,
        )
    if time_format is None and provider == "dma":
        time_format = "%d/%m/%Y %H:%M:%S"
    receiver_class = "terrestrial" if provider == "noaa" else None
    eta_format = time_format if provider == "dma" else None
    return TableLayout(provider, mapping, time_format, eta_format, receiver_class)


def settle_time_formats(lazy: pl.LazyFrame, layout: TableLayout, path: str | None = None) -> TableLayout:
    """Decide once per file how its text timestamps are written.

    Looks at up to :data:`TIME_SAMPLE_ROWS` rows. A format is chosen only if it reads
    more of the sample than any other; when a day-first and a month-first reading fit
    equally (``01/02/2020``), the file is refused and ``--time-format`` asked for,
    rather than guessing a date that may be a month off.

    Raises:
        InputError: When the reading of dates is ambiguous.
    """
    schema = lazy.collect_schema()
    settled: dict[str, str | None] = {}
    for field, current in (("timestamp", layout.time_format), ("eta", layout.eta_format)):
        column = layout.columns.get(field)
        settled[field] = current
        if current is not None or column is None or not isinstance(schema[column], pl.String):
            continue
        sample = lazy.select(_text(pl.col(column)).alias("t")).drop_nulls().head(TIME_SAMPLE_ROWS).collect()["t"]
        settled[field] = _choose_time_format(sample, column, path)
    return dataclasses.replace(layout, time_format=settled["timestamp"], eta_format=settled["eta"])


def _choose_time_format(sample: pl.Series, column: str, path: str | None) -> str | None:
    if sample.len() == 0:
        return None
    if sample.cast(pl.Float64, strict=False).null_count() == 0:
        return EPOCH
    frame = sample.to_frame("t")
    readable = {
        fmt: int(frame.select(_parse_time(pl.col("t"), fmt).is_not_null().sum()).item()) for fmt in TIME_FORMATS
    }
    best = max(readable.values())
    if best == 0:
        return None  # left to Polars' own inference, per value
    winners = [fmt for fmt, n in readable.items() if n == best]
    day_first = [f for f in winners if f.startswith("%d/")]
    month_first = [f for f in winners if f.startswith("%m/")]
    if day_first and month_first:
        example = sample[0]
        raise InputError(
            f"column {column!r} has dates such as {example!r} that read both day-first and month-first; "
            "pass --time-format (e.g. '%d/%m/%Y %H:%M:%S' or '%m/%d/%Y %H:%M:%S')",
            path,
        )
    return winners[0]


def _column(layout: TableLayout, name: str) -> pl.Expr | None:
    column = layout.columns.get(name)
    return None if column is None else pl.col(column)


def _text(expr: pl.Expr) -> pl.Expr:
    """A column as trimmed text, empty as null."""
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def _number(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return _text(expr).str.replace(",", ".", literal=True).cast(pl.Float64, strict=False).cast(dtype, strict=False)


def _integer(expr: pl.Expr) -> pl.Expr:
    """Integers written as ``123``, ``123.0`` or ``IMO1234567``."""
    digits = _text(expr).str.replace(r"^(?i:imo)\s*", "")
    return digits.cast(pl.Float64, strict=False).round(0).cast(pl.Int64, strict=False)


def _sample_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A column as text for a reject sample (binary as hex, nested as JSON)."""
    if dtype == pl.Binary:
        return expr.bin.encode("hex")
    if dtype.is_nested():
        return pl.struct(expr).struct.json_encode()
    return _text(expr)


def _coded_text(expr: pl.Expr, table: dict[str, int]) -> pl.Expr:
    """A code given either as a number or as text looked up in ``table``."""
    text = _text(expr)
    as_number = text.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
    key = text.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    mapping = pl.DataFrame({"key": list(table), "code": list(table.values())})
    as_text = key.replace_strict(mapping["key"], mapping["code"], default=None, return_dtype=pl.Int64)
    return pl.coalesce(as_number, as_text)


def _time_expr(frame: pl.DataFrame, column: str, time_format: str | None, epoch_ms_threshold: float) -> pl.Expr:
    """Expression parsing a timestamp column to UTC microseconds, whatever its type."""
    dtype = frame.schema[column]
    col = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        return col.dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
    if dtype.is_numeric():
        return _epoch(col.cast(pl.Float64), epoch_ms_threshold)
    text = _text(col)
    if time_format == EPOCH:
        return _epoch(text.cast(pl.Float64, strict=False), epoch_ms_threshold)
    if time_format is not None:
        return _parse_time(text, time_format)
    return text.str.to_datetime(strict=False, time_unit="us").dt.replace_time_zone("UTC")


def _parse_time(text: pl.Expr, fmt: str) -> pl.Expr:
    # A trailing "Z" or UTC offset is allowed after any of the formats.
    offset = text.str.extract(r"(Z|[+-]\d\d:?\d\d)$")
    core = text.str.replace(r"(Z|[+-]\d\d:?\d\d)$", "")
    naive = core.str.strptime(pl.Datetime("us"), fmt, strict=False)
    with_offset = (
        core + pl.coalesce(offset.str.replace("Z", "+0000").str.replace(":", ""), pl.lit("+0000"))
    ).str.strptime(pl.Datetime("us", "UTC"), fmt + "%z", strict=False)
    return pl.when(offset.is_not_null()).then(with_offset).otherwise(naive.dt.replace_time_zone("UTC"))


def _epoch(values: pl.Expr, epoch_ms_threshold: float) -> pl.Expr:
    micro = pl.when(values > epoch_ms_threshold).then(values * 1000.0).otherwise(values * 1_000_000.0)
    return micro.round(0).cast(pl.Int64, strict=False).cast(pl.Datetime("us", "UTC"))


def _wkb_point(expr: pl.Expr, offset: int) -> pl.Expr:
    """X (offset 5) or Y (offset 13) of a little-endian 2-D WKB point."""
    return expr.cast(pl.Binary).bin.slice(offset, 8).bin.reinterpret(dtype=pl.Float64, endianness="little")


def normalise_table(
    frame: pl.DataFrame,
    layout: TableLayout,
    *,
    first_row: int,
    epoch_ms_threshold: float,
    min_valid_time_s: float,
    receiver_class: str | None = None,
) -> DecodedBatch:
    """Normalise one batch of a provider table.

    Args:
        frame: The rows, with the table's own column names (any dtypes).
        layout: From :func:`detect_layout`.
        first_row: Row number of the batch's first row (CSV: its line number).
        epoch_ms_threshold: Numeric times above this are milliseconds.
        min_valid_time_s: Earlier times are invalid.
        receiver_class: Receiver class for every row, overriding the layout's.

    Returns:
        Positions, statics, aids to navigation, base stations, rejects and counts.
    """
    counts: Counter[str] = Counter({"rows": frame.height})
    rejects = RejectCollector()
    cols = layout.columns

    def get(name: str) -> pl.Expr:
        expr = _column(layout, name)
        return pl.lit(None) if expr is None else expr

    exprs: dict[str, pl.Expr] = {
        "source_line": pl.int_range(first_row, first_row + pl.len(), dtype=pl.Int64),
        "mmsi": _integer(get("mmsi")),
        "timestamp": _time_expr(frame, cols["timestamp"], layout.time_format, epoch_ms_threshold),
    }
    if "geometry" in cols and cols["lat"] == cols["geometry"]:
        exprs["lon"] = _wkb_point(get("geometry"), 5)
        exprs["lat"] = _wkb_point(get("geometry"), 13)
    else:
        exprs["lat"] = _number(get("lat"), pl.Float64())
        exprs["lon"] = _number(get("lon"), pl.Float64())
    sog = _number(get("sog_kn"), pl.Float64())
    cog = _number(get("cog_deg"), pl.Float64())
    if layout.provider == "noaa":
        # Signed 10- and 12-bit fields written as negative numbers (module docstring).
        sog = pl.when(sog < 0).then(sog + 102.4).otherwise(sog)
        cog = pl.when(cog < 0).then(cog + 409.6).otherwise(cog)
    heading = _number(get("heading_deg"), pl.Float64())
    exprs.update(
        {
            "sog_raw": sog,
            "cog_raw": cog,
            "heading_raw": heading,
            "nav_status": _coded_text(get("nav_status"), NAV_STATUS_TEXT),
            "msg_type": _integer(get("msg_type")),
            "imo_reported": _integer(get("imo")),
            "name": _text(get("name")).str.to_uppercase(),
            "call_sign": _text(get("call_sign")).str.to_uppercase(),
            "ship_type_base": _coded_text(get("ship_type"), SHIP_TYPE_TEXT),
            "ship_type_text": _text(get("ship_type")),
            "cargo_category": _coded_text(get("cargo_type"), CARGO_CATEGORY_TEXT),
            "length_m": _number(get("length_m"), pl.Float64()),
            "beam_m": _number(get("beam_m"), pl.Float64()),
            "to_bow_m": _number(get("to_bow_m"), pl.Float64()),
            "to_stern_m": _number(get("to_stern_m"), pl.Float64()),
            "to_port_m": _number(get("to_port_m"), pl.Float64()),
            "to_starboard_m": _number(get("to_starboard_m"), pl.Float64()),
            "draught_m": _number(get("draught_m"), pl.Float64()),
            "destination": _text(get("destination")).str.to_uppercase(),
            "eta": (
                _time_expr(frame, cols["eta"], layout.eta_format, epoch_ms_threshold)
                if "eta" in cols
                else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
            ),
            "transponder_text": _text(get("transponder_class")).str.to_uppercase(),
            "station_text": _text(get("station_type")),
            "receiver_text": _text(get("receiver_class")),
            "receiver_id": _text(get("receiver_id")),
            "raw": pl.concat_str(
                [_sample_text(pl.col(c), dtype).fill_null("") for c, dtype in frame.schema.items()],
                separator=",",
            ).str.slice(0, RAW_SAMPLE_BYTES),
        }
    )
    # Rows with nothing in any mapped column (blank CSV lines) are ignored, counted.
    blank = pl.all_horizontal([_sample_text(pl.col(c), frame.schema[c]).is_null() for c in set(cols.values())])
    rows = frame.select([*(e.alias(name) for name, e in exprs.items()), blank.alias("_blank")])
    counts["ignored.blank_row"] += int(rows["_blank"].sum())
    rows = rows.filter(~pl.col("_blank")).drop("_blank")
    rows = _derive(rows, layout, receiver_class or layout.receiver_class)

    # Rows that cannot be used at all.
    min_time = pl.lit(int(min_valid_time_s * 1_000_000)).cast(pl.Datetime("us", "UTC"))
    lat_sentinel = pl.col("lat").round(4) == 91.0
    lon_sentinel = pl.col("lon").round(4) == 181.0
    problems = [
        ("mmsi", pl.col("mmsi").is_null() | (pl.col("mmsi") <= 0) | (pl.col("mmsi") > 999_999_999)),
        ("timestamp", pl.col("timestamp").is_null() | (pl.col("timestamp") < min_time)),
        (
            "position",
            (~lat_sentinel.fill_null(False) & ~lon_sentinel.fill_null(False))
            & (
                pl.col("lat").is_null()
                | pl.col("lon").is_null()
                | pl.col("lat").abs().gt(90)
                | pl.col("lon").abs().gt(180)
                | pl.col("lat").is_nan()
                | pl.col("lon").is_nan()
            ).fill_null(True),
        ),
    ]
    problem = pl.lit(None, dtype=pl.String)
    for label, condition in reversed(problems):
        problem = pl.when(condition).then(pl.lit(label)).otherwise(problem)
    rows = rows.with_columns(problem.alias("problem"))
    bad = rows.filter(pl.col("problem").is_not_null())
    if bad.height:
        details = bad.select(
            pl.when(pl.col("problem") == "mmsi")
            .then(pl.lit("invalid mmsi ") + pl.col("mmsi").cast(pl.String).fill_null("(empty)"))
            .otherwise(pl.lit("invalid ") + pl.col("problem"))
        ).to_series()
        reasons = bad["problem"]
        missing_time = (reasons == "timestamp").to_numpy()
        rejects.add(
            bad["source_line"].to_numpy()[~missing_time],
            RejectReason.INVALID_FIELD,
            details.filter(~pl.Series(missing_time)),
            bad["raw"].filter(~pl.Series(missing_time)),
        )
        rejects.add(
            bad["source_line"].to_numpy()[missing_time],
            RejectReason.MISSING_TIMESTAMP,
            "timestamp missing, unparseable or before 2000; check --time-format",
            bad["raw"].filter(pl.Series(missing_time)),
        )
    rows = rows.filter(pl.col("problem").is_null())
    rows = rows.with_columns(
        pl.when(~(lat_sentinel | lon_sentinel)).then(pl.col("lat")).alias("lat"),
        pl.when(~(lat_sentinel | lon_sentinel)).then(pl.col("lon")).alias("lon"),
    )

    # Route rows by the kind of station that sent them.
    kind = pl.col("station_kind")
    unsupported = rows.filter(kind == "other")
    if unsupported.height:
        rejects.add(
            unsupported["source_line"].to_numpy(),
            RejectReason.UNSUPPORTED_TYPE,
            "station type " + unsupported["station_text"].fill_null("?"),
            unsupported["raw"],
        )
        for text, n in unsupported.group_by("station_text").len().iter_rows():
            counts[f"unsupported_type.{text}"] += int(n)
    vessels = rows.filter(kind == "vessel")
    # Values outside the field's range become null and are counted; the standard's
    # "not available" sentinels (102.3 kn, 360°, 511) are not errors and are not counted.
    for column, raw, sentinel in (
        ("sog_kn", "sog_raw", 102.3),
        ("cog_deg", "cog_raw", 360.0),
        ("heading_deg", "heading_raw", 511.0),
    ):
        nulled = pl.col(raw).is_not_null() & pl.col(column).is_null() & ((pl.col(raw) - sentinel).abs() > 1e-6)
        counts[f"nulled.{column}"] += int(vessels.select(nulled.sum()).item())
    statics = vessels.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in STATIC_FIELDS]))
    counts["messages.positions"] += vessels.height
    return DecodedBatch(
        positions=vessels,
        statics=statics,
        aids_to_navigation=rows.filter(kind == "aid"),
        base_stations=rows.filter(kind == "base_station").with_columns(
            pl.lit(None, pl.Datetime("us", "UTC")).alias("station_time")
        ),
        rejects=rejects.frame(),
        counts=counts,
    )


def _derive(rows: pl.DataFrame, layout: TableLayout, receiver_class: str | None) -> pl.DataFrame:
    """Compute stored fields from the parsed ones: sentinels, classes, dimensions."""
    sog, cog, heading = pl.col("sog_raw"), pl.col("cog_raw"), pl.col("heading_raw")
    transponder = pl.col("transponder_text").str.replace(r"^CLASS\s*", "")
    station = pl.col("station_text").str.to_lowercase().str.replace_all(r"[^a-z]", "")
    station_kind = (
        pl.when(station.is_null() | station.is_in(["classa", "classb"]))
        .then(pl.lit("vessel"))
        .when(station.is_in(["aton", "aidtonavigation"]))
        .then(pl.lit("aid"))
        .when(station == "basestation")
        .then(pl.lit("base_station"))
        .otherwise(pl.lit("other"))
    )
    transponder_class = (
        pl.when(station == "classa")
        .then(pl.lit("A"))
        .when(station == "classb")
        .then(pl.lit("B"))
        .when(transponder.is_in(["A", "B"]))
        .then(transponder)
        .when(pl.col("msg_type").is_in([1, 2, 3, 5]))
        .then(pl.lit("A"))
        .when(pl.col("msg_type").is_in([18, 19, 24]))
        .then(pl.lit("B"))
    )
    receiver_text = pl.col("receiver_text").str.to_lowercase()
    receiver = (
        pl.when(receiver_text.str.contains(r"sat|orbcomm|spire|exact"))
        .then(pl.lit("satellite"))
        .when(receiver_text.is_in(["ais", "terrestrial", "t", "shore", "land"]))
        .then(pl.lit("terrestrial"))
        .when(receiver_text.is_in(["unknown", "dynamic"]))
        .then(pl.lit("unknown"))
        .otherwise(pl.lit(receiver_class or "unknown"))
    )
    dims_length = pl.col("to_bow_m") + pl.col("to_stern_m")
    dims_beam = pl.col("to_port_m") + pl.col("to_starboard_m")
    length = pl.coalesce(
        pl.when(pl.col("length_m") > 0).then(pl.col("length_m")), pl.when(dims_length > 0).then(dims_length)
    )
    beam = pl.coalesce(pl.when(pl.col("beam_m") > 0).then(pl.col("beam_m")), pl.when(dims_beam > 0).then(dims_beam))
    base = pl.col("ship_type_base")
    category = pl.col("cargo_category")
    # Text categories (DMA) give the range's first code; the cargo hazard category
    # refines it where the code table has that digit.
    refined = (
        pl.when(
            pl.col("ship_type_text").cast(pl.Float64, strict=False).is_null()
            & category.is_not_null()
            & base.is_in([20, 40, 60, 70, 80, 90])
        )
        .then(base + category)
        .otherwise(base)
    )
    imo = pl.col("imo_reported")
    imo_ok = (imo >= 1_000_000) & (imo <= 9_999_999) & (_imo_check(imo) == imo % 10)
    return rows.with_columns(
        pl.when((sog >= 0) & (sog < 102.25)).then(sog).cast(pl.Float32).alias("sog_kn"),
        pl.when((cog >= 0) & (cog < 360)).then(cog).cast(pl.Float32).alias("cog_deg"),
        pl.when((heading >= 0) & (heading < 360)).then(heading).cast(pl.Float32).alias("heading_deg"),
        pl.when(pl.col("nav_status").is_between(0, 15)).then(pl.col("nav_status")).cast(pl.Int8).alias("nav_status"),
        pl.when(pl.col("msg_type").is_between(1, 27)).then(pl.col("msg_type")).cast(pl.Int8).alias("msg_type"),
        pl.when(imo > 0).then(imo).alias("imo_reported"),
        pl.when(imo_ok).then(imo).alias("imo"),
        pl.when((refined > 0) & (refined < 256)).then(refined).cast(pl.Int16).alias("ship_type"),
        length.cast(pl.Float32).alias("length_m"),
        beam.cast(pl.Float32).alias("beam_m"),
        pl.when(pl.col("draught_m") > 0).then(pl.col("draught_m")).cast(pl.Float32).alias("draught_m"),
        station_kind.alias("station_kind"),
        transponder_class.alias("transponder_class"),
        receiver.alias("receiver_class"),
    ).with_columns(
        pl.when(pl.col("name").str.contains(r"^[@\s]*$").not_()).then(pl.col("name")).alias("name"),
        pl.when(pl.col("call_sign").str.contains(r"^[@\s]*$").not_()).then(pl.col("call_sign")).alias("call_sign"),
        pl.when(pl.col("destination").str.contains(r"^[@\s]*$").not_())
        .then(pl.col("destination"))
        .alias("destination"),
    )


def _imo_check(imo: pl.Expr) -> pl.Expr:
    """Check digit of an IMO number (weights 7..2 on the first six digits)."""
    total = pl.lit(0, dtype=pl.Int64)
    for position, weight in enumerate(range(7, 1, -1)):
        digit = (imo // (10 ** (6 - position))) % 10
        total = total + digit * weight
    return total % 10
