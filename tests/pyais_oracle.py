"""pyais as the reference decoder: decode the raw sentences behind each of our rows.

Test helper, not a test module. For a row decoded by shadowfleet we know the line of its
first fragment (``source_line``); this module finds the sentence on that line and, for
multi-sentence messages, the following fragments (by sequential id or tag-block group),
strips what pyais does not parse (line prefixes, trailing USCG fields) and decodes them
with pyais.
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
        match = SENTENCE.match(line.rstrip("\r"))
        if not match:
            continue
        sentence = match.group("sentence")
        fields = sentence.split(",")
        if len(fields) < 7 or not fields[1].isdigit() or not fields[2].isdigit():
            continue
        group = None
        if match.group("tag"):
            g = GROUP.search(match.group("tag"))
            group = g.group(3) if g else None
        out[i] = Sentence(i, sentence, int(fields[1]), int(fields[2]), fields[3], fields[4], group)
    return out


def fragments(sentences: dict[int, Sentence], first_line: int, window: int = 10_000) -> list[str]:
    """The sentences of the message whose first fragment is on ``first_line``."""
    first = sentences[first_line]
    parts = [first.text]
    want = 2
    line = first_line + 1
    while want <= first.total and line <= first_line + window:
        s = sentences.get(line)
        if s and s.total == first.total and s.number == want:
            same = (s.group == first.group) if first.group else (s.seq == first.seq and s.channel == first.channel)
            if same:
                parts.append(s.text)
                want += 1
        line += 1
    return parts


def decode(sentences: dict[int, Sentence], first_line: int) -> dict[str, Any]:
    """pyais's decoded fields of the message starting on ``first_line``."""
    message = pyais.decode(*fragments(sentences, first_line))
    return message.asdict()


def same_float(ours: float | None, theirs: float | None, tolerance: float = 1e-9) -> bool:
    if ours is None or (isinstance(ours, float) and math.isnan(ours)):
        return theirs is None
    if theirs is None:
        return False
    return abs(float(ours) - float(theirs)) <= tolerance
