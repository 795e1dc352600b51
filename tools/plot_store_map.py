"""Draw a store's tracks, port visits, AIS gaps and spoofing events on a map (PNG), to check them by eye.

Usage: ``python tools/plot_store_map.py STORE OUT.png [--title TEXT]``. Used for
``docs/images/ny-week-port-visits.png`` (gaps drawn from where the vessel went silent to
where it reappeared) (the NOAA New York Harbor week of
``../shared/data/noaa_ais_tracktable``, ingested and run through ``shadowfleet detect``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

from shadowfleet.simulate.plot import _land
from shadowfleet.store.lake import Store


def main(argv: list[str] | None = None) -> int:
    """Draw the map; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("store")
    parser.add_argument("out")
    parser.add_argument("--title", default="")
    args = parser.parse_args(argv)
    store = Store(args.store)
    positions = store.scan("positions").select("mmsi", "timestamp", "lat", "lon").collect().sort("mmsi", "timestamp")
    events = store.scan("events").collect()
    lat, lon = positions["lat"], positions["lon"]
    pad = 0.02
    box = (float(lon.quantile(0.005)) - pad, float(lon.quantile(0.995)) + pad)
    boy = (float(lat.quantile(0.005)) - pad, float(lat.quantile(0.995)) + pad)
    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    for ring in _land():
        ax.fill(ring[:, 0], ring[:, 1], color="#eeeadf", edgecolor="#b8b2a0", linewidth=0.4, zorder=0)
    for _, track in positions.group_by("mmsi", maintain_order=True):
        ax.plot(track["lon"], track["lat"], color="#4c72b0", linewidth=0.3, alpha=0.35, zorder=1)
    # Visits are placed at the gazetteer point of their first stop (GFW's convention),
    # so many visits share a marker.
    visits = events.filter(pl.col("event_type") == "port_visit")
    levels = [json.loads(d)["confidence_level"] for d in visits["details"]]
    colours = {2: "#fdae61", 3: "#f46d43", 4: "#a50026"}
    for level in (2, 3, 4):
        chosen = visits.filter(pl.Series([lv == level for lv in levels], dtype=pl.Boolean))
        ax.scatter(
            chosen["lon"],
            chosen["lat"],
            s=18,
            color=colours[level],
            edgecolor="black",
            linewidth=0.3,
            label=f"port visit, confidence {level} ({chosen.height})",
            zorder=3,
        )
    gaps = events.filter((pl.col("event_type") == "ais_gap") & pl.col("end_time").is_not_null())
    gap_colours = {"in_port": "#1a9850", "reception": "#8c8c8c", "likely_deliberate": "#d7191c"}
    for subtype, colour in gap_colours.items():
        chosen = gaps.filter(pl.col("subtype") == subtype)
        ends = [json.loads(d) for d in chosen["details"]]
        for start_lon, start_lat, end in zip(chosen["lon"], chosen["lat"], ends, strict=True):
            ax.plot(
                [start_lon, end["end_lon"]],
                [start_lat, end["end_lat"]],
                color=colour,
                linewidth=0.8,
                linestyle="--",
                alpha=0.7,
                zorder=2,
            )
        ax.scatter(
            chosen["lon"],
            chosen["lat"],
            s=8,
            marker="o",
            facecolor="none",
            edgecolor=colour,
            linewidth=0.8,
            label=f"AIS gap start, {subtype.replace('_', ' ')} ({chosen.height})",
            zorder=2,
        )
    spoofing = events.filter(pl.col("event_type") == "spoofing")
    if spoofing.height:
        ax.scatter(
            spoofing["lon"],
            spoofing["lat"],
            s=60,
            marker="x",
            color="black",
            label=f"spoofing ({spoofing.height})",
            zorder=4,
        )
    ax.set_xlim(*box)
    ax.set_ylim(*boy)
    ax.set_aspect(1 / math.cos(math.radians(float(lat.mean()))))  # metres the same both ways
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(args.title or f"{positions['mmsi'].n_unique()} vessels, {positions.height:,} positions")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
