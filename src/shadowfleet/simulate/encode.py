"""Vectorised AIS encoding: messages 1/3, 5, 18 and 24 as NMEA 0183 sentences with tag blocks.

Bit layouts follow ITU-R M.1371-5 (and the field names of its tables). Fields are
packed into 64-bit words, one array operation per field for all messages, armoured
six bits to a character, and wrapped into ``!AIVDM``/``!BSVDM`` sentences whose
checksums are XORs computed per component, never per line in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.ingest.byteops import matrix_strings

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

NOT_AVAILABLE_HEADING: Final = 511
NOT_AVAILABLE_ROT: Final = -128


class _Bits:
    """Messages under construction: each row's bits packed most significant first into 64-bit words.

    Eight bytes per 64 bits of message (a bit matrix would take 64): writing the fields
    of ten million messages stays within a few hundred megabytes.
    """

    def __init__(self, n: int, total_bits: int) -> None:
        self.total = total_bits
        self.words = np.zeros((n, total_bits // 64 + 2), dtype=np.uint64)  # a spare word for the fill
        self.at = 0

    def put(self, values: npt.NDArray[np.integer] | int, width: int) -> None:
        """Append a field of ``width`` bits (two's complement for negative values)."""
        masked = (np.asarray(values, dtype=np.int64) & ((1 << width) - 1)).astype(np.uint64)
        word, offset = divmod(self.at, 64)
        if offset + width <= 64:
            self.words[:, word] |= masked << np.uint64(64 - offset - width)
        else:
            spill = offset + width - 64
            self.words[:, word] |= masked >> np.uint64(spill)
            self.words[:, word + 1] |= masked << np.uint64(64 - spill)
        self.at += width

    def text(self, text: pl.Series, n_chars: int) -> None:
        """Append six-bit AIS text, upper-cased and padded with '@' to ``n_chars``."""
        upper = text.fill_null("").str.to_uppercase().str.slice(0, n_chars).str.pad_end(n_chars, "@")
        raw = np.frombuffer("".join(upper.to_list()).encode("ascii", "replace"), dtype=np.uint8)
        codes = raw.reshape(-1, n_chars).astype(np.int64)
        codes = np.where((codes < 32) | (codes > 95), ord("?"), codes)
        six = np.where(codes >= 64, codes - 64, codes)
        for k in range(n_chars):
            self.put(six[:, k], 6)

    def armour(self) -> tuple[U8, int]:
        """Payload characters (padded to whole characters) and the number of fill bits."""
        assert self.at == self.total, f"{self.at} bits written of {self.total}"
        n_chars = -(-self.total // 6)
        chars = np.empty((self.words.shape[0], n_chars), dtype=np.uint8)
        for g in range(n_chars):
            word, offset = divmod(6 * g, 64)
            if offset <= 58:
                six = self.words[:, word] >> np.uint64(58 - offset)
            else:
                spill = offset - 58
                six = (self.words[:, word] << np.uint64(spill)) | (self.words[:, word + 1] >> np.uint64(64 - spill))
            value = (six & np.uint64(63)).astype(np.uint8)
            # Values 0-39 map to '0'..'W', 40-63 to '`'..'w' (the alphabet skips 'X'..'_').
            chars[:, g] = value + np.where(value < 40, 48, 56).astype(np.uint8)
        return chars, n_chars * 6 - self.total


def position_payloads(frame: pl.DataFrame, rng: np.random.Generator) -> U8:
    """Payloads (n × 28 characters) of position reports: message 1/3 (class A) or 18 (class B).

    ``frame`` columns: ``msg_type``, ``mmsi``, ``nav_status``, ``sog_kn``, ``lon``,
    ``lat``, ``cog_deg``, ``heading_deg``, ``timestamp``.
    """
    n = frame.height
    msg_type = frame["msg_type"].to_numpy().astype(np.int64)
    class_b = msg_type == 18
    second = frame["timestamp"].dt.second().to_numpy().astype(np.int64)
    sog = np.minimum(np.round(frame["sog_kn"].to_numpy() * 10), 1022).astype(np.int64)
    lon = np.round(frame["lon"].to_numpy() * 600_000).astype(np.int64)
    lat = np.round(frame["lat"].to_numpy() * 600_000).astype(np.int64)
    cog = np.round(frame["cog_deg"].to_numpy() * 10).astype(np.int64) % 3600
    heading = np.where(class_b, NOT_AVAILABLE_HEADING, frame["heading_deg"].to_numpy().astype(np.int64))
    status = frame["nav_status"].to_numpy().astype(np.int64)
    mmsi = frame["mmsi"].to_numpy()
    chars = np.zeros((n, 28), dtype=np.uint8)
    for is_b in (False, True):
        rows = np.flatnonzero(class_b == is_b)
        if rows.size == 0:
            continue
        bits = _Bits(rows.size, 168)
        bits.put(msg_type[rows], 6)
        bits.put(0, 2)  # repeat indicator
        bits.put(mmsi[rows], 30)
        if is_b:
            bits.put(0, 8)  # reserved
        else:
            bits.put(status[rows], 4)
            bits.put(NOT_AVAILABLE_ROT, 8)
        bits.put(sog[rows], 10)
        bits.put(1, 1)  # position accuracy: high (DGNSS)
        bits.put(lon[rows], 28)
        bits.put(lat[rows], 27)
        bits.put(cog[rows], 12)
        bits.put(heading[rows], 9)
        bits.put(second[rows], 6)
        if is_b:
            # Reserved 2; CS unit, no display, no DSC, whole band, no message 22,
            # autonomous mode (1 bit each); RAIM 0; radio status 20.
            bits.put(0, 2)
            bits.put(0b1001000, 7)
            bits.put(0, 1)
            bits.put(rng.integers(0, 1 << 20, rows.size), 20)
        else:
            bits.put(0, 6)  # manoeuvre 2, spare 3, RAIM 1
            bits.put(rng.integers(0, 1 << 19, rows.size), 19)  # SOTDMA radio status
        chars[rows] = bits.armour()[0]
    return chars


@dataclass(frozen=True)
class StaticPayloads:
    """Payloads of static reports.

    Attributes:
        chars: Payload characters, one row per sentence.
        fill: Fill bits of each sentence.
        count: Sentences in the message of each sentence.
        number: Number of each sentence within its message (1-based).
        row: Row of the static report each sentence belongs to.
    """

    chars: U8
    fill: I64
    count: I64
    number: I64
    row: I64


def static_payloads(frame: pl.DataFrame) -> StaticPayloads:
    """Message 5 (class A, two sentences) or 24 parts A and B (class B) of static reports.

    ``frame`` columns: ``mmsi``, ``imo``, ``call_sign``, ``name``, ``ship_type``,
    ``to_bow_m``, ``to_stern_m``, ``to_port_m``, ``to_starboard_m``, ``eta``,
    ``draught_m``, ``destination``, ``transponder_class``.
    """
    n = frame.height
    class_b = (frame["transponder_class"] == "B").to_numpy()
    mmsi = frame["mmsi"].to_numpy()
    ship_type = frame["ship_type"].to_numpy().astype(np.int64)
    dims = [frame[c].to_numpy().astype(np.int64) for c in ("to_bow_m", "to_stern_m", "to_port_m", "to_starboard_m")]
    eta = frame["eta"]
    eta_month = eta.dt.month().fill_null(0).to_numpy().astype(np.int64)
    eta_day = eta.dt.day().fill_null(0).to_numpy().astype(np.int64)
    eta_hour = eta.dt.hour().fill_null(24).to_numpy().astype(np.int64)
    eta_minute = eta.dt.minute().fill_null(60).to_numpy().astype(np.int64)
    draught = np.minimum(np.round(frame["draught_m"].fill_null(0.0).to_numpy() * 10), 255).astype(np.int64)
    imo = frame["imo"].fill_null(0).to_numpy()
    type5 = _Bits(n, 424)
    for values, width in ((5, 6), (0, 2), (mmsi, 30), (0, 2), (imo, 30)):
        type5.put(values, width)
    type5.text(frame["call_sign"], 7)
    type5.text(frame["name"], 20)
    for values, width in (
        (ship_type, 8), (dims[0], 9), (dims[1], 9), (dims[2], 6), (dims[3], 6), (1, 4),  # EPFD: GPS
        (eta_month, 4), (eta_day, 5), (eta_hour, 5), (eta_minute, 6), (draught, 8),
    ):  # fmt: skip
        type5.put(values, width)
    type5.text(frame["destination"], 20)
    type5.put(0, 2)  # DTE ready, spare
    part_a = _Bits(n, 160)
    for values, width in ((24, 6), (0, 2), (mmsi, 30), (0, 2)):
        part_a.put(values, width)
    part_a.text(frame["name"], 20)
    part_b = _Bits(n, 168)
    for values, width in ((24, 6), (0, 2), (mmsi, 30), (1, 2), (ship_type, 8), (0, 42)):
        part_b.put(values, width)
    part_b.text(frame["call_sign"], 7)
    for values, width in ((dims[0], 9), (dims[1], 9), (dims[2], 6), (dims[3], 6), (0, 6)):
        part_b.put(values, width)
    five, five_fill = type5.armour()  # 424 bits: 71 characters, 2 fill bits
    a_chars, a_fill = part_a.armour()  # 160 bits: 27 characters, 2 fill bits
    b_chars, _ = part_b.armour()  # 168 bits: 28 characters
    width = 60
    a_rows = np.flatnonzero(~class_b)
    b_rows = np.flatnonzero(class_b)
    chunks: list[tuple[U8, int, int, int, I64]] = [
        (five[a_rows, :60], 0, 2, 1, a_rows),
        (five[a_rows, 60:], five_fill, 2, 2, a_rows),
        (a_chars[b_rows], a_fill, 1, 1, b_rows),
        (b_chars[b_rows], 0, 1, 1, b_rows),
    ]
    chars = np.zeros((sum(c[0].shape[0] for c in chunks), width), dtype=np.uint8)
    fill, count, number, row = [], [], [], []
    at = 0
    for block, fill_bits, n_sentences, sentence, rows in chunks:
        chars[at : at + block.shape[0], : block.shape[1]] = block
        fill.append(np.full(block.shape[0], fill_bits))
        count.append(np.full(block.shape[0], n_sentences))
        number.append(np.full(block.shape[0], sentence))
        row.append(rows)
        at += block.shape[0]
    return StaticPayloads(
        chars, np.concatenate(fill), np.concatenate(count), np.concatenate(number), np.concatenate(row)
    )


def _xor_of_text(series: pl.Series) -> I64:
    """XOR of the bytes of each string (small vocabularies: computed once per distinct value)."""
    unique = series.unique()
    table = {value: _xor_bytes(value.encode("ascii")) for value in unique.to_list()}
    result: I64 = series.replace_strict(table, return_dtype=pl.Int64).to_numpy()
    return result


def _xor_bytes(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def _xor_digits(values: I64, n_digits: int) -> I64:
    digits = (values[:, None] // (10 ** np.arange(n_digits - 1, -1, -1))) % 10 + 48
    result: I64 = np.bitwise_xor.reduce(digits, axis=1)
    return result


HEX: Final = np.array(list("0123456789ABCDEF"))


def _hex(values: I64) -> pl.Series:
    return pl.Series(np.char.add(HEX[values >> 4], HEX[values & 0xF]))


def sentences(
    chars: U8,
    width: I64,
    fill: I64,
    count: I64,
    number: I64,
    sequence: I64,
    talker: pl.Series,
    channel: pl.Series,
    source: pl.Series,
    epoch_s: I64,
) -> pl.Series:
    r"""NMEA sentences with tag blocks: ``\s:SOURCE,c:EPOCH*hh\!AIVDM,...*hh``.

    Args:
        chars: Payload characters per sentence (padded rows).
        width: Payload length of each sentence.
        fill: Fill bits.
        count: Sentences in the message.
        number: Number of this sentence.
        sequence: Sequential message id for multi-sentence messages (-1 for none).
        talker: ``AI`` or ``BS``.
        channel: ``A`` or ``B``.
        source: Receiver name for the tag block.
        epoch_s: Reception time, Unix seconds (ten digits).
    """
    n = chars.shape[0]
    if n == 0:
        return pl.Series("line", [], dtype=pl.String)
    column = np.arange(chars.shape[1])
    payload_mask = column[None, :] < width[:, None]
    payload_xor = np.bitwise_xor.reduce(np.where(payload_mask, chars, 0).astype(np.int64), axis=1)
    sequence_text = pl.Series(np.where(sequence >= 0, sequence.astype(str), ""))
    # "AIVDM,c,n,s,ch,payload,f" holds six commas, whose XOR cancels out.
    body_xor = (
        _xor_of_text(talker)
        ^ _xor_bytes(b"VDM")
        ^ (count + 48)
        ^ (number + 48)
        ^ _xor_of_text(sequence_text)
        ^ _xor_of_text(channel)
        ^ payload_xor
        ^ (fill + 48)
    )
    tag_xor = _xor_bytes(b"s:") ^ _xor_of_text(source) ^ _xor_bytes(b",c:") ^ _xor_digits(epoch_s, 10)
    payload = matrix_strings(chars, np.zeros(n, np.int64), width)
    frame = pl.DataFrame(
        {
            "source": source,
            "epoch": pl.Series(epoch_s).cast(pl.String),
            "tag_cs": _hex(tag_xor),
            "talker": talker,
            "count": pl.Series(count).cast(pl.String),
            "number": pl.Series(number).cast(pl.String),
            "sequence": sequence_text,
            "channel": channel,
            "payload": payload,
            "fill": pl.Series(fill).cast(pl.String),
            "cs": _hex(body_xor),
        }
    )
    return frame.select(
        pl.concat_str(
            pl.lit("\\s:"),
            "source",
            pl.lit(",c:"),
            "epoch",
            pl.lit("*"),
            "tag_cs",
            pl.lit("\\!"),
            "talker",
            pl.lit("VDM,"),
            "count",
            pl.lit(","),
            "number",
            pl.lit(","),
            "sequence",
            pl.lit(","),
            "channel",
            pl.lit(","),
            "payload",
            pl.lit(","),
            "fill",
            pl.lit("*"),
            "cs",
        ).alias("line")
    )["line"]
