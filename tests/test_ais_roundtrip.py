"""Round trip: AIS messages encoded by pyais, decoded by shadowfleet's vectorised decoder.

Hypothesis draws raw field values per message type; pyais's *encoder* turns them into
NMEA sentences; shadowfleet must give back, for every field it stores, the value its
conventions derive from the raw inputs (sentinels and out-of-range values as null, text
padding removed, dimensions summed, ...). Invalid MMSIs and off-globe positions must be
rejected. A last test decodes many mixed messages as one text.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pyais
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais.constants import ShipType

from shadowfleet.ingest.nmea import read_nmea_lines

DEFAULT_TIME_US = 1_600_000_000_000_000
REPORT_TIME = datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)  # DEFAULT_TIME_US as a datetime
MIN_STATION_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_STATION_TIME = datetime(2100, 1, 1, tzinfo=UTC)
TABLES = ("positions", "statics", "aids_to_navigation", "base_stations")
FLOAT32_COLUMNS = frozenset({"sog_kn", "cog_deg", "heading_deg", "length_m", "beam_m", "draught_m"})
INT8_COLUMNS = frozenset({"nav_status"})

# Six-bit text limited to upper case letters, digits and spaces (no '@', the padding).
TEXT_ALPHABET = string.ascii_uppercase + string.digits + " "
# Ship types pyais can encode for types 5 and 19 (it maps unknown codes to 0).
KNOWN_SHIP_TYPES = sorted(int(member) for member in ShipType)

FINE = 600_000  # 1/10000 minute per degree (types 1-4, 18, 19, 21)
COARSE = 600  # 1/10 minute per degree (type 27)

SINGLE = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], database=None
)
FEW = settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], database=None
)
BATCH = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

Message = dict[str, Any]
Row = dict[str, Any]


# ---------------------------------------------------------------------------- helpers


def f32(value: float | None) -> float | None:
    """The value a Float32 column holds for ``value`` (None stays None)."""
    return None if value is None else float(np.float32(value))


def text_value(text: str) -> str | None:
    """What shadowfleet stores for a six-bit text field sent by pyais ('@'-padded)."""
    return text.strip() or None


def imo_check_ok(imo: int) -> bool:
    """Seven digits whose last is the weighted (7..2) sum of the first six, mod 10."""
    if not 1_000_000 <= imo <= 9_999_999:
        return False
    digits = [int(c) for c in str(imo)]
    return sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10 == digits[6]


def lat_lon(message: Message, per_degree: int) -> tuple[float | None, float | None]:
    """Expected (lat, lon): both null if either is the "not available" sentinel."""
    lat_raw, lon_raw = message["lat_raw"], message["lon_raw"]
    if lat_raw == 91 * per_degree or lon_raw == 181 * per_degree:
        return None, None
    return round(lat_raw / per_degree, 6), round(lon_raw / per_degree, 6)


def dimensions(message: Message) -> tuple[float | None, float | None]:
    length = message["to_bow"] + message["to_stern"]
    beam = message["to_port"] + message["to_starboard"]
    return f32(length or None), f32(beam or None)


def expected_eta(month: int, day: int, hour: int, minute: int) -> datetime | None:
    """ETA in the report's year; one more than half a year before the report is next year's."""
    try:
        eta = datetime(REPORT_TIME.year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return None
    if eta < REPORT_TIME - timedelta(days=183):
        try:
            return datetime(REPORT_TIME.year + 1, month, day, hour, minute, tzinfo=UTC)
        except ValueError:
            return None
    return eta


def expected_station_time(m: Message) -> datetime | None:
    try:
        when = datetime(m["year"], m["month"], m["day"], m["hour"], m["minute"], m["second"], tzinfo=UTC)
    except ValueError:
        return None
    return when if MIN_STATION_TIME <= when < MAX_STATION_TIME else None


def pyais_fields(message: Message) -> dict[str, Any]:
    """Keyword arguments for ``pyais.encode_dict`` from the raw field values."""
    fields = {k: v for k, v in message.items() if not k.endswith("_raw")}
    fields["msg_type"] = message["type"]
    long_range = message["type"] == 27
    per_degree = COARSE if long_range else FINE
    if "lat_raw" in message:
        fields["lat"] = message["lat_raw"] / per_degree
        fields["lon"] = message["lon_raw"] / per_degree
    if "sog_raw" in message:
        fields["speed"] = float(message["sog_raw"]) if long_range else message["sog_raw"] / 10
    if "cog_raw" in message:
        fields["course"] = float(message["cog_raw"]) if long_range else message["cog_raw"] / 10
    if "draught_raw" in message:
        fields["draught"] = message["draught_raw"] / 10
    return fields


def encode(message: Message, seq_id: int | None = None) -> list[str]:
    return pyais.encode_dict(
        pyais_fields(message), talker_id="AI", sentence_type="VDM", radio_channel="A", seq_id=seq_id
    )


def decode(lines: list[str]) -> Any:
    return read_nmea_lines("\n".join(lines).encode(), default_time_us=DEFAULT_TIME_US)


def movement(sog: float | None, cog: float | None, heading: float | None) -> Row:
    return {"sog_kn": f32(sog), "cog_deg": f32(cog), "heading_deg": f32(heading)}


def expected_rows(m: Message) -> dict[str, Row]:
    """Table name → the row shadowfleet must produce for a valid message."""
    t = m["type"]
    out: dict[str, Row] = {}
    if t in (1, 2, 3, 18, 19):
        lat, lon = lat_lon(m, FINE)
        sog = None if m["sog_raw"] == 1023 else m["sog_raw"] / 10
        cog = None if m["cog_raw"] >= 3600 else m["cog_raw"] / 10
        heading = None if m["heading"] >= 360 else float(m["heading"])
        out["positions"] = {
            "mmsi": m["mmsi"],
            "msg_type": t,
            "lat": lat,
            "lon": lon,
            **movement(sog, cog, heading),
            "nav_status": m["status"] if t <= 3 else None,
            "transponder_class": "A" if t <= 3 else "B",
        }
    if t == 27:
        lat, lon = lat_lon(m, COARSE)
        sog = None if m["sog_raw"] == 63 else float(m["sog_raw"])
        cog = None if m["cog_raw"] >= 360 else float(m["cog_raw"])
        out["positions"] = {
            "mmsi": m["mmsi"],
            "msg_type": 27,
            "lat": lat,
            "lon": lon,
            **movement(sog, cog, None),
            "nav_status": m["status"],
            "transponder_class": None,
        }
    if t == 5:
        length, beam = dimensions(m)
        imo = m["imo"]
        out["statics"] = {
            "mmsi": m["mmsi"],
            "msg_type": 5,
            "imo_reported": imo or None,
            "imo": imo if imo_check_ok(imo) else None,
            "call_sign": text_value(m["callsign"]),
            "name": text_value(m["shipname"]),
            "destination": text_value(m["destination"]),
            "ship_type": m["ship_type"] or None,
            "length_m": length,
            "beam_m": beam,
            "draught_m": f32(m["draught_raw"] / 10 if m["draught_raw"] else None),
            "eta": expected_eta(m["month"], m["day"], m["hour"], m["minute"]),
        }
    if t == 19:
        length, beam = dimensions(m)
        out["statics"] = {
            "mmsi": m["mmsi"],
            "msg_type": 19,
            "name": text_value(m["shipname"]),
            "ship_type": m["ship_type"] or None,
            "length_m": length,
            "beam_m": beam,
        }
    if t == 24:
        if m["partno"] == 0:
            out["statics"] = {
                "mmsi": m["mmsi"],
                "msg_type": 24,
                "name": text_value(m["shipname"]),
                "call_sign": None,
                "ship_type": None,
                "length_m": None,
                "beam_m": None,
            }
        else:
            auxiliary = 980_000_000 <= m["mmsi"] <= 989_999_999
            length, beam = (None, None) if auxiliary else dimensions(m)
            out["statics"] = {
                "mmsi": m["mmsi"],
                "msg_type": 24,
                "name": None,
                "call_sign": text_value(m["callsign"]),
                "ship_type": m["ship_type"] or None,
                "length_m": length,
                "beam_m": beam,
            }
    if t == 21:
        lat, lon = lat_lon(m, FINE)
        length, beam = dimensions(m)
        name, extension = m["name"].strip(), m["name_ext"].strip()
        out["aids_to_navigation"] = {
            "mmsi": m["mmsi"],
            "aid_type": m["aid_type"],
            "name": (name + extension if name and extension else name) or None,
            "lat": lat,
            "lon": lon,
            "virtual_aid": m["virtual_aid"],
            "off_position": m["off_position"],
            "length_m": length,
            "beam_m": beam,
        }
    if t == 4:
        lat, lon = lat_lon(m, FINE)
        out["base_stations"] = {
            "mmsi": m["mmsi"],
            "lat": lat,
            "lon": lon,
            "station_time": expected_station_time(m),
        }
    return out


def rows_at(frame: pl.DataFrame, line: int) -> pl.DataFrame:
    if frame.height == 0:
        return frame
    return frame.filter(pl.col("source_line") == line)


def assert_row(table: str, frame: pl.DataFrame, actual: Row, expected: Row) -> None:
    for column, want in expected.items():
        got = actual[column]
        if column in FLOAT32_COLUMNS:
            assert frame.schema[column] == pl.Float32, (table, column, frame.schema[column])
        if column in INT8_COLUMNS:
            assert frame.schema[column] == pl.Int8, (table, column, frame.schema[column])
        assert got == want, f"{table}.{column}: got {got!r}, expected {want!r}"


def check_single(message: Message) -> None:
    batch = decode(encode(message))
    assert batch.rejects.height == 0, batch.rejects.to_dicts()
    expected = expected_rows(message)
    for table in TABLES:
        frame = getattr(batch, table)
        if table not in expected:
            assert frame.height == 0, (table, frame.to_dicts())
            continue
        assert frame.height == 1, (table, frame.to_dicts())
        row = frame.row(0, named=True)
        assert row["source_line"] == 1
        assert_row(table, frame, row, expected[table])


# ---------------------------------------------------------------------------- strategies

mmsis = st.integers(1, 999_999_999)
invalid_mmsis = st.one_of(st.just(0), st.integers(1_000_000_000, 2**30 - 1))
nav_statuses = st.integers(0, 15)
headings = st.one_of(st.integers(0, 359), st.just(511), st.integers(360, 510))
sogs = st.one_of(st.integers(0, 1022), st.just(1023))
cogs = st.one_of(st.integers(0, 3599), st.just(3600), st.integers(3601, 4095))
ship_types = st.sampled_from(KNOWN_SHIP_TYPES)
valid_imos = st.integers(100_000, 999_999).map(
    lambda six: six * 10 + sum(int(d) * w for d, w in zip(str(six), range(7, 1, -1), strict=True)) % 10
)
imos = st.one_of(st.just(0), valid_imos, st.integers(1_000_000, 9_999_999), st.integers(0, 2**30 - 1))


def six_bit_text(max_chars: int) -> st.SearchStrategy[str]:
    return st.text(TEXT_ALPHABET, max_size=max_chars)


def coordinate(limit: int, sentinel: int) -> st.SearchStrategy[int]:
    """A raw coordinate in range, or (about one time in four) the "not available" value."""
    in_range = st.integers(-limit, limit)
    return st.one_of(in_range, in_range, in_range, st.just(sentinel))


def position(per_degree: int) -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries(
        {
            "lat_raw": coordinate(90 * per_degree, 91 * per_degree),
            "lon_raw": coordinate(180 * per_degree, 181 * per_degree),
        }
    )


def dims() -> dict[str, st.SearchStrategy[int]]:
    return {
        "to_bow": st.integers(0, 511),
        "to_stern": st.integers(0, 511),
        "to_port": st.integers(0, 63),
        "to_starboard": st.integers(0, 63),
    }


def message(fixed: dict[str, st.SearchStrategy[Any]], per_degree: int | None = None) -> st.SearchStrategy[Message]:
    base = st.fixed_dictionaries(fixed)
    if per_degree is None:
        return base
    return st.tuples(base, position(per_degree)).map(lambda pair: {**pair[0], **pair[1]})


class_a = message(
    {
        "type": st.sampled_from([1, 2, 3]),
        "mmsi": mmsis,
        "status": nav_statuses,
        "sog_raw": sogs,
        "cog_raw": cogs,
        "heading": headings,
    },
    FINE,
)
class_b = message(
    {"type": st.just(18), "mmsi": mmsis, "sog_raw": sogs, "cog_raw": cogs, "heading": headings},
    FINE,
)
extended_class_b = message(
    {
        "type": st.just(19),
        "mmsi": mmsis,
        "sog_raw": sogs,
        "cog_raw": cogs,
        "heading": headings,
        "shipname": six_bit_text(20),
        "ship_type": ship_types,
        **dims(),
    },
    FINE,
)
long_range = message(
    {
        "type": st.just(27),
        "mmsi": mmsis,
        "status": nav_statuses,
        "sog_raw": st.one_of(st.integers(0, 62), st.just(63)),
        "cog_raw": st.one_of(st.integers(0, 359), st.just(511), st.integers(360, 510)),
    },
    COARSE,
)
static_voyage = message(
    {
        "type": st.just(5),
        "mmsi": mmsis,
        "imo": imos,
        "callsign": six_bit_text(7),
        "shipname": six_bit_text(20),
        "destination": six_bit_text(20),
        "ship_type": ship_types,
        **dims(),
        "month": st.one_of(st.integers(1, 12), st.integers(0, 15)),
        "day": st.one_of(st.integers(1, 31), st.integers(0, 31)),
        "hour": st.one_of(st.integers(0, 23), st.integers(0, 31)),
        "minute": st.one_of(st.integers(0, 59), st.integers(0, 63)),
        "draught_raw": st.integers(0, 255),
    }
)
class_b_static = message(
    {
        "type": st.just(24),
        "mmsi": st.one_of(mmsis, st.integers(980_000_000, 989_999_999)),
        "partno": st.integers(0, 1),
        "shipname": six_bit_text(20),
        "ship_type": st.integers(0, 255),
        "callsign": six_bit_text(7),
        "mothership_mmsi": st.integers(0, 999_999_999),
        **dims(),
    }
)
aids = message(
    {
        "type": st.just(21),
        "mmsi": mmsis,
        "aid_type": st.integers(0, 31),
        "name": six_bit_text(20),
        "name_ext": six_bit_text(14),
        "off_position": st.booleans(),
        "virtual_aid": st.booleans(),
        **dims(),
    },
    FINE,
)
base_station = message(
    {
        "type": st.just(4),
        "mmsi": mmsis,
        "year": st.one_of(st.integers(1995, 2105), st.integers(0, 2**14 - 1)),
        "month": st.one_of(st.integers(1, 12), st.integers(0, 15)),
        "day": st.one_of(st.integers(1, 31), st.integers(0, 31)),
        "hour": st.one_of(st.integers(0, 23), st.integers(0, 31)),
        "minute": st.one_of(st.integers(0, 59), st.integers(0, 63)),
        "second": st.one_of(st.integers(0, 59), st.integers(0, 63)),
    },
    FINE,
)

KINDS: dict[str, st.SearchStrategy[Message]] = {
    "class_a": class_a,
    "class_b": class_b,
    "extended_class_b": extended_class_b,
    "long_range": long_range,
    "static_voyage": static_voyage,
    "class_b_static": class_b_static,
    "aids_to_navigation": aids,
    "base_station": base_station,
}
any_message = st.one_of(*KINDS.values())
POSITIONED_KINDS = ("class_a", "class_b", "extended_class_b", "long_range", "aids_to_navigation", "base_station")


@st.composite
def off_globe(draw: st.DrawFn, per_degree: int) -> dict[str, int]:
    """A raw position off the globe (not a sentinel), the other coordinate in range."""
    width = {FINE: (27, 28), COARSE: (17, 18)}[per_degree]
    axis = draw(st.sampled_from(["lat", "lon"]))
    limit = 90 * per_degree if axis == "lat" else 180 * per_degree
    sentinel = 91 * per_degree if axis == "lat" else 181 * per_degree
    top = 2 ** (width[0 if axis == "lat" else 1] - 1)
    bad = draw(
        st.one_of(st.integers(limit + 1, top - 1), st.integers(-top, -limit - 1)).filter(lambda v: v != sentinel)
    )
    other_limit = 180 * per_degree if axis == "lat" else 90 * per_degree
    other = draw(st.integers(-other_limit, other_limit))
    if axis == "lat":
        return {"lat_raw": bad, "lon_raw": other}
    return {"lat_raw": other, "lon_raw": bad}


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("kind", list(KINDS))
@SINGLE
@given(data=st.data())
def test_single_message_roundtrip(kind: str, data: st.DataObject) -> None:
    check_single(data.draw(KINDS[kind], label="message"))


def rejected(message: Message) -> pl.DataFrame:
    """Decode an invalid message: no row anywhere; its reject rows (all invalid_field)."""
    batch = decode(encode(message))
    for table in TABLES:
        frame = getattr(batch, table)
        assert frame.height == 0, (table, frame.to_dicts())
    rejects = batch.rejects
    assert rejects.height >= 1
    assert rejects["reason"].to_list() == ["invalid_field"] * rejects.height
    assert rejects["line_number"].to_list() == [1] * rejects.height
    return rejects


@pytest.mark.parametrize("kind", list(KINDS))
@FEW
@given(data=st.data())
def test_invalid_mmsi_is_rejected(kind: str, data: st.DataObject) -> None:
    msg = {**data.draw(KINDS[kind], label="message"), "mmsi": data.draw(invalid_mmsis, label="mmsi")}
    rejects = rejected(msg)
    if msg["type"] != 19:  # type 19: see test_type19_invalid_mmsi_is_one_reject
        assert rejects.height == 1, rejects.to_dicts()


@pytest.mark.parametrize("kind", POSITIONED_KINDS)
@FEW
@given(data=st.data())
def test_off_globe_position_is_rejected(kind: str, data: st.DataObject) -> None:
    msg = data.draw(KINDS[kind], label="message")
    msg.update(data.draw(off_globe(COARSE if msg["type"] == 27 else FINE), label="position"))
    rejects = rejected(msg)
    assert rejects.height == 1, rejects.to_dicts()


@SINGLE
@given(msg=extended_class_b, position=off_globe(FINE))
def test_type19_off_globe_gives_no_static_row(msg: Message, position: dict[str, int]) -> None:
    rejects = rejected({**msg, **position})
    assert rejects.height == 1, rejects.to_dicts()


@SINGLE
@given(msg=extended_class_b, mmsi=invalid_mmsis)
def test_type19_invalid_mmsi_is_one_reject(msg: Message, mmsi: int) -> None:
    rejects = rejected({**msg, "mmsi": mmsi})
    assert rejects.height == 1, rejects.to_dicts()


@BATCH
@given(messages=st.lists(any_message, min_size=20, max_size=60))
def test_mixed_batch(messages: list[Message]) -> None:
    lines: list[str] = []
    expected: dict[str, list[tuple[int, int]]] = {table: [] for table in TABLES}
    for index, msg in enumerate(messages):
        first_line = len(lines) + 1
        lines.extend(encode(msg, seq_id=index % 10))
        for table in expected_rows(msg):
            expected[table].append((first_line, msg["mmsi"]))
    batch = decode(lines)
    assert batch.rejects.height == 0, batch.rejects.to_dicts()
    assert batch.counts["lines"] == len(lines)
    for table, want in expected.items():
        frame = getattr(batch, table)
        assert frame.height == len(want), (table, frame.height, len(want))
        if frame.height:
            got = sorted(zip(frame["source_line"].to_list(), frame["mmsi"].to_list(), strict=True))
            assert got == sorted(want), table
