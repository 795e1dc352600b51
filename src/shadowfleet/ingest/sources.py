"""Opening input files: decompression, archive members and format detection by content.

A file's name is only a hint: the format is decided from its bytes. Compression is
recognised by magic numbers (gzip, bzip2, xz, zip), Parquet by its ``PAR1`` magic,
NMEA by sentences (``!AIVDM``, tag blocks, ``$PGHP`` headers) among the first lines, and
CSV by a header row that names an MMSI, a time and a position. Anything else is an
:class:`~shadowfleet.errors.InputError` naming the file and what it looked like.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from shadowfleet.errors import InputError

SNIFF_BYTES: Final = 256 * 1024
NMEA_LINE = re.compile(rb"^(?:\\[^\\]*\\)?[^!$]{0,40}[!$](?:[A-Z=]{2}VD[MO],|PGHP,)", re.MULTILINE)
CSV_SEPARATORS: Final = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class Member:
    """One readable stream of an input: the file itself, or a member of a zip archive.

    Attributes:
        path: The file on disk.
        member: Name inside a zip archive, or None.
        compression: ``none``, ``gzip``, ``bzip2``, ``xz`` or ``zip``.
        format: ``nmea``, ``csv``, ``parquet`` or ``empty``.
        separator: CSV field separator.
        file_hash: SHA-256 of the file as stored (compressed or not), hex. The
            content's own hash (after decompression) is computed while it is read.
        cr_line_ends: Lines end with a lone carriage return (old Mac style).
    """

    path: Path
    member: str | None
    compression: str
    format: str
    separator: str
    file_hash: str
    cr_line_ends: bool = False

    @property
    def name(self) -> str:
        """The file, with the archive member when there is one."""
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def source_id(self) -> str:
        """Stable id of this input: a prefix of the hash of its file (and member name)."""
        digest = hashlib.sha256(f"{self.file_hash}:{self.member or ''}".encode()).hexdigest()
        return digest[:16]


def _compression_of(head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    return "none"


@contextmanager
def open_stream(path: Path, compression: str, member: str | None = None) -> Iterator[IO[bytes]]:
    """Open a (possibly compressed) input for reading decompressed bytes.

    Raises:
        InputError: When the file cannot be opened or decompressed.
    """
    try:
        if compression == "zip":
            with zipfile.ZipFile(path) as archive, archive.open(member or "") as handle:
                yield handle
            return
        openers: dict[str, Callable[[Path, str], IO[bytes]]] = {
            "gzip": gzip.open,  # type: ignore[dict-item]
            "bzip2": bz2.open,  # type: ignore[dict-item]
            "xz": lzma.open,  # type: ignore[dict-item]
        }
        opener = openers.get(compression)
        if opener is None:
            with open(path, "rb") as handle:
                yield handle
        else:
            with opener(path, "rb") as handle:
                yield handle
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError, zlib.error) as exc:
        raise InputError(f"cannot read {compression} data: {exc}", path) from exc
    except (NotImplementedError, RuntimeError) as exc:  # zip: Deflate64, encryption
        raise InputError(f"cannot read this {compression} archive: {exc}", path) from exc


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def sniff_format(head: bytes, path: Path | str) -> tuple[str, str]:
    """Decide the format of decompressed content from its first bytes.

    Args:
        head: The first bytes (up to :data:`SNIFF_BYTES`).
        path: The file, named in errors.

    Returns:
        ``(format, separator)``.

    Raises:
        InputError: For binary content or text that is neither NMEA nor a table.
    """
    if not head.strip():
        return "empty", ","
    if head.startswith(b"PAR1"):
        return "parquet", ","
    sample = head[:SNIFF_BYTES]
    if b"\n" not in sample:
        sample = sample.replace(b"\r", b"\n")  # old Mac line ends
    lines = [line for line in sample.split(b"\n")[:200] if line.strip()]
    nmea_lines = sum(1 for line in lines if NMEA_LINE.match(line))
    if nmea_lines and nmea_lines >= max(1, len(lines) // 20):
        return "nmea", ","
    nul = sample.count(b"\x00")
    printable = sum(1 for b in sample if 32 <= b < 127 or b in (9, 10, 13))
    if nul or (printable < 0.95 * len(sample) and not _is_utf8(sample)):
        raise InputError(
            f"binary content ({len(sample) - printable} of the first {len(sample)} bytes are not text): "
            "not NMEA, CSV, Parquet or a gzip/bzip2/xz/zip archive of them",
        )
    header = lines[0].decode("utf-8", errors="replace").lstrip("\ufeff") if lines else ""
    separator = max(CSV_SEPARATORS, key=header.count)
    if header.count(separator) >= 2:
        return "csv", separator
    raise InputError(
        "unrecognised text: no AIS NMEA sentence (!AIVDM...) among the first lines and no CSV header; "
        f"first line: {header[:120]!r}",
    )


def _is_utf8(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(sample) - 4
    return True


def inspect_input(path: str | Path) -> list[Member]:
    """The readable streams of an input file, each with its format.

    Args:
        path: A file (NMEA, CSV or Parquet; plain, gzip, bzip2, xz or zip).

    Returns:
        One member per stream (several for a zip archive of several files).

    Raises:
        InputError: When the file is missing, unreadable or of no known format.
    """
    file = Path(path)
    if not file.exists():
        raise InputError("no such file", file)
    if file.is_dir():
        raise InputError("is a directory; pass the files inside it", file)
    try:
        with open(file, "rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file) from exc
    compression = _compression_of(magic)
    members: list[Member] = []
    try:
        if compression == "zip":
            with zipfile.ZipFile(file) as archive:
                names = [info.filename for info in archive.infolist() if not info.is_dir()]
            if not names:
                raise InputError("zip archive holds no file", file)
            file_hash = _hash_file(file)
            for name in names:
                with open_stream(file, "zip", name) as handle:
                    head = handle.read(SNIFF_BYTES)
                inner = _compression_of(head[:8])
                if inner != "none":
                    raise InputError(f"archive member {name} is itself {inner}-compressed; unpack it first", file)
                fmt, separator = _sniff_or_raise(head, f"{file}!{name}")
                members.append(Member(file, name, "zip", fmt, separator, file_hash, _cr_only(head)))
            return members
        with open_stream(file, compression) as handle:
            head = handle.read(SNIFF_BYTES)
        fmt, separator = _sniff_or_raise(head, file)
        if fmt == "parquet" and compression != "none":
            raise InputError(f"{compression}-compressed Parquet is not supported; decompress it first", file)
    except zipfile.BadZipFile as exc:
        raise InputError(f"corrupt zip archive: {exc}", file) from exc
    return [Member(file, None, compression, fmt, separator, _hash_file(file), _cr_only(head))]


def _cr_only(head: bytes) -> bool:
    return b"\r" in head and b"\n" not in head


def _sniff_or_raise(head: bytes, name: Path | str) -> tuple[str, str]:
    try:
        return sniff_format(head, name)
    except InputError as exc:
        raise InputError(str(exc), name) from None
