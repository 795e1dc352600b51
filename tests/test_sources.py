"""Opening inputs: compression, archives, format detection by content, unreadable files."""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
import zipfile
from pathlib import Path

import pytest

from shadowfleet.errors import InputError
from shadowfleet.ingest.sources import inspect_input, sniff_format
from tests.conftest import CSV, NMEA

NMEA_TEXT = (NMEA / "kystverket_Ais1000Lines.nm4").read_bytes()
CSV_TEXT = (CSV / "dma_aisdk_2018-02-08_sample.csv").read_bytes()


@pytest.mark.parametrize(
    ("name", "compress", "compression"),
    [
        ("plain.txt", lambda b: b, "none"),
        ("file.gz", gzip.compress, "gzip"),
        ("file.bz2", bz2.compress, "bzip2"),
        ("file.xz", lzma.compress, "xz"),
        ("misleading.csv", gzip.compress, "gzip"),  # the name says CSV, the bytes say gzip'd NMEA
    ],
)
def test_compression_and_format_are_recognised_from_content(
    tmp_path: Path, name: str, compress: object, compression: str
) -> None:
    path = tmp_path / name
    path.write_bytes(compress(NMEA_TEXT))  # type: ignore[operator]
    (member,) = inspect_input(path)
    assert (member.compression, member.format) == (compression, "nmea")


def test_zip_archive_with_several_members(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ais.nmea", NMEA_TEXT)
        archive.writestr("dma.csv", CSV_TEXT)
        archive.writestr("folder/", b"")
    members = inspect_input(path)
    assert [(m.member, m.format) for m in members] == [("ais.nmea", "nmea"), ("dma.csv", "csv")]
    assert len({m.source_id for m in members}) == 2


def test_csv_separators_and_parquet(tmp_path: Path) -> None:
    semicolon = tmp_path / "semi.txt"
    semicolon.write_text("MMSI;BaseDateTime;LAT;LON\n123456789;2020-01-01T00:00:00;1;2\n")
    (member,) = inspect_input(semicolon)
    assert (member.format, member.separator) == ("csv", ";")
    import polars as pl

    parquet = tmp_path / "x.bin"
    pl.DataFrame({"mmsi": [1]}).write_parquet(parquet)
    assert inspect_input(parquet)[0].format == "parquet"


def test_empty_file_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "empty.nmea"
    path.write_bytes(b"")
    assert inspect_input(path)[0].format == "empty"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 50, "binary content"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "binary content"),
        (b"hello world\nthis is not AIS\n", "unrecognised text"),
    ],
)
def test_unreadable_content_gives_a_clear_error_naming_the_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "mystery.dat"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        inspect_input(path)
    assert str(path) in str(caught.value)


def test_missing_file_directory_and_corrupt_gzip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        inspect_input(tmp_path / "nope.nmea")
    with pytest.raises(InputError, match="is a directory"):
        inspect_input(tmp_path)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(NMEA_TEXT)[:40])
    with pytest.raises(InputError) as caught:
        inspect_input(broken)
    assert "broken.gz" in str(caught.value)


def test_source_id_follows_the_file_content(tmp_path: Path) -> None:
    a = tmp_path / "a.nmea"
    b = tmp_path / "b.nmea"
    shutil.copy(NMEA / "kystverket_Ais1000Lines.nm4", a)
    shutil.copy(NMEA / "kystverket_Ais1000Lines.nm4", b)
    assert inspect_input(a)[0].source_id == inspect_input(b)[0].source_id
    b.write_bytes(NMEA_TEXT + b"\n")
    assert inspect_input(a)[0].source_id != inspect_input(b)[0].source_id


def test_sniff_accepts_nmea_with_a_few_garbage_lines() -> None:
    text = b"garbage\n" * 3 + NMEA_TEXT[:5000]
    assert sniff_format(text, "x")[0] == "nmea"


def test_old_mac_line_ends_are_read(tmp_path: Path, store_dir: Path) -> None:
    from shadowfleet.config import Config
    from shadowfleet.ingest.runner import ingest_paths
    from shadowfleet.store.lake import Store

    path = tmp_path / "mac.nmea"
    path.write_bytes(NMEA_TEXT.replace(b"\n", b"\r"))
    (member,) = inspect_input(path)
    assert member.cr_line_ends and member.format == "nmea"
    (report,) = ingest_paths(Store(store_dir, create=True), [path], Config())
    assert report.units_read == 1000
    assert report.rows["positions"] == 748


@pytest.mark.parametrize("kind", ["truncated-deflate", "encrypted"])
def test_undecodable_archives_fail_cleanly_and_others_go_on(tmp_path: Path, store_dir: Path, kind: str) -> None:
    from shadowfleet.config import Config
    from shadowfleet.ingest.runner import ingest_paths
    from shadowfleet.store.lake import Store

    if kind == "truncated-deflate":
        broken = tmp_path / "broken.nmea.gz"
        data = bytearray(gzip.compress(NMEA_TEXT * 20))
        data[200:260] = b"\xff" * 60  # corrupt the deflate stream past the sniffed head
        broken.write_bytes(bytes(data))
    else:
        broken = tmp_path / "locked.zip"
        # A zip member flagged as encrypted (general purpose bit 0).
        with zipfile.ZipFile(broken, "w") as archive:
            archive.writestr("x.nmea", NMEA_TEXT)
        raw = bytearray(broken.read_bytes())
        raw[6] |= 1  # local header flag
        central = raw.rfind(b"PK\x01\x02")
        raw[central + 8] |= 1  # central directory flag
        broken.write_bytes(bytes(raw))
    good = tmp_path / "good.nm4"
    good.write_bytes(NMEA_TEXT)
    reports = ingest_paths(Store(store_dir, create=True), [broken, good], Config())
    assert [r.status for r in reports] == ["failed", "ingested"]
    assert str(broken) in reports[0].message
