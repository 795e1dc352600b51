"""Build the package's reference data from ../shared/data (run by hand; outputs are committed).

Usage: python tools/build_package_data.py [--shared ../shared/data]

Writes, under src/shadowfleet/data/:
  geo/ports.parquet        ports: the searoute (UN/LOCODE) list, plus NGA World Port Index
                           ports more than 5 km from any of them
  geo/anchorages.parquet   Global Fishing Watch named anchorage points
  geo/mid.csv              Maritime Identification Digits to countries
  geo/ne_50m_land.json     Natural Earth 1:50m land polygons (for maps)
  sanctions/un1718_vessels_2020-06-04.csv   UN 1718 Committee designated vessels

Each output keeps its source's licence; see src/shadowfleet/data/README.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "shadowfleet" / "data"


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def build_ports(shared: Path, mid: pl.DataFrame) -> pl.DataFrame:
    """Ports of the searoute list, plus World Port Index ports more than 5 km from any of them."""
    features = json.loads((shared / "searoute_marnet" / "ports.geojson").read_text())["features"]
    searoute = pl.DataFrame(
        {
            "locode": [f["properties"]["port"] for f in features],
            "name": [f["properties"]["name"] for f in features],
            "country_name": [f["properties"]["cty"].replace("_", " ") for f in features],
            "lon": [float(f["geometry"]["coordinates"][0]) for f in features],
            "lat": [float(f["geometry"]["coordinates"][1]) for f in features],
        }
    ).with_columns(
        pl.col("locode").str.slice(0, 2).alias("country_iso2"),
        pl.lit("searoute").alias("source"),
        pl.lit(None, dtype=pl.String).alias("harbor_size"),
    )
    # Country names to ISO codes, from both tables' own pairings.
    names = {_key(n): c for n, c in zip(searoute["country_name"], searoute["country_iso2"], strict=True)}
    names.update({_key(n): c for n, c in zip(mid["country"], mid["iso2"], strict=True) if c})
    wpi = pl.read_csv(shared / "wpi_tracktable" / "wpi_pub150_ports.csv", infer_schema=False, encoding="utf8-lossy")
    wpi = wpi.select(
        pl.col("UN/LOCODE").str.strip_chars().alias("locode"),
        pl.col("Main Port Name").alias("name"),
        pl.col("Country Code").alias("country_name"),
        pl.col("Longitude").cast(pl.Float64).alias("lon"),
        pl.col("Latitude").cast(pl.Float64).alias("lat"),
        pl.col("Harbor Size").alias("harbor_size"),
    ).with_columns(
        pl.when(pl.col("locode").str.len_chars() == 5).then(pl.col("locode")).alias("locode"),
        pl.col("country_name").map_elements(lambda n: names.get(_key(n)), return_dtype=pl.String).alias("country_iso2"),
        pl.lit("wpi").alias("source"),
    )
    # Keep WPI ports that are not already in the searoute list (more than 5 km away).
    lat_s, lon_s = np.radians(searoute["lat"].to_numpy()), np.radians(searoute["lon"].to_numpy())
    keep = []
    for lat, lon in zip(np.radians(wpi["lat"].to_numpy()), np.radians(wpi["lon"].to_numpy()), strict=True):
        h = np.sin((lat_s - lat) / 2) ** 2 + np.cos(lat) * np.cos(lat_s) * np.sin((lon_s - lon) / 2) ** 2
        keep.append(bool(6_371_000 * 2 * np.arcsin(np.sqrt(h.min())) > 5_000))
    wpi = wpi.filter(pl.Series(keep))
    ports = pl.concat([searoute, wpi.select(searoute.columns)], how="vertical")
    return ports.with_columns(pl.col("name").str.replace_all("'", "")).sort("country_iso2", "name")


def main() -> None:
    """Build every packaged table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    shared: Path = args.shared
    (OUT / "geo").mkdir(parents=True, exist_ok=True)
    (OUT / "sanctions").mkdir(parents=True, exist_ok=True)
    mid = pl.read_csv(shared / "mid_table" / "mid_country_iso.csv", infer_schema=False)
    mid.write_csv(OUT / "geo" / "mid.csv")
    ports = build_ports(shared, mid)
    ports.write_parquet(OUT / "geo" / "ports.parquet", compression="zstd")
    iso3 = dict(zip(mid["iso3"], mid["iso2"], strict=True))
    anchorages = pl.read_csv(shared / "gfw_anchorages" / "anchorage_overrides.csv", infer_schema=False).select(
        pl.col("s2id"),
        pl.col("latitude").str.strip_chars().cast(pl.Float64).alias("lat"),
        pl.col("longitude").str.strip_chars().cast(pl.Float64).alias("lon"),
        pl.col("label"),
        pl.col("sublabel"),
        pl.col("iso3"),
        pl.col("iso3").replace_strict(iso3, default=None, return_dtype=pl.String).alias("country_iso2"),
    )
    anchorages.write_parquet(OUT / "geo" / "anchorages.parquet", compression="zstd")
    shutil.copy(shared / "natural_earth" / "ne_50m_land.json", OUT / "geo" / "ne_50m_land.json")
    shutil.copy(
        shared / "un1718_vessels" / "un1718_designated_vessels_2020-06-04.csv",
        OUT / "sanctions" / "un1718_vessels_2020-06-04.csv",
    )
    print(f"ports {ports.height}, anchorages {anchorages.height}, MIDs {mid.height}")


if __name__ == "__main__":
    main()
