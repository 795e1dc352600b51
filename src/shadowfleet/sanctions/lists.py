"""Sanctions lists in their real formats, as one table of designated vessels.

Formats, recognised from the file's content (never from its name alone):

* ``un1718``: the UN Security Council 1718 Committee's designated vessels, as the CSV
  transcription of the Committee's list (``names, primary_name, imo, mmsi,
  date_designated, ..., flag, call_sign, vessel_type``);
* ``ofac_sdn``: the US Treasury's SDN list in its official headerless 12-column
  layout (``sdn.csv``; ``-0-`` is null). Vessels are the rows of type ``vessel``; IMO
  and MMSI are read from the Remarks ("Vessel Registration Identification IMO
  9323340", "MMSI 123456789"), former names from "f.k.a." there, and aliases from
  ``alt.csv`` beside it when present. The parsed one-vessel-per-row CSV (header
  ``ent_num, SDN_Name, ..., IMO, MMSI``) is read too;
* ``eu``: EU designated vessels (``vessel_name, imo_number, date_of_application``);
* ``ftm``: OpenSanctions / FollowTheMoney JSON lines: ``Vessel`` entities
  (``imoNumber``, ``mmsi``, ``name``, ``previousName``, ``flag``, ``callSign``) with
  their owners from ``Ownership`` and ``UnknownLink`` relations to companies;
* ``watchlist``: any CSV with at least one of ``imo``, ``mmsi``, ``name``,
  ``call_sign`` (headers matched case-insensitively, a few common spellings accepted).

Every loader returns :class:`ListLoad`: the entries (schema :data:`ENTRIES`, one row per
designated vessel) and the rows it could not use, counted by reason. A file in no
known layout is an :class:`~shadowfleet.errors.InputError` naming the columns each
layout expects. IMO numbers are kept only when their check digit is valid (a bad one
is counted, and the entry kept for its other identifiers).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from shadowfleet.errors import InputError

ENTRIES: Final[dict[str, pl.DataType]] = {
    "list": pl.String(),
    "entry_id": pl.String(),
    "name": pl.String(),
    "aliases": pl.List(pl.String()),
    "imo": pl.Int64(),
    "mmsis": pl.List(pl.Int64()),
    "call_signs": pl.List(pl.String()),
    "flag": pl.String(),
    "owners": pl.List(pl.String()),
    "programs": pl.String(),
    "listed_on": pl.Date(),
    "source": pl.String(),
    "source_row": pl.Int64(),
}
"""One designated vessel of one list."""

LAYOUTS: Final[dict[str, str]] = {
    "un1718": "names, primary_name, imo, mmsi, date_designated, flag, call_sign (UN 1718 Committee CSV)",
    "ofac_sdn": "12 headerless columns, the third 'vessel' for vessels (OFAC sdn.csv), or ent_num, SDN_Name, IMO, MMSI",
    "eu": "vessel_name, imo_number, date_of_application (EU designated vessels)",
    "ftm": "JSON lines with 'schema': 'Vessel' entities (OpenSanctions / FollowTheMoney)",
    "watchlist": "any of imo, mmsi, name, call_sign (a plain CSV watch-list)",
}
"""What each layout expects, for the error message of an unknown file."""

_WATCH_COLUMNS: Final = {
    "imo": ("imo", "imo_number", "imonumber", "imo number"),
    "mmsi": ("mmsi",),
    "name": ("name", "vessel_name", "vessel", "ship_name", "shipname"),
    "call_sign": ("call_sign", "callsign", "call sign", "callSign"),
    "flag": ("flag", "flag_state"),
}


@dataclass(frozen=True)
class ListLoad:
    """What a list file gave.

    Attributes:
        layout: The layout recognised (a key of :data:`LAYOUTS`).
        entries: One row per designated vessel (:data:`ENTRIES`).
        rejected: Rows not used, by reason (``not a vessel`` is not counted: other
            designated parties are simply not vessels).
        path: The file read.
    """

    layout: str
    entries: pl.DataFrame
    rejected: Mapping[str, int] = field(default_factory=dict)
    path: str = ""


def imo_is_valid(imo: int) -> bool:
    """Whether a seven-digit IMO ship number has a valid check digit.

    The last digit is the sum of the first six multiplied by 7, 6, 5, 4, 3, 2, modulo 10.
    """
    if not 1_000_000 <= imo <= 9_999_999:
        return False
    digits = [int(c) for c in str(imo)]
    return sum(d * w for d, w in zip(digits[:6], (7, 6, 5, 4, 3, 2), strict=True)) % 10 == digits[6]


def _numbers(text: object, digits: int) -> list[int]:
    """Every run of exactly ``digits`` digits in a text (lists give several MMSIs in one cell)."""
    return [int(m) for m in re.findall(rf"(?<!\d)\d{{{digits}}}(?!\d)", str(text or ""))]


def _call_signs(text: object) -> list[str]:
    """Call signs from a cell such as ``1: T3NM2 2: XUJX6`` or ``HMZF``."""
    value = _text(text)
    if value is None:
        return []
    return [t for t in re.split(r"\s*\d+\s*[:.]\s*|[;,|/\s]+", value) if t and re.fullmatch(r"[A-Za-z0-9]{3,8}", t)]


def _int_or_none(text: object) -> int | None:
    cleaned = re.sub(r"[^0-9]", "", str(text or ""))
    return int(cleaned) if cleaned else None


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return None if text in ("", "-0-", "na", "NA", "None", "nan") else text


def _date(text: object) -> date | None:
    value = _text(text)
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%d-%b-%y", "%d-%b-%Y", "%d %B %Y", "%d.%m.%Y", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


class _Builder:
    """Collects entries and rejects while a file is read."""

    def __init__(self, list_name: str, source: str) -> None:
        self.list_name = list_name
        self.source = source
        self.rows: list[dict[str, Any]] = []
        self.rejected: Counter[str] = Counter()

    def add(
        self,
        row_number: int,
        entry_id: str,
        *,
        name: str | None,
        aliases: Iterable[str] = (),
        imo: int | None = None,
        mmsis: Iterable[int] = (),
        call_signs: Iterable[str] = (),
        flag: str | None = None,
        owners: Iterable[str] = (),
        programs: str | None = None,
        listed_on: date | None = None,
    ) -> None:
        if imo is not None and not imo_is_valid(imo):
            self.rejected["invalid IMO number (entry kept without it)"] += 1
            imo = None
        valid_mmsis = sorted({m for m in mmsis if 100_000_000 <= m <= 999_999_999})
        if len(valid_mmsis) < len(set(mmsis)):
            self.rejected["invalid MMSI (entry kept without it)"] += 1
        signs = sorted({c.strip().upper() for c in call_signs if c and c.strip()})
        if name is None and imo is None and not valid_mmsis and not signs:
            self.rejected["no name, IMO, MMSI or call sign"] += 1
            return
        self.rows.append(
            {
                "list": self.list_name,
                "entry_id": entry_id,
                "name": name,
                "aliases": sorted({a for a in aliases if a and a != name}),
                "imo": imo,
                "mmsis": valid_mmsis,
                "call_signs": signs,
                "flag": flag,
                "owners": sorted({o for o in owners if o}),
                "programs": programs,
                "listed_on": listed_on,
                "source": self.source,
                "source_row": row_number,
            }
        )

    def load(self, layout: str, path: str) -> ListLoad:
        entries = pl.DataFrame(self.rows, schema=ENTRIES) if self.rows else pl.DataFrame(schema=ENTRIES)
        return ListLoad(layout, entries, dict(self.rejected), path)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the list: {exc.strerror or exc}", str(path)) from exc
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("the list is not text", str(path))  # pragma: no cover - latin-1 decodes any bytes


def _load_un1718(rows: list[dict[str, str]], source: str) -> ListLoad:
    build = _Builder("UN1718", source)
    for number, row in enumerate(rows, start=2):
        primary = _text(row.get("primary_name"))
        names = [n.strip() for n in re.split(r"[|;]", row.get("names") or "")]
        build.add(
            number,
            f"UN1718:{_int_or_none(row.get('imo')) or primary}",
            name=primary,
            aliases=[n for n in names if n],
            imo=_int_or_none(row.get("imo")),
            mmsis=_numbers(row.get("mmsi"), 9),
            call_signs=_call_signs(row.get("call_sign")),
            flag=_text(row.get("flag")),
            programs="UNSCR 1718",
            listed_on=_date(row.get("date_designated")),
        )
    return build.load("un1718", source)


_REMARK_IMO = re.compile(r"IMO\s*(\d{7})")
_REMARK_MMSI = re.compile(r"MMSI\s*(\d{9})")
_REMARK_FKA = re.compile(r"f\.k\.a\.\s*'([^']+)'")


def _ofac_aliases(path: Path) -> dict[str, list[str]]:
    """Aliases per OFAC entry number from ``alt.csv`` beside ``sdn.csv``."""
    alt = path.with_name("alt.csv")
    if not alt.is_file():
        return {}
    aliases: dict[str, list[str]] = {}
    for row in csv.reader(io.StringIO(_read_text(alt))):
        if len(row) >= 4 and _text(row[3]):
            aliases.setdefault(row[0].strip(), []).append(str(_text(row[3])))
    return aliases


def _load_ofac(rows: list[list[str]], path: Path) -> ListLoad:
    build = _Builder("OFAC_SDN", str(path))
    aliases = _ofac_aliases(path)
    for number, row in enumerate(rows, start=1):
        if len(row) != 12:
            build.rejected[f"expected 12 columns, found {len(row)}"] += 1
            continue
        if row[2].strip() != "vessel":
            continue
        remarks = row[11] or ""
        imo = _REMARK_IMO.search(remarks)
        entry = row[0].strip()
        owner = _text(row[10])
        build.add(
            number,
            f"OFAC:{entry}",
            name=_text(row[1]),
            aliases=[*aliases.get(entry, []), *_REMARK_FKA.findall(remarks)],
            imo=int(imo.group(1)) if imo else None,
            mmsis=[int(m) for m in _REMARK_MMSI.findall(remarks)],
            call_signs=_call_signs(row[5]),
            flag=_text(row[9]),
            owners=[owner] if owner else [],
            programs=_text(row[3]),
        )
    return build.load("ofac_sdn", str(path))


def _load_ofac_parsed(rows: list[dict[str, str]], source: str) -> ListLoad:
    build = _Builder("OFAC_SDN", source)
    for number, row in enumerate(rows, start=2):
        if (row.get("SDN_Type") or "vessel").strip() != "vessel":
            continue
        owner = _text(row.get("Vess_owner"))
        build.add(
            number,
            f"OFAC:{row.get('ent_num', '').strip()}",
            name=_text(row.get("SDN_Name")),
            aliases=_REMARK_FKA.findall(row.get("Remarks") or ""),
            imo=_int_or_none(row.get("IMO")),
            mmsis=_numbers(row.get("MMSI"), 9),
            call_signs=_call_signs(row.get("Call_Sign")),
            flag=_text(row.get("Vess_flag")),
            owners=[owner] if owner else [],
            programs=_text(row.get("Program")),
        )
    return build.load("ofac_sdn", source)


def _load_eu(rows: list[dict[str, str]], source: str) -> ListLoad:
    build = _Builder("EU", source)
    for number, row in enumerate(rows, start=2):
        imo = _int_or_none(row.get("imo_number"))
        build.add(
            number,
            f"EU:{imo or _text(row.get('vessel_name'))}",
            name=_text(row.get("vessel_name")),
            imo=imo,
            programs="EU Russia (Annex XLII)",
            listed_on=_date(row.get("date_of_application")),
        )
    return build.load("eu", source)


def _first(values: object) -> str | None:
    if isinstance(values, list):
        return _text(values[0]) if values else None
    return _text(values)


def _load_ftm(lines: list[str], source: str) -> ListLoad:
    build = _Builder("OPENSANCTIONS", source)
    entities: dict[str, dict[str, Any]] = {}
    order: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entity = json.loads(line)
            entities[str(entity["id"])] = entity
            order.append((number, str(entity["id"])))
        except (ValueError, KeyError, TypeError):
            build.rejected["not a JSON entity"] += 1
    owners: dict[str, list[str]] = {}
    for entity in entities.values():
        if entity.get("schema") not in ("Ownership", "UnknownLink"):
            continue
        props = entity.get("properties", {})
        holder_ids = props.get("owner") or props.get("subject") or []
        asset_ids = props.get("asset") or props.get("object") or []
        for asset in asset_ids:
            for holder in holder_ids:
                holder_entity = entities.get(holder, {})
                name = _first(holder_entity.get("properties", {}).get("name")) or holder_entity.get("caption")
                if name:
                    owners.setdefault(asset, []).append(str(name))
    for number, entity_id in order:
        entity = entities[entity_id]
        if entity.get("schema") != "Vessel":
            continue
        props = entity.get("properties", {})
        names = [str(n) for n in props.get("name", []) if n]
        build.add(
            number,
            f"OS:{entity_id}",
            name=names[0] if names else _text(entity.get("caption")),
            aliases=[*names[1:], *(str(n) for n in props.get("previousName", []) + props.get("alias", []) if n)],
            imo=_int_or_none(_first(props.get("imoNumber"))),
            mmsis=[m for value in props.get("mmsi", []) for m in _numbers(value, 9)],
            call_signs=[str(c) for c in props.get("callSign", []) if c],
            flag=_first(props.get("flag")),
            owners=owners.get(entity_id, []),
            programs=", ".join(str(d) for d in entity.get("datasets", [])) or _first(props.get("program")),
            listed_on=_date(_first(props.get("createdAt")) or entity.get("first_seen", "")[:10]),
        )
    return build.load("ftm", source)


def _watch_columns(header: Iterable[str]) -> dict[str, str]:
    by_lower = {h.strip().lower(): h for h in header}
    found = {}
    for field_name, spellings in _WATCH_COLUMNS.items():
        for spelling in spellings:
            if spelling.lower() in by_lower:
                found[field_name] = by_lower[spelling.lower()]
                break
    return found


def _load_watchlist(rows: list[dict[str, str]], columns: dict[str, str], source: str) -> ListLoad:
    build = _Builder("WATCHLIST", source)
    for number, row in enumerate(rows, start=2):
        name = _text(row.get(columns.get("name", ""), ""))
        imo = _int_or_none(row.get(columns.get("imo", ""), ""))
        build.add(
            number,
            f"WATCH:{Path(source).stem}:{number}",
            name=name,
            imo=imo,
            mmsis=_numbers(row.get(columns.get("mmsi", ""), ""), 9),
            call_signs=_call_signs(row.get(columns.get("call_sign", ""), "")),
            flag=_text(row.get(columns.get("flag", ""), "")),
        )
    return build.load("watchlist", source)


def load_list(path: str | Path) -> ListLoad:
    """Read a sanctions list or watch-list in any supported layout (see the module notes).

    Raises:
        InputError: When the file cannot be read or is in no known layout.
    """
    file = Path(path)
    text = _read_text(file)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _load_ftm(text.splitlines(), str(file))
    first_line = stripped.splitlines()[0] if stripped else ""
    header = next(csv.reader([first_line]), [])
    lowered = {h.strip().lower() for h in header}
    if {"primary_name", "imo", "date_designated"} <= lowered:
        return _load_un1718(list(csv.DictReader(io.StringIO(text))), str(file))
    if {"vessel_name", "imo_number"} <= lowered:
        return _load_eu(list(csv.DictReader(io.StringIO(text))), str(file))
    if {"ent_num", "sdn_name"} <= lowered:
        return _load_ofac_parsed(list(csv.DictReader(io.StringIO(text))), str(file))
    if len(header) == 12 and header[0].strip().isdigit():
        return _load_ofac(list(csv.reader(io.StringIO(text))), file)
    columns = _watch_columns(header)
    if columns.keys() & {"imo", "mmsi", "name", "call_sign"}:
        return _load_watchlist(list(csv.DictReader(io.StringIO(text))), columns, str(file))
    expected = "; ".join(f"{layout}: {what}" for layout, what in LAYOUTS.items())
    raise InputError(f"not a sanctions list layout shadowfleet knows (expected {expected})", str(file))


def merge_entries(entries: pl.DataFrame) -> pl.DataFrame:
    """One row per designated hull across lists: entries sharing an IMO number merge.

    Returns:
        ``key`` (``IMO:<n>`` or the entry id), ``entry_ids`` (every entry naming it)
        and ``lists`` (the list of each, aligned), ``name`` (the first list's), ``names`` (every name and alias),
        ``imo``, ``mmsis``, ``call_signs``, ``flags``, ``owners``, ``programs``,
        ``listed_on`` (earliest).
    """
    keyed = entries.with_columns(
        pl.when(pl.col("imo").is_not_null())
        .then(pl.format("IMO:{}", pl.col("imo")))
        .otherwise(pl.col("entry_id"))
        .alias("key")
    )
    return keyed.group_by("key", maintain_order=True).agg(
        pl.col("list").alias("lists"),
        pl.col("entry_id").alias("entry_ids"),
        pl.col("name").first(),
        pl.concat_list(pl.col("name"), pl.col("aliases"))
        .list.explode(keep_nulls=False, empty_as_null=False)
        .drop_nulls()
        .unique()
        .sort()
        .alias("names"),
        pl.col("imo").first(),
        pl.col("mmsis").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().unique().sort(),
        pl.col("call_signs").list.explode(keep_nulls=False, empty_as_null=False).drop_nulls().unique().sort(),
        pl.col("flag").drop_nulls().unique().sort().alias("flags"),
        pl.col("owners")
        .list.explode(keep_nulls=False, empty_as_null=False)
        .drop_nulls()
        .unique()
        .sort()
        .alias("owners"),
        pl.col("programs").drop_nulls().unique().sort().str.join("; ").alias("programs"),
        pl.col("listed_on").min(),
    )
