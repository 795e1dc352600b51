"""Vectorised calendar arithmetic: civil date and time fields to Unix microseconds."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

US_PER_S = 1_000_000
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def days_in_month(year: I64, month: I64) -> I64:
    """Days of each (year, month); month outside 1–12 gives 0."""
    safe_month = np.clip(month, 0, 12)
    days = _DAYS_IN_MONTH[safe_month]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    result: I64 = days + ((safe_month == 2) & leap)
    return result


def civil_to_epoch_us(
    year: I64, month: I64, day: I64, hour: I64, minute: I64, second: I64, microsecond: I64 | None = None
) -> tuple[I64, Mask]:
    """Unix time in microseconds of UTC calendar fields, with a validity mask.

    Uses the days-from-civil algorithm (proleptic Gregorian calendar) in integer
    arithmetic, so whole arrays convert without Python datetimes.

    Args:
        year: Four-digit years.
        month: Months 1–12.
        day: Days of the month.
        hour: Hours 0–23.
        minute: Minutes 0–59.
        second: Seconds 0–59 (a leap second 60 is invalid here).
        microsecond: Optional microseconds 0–999,999.

    Returns:
        ``(epoch_us, valid)``; invalid entries are 0.
    """
    micro = np.zeros_like(year) if microsecond is None else microsecond
    valid = (
        (year >= 1)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= days_in_month(year, month))
        & (hour >= 0)
        & (hour < 24)
        & (minute >= 0)
        & (minute < 60)
        & (second >= 0)
        & (second < 60)
        & (micro >= 0)
        & (micro < US_PER_S)
    )
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    year_of_era = y - era * 400
    shifted_month = (month + 9) % 12
    day_of_year = (153 * shifted_month + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146_097 + day_of_era - 719_468
    seconds = days * 86_400 + hour * 3600 + minute * 60 + second
    epoch_us: I64 = np.where(valid, seconds * US_PER_S + micro, 0)
    return epoch_us, valid


def epoch_number_to_us(values: npt.NDArray[np.float64], ms_threshold: float) -> I64:
    """Unix timestamps in seconds or milliseconds (told apart by magnitude) to µs.

    Args:
        values: Numbers; NaN stays invalid.
        ms_threshold: Values above this are milliseconds.

    Returns:
        Microseconds, with -1 for NaN.
    """
    finite = np.isfinite(values)
    safe = np.where(finite, values, 0.0)
    micro = np.where(safe > ms_threshold, safe * 1000.0, safe * US_PER_S)
    result: I64 = np.where(finite, np.round(micro), -1).astype(np.int64)
    return result
