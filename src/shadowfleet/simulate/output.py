"""Write a simulation: raw NMEA, NOAA-style CSV or Parquet, and ``truth.json``.

Files are split by UTC day as providers deliver them. A small, counted fraction of
lines or rows is damaged on purpose (bad checksums, truncated lines, garbage, and
unreadable coordinates in CSV) so that reject accounting is exercised; the counts
are in ``truth.json`` under ``files``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

from shadowfleet.simulate.encode import position_payloads, sentences, static_payloads
from shadowfleet.simulate.generate import Simulation

FORMATS: Final = ("nmea", "csv", "parquet")
PRINTABLE: Final = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ,.;:-", dtype=np.uint8
)


@dataclass
class WrittenFiles:
    """What was written.

    Attributes:
        paths: The data files.
        lines: Lines (NMEA) or rows (CSV, Parquet) written, damaged ones included.
        positions: Position reports written intact.
        statics: Static reports written intact.
        damaged: Damaged lines or rows, by kind.
    """

    paths: list[Path] = field(default_factory=list)
    lines: int = 0
    positions: int = 0
    statics: int = 0
    damaged: dict[str, int] = field(default_factory=dict)

    def as_dict(self, root: Path) -> dict[str, Any]:
        """JSON-ready description, paths relative to ``root``."""
        return {
            "paths": [str(p.relative_to(root)) for p in self.paths],
            "lines": self.lines,
            "positions": self.positions,
            "statics": self.statics,
            "damaged": self.damaged,
        }


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _days(sim: Simulation) -> Iterator[tuple[str, datetime, datetime]]:
    """Each UTC day of the simulation: its name, first instant and the next day's."""
    start = sim.scenario.start
    for day in range(sim.scenario.days):
        begin = start + timedelta(days=day)
        yield begin.strftime("%Y-%m-%d"), begin, begin + timedelta(days=1)


def _in(frame: pl.DataFrame, begin: datetime, end: datetime) -> pl.DataFrame:
    """The rows of a day, in time order (one day is materialised at a time: bounded memory)."""
    return frame.filter(pl.col("timestamp").is_between(begin, end, closed="left")).sort("timestamp", "vessel")


def _damage_count(n: int, fraction: float, rng: np.random.Generator) -> int:
    return int(rng.binomial(n, fraction)) if n else 0


def write_nmea(sim: Simulation, out: Path, rng: np.random.Generator) -> WrittenFiles:
    """One ``ais-YYYY-MM-DD.nmea`` file per day of tag-blocked sentences, in time order."""
    written = WrittenFiles(damaged={"bad_checksum": 0, "truncated": 0, "garbage": 0})
    for day, begin, end in _days(sim):
        positions = _in(sim.positions, begin, end)
        statics = _in(sim.statics, begin, end)
        lines, kinds = _day_sentences(positions, statics, rng)
        order = np.lexsort((kinds["order"], kinds["epoch"]))
        lines = lines.gather(order)
        is_position = kinds["position"][order]
        lines, damaged_positions, counts = _damage_lines(lines, is_position, sim.config.malformed_line_fraction, rng)
        for kind, count in counts.items():
            written.damaged[kind] += count
        path = out / f"ais-{day}.nmea"
        temporary = path.with_name(path.name + ".tmp")
        pl.DataFrame({"line": lines}).write_csv(temporary, include_header=False, quote_style="never")
        os.replace(temporary, path)
        written.paths.append(path)
        written.lines += lines.len()
        written.positions += positions.height - damaged_positions
        written.statics += statics.height
    return written


def _day_sentences(
    positions: pl.DataFrame, statics: pl.DataFrame, rng: np.random.Generator
) -> tuple[pl.Series, dict[str, np.ndarray]]:
    n = positions.height
    position_chars = position_payloads(positions, rng)
    satellite = (positions["receiver_class"] == "satellite").to_numpy()
    epoch = (positions["timestamp"].dt.epoch("s")).to_numpy()
    channel = pl.Series(np.where(rng.random(n) < 0.5, "A", "B"))
    position_lines = sentences(
        position_chars,
        np.full(n, 28),
        np.zeros(n, np.int64),
        np.ones(n, np.int64),
        np.ones(n, np.int64),
        np.full(n, -1),
        pl.Series(np.where(satellite, "AI", "BS")),
        channel,
        positions["receiver_id"],
        epoch,
    )
    static = static_payloads(statics)
    m = static.row.size
    static_epoch = statics["timestamp"].dt.epoch("s").to_numpy()[static.row]
    static_satellite = (statics["receiver_class"] == "satellite").to_numpy()[static.row]
    width = np.where(static.count == 2, np.where(static.number == 1, 60, 11), np.where(static.fill == 2, 27, 28))
    sequence = np.where(static.count == 2, static.row % 10, -1)
    static_channel = pl.Series(np.where(rng.random(statics.height) < 0.5, "A", "B")[static.row])
    static_lines = sentences(
        static.chars,
        width,
        static.fill,
        static.count,
        static.number,
        sequence,
        pl.Series(np.where(static_satellite, "AI", "BS")),
        static_channel,
        statics["receiver_id"].gather(static.row),
        static_epoch,
    )
    # Keep the sentences of one message together and in order: sort key within a second.
    order = np.r_[np.arange(n) * 4.0, (n + static.row) * 4.0 + static.number]
    kinds = {
        "epoch": np.r_[epoch, static_epoch],
        "order": order,
        "position": np.r_[np.ones(n, dtype=bool), np.zeros(m, dtype=bool)],
    }
    return pl.concat([position_lines, static_lines]), kinds


def _damage_lines(
    lines: pl.Series, is_position: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[pl.Series, int, dict[str, int]]:
    """Damage a few single-sentence position lines and insert garbage lines."""
    candidates = np.flatnonzero(is_position)
    n_damage = min(candidates.size, _damage_count(candidates.size, fraction, rng))
    chosen = np.sort(rng.choice(candidates, size=n_damage, replace=False)) if n_damage else np.zeros(0, np.int64)
    kinds = rng.integers(0, 2, n_damage)
    damaged = []
    for text, kind in zip(lines.gather(chosen).to_list(), kinds, strict=True):
        body = text.index("!")
        if kind == 0:  # one payload character changed: the checksum no longer matches
            payload_at = (
                text.index(
                    ",", text.index(",", text.index(",", text.index(",", text.index(",", body) + 1) + 1) + 1) + 1
                )
                + 1
            )
            position = payload_at + int(rng.integers(0, 20))
            damaged.append(text[:position] + ("0" if text[position] != "0" else "1") + text[position + 1 :])
        else:  # cut off mid-sentence, as when a receiver's link drops
            damaged.append(text[: body + int(rng.integers(8, 30))])
    if n_damage:
        lines = lines.scatter(chosen, pl.Series(damaged, dtype=pl.String))
    counts = {"bad_checksum": int((kinds == 0).sum()), "truncated": int((kinds == 1).sum()), "garbage": 0}
    n_garbage = _damage_count(lines.len(), fraction / 4, rng)
    if n_garbage:
        at = rng.integers(0, lines.len() + 1, n_garbage)
        garbage = ["".join(chr(c) for c in rng.choice(PRINTABLE, int(rng.integers(5, 60)))) for _ in range(n_garbage)]
        keyed = pl.concat(
            [
                pl.DataFrame({"line": lines, "key": np.arange(lines.len()) * 2 + 1}),
                pl.DataFrame({"line": pl.Series(garbage, dtype=pl.String), "key": at * 2}),
            ]
        )
        lines = keyed.sort("key", maintain_order=True)["line"]
        counts["garbage"] = n_garbage
    return lines, n_damage, counts


def _with_statics(sim: Simulation, begin: datetime, end: datetime) -> pl.DataFrame:
    """A day's positions with the latest static report received before each (as NOAA merges them).

    Providers merge by MMSI, the only key they have: a ship that changes its MMSI
    starts with no static data, and two ships sharing one MMSI get each other's.
    """
    statics = (
        sim.statics.filter(pl.col("timestamp") < end)
        .select(
            "mmsi",
            pl.col("timestamp").alias("static_time"),
            "imo",
            "name",
            "call_sign",
            "ship_type",
            (pl.col("to_bow_m") + pl.col("to_stern_m")).alias("length_m"),
            (pl.col("to_port_m") + pl.col("to_starboard_m")).alias("beam_m"),
            "draught_m",
            "destination",
            "transponder_class",
        )
        .sort("static_time")
    )
    positions = _in(sim.positions, begin, end)
    return positions.join_asof(
        statics, left_on="timestamp", right_on="static_time", by="mmsi", strategy="backward", check_sortedness=False
    )


def write_csv(sim: Simulation, out: Path, rng: np.random.Generator) -> WrittenFiles:
    """One NOAA-style ``ais-YYYY-MM-DD.csv`` per day (with a ``ReceiverType`` column)."""
    written = WrittenFiles(damaged={"bad_coordinate": 0})
    for day, begin, end in _days(sim):
        rows = _noaa_columns(_with_statics(sim, begin, end))
        n_bad = _damage_count(rows.height, sim.config.malformed_line_fraction, rng)
        part = rows
        if n_bad:
            bad = rng.choice(rows.height, size=n_bad, replace=False)
            mask = np.zeros(rows.height, dtype=bool)
            mask[bad] = True
            part = rows.with_columns(pl.when(pl.Series(mask)).then(pl.lit("9x.1")).otherwise("LAT").alias("LAT"))
            written.damaged["bad_coordinate"] += n_bad
        path = out / f"ais-{day}.csv"
        temporary = path.with_name(path.name + ".tmp")
        part.write_csv(temporary)
        os.replace(temporary, path)
        written.paths.append(path)
        written.lines += part.height
        written.positions += part.height - n_bad
    return written


def _noaa_columns(merged: pl.DataFrame) -> pl.DataFrame:
    return merged.select(
        pl.col("mmsi").alias("MMSI"),
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S").alias("BaseDateTime"),
        pl.col("lat").round(5).cast(pl.String).alias("LAT"),
        pl.col("lon").round(5).alias("LON"),
        pl.col("sog_kn").alias("SOG"),
        pl.col("cog_deg").alias("COG"),
        pl.when(pl.col("msg_type") == 18).then(511).otherwise(pl.col("heading_deg")).alias("Heading"),
        pl.col("name").alias("VesselName"),
        pl.when(pl.col("imo").is_not_null()).then(pl.lit("IMO") + pl.col("imo").cast(pl.String)).alias("IMO"),
        pl.col("call_sign").alias("CallSign"),
        pl.col("ship_type").alias("VesselType"),
        pl.col("nav_status").alias("Status"),
        pl.col("length_m").alias("Length"),
        pl.col("beam_m").alias("Width"),
        pl.col("draught_m").alias("Draft"),
        pl.lit(None, dtype=pl.Int64).alias("Cargo"),
        pl.col("transponder_class")
        .fill_null(pl.when(pl.col("msg_type") == 18).then(pl.lit("B")).otherwise(pl.lit("A")))
        .alias("TransceiverClass"),
        pl.col("receiver_class").alias("ReceiverType"),
    )


def write_parquet(sim: Simulation, out: Path) -> WrittenFiles:
    """One ``ais-YYYY-MM-DD.parquet`` per day: decoded positions with their latest statics."""
    written = WrittenFiles()
    for day, begin, end in _days(sim):
        part = _decoded_columns(_with_statics(sim, begin, end))
        path = out / f"ais-{day}.parquet"
        temporary = path.with_name(path.name + ".tmp")
        part.write_parquet(temporary, compression="zstd")
        os.replace(temporary, path)
        written.paths.append(path)
        written.lines += part.height
        written.positions += part.height
    return written


def _decoded_columns(merged: pl.DataFrame) -> pl.DataFrame:
    return merged.select(
        "mmsi",
        "timestamp",
        "lat",
        "lon",
        "sog_kn",
        "cog_deg",
        "heading_deg",
        "nav_status",
        "msg_type",
        "name",
        "imo",
        "call_sign",
        "ship_type",
        "length_m",
        "beam_m",
        "draught_m",
        "destination",
        pl.col("transponder_class").fill_null(
            pl.when(pl.col("msg_type") == 18).then(pl.lit("B")).otherwise(pl.lit("A"))
        ),
        "receiver_class",
        "receiver_id",
    )


def write_simulation(sim: Simulation, out: Path, fmt: str = "nmea") -> WrittenFiles:
    """Write a simulation's data files and ``truth.json`` into a directory.

    Args:
        sim: The simulation.
        out: Output directory (created when missing).
        fmt: ``nmea``, ``csv`` or ``parquet``.

    Returns:
        What was written.
    """
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([sim.seed, 0x5EED])
    if fmt == "nmea":
        written = write_nmea(sim, out, rng)
    elif fmt == "csv":
        written = write_csv(sim, out, rng)
    elif fmt == "parquet":
        written = write_parquet(sim, out)
    else:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    truth = {**sim.truth, "format": fmt, "files": written.as_dict(out)}
    _atomic_write_bytes(out / "truth.json", (json.dumps(truth, indent=1, allow_nan=False) + "\n").encode("utf-8"))
    return written
