"""Byte ranges of a text buffer (one ``uint8`` NumPy array) to Arrow/Polars strings.

The NMEA decoder works on arrays of byte offsets: a line, a field or a payload is a
pair ``(start, end)`` of offsets into the chunk's buffer (``end`` exclusive). These
helpers turn many such ranges, or the rows of a character matrix, into one Polars
string column at once, without a Python object per string.
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


PAD = 128
"""Zero bytes after the text of a chunk's buffer, so that reads a few bytes past a
line or a payload end need no bounds check."""


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
