"""Vectorised decoding of AIS message payloads (ITU-R M.1371-5).

Payload characters are "armoured" six-bit values. Each field of each message type is
pulled out of all messages of that type at once: the payload characters it spans are
gathered (each character position once per message group, cached) and mapped to
six-bit values arithmetically, then combined with shifts and a mask: a few array
operations per field, never one per message.

Values follow pyais (the reference decoder used as the test oracle) bit for bit:
coordinates are rounded to 1e-6 degree, speeds and courses are tenths. Then the
"not available" sentinels of the standard become nulls (latitude 91°, longitude 181°,
speed 102.3 kn, course 360°, heading 511) and values outside the field's defined
range become nulls too (counted by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.ingest.byteops import Offsets, matrix_strings


def six_bit(armoured: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Six-bit values of armoured payload characters ('0'..'W' → 0..39, '`'..'w' → 40..63).

    Arithmetic rather than a table lookup: it vectorises better. Characters outside the
    alphabet give meaningless values; :func:`invalid_armour` finds them.
    """
    shifted = armoured - np.uint8(48)
    result: npt.NDArray[np.uint8] = (shifted - np.uint8(8) * (shifted >= 40)) & np.uint8(63)
    return result


def invalid_armour(text: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Bytes that are not payload characters (outside '0'..'W' and '`'..'w').

    With ``t = byte - 48`` (wrapping), payload characters are ``t < 40`` and
    ``48 <= t < 72``; so a byte is invalid when ``t >= 72`` or ``40 <= t < 48``,
    the latter being ``t & 0xF8 == 40``. Computed in place to spare memory passes.
    """
    shifted = np.subtract(text, np.uint8(48))
    invalid = shifted >= 72
    np.bitwise_and(shifted, np.uint8(0xF8), out=shifted)
    invalid |= shifted == 40
    return invalid


def _window_rows(text: npt.NDArray[np.uint8], start: Offsets, width: int) -> npt.NDArray[np.uint8]:
    """``text[start : start + width]`` for every start, as rows of a matrix."""
    view = np.lib.stride_tricks.sliding_window_view(text, min(width, text.size))
    rows: npt.NDArray[np.uint8] = view[np.minimum(start, view.shape[0] - 1)]
    return rows


_CHAR_WEIGHTS = np.array([64**k for k in range(9, -1, -1)], dtype=np.int64)
"""Weights of ten six-bit characters in a 60-bit word, first character highest."""

SIX_TO_ASCII = np.array([v + 64 if v < 32 else v for v in range(64)], dtype=np.uint8)
"""Six-bit text alphabet: 0–31 are '@', 'A'..'_'; 32–63 are ' '..'?'."""

# Minimum payload bits per message type: the end of the last field shadowfleet reads.
# Shorter payloads cannot give those fields and are refused as malformed.
MIN_BITS: dict[int, int] = {1: 137, 2: 137, 3: 137, 4: 134, 5: 422, 18: 133, 19: 301, 21: 272, 24: 160, 27: 94}
SUPPORTED_TYPES = frozenset(MIN_BITS)

LAT_NOT_AVAILABLE = 91 * 600_000
LON_NOT_AVAILABLE = 181 * 600_000
LAT_NOT_AVAILABLE_LR = 91 * 600  # type 27, 1/10 minute
LON_NOT_AVAILABLE_LR = 181 * 600

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


class Payloads:
    """The six-bit payloads of a set of messages.

    Args:
        chunk: The text most payloads live in (armoured characters, already checked
            to be in the alphabet), followed by at least 128 bytes of padding so that
            reads past a short payload stay in bounds.
        assembled: Payloads of multi-sentence messages, concatenated from their
            fragments (also padded).
        start: Offset of each message's first payload character: in ``chunk`` when
            below ``len(chunk)``, else in ``assembled`` at ``start - len(chunk)``.
        nbits: Number of payload bits of each message (characters × 6 − fill bits).
    """

    def __init__(
        self, chunk: npt.NDArray[np.uint8], assembled: npt.NDArray[np.uint8], start: Offsets, nbits: I64
    ) -> None:
        self.chunk = chunk
        self.assembled = assembled
        self.start = start
        self.nbits = nbits
        self.n_chars = (nbits + 5) // 6
        self._rows = np.zeros((start.size, 0), dtype=np.uint8)
        self._six = np.zeros((start.size, 0), dtype=np.uint8)
        self._words: list[I64] = []

    def take(self, index: I64) -> Payloads:
        """The payloads of a subset of messages (sharing the same buffers)."""
        return Payloads(self.chunk, self.assembled, self.start[index], self.nbits[index])

    def first_char(self) -> npt.NDArray[np.uint8]:
        """Six-bit value of every payload's first character (the message type)."""
        base = self.chunk.size
        in_text = self.start < base
        first = np.where(
            in_text,
            self.chunk[np.minimum(self.start, base - 1)],
            self.assembled[np.clip(self.start - base, 0, max(self.assembled.size - 1, 0))]
            if self.assembled.size
            else 0,
        )
        return six_bit(first.astype(np.uint8))

    def rows(self, width: int) -> npt.NDArray[np.uint8]:
        """The first ``width`` armoured characters of every payload, one row each.

        Each message's characters are copied as one contiguous row (a strided view of
        the text indexed by message), so each payload is read once, in order. Rows
        are cached; the width grows to cover the longest payload (up to 96).
        """
        if width > self._rows.shape[1]:
            longest = int(self.n_chars.max(initial=0))
            width = max(width, min(longest, 96))
            base = self.chunk.size
            in_text = self.start < base
            if bool(in_text.all()):
                self._rows = _window_rows(self.chunk, self.start, width)
            else:
                rows = np.empty((self.start.size, width), dtype=np.uint8)
                here, there = np.flatnonzero(in_text), np.flatnonzero(~in_text)
                rows[here] = _window_rows(self.chunk, self.start[here], width)
                rows[there] = _window_rows(self.assembled, self.start[there] - base, width)
                self._rows = rows
            self._six = six_bit(self._rows)
        return self._rows[:, :width]

    def window(self, first: int, width: int) -> npt.NDArray[np.uint8]:
        """Six-bit values of characters ``first .. first + width - 1`` of every payload.

        Returns:
            ``(n, width)`` array (characters past a payload's end are meaningless).
        """
        self.rows(first + width)
        return self._six[:, first : first + width]

    def _word(self, index: int) -> I64:
        """Payload bits ``60 * index .. 60 * index + 59`` of every message, as integers.

        Ten six-bit characters make one 60-bit word; fields are cut from words with
        shifts and masks.
        """
        while len(self._words) <= index:
            k = len(self._words)
            chars = self.window(10 * k, 10).astype(np.int64)
            self._words.append(chars @ _CHAR_WEIGHTS)
        return self._words[index]

    def unsigned(self, start_bit: int, width: int) -> I64:
        """Unsigned field of ``width`` ≤ 60 bits at ``start_bit``, for every message."""
        end_bit = start_bit + width
        first_word, last_word = start_bit // 60, (end_bit - 1) // 60
        if first_word == last_word:
            shift = 60 * (first_word + 1) - end_bit
            result: I64 = (self._word(first_word) >> shift) & ((1 << width) - 1)
            return result
        high_bits = 60 * last_word - start_bit
        low_bits = width - high_bits
        high = self._word(first_word) & ((1 << high_bits) - 1)
        low = self._word(last_word) >> (60 - low_bits)
        result = (high << low_bits) | low
        return result

    def signed(self, start_bit: int, width: int) -> I64:
        """Two's-complement signed field."""
        raw = self.unsigned(start_bit, width)
        sign = 1 << (width - 1)
        result: I64 = (raw ^ sign) - sign
        return result

    def text(self, start_bit: int, n_chars: int, *, leading_padding: bool = True) -> pl.Series:
        """Six-bit text field, with padding removed.

        The text ends at the first '@' ("not available", the standard's fill), and
        surrounding spaces are stripped. With ``leading_padding``, '@' characters
        before the text are padding too: real transmitters send call signs such as
        "@VM3672".

        pyais strips only trailing '@' and keeps what follows an '@' inside the field;
        that is garbage left in the transmitter's buffer ("YONGDUCK@@@@@@@@@@@Q"), so
        shadowfleet stops at the '@' as gpsd does.
        """
        n = self.start.size
        if n == 0:
            return pl.Series([], dtype=pl.String)
        shift = start_bit % 6
        first = start_bit // 6
        raw = self.window(first, n_chars + 1).astype(np.uint16)
        values = raw[:, :n_chars] if shift == 0 else ((raw[:, :n_chars] << 6) | raw[:, 1:]) >> (6 - shift)
        values &= 63
        # Characters beyond the end of a short payload do not exist: treat them as '@'.
        available = (self.nbits[:, None] - start_bit) // 6
        values = np.where(np.arange(n_chars)[None, :] < available, values, 0)
        chars = SIX_TO_ASCII[values.astype(np.uint8)]
        column = np.arange(n_chars, dtype=np.int64)[None, :]
        padding = ((chars == ord("@")) if leading_padding else np.zeros_like(chars, dtype=bool)) | (chars == ord(" "))
        begin = np.where((~padding).any(axis=1), (~padding).argmax(axis=1), n_chars).astype(np.int64)
        is_at = (chars == ord("@")) & (column >= begin[:, None])
        end = np.where(is_at.any(axis=1), is_at.argmax(axis=1), n_chars).astype(np.int64)
        not_space = (chars != ord(" ")) & (column >= begin[:, None]) & (column < end[:, None])
        has_text = not_space.any(axis=1)
        lo = np.where(has_text, begin, 0).astype(np.int64)
        hi = np.where(has_text, n_chars - not_space[:, ::-1].argmax(axis=1), 0).astype(np.int64)
        return matrix_strings(chars, lo, hi)


def lat_lon_degrees(raw: I64, per_degree: int) -> F64:
    """Raw coordinate to degrees rounded to 1e-6, exactly as pyais rounds.

    ``round(raw / per_degree, 6)`` is the nearest integer to ``raw * 1e6 / per_degree``
    (never a tie for these scales) over 1e6, i.e. ``floor((10 raw + 3) / 6) / 1e6`` for
    1/10000-minute units; this reproduces Python's rounding bit for bit.
    """
    if per_degree == 600_000:
        numerator = 10 * raw + 3
    elif per_degree == 600:
        numerator = 10_000 * raw + 3
    else:
        raise ValueError(f"unsupported coordinate scale {per_degree}")
    # floor(n / 6) in floating point is exact here: n < 2**53, and when n is not a
    # multiple of 6 the quotient is at least 1/6 away from an integer.
    micro = np.floor(numerator / 6.0)
    result: F64 = micro / 1e6
    return result


@dataclass(slots=True)
class Decoded:
    """Columns decoded from one group of messages.

    Attributes:
        message: Index of each row's message in the caller's message arrays.
        columns: Column name → values (NumPy arrays or Polars series), same length.
        invalid: Per row, the index in :data:`INVALID_FIELDS` of the field that makes
            the row invalid, or 0.
        nulled: Field name → number of values set to null for being out of range.
    """

    message: I64
    columns: dict[str, npt.NDArray[np.generic] | pl.Series]
    invalid: npt.NDArray[np.int8]
    nulled: dict[str, int] = field(default_factory=dict)

    def subset(self, mask: Mask) -> Decoded:
        """The rows where ``mask`` is True."""
        selector = pl.Series(mask)
        columns = {
            name: values.filter(selector) if isinstance(values, pl.Series) else values[mask]
            for name, values in self.columns.items()
        }
        return Decoded(self.message[mask], columns, self.invalid[mask], dict(self.nulled))

    def keep(self, mask: Mask) -> None:
        """Keep only the rows where ``mask`` is True, in place."""
        kept = self.subset(mask)
        self.message, self.columns, self.invalid = kept.message, kept.columns, kept.invalid


def _positions(lat_raw: I64, lon_raw: I64, lat_na: int, lon_na: int, per_degree: int) -> tuple[F64, F64, Mask, Mask]:
    """Degrees with sentinels as NaN, and masks of not-available and out-of-range."""
    not_available = (lat_raw == lat_na) | (lon_raw == lon_na)
    lat = lat_lon_degrees(lat_raw, per_degree)
    lon = lat_lon_degrees(lon_raw, per_degree)
    out_of_range = ~not_available & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    lat = np.where(not_available, np.nan, lat)
    lon = np.where(not_available, np.nan, lon)
    return lat, lon, not_available, out_of_range


def _nullable(values: F64, keep: Mask) -> F64:
    return np.where(keep, values, np.nan)


INVALID_FIELDS = ("", "mmsi", "position", "part_number", "length")
"""Names of the fields whose invalid value refuses a message; code 0 means valid."""


def _invalid_codes(n: int, **conditions: Mask) -> npt.NDArray[np.int8]:
    """First invalid field of each row, as an index into :data:`INVALID_FIELDS`."""
    codes = np.zeros(n, dtype=np.int8)
    for name, condition in conditions.items():
        codes[(codes == 0) & condition] = INVALID_FIELDS.index(name)
    return codes


@dataclass(frozen=True, slots=True)
class PositionLayout:
    """Where a family of position reports keeps its fields: ``(start bit, width)``.

    Attributes:
        nav_status: Navigational status, or None (class B has none).
        lon: Longitude, two's complement.
        lat: Latitude, two's complement.
        sog: Speed over ground.
        cog: Course over ground.
        heading: True heading, or None (type 27 has none).
        per_degree: Raw coordinate units per degree (600,000 = 1/10,000 minute).
        sog_not_available: Raw "not available" speed.
        sog_per_knot: Raw speed units per knot.
        cog_not_available: Raw "not available" course.
        cog_per_degree: Raw course units per degree.
    """

    nav_status: tuple[int, int] | None
    lon: tuple[int, int]
    lat: tuple[int, int]
    sog: tuple[int, int]
    cog: tuple[int, int]
    heading: tuple[int, int] | None
    per_degree: int = 600_000
    sog_not_available: int = 1023
    sog_per_knot: float = 10.0
    cog_not_available: int = 3600
    cog_per_degree: float = 10.0


CLASS_A = PositionLayout(nav_status=(38, 4), sog=(50, 10), lon=(61, 28), lat=(89, 27), cog=(116, 12), heading=(128, 9))
"""Types 1, 2, 3."""
CLASS_B = PositionLayout(nav_status=None, sog=(46, 10), lon=(57, 28), lat=(85, 27), cog=(112, 12), heading=(124, 9))
"""Types 18 and 19 (their position half)."""
LONG_RANGE = PositionLayout(
    nav_status=(40, 4),
    lon=(44, 18),
    lat=(62, 17),
    sog=(79, 6),
    cog=(85, 9),
    heading=None,
    per_degree=600,
    sog_not_available=63,
    sog_per_knot=1.0,
    cog_not_available=511,
    cog_per_degree=1.0,
)
"""Type 27: 1/10-minute positions, whole knots and degrees."""


def decode_positions(p: Payloads, message: I64, layout: PositionLayout) -> Decoded:
    """Position reports of one family (see :class:`PositionLayout`)."""
    mmsi = p.unsigned(8, 30)
    lon_raw = p.signed(*layout.lon)
    lat_raw = p.signed(*layout.lat)
    if layout.per_degree == 600_000:
        lat_na, lon_na = LAT_NOT_AVAILABLE, LON_NOT_AVAILABLE
    else:
        lat_na, lon_na = LAT_NOT_AVAILABLE_LR, LON_NOT_AVAILABLE_LR
    lat, lon, _, bad_position = _positions(lat_raw, lon_raw, lat_na, lon_na, layout.per_degree)
    sog_raw = p.unsigned(*layout.sog)
    cog_raw = p.unsigned(*layout.cog)
    heading = p.unsigned(*layout.heading) if layout.heading else np.full(message.size, 511, dtype=np.int64)
    sog = sog_raw / layout.sog_per_knot
    cog = cog_raw / layout.cog_per_degree
    cog_out_of_range = (cog_raw != layout.cog_not_available) & (cog >= 360.0)
    heading_out_of_range = (heading != 511) & (heading >= 360)
    columns: dict[str, npt.NDArray[np.generic] | pl.Series] = {
        "mmsi": mmsi,
        "lat": lat,
        "lon": lon,
        "sog_kn": _nullable(sog, sog_raw != layout.sog_not_available).astype(np.float32),
        "cog_deg": _nullable(cog, (cog_raw != layout.cog_not_available) & ~cog_out_of_range).astype(np.float32),
        "heading_deg": _nullable(heading.astype(np.float64), (heading != 511) & ~heading_out_of_range).astype(
            np.float32
        ),
    }
    if layout.nav_status is not None:
        columns["nav_status"] = p.unsigned(*layout.nav_status).astype(np.int8)
    invalid = _invalid_codes(message.size, mmsi=~valid_mmsi(mmsi), position=bad_position)
    return Decoded(
        message,
        columns,
        invalid,
        {"cog_deg": int(cog_out_of_range.sum()), "heading_deg": int(heading_out_of_range.sum())},
    )


def decode_class_a_positions(p: Payloads, message: I64) -> Decoded:
    """Types 1, 2, 3: class A position reports."""
    return decode_positions(p, message, CLASS_A)


def decode_class_b_positions(p: Payloads, message: I64) -> Decoded:
    """Types 18 and 19: class B position reports (no navigational status)."""
    return decode_positions(p, message, CLASS_B)


def decode_long_range_positions(p: Payloads, message: I64) -> Decoded:
    """Type 27: long-range broadcast (1/10-minute positions, whole knots and degrees)."""
    return decode_positions(p, message, LONG_RANGE)


def valid_mmsi(mmsi: I64) -> Mask:
    """MMSIs that can identify a station: 1 to 999,999,999 (9 digits)."""
    result: Mask = (mmsi > 0) & (mmsi <= 999_999_999)
    return result


def imo_check_digit_ok(imo: I64) -> Mask:
    """IMO ship numbers with seven digits and a valid check digit.

    The last digit is the last digit of the sum of the first six digits weighted
    7, 6, 5, 4, 3, 2 (IMO Resolution A.1117(30)).
    """
    digits = [(imo // 10**k) % 10 for k in range(6, -1, -1)]
    weighted = sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    result: Mask = (imo >= 1_000_000) & (imo <= 9_999_999) & (weighted % 10 == digits[6])
    return result


def _dimensions(p: Payloads, start_bit: int) -> tuple[F64, F64]:
    """Length and beam in metres from the four reference-point distances (0 = unknown)."""
    to_bow = p.unsigned(start_bit, 9)
    to_stern = p.unsigned(start_bit + 9, 9)
    to_port = p.unsigned(start_bit + 18, 6)
    to_starboard = p.unsigned(start_bit + 24, 6)
    length = (to_bow + to_stern).astype(np.float64)
    beam = (to_port + to_starboard).astype(np.float64)
    return np.where(length > 0, length, np.nan), np.where(beam > 0, beam, np.nan)


def decode_static_voyage(p: Payloads, message: I64) -> Decoded:
    """Type 5: class A static and voyage related data."""
    mmsi = p.unsigned(8, 30)
    imo_raw = p.unsigned(40, 30)
    length, beam = _dimensions(p, 240)
    ship_type = p.unsigned(232, 8)
    draught = p.unsigned(294, 8) / 10.0
    columns: dict[str, npt.NDArray[np.generic] | pl.Series] = {
        "mmsi": mmsi,
        "imo_reported": np.where(imo_raw > 0, imo_raw, -1),
        "imo": np.where(imo_check_digit_ok(imo_raw), imo_raw, -1),
        "call_sign": p.text(70, 7),
        "name": p.text(112, 20),
        "ship_type": np.where(ship_type > 0, ship_type, -1).astype(np.int16),
        "length_m": length.astype(np.float32),
        "beam_m": beam.astype(np.float32),
        "eta_month": p.unsigned(274, 4),
        "eta_day": p.unsigned(278, 5),
        "eta_hour": p.unsigned(283, 5),
        "eta_minute": p.unsigned(288, 6),
        "draught_m": np.where(draught > 0, draught, np.nan).astype(np.float32),
        "destination": p.text(302, 20),
    }
    return Decoded(message, columns, _invalid_codes(message.size, mmsi=~valid_mmsi(mmsi)))


def decode_class_b_extended_static(p: Payloads, message: I64) -> Decoded:
    """Type 19: the static half of the extended class B report."""
    mmsi = p.unsigned(8, 30)
    length, beam = _dimensions(p, 271)
    ship_type = p.unsigned(263, 8)
    columns: dict[str, npt.NDArray[np.generic] | pl.Series] = {
        "mmsi": mmsi,
        "name": p.text(143, 20),
        "ship_type": np.where(ship_type > 0, ship_type, -1).astype(np.int16),
        "length_m": length.astype(np.float32),
        "beam_m": beam.astype(np.float32),
    }
    return Decoded(message, columns, _invalid_codes(message.size, mmsi=~valid_mmsi(mmsi)))


def decode_class_b_static(p: Payloads, message: I64) -> Decoded:
    """Type 24: class B static data report, part A (name) or part B (type, call sign, size).

    Part B of an auxiliary craft (MMSI 98XXXYYYY) carries its mother ship's MMSI where
    other vessels carry their dimensions, so it gives no dimensions.
    """
    mmsi = p.unsigned(8, 30)
    part = p.unsigned(38, 2)
    is_a = part == 0
    is_b = part == 1
    too_short_b = is_b & (p.nbits < 162)
    auxiliary = (mmsi // 10_000_000) == 98
    length, beam = _dimensions(p, 132)
    ship_type = p.unsigned(40, 8)
    name = p.text(40, 20)
    call_sign = p.text(90, 7)
    columns: dict[str, npt.NDArray[np.generic] | pl.Series] = {
        "mmsi": mmsi,
        "part": part,
        "name": pl.select(pl.when(pl.Series(is_a)).then(name)).to_series(),
        "call_sign": pl.select(pl.when(pl.Series(is_b)).then(call_sign)).to_series(),
        "ship_type": np.where(is_b & (ship_type > 0), ship_type, -1).astype(np.int16),
        "length_m": np.where(is_b & ~auxiliary, length, np.nan).astype(np.float32),
        "beam_m": np.where(is_b & ~auxiliary, beam, np.nan).astype(np.float32),
    }
    invalid = _invalid_codes(message.size, mmsi=~valid_mmsi(mmsi), part_number=~(is_a | is_b), length=too_short_b)
    return Decoded(message, columns, invalid)


def decode_base_stations(p: Payloads, message: I64) -> Decoded:
    """Type 4: base station report, with the station's UTC clock."""
    mmsi = p.unsigned(8, 30)
    lon_raw = p.signed(79, 28)
    lat_raw = p.signed(107, 27)
    lat, lon, _, bad_position = _positions(lat_raw, lon_raw, LAT_NOT_AVAILABLE, LON_NOT_AVAILABLE, 600_000)
    columns: dict[str, npt.NDArray[np.generic] | pl.Series] = {
        "mmsi": mmsi,
        "year": p.unsigned(38, 14),
        "month": p.unsigned(52, 4),
        "day": p.unsigned(56, 5),
        "hour": p.unsigned(61, 5),
        "minute": p.unsigned(66, 6),
        "second": p.unsigned(72, 6),
        "lat": lat,
        "lon": lon,
    }
    return Decoded(message, columns, _invalid_codes(message.size, mmsi=~valid_mmsi(mmsi), position=bad_position))


def decode_aids_to_navigation(p: Payloads, message: I64) -> Decoded:
    """Type 21: aid-to-navigation report, with the name extension when present."""
    mmsi = p.unsigned(8, 30)
    lon_raw = p.signed(164, 28)
    lat_raw = p.signed(192, 27)
    lat, lon, _, bad_position = _positions(lat_raw, lon_raw, LAT_NOT_AVAILABLE, LON_NOT_AVAILABLE, 600_000)
    length, beam = _dimensions(p, 219)
    # ITU-R M.1371 reserves the extension for names longer than 20 characters, but
    # real aids to navigation put text there after short names too ("12" +
    # "SPECIAL MARK"); like pyais, shadowfleet keeps it, appended to the name.
    name = p.text(43, 20)
    extension = p.text(272, 14, leading_padding=False)
    full_name = pl.select(
        pl.when((name.str.len_chars() > 0) & (extension.str.len_chars() > 0))
        .then(pl.concat_str([name, extension]))
        .otherwise(name)
    ).to_series()
    columns: dict[str, npt.NDArray[np.generic] | pl.Series] = {
        "mmsi": mmsi,
        "aid_type": p.unsigned(38, 5).astype(np.int8),
        "name": full_name,
        "lat": lat,
        "lon": lon,
        "length_m": length.astype(np.float32),
        "beam_m": beam.astype(np.float32),
        "off_position": p.unsigned(259, 1).astype(bool),
        "virtual_aid": p.unsigned(269, 1).astype(bool),
    }
    return Decoded(message, columns, _invalid_codes(message.size, mmsi=~valid_mmsi(mmsi), position=bad_position))
