"""Line framing of NMEA text: one compiled pass over the bytes of a chunk.

Finding each line's tag block, sentence, fields and checksum is a state machine over
bytes whose field boundaries depend on what came before (optional tag blocks, empty or
two-digit fields, trailing provider fields). Done with NumPy it costs a dozen passes
over the text; compiled with numba it is a single pass, several times faster (measured
in ``benchmarks/decode.py``). Everything downstream of framing (fragment assembly,
timestamps, payload bit fields) stays vectorised NumPy.

:func:`frame_lines` returns one row per line in :class:`Framed` arrays: what kind of
line it is, where its parts are, and the values of the sentence-level fields. It
never raises on bad input: each line gets a :data:`STATUS` code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]

_Function = TypeVar("_Function", bound=Callable[..., Any])


def _compiled(function: _Function) -> _Function:
    """Compile with numba (cached on disk), keeping the Python signature for type checks."""
    return cast(_Function, numba.njit(cache=True, nogil=True)(function))


# Line kinds.
BLANK: Final = 0
COMMENT: Final = 1
VDM: Final = 2
GATEHOUSE: Final = 3
ZDA: Final = 4
OTHER: Final = 5
NO_SENTENCE: Final = 6
TAG_UNCLOSED: Final = 7

# Status of a VDM, Gatehouse or ZDA line (0 = good).
OK: Final = 0
NO_CHECKSUM: Final = 1
HEX_INVALID: Final = 2
BAD_CHECKSUM: Final = 3
BAD_FIELDS: Final = 4
BAD_CHARACTER: Final = 5
BAD_TIME: Final = 6
TRAILING_TEXT: Final = 7
STATUS_DETAIL: Final = {
    NO_CHECKSUM: "no checksum field",
    HEX_INVALID: "checksum is not hexadecimal",
    BAD_CHECKSUM: "checksum does not match",
    BAD_FIELDS: "sentence fields are not those of a VDM/VDO sentence",
    BAD_CHARACTER: "payload holds a character outside the AIS alphabet",
    BAD_TIME: "invalid date or time",
    TRAILING_TEXT: "unexpected text after the checksum",
}

# Tag-block checksum states.
TAG_NONE: Final = -1
TAG_BAD: Final = 0
TAG_GOOD: Final = 1

_CR = 13
_BANG = 33
_DOLLAR = 36
_STAR = 42
_COMMA = 44
_DOT = 46
_COLON = 58
_BACKSLASH = 92
_HASH = 35
_DASH = 45


@dataclass(slots=True)
class Framed:
    """Per-line results of :func:`frame_lines` (all arrays have one entry per line).

    Offsets index the chunk's buffer (32-bit: chunks stay under 2 GiB); ``-1`` means
    absent. Times are Unix µs (64-bit) with ``-1`` for absent; epoch numbers are float
    seconds-or-milliseconds with NaN.
    """

    start: I32
    end: I32
    kind: npt.NDArray[np.int8]
    status: npt.NDArray[np.int8]
    mark: I32
    talker: I32
    star: I32
    checksum: I32
    total: I32
    number: I32
    seq: I32
    channel: I32
    pstart: I32
    plen: I32
    fill: I32
    trailing: F64
    tag_checksum: npt.NDArray[np.int8]
    tag_time: F64
    tag_source_start: I32
    tag_source_end: I32
    tag_group: I64
    header_time_us: I64
    header_cc: I32
    header_station_start: I32
    header_station_end: I32
    header_source_start: I32
    header_source_end: I32


@_compiled
def _hex(b: int) -> int:  # pragma: no cover - compiled
    if 48 <= b <= 57:
        return b - 48
    if 65 <= b <= 70:
        return b - 55
    if 97 <= b <= 102:
        return b - 87
    return -1


@_compiled
def _uint(buf: npt.NDArray[np.uint8], a: int, b: int, max_digits: int) -> int:  # pragma: no cover
    """Decimal digits in [a, b) as an integer; -1 if empty, too long or not digits."""
    if b <= a or b - a > max_digits:
        return -1
    value = 0
    for p in range(a, b):
        d = buf[p] - 48
        if d < 0 or d > 9:
            return -1
        value = value * 10 + d
    return value


@_compiled
def _decimal(buf: npt.NDArray[np.uint8], a: int, b: int) -> float:  # pragma: no cover
    """Unsigned decimal with optional fraction in [a, b); NaN if not a number."""
    if b <= a or b - a > 32:
        return np.nan
    whole = 0.0
    fraction = 0.0
    scale = 1.0
    seen_dot = False
    digits = 0
    for p in range(a, b):
        c = buf[p]
        if c == _DOT and not seen_dot:
            seen_dot = True
            continue
        d = c - 48
        if d < 0 or d > 9:
            return np.nan
        digits += 1
        if seen_dot:
            scale *= 10.0
            fraction = fraction * 10.0 + d
        else:
            whole = whole * 10.0 + d
    if digits == 0:
        return np.nan
    return whole + fraction / scale


@_compiled
def _epoch_us(  # pragma: no cover - compiled
    year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int
) -> int:
    """Unix µs of a UTC civil time (days-from-civil); -1 when any field is invalid."""
    if year < 1 or month < 1 or month > 12 or day < 1 or hour < 0 or hour > 23:
        return -1
    if minute < 0 or minute > 59 or second < 0 or second > 59 or micro < 0 or micro > 999_999:
        return -1
    days_in = 31
    if month in (4, 6, 9, 11):
        days_in = 30
    elif month == 2:
        leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
        days_in = 29 if leap else 28
    if day > days_in:
        return -1
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    mp = (month + 9) % 12
    doy = (153 * mp + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146_097 + doe - 719_468
    return ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1_000_000) + micro


_ARMOUR = np.zeros(256, dtype=np.bool_)
_ARMOUR[48:88] = True  # '0'..'W'
_ARMOUR[96:120] = True  # '`'..'w'


@_compiled
def _frame(  # pragma: no cover - compiled
    buf: npt.NDArray[np.uint8],
    newlines: npt.NDArray[np.int64],
    ints: npt.NDArray[np.int32],
    longs: npt.NDArray[np.int64],
    floats: npt.NDArray[np.float64],
    kind: npt.NDArray[np.int8],
    status: npt.NDArray[np.int8],
    tag_checksum: npt.NDArray[np.int8],
) -> None:
    """Frame every line; see :func:`frame_lines` for the layout of the output rows."""
    commas = np.empty(16, dtype=np.int64)
    for i in range(newlines.size):
        s = 0 if i == 0 else newlines[i - 1] + 1
        e = newlines[i]
        if e > s and buf[e - 1] == _CR:
            e -= 1
        ints[0, i] = s
        ints[1, i] = e
        if e == s:
            kind[i] = BLANK
            continue
        first = buf[s]
        if first == _HASH:
            kind[i] = COMMENT
            continue
        q = s
        if first == _BACKSLASH:
            j = s + 1
            while j < e and buf[j] != _BACKSLASH:
                j += 1
            if j >= e:
                kind[i] = TAG_UNCLOSED
                continue
            # Tag block [s+1, j): "k:v,k:v*hh".
            fields_end = j
            x = 0
            for k in range(s + 1, j):
                if buf[k] == _STAR:
                    fields_end = k
                    break
                x ^= buf[k]
            if fields_end < j:
                if fields_end + 2 < j and _hex(buf[fields_end + 1]) >= 0 and _hex(buf[fields_end + 2]) >= 0:
                    given = _hex(buf[fields_end + 1]) * 16 + _hex(buf[fields_end + 2])
                    tag_checksum[i] = TAG_GOOD if given == x else TAG_BAD
                else:
                    tag_checksum[i] = TAG_BAD
            a = s + 1
            while a < fields_end:
                b = a
                while b < fields_end and buf[b] != _COMMA:
                    b += 1
                if b - a >= 2 and buf[a + 1] == _COLON:
                    key = buf[a]
                    if key == 99:  # c: Unix time of reception
                        floats[1, i] = _decimal(buf, a + 2, b)
                    elif key == 115:  # s: source station
                        ints[18, i] = a + 2
                        ints[19, i] = b
                    elif key == 103:  # g: sentence-total-group
                        d1 = -1
                        d2 = -1
                        for k in range(a + 2, b):
                            if buf[k] == _DASH:
                                if d1 < 0:
                                    d1 = k
                                elif d2 < 0:
                                    d2 = k
                        if d2 > 0:
                            longs[1, i] = _uint(buf, d2 + 1, b, 18)
                a = b + 1
            q = j + 1
        m = q
        while m < e and buf[m] != _BANG and buf[m] != _DOLLAR:
            m += 1
        if m >= e:
            kind[i] = NO_SENTENCE
            continue
        ints[2, i] = m
        length = e - m
        vd = length >= 7 and buf[m + 3] == 86 and buf[m + 4] == 68 and buf[m + 6] == _COMMA  # "VD?,"
        pghp = length >= 6 and buf[m] == _DOLLAR and buf[m + 1] == 80 and buf[m + 2] == 71  # "$PG"
        if vd and (buf[m + 5] == 77 or buf[m + 5] == 79):  # VDM or VDO
            kind[i] = VDM
        elif pghp and buf[m + 3] == 72 and buf[m + 4] == 80 and buf[m + 5] == _COMMA:  # "HP,"
            kind[i] = GATEHOUSE
        elif length >= 7 and buf[m + 3] == 90 and buf[m + 4] == 68 and buf[m + 5] == 65 and buf[m + 6] == _COMMA:
            kind[i] = ZDA
        else:
            kind[i] = OTHER
            continue
        is_vdm = kind[i] == VDM
        ints[3, i] = (np.int64(buf[m + 1]) << 8) | buf[m + 2]
        # One walk to the '*': checksum, commas, payload characters. The payload
        # (after the fifth comma of a VDM sentence) has its own tight loop.
        x = 0
        n_commas = 0
        bad_character = False
        k = m + 1
        while k < e:
            c = buf[k]
            if c == _STAR:
                break
            x ^= c
            if c == _COMMA:
                if n_commas < 16:
                    commas[n_commas] = k
                n_commas += 1
                if n_commas == 5 and is_vdm:
                    k += 1
                    while k < e:
                        c = buf[k]
                        if c in (_COMMA, _STAR):
                            break
                        x ^= c
                        bad_character |= not _ARMOUR[c]
                        k += 1
                    continue
            k += 1
        if k + 2 >= e:
            status[i] = NO_CHECKSUM
            continue
        star = k
        ints[4, i] = star
        h1 = _hex(buf[star + 1])
        h2 = _hex(buf[star + 2])
        if h1 < 0 or h2 < 0:
            status[i] = HEX_INVALID
            continue
        given = h1 * 16 + h2
        ints[5, i] = given
        if given != x:
            status[i] = BAD_CHECKSUM
            continue
        # Trailing provider fields after "*hh" (the last may be a Unix time); blanks
        # are tolerated, anything else means the line is not what it seems (two
        # sentences run together, a corrupted end).
        if star + 3 < e and buf[star + 3] == _COMMA:
            last = star + 3
            for t in range(star + 4, e):
                if buf[t] == _COMMA:
                    last = t
            floats[0, i] = _decimal(buf, last + 1, e)
        elif star + 3 < e:
            for t in range(star + 3, e):
                if buf[t] != 32 and buf[t] != 9:
                    status[i] = TRAILING_TEXT
                    break
            if status[i] != OK:
                continue
        if is_vdm:
            if n_commas != 6:
                status[i] = BAD_FIELDS
                continue
            total = _uint(buf, commas[0] + 1, commas[1], 1)
            number = _uint(buf, commas[1] + 1, commas[2], 1)
            seq = -1
            if commas[3] > commas[2] + 1:
                seq = _uint(buf, commas[2] + 1, commas[3], 2)
                if seq < 0:
                    status[i] = BAD_FIELDS
                    continue
            channel_len = commas[4] - commas[3] - 1
            fill = _uint(buf, commas[5] + 1, star, 1)
            pstart = commas[4] + 1
            plen = commas[5] - pstart
            if total < 1 or number < 1 or number > total or channel_len > 2 or plen < 1 or fill < 0 or fill > 5:
                status[i] = BAD_FIELDS
                continue
            if bad_character:
                status[i] = BAD_CHARACTER
                continue
            ints[6, i] = total
            ints[7, i] = number
            ints[8, i] = seq
            ints[9, i] = buf[commas[3] + 1] if channel_len >= 1 else 0
            ints[10, i] = pstart
            ints[11, i] = plen
            ints[12, i] = fill
        elif kind[i] == GATEHOUSE:
            # $PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,country,region,pss,online,cc*hh
            if n_commas != 13 or _uint(buf, commas[0] + 1, commas[1], 2) != 1:
                status[i] = BAD_FIELDS
                continue
            milli = _uint(buf, commas[7] + 1, commas[8], 3)
            if commas[8] == commas[7] + 1:
                milli = 0
            stamp = -1
            if milli >= 0:
                stamp = _epoch_us(
                    _uint(buf, commas[1] + 1, commas[2], 4),
                    _uint(buf, commas[2] + 1, commas[3], 2),
                    _uint(buf, commas[3] + 1, commas[4], 2),
                    _uint(buf, commas[4] + 1, commas[5], 2),
                    _uint(buf, commas[5] + 1, commas[6], 2),
                    _uint(buf, commas[6] + 1, commas[7], 2),
                    milli * 1000,
                )
            if stamp < 0:
                status[i] = BAD_TIME
                continue
            longs[0, i] = stamp
            cc = -1
            if star - commas[12] - 1 == 2:
                c1 = _hex(buf[commas[12] + 1])
                c2 = _hex(buf[commas[12] + 2])
                if c1 >= 0 and c2 >= 0:
                    cc = c1 * 16 + c2
            ints[13, i] = cc
            ints[14, i] = commas[10] + 1
            ints[15, i] = commas[11]
            ints[16, i] = commas[8] + 1
            ints[17, i] = commas[12]
        else:
            # $--ZDA,hhmmss.ss,dd,mm,yyyy,zh,zm*hh
            if n_commas < 4:
                status[i] = BAD_FIELDS
                continue
            year_end = commas[4] if n_commas > 4 else star  # zone fields are optional
            clock = _decimal(buf, commas[0] + 1, commas[1])
            if not clock >= 0:
                status[i] = BAD_TIME
                continue
            whole = int(clock)
            micro = round((clock - whole) * 1_000_000)
            stamp = _epoch_us(
                _uint(buf, commas[3] + 1, year_end, 4),
                _uint(buf, commas[2] + 1, commas[3], 2),
                _uint(buf, commas[1] + 1, commas[2], 2),
                whole // 10_000,
                whole // 100 % 100,
                whole % 100,
                min(micro, 999_999),
            )
            if stamp < 0:
                status[i] = BAD_TIME
                continue
            longs[0, i] = stamp


def frame_lines(buf: npt.NDArray[np.uint8], n_bytes: int) -> Framed:
    """Frame every line of ``buf[:n_bytes]`` (which must end with a newline).

    Args:
        buf: The chunk's text, padded with zero bytes after ``n_bytes``; shorter
            than 2 GiB so that offsets fit 32 bits.
        n_bytes: Length of the text.

    Returns:
        The per-line arrays.
    """
    newlines = np.flatnonzero(buf[:n_bytes] == 10)
    n_lines = newlines.size
    # Offsets and small fields as int32 rows, times as int64 rows: the outputs are
    # written once per line, so their width is a large part of the cost.
    ints = np.full((20, n_lines), -1, dtype=np.int32)
    longs = np.full((2, n_lines), -1, dtype=np.int64)
    floats = np.full((2, n_lines), np.nan, dtype=np.float64)
    kind = np.zeros(n_lines, dtype=np.int8)
    status = np.zeros(n_lines, dtype=np.int8)
    tag_checksum = np.full(n_lines, TAG_NONE, dtype=np.int8)
    _frame(buf, newlines, ints, longs, floats, kind, status, tag_checksum)
    rows = ints
    return Framed(
        start=rows[0],
        end=rows[1],
        kind=kind,
        status=status,
        mark=rows[2],
        talker=rows[3],
        star=rows[4],
        checksum=rows[5],
        total=rows[6],
        number=rows[7],
        seq=rows[8],
        channel=rows[9],
        pstart=rows[10],
        plen=rows[11],
        fill=rows[12],
        trailing=floats[0],
        tag_checksum=tag_checksum,
        tag_time=floats[1],
        tag_source_start=rows[18],
        tag_source_end=rows[19],
        tag_group=longs[1],
        header_time_us=longs[0],
        header_cc=rows[13],
        header_station_start=rows[14],
        header_station_end=rows[15],
        header_source_start=rows[16],
        header_source_end=rows[17],
    )
