r"""NMEA 0183 AIS decoding: from raw text to position, static and other frames.

A chunk of text is decoded as a whole, never with a Python loop over lines:

1. One compiled pass (:mod:`shadowfleet.ingest.framing`) frames every line: its tag
   block, sentence, fields, checksum and payload alphabet, and the fields of Gatehouse
   headers and ZDA clock sentences.
2. Lines refused by framing become rejects, by reason; the rest continue as arrays.
3. Fragments of multi-sentence messages are assembled by sorting on their key (tag
   group id, or talker + sequential id + channel) and line order; a run starting at
   fragment 1 with consecutive fragment numbers is a message.
4. Each message is timed from, in order of preference, its tag block ``c:``, its
   Gatehouse ``$PGHP`` header (linked to the message whose checksum it carries), a
   timestamp before the sentence, a trailing epoch field (USCG / satellite providers),
   the stream's clock (receiver ZDA sentences, base-station type 4 reports), or
   ``--default-time``.
5. Payloads are decoded per message type by :mod:`shadowfleet.ingest.ais`.

Files larger than one chunk are decoded chunk by chunk; fragments still waiting for
their other parts at the end of a chunk, and the base-station clock, are carried into
the next chunk (:class:`NmeaCarry`), so chunk boundaries change nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.config import IngestConfig
from shadowfleet.ingest import ais, framing
from shadowfleet.ingest.batch import DecodedBatch
from shadowfleet.ingest.byteops import PAD, Bytes, range_strings
from shadowfleet.ingest.framing import frame_lines
from shadowfleet.ingest.rejects import RAW_SAMPLE_BYTES, RejectCollector, RejectReason
from shadowfleet.ingest.timeconv import US_PER_S, civil_to_epoch_us, epoch_number_to_us

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
_DecodeFn = Callable[[ais.Payloads, I64], ais.Decoded]

BACKSLASH: Final = ord("\\")
MAX_VALID_TIME_US: Final = 4_102_444_800 * US_PER_S  # 2100-01-01
RECEIVER_CLASSES: Final = ("unknown", "terrestrial", "satellite")
HEADER_FOLLOW_LINES: Final = 3
"""Lines at the end of a chunk whose message may be claimed by a header of the next chunk."""
# Lookup tables by message type (index -1, an unknown type, reads the last entry).
_SUPPORTED = np.zeros(65, dtype=bool)
_SUPPORTED[sorted(ais.SUPPORTED_TYPES)] = True
_MIN_BITS = np.zeros(65, dtype=np.int64)
for _type, _bits in ais.MIN_BITS.items():
    _MIN_BITS[_type] = _bits

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
        clock_lines: Line numbers of the stream-clock reports (receiver ZDA sentences,
            base-station reports) recent enough to date lines of the next chunks.
        clock_times_us: Their Unix µs.
        clock_kinds: Their index in :data:`TIME_SOURCES`.
    """

    lines: bytes = b""
    line_numbers: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    clock_lines: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    clock_times_us: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    clock_kinds: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(slots=True)
class _Messages:
    """Assembled messages of a chunk, one entry per message (internal)."""

    first_pos: I64  # line position (index within the chunk) of fragment 1
    last_pos: I64  # line position of the last fragment
    checksum: I64  # XOR of the fragments' checksums (what a $PGHP header carries)
    pstart: I64  # payload offset in the text, or past its end in the assembled payloads
    nbits: I64
    tag_time_us: I64
    tag_receiver: I64  # code into the receiver table, -1 if none
    prefix_time_us: I64
    trailing_time_us: I64
    talker: I64  # two talker bytes as one integer


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
        # The chunk's text: carried lines, new lines, a final newline if missing,
        # then zero padding; built in place, without intermediate copies.
        tail = text or carry.lines  # carried lines always end with a newline
        needs_newline = bool(tail) and not tail.endswith(b"\n")
        n_bytes = len(carry.lines) + len(text) + int(needs_newline)
        buf = np.zeros(n_bytes + PAD, dtype=np.uint8)
        buf[: len(carry.lines)] = np.frombuffer(carry.lines, dtype=np.uint8)
        buf[len(carry.lines) : len(carry.lines) + len(text)] = np.frombuffer(text, dtype=np.uint8)
        if needs_newline:
            buf[n_bytes - 1] = 10
        framed = frame_lines(buf, n_bytes)
        n_new = framed.start.size - carry.line_numbers.size
        line_no = np.concatenate([carry.line_numbers, first_line + np.arange(n_new, dtype=np.int64)])
        chunk = _Chunk(self, buf, framed, line_no, final)
        chunk.carried_in = carry.line_numbers.size
        batch = chunk.run()
        batch.counts["lines"] += n_new
        self.carry = chunk.next_carry
        return batch


class _Chunk:
    """The decoding of one chunk (internal; one instance per chunk)."""

    def __init__(self, decoder: NmeaDecoder, buf: Bytes, framed: framing.Framed, line_no: I64, final: bool) -> None:
        self.decoder = decoder
        self.config = decoder.config
        self.buf = buf
        self.assembled = np.zeros(PAD, dtype=np.uint8)
        self.framed = framed
        self.starts = framed.start.astype(np.int64)
        self.ends = framed.end.astype(np.int64)
        starts = self.starts
        self.line_no = line_no
        self.final = final
        self.counts: Counter[str] = Counter()
        self.rejects = RejectCollector()
        self.carry_line = np.zeros(starts.size, dtype=bool)
        self.next_carry = NmeaCarry()
        self.clock_pos = np.zeros(0, dtype=np.int64)
        self.clock_time_us = np.zeros(0, dtype=np.int64)
        self.carried_in = 0

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
        f = self.framed
        kind, status = f.kind, f.status
        has_sentence = f.mark >= 0
        is_tag = has_sentence & (self.buf[f.start] == BACKSLASH)
        line_tag = self._parse_tag_blocks(np.flatnonzero(is_tag))
        # A line refused for its tag block is refused once, for that only.
        refused_tag = line_tag.bad
        self.counts["ignored.blank"] += int(np.count_nonzero(kind == framing.BLANK))
        self.counts["ignored.comment"] += int(np.count_nonzero(kind == framing.COMMENT))
        self.counts["ignored.other_sentence"] += int(np.count_nonzero((kind == framing.OTHER) & ~refused_tag))
        self.reject(np.flatnonzero(kind == framing.TAG_UNCLOSED), RejectReason.MALFORMED, "tag block not closed")
        self.reject(np.flatnonzero(kind == framing.NO_SENTENCE), RejectReason.MALFORMED, "no NMEA sentence")
        prefix_time = self._parse_prefixes(np.flatnonzero(has_sentence & ~is_tag & (f.mark > f.start)))
        usable = (status == framing.OK) & ~refused_tag
        self._reject_lines_by_status(refused_tag)

        zda = np.flatnonzero((kind == framing.ZDA) & usable)
        new = slice(self.carried_in, None)  # lines carried in were counted in their own chunk
        self.counts["clock.zda"] += int(np.count_nonzero(kind[new] == framing.ZDA))
        self.clock_pos, self.clock_time_us = zda, f.header_time_us[zda]
        headers = self._parse_headers(np.flatnonzero((kind == framing.GATEHOUSE) & usable))
        self.counts["headers.gatehouse"] += int(np.count_nonzero(kind[new] == framing.GATEHOUSE))
        vdm = np.flatnonzero((kind == framing.VDM) & usable)
        sentences = _Sentences(
            pos=vdm,
            checksum=f.checksum[vdm].astype(np.int64),
            total=f.total[vdm].astype(np.int64),
            number=f.number[vdm].astype(np.int64),
            seq=f.seq[vdm].astype(np.int64),
            channel=f.channel[vdm].astype(np.int64),
            pstart=f.pstart[vdm].astype(np.int64),
            plen=f.plen[vdm].astype(np.int64),
            fill=f.fill[vdm].astype(np.int64),
            trailing_time_us=epoch_number_to_us(f.trailing[vdm], self.config.epoch_ms_threshold),
            talker=f.talker[vdm].astype(np.int64),
        )
        messages = self._assemble(sentences, line_tag, prefix_time)
        return self._decode_messages(messages, headers)

    def _reject_lines_by_status(self, already_refused: Mask) -> None:
        """Reject the sentences whose framing status is not OK, by kind and status."""
        f = self.framed
        failed = np.flatnonzero((f.status != framing.OK) & ~already_refused)
        kinds = f.kind[failed]
        statuses = f.status[failed]
        prefixes = {framing.VDM: "", framing.GATEHOUSE: "Gatehouse header: ", framing.ZDA: "ZDA clock sentence: "}
        for kind, prefix in prefixes.items():
            for code, detail in framing.STATUS_DETAIL.items():
                lines = failed[(kinds == kind) & (statuses == code)]
                reason = RejectReason.BAD_CHECKSUM if code == framing.BAD_CHECKSUM else RejectReason.MALFORMED
                self.reject(lines, reason, prefix + detail)

    # ------------------------------------------------------------------ tag blocks
    def _parse_tag_blocks(self, lines: I64) -> _LineTags:
        """Time (``c:``), source (``s:``) and group (``g:``) of each tag block."""
        f = self.framed
        tags = _LineTags.empty(self.starts.size)
        if lines.size == 0:
            return tags
        bad = f.tag_checksum[lines] == framing.TAG_BAD
        if self.config.trust_unverified_tag_blocks:
            # Real feeds add tag fields without updating the tag checksum (the
            # Norwegian sample prepends "g:" groups); the sentence itself is verified
            # separately, so keep the fields and report how many were unverified.
            self.counts["tag_block.checksum_mismatch"] += int((bad & (lines >= self.carried_in)).sum())
        else:
            tags.bad[lines] = bad
            self.reject(lines[bad], RejectReason.BAD_CHECKSUM, "tag block checksum does not match")
        tags.time_us[lines] = epoch_number_to_us(f.tag_time[lines], self.config.epoch_ms_threshold)
        tags.group[lines] = f.tag_group[lines]
        with_source = lines[f.tag_source_start[lines] >= 0]
        if with_source.size:
            names = range_strings(self.buf, f.tag_source_start[with_source], f.tag_source_end[with_source])
            tags.receiver[with_source] = self.decoder._receivers.encode(names)
        return tags

    # ------------------------------------------------------------------ line prefixes
    def _parse_prefixes(self, lines: I64) -> I64:
        """Timestamps written before the sentence by a logger (epoch or ISO 8601)."""
        times = np.full(self.starts.size, -1, dtype=np.int64)
        if lines.size == 0:
            return times
        text = range_strings(self.buf, self.starts[lines], self.framed.mark[lines]).str.strip_chars(" \t,;|")
        as_number = text.cast(pl.Float64, strict=False).to_numpy()
        micro = epoch_number_to_us(np.where(np.isnan(as_number), np.nan, as_number), self.config.epoch_ms_threshold)
        as_date = text.str.to_datetime(strict=False, time_zone="UTC", time_unit="us").dt.epoch("us")
        micro = np.where(micro >= 0, micro, as_date.fill_null(-1).to_numpy())
        times[lines] = micro
        self.counts["line_prefixes"] += int((lines >= self.carried_in).sum())
        return times

    # ------------------------------------------------------------------ $PGHP headers
    def _parse_headers(self, lines: I64) -> _Headers:
        """Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,country,region,pss,online,cc*hh``."""
        f = self.framed
        if lines.size == 0:
            return _Headers.empty()
        station = range_strings(self.buf, f.header_station_start[lines], f.header_station_end[lines])
        station = pl.select(pl.when(station.str.len_chars() > 0).then(station)).to_series()
        source_text = range_strings(self.buf, f.header_source_start[lines], f.header_source_end[lines])
        distinct = source_text.unique()
        satellite_texts = distinct.filter(
            pl.Series([bool(self.decoder._satellite.search(t)) for t in distinct.to_list()], dtype=pl.Boolean)
        )
        return _Headers(
            pos=lines,
            time_us=f.header_time_us[lines],
            checksum=f.header_cc[lines].astype(np.int64),
            receiver=self.decoder._receivers.encode(station),
            satellite=source_text.is_in(satellite_texts.implode()).to_numpy(),
        )

    # ------------------------------------------------------------------ assembly
    def _assemble(self, sentences: _Sentences, tags: _LineTags, prefix_time: I64) -> _Messages:
        """Join fragments into messages; record orphans; carry waiting fragments."""
        pos = sentences.pos
        tag_time = tags.time_us[pos]
        receiver = tags.receiver[pos]
        group = tags.group[pos]
        single = sentences.total == 1
        self.counts["sentences"] += int(np.count_nonzero(pos >= self.carried_in))
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
        self.n_singles = s1.size
        self.fragment_pos = np.zeros(0, dtype=np.int64)  # fragments of assembled messages
        self.fragment_message = np.zeros(0, dtype=np.int64)  # the message each belongs to
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
        # Concatenate the fragments' payloads (already in fragment order) into the
        # assembled buffer, addressed past the end of the chunk's text, so every
        # message is one range of one array.
        lengths = sentences.plen[fm]
        offsets = np.zeros(fm.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        index = np.repeat(sentences.pstart[fm] - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
        base = self.buf.size
        self.assembled = np.concatenate([self.buf[index], np.zeros(PAD, dtype=np.uint8)])
        message_chars = np.add.reduceat(lengths, message_first)
        message_last = np.r_[message_first[1:], fm.size] - 1
        nbits = 6 * message_chars - sentences.fill[fm[message_last]]
        fm_pos = pos[fm]
        self.fragment_pos = fm_pos
        self.fragment_message = self.n_singles + np.repeat(
            np.arange(message_first.size), np.diff(np.r_[message_first, fm.size])
        )

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
        # Messages are in no particular order (single sentences first, then the
        # assembled ones); nothing below needs them sorted.
        m = messages
        n = m.first_pos.size
        payloads = ais.Payloads(self.buf, self.assembled, m.pstart, m.nbits)
        # Payload characters were checked while framing, so the first one is valid.
        msg_type = payloads.first_char().astype(np.int64)
        msg_type = np.where(m.nbits >= 6, msg_type, -1)

        header_time, header_receiver, header_satellite = self._link_headers(m, headers)
        # Messages that a header of the next chunk may still claim wait for it.
        deferred = self._unclaimed_at_end(m, headers, header_time)
        here = ~deferred

        self.reject(m.first_pos[here & (msg_type < 0)], RejectReason.MALFORMED, "payload shorter than a message type")
        supported = _SUPPORTED[msg_type]
        # Type 0 is undefined; 28–63 are reserved or newer than ITU-R M.1371-5.
        exists = msg_type >= 1
        self.reject(m.first_pos[here & (msg_type == 0)], RejectReason.MALFORMED, "message type 0 does not exist")
        unsupported = here & exists & ~supported
        if unsupported.any():
            detail = pl.Series(msg_type[unsupported]).cast(pl.String)
            self.reject(m.first_pos[unsupported], RejectReason.UNSUPPORTED_TYPE, "message type " + detail)
            for t, count in enumerate(np.bincount(msg_type[unsupported], minlength=64)):
                if count:
                    self.counts[f"unsupported_type.{t}"] += int(count)
        min_bits = _MIN_BITS[msg_type]
        short = here & supported & (m.nbits < min_bits)
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
        usable = here & supported & (m.nbits >= min_bits)

        # Base stations first: their clocks may date the other messages.
        stations = self._group(payloads, usable & (msg_type == 4), ais.decode_base_stations)
        station_time = np.full(n, -1, dtype=np.int64)
        if stations.message.size:
            cols = stations.columns
            epoch, ok = civil_to_epoch_us(
                *(np.asarray(cols[k], dtype=np.int64) for k in ("year", "month", "day", "hour", "minute", "second"))
            )
            ok &= (epoch >= self.config.min_valid_time_s * US_PER_S) & (epoch < MAX_VALID_TIME_US)
            ok &= stations.invalid == 0
            station_time[stations.message[ok]] = epoch[ok]
            stations.columns["station_time"] = np.where(ok, epoch, -1)

        timestamp, time_source = self._resolve_times(m, header_time, station_time)
        receiver_code = np.where(m.tag_receiver >= 0, m.tag_receiver, header_receiver)
        receiver_class = self._receiver_class(receiver_code, header_satellite, m.talker)
        if not self.final:
            # Undated messages with no clock report before them may take the first one
            # of the next chunk ("before the first clock, the first"): they wait for it.
            last_line = int(self.line_no[-1]) if self.line_no.size else 0
            near_end = self.line_no[m.first_pos] > last_line - self.config.base_station_time_max_lines
            waiting = usable & (timestamp < 0) & ~self.clock_before & near_end
            deferred |= waiting
            usable &= ~waiting
        self._defer(deferred, m)
        no_time = usable & (timestamp < 0)
        self.reject(
            m.first_pos[no_time],
            RejectReason.MISSING_TIMESTAMP,
            "nothing in the data dates this message; pass --default-time",
        )
        usable &= ~no_time
        dated = time_source[usable & (time_source >= 0)]
        for code, count in enumerate(np.bincount(dated, minlength=len(TIME_SOURCES))):
            self.counts[f"time_source.{TIME_SOURCES[code]}"] += int(count)

        context = _MessageContext(
            timestamp=timestamp,
            receiver_code=receiver_code,
            receiver_class=receiver_class,
            msg_type=msg_type,
            line=self.line_no[m.first_pos],
        )
        stations = stations.subset(timestamp[stations.message] >= 0)
        groups = {
            "class_a": self._group(payloads, usable & (msg_type >= 1) & (msg_type <= 3), ais.decode_class_a_positions),
            "class_b": self._group(
                payloads, usable & ((msg_type == 18) | (msg_type == 19)), ais.decode_class_b_positions
            ),
            "long_range": self._group(payloads, usable & (msg_type == 27), ais.decode_long_range_positions),
            "static_a": self._group(payloads, usable & (msg_type == 5), ais.decode_static_voyage),
            "static_19": self._group(payloads, usable & (msg_type == 19), ais.decode_class_b_extended_static),
            "static_24": self._group(payloads, usable & (msg_type == 24), ais.decode_class_b_static),
            "aids": self._group(payloads, usable & (msg_type == 21), ais.decode_aids_to_navigation),
            "stations": stations,
        }
        self._reject_invalid(m, list(groups.values()))
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
        for t, count in enumerate(np.bincount(msg_type[usable], minlength=64)):
            if count:
                self.counts[f"messages.type_{t}"] += int(count)
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

    def _reject_invalid(self, m: _Messages, groups: list[ais.Decoded]) -> None:
        """Refuse messages with an invalid field, once each, and drop all their rows.

        A type 19 message feeds two groups (its position and its static half): an
        invalid field found by either refuses the whole message, with one reject.
        """
        refused = np.zeros(m.first_pos.size, dtype=bool)
        for decoded in groups:
            bad = decoded.invalid != 0
            new = bad & ~refused[decoded.message]
            if new.any():
                codes = decoded.invalid[new]
                labels = pl.Series(ais.INVALID_FIELDS, dtype=pl.String).gather(codes)
                mmsi = pl.Series(np.asarray(decoded.columns["mmsi"])[new]).cast(pl.String)
                detail = pl.select(
                    pl.when(labels == "mmsi").then("invalid mmsi " + mmsi).otherwise("invalid " + labels)
                ).to_series()
                self.reject(m.first_pos[decoded.message[new]], RejectReason.INVALID_FIELD, detail)
            refused[decoded.message[bad]] = True
        if refused.any():
            for decoded in groups:
                keep = ~refused[decoded.message]
                if not keep.all():
                    decoded.keep(keep)

    def _frame(self, decoded: ais.Decoded, context: _MessageContext, transponder: str | None) -> pl.DataFrame:
        index = decoded.message
        columns: dict[str, object] = {
            "timestamp": pl.Series(context.timestamp[index]).cast(pl.Datetime("us", "UTC")),
            "msg_type": context.msg_type[index].astype(np.int8),
            "source_line": context.line[index],
        }
        columns.update(decoded.columns)
        frame = pl.DataFrame(columns, nan_to_null=True)
        # Low-cardinality text columns: a literal when one value covers the batch
        # (most files come from one receiver network), else a lookup.
        classes = context.receiver_class[index]
        codes = context.receiver_code[index]
        names = self.decoder._receivers.names
        frame = frame.with_columns(
            _lookup(RECEIVER_CLASSES, classes, "receiver_class"),
            _lookup(names, codes, "receiver_id"),
            pl.lit(transponder, dtype=pl.String).alias("transponder_class"),
        )
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
        by_first = np.argsort(m.first_pos, kind="stable")
        by_last = np.argsort(m.last_pos, kind="stable")
        nxt = np.searchsorted(m.first_pos[by_first], headers.pos, side="right")
        prv = np.searchsorted(m.last_pos[by_last], headers.pos, side="left") - 1
        nxt_ok = nxt < n
        prv_ok = prv >= 0
        nxt_c = by_first[np.minimum(nxt, n - 1)]
        prv_c = by_last[np.maximum(prv, 0)]
        # "00" is what Gatehouse writes when it computed no checksum (own-ship VDO).
        no_checksum = headers.checksum <= 0
        to_next = nxt_ok & (no_checksum | (m.checksum[nxt_c] == headers.checksum))
        to_prev = ~to_next & prv_ok & ~no_checksum & (m.checksum[prv_c] == headers.checksum)
        if not self.final:
            # A header after the chunk's last message may announce a message of the
            # next chunk: it takes the previous message only if that one has no
            # header of its own; otherwise it is carried into the next chunk.
            claimed = np.zeros(n, dtype=bool)
            claimed[nxt_c[to_next]] = True
            to_prev &= nxt_ok | ~claimed[prv_c]
        target = np.where(to_next, nxt_c, np.where(to_prev, prv_c, -1))
        linked = target >= 0
        # Headers are in line order; when two claim one message the later one wins,
        # which is the one right before it.
        time_us[target[linked]] = headers.time_us[linked]
        receiver[target[linked]] = headers.receiver[linked]
        satellite[target[linked]] = headers.satellite[linked]
        self.header_linked = linked
        return time_us, receiver, satellite

    def _resolve_times(self, m: _Messages, header_time: I64, station_time: I64) -> tuple[I64, npt.NDArray[np.int8]]:
        """Each message's time from the best source it has; see the module docstring."""
        n = m.first_pos.size
        lo = int(self.config.min_valid_time_s * US_PER_S)
        candidates = [m.tag_time_us, header_time, m.prefix_time_us, m.trailing_time_us]
        timestamp = np.full(n, -1, dtype=np.int64)
        source = np.full(n, -1, dtype=np.int8)
        for code, values in enumerate(candidates):
            valid = (values >= lo) & (values < MAX_VALID_TIME_US)
            if not valid.any():
                continue
            take = valid & (timestamp < 0)
            timestamp[take] = values[take]
            source[take] = code

        # The stream's own clock: receiver ZDA sentences and base-station (type 4)
        # reports, and those carried from earlier chunks, ordered by line; a message
        # takes the latest one at or before its line (before the first, the first),
        # within base_station_time_max_lines lines.
        has_station = station_time >= 0
        carry = self.decoder.carry
        event_line = np.concatenate(
            [carry.clock_lines, self.line_no[self.clock_pos], self.line_no[m.first_pos[has_station]]]
        )
        event_time = np.concatenate([carry.clock_times_us, self.clock_time_us, station_time[has_station]])
        event_kind = np.concatenate(
            [
                carry.clock_kinds,
                np.full(self.clock_pos.size, TIME_SOURCES.index("receiver_clock")),
                np.full(int(has_station.sum()), TIME_SOURCES.index("base_station")),
            ]
        )
        plausible = (event_time >= lo) & (event_time < MAX_VALID_TIME_US)
        order = np.argsort(event_line[plausible], kind="stable")
        event_line = event_line[plausible][order]
        event_time = event_time[plausible][order]
        event_kind = event_kind[plausible][order]
        undated = np.flatnonzero(timestamp < 0)
        self.clock_before = np.ones(n, dtype=bool)  # has a clock report at or before its line
        if undated.size:
            message_line = self.line_no[m.first_pos[undated]]
            before = np.searchsorted(event_line, message_line, side="right") - 1
            self.clock_before[undated] = before >= 0
        if event_line.size and undated.size:
            after = np.minimum(before + 1, event_line.size - 1)
            use = np.where(before >= 0, before, after)
            fresh = np.abs(message_line - event_line[use]) <= self.config.base_station_time_max_lines
            timestamp[undated[fresh]] = event_time[use[fresh]]
            source[undated[fresh]] = event_kind[use[fresh]]
        self.clock_events = (event_line, event_time, event_kind)
        if self.decoder.default_time_us is not None:
            take = timestamp < 0
            timestamp[take] = self.decoder.default_time_us
            source[take] = TIME_SOURCES.index("default")
        return timestamp, source

    def _unclaimed_at_end(self, m: _Messages, headers: _Headers, header_time: I64) -> Mask:
        """Messages after the last ``$PGHP`` header of a non-final chunk that none claims.

        Some satellite files put the header after its message, so a message at the end
        of a chunk may be claimed by a header at the start of the next one.
        """
        if self.final or headers.pos.size == 0:
            return np.zeros(m.first_pos.size, dtype=bool)
        # A header follows its message within a line or two in those files.
        last_lines = m.last_pos >= self.starts.size - HEADER_FOLLOW_LINES
        result: Mask = last_lines & (m.first_pos > headers.pos.max()) & (header_time < 0)
        return result

    def _defer(self, deferred: Mask, m: _Messages) -> None:
        """Carry the lines of deferred messages into the next chunk, undecoded."""
        if not deferred.any():
            return
        index = np.flatnonzero(deferred)
        singles = index[index < self.n_singles]
        self.carry_line[m.first_pos[singles]] = True
        assembled = np.isin(self.fragment_message, index)
        self.carry_line[self.fragment_pos[assembled]] = True
        self.counts["fragments_joined"] -= int(assembled.sum())  # joined again next chunk

    def _receiver_class(self, codes: I64, header_satellite: Mask, talker: I64) -> npt.NDArray[np.int8]:
        """Index into :data:`RECEIVER_CLASSES` of each message's receiver class."""
        names = self.decoder._receivers.names
        satellite_names = np.array([bool(self.decoder._satellite.search(name)) for name in names] + [False])
        is_satellite = header_satellite | satellite_names[np.where(codes >= 0, codes, len(names))]
        is_terrestrial = ~is_satellite & np.isin(talker, self.decoder._terrestrial_talkers)
        result = np.zeros(codes.size, dtype=np.int8)
        result[is_satellite] = RECEIVER_CLASSES.index("satellite")
        result[is_terrestrial] = RECEIVER_CLASSES.index("terrestrial")
        return result

    def _carry_over(self, headers: _Headers, m: _Messages) -> None:
        """Hold back waiting fragments and trailing headers for the next chunk."""
        unmatched = ~self.header_linked
        if not self.final and headers.pos.size:
            waiting = unmatched & (headers.pos > m.last_pos.max(initial=-1))
            self.carry_line[headers.pos[waiting]] = True
            unmatched &= ~waiting
        self.counts["headers.unmatched"] += int(unmatched.sum())
        if self.final:
            return
        # Clock reports that can still date a line of the next chunks: lines carried
        # over lie at most max_group_line_gap lines back.
        event_line, event_time, event_kind = self.clock_events
        last_line = int(self.line_no[-1]) if self.line_no.size else 0
        horizon = self.config.base_station_time_max_lines + self.config.max_group_line_gap
        recent = event_line >= last_line - horizon
        recent[-1:] = True  # the last report, even stale, tells that there was one
        self.next_carry.clock_lines = event_line[recent]
        self.next_carry.clock_times_us = event_time[recent]
        self.next_carry.clock_kinds = event_kind[recent]
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

    def take(self, index: I64) -> _Sentences:
        return _Sentences(*(getattr(self, name)[index] for name in self.__slots__))


def _concat_sentences(a: _Sentences, b: _Sentences) -> _Sentences:
    return _Sentences(*(np.concatenate([getattr(a, name), getattr(b, name)]) for name in _Sentences.__slots__))


@dataclass(slots=True)
class _MessageContext:
    timestamp: I64
    receiver_code: I64
    receiver_class: npt.NDArray[np.int8]
    msg_type: I64
    line: I64


def _lookup(values: Sequence[str], codes: npt.NDArray[np.integer], name: str) -> pl.Expr | pl.Series:
    """Strings ``values[code]`` (null for a negative code), as a literal when all agree."""
    if codes.size == 0 or not values:
        return pl.lit(None, dtype=pl.String).alias(name)
    low, high = int(codes.min()), int(codes.max())
    if low == high:
        return pl.lit(values[low] if low >= 0 else None, dtype=pl.String).alias(name)
    table = pl.Series(name, [*values, None], dtype=pl.String)
    return table.gather(np.where(codes >= 0, codes, len(values)))


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
