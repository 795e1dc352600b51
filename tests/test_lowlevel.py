"""Vectorised building blocks: byte ranges, numbers, checksums, calendar, six-bit text."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowfleet.ingest import ais, framing
from shadowfleet.ingest.byteops import PAD, gather_ranges, matrix_strings, range_strings
from shadowfleet.ingest.timeconv import civil_to_epoch_us, epoch_number_to_us


def padded(text: bytes) -> np.ndarray:
    buf = np.zeros(len(text) + PAD, dtype=np.uint8)
    buf[: len(text)] = np.frombuffer(text, dtype=np.uint8)
    return buf


@given(st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=30))
def test_gather_ranges(pieces: list[bytes]) -> None:
    text = b"#".join(pieces) + b"\n"
    buf = padded(text)
    starts = np.cumsum([0] + [len(p) + 1 for p in pieces[:-1]]).astype(np.int64)
    ends = starts + np.array([len(p) for p in pieces], dtype=np.int64)
    data, bounds = gather_ranges(buf, starts, ends)
    assert data.tobytes() == b"".join(pieces)
    assert np.diff(bounds).tolist() == [len(p) for p in pieces]


def test_range_and_matrix_strings() -> None:
    buf = padded(b"a,b*c|d,e|\n")
    starts = np.array([0, 6], dtype=np.int64)
    ends = np.array([5, 9], dtype=np.int64)
    assert range_strings(buf, starts, ends).to_list() == ["a,b*c", "d,e"]
    assert range_strings(padded(b"\xff\xfe ok"), np.array([0]), np.array([5])).to_list() == ["\ufffd\ufffd ok"]
    chars = np.frombuffer(b"ABCDEFGH", dtype=np.uint8).reshape(2, 4)
    assert matrix_strings(chars, np.array([1, 0]), np.array([3, 0])).to_list() == ["BC", ""]


def test_civil_time_conversion_matches_python() -> None:
    cases = [(2020, 2, 29, 23, 59, 59), (1970, 1, 1, 0, 0, 0), (2100, 12, 31, 12, 0, 0), (2001, 3, 1, 0, 0, 1)]
    arrays = [np.array(c, dtype=np.int64) for c in zip(*cases, strict=True)]
    epoch, valid = civil_to_epoch_us(*arrays)
    assert valid.all()
    assert epoch.tolist() == [int(datetime(*c, tzinfo=UTC).timestamp()) * 1_000_000 for c in cases]
    invalid = [np.array([v], dtype=np.int64) for v in (2019, 2, 29, 0, 0, 0)]
    assert not civil_to_epoch_us(*invalid)[1][0]  # 29 February 2019 does not exist
    assert epoch_number_to_us(np.array([1.5, 1e12, np.nan]), 1e11).tolist() == [1_500_000, 1_000_000_000_000_000, -1]


def test_imo_check_digit() -> None:
    numbers = np.array([9323340, 9323341, 7702774, 1234567, 0, 99999999], dtype=np.int64)
    assert ais.imo_check_digit_ok(numbers).tolist() == [True, False, True, True, False, False]


def test_coordinates_round_like_python() -> None:
    raw = np.array([-74_042_940, 1, -1, 23_426_640, 108_600_000], dtype=np.int64)
    degrees = ais.lat_lon_degrees(raw, 600_000)
    assert degrees.tolist() == [round(v / 600_000, 6) for v in raw.tolist()]


@given(st.lists(st.integers(min_value=-(2**27), max_value=2**27 - 1), min_size=1, max_size=50))
def test_coordinate_rounding_is_exact_for_any_raw_value(values: list[int]) -> None:
    raw = np.array(values, dtype=np.int64)
    assert ais.lat_lon_degrees(raw, 600_000).tolist() == [round(v / 600_000, 6) for v in values]


def test_six_bit_alphabet_and_validity() -> None:
    alphabet = bytes(range(48, 88)) + bytes(range(96, 120))
    values = ais.six_bit(np.frombuffer(alphabet, dtype=np.uint8))
    assert values.tolist() == list(range(64))
    everything = np.arange(256, dtype=np.uint8)
    invalid = ais.invalid_armour(everything)
    assert set(np.flatnonzero(~invalid).tolist()) == set(alphabet)


@pytest.mark.parametrize(
    ("line", "kind", "status"),
    [
        (b"", framing.BLANK, framing.OK),
        (b"# note", framing.COMMENT, framing.OK),
        (b"$GPGGA,1,2*00", framing.OTHER, framing.OK),
        (b"no sentence here", framing.NO_SENTENCE, framing.OK),
        (b"\\c:1*00!AIVDM", framing.TAG_UNCLOSED, framing.OK),
        (b"!AIVDM,1,1,,A,13aDo8?P000C>N0MkuH00001P000,0*41", framing.VDM, framing.BAD_CHECKSUM),
        (b"!AIVDM,1,1,,A,13aDo8?P000C>N0MkuH00001P000,0*4G", framing.VDM, framing.HEX_INVALID),
        (b"!AIVDM,1,1,,A,13aDo8?P000C>N0MkuH00001P000,0", framing.VDM, framing.NO_CHECKSUM),
        (b"$PGHP,1,2010,13,11,11,46,11,390,219,45,1,1,2B*5B", framing.GATEHOUSE, framing.BAD_CHECKSUM),
    ],
)
def test_framing_kinds_and_statuses(line: bytes, kind: int, status: int) -> None:
    framed = framing.frame_lines(padded(line + b"\n"), len(line) + 1)
    assert (int(framed.kind[0]), int(framed.status[0])) == (kind, status)


def test_framing_fields_of_a_tagged_sentence_with_trailing_fields() -> None:
    line = (
        b"\\g:1-2-3985,s:rEV02,c:1334337317*2D\\"
        b"!AIVDM,2,1,9,B,58KvN<42ACikUKW77F1H4hF0<PTp622222222216`0`cF5BF0RT13H0T,0*70,1327992119173"
    )
    framed = framing.frame_lines(padded(line + b"\n"), len(line) + 1)
    assert framed.kind[0] == framing.VDM and framed.status[0] == framing.OK
    assert (framed.total[0], framed.number[0], framed.seq[0], framed.channel[0]) == (2, 1, 9, ord("B"))
    assert framed.tag_time[0] == 1334337317 and framed.tag_group[0] == 3985
    assert line[framed.tag_source_start[0] : framed.tag_source_end[0]] == b"rEV02"
    assert framed.trailing[0] == 1327992119173
    assert framed.tag_checksum[0] == framing.TAG_GOOD
    assert line[framed.pstart[0] : framed.pstart[0] + framed.plen[0]].startswith(b"58KvN")
