"""Behaviour of the NMEA decoder: assembly, timestamps, receivers, rejects, chunking."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from shadowfleet.config import IngestConfig
from shadowfleet.ingest.nmea import NmeaDecoder, read_nmea_lines
from tests.conftest import NMEA, read_bytes
from tests.nmea_builders import (
    DEFAULT_TIME_US,
    checksum,
    header,
    lines,
    payloads,
    position,
    sentence,
    static_voyage,
    zda,
)


def decode(*items: str, **kwargs: object) -> object:
    kwargs.setdefault("default_time_us", DEFAULT_TIME_US)
    return read_nmea_lines(lines(*items), **kwargs)  # type: ignore[arg-type]


def reasons(batch: object) -> dict[str, int]:
    frame = batch.rejects  # type: ignore[attr-defined]
    return dict(frame.group_by("reason").len().iter_rows())


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# ---------------------------------------------------------------- multi-sentence
def two_part(seq: str = "3", channel: str = "A", mmsi: int = 244660000, **kw: object) -> list[str]:
    (p1, f1), (p2, f2) = static_voyage(mmsi)
    return [
        sentence(p1, f1, total=2, number=1, seq=seq, channel=channel, **kw),  # type: ignore[arg-type]
        sentence(p2, f2, total=2, number=2, seq=seq, channel=channel, **kw),  # type: ignore[arg-type]
    ]


def test_two_sentence_message_is_assembled() -> None:
    batch = decode(*two_part())
    statics = batch.statics
    assert statics.height == 1
    row = statics.row(0, named=True)
    assert (row["name"], row["call_sign"], row["imo"], row["destination"]) == ("TARGALE", "V7LN9", 9323340, "NEW YORK")
    assert (row["length_m"], row["beam_m"], row["draught_m"], row["ship_type"]) == (195.0, 32.0, 12.5, 80)
    assert row["source_line"] == 1
    assert batch.rejects.height == 0


def test_interleaved_messages_are_kept_apart_by_sequence_id_and_channel() -> None:
    a = two_part(seq="1", mmsi=111111111)
    b = two_part(seq="2", mmsi=222222222)
    c = two_part(seq="1", channel="B", mmsi=333333333)
    batch = decode(a[0], b[0], c[0], sentence(position(mmsi=444444444)), c[1], a[1], b[1])
    assert sorted(batch.statics["mmsi"].to_list()) == [111111111, 222222222, 333333333]
    assert batch.positions["mmsi"].to_list() == [444444444]
    assert batch.rejects.height == 0


def test_tag_block_groups_join_fragments_without_sequence_id() -> None:
    (p1, f1), (p2, f2) = static_voyage(555555555)
    first = sentence(p1, f1, total=2, number=1, tag="g:1-2-4567,s:rORBCOMM008,c:1418169601")
    other = sentence(position(mmsi=666666666), tag="c:1418169602")
    second = sentence(p2, f2, total=2, number=2, tag="g:2-2-4567")
    batch = decode(first, other, second)
    assert batch.statics["mmsi"].to_list() == [555555555]
    row = batch.statics.row(0, named=True)
    assert row["timestamp"] == utc(2014, 12, 10, 0, 0, 1)
    assert row["receiver_class"] == "satellite"
    assert row["receiver_id"] == "rORBCOMM008"


def test_lone_second_fragment_is_an_orphan() -> None:
    _, second = two_part()
    batch = decode(second, sentence(position()))
    assert reasons(batch) == {"orphan_fragment": 1}
    assert batch.positions.height == 1


def test_repeated_first_fragment_keeps_the_complete_message() -> None:
    first, second = two_part()
    batch = decode(first, first, second)
    assert batch.statics.height == 1
    assert reasons(batch) == {"orphan_fragment": 1}
    assert batch.rejects["line_number"].to_list() == [1]


def test_fragments_too_far_apart_are_not_joined() -> None:
    first, second = two_part()
    filler = [sentence(position(mmsi=200000000 + i)) for i in range(5)]
    config = IngestConfig(max_fragment_line_gap=3)
    batch = decode(first, *filler, second, config=config)
    assert batch.statics.height == 0
    assert reasons(batch) == {"orphan_fragment": 2}


# ---------------------------------------------------------------- bad lines
def test_bad_checksum_is_rejected_and_counted() -> None:
    good = sentence(position())
    bad = good[:-2] + ("00" if good[-2:] != "00" else "01")
    batch = decode(bad, good)
    assert reasons(batch) == {"bad_checksum": 1}
    assert batch.rejects.row(0, named=True)["raw"] == bad
    assert batch.positions.height == 1


def test_lower_case_checksum_is_accepted() -> None:
    text = sentence(position())
    batch = decode(text[:-2] + text[-2:].lower())
    assert batch.positions.height == 1


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        ("!AIVDM,1,1,,A,13aDo8?P000C>N0MkuH", "no checksum field"),  # truncated
        ("\\c:1565218798*53!AIVDM,1,1,,A,13aDo8?P000C>N0MkuH00001P000,0*40", "tag block not closed"),
        ("\x00\x17\x88garbage\xff", "no NMEA sentence"),
    ],
)
def test_malformed_lines_are_rejected_with_a_reason(line: str, detail: str) -> None:
    batch = read_nmea_lines(
        line.encode("latin-1") + b"\n" + lines(sentence(position())), default_time_us=DEFAULT_TIME_US
    )
    assert batch.rejects["reason"].to_list() == ["malformed"]
    assert batch.rejects["detail"].to_list() == [detail]
    assert batch.positions.height == 1


def test_wrong_field_count_and_bad_characters_are_malformed() -> None:
    body = "AIVDM,1,1,,A,,13aDo8?P000C>N0MkuH00001P000,0"
    extra_field = f"!{body}*{checksum(body)}"
    body = "AIVDM,1,1,,A,13aDo8?P000C>N0Mk{H00001P000,0"  # '{' is outside the alphabet
    bad_character = f"!{body}*{checksum(body)}"
    batch = decode(extra_field, bad_character)
    assert batch.rejects["detail"].to_list() == [
        "sentence fields are not those of a VDM/VDO sentence",
        "payload holds a character outside the AIS alphabet",
    ]


def test_blank_comment_and_other_sentences_are_counted_not_rejected() -> None:
    batch = decode("", "# a comment", "$GPGGA,050004.00,4131.43,N,07040.33,W,2,7,1.0,28.99,M,-30.68,M,10,0907*5E")
    assert batch.rejects.height == 0
    assert batch.counts["ignored.blank"] == 1
    assert batch.counts["ignored.comment"] == 1
    assert batch.counts["ignored.other_sentence"] == 1
    assert batch.counts["lines"] == 3


def test_unsupported_types_are_counted_and_sampled() -> None:
    ((payload, fill),) = payloads({"type": 8, "mmsi": 244660000, "dac": 1, "fid": 31, "data": b"\x00\x01"})
    batch = decode(sentence(payload, fill))
    assert reasons(batch) == {"unsupported_type": 1}
    assert batch.rejects["detail"].to_list() == ["message type 8"]
    assert batch.counts["unsupported_type.8"] == 1


def test_payload_too_short_for_its_type_is_malformed() -> None:
    short = position()[:15]
    batch = decode(sentence(short))
    assert batch.rejects["reason"].to_list() == ["malformed"]
    assert batch.rejects["detail"].to_list() == ["type 1 payload has 90 bits, needs 137"]


# ---------------------------------------------------------------- values
def test_not_available_values_become_null_and_out_of_range_rows_are_refused() -> None:
    unavailable = sentence(position(lat=91.0, lon=181.0, speed=102.3, course=360.0, heading=511))
    off_globe = sentence(position(lat=-95.0, lon=10.0))
    zero_mmsi = sentence(position(mmsi=0))
    batch = decode(unavailable, off_globe, zero_mmsi)
    row = batch.positions.row(0, named=True)
    assert (row["lat"], row["lon"], row["sog_kn"], row["cog_deg"], row["heading_deg"]) == (None,) * 5
    assert batch.rejects["detail"].to_list() == ["invalid position", "invalid mmsi 0"]
    assert set(batch.rejects["reason"].to_list()) == {"invalid_field"}


def test_course_and_heading_beyond_360_are_nulled_and_counted() -> None:
    batch = decode(sentence(position(course=400.0, heading=400)))
    row = batch.positions.row(0, named=True)
    assert row["cog_deg"] is None and row["heading_deg"] is None
    assert batch.counts["nulled.cog_deg"] == 1 and batch.counts["nulled.heading_deg"] == 1


def test_imo_check_digit_separates_valid_from_reported() -> None:
    (p1, f1), (p2, f2) = static_voyage(imo=9323341)
    batch = decode(sentence(p1, f1, total=2, number=1, seq="1"), sentence(p2, f2, total=2, number=2, seq="1"))
    row = batch.statics.row(0, named=True)
    assert row["imo_reported"] == 9323341
    assert row["imo"] is None


def test_eta_takes_the_year_of_the_report_and_rolls_over() -> None:
    (p1, f1), (p2, f2) = static_voyage(month=1, day=5, hour=6, minute=0)
    december = "c:1608940800"  # 2020-12-26
    batch = decode(
        sentence(p1, f1, total=2, number=1, seq="1", tag=december),
        sentence(p2, f2, total=2, number=2, seq="1", tag=december),
    )
    assert batch.statics["eta"].to_list() == [utc(2021, 1, 5, 6, 0)]


def test_class_b_static_parts_and_invalid_part_number() -> None:
    ((part_a, fa),) = payloads({"type": 24, "mmsi": 338000001, "partno": 0, "shipname": "SEA BREEZE"})
    ((part_b, fb),) = payloads(
        {"type": 24, "mmsi": 338000001, "partno": 1, "ship_type": 37, "callsign": "WDE1234", "to_bow": 8, "to_stern": 4}
    )
    batch = decode(sentence(part_a, fa), sentence(part_b, fb))
    rows = batch.statics.sort("source_line").to_dicts()
    assert rows[0]["name"] == "SEA BREEZE" and rows[0]["call_sign"] is None
    assert rows[1]["call_sign"] == "WDE1234" and rows[1]["ship_type"] == 37 and rows[1]["length_m"] == 12.0
    assert set(batch.statics["transponder_class"].to_list()) == {"B"}


def test_aids_to_navigation_and_base_stations_are_kept_apart() -> None:
    ((aton, fa),) = payloads(
        {"type": 21, "mmsi": 992191234, "aid_type": 1, "name": "NORTH BUOY", "lat": 55.0, "lon": 12.0}
    )
    ((station, fs),) = payloads(
        {
            "type": 4,
            "mmsi": 2190064,
            "year": 2020,
            "month": 9,
            "day": 13,
            "hour": 12,
            "minute": 0,
            "second": 5,
            "lat": 55.5,
            "lon": 12.5,
        }
    )
    batch = decode(sentence(aton, fa), sentence(station, fs))
    assert batch.positions.height == 0
    assert batch.aids_to_navigation["name"].to_list() == ["NORTH BUOY"]
    assert batch.base_stations["station_time"].to_list() == [utc(2020, 9, 13, 12, 0, 5)]


# ---------------------------------------------------------------- timestamps
def test_tag_block_time_in_seconds_and_milliseconds() -> None:
    batch = decode(
        sentence(position(mmsi=111111111), tag="c:1565218798"),
        sentence(position(mmsi=222222222), tag="s:abc,c:1565218798123"),
    )
    times = dict(zip(batch.positions["mmsi"], batch.positions["timestamp"], strict=True))
    assert times[111111111] == utc(2019, 8, 7, 22, 59, 58)
    assert times[222222222] == datetime(2019, 8, 7, 22, 59, 58, 123000, tzinfo=UTC)
    assert batch.counts["time_source.tag_block"] == 2


def test_gatehouse_header_is_linked_by_checksum_before_or_after() -> None:
    before = sentence(position(mmsi=111111111))
    after = sentence(position(mmsi=222222222))
    batch = read_nmea_lines(
        lines(
            header(2010, 6, 11, 11, 46, 11, 390, before[-2:]),
            before,
            after,
            header(2010, 6, 11, 11, 47, 0, 0, after[-2:], online="1AIS_S"),
        )
    )
    rows = {r["mmsi"]: r for r in batch.positions.to_dicts()}
    assert rows[111111111]["timestamp"] == datetime(2010, 6, 11, 11, 46, 11, 390000, tzinfo=UTC)
    assert rows[222222222]["timestamp"] == utc(2010, 6, 11, 11, 47, 0)
    assert rows[222222222]["receiver_class"] == "satellite"
    assert rows[111111111]["receiver_id"] == "992190934"
    assert batch.counts["headers.unmatched"] == 0


def test_gatehouse_header_with_two_part_message_carries_the_xor_of_checksums() -> None:
    first, second = two_part()
    combined = f"{int(first[-2:], 16) ^ int(second[-2:], 16):02X}"
    batch = read_nmea_lines(lines(header(2010, 6, 11, 11, 46, 11, 929, combined), first, second))
    assert batch.statics["timestamp"].to_list() == [datetime(2010, 6, 11, 11, 46, 11, 929000, tzinfo=UTC)]


def test_trailing_epoch_and_line_prefix_times() -> None:
    batch = read_nmea_lines(
        lines(
            sentence(position(mmsi=111111111), trailing="r003669946,1325394060,1325394001"),
            sentence(position(mmsi=222222222), trailing="1327992119173"),
            sentence(position(mmsi=333333333), prefix="1565218798.5 "),
            sentence(position(mmsi=444444444), prefix="2020-06-30T00:00:01Z;"),
        )
    )
    times = dict(zip(batch.positions["mmsi"], batch.positions["timestamp"], strict=True))
    assert times[111111111] == utc(2012, 1, 1, 5, 0, 1)
    assert times[222222222] == datetime(2012, 1, 31, 6, 41, 59, 173000, tzinfo=UTC)
    assert times[333333333] == datetime(2019, 8, 7, 22, 59, 58, 500000, tzinfo=UTC)
    assert times[444444444] == utc(2020, 6, 30, 0, 0, 1)


def test_tag_block_time_wins_over_trailing_field() -> None:
    batch = read_nmea_lines(lines(sentence(position(), tag="c:1565218798", trailing="1325394001")))
    assert batch.positions["timestamp"].to_list() == [utc(2019, 8, 7, 22, 59, 58)]


def test_stream_clock_from_zda_and_base_stations() -> None:
    ((station, fs),) = payloads(
        {"type": 4, "mmsi": 2190064, "year": 2012, "month": 1, "day": 27, "hour": 11, "minute": 50, "second": 0}
    )
    batch = read_nmea_lines(
        lines(
            sentence(position(mmsi=111111111)),  # before any clock: takes the first one
            zda("114702.51", 27, 1, 2012),
            sentence(position(mmsi=222222222)),
            sentence(station, fs),
            sentence(position(mmsi=333333333)),
        )
    )
    times = dict(zip(batch.positions["mmsi"], batch.positions["timestamp"], strict=True))
    assert times[111111111] == datetime(2012, 1, 27, 11, 47, 2, 510000, tzinfo=UTC)
    assert times[222222222] == datetime(2012, 1, 27, 11, 47, 2, 510000, tzinfo=UTC)
    assert times[333333333] == utc(2012, 1, 27, 11, 50, 0)
    assert batch.counts["time_source.receiver_clock"] == 2
    assert batch.counts["time_source.base_station"] == 2  # the station's own report too


def test_stale_stream_clock_is_not_used() -> None:
    filler = ["# filler"] * 30
    batch = read_nmea_lines(
        lines(zda("114702.51", 27, 1, 2012), *filler, sentence(position())),
        config=IngestConfig(base_station_time_max_lines=10),
    )
    assert reasons(batch) == {"missing_timestamp": 1}


def test_default_time_dates_undated_messages() -> None:
    undated = read_nmea_lines(lines(sentence(position())))
    assert reasons(undated) == {"missing_timestamp": 1}
    assert undated.rejects["detail"].to_list() == ["nothing in the data dates this message; pass --default-time"]
    dated = read_nmea_lines(lines(sentence(position())), default_time_us=DEFAULT_TIME_US)
    assert dated.positions["timestamp"].to_list() == [utc(2020, 9, 13, 12, 26, 40)]
    assert dated.counts["time_source.default"] == 1


# ---------------------------------------------------------------- receivers
def test_receiver_class_from_talker_and_tag_source() -> None:
    batch = decode(
        sentence(position(mmsi=111111111), talker="BS"),
        sentence(position(mmsi=222222222), talker="AI"),
        sentence(position(mmsi=333333333), tag="s:rORBCOMM104,c:1418172113"),
        sentence(position(mmsi=444444444), formatter="VDO"),
    )
    classes = dict(zip(batch.positions["mmsi"], batch.positions["receiver_class"], strict=True))
    assert classes == {111111111: "terrestrial", 222222222: "unknown", 333333333: "satellite", 444444444: "unknown"}


# ---------------------------------------------------------------- chunking
@pytest.mark.parametrize("name", ["amsa_ais.txt.gz", "dma_stream_example.txt", "kystverket_Ais1000Lines.nm4"])
def test_decoding_in_small_chunks_gives_the_same_result(name: str) -> None:
    data = read_bytes(NMEA / name)
    whole = read_nmea_lines(data)
    decoder = NmeaDecoder(IngestConfig())
    parts = []
    offset, line = 0, 1
    step = 7_000
    while offset < len(data):
        cut = data.rfind(b"\n", offset, offset + step) + 1
        if cut <= offset:
            cut = len(data)
        batch = decoder.decode(data[offset:cut], line, final=cut >= len(data))
        line += batch.counts["lines"]
        parts.append(batch)
        offset = cut
    for table in ("positions", "statics", "aids_to_navigation", "base_stations", "rejects"):
        expected = getattr(whole, table)
        chunked = pl.concat([getattr(p, table) for p in parts], how="diagonal_relaxed")
        key = "line_number" if table == "rejects" else "source_line"
        assert chunked.height == expected.height, table
        assert chunked.sort(key).select(expected.columns).equals(expected.sort(key)), table
    assert sum(p.counts["lines"] for p in parts) == whole.counts["lines"]


def test_lines_are_counted_once_with_carried_fragments() -> None:
    first, second = two_part()
    decoder = NmeaDecoder(IngestConfig(), DEFAULT_TIME_US)
    a = decoder.decode(lines(sentence(position()), first), 1, final=False)
    b = decoder.decode(lines(second), 3, final=True)
    assert a.statics.height == 0 and b.statics.height == 1
    assert a.rejects.height == 0 and b.rejects.height == 0
    assert a.counts["lines"] + b.counts["lines"] == 3
    assert b.statics["source_line"].to_list() == [2]


def test_real_logs_decode_without_error_and_account_for_every_line() -> None:
    for path in sorted(NMEA.iterdir()):
        batch = read_nmea_lines(read_bytes(path), default_time_us=DEFAULT_TIME_US)
        assert batch.counts["lines"] == read_bytes(path).count(b"\n") + (not read_bytes(path).endswith(b"\n"))
        assert np.all(batch.positions["source_line"].to_numpy() >= 1)


def test_counts_do_not_double_count_carried_lines() -> None:
    data = read_bytes(NMEA / "dma_stream_example.txt")
    whole = read_nmea_lines(data)
    decoder = NmeaDecoder(IngestConfig())
    total: dict[str, int] = {}
    offset, line = 0, 1
    while offset < len(data):
        cut = data.rfind(b"\n", offset, offset + 5_000) + 1
        batch = decoder.decode(data[offset:cut], line, final=cut >= len(data))
        line += batch.counts["lines"]
        for key, value in batch.counts.items():
            total[key] = total.get(key, 0) + value
        offset = cut
    assert {k: v for k, v in total.items() if v} == {k: v for k, v in whole.counts.items() if v}


def decode_in_two(data: bytes, cut: int) -> list[object]:
    decoder = NmeaDecoder(IngestConfig())
    first = decoder.decode(data[:cut], 1, final=False)
    second = decoder.decode(data[cut:], 1 + first.counts["lines"], final=True)
    return [first, second]


def test_header_after_its_message_survives_a_chunk_boundary() -> None:
    messages = [sentence(position(mmsi=111111110 + i)) for i in range(4)]
    headers = [header(2020, 6, 1, 10 + i, 0, 0, 0, m[-2:]) for i, m in enumerate(messages)]
    ordered = [item for pair in zip(messages, headers, strict=True) for item in pair]
    data = lines(*ordered)
    whole = read_nmea_lines(data).positions.sort("mmsi")["timestamp"].to_list()
    for cut_after in range(1, len(ordered)):
        parts = decode_in_two(data, len(lines(*ordered[:cut_after])))
        chunked = pl.concat([p.positions for p in parts]).sort("mmsi")["timestamp"].to_list()  # type: ignore[attr-defined]
        assert chunked == whole, cut_after
        assert all(p.rejects.height == 0 for p in parts)  # type: ignore[attr-defined]


def test_stream_clock_dates_lines_across_a_chunk_boundary() -> None:
    # A carried fragment takes the clock before it, not a later one of its chunk.
    (p1, f1), (p2, f2) = static_voyage()
    items = [
        zda("100000.00", 1, 6, 2020),
        sentence(p1, f1, total=2, number=1, seq="1"),
        zda("110000.00", 1, 6, 2020),
        sentence(p2, f2, total=2, number=2, seq="1"),
    ]
    data = lines(*items)
    parts = decode_in_two(data, len(lines(*items[:3])))
    statics = pl.concat([p.statics for p in parts], how="diagonal_relaxed")  # type: ignore[attr-defined]
    assert statics["timestamp"].to_list() == read_nmea_lines(data).statics["timestamp"].to_list()
    # A message before the first clock takes the first clock, even in the next chunk.
    data = lines(sentence(position()), zda("120000.00", 1, 6, 2020))
    parts = decode_in_two(data, len(lines(sentence(position()))))
    times = pl.concat([p.positions for p in parts])["timestamp"].to_list()  # type: ignore[attr-defined]
    assert times == [utc(2020, 6, 1, 12, 0)]


def test_zda_without_zone_fields_and_text_after_the_checksum() -> None:
    body = "GPZDA,120000.00,01,06,2020"
    short_zda = f"${body}*{checksum(body)}"
    good = sentence(position(mmsi=111111111))
    glued = sentence(position(mmsi=222222222)) + "!AIVDM,1,1,,A,13aDo8?P000C"
    spaced = sentence(position(mmsi=333333333)) + "  "
    batch = read_nmea_lines(lines(short_zda, good, glued, spaced))
    assert batch.positions["timestamp"].to_list() == [utc(2020, 6, 1, 12, 0)] * 2
    assert batch.rejects["detail"].to_list() == ["unexpected text after the checksum"]


def test_untrusted_tag_blocks_are_refused_once() -> None:
    good = sentence(position(), tag="c:1565218798")
    tag, rest = good[1:].split("\\", 1)
    broken_tag = "\\" + tag[:-2] + "00\\" + rest  # wrong tag checksum
    bad_both = "\\" + tag[:-2] + "00\\" + rest[:-2] + "00"  # and a wrong sentence checksum
    other = "\\" + tag[:-2] + "00\\$GPGGA,1,2*00"
    config = IngestConfig(trust_unverified_tag_blocks=False)
    batch = read_nmea_lines(lines(broken_tag, bad_both, other), config=config)
    assert batch.rejects["line_number"].to_list() == [1, 2, 3]
    assert set(batch.rejects["reason"].to_list()) == {"bad_checksum"}
    assert batch.counts["ignored.other_sentence"] == 0
