"""Encounters as vessel density grows tenfold: does the cost stay linear in rows?

A box of open sea in the Yellow Sea (1° × 1°, more than 10 km from any port) holds
``--vessels`` drifting ships (0.2-1.5 kn, the speeds at which encounters are looked
for; faster fixes are dropped before the join, so this is the worst case), each
reporting every 5 minutes for three days. The same box then holds ten times as many.
Rows grow 10×; a pairwise method would grow 100×. The grid-cell equi-join's cost
grows with rows plus the pairs that really are near each other, and the latter grow
with density too, so the ratio reported is time per row at 10× over time per row at
1×, with the candidate pairs and the encounters found at each density.

Each density runs in-process (the data are generated, not read), best of
``--repeats`` interleaved runs.

Usage: ``python benchmarks/encounters.py [--vessels 150] [--factor 10] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from rich.console import Console
from rich.table import Table

from shadowfleet.config import EncounterConfig, TrackConfig
from shadowfleet.events.encounters import candidate_pairs, detect_encounters
from shadowfleet.schemas import DECLARATIONS, empty

OUT = Path(__file__).resolve().parents[1] / "benchmarks" / "out"
BOX = (35.0, 36.0, 123.0, 124.0)  # open Yellow Sea, over 10 km from the nearest port
console = Console()


def _reflect(values: np.ndarray, low: float, high: float) -> np.ndarray:
    span = high - low
    folded = np.mod(values - low, 2 * span)
    result: np.ndarray = low + span - np.abs(folded - span)
    return result


def drifting_fleet(vessels: int, *, days: float = 3.0, step_min: float = 5.0, seed: int = 7) -> pl.DataFrame:
    """Positions of ``vessels`` ships drifting in :data:`BOX`."""
    rng = np.random.default_rng(seed)
    steps = int(days * 24 * 60 / step_min)
    seconds = np.arange(steps) * step_min * 60.0
    lat0 = rng.uniform(BOX[0] + 0.05, BOX[1] - 0.05, vessels)
    lon0 = rng.uniform(BOX[2] + 0.05, BOX[3] - 0.05, vessels)
    speed_kn = rng.uniform(0.2, 1.5, vessels)
    heading = rng.uniform(0, 2 * np.pi, vessels)
    turn = rng.normal(0, 0.05, (vessels, steps)).cumsum(axis=1)  # slowly wandering course
    metres = speed_kn[:, None] * 1852 / 3600 * step_min * 60.0
    north = np.cumsum(metres * np.cos(heading[:, None] + turn), axis=1) / 111_195.0
    east = np.cumsum(metres * np.sin(heading[:, None] + turn), axis=1) / (111_195.0 * np.cos(np.radians(35.5)))
    lat = _reflect(lat0[:, None] + north, BOX[0], BOX[1])  # bounce off the box's sides,
    lon = _reflect(lon0[:, None] + east, BOX[2], BOX[3])  # so no crowd builds up there
    start = datetime(2020, 3, 1, tzinfo=UTC)
    ids = np.repeat(np.arange(vessels), steps)
    return pl.DataFrame(
        {
            "track_number": ids.astype(np.int64),
            "vessel_id": [f"V{i:05d}" for i in ids],
            "mmsi": (412_000_000 + ids).astype(np.int64),
            "timestamp": pl.Series(np.tile(seconds, vessels) * 1e6).cast(pl.Int64).cast(pl.Datetime("us"))
            + (start.replace(tzinfo=None) - datetime(1970, 1, 1)),
            "lat": lat.ravel(),
            "lon": lon.ravel(),
            "sog_kn": np.repeat(speed_kn, steps).astype(np.float32),
        }
    ).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC"))


def run(vessels: int, repeats: int, declarations: pl.DataFrame) -> dict[str, float]:
    """Best time of ``repeats`` runs of the encounter detector on one density."""
    positions = drifting_fleet(vessels)
    encounter, tracks = EncounterConfig(), TrackConfig()
    best = float("inf")
    events = pl.DataFrame()
    for _ in range(repeats):
        started = time.perf_counter()
        events = detect_encounters(positions, declarations, encounter, tracks)
        best = min(best, time.perf_counter() - started)
    from shadowfleet.tracks.resample import resample_tracks

    samples = resample_tracks(positions, tracks)
    pairs = candidate_pairs(samples, encounter)
    return {
        "vessels": vessels,
        "rows": positions.height,
        "seconds": round(best, 3),
        "us_per_row": round(best / positions.height * 1e6, 3),
        "candidate_pair_instants": pairs.height,
        "encounters": events.height,
    }


def main() -> None:
    """Run both densities and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--vessels", type=int, default=150)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    declarations = empty(DECLARATIONS)
    run(20, 1, declarations)  # warm up (numba, land mask, gazetteer)
    low = run(args.vessels, args.repeats, declarations)
    high = run(args.vessels * args.factor, args.repeats, declarations)
    table = Table(title="Encounters at 1× and 10× vessel density (same box, same period)")
    for key in low:
        table.add_column(key)
    for row in (low, high):
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()))
    console.print(table)
    ratio = high["us_per_row"] / low["us_per_row"]
    console.print(
        f"rows ×{high['rows'] / low['rows']:.0f}, time ×{high['seconds'] / low['seconds']:.1f}: "
        f"time per row ×{ratio:.2f} (1.0 = linear in rows; a pairwise method would be ×{args.factor})"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "encounters.json").write_text(
        json.dumps({"low": low, "high": high, "per_row_ratio": round(ratio, 3)}, indent=1)
    )


if __name__ == "__main__":
    main()
