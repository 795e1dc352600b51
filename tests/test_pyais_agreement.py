"""Field-by-field agreement with pyais on every message of the real logs.

Every row shadowfleet decodes from the bundled real NMEA logs (Danish, Norwegian,
Australian, US and pyais's own samples) is decoded again by pyais from the same raw
sentences, and every column must agree (in shadowfleet's conventions, see
``pyais_oracle``). Every sentence line must also be accounted for: in a decoded row's
message, or in the rejects table.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from shadowfleet.ingest.nmea import read_nmea_lines
from tests.conftest import NMEA_FILES, read_bytes, shared
from tests.pyais_oracle import expected, fragments, parse_lines, same

EXACT = {"mmsi", "lat", "lon", "nav_status", "msg_type", "imo_reported", "ship_type", "aid_type"}


def _rows(path: Path) -> tuple[dict[str, pl.DataFrame], dict[int, object], bytes]:
    data = read_bytes(path)
    batch = read_nmea_lines(data, default_time_us=1_600_000_000_000_000)
    tables = {
        "positions": batch.positions,
        "statics": batch.statics,
        "aids_to_navigation": batch.aids_to_navigation,
        "base_stations": batch.base_stations,
        "rejects": batch.rejects,
    }
    return tables, parse_lines(data.decode("latin-1")), data  # type: ignore[return-value]


def _compare(tables: dict[str, pl.DataFrame], sentences: dict[int, object]) -> tuple[int, list[str]]:
    compared = 0
    problems: list[str] = []
    for name in ("positions", "statics", "aids_to_navigation", "base_stations"):
        for row in tables[name].iter_rows(named=True):
            reference = expected(sentences, row["source_line"])  # type: ignore[arg-type]
            compared += 1
            for column, theirs in reference.items():
                if column not in row:
                    continue
                ours = row[column]
                exact = ours == theirs or (ours is None and theirs is None)
                ok = exact if column in EXACT else same(ours, theirs)
                if not ok:
                    problems.append(f"{name} line {row['source_line']} {column}: ours {ours!r}, pyais {theirs!r}")
    return compared, problems


@pytest.mark.parametrize("path", NMEA_FILES, ids=[p.name for p in NMEA_FILES])
def test_every_decoded_row_agrees_with_pyais(path: Path) -> None:
    tables, sentences, _ = _rows(path)
    compared, problems = _compare(tables, sentences)
    assert compared > 0
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("path", NMEA_FILES, ids=[p.name for p in NMEA_FILES])
def test_every_sentence_is_accounted_for(path: Path) -> None:
    """Each VDM line is in a decoded or rejected message, never silently dropped."""
    tables, sentences, _ = _rows(path)
    first_lines: Counter[int] = Counter()
    for name in ("positions", "statics", "aids_to_navigation", "base_stations"):
        first_lines.update(tables[name]["source_line"].to_list())
    rejected = set(tables["rejects"]["line_number"].to_list())
    covered: set[int] = set()
    for line in set(first_lines) | rejected:
        if line in sentences:
            covered.update(s.line_number for s in fragments(sentences, line))  # type: ignore[arg-type]
        else:
            covered.add(line)
    missing = sorted(set(sentences) - covered)
    assert not missing, f"sentence lines neither decoded nor rejected: {missing[:20]}"


def test_type_19_gives_a_position_and_a_static_row() -> None:
    tables, _, _ = _rows(Path(__file__).parent / "data" / "nmea" / "libais_test.aivdm")
    positions = set(tables["positions"].filter(pl.col("msg_type") == 19)["source_line"].to_list())
    statics = set(tables["statics"].filter(pl.col("msg_type") == 19)["source_line"].to_list())
    assert positions and positions == statics


def test_pyais_decodes_everything_shadowfleet_decodes() -> None:
    """No message shadowfleet accepted is one pyais cannot decode."""
    for path in NMEA_FILES:
        tables, sentences, _ = _rows(path)
        for name in ("positions", "statics", "aids_to_navigation", "base_stations"):
            for line in np.unique(tables[name]["source_line"].to_numpy()):
                expected(sentences, int(line))  # raises if pyais cannot decode


@pytest.mark.shared
@pytest.mark.parametrize(
    "relative",
    [
        "nmea_amsa_risky/exact-earth-augmented.txt",
        "nmea_amsa_risky/exact-earth-augmented-2.txt",
        "nmea_amsa_risky/exact-earth-augmented-3.txt",
        "nmea_amsa_risky/exact-earth-with-tag-block.txt",
    ],
)
def test_satellite_provider_files_agree_with_pyais(relative: str) -> None:
    """exactEarth satellite files (tests-only licence, read from ../shared when present)."""
    tables, sentences, _ = _rows(shared(relative))
    compared, problems = _compare(tables, sentences)
    assert compared > 0
    assert not problems, "\n".join(problems[:20])
    # Messages linked to a header with exactEarth's satellite marker are satellite;
    # the others carry no evidence of their receiver and stay unknown.
    classes = tables["positions"].group_by("receiver_class").len()
    assert set(classes["receiver_class"].to_list()) <= {"satellite", "unknown"}
    with_header = tables["positions"].filter(pl.col("receiver_id").is_not_null())
    assert with_header.height > 0
    assert (with_header["receiver_class"] == "satellite").all()
