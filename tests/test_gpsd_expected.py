"""shadowfleet against the expected decodes written into gpsd's ``sample.aivdm``.

The gpsd sample file follows most AIVDM sentences (or the fragments of a multi-sentence
message) with comment lines giving a peer decoder's expected fields, as
``#  FieldName: value`` or ``#  Field Name : value`` (noaadata, ais.py and Maritec dumps;
the Kanaton dumps use ``Name=value``). Each message plus the comment block that follows
its last fragment (up to a bare ``#`` line) is one test case here.

* Positions (1, 2, 3, 18, 27), statics (5, 24), type 19 (both), aids to navigation (21)
  and base stations (4): the expected values that have a shadowfleet column are compared
  with the row whose ``source_line`` is the first fragment's line.
* Every other type must be rejected as ``unsupported_type`` on that line.
* A decodable message whose comments hold no field we can map is skipped, and counted.

Spellings are normalised (lower case, letters and digits only) and mapped through
:data:`ALIASES`. One spelling has its own scale: the ais.py dumps print
``Speed Over Ground`` / ``Course Over Ground`` in raw ITU units of 0.1 kn and 0.1°
(the type 9 block of the same file shows it: ``Course Over Ground : 0x0609 (154.5)``),
while ``SOG`` / ``COG`` in the noaadata dumps are already scaled.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl
import pytest

from shadowfleet.ingest.nmea import read_nmea_lines
from tests.conftest import NMEA

SAMPLE: Final = NMEA / "gpsd_sample.aivdm"
DEFAULT_TIME_US: Final = 1_600_000_000_000_000
MIN_COMPARED_SHARE: Final = 0.8

SENTENCE: Final = re.compile(
    r"^!AIVD[MO],(?P<total>\d+),(?P<number>\d+),(?P<seq>\d*),(?P<channel>[^,]*),(?P<payload>[^,]*),\d\*[0-9A-Fa-f]{2}"
)
FIELD: Final = re.compile(r"^#\s*(?P<key>[A-Za-z][\w ()/.#-]*?)\s*[:=]\s*(?P<value>.*?)\s*$")
LEADING_INT: Final = re.compile(r"^[+-]?\d+")

# Which shadowfleet tables a message type lands in.
TABLES_BY_TYPE: Final[dict[int, tuple[str, ...]]] = {
    1: ("positions",),
    2: ("positions",),
    3: ("positions",),
    18: ("positions",),
    27: ("positions",),
    19: ("positions", "statics"),
    5: ("statics",),
    24: ("statics",),
    21: ("aids_to_navigation",),
    4: ("base_stations",),
}

# The expected fields each table is compared on (keys of :func:`expected_values`).
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "positions": ("msg_type", "mmsi", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status"),
    "statics": (
        "msg_type",
        "mmsi",
        "imo_reported",
        "name",
        "call_sign",
        "destination",
        "ship_type",
        "length_m",
        "beam_m",
        "draught_m",
        "eta_month",
        "eta_day",
        "eta_hour",
        "eta_minute",
    ),
    "aids_to_navigation": ("msg_type", "mmsi", "name", "lat", "lon", "aid_type", "length_m", "beam_m"),
    "base_stations": ("msg_type", "mmsi", "lat", "lon", "station_time"),
}

# Normalised comment spelling -> (canonical field, kind, scale).
ALIASES: Final[dict[str, tuple[str, str, float]]] = {
    "messageid": ("msg_type", "int", 1.0),
    "messagetype": ("msg_type", "int", 1.0),
    "userid": ("mmsi", "int", 1.0),
    "mmsi": ("mmsi", "int", 1.0),
    "navigationstatus": ("nav_status", "int", 1.0),
    "sog": ("sog_kn", "float", 1.0),
    "speedoverground": ("sog_kn", "float", 0.1),
    "cog": ("cog_deg", "float", 1.0),
    "courseoverground": ("cog_deg", "float", 0.1),
    "trueheading": ("heading_deg", "int", 1.0),
    "longitude": ("lon", "coord", 1.0),
    "positionlongitude": ("lon", "coord", 1.0),
    "latitude": ("lat", "coord", 1.0),
    "positionlatitude": ("lat", "coord", 1.0),
    "timeyear": ("year", "int", 1.0),
    "timemonth": ("month", "int", 1.0),
    "timeday": ("day", "int", 1.0),
    "timehour": ("hour", "int", 1.0),
    "timemin": ("minute", "int", 1.0),
    "timesec": ("second", "int", 1.0),
    "imonumber": ("imo_reported", "int", 1.0),
    "callsign": ("call_sign", "text", 1.0),
    "name": ("name", "text", 1.0),
    "shipandcargo": ("ship_type", "int", 1.0),
    "dima": ("to_bow", "int", 1.0),
    "dimb": ("to_stern", "int", 1.0),
    "dimc": ("to_port", "int", 1.0),
    "dimd": ("to_starboard", "int", 1.0),
    "dimensiontobow": ("to_bow", "int", 1.0),
    "dimensiontostern": ("to_stern", "int", 1.0),
    "dimensiontoport": ("to_port", "int", 1.0),
    "dimensiontostarboard": ("to_starboard", "int", 1.0),
    "draught": ("draught_m", "float", 1.0),
    "destination": ("destination", "text", 1.0),
    "aidtype": ("aid_type", "int", 1.0),
    "etamonth": ("eta_month", "int", 1.0),
    "etaday": ("eta_day", "int", 1.0),
    "etahour": ("eta_hour", "int", 1.0),
    "etaminute": ("eta_minute", "int", 1.0),
}

# Values printed in the sample that other decoders show to be wrong, by the message's whole
# (joined) payload: these fields are left out of the comparison.
COMMENT_ERRATA: Final[dict[str, dict[str, str]]] = {
    "55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp888888888880": {
        "eta_hour": "the comment says ETAhour 16, but bits 283-287 hold 14 (pyais and the Maritec decoder agree)",
    },
}

SPEED_TOLERANCE: Final = 0.05 + 1e-4  # half the 0.1 kn / 0.1° / 0.1 m resolution, plus Float32 slack
FINE_COORD_TOLERANCE: Final = 1.5e-6  # 6+ printed decimals: shadowfleet's 1e-6 rounding plus truncation
COARSE_COORD_TOLERANCE: Final = 1e-4  # fewer printed decimals


@dataclass(frozen=True)
class Approx:
    value: float
    tolerance: float

    def matches(self, actual: Any) -> bool:
        return actual is not None and abs(float(actual) - self.value) <= self.tolerance

    def __repr__(self) -> str:
        return f"{self.value}±{self.tolerance:g}"


@dataclass
class Block:
    """One message of the sample file and the comment lines that follow it."""

    line: int  # 1-based line of the first fragment
    payload: str
    comments: list[str]
    fields: dict[str, str] = field(default_factory=dict)  # normalised spelling -> printed value

    @property
    def msg_type(self) -> int:
        value = ord(self.payload[0]) - 48
        return value - 8 if value > 40 else value

    @property
    def decoded(self) -> bool:
        return self.msg_type in TABLES_BY_TYPE

    @property
    def annotated(self) -> bool:
        """Whether the comments hold at least one field spelling we know."""
        return any(key in ALIASES for key in self.fields)

    @property
    def case_id(self) -> str:
        return f"line-{self.line}-type-{self.msg_type}"


def _normalise(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _comment_block(lines: list[str], index: int) -> list[str]:
    """Comment lines right after 0-based line ``index``, up to a bare ``#`` or a non-comment."""
    out: list[str] = []
    for raw in lines[index + 1 :]:
        line = raw.rstrip("\r")
        if not line.startswith("#") or line.strip() == "#":
            break
        out.append(line)
    return out


def parse_blocks(text: str) -> list[Block]:
    """Messages of the sample file; fragments are joined by (total, sequence id, channel)."""
    lines = text.split("\n")
    pending: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    blocks: list[Block] = []
    for index, raw in enumerate(lines):
        match = SENTENCE.match(raw.rstrip("\r"))
        if not match:
            continue
        total, number = int(match["total"]), int(match["number"])
        key = (match["total"], match["seq"], match["channel"])
        if number == 1:
            pending[key] = [(index + 1, match["payload"])]
        elif key in pending and len(pending[key]) == number - 1:
            pending[key].append((index + 1, match["payload"]))
        else:
            pending.pop(key, None)
            continue
        if number < total:
            continue
        parts = pending.pop(key)
        block = Block(line=parts[0][0], payload="".join(p for _, p in parts), comments=_comment_block(lines, index))
        for comment in block.comments:
            field_match = FIELD.match(comment)
            if field_match:
                block.fields.setdefault(_normalise(field_match["key"]), field_match["value"])
        blocks.append(block)
    return sorted(blocks, key=lambda b: b.line)


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def expected_values(block: Block) -> tuple[dict[str, Any], list[str]]:
    """Expected shadowfleet values of a block, and the known spellings whose value did not parse."""
    raw: dict[str, Any] = {}
    unparsed: list[str] = []
    for key, text in block.fields.items():
        if key not in ALIASES:
            continue
        name, kind, scale = ALIASES[key]
        if kind == "text":
            raw[name] = text.strip() or None
        elif kind == "int":
            number = LEADING_INT.match(text)
            if number is None:
                unparsed.append(f"{key}={text!r}")
            else:
                raw[name] = int(number.group())
        else:
            try:
                value = float(text) * scale
            except ValueError:
                unparsed.append(f"{key}={text!r}")
                continue
            if kind == "coord":
                tolerance = FINE_COORD_TOLERANCE if _decimals(text) >= 6 else COARSE_COORD_TOLERANCE
            else:
                tolerance = SPEED_TOLERANCE
            raw[name] = (value, tolerance)

    out: dict[str, Any] = {}
    for name in ("msg_type", "mmsi", "nav_status", "aid_type", "eta_month", "eta_day", "eta_hour", "eta_minute"):
        if name in raw:
            out[name] = raw[name]
    for name in ("name", "call_sign", "destination"):
        if name in raw:
            out[name] = raw[name]
    for name in ("imo_reported", "ship_type"):
        if name in raw:
            out[name] = raw[name] or None  # 0 means "not available"
    if "heading_deg" in raw:
        out["heading_deg"] = None if raw["heading_deg"] == 511 else Approx(raw["heading_deg"], 0.0)
    not_available = {"sog_kn": 102.3, "cog_deg": 360.0, "draught_m": 0.0}
    for name, marker in not_available.items():
        if name in raw:
            value, tolerance = raw[name]
            out[name] = None if math.isclose(value, marker, abs_tol=1e-9) else Approx(value, tolerance)
    for name in ("lat", "lon"):
        if name in raw:
            out[name] = Approx(*raw[name])
    if "to_bow" in raw and "to_stern" in raw:
        out["length_m"] = Approx(raw["to_bow"] + raw["to_stern"], 0.0)
    if "to_port" in raw and "to_starboard" in raw:
        out["beam_m"] = Approx(raw["to_port"] + raw["to_starboard"], 0.0)
    clock = ("year", "month", "day", "hour", "minute", "second")
    if all(part in raw for part in clock):
        try:
            out["station_time"] = datetime(*(raw[part] for part in clock), tzinfo=UTC)
        except ValueError:  # N/A markers (year 0, hour 24, minute 60, ...)
            out["station_time"] = None
    for name in COMMENT_ERRATA.get(block.payload, {}):
        out.pop(name, None)
    return out, unparsed


def comparable(block: Block) -> dict[str, tuple[str, ...]]:
    """Per table of the block's type, the expected fields it can be compared on."""
    expected, _ = expected_values(block)
    out: dict[str, tuple[str, ...]] = {}
    for table in TABLES_BY_TYPE.get(block.msg_type, ()):
        names = tuple(n for n in COLUMNS[table] if n in expected and n != "msg_type")
        if names:
            out[table] = names
    return out


def _off_globe(expected: dict[str, Any]) -> bool:
    lat, lon = expected.get("lat"), expected.get("lon")
    return (isinstance(lat, Approx) and abs(lat.value) > 90) or (isinstance(lon, Approx) and abs(lon.value) > 180)


def _actual(row: dict[str, Any], name: str) -> Any:
    if name.startswith("eta_"):
        eta = row["eta"]
        return None if eta is None else getattr(eta, name.removeprefix("eta_"))
    return row[name]


BLOCKS: Final = parse_blocks(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def batch() -> Any:
    return read_nmea_lines(SAMPLE.read_bytes(), default_time_us=DEFAULT_TIME_US)


def _rejects_at(batch: Any, line: int) -> list[dict[str, Any]]:
    rejects = batch.rejects.filter(pl.col("line_number") == line)
    return rejects.select("reason", "detail").to_dicts()


@pytest.mark.parametrize("block", BLOCKS, ids=[b.case_id for b in BLOCKS])
def test_block_matches_gpsd_expectation(batch: Any, block: Block) -> None:
    if not block.decoded:
        reasons = [r["reason"] for r in _rejects_at(batch, block.line)]
        assert "unsupported_type" in reasons, f"type {block.msg_type} at line {block.line}: rejects {reasons}"
        return

    tables = comparable(block)
    if not tables:
        why = "no expected-value comments" if not block.annotated else "no comment field maps to a column"
        pytest.skip(f"type {block.msg_type} at line {block.line}: {why}")

    expected, _ = expected_values(block)
    if expected.get("mmsi") == 0 or _off_globe(expected):
        reasons = [r["reason"] for r in _rejects_at(batch, block.line)]
        assert "invalid_field" in reasons, f"line {block.line}: expected an invalid_field reject, got {reasons}"
        return

    problems: list[str] = []
    for table, names in tables.items():
        rows = getattr(batch, table).filter(pl.col("source_line") == block.line).to_dicts()
        if len(rows) != 1:
            problems.append(f"{table}: {len(rows)} rows (rejects here: {_rejects_at(batch, block.line)})")
            continue
        row = rows[0]
        if "msg_type" in expected and row["msg_type"] != expected["msg_type"]:
            problems.append(f"{table}.msg_type: expected {expected['msg_type']}, got {row['msg_type']}")
        for name in names:
            want, got = expected[name], _actual(row, name)
            ok = want.matches(got) if isinstance(want, Approx) else got == want
            if not ok:
                problems.append(f"{table}.{name}: expected {want!r}, got {got!r}")
    assert not problems, f"line {block.line} ({block.payload}):\n  " + "\n  ".join(problems)


def test_parsed_every_sentence() -> None:
    """Every uncommented VDM/VDO sentence of the file ends up in exactly one block."""
    text = SAMPLE.read_text(encoding="utf-8")
    sentences = sum(1 for line in text.split("\n") if SENTENCE.match(line.rstrip("\r")))
    multi = sum(1 for line in text.split("\n") if re.match(r"^!AIVD[MO],[2-9],[2-9],", line))
    assert len(BLOCKS) == sentences - multi
    assert len({b.line for b in BLOCKS}) == len(BLOCKS)


def test_orphan_fragment_yields_nothing(batch: Any) -> None:
    """'That fragment misses part 1, yields nothing' (the bare ``AIVDM,2,2,...`` line)."""
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    orphans = [i for i, line in enumerate(lines, start=1) if line.startswith("AIVDM,2,2,")]
    assert orphans
    for table in ("positions", "statics", "aids_to_navigation", "base_stations"):
        assert getattr(batch, table).filter(pl.col("source_line").is_in(orphans)).height == 0


def test_most_annotated_blocks_are_compared() -> None:
    """At least 80% of the position/static/AtoN/base-station blocks that carry expected values are compared.

    Messages followed by no field comment at all (the corner-case, collision and
    multiplexing sections of the file describe them in prose only) have nothing to
    compare against; they are skipped and counted separately.
    """
    decoded = [b for b in BLOCKS if b.decoded]
    annotated = [b for b in decoded if b.annotated]
    compared = [b for b in annotated if comparable(b)]
    unannotated = [b.case_id for b in decoded if not b.annotated]
    assert annotated, "no expected values parsed from the sample"
    share = len(compared) / len(annotated)
    assert share >= MIN_COMPARED_SHARE, (
        f"compared {len(compared)} of {len(annotated)} annotated blocks ({share:.0%}); "
        f"skipped: {[b.case_id for b in annotated if b not in compared]}; without comments: {unannotated}"
    )
