"""Reject accounting: every line or row refused, counted by reason and kept as a sample.

A run never stops on a bad line and never drops one silently. Each refused line or row
becomes a row of the ``rejects`` table (source, line number, reason, detail, the raw
text cut to :data:`RAW_SAMPLE_BYTES`) and is counted by reason in the source's summary.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import polars as pl

RAW_SAMPLE_BYTES = 300
"""Longest raw text kept for a rejected line (the rest is cut; the line number stays)."""


class RejectReason(StrEnum):
    """Why a line or row was refused."""

    BAD_CHECKSUM = "bad_checksum"
    """The NMEA or tag-block checksum does not match the sentence."""
    MALFORMED = "malformed"
    """The text is not a well-formed sentence, header or row (missing fields, bad
    characters, a payload too short for its message type, garbage)."""
    ORPHAN_FRAGMENT = "orphan_fragment"
    """A fragment of a multi-sentence message whose other fragments never came."""
    UNSUPPORTED_TYPE = "unsupported_type"
    """A valid AIS message of a type shadowfleet does not store (binary messages,
    safety messages, SAR aircraft...). Counted so nothing is lost silently."""
    INVALID_FIELD = "invalid_field"
    """A field holds a value outside its defined range (MMSI 0, latitude 95°...)."""
    MISSING_TIMESTAMP = "missing_timestamp"
    """Nothing in the data dates the message and no default time was given."""


class RejectCollector:
    """Collects rejected lines of one batch as columns, then builds the frame once."""

    def __init__(self) -> None:
        self._frames: list[pl.DataFrame] = []

    def add(
        self,
        line_number: npt.NDArray[np.int64],
        reason: RejectReason,
        detail: str | pl.Series,
        raw: pl.Series,
    ) -> None:
        """Record rejected lines.

        Args:
            line_number: 1-based line (or row) number of each rejected item.
            reason: Why they were refused.
            detail: One text for all, or one per item.
            raw: The raw text of each item (already cut to a sample).
        """
        n = line_number.size
        if n == 0:
            return
        details = pl.Series("detail", [detail] * n, dtype=pl.String) if isinstance(detail, str) else detail
        self._frames.append(
            pl.DataFrame(
                {
                    "line_number": pl.Series(line_number, dtype=pl.Int64),
                    "reason": pl.Series([reason.value] * n, dtype=pl.String),
                    "detail": details.cast(pl.String).alias("detail"),
                    "raw": raw.cast(pl.String).alias("raw"),
                }
            )
        )

    def frame(self) -> pl.DataFrame:
        """All rejects recorded, sorted by line number."""
        if not self._frames:
            return pl.DataFrame(
                schema={"line_number": pl.Int64, "reason": pl.String, "detail": pl.String, "raw": pl.String}
            )
        return pl.concat(self._frames).sort("line_number", maintain_order=True)


def count_by_reason(rejects: pl.DataFrame) -> Counter[str]:
    """Number of rejects per reason."""
    counts: Counter[str] = Counter()
    if rejects.height:
        for reason, n in rejects.group_by("reason").len().iter_rows():
            counts[str(reason)] += int(n)
    return counts
