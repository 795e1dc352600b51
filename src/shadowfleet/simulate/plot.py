"""A map of a simulation: received tracks, the evading fleet, transfers, dark port calls, receivers."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from shadowfleet.simulate.generate import Simulation

ROLE_COLOURS = {
    "direct_runner": "#d62728",
    "nampo_barge": "#ff7f0e",
    "sts_donor": "#9467bd",
    "sts_receiver_tonkin": "#e377c2",
    "sts_receiver_china": "#8c564b",
}
ROLE_LABELS = {
    "direct_runner": "DPRK coal runner",
    "nampo_barge": "Chinese barge loading at Nampo",
    "sts_donor": "transfer donor (DPRK)",
    "sts_receiver_tonkin": "transfer receiver, Gulf of Tonkin",
    "sts_receiver_china": "transfer receiver, off China",
}


@functools.cache
def _land() -> list[npt.NDArray[np.float64]]:
    path = resources.files("shadowfleet") / "data" / "geo" / "ne_50m_land.json"
    with resources.as_file(path) as file:
        features = json.loads(Path(file).read_text(encoding="utf-8"))["features"]
    rings: list[npt.NDArray[np.float64]] = []
    for feature in features:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings.extend(np.asarray(polygon[0]) for polygon in polygons)
    return rings


def _port_position(locode: str, lat: float | None, lon: float | None) -> tuple[float, float, str] | None:
    from shadowfleet.geo.gazetteer import ports

    row = ports().filter(pl.col("locode") == locode)
    if row.is_empty():
        return None if lat is None or lon is None else (lat, lon, locode)
    return float(row["lat"][0]), float(row["lon"][0]), str(row["name"][0]).strip()


def _track_segments(frame: pl.DataFrame, max_gap_h: float = 6.0) -> list[np.ndarray]:
    """Each vessel's received positions as polylines, broken at gaps (a gap is not a path)."""
    frame = frame.sort("vessel", "timestamp")
    vessel = frame["vessel"].to_numpy()
    seconds = frame["timestamp"].dt.epoch("s").to_numpy()
    xy = np.column_stack([frame["lon"].to_numpy(), frame["lat"].to_numpy()])
    breaks = np.flatnonzero((np.diff(vessel) != 0) | (np.diff(seconds) > max_gap_h * 3600)) + 1
    return [part for part in np.split(xy, breaks) if len(part) > 1]


def draw_map(sim: Simulation, path: Path, dpi: int = 130) -> Path:
    """Draw the simulation's map into a PNG file.

    Ordinary traffic is grey; each evasion role has its colour; transfers at sea are
    stars, dark port calls squares at the port, coastal receivers small triangles with
    their nominal range. Positions are those received (what an analyst would have).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    box = sim.scenario.region
    width = 9.0
    aspect = (box.north - box.south) / ((box.east - box.west) * np.cos(np.radians((box.north + box.south) / 2)))
    fig, ax = plt.subplots(figsize=(width, width * aspect * 0.95))
    ax.set_facecolor("#dfeaf3")
    ax.add_collection(PolyCollection(_land(), facecolor="#f2efe6", edgecolor="#b9b3a3", linewidth=0.4, zorder=1))
    roles = {r.index: r.role for r in sim.vessels}
    positions = sim.positions.filter(~pl.col("spoofed"))
    role = positions["vessel"].replace_strict(roles, return_dtype=pl.String)
    positions = positions.with_columns(role.alias("role"))
    ordinary = positions.filter(pl.col("role") == "ordinary").select("vessel", "timestamp", "lat", "lon")
    ax.add_collection(
        LineCollection(_track_segments(ordinary), colors="#7f7f7f", linewidths=0.35, alpha=0.45, zorder=2)
    )
    handles = [Line2D([], [], color="#7f7f7f", lw=1, label="ordinary traffic (received positions)")]
    for name, colour in ROLE_COLOURS.items():
        part = positions.filter(pl.col("role") == name).select("vessel", "timestamp", "lat", "lon")
        if part.is_empty():
            continue
        ax.add_collection(LineCollection(_track_segments(part), colors=colour, linewidths=0.9, zorder=3))
        handles.append(Line2D([], [], color=colour, lw=1.5, label=ROLE_LABELS[name]))
    stations = sim.stations
    ax.scatter(stations["lon"], stations["lat"], marker="^", s=9, color="#1f77b4", zorder=4)
    for lat, lon, reach in zip(stations["lat"], stations["lon"], stations["range_m"], strict=True):
        radius = reach / 111_195.0
        circle = Circle((lon, lat), radius, transform=ax.transData, fill=False, lw=0.3, color="#1f77b4", alpha=0.35)
        ax.add_patch(circle)
    handles.append(Line2D([], [], marker="^", ls="", color="#1f77b4", label="coastal receiver (nominal range)"))
    events = [e for e in sim.truth["events"] if e["deliberate"]]
    sts = [e for e in events if e["event_type"] == "encounter"]
    dark = [e for e in events if e["event_type"] == "dark_port_call"]
    if sts:
        ax.scatter(
            [e["lon"] for e in sts],
            [e["lat"] for e in sts],
            marker="*",
            s=90,
            color="#2ca02c",
            edgecolor="black",
            linewidth=0.4,
            zorder=5,
        )
        handles.append(Line2D([], [], marker="*", ls="", color="#2ca02c", markersize=10, label="ship-to-ship transfer"))
    if dark:
        ax.scatter([e["lon"] for e in dark], [e["lat"] for e in dark], marker="s", s=40, color="black", zorder=5)
        handles.append(Line2D([], [], marker="s", ls="", color="black", label="port call with AIS off (DPRK)"))
    labelled = {p.locode for p in sim.scenario.ports if p.weight >= 2.0 or "KP" in p.locode[:2]}
    for entry in sim.scenario.ports:
        if entry.locode not in labelled:
            continue
        stops = _port_position(entry.locode, entry.lat, entry.lon)
        if stops is None:
            continue
        ax.annotate(
            entry.name or stops[2],
            (stops[1], stops[0]),
            fontsize=6,
            color="#333333",
            zorder=6,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax.set_xlim(box.west, box.east)
    ax.set_ylim(box.south, box.north)
    ax.set_aspect(1 / np.cos(np.radians((box.north + box.south) / 2)))
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    days = sim.scenario.days
    ax.set_title(
        f"shadowfleet simulate --scenario {sim.scenario.name} --seed {sim.seed}: "
        f"{len(sim.vessels)} vessels, {days} days, {sim.positions.height:,} positions received",
        fontsize=9,
    )
    ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
