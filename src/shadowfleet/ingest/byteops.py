"""Vectorised operations on a text buffer held as one ``uint8`` NumPy array.

The NMEA decoder never loops over lines in Python. It locates every delimiter of a
whole chunk with one pass each, then works on arrays of byte offsets: a line, a field
or a payload is a pair ``(start, end)`` of offsets into the buffer (``end`` exclusive).
These helpers are the building blocks for that style: finding the next delimiter after
many positions at once, parsing many small decimal or hexadecimal numbers at once,
XOR-reducing many ranges at once (NMEA checksums) and turning many byte ranges into one
Arrow/Polars string column without a Python object per string.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

Bytes = npt.NDArray[np.uint8]
Offsets = npt.NDArray[np.int64]
Index = npt.NDArray[np.integer[Any]]
"""Offsets given as input: any integer dtype."""
Mask = npt.NDArray[np.bool_]

_DIGIT_VALUE = np.full(256, 255, dtype=np.uint8)
_DIGIT_VALUE[ord("0") : ord("9") + 1] = np.arange(10, dtype=np.uint8)

_HEX_VALUE = np.full(256, 255, dtype=np.uint8)
_HEX_VALUE[ord("0") : ord("9") + 1] = np.arange(10, dtype=np.uint8)
_HEX_VALUE[ord("A") : ord("F") + 1] = np.arange(10, 16, dtype=np.uint8)
_HEX_VALUE[ord("a") : ord("f") + 1] = np.arange(10, 16, dtype=np.uint8)


PAD = 128
"""Zero bytes after the text of a padded buffer, so reads a few bytes past any line
end need no bounds check."""


def padded(data: bytes) -> Bytes:
    """The text as a ``uint8`` array followed by :data:`PAD` zero bytes."""
    buf = np.zeros(len(data) + PAD, dtype=np.uint8)
    buf[: len(data)] = np.frombuffer(data, dtype=np.uint8)
    return buf


def scan_in_ranges(buf: Bytes, starts: Offsets, ends: Offsets, values: bytes) -> Offsets:
    """Sorted offsets of the given byte values, looking only inside some ranges.

    Ranges must be sorted and disjoint. The ranges are first gathered into a
    compact buffer, so the cost is proportional to their total length, not to the
    whole buffer's.

    Args:
        buf: The text.
        starts: Inclusive starts of the ranges.
        ends: Exclusive ends.
        values: The byte values looked for.

    Returns:
        Offsets into ``buf``, increasing.
    """
    data, offsets = gather_ranges(buf, starts, np.maximum(ends, starts))
    hit = np.zeros(data.size, dtype=bool)
    for value in values:
        hit |= data == value
    found = np.flatnonzero(hit)
    owner = np.searchsorted(offsets, found, side="right") - 1
    result: Offsets = starts[owner] + (found - offsets[owner])
    return result


def split_lines(buf: Bytes) -> tuple[Offsets, Offsets]:
    r"""Find the lines of a buffer.

    Args:
        buf: The text, which must end with a newline byte (``\\n``).

    Returns:
        ``(starts, ends)``: byte offsets of each line, ``ends`` exclusive and excluding
        the newline and a carriage return before it.
    """
    newline_at = np.flatnonzero(buf == 10)
    starts = np.empty(newline_at.size, dtype=np.int64)
    if newline_at.size:
        starts[0] = 0
        starts[1:] = newline_at[:-1] + 1
    ends = newline_at.astype(np.int64)
    has_cr = (ends > starts) & (buf[np.maximum(ends - 1, 0)] == 13)
    ends -= has_cr
    return starts, ends


def next_index(delimiters: Offsets, positions: Offsets, limits: Offsets) -> Offsets:
    """Offset of the first delimiter at or after each position, before its limit.

    Args:
        delimiters: Sorted offsets of every occurrence of a delimiter in the buffer.
        positions: Where each search starts.
        limits: Exclusive end of each search (usually the end of the line).

    Returns:
        The offset found, or -1 where there is none in ``[position, limit)``.
    """
    if delimiters.size == 0:
        return np.full(positions.size, -1, dtype=np.int64)
    k = np.searchsorted(delimiters, positions, side="left")
    found = delimiters[np.minimum(k, delimiters.size - 1)]
    ok = (k < delimiters.size) & (found < limits)
    return np.where(ok, found, -1)


def previous_index(delimiters: Offsets, positions: Offsets, floors: Offsets) -> Offsets:
    """Offset of the last delimiter before each position, at or after its floor.

    Args:
        delimiters: Sorted offsets of every occurrence of a delimiter in the buffer.
        positions: Exclusive end of each search.
        floors: Inclusive start of each search.

    Returns:
        The offset found, or -1 where there is none in ``[floor, position)``.
    """
    if delimiters.size == 0:
        return np.full(positions.size, -1, dtype=np.int64)
    k = np.searchsorted(delimiters, positions, side="left") - 1
    found = delimiters[np.maximum(k, 0)]
    ok = (k >= 0) & (found >= floors)
    return np.where(ok, found, -1)


def parse_uint(buf: Bytes, starts: Offsets, ends: Offsets, max_digits: int = 18) -> tuple[npt.NDArray[np.int64], Mask]:
    """Parse unsigned decimal integers held in byte ranges.

    Args:
        buf: The text.
        starts: Inclusive start offset of each number.
        ends: Exclusive end offset of each number.
        max_digits: Longest number accepted; longer ranges are invalid.

    Returns:
        ``(values, valid)``: ``valid`` is False for empty ranges, ranges longer than
        ``max_digits`` and ranges holding anything but ASCII digits; their value is 0.
    """
    lengths = ends - starts
    valid = (lengths > 0) & (lengths <= max_digits)
    values = np.zeros(starts.size, dtype=np.int64)
    if starts.size == 0:
        return values, valid
    width = int(min(max_digits, max(int(lengths.max(initial=0)), 0)))
    last = buf.size - 1
    for j in range(width):
        inside = valid & (j < lengths)
        digit = _DIGIT_VALUE[buf[np.minimum(starts + j, last)]]
        valid &= ~inside | (digit != 255)
        values = np.where(inside, values * 10 + digit.astype(np.int64), values)
    values[~valid] = 0
    return values, valid


def parse_decimal(buf: Bytes, starts: Offsets, ends: Offsets) -> tuple[npt.NDArray[np.float64], Mask]:
    """Parse unsigned decimal numbers with an optional fraction (``1325394001.123``).

    Args:
        buf: The text.
        starts: Inclusive start offset of each number.
        ends: Exclusive end offset of each number.

    Returns:
        ``(values, valid)``; invalid ranges have value NaN.
    """
    lengths = ends - starts
    width = int(min(max(int(lengths.max(initial=0)), 1), 32))
    last = buf.size - 1
    window = buf[np.minimum(starts[:, None] + np.arange(width, dtype=np.int64)[None, :], last)]
    is_dot = (window == ord(".")) & (np.arange(width)[None, :] < lengths[:, None])
    has_dot = is_dot.any(axis=1)
    dot = np.where(has_dot, starts + is_dot.argmax(axis=1), ends)
    whole, ok_whole = parse_uint(buf, starts, dot)
    frac_start = np.where(has_dot, dot + 1, ends)
    frac, ok_frac = parse_uint(buf, frac_start, ends, max_digits=9)
    has_frac = has_dot & (ends > frac_start)
    scale = np.power(10.0, (ends - frac_start).clip(0, 9))
    values = whole + np.where(has_frac, frac / scale, 0.0)
    valid = ok_whole & (~has_frac | ok_frac) & (lengths <= 32)
    return np.where(valid, values, np.nan), valid


def parse_hex_byte(buf: Bytes, starts: Offsets) -> tuple[npt.NDArray[np.int64], Mask]:
    """Parse two hexadecimal digits (an NMEA checksum) at each start offset.

    Args:
        buf: The text.
        starts: Offset of the first of the two digits; must be ``< buf.size - 1``.

    Returns:
        ``(values, valid)``.
    """
    high = _HEX_VALUE[buf[starts]]
    low = _HEX_VALUE[buf[starts + 1]]
    valid = (high != 255) & (low != 255)
    values = (high.astype(np.int64) << 4) | low.astype(np.int64)
    return np.where(valid, values, -1), valid


def xor_ranges(buf: Bytes, starts: Offsets, ends: Offsets) -> npt.NDArray[np.int64]:
    """XOR of the bytes of each range, the NMEA 0183 checksum.

    Args:
        buf: The text.
        starts: Inclusive start offsets; every range must be non-empty.
        ends: Exclusive end offsets.

    Returns:
        The XOR of each range's bytes.
    """
    if starts.size == 0:
        return np.zeros(0, dtype=np.int64)
    bounds = np.empty(starts.size * 2, dtype=np.int64)
    bounds[0::2] = starts
    bounds[1::2] = np.minimum(ends, buf.size - 1)
    # reduceat over [start, end) pairs; the odd slots are the gaps between ranges and
    # are thrown away. A range ending at the very end of the buffer is impossible here
    # because every line ends with a newline that no range includes.
    return np.bitwise_xor.reduceat(buf, bounds)[0::2].astype(np.int64)


def any_in_ranges(flags: Mask, starts: Offsets, ends: Offsets) -> Mask:
    """Whether any flag is set inside each non-empty range ``[start, end)``.

    Args:
        flags: One boolean per byte of the buffer.
        starts: Inclusive start offsets; every range must be non-empty.
        ends: Exclusive end offsets.

    Returns:
        One boolean per range.
    """
    if starts.size == 0:
        return np.zeros(0, dtype=bool)
    bounds = np.empty(starts.size * 2, dtype=np.int64)
    bounds[0::2] = starts
    bounds[1::2] = np.minimum(ends, flags.size - 1)
    return np.logical_or.reduceat(flags, bounds)[0::2]


def gather_ranges(buf: Bytes, starts: Index, ends: Index) -> tuple[Bytes, Offsets]:
    """Concatenate byte ranges into one new buffer.

    Args:
        buf: The source bytes.
        starts: Inclusive start offsets.
        ends: Exclusive end offsets (``ends >= starts``).

    Returns:
        ``(data, offsets)``: the concatenated bytes and the ``n + 1`` offsets of each
        range inside them (Arrow's string layout).
    """
    lengths = np.maximum(ends - starts, 0)
    offsets = np.zeros(starts.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    if total == 0:
        return np.zeros(0, dtype=np.uint8), offsets
    # Index of every output byte: its range's start plus its position in the range.
    shift = np.repeat(starts - offsets[:-1], lengths)
    index = np.arange(total, dtype=np.int64) + shift
    return buf[index], offsets


def strings_from_buffer(data: Bytes, offsets: Offsets, valid: Mask | None = None) -> pl.Series:
    """Build a Polars string column from concatenated UTF-8 bytes and offsets.

    Bytes that are not valid UTF-8 are replaced (AIS text is 6-bit ASCII, so this only
    matters for free text such as reject samples).

    Args:
        data: The concatenated bytes.
        offsets: ``n + 1`` offsets into ``data``.
        valid: Optional mask; False entries become null.

    Returns:
        A ``pl.String`` series of length ``n``.
    """
    n = offsets.size - 1
    validity = None
    if valid is not None and not bool(valid.all()):
        validity = pa.py_buffer(np.packbits(valid.astype(np.uint8), bitorder="little").tobytes())
    array = pa.Array.from_buffers(
        pa.large_binary(),
        n,
        [validity, pa.py_buffer(offsets.astype(np.int64).tobytes()), pa.py_buffer(data.tobytes())],
    )
    try:
        text = array.cast(pa.large_string())
    except pa.ArrowInvalid:
        # Rare path: some rows are not valid UTF-8 (garbage lines kept as reject
        # samples). Decode them one by one with replacement characters.
        text = pa.array(
            [None if b is None else b.decode("utf-8", errors="replace") for b in array.to_pylist()],
            type=pa.large_string(),
        )
    return pl.Series(pl.from_arrow(text)).cast(pl.String)


def range_strings(buf: Bytes, starts: Index, ends: Index, valid: Mask | None = None) -> pl.Series:
    """Polars string column of many byte ranges of a buffer.

    Args:
        buf: The text.
        starts: Inclusive start offsets.
        ends: Exclusive end offsets.
        valid: Optional mask; False entries become null.

    Returns:
        A ``pl.String`` series.
    """
    data, offsets = gather_ranges(buf, starts, np.maximum(ends, starts))
    return strings_from_buffer(data, offsets, valid)


def matrix_strings(chars: npt.NDArray[np.uint8], lo: Offsets, hi: Offsets) -> pl.Series:
    """Polars string column from a fixed-width character matrix, one row per string.

    Args:
        chars: ``(n, width)`` ASCII bytes.
        lo: Inclusive start column of each row's string.
        hi: Exclusive end column (``lo == hi`` gives an empty string).

    Returns:
        A ``pl.String`` series of length ``n``.
    """
    n, width = chars.shape
    column = np.arange(width, dtype=np.int64)
    keep = (column[None, :] >= lo[:, None]) & (column[None, :] < hi[:, None])
    lengths = np.maximum(hi - lo, 0)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return strings_from_buffer(chars[keep], offsets)
