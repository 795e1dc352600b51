"""pyais as the reference decoder: what shadowfleet should output for a raw message.

Test helper, not a test module. For a row decoded by shadowfleet we know the line of
its first fragment (``source_line``); this module finds the sentence on that line and,
for multi-sentence messages, the following fragments (by tag-block group, or by
sequential id and channel), decodes them with pyais and expresses pyais's values in
shadowfleet's conventions, which differ from pyais's on purpose in four documented
ways:

* "not available" values (latitude 91, longitude 181, speed 102.3, course 360,
  heading 511; type 27: speed 63, course 511) are nulls, and so are courses and
  headings beyond 359°, which the standard does not define;
* six-bit text ends at the first '@' and leading '@' are padding (pyais keeps text
  after an inner '@', "YONGDUCK@@@@@@@@@@@Q", and leading '@', "@VM3672"), except in
  an aid to navigation's name extension, where a first '@' means no extension;
* ship types are the raw codes (pyais maps reserved codes to a neighbour, 86 → 85);
* an aid to navigation's name extension has whole characters only (pyais decodes a
  trailing partial character from leftover bits).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pyais

SENTENCE = re.compile(r"^(?:\\(?P<tag>[^\\]*)\\)?.*?(?P<sentence>[!$][A-Z=]{2}VD[MO],[^*]*\*[0-9A-Fa-f]{2})")
GROUP = re.compile(r"(?:^|,)g:(\d+)-(\d+)-(\d+)")


@dataclass
class Sentence:
    line_number: int
    text: str
    total: int
    number: int
    seq: str
    channel: str
    group: str | None


def parse_lines(text: str) -> dict[int, Sentence]:
    """Every VDM/VDO sentence of a file, by 1-based line number."""
    out: dict[int, Sentence] = {}
    for i, line in enumerate(text.split("\n"), start=1):
        if line.startswith("#"):  # comments may quote sentences
            continue
        match = SENTENCE.match(line.rstrip("\r"))
        if not match:
            continue
        sentence = match.group("sentence")
        fields = sentence.split(",")
        if len(fields) < 7 or not fields[1].isdigit() or not fields[2].isdigit():
            continue
        group = None
        if match.group("tag"):
            found = GROUP.search(match.group("tag"))
            group = found.group(3) if found else None
        out[i] = Sentence(i, sentence, int(fields[1]), int(fields[2]), fields[3], fields[4], group)
    return out


def fragments(sentences: dict[int, Sentence], first_line: int, window: int = 10_000) -> list[Sentence]:
    """The sentences of the message whose first fragment is on ``first_line``."""
    first = sentences[first_line]
    parts = [first]
    want = 2
    line = first_line + 1
    while want <= first.total and line <= first_line + window:
        s = sentences.get(line)
        if s and s.total == first.total and s.number == want:
            same = (s.group == first.group) if first.group else (s.seq == first.seq and s.channel == first.channel)
            if same:
                parts.append(s)
                want += 1
        line += 1
    return parts


def text(value: str | None, *, leading_padding: bool = True) -> str | None:
    """pyais text in shadowfleet's convention (see the module docstring).

    An aid to navigation's name extension starting with '@' is empty (the '@' ends
    it), so its leading '@' are not padding.
    """
    if value is None:
        return None
    start = value.lstrip("@ ") if leading_padding else value.lstrip(" ")
    cut = start.split("@")[0].strip()
    return cut or None


def _message(sentences: dict[int, Sentence], first_line: int) -> Any:
    parts = [pyais.NMEAMessage(s.text.encode()) for s in fragments(sentences, first_line)]
    return parts[0] if len(parts) == 1 else pyais.NMEAMessage.assemble_from_iterable(parts)


def expected(sentences: dict[int, Sentence], first_line: int) -> dict[str, Any]:
    """shadowfleet's expected columns for the message starting on ``first_line``."""
    message = _message(sentences, first_line)
    decoded = message.decode()
    bits = message.bv
    kind = decoded.msg_type
    out: dict[str, Any] = {"msg_type": kind, "mmsi": decoded.mmsi}
    if kind in (1, 2, 3, 18, 19, 27, 4, 21):
        lat, lon = decoded.lat, decoded.lon
        if lat == 91.0 or lon == 181.0:
            lat = lon = None
        out["lat"], out["lon"] = lat, lon
    if kind in (1, 2, 3, 18, 19, 27):
        speed, course = decoded.speed, decoded.course
        if kind == 27:
            out["sog_kn"] = None if speed == 63 else float(speed)
            out["cog_deg"] = None if course >= 360 else float(course)
            out["heading_deg"] = None
        else:
            heading = decoded.heading
            out["sog_kn"] = None if speed >= 102.25 else speed
            out["cog_deg"] = None if course >= 360 else course
            out["heading_deg"] = None if heading >= 360 else float(heading)
        out["nav_status"] = None if kind in (18, 19) else int(decoded.status)
    if kind == 5:
        out["imo_reported"] = decoded.imo or None
        out["call_sign"] = text(decoded.callsign)
        out["name"] = text(decoded.shipname)
        out["destination"] = text(decoded.destination)
        out["draught_m"] = decoded.draught or None
        out["ship_type"] = bits.get(232, 8) or None
        _dimensions(out, decoded)
    if kind == 19:
        out["name"] = text(decoded.shipname)
        out["ship_type"] = bits.get(263, 8) or None
        _dimensions(out, decoded)
    if kind == 24:
        if decoded.partno == 0:
            out["name"] = text(decoded.shipname)
        else:
            out["call_sign"] = text(decoded.callsign)
            out["ship_type"] = bits.get(40, 8) or None
            if hasattr(decoded, "to_bow"):
                _dimensions(out, decoded)
            else:  # auxiliary craft: mother ship MMSI instead of dimensions
                out["length_m"] = out["beam_m"] = None
    if kind == 21:
        name = text(decoded.name)
        whole_chars = max(len(bits) - 272, 0) // 6
        extension = text(bits.get_str(272, 6 * whole_chars), leading_padding=False) if whole_chars else None
        out["name"] = (name + extension) if name and extension else name
        out["aid_type"] = int(decoded.aid_type)
        out["virtual_aid"] = bool(decoded.virtual_aid)
        out["off_position"] = bool(decoded.off_position)
        _dimensions(out, decoded)
    return out


def _dimensions(out: dict[str, Any], decoded: Any) -> None:
    length = decoded.to_bow + decoded.to_stern
    beam = decoded.to_port + decoded.to_starboard
    out["length_m"] = float(length) if length else None
    out["beam_m"] = float(beam) if beam else None


def same(ours: Any, theirs: Any) -> bool:
    """Equality with nulls (None/NaN) and float32 storage accounted for."""
    if ours is None or (isinstance(ours, float) and math.isnan(ours)):
        return theirs is None
    if theirs is None:
        return False
    if isinstance(theirs, float) or isinstance(ours, float):
        return abs(float(ours) - float(theirs)) <= 1e-5 * max(1.0, abs(float(theirs)))
    return bool(ours == theirs)
