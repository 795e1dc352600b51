r"""Vectorised NMEA 0183 AIS decoding: from raw text to position, static and other frames.

A chunk of text is decoded as a whole, with NumPy operations over byte offsets and
never a Python loop over lines:

1. Lines are found with one pass for newlines; each line's tag block (``\\...\\``),
   sentence start (``!`` or ``$``), checksum star and comma fields are found with one
   pass per delimiter and ``searchsorted``.
2. Checksums of all sentences (and tag blocks) are computed at once by XOR-reducing
   their byte ranges.
3. Fragments of multi-sentence messages are assembled by sorting on their key (tag
   group id, or talker + sequential id + channel) and line order; a run starting at
   fragment 1 with consecutive fragment numbers is a message.
4. Each message is timed from, in order of preference, its tag block ``c:``, its
   Gatehouse ``$PGHP`` header (linked to the message whose checksum it carries), a
   timestamp before the sentence, a trailing epoch field (USCG / satellite providers),
   the clock of the latest base station (type 4) in the stream, or ``--default-time``.
5. Payloads are decoded per message type by :mod:`shadowfleet.ingest.ais`.

Files larger than one chunk are decoded chunk by chunk; fragments still waiting for
their other parts at the end of a chunk, and the base-station clock, are carried into
the next chunk (:class:`NmeaCarry`), so chunk boundaries change nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.config import IngestConfig
from shadowfleet.ingest import ais
from shadowfleet.ingest.batch import DecodedBatch
from shadowfleet.ingest.byteops import (
    Bytes,
    next_index,
    parse_decimal,
    parse_hex_byte,
    parse_uint,
    previous_index,
    range_strings,
    split_lines,
    xor_ranges,
)
from shadowfleet.ingest.rejects import RAW_SAMPLE_BYTES, RejectCollector, RejectReason
from shadowfleet.ingest.timeconv import US_PER_S, civil_to_epoch_us, epoch_number_to_us

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
_DecodeFn = Callable[[ais.Payloads, I64], ais.Decoded]

NEWLINE: Final = 10
BANG: Final = ord("!")
DOLLAR: Final = ord("$")
STAR: Final = ord("*")
COMMA: Final = ord(",")
BACKSLASH: Final = ord("\\")
COLON: Final = ord(":")
HASH: Final = ord("#")
DASH: Final = ord("-")
MAX_VALID_TIME_US: Final = 4_102_444_800 * US_PER_S  # 2100-01-01

TIME_SOURCES: Final = (
    "tag_block",
    "gatehouse_header",
    "line_prefix",
    "trailing_field",
    "receiver_clock",
    "base_station",
    "default",
)


@dataclass(slots=True)
class NmeaCarry:
    """State carried from one chunk of a stream to the next.

    Attributes:
        lines: Raw lines (each ending in a newline) held back: fragments still waiting
            for their other parts, headers waiting for their sentence.
        line_numbers: 1-based line number of each held-back line.
        station_time_us: Last stream clock seen (receiver ZDA or base station), Unix µs,
            or -1.
        station_line: Line number of that clock report.
        station_kind: Index in :data:`TIME_SOURCES` of its kind.
    """

    lines: bytes = b""
    line_numbers: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    station_time_us: int = -1
    station_line: int = -1
    station_kind: int = -1


@dataclass(slots=True)
class _Messages:
    """Assembled messages of a chunk, one entry per message (internal)."""

    first_pos: I64  # line position (index within the chunk) of fragment 1
    last_pos: I64  # line position of the last fragment
    checksum: I64  # XOR of the fragments' checksums (what a $PGHP header carries)
    pstart: I64  # payload offset in the six-bit array
    nbits: I64
    tag_time_us: I64
    tag_receiver: I64  # code into the receiver table, -1 if none
    prefix_time_us: I64
    trailing_time_us: I64
    talker: I64  # two talker bytes as one integer

    def take(self, index: I64) -> _Messages:
        return _Messages(*(getattr(self, name)[index] for name in self.__slots__))


def _byte_at(buf: Bytes, offsets: I64) -> npt.NDArray[np.uint8]:
    """Bytes at offsets, reading 0 beyond the end of the buffer."""
    inside = offsets < buf.size
    result: npt.NDArray[np.uint8] = np.where(inside, buf[np.minimum(offsets, buf.size - 1)], 0).astype(np.uint8)
    return result


def _is_text(buf: Bytes, offsets: I64, text: bytes) -> Mask:
    """Whether ``text`` occurs at each offset."""
    ok = np.ones(offsets.size, dtype=bool)
    for i, byte in enumerate(text):
        ok &= _byte_at(buf, offsets + i) == byte
    return ok


class _Receivers:
    """Table of receiver names (tag-block sources, header station ids), coded as ints."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._codes: dict[str, int] = {}

    def encode(self, values: pl.Series) -> I64:
        """Codes of a string series (null → -1), adding new names to the table."""
        frame = pl.DataFrame({"name": values}).with_row_index("row")
        distinct = frame.drop_nulls("name").select(pl.col("name").unique(maintain_order=True))
        for name in distinct.to_series().to_list():
            if name not in self._codes:
                self._codes[name] = len(self.names)
                self.names.append(name)
        mapping = pl.DataFrame(
            {"name": list(self._codes), "code": np.fromiter(self._codes.values(), dtype=np.int64)},
            schema={"name": pl.String, "code": pl.Int64},
        )
        joined = frame.join(mapping, on="name", how="left").sort("row")
        result: I64 = joined["code"].fill_null(-1).to_numpy().astype(np.int64)
        return result


def _satellite_regex(config: IngestConfig) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in config.satellite_source_patterns), re.IGNORECASE)


class NmeaDecoder:
    """Decodes a stream of NMEA text chunk by chunk.

    Args:
        config: Ingest configuration.
        default_time_us: Unix µs given to messages nothing else dates, or None.
    """

    def __init__(self, config: IngestConfig, default_time_us: int | None = None) -> None:
        self.config = config
        self.default_time_us = default_time_us
        self.carry = NmeaCarry()
        self._receivers = _Receivers()
        self._satellite = _satellite_regex(config)
        self._terrestrial_talkers = np.array(
            [(ord(t[0]) << 8) | ord(t[1]) for t in config.terrestrial_talkers if len(t) == 2], dtype=np.int64
        )

    # ------------------------------------------------------------------ public API
    def decode(self, text: bytes, first_line: int, *, final: bool) -> DecodedBatch:
        """Decode one chunk of complete lines.

        Args:
            text: Whole lines of the stream (the last may lack its newline only when
                ``final``).
            first_line: 1-based line number of the chunk's first line.
            final: True for the last chunk: nothing is carried any more, and waiting
                fragments become orphans.

        Returns:
            The decoded batch.
        """
        carry = self.carry
        data = carry.lines + text
        if data and not data.endswith(b"\n"):
            data += b"\n"
        buf = np.frombuffer(data, dtype=np.uint8)
        starts, ends = split_lines(buf)
        n_new = starts.size - carry.line_numbers.size
        line_no = np.concatenate([carry.line_numbers, first_line + np.arange(n_new, dtype=np.int64)])
        chunk = _Chunk(self, buf, starts, ends, line_no, final)
        batch = chunk.run()
        batch.counts["lines"] += n_new
        self.carry = chunk.next_carry
        return batch


class _Chunk:
    """The decoding of one chunk (internal; one instance per chunk)."""

    def __init__(self, decoder: NmeaDecoder, buf: Bytes, starts: I64, ends: I64, line_no: I64, final: bool) -> None:
        self.decoder = decoder
        self.config = decoder.config
        self.buf = buf
        self.starts = starts
        self.ends = ends
        self.line_no = line_no
        self.final = final
        self.counts: Counter[str] = Counter()
        self.rejects = RejectCollector()
        self.carry_line = np.zeros(starts.size, dtype=bool)
        self.next_carry = NmeaCarry(
            station_time_us=decoder.carry.station_time_us,
            station_line=decoder.carry.station_line,
            station_kind=decoder.carry.station_kind,
        )
        self.clock_pos = np.zeros(0, dtype=np.int64)
        self.clock_time_us = np.zeros(0, dtype=np.int64)
        # Delimiter offsets, one pass each over the chunk.
        self.stars = np.flatnonzero(buf == STAR)
        self.commas = np.flatnonzero(buf == COMMA)

    # ------------------------------------------------------------------ helpers
    def reject(self, positions: I64, reason: RejectReason, detail: str | pl.Series) -> None:
        if positions.size == 0:
            return
        raw = range_strings(
            self.buf,
            self.starts[positions],
            np.minimum(self.ends[positions], self.starts[positions] + RAW_SAMPLE_BYTES),
        )
        self.rejects.add(self.line_no[positions], reason, detail, raw)

    # ------------------------------------------------------------------ main flow
    def run(self) -> DecodedBatch:
        buf, starts, ends = self.buf, self.starts, self.ends
        n_lines = starts.size
        length = ends - starts
        first = np.where(length > 0, _byte_at(buf, starts), 0)

        # Tag blocks: "\key:value,...*hh\" before the sentence.
        is_tag = first == BACKSLASH
        tag_close = np.full(n_lines, -1, dtype=np.int64)
        if is_tag.any():
            backslashes = np.flatnonzero(buf == BACKSLASH)
            tag_close[is_tag] = next_index(backslashes, starts[is_tag] + 1, ends[is_tag])
        search_from = np.where(is_tag & (tag_close >= 0), tag_close + 1, starts)
        marks = np.flatnonzero((buf == BANG) | (buf == DOLLAR))
        mark = next_index(marks, search_from, ends)

        blank = length == 0
        comment = first == HASH
        broken_tag = is_tag & (tag_close < 0)
        has_sentence = (mark >= 0) & ~comment & ~broken_tag
        self.counts["ignored.blank"] += int(blank.sum())
        self.counts["ignored.comment"] += int(comment.sum())
        self.reject(np.flatnonzero(broken_tag), RejectReason.MALFORMED, "tag block not closed")
        self.reject(
            np.flatnonzero(~blank & ~comment & ~broken_tag & (mark < 0)), RejectReason.MALFORMED, "no NMEA sentence"
        )

        is_vdm = (
            has_sentence
            & (ends - mark >= 6)
            & _is_text(buf, mark + 3, b"VD")
            & np.isin(_byte_at(buf, mark + 5), np.array([ord("M"), ord("O")], dtype=np.uint8))
        )
        is_header = has_sentence & _is_text(buf, mark, b"$PGHP")
        is_zda = has_sentence & (ends - mark >= 6) & _is_text(buf, mark + 3, b"ZDA,")
        other = has_sentence & ~is_vdm & ~is_header & ~is_zda
        self.counts["ignored.other_sentence"] += int(other.sum())
        self.clock_pos, self.clock_time_us = self._parse_zda(np.flatnonzero(is_zda), mark)

        line_tag = self._parse_tag_blocks(np.flatnonzero(is_tag & (tag_close >= 0) & has_sentence), tag_close)
        prefix_time = self._parse_prefixes(np.flatnonzero(has_sentence & ~is_tag & (mark > starts)), mark)
        headers = self._parse_headers(np.flatnonzero(is_header & ~line_tag.bad), mark)

        vdm = np.flatnonzero(is_vdm & ~line_tag.bad)
        sentences = self._parse_sentences(vdm, mark)
        messages = self._assemble(sentences, line_tag, prefix_time)
        return self._decode_messages(messages, headers)

    # ------------------------------------------------------------------ tag blocks
    def _parse_tag_blocks(self, lines: I64, tag_close: I64) -> _LineTags:
        buf, n_lines = self.buf, self.starts.size
        tags = _LineTags.empty(n_lines)
        if lines.size == 0:
            return tags
        region_start = self.starts[lines] + 1
        region_end = tag_close[lines]
        tag_star = next_index(self.stars, region_start, region_end)
        has_checksum = (tag_star >= 0) & (tag_star + 2 < region_end)
        fields_end = np.where(tag_star >= 0, tag_star, region_end)
        bad = np.zeros(lines.size, dtype=bool)
        if has_checksum.any():
            k = np.flatnonzero(has_checksum & (tag_star > region_start))
            given, hex_ok = parse_hex_byte(buf, tag_star[k] + 1)
            computed = xor_ranges(buf, region_start[k], tag_star[k])
            bad[k] = ~hex_ok | (given != computed)
        if self.config.trust_unverified_tag_blocks:
            # Real feeds add tag fields without updating the tag checksum (the
            # Norwegian sample prepends "g:" groups); the sentence itself is verified
            # separately, so keep the fields and report how many were unverified.
            self.counts["tag_block.checksum_mismatch"] += int(bad.sum())
            bad[:] = False
        tags.bad[lines] = bad
        self.reject(lines[bad], RejectReason.BAD_CHECKSUM, "tag block checksum does not match")

        # key:value pairs. A key is one letter at the start of the block or after a comma.
        colons = np.flatnonzero(buf == COLON)
        owner = np.searchsorted(region_start, colons, side="right") - 1
        inside = owner >= 0
        owner = np.maximum(owner, 0)
        inside &= (colons < fields_end[owner]) & (colons - 1 >= region_start[owner]) & ~bad[owner]
        inside &= (colons - 1 == region_start[owner]) | (_byte_at(buf, np.maximum(colons - 2, 0)) == COMMA)
        colons, owner = colons[inside], owner[inside]
        keys = buf[colons - 1]
        value_start = colons + 1
        value_end = next_index(self.commas, value_start, fields_end[owner])
        value_end = np.where(value_end < 0, fields_end[owner], value_end)
        target = lines[owner]

        is_c = keys == ord("c")
        if is_c.any():
            seconds, ok = parse_decimal(buf, value_start[is_c], value_end[is_c])
            tags.time_us[target[is_c][ok]] = epoch_number_to_us(seconds[ok], self.config.epoch_ms_threshold)
        is_s = keys == ord("s")
        if is_s.any():
            names = range_strings(buf, value_start[is_s], value_end[is_s])
            tags.receiver[target[is_s]] = self.decoder._receivers.encode(names)
        is_g = keys == ord("g")
        if is_g.any():
            vs, ve = value_start[is_g], value_end[is_g]
            dashes = np.flatnonzero(buf == DASH)
            d1 = next_index(dashes, vs, ve)
            d2 = next_index(dashes, np.where(d1 >= 0, d1 + 1, ve), ve)
            ok = (d1 >= 0) & (d2 >= 0)
            group_id, ok_id = parse_uint(buf, np.where(ok, d2 + 1, ve), ve)
            ok &= ok_id
            tags.group[target[is_g][ok]] = group_id[ok]
        return tags

    # ------------------------------------------------------------------ line prefixes
    def _parse_prefixes(self, lines: I64, mark: I64) -> I64:
        """Timestamps written before the sentence by a logger (epoch or ISO 8601)."""
        times = np.full(self.starts.size, -1, dtype=np.int64)
        if lines.size == 0:
            return times
        text = range_strings(self.buf, self.starts[lines], mark[lines]).str.strip_chars(" \t,;|")
        as_number = text.cast(pl.Float64, strict=False).to_numpy()
        micro = epoch_number_to_us(np.where(np.isnan(as_number), np.nan, as_number), self.config.epoch_ms_threshold)
        as_date = text.str.to_datetime(strict=False, time_zone="UTC", time_unit="us").dt.epoch("us")
        micro = np.where(micro >= 0, micro, as_date.fill_null(-1).to_numpy())
        times[lines] = micro
        self.counts["line_prefixes"] += int(lines.size)
        return times

    # ------------------------------------------------------------------ receiver clock
    def _parse_zda(self, lines: I64, mark: I64) -> tuple[I64, I64]:
        """Receiver GNSS clock sentences ``$--ZDA,hhmmss.ss,dd,mm,yyyy,zh,zm*hh``."""
        buf = self.buf
        self.counts["clock.zda"] += int(lines.size)
        empty = np.zeros(0, dtype=np.int64)
        if lines.size == 0:
            return empty, empty
        s, e = mark[lines], self.ends[lines]
        star = next_index(self.stars, s, e)
        k = np.searchsorted(self.commas, s)
        c = self.commas[np.minimum(k[:, None] + np.arange(5), self.commas.size - 1)]
        ok = (star > s) & (star + 2 < e) & (k + 4 < self.commas.size) & (c[:, 4] < star) & (c[:, 0] == s + 6)
        given, hex_ok = parse_hex_byte(buf, np.where(ok, star + 1, 0))
        ok &= hex_ok & (given == xor_ranges(buf, s + 1, np.where(ok, star, s + 2)))
        hhmmss, ok_t = parse_uint(buf, c[:, 0] + 1, np.minimum(c[:, 0] + 7, c[:, 1]), 6)
        fraction, _ = parse_decimal(buf, c[:, 0] + 1, c[:, 1])
        day, ok_d = parse_uint(buf, c[:, 1] + 1, c[:, 2], 2)
        month, ok_m = parse_uint(buf, c[:, 2] + 1, c[:, 3], 2)
        year, ok_y = parse_uint(buf, c[:, 3] + 1, c[:, 4], 4)
        micro = np.round((np.nan_to_num(fraction) - hhmmss) * US_PER_S).astype(np.int64).clip(0, US_PER_S - 1)
        epoch, ok_date = civil_to_epoch_us(year, month, day, hhmmss // 10_000, hhmmss // 100 % 100, hhmmss % 100, micro)
        ok &= ok_t & ok_d & ok_m & ok_y & ok_date
        self.reject(lines[~ok], RejectReason.MALFORMED, "ZDA clock sentence with an invalid date, time or checksum")
        return lines[ok], epoch[ok]

    # ------------------------------------------------------------------ $PGHP headers
    def _parse_headers(self, lines: I64, mark: I64) -> _Headers:
        """Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,country,region,pss,online,cc*hh``."""
        buf = self.buf
        headers = _Headers.empty()
        self.counts["headers.gatehouse"] += int(lines.size)
        if lines.size == 0:
            return headers
        s, e = mark[lines], self.ends[lines]
        star = next_index(self.stars, s, e)
        ok = (star >= 0) & (star + 2 < e)
        k = np.searchsorted(self.commas, s)
        enough = k + 12 < self.commas.size
        c = self.commas[np.minimum(k[:, None] + np.arange(13), self.commas.size - 1)]
        ok &= enough & (c[:, 12] < star) & (c[:, 0] == s + 5)
        self.reject(lines[~ok], RejectReason.MALFORMED, "Gatehouse header without its 13 fields and checksum")
        lines, s, star, c = lines[ok], s[ok], star[ok], c[ok]
        given, hex_ok = parse_hex_byte(buf, star + 1)
        computed = xor_ranges(buf, s + 1, star)
        good = hex_ok & (given == computed)
        self.reject(lines[~good], RejectReason.BAD_CHECKSUM, "Gatehouse header checksum does not match")
        lines, star, c = lines[good], star[good], c[good]

        def field_uint(j: int) -> tuple[I64, Mask]:
            return parse_uint(buf, c[:, j - 1] + 1, c[:, j])

        kind, _ = field_uint(1)
        parts = [field_uint(j) for j in range(2, 9)]
        (year, oky), (month, okm), (day, okd), (hour, okh), (minute, okn), (second, oks), (milli, okms) = parts
        epoch_us, valid_date = civil_to_epoch_us(year, month, day, hour, minute, second, milli * 1000)
        valid = (kind == 1) & oky & okm & okd & okh & okn & oks & (okms | (c[:, 8] == c[:, 7] + 1)) & valid_date
        self.reject(lines[~valid], RejectReason.MALFORMED, "Gatehouse header with an invalid date or time")
        cc_len = star - c[:, 12] - 1
        cc, cc_ok = parse_hex_byte(buf, np.minimum(c[:, 12] + 1, buf.size - 2))
        cc = np.where((cc_len == 2) & cc_ok, cc, -1)
        station = range_strings(buf, c[:, 10] + 1, c[:, 11])
        source_text = range_strings(buf, c[:, 8] + 1, c[:, 12])
        keep = np.flatnonzero(valid)
        station_names = station.gather(keep)
        station_names = pl.select(pl.when(station_names.str.len_chars() > 0).then(station_names)).to_series()
        satellite = np.array([bool(self.decoder._satellite.search(t)) for t in source_text.gather(keep).to_list()])
        return _Headers(
            pos=lines[keep],
            time_us=epoch_us[keep],
            checksum=cc[keep],
            receiver=self.decoder._receivers.encode(station_names),
            satellite=satellite.astype(bool) if satellite.size else np.zeros(0, dtype=bool),
        )

    # ------------------------------------------------------------------ VDM sentences
    def _parse_sentences(self, lines: I64, mark: I64) -> _Sentences:
        buf = self.buf
        s, e = mark[lines], self.ends[lines]
        star = next_index(self.stars, s, e)
        ok = (star > s + 6) & (star + 2 < e)
        self.reject(lines[~ok], RejectReason.MALFORMED, "no checksum field")
        lines, s, e, star = lines[ok], s[ok], e[ok], star[ok]

        given, hex_ok = parse_hex_byte(buf, star + 1)
        computed = xor_ranges(buf, s + 1, star)
        self.reject(lines[~hex_ok], RejectReason.MALFORMED, "checksum is not hexadecimal")
        bad = hex_ok & (given != computed)
        self.reject(lines[bad], RejectReason.BAD_CHECKSUM, "checksum does not match")
        keep = hex_ok & ~bad
        lines, s, e, star, checksum = lines[keep], s[keep], e[keep], star[keep], given[keep]

        n_commas = self.commas.size
        k = np.searchsorted(self.commas, s)
        c = (
            self.commas[np.minimum(k[:, None] + np.arange(7), max(n_commas - 1, 0))]
            if n_commas
            else np.zeros((lines.size, 7), dtype=np.int64)
        )
        ok = (k + 5 < n_commas) & (c[:, 0] == s + 6) & (c[:, 5] < star) & ((k + 6 >= n_commas) | (c[:, 6] > star))
        total, ok_total = parse_uint(buf, c[:, 0] + 1, c[:, 1], 1)
        number, ok_number = parse_uint(buf, c[:, 1] + 1, c[:, 2], 1)
        seq_empty = c[:, 3] == c[:, 2] + 1
        seq, ok_seq = parse_uint(buf, c[:, 2] + 1, c[:, 3], 2)
        seq = np.where(seq_empty, -1, seq)
        channel_len = c[:, 4] - c[:, 3] - 1
        channel = np.where(channel_len >= 1, _byte_at(buf, c[:, 3] + 1), 0).astype(np.int64)
        pstart, pend = c[:, 4] + 1, c[:, 5]
        fill, ok_fill = parse_uint(buf, c[:, 5] + 1, star, 1)
        ok &= ok_total & ok_number & (total >= 1) & (number >= 1) & (number <= total)
        ok &= (ok_seq | seq_empty) & (channel_len <= 2) & (pend > pstart) & ok_fill & (fill <= 5)
        self.reject(lines[~ok], RejectReason.MALFORMED, "sentence fields are not those of a VDM/VDO sentence")
        keep = np.flatnonzero(ok)
        lines, s, e, star, checksum = lines[keep], s[keep], e[keep], star[keep], checksum[keep]
        total, number, seq, channel = total[keep], number[keep], seq[keep], channel[keep]
        pstart, pend, fill = pstart[keep], pend[keep], fill[keep]

        bad_char = np.zeros(lines.size, dtype=bool)
        if lines.size:
            # One six-bit lookup over the chunk, reused to decode the payloads.
            self.six = ais.ARMOR_TO_SIX[buf]
            invalid = self.six == 255
            bounds = np.empty(lines.size * 2, dtype=np.int64)
            bounds[0::2], bounds[1::2] = pstart, pend
            bad_char = np.logical_or.reduceat(invalid, bounds)[0::2]
        else:
            self.six = np.zeros(0, dtype=np.uint8)
        self.reject(lines[bad_char], RejectReason.MALFORMED, "payload holds a character outside the AIS alphabet")
        keep = np.flatnonzero(~bad_char)

        lines, s, e, star, checksum = lines[keep], s[keep], e[keep], star[keep], checksum[keep]
        trailing = np.full(lines.size, -1, dtype=np.int64)
        has_tail = (star + 3 < e) & (_byte_at(buf, star + 3) == COMMA)
        if has_tail.any():
            t = np.flatnonzero(has_tail)
            last_comma = previous_index(self.commas, e[t], star[t] + 3)
            value, ok_value = parse_decimal(buf, last_comma + 1, e[t])
            trailing[t[ok_value]] = epoch_number_to_us(value[ok_value], self.config.epoch_ms_threshold)
        talker = (_byte_at(buf, s + 1).astype(np.int64) << 8) | _byte_at(buf, s + 2)
        return _Sentences(
            pos=lines,
            checksum=checksum,
            total=total[keep],
            number=number[keep],
            seq=seq[keep],
            channel=channel[keep],
            pstart=pstart[keep],
            plen=(pend - pstart)[keep],
            fill=fill[keep],
            trailing_time_us=trailing,
            talker=talker,
        )

    # ------------------------------------------------------------------ assembly
    def _assemble(self, sentences: _Sentences, tags: _LineTags, prefix_time: I64) -> _Messages:
        """Join fragments into messages; record orphans; carry waiting fragments."""
        pos = sentences.pos
        tag_time = tags.time_us[pos]
        receiver = tags.receiver[pos]
        group = tags.group[pos]
        single = sentences.total == 1
        self.counts["sentences"] += int(pos.size)
        s1 = np.flatnonzero(single)
        singles = _Messages(
            first_pos=pos[s1],
            last_pos=pos[s1],
            checksum=sentences.checksum[s1],
            pstart=sentences.pstart[s1],
            nbits=6 * sentences.plen[s1] - sentences.fill[s1],
            tag_time_us=tag_time[s1],
            tag_receiver=receiver[s1],
            prefix_time_us=prefix_time[pos[s1]],
            trailing_time_us=sentences.trailing_time_us[s1],
            talker=sentences.talker[s1],
        )
        multi = np.flatnonzero(~single)
        if multi.size == 0:
            return singles

        grouped = group[multi] >= 0
        key_kind = grouped.astype(np.int64)
        key_id = np.where(grouped, group[multi], sentences.seq[multi])
        key_channel = np.where(grouped, 0, sentences.channel[multi])
        key_talker = np.where(grouped, 0, sentences.talker[multi])
        key_receiver = np.where(grouped, 0, receiver[multi])
        key_total = sentences.total[multi]
        frag_pos = pos[multi]
        order = np.lexsort((frag_pos, key_receiver, key_total, key_talker, key_channel, key_id, key_kind))
        f = multi[order]  # sentence indices in key, then line order
        fpos = pos[f]
        keys = np.stack(
            [
                key_kind[order],
                key_id[order],
                key_channel[order],
                key_talker[order],
                key_total[order],
                key_receiver[order],
            ]
        )
        same_key = np.zeros(f.size, dtype=bool)
        same_key[1:] = (keys[:, 1:] == keys[:, :-1]).all(axis=0)
        gap = np.zeros(f.size, dtype=np.int64)
        gap[1:] = self.line_no[fpos[1:]] - self.line_no[fpos[:-1]]
        max_gap = np.where(keys[0] == 1, self.config.max_group_line_gap, self.config.max_fragment_line_gap)
        number = sentences.number[f]
        total = sentences.total[f]
        starts_instance = (number == 1) | ~same_key | (gap > max_gap)
        instance = np.cumsum(starts_instance) - 1
        first_of_instance = np.flatnonzero(starts_instance)
        rank = np.arange(f.size) - first_of_instance[instance]
        breaks = (number != rank + 1).astype(np.int64)
        breaks_before = np.cumsum(breaks) - breaks
        chain_ok = (np.cumsum(breaks) - breaks_before[first_of_instance][instance]) == 0
        n_ok = np.bincount(instance, weights=chain_ok, minlength=first_of_instance.size).astype(np.int64)
        complete_instance = n_ok == total[first_of_instance]
        part_of_message = chain_ok & complete_instance[instance]

        # Fragments not in a complete message: wait for the next chunk, or orphans.
        loose = np.flatnonzero(~part_of_message)
        if loose.size:
            last_line = self.line_no[-1] if self.line_no.size else 0
            window = max_gap[loose]
            waiting = (
                (not self.final) & (number[loose] == rank[loose] + 1) & (self.line_no[fpos[loose]] > last_line - window)
            )
            self.carry_line[fpos[loose[waiting]]] = True
            self.reject(
                fpos[loose[~waiting]],
                RejectReason.ORPHAN_FRAGMENT,
                "fragment of a multi-sentence message whose other fragments are missing",
            )

        members = np.flatnonzero(part_of_message)
        if members.size == 0:
            return singles
        m_instance = instance[members]
        message_first = np.flatnonzero(np.r_[True, m_instance[1:] != m_instance[:-1]])
        fm = f[members]
        # Concatenate the fragments' payloads (already in fragment order) after the
        # chunk's own six-bit array, so every message is one range of one array.
        lengths = sentences.plen[fm]
        offsets = np.zeros(fm.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        index = np.repeat(sentences.pstart[fm] - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
        base = self.six.size
        self.six = np.concatenate([self.six, self.six[index]])
        message_chars = np.add.reduceat(lengths, message_first)
        message_last = np.r_[message_first[1:], fm.size] - 1
        nbits = 6 * message_chars - sentences.fill[fm[message_last]]
        fm_pos = pos[fm]

        def first_valid(values: I64) -> I64:
            masked = np.where(values >= 0, values, np.iinfo(np.int64).max)
            reduced = np.minimum.reduceat(masked, message_first)
            result: I64 = np.where(reduced == np.iinfo(np.int64).max, -1, reduced)
            return result

        multis = _Messages(
            first_pos=fm_pos[message_first],
            last_pos=fm_pos[message_last],
            checksum=np.bitwise_xor.reduceat(sentences.checksum[fm], message_first),
            pstart=base + offsets[message_first],
            nbits=nbits,
            tag_time_us=first_valid(tag_time[fm]),
            tag_receiver=np.maximum.reduceat(receiver[fm], message_first),
            prefix_time_us=first_valid(prefix_time[fm_pos]),
            trailing_time_us=first_valid(sentences.trailing_time_us[fm]),
            talker=sentences.talker[fm[message_first]],
        )
        self.counts["fragments_joined"] += int(fm.size)
        return _concat_messages(singles, multis)

    # ------------------------------------------------------------------ payloads
    def _decode_messages(self, messages: _Messages, headers: _Headers) -> DecodedBatch:
        order = np.argsort(messages.first_pos, kind="stable")
        m = messages.take(order)
        n = m.first_pos.size
        six = self.six if n else np.zeros(1, dtype=np.uint8)
        payloads = ais.Payloads(six, m.pstart, m.nbits)
        msg_type = six[np.minimum(m.pstart, six.size - 1)].astype(np.int64) if n else np.zeros(0, dtype=np.int64)
        msg_type = np.where(m.nbits >= 6, msg_type, -1)

        header_time, header_receiver, header_satellite = self._link_headers(m, headers)

        supported = np.isin(msg_type, np.array(sorted(ais.SUPPORTED_TYPES)))
        # Type 0 is undefined; 28–63 are reserved or newer than ITU-R M.1371-5.
        exists = msg_type >= 1
        self.reject(m.first_pos[~exists], RejectReason.MALFORMED, "message type 0 does not exist")
        unsupported = exists & ~supported
        if unsupported.any():
            detail = pl.Series(msg_type[unsupported]).cast(pl.String)
            self.reject(m.first_pos[unsupported], RejectReason.UNSUPPORTED_TYPE, "message type " + detail)
            for t, count in Counter(msg_type[unsupported].tolist()).items():
                self.counts[f"unsupported_type.{t}"] += count
        min_bits = np.zeros(n, dtype=np.int64)
        for t, bits in ais.MIN_BITS.items():
            min_bits[msg_type == t] = bits
        short = supported & (m.nbits < min_bits)
        if short.any():
            detail = (
                "type "
                + pl.Series(msg_type[short]).cast(pl.String)
                + " payload has "
                + pl.Series(m.nbits[short]).cast(pl.String)
                + " bits, needs "
                + pl.Series(min_bits[short]).cast(pl.String)
            )
            self.reject(m.first_pos[short], RejectReason.MALFORMED, detail)
        usable = supported & ~short

        # Base stations first: their clocks may date the other messages.
        stations = self._group(payloads, usable & (msg_type == 4), ais.decode_base_stations)
        station_time = np.full(n, -1, dtype=np.int64)
        if stations.message.size:
            cols = stations.columns
            epoch, ok = civil_to_epoch_us(
                *(np.asarray(cols[k], dtype=np.int64) for k in ("year", "month", "day", "hour", "minute", "second"))
            )
            ok &= (epoch >= self.config.min_valid_time_s * US_PER_S) & (epoch < MAX_VALID_TIME_US)
            ok &= stations.invalid == ""
            station_time[stations.message[ok]] = epoch[ok]
            stations.columns["station_time"] = np.where(ok, epoch, -1)

        timestamp, time_source = self._resolve_times(m, header_time, station_time)
        receiver_code = np.where(m.tag_receiver >= 0, m.tag_receiver, header_receiver)
        receiver_class = self._receiver_class(receiver_code, header_satellite, m.talker)
        no_time = usable & (timestamp < 0)
        self.reject(
            m.first_pos[no_time],
            RejectReason.MISSING_TIMESTAMP,
            "nothing in the data dates this message; pass --default-time",
        )
        usable &= ~no_time
        for code, name in enumerate(TIME_SOURCES):
            self.counts[f"time_source.{name}"] += int((usable & (time_source == code)).sum())

        context = _MessageContext(
            timestamp=timestamp,
            receiver_code=receiver_code,
            receiver_class=receiver_class,
            msg_type=msg_type,
            line=self.line_no[m.first_pos],
        )
        stations = stations.subset(timestamp[stations.message] >= 0)
        groups = {
            "class_a": self._group(payloads, usable & np.isin(msg_type, [1, 2, 3]), ais.decode_class_a_positions),
            "class_b": self._group(payloads, usable & np.isin(msg_type, [18, 19]), ais.decode_class_b_positions),
            "long_range": self._group(payloads, usable & (msg_type == 27), ais.decode_long_range_positions),
            "static_a": self._group(payloads, usable & (msg_type == 5), ais.decode_static_voyage),
            "static_19": self._group(payloads, usable & (msg_type == 19), ais.decode_class_b_extended_static),
            "static_24": self._group(payloads, usable & (msg_type == 24), ais.decode_class_b_static),
            "aids": self._group(payloads, usable & (msg_type == 21), ais.decode_aids_to_navigation),
            "stations": stations,
        }
        for name, decoded in groups.items():
            self._reject_invalid(m, decoded, name)
        positions = pl.concat(
            [
                self._frame(groups["class_a"], context, transponder="A"),
                self._frame(groups["class_b"], context, transponder="B"),
                self._frame(groups["long_range"], context, transponder=None),
            ],
            how="diagonal_relaxed",
        )
        statics = pl.concat(
            [
                self._frame(groups["static_a"], context, transponder="A"),
                self._frame(groups["static_19"], context, transponder="B"),
                self._frame(groups["static_24"], context, transponder="B"),
            ],
            how="diagonal_relaxed",
        )
        statics = _finish_statics(statics)
        aids = self._frame(groups["aids"], context, transponder=None)
        base_stations = self._frame(groups["stations"], context, transponder=None)
        if base_stations.height:
            base_stations = base_stations.with_columns(
                pl.when(pl.col("station_time") >= 0)
                .then(pl.col("station_time"))
                .cast(pl.Datetime("us", "UTC"))
                .alias("station_time")
            )
        for t, count in Counter(msg_type[usable].tolist()).items():
            self.counts[f"messages.type_{t}"] += count
        for field_name, count in _sum_nulled(groups.values()).items():
            self.counts[f"nulled.{field_name}"] += count
        self._carry_over(headers, m)
        return DecodedBatch(
            positions=positions,
            statics=statics,
            aids_to_navigation=aids,
            base_stations=base_stations,
            rejects=self.rejects.frame(),
            counts=self.counts,
        )

    def _group(self, payloads: ais.Payloads, selected: Mask, decode: _DecodeFn) -> ais.Decoded:
        index = np.flatnonzero(selected)
        return decode(payloads.take(index), index)

    def _reject_invalid(self, m: _Messages, decoded: ais.Decoded, name: str) -> None:
        bad = decoded.invalid != ""
        if not bad.any():
            return
        labels = pl.Series(decoded.invalid[bad].astype(str))
        mmsi = pl.Series(np.asarray(decoded.columns["mmsi"])[bad]).cast(pl.String)
        detail = pl.select(
            pl.when(labels == "mmsi").then("invalid mmsi " + mmsi).otherwise("invalid " + labels)
        ).to_series()
        self.reject(m.first_pos[decoded.message[bad]], RejectReason.INVALID_FIELD, detail)
        decoded.keep(~bad)

    def _frame(self, decoded: ais.Decoded, context: _MessageContext, transponder: str | None) -> pl.DataFrame:
        index = decoded.message
        columns: dict[str, object] = {
            "timestamp": pl.Series(context.timestamp[index]).cast(pl.Datetime("us", "UTC")),
            "msg_type": context.msg_type[index].astype(np.int8),
            "source_line": context.line[index],
        }
        columns.update(decoded.columns)
        codes = context.receiver_code[index]
        names = self.decoder._receivers.names
        frame = pl.DataFrame(columns, nan_to_null=True)
        receiver_ids = pl.Series("receiver_id", names if names else [None], dtype=pl.String)
        frame = frame.with_columns(
            pl.Series("receiver_code", codes),
            pl.Series("receiver_class", context.receiver_class[index], dtype=pl.String),
            pl.lit(transponder, dtype=pl.String).alias("transponder_class"),
        )
        frame = frame.with_columns(
            pl.when(pl.col("receiver_code") >= 0)
            .then(receiver_ids.gather(pl.Series(np.maximum(codes, 0))) if codes.size else pl.lit(None, pl.String))
            .alias("receiver_id")
        ).drop("receiver_code")
        for text in ("name", "call_sign", "destination"):
            if text in frame.columns:
                frame = frame.with_columns(pl.when(pl.col(text) != "").then(pl.col(text)).alias(text))
        for nullable in ("imo", "imo_reported", "ship_type"):
            if nullable in frame.columns:
                frame = frame.with_columns(pl.when(pl.col(nullable) >= 0).then(pl.col(nullable)).alias(nullable))
        return frame

    # ------------------------------------------------------------------ headers
    def _link_headers(self, m: _Messages, headers: _Headers) -> tuple[I64, I64, Mask]:
        """Link each ``$PGHP`` header to the message whose checksum it carries.

        A header normally precedes its message; in some satellite files it follows it.
        The header goes to the next message when the checksums agree (or the header
        carries none, written "00"), else to the previous message when those agree.
        """
        n = m.first_pos.size
        time_us = np.full(n, -1, dtype=np.int64)
        receiver = np.full(n, -1, dtype=np.int64)
        satellite = np.zeros(n, dtype=bool)
        self.header_linked = np.zeros(headers.pos.size, dtype=bool)
        if n == 0 or headers.pos.size == 0:
            return time_us, receiver, satellite
        nxt = np.searchsorted(m.first_pos, headers.pos, side="right")
        prv = np.searchsorted(m.last_pos, headers.pos, side="left") - 1
        nxt_ok = nxt < n
        prv_ok = prv >= 0
        nxt_c = np.minimum(nxt, n - 1)
        prv_c = np.maximum(prv, 0)
        # "00" is what Gatehouse writes when it computed no checksum (own-ship VDO).
        no_checksum = headers.checksum <= 0
        to_next = nxt_ok & (no_checksum | (m.checksum[nxt_c] == headers.checksum))
        to_prev = ~to_next & prv_ok & ~no_checksum & (m.checksum[prv_c] == headers.checksum)
        target = np.where(to_next, nxt_c, np.where(to_prev, prv_c, -1))
        linked = target >= 0
        # Headers are in line order; when two claim one message the later one wins,
        # which is the one right before it.
        time_us[target[linked]] = headers.time_us[linked]
        receiver[target[linked]] = headers.receiver[linked]
        satellite[target[linked]] = headers.satellite[linked]
        self.header_linked = linked
        self.counts["headers.unmatched"] += int((~linked).sum())
        return time_us, receiver, satellite

    def _resolve_times(self, m: _Messages, header_time: I64, station_time: I64) -> tuple[I64, I64]:
        """Each message's time from the best source it has; see the module docstring."""
        n = m.first_pos.size
        lo = int(self.config.min_valid_time_s * US_PER_S)
        candidates = [m.tag_time_us, header_time, m.prefix_time_us, m.trailing_time_us]
        timestamp = np.full(n, -1, dtype=np.int64)
        source = np.full(n, -1, dtype=np.int64)
        for code, values in enumerate(candidates):
            take = (timestamp < 0) & (values >= lo) & (values < MAX_VALID_TIME_US)
            timestamp[take] = values[take]
            source[take] = code

        # The stream's own clock: receiver ZDA sentences and base-station (type 4)
        # reports, carried forward (and, before the first one, backward) over lines.
        has_station = station_time >= 0
        event_pos = np.concatenate([self.clock_pos, m.first_pos[has_station]])
        event_time = np.concatenate([self.clock_time_us, station_time[has_station]])
        event_kind = np.concatenate(
            [
                np.full(self.clock_pos.size, TIME_SOURCES.index("receiver_clock")),
                np.full(int(has_station.sum()), TIME_SOURCES.index("base_station")),
            ]
        )
        plausible = (event_time >= lo) & (event_time < MAX_VALID_TIME_US)
        order = np.argsort(event_pos[plausible], kind="stable")
        event_pos = event_pos[plausible][order]
        event_time = event_time[plausible][order]
        event_kind = event_kind[plausible][order]
        event_line = self.line_no[event_pos]
        carry = self.decoder.carry
        if carry.station_time_us >= 0:
            event_pos = np.concatenate([[-1], event_pos])
            event_time = np.concatenate([[carry.station_time_us], event_time])
            event_kind = np.concatenate([[carry.station_kind], event_kind])
            event_line = np.concatenate([[carry.station_line], event_line])
        if event_pos.size:
            message_line = self.line_no[m.first_pos]
            before = np.searchsorted(event_pos, m.first_pos, side="right") - 1
            after = np.minimum(before + 1, event_pos.size - 1)
            use = np.where(before >= 0, before, after)
            fresh = np.abs(message_line - event_line[use]) <= self.config.base_station_time_max_lines
            take = (timestamp < 0) & fresh
            timestamp[take] = event_time[use][take]
            source[take] = event_kind[use][take]
            self.next_carry.station_time_us = int(event_time[-1])
            self.next_carry.station_line = int(event_line[-1])
            self.next_carry.station_kind = int(event_kind[-1])
        if self.decoder.default_time_us is not None:
            take = timestamp < 0
            timestamp[take] = self.decoder.default_time_us
            source[take] = TIME_SOURCES.index("default")
        return timestamp, source

    def _receiver_class(self, codes: I64, header_satellite: Mask, talker: I64) -> npt.NDArray[np.object_]:
        names = self.decoder._receivers.names
        satellite_names = np.array([bool(self.decoder._satellite.search(name)) for name in names] + [False])
        is_satellite = header_satellite | satellite_names[np.where(codes >= 0, codes, len(names))]
        is_terrestrial = ~is_satellite & np.isin(talker, self.decoder._terrestrial_talkers)
        result = np.full(codes.size, "unknown", dtype=object)
        result[is_satellite] = "satellite"
        result[is_terrestrial] = "terrestrial"
        return result

    def _carry_over(self, headers: _Headers, m: _Messages) -> None:
        """Hold back waiting fragments and trailing headers for the next chunk."""
        if self.final:
            return
        if headers.pos.size:
            last_message = m.last_pos.max(initial=-1)
            trailing_headers = headers.pos[~self.header_linked & (headers.pos > last_message)]
            self.carry_line[trailing_headers] = True
        held = np.flatnonzero(self.carry_line)
        if held.size == 0:
            return
        pieces = [bytes(self.buf[a:b]) + b"\n" for a, b in zip(self.starts[held], self.ends[held], strict=True)]
        self.next_carry.lines = b"".join(pieces)
        self.next_carry.line_numbers = self.line_no[held]


@dataclass(slots=True)
class _LineTags:
    bad: Mask
    time_us: I64
    receiver: I64
    group: I64

    @staticmethod
    def empty(n: int) -> _LineTags:
        return _LineTags(
            bad=np.zeros(n, dtype=bool),
            time_us=np.full(n, -1, dtype=np.int64),
            receiver=np.full(n, -1, dtype=np.int64),
            group=np.full(n, -1, dtype=np.int64),
        )


@dataclass(slots=True)
class _Headers:
    pos: I64
    time_us: I64
    checksum: I64
    receiver: I64
    satellite: Mask

    @staticmethod
    def empty() -> _Headers:
        z = np.zeros(0, dtype=np.int64)
        return _Headers(z, z, z, z, np.zeros(0, dtype=bool))


@dataclass(slots=True)
class _Sentences:
    pos: I64
    checksum: I64
    total: I64
    number: I64
    seq: I64
    channel: I64
    pstart: I64
    plen: I64
    fill: I64
    trailing_time_us: I64
    talker: I64


@dataclass(slots=True)
class _MessageContext:
    timestamp: I64
    receiver_code: I64
    receiver_class: npt.NDArray[np.object_]
    msg_type: I64
    line: I64


def _concat_messages(a: _Messages, b: _Messages) -> _Messages:
    return _Messages(*(np.concatenate([getattr(a, name), getattr(b, name)]) for name in _Messages.__slots__))


def _sum_nulled(groups: Iterable[ais.Decoded]) -> Counter[str]:
    total: Counter[str] = Counter()
    for decoded in groups:
        total.update(decoded.nulled)
    return total


def _finish_statics(statics: pl.DataFrame) -> pl.DataFrame:
    """Resolve the ETA's missing year from the report's own date."""
    if statics.height == 0 or "eta_month" not in statics.columns:
        return statics.drop([c for c in statics.columns if c.startswith("eta_") or c == "part"])
    year = statics["timestamp"].dt.year().cast(pl.Int64).to_numpy()
    fields = [
        statics[c].cast(pl.Int64).fill_null(0).to_numpy() for c in ("eta_month", "eta_day", "eta_hour", "eta_minute")
    ]
    month, day, hour, minute = fields
    zeros = np.zeros_like(year)
    eta, ok = civil_to_epoch_us(year, month, day, hour, minute, zeros)
    report = statics["timestamp"].dt.epoch("us").fill_null(0).to_numpy()
    # An ETA more than half a year before the report is next year's.
    half_year_us = 183 * 86_400 * US_PER_S
    next_eta, next_ok = civil_to_epoch_us(year + 1, month, day, hour, minute, zeros)
    roll = ok & (eta < report - half_year_us)
    eta = np.where(roll, next_eta, eta)
    ok = np.where(roll, next_ok, ok)
    return (
        statics.with_columns(
            pl.Series("eta", np.where(ok, eta, -1)).cast(pl.Int64),
        )
        .with_columns(pl.when(pl.col("eta") >= 0).then(pl.col("eta")).cast(pl.Datetime("us", "UTC")).alias("eta"))
        .drop(["eta_month", "eta_day", "eta_hour", "eta_minute"] + (["part"] if "part" in statics.columns else []))
    )


def read_nmea_lines(
    data: bytes, *, config: IngestConfig | None = None, default_time_us: int | None = None
) -> DecodedBatch:
    """Decode a whole NMEA text held in memory (one chunk).

    Args:
        data: The text.
        config: Ingest configuration (defaults when None).
        default_time_us: Unix µs for messages nothing dates.

    Returns:
        The decoded batch.
    """
    decoder = NmeaDecoder(config or IngestConfig(), default_time_us)
    return decoder.decode(data, 1, final=True)
