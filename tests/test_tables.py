"""Provider tables: NOAA MarineCadastre variants, Danish aisdk, generic CSV, Parquet."""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from shadowfleet.config import Config
from shadowfleet.errors import InputError
from shadowfleet.ingest.runner import IngestOptions, ingest_paths
from shadowfleet.ingest.tables import detect_layout, normalise_table, settle_time_formats
from shadowfleet.store.lake import Store
from tests.conftest import CSV

NY = CSV / "noaa_nyharbor_2020-06-30_first_hour.csv"
DMA = CSV / "dma_aisdk_2018-02-08_sample.csv"
TARGALE = 538002775


def normalise(frame: pl.DataFrame, **kw: object) -> object:
    layout = settle_time_formats(frame.lazy(), detect_layout(frame.columns, **kw))  # type: ignore[arg-type]
    return normalise_table(frame, layout, first_row=2, epoch_ms_threshold=1e11, min_valid_time_s=946_684_800)


def ingest(store_dir: Path, *paths: Path, options: IngestOptions | None = None) -> tuple[Store, list[object]]:
    store = Store(store_dir, create=True)
    reports = ingest_paths(store, list(paths), Config(), options)
    return store, reports  # type: ignore[return-value]


def ny() -> pl.DataFrame:
    return pl.read_csv(NY, infer_schema=False)


# ---------------------------------------------------------------- NOAA
def test_new_york_hour_file_accounts_for_every_row(store_dir: Path) -> None:
    store, (report,) = ingest(store_dir, NY)
    assert report.status == "ingested"  # type: ignore[attr-defined]
    rows = 8689
    assert report.units_read == rows  # type: ignore[attr-defined]
    positions = store.scan("positions").collect()
    rejected = sum(report.rejects.values())  # type: ignore[attr-defined]
    assert positions.height + rejected + report.duplicates == rows  # type: ignore[attr-defined]
    assert positions["receiver_class"].unique().to_list() == ["terrestrial"]
    assert set(positions["transponder_class"].unique().to_list()) == {"A", "B"}
    assert positions["mmsi"].n_unique() == 295


def test_targale_keeps_its_imo(store_dir: Path) -> None:
    store, _ = ingest(store_dir, NY)
    statics = store.scan("statics").filter(pl.col("mmsi") == TARGALE).collect()
    assert statics["imo"].unique().to_list() == [9323340]
    assert statics["name"].unique().to_list() == ["TARGALE"]
    assert statics["n_reports"].sum() == store.scan("positions").filter(pl.col("mmsi") == TARGALE).collect().height


def test_noaa_signed_course_is_unwrapped_and_sentinels_nulled() -> None:
    frame = pl.DataFrame(
        {
            "BaseDateTime": ["2020-06-30T00:00:00"] * 4,
            "MMSI": ["367000140", "367000141", "367000142", "367000143"],
            "LAT": ["40.6", "40.6", "91", "40.6"],
            "LON": ["-74.0", "-74.0", "181", "-74.0"],
            "SOG": ["12.3", "102.3", "0", "-0.1"],
            "COG": ["-61.8", "-49.6", "204.7", "10.0"],
            "Heading": ["349.0", "511.0", "0", "10"],
        }
    )
    batch = normalise(frame)
    rows = batch.positions.sort("mmsi").to_dicts()  # type: ignore[attr-defined]
    assert rows[0]["cog_deg"] == pytest.approx(347.8, abs=1e-4)  # -61.8 + 409.6
    assert rows[1]["cog_deg"] is None and rows[1]["sog_kn"] is None and rows[1]["heading_deg"] is None
    assert rows[2]["lat"] is None and rows[2]["lon"] is None
    assert rows[3]["sog_kn"] is None  # -0.1 is the 10-bit "not available" 1023


@pytest.mark.parametrize(
    "columns",
    [
        # 2015-2017: no transceiver class
        [
            "MMSI",
            "BaseDateTime",
            "LAT",
            "LON",
            "SOG",
            "COG",
            "Heading",
            "VesselName",
            "IMO",
            "CallSign",
            "VesselType",
            "Status",
            "Length",
            "Width",
            "Draft",
            "Cargo",
        ],
        # 2018-2023
        [
            "MMSI",
            "BaseDateTime",
            "LAT",
            "LON",
            "SOG",
            "COG",
            "Heading",
            "VesselName",
            "IMO",
            "CallSign",
            "VesselType",
            "Status",
            "Length",
            "Width",
            "Draft",
            "Cargo",
            "TranscieverClass",
        ],
    ],
)
def test_noaa_column_variants(tmp_path: Path, store_dir: Path, columns: list[str]) -> None:
    path = tmp_path / "AIS_2020_06_30.csv"
    ny().select(columns).write_csv(path)
    store, (report,) = ingest(store_dir, path)
    assert report.status == "ingested", report.message  # type: ignore[attr-defined]
    assert store.scan("positions").collect().height == 8687
    targale = store.scan("statics").filter(pl.col("mmsi") == TARGALE).collect()
    assert targale["imo"].to_list() == [9323340]


def test_noaa_2024_snake_case_zipped(tmp_path: Path, store_dir: Path) -> None:
    renamed = (
        ny()
        .rename(
            {
                "BaseDateTime": "base_date_time",
                "LON": "longitude",
                "LAT": "latitude",
                "MMSI": "mmsi",
                "SOG": "sog",
                "COG": "cog",
                "Heading": "heading",
                "VesselName": "vessel_name",
                "IMO": "imo",
                "CallSign": "call_sign",
                "VesselType": "vessel_type",
                "Status": "status",
                "Length": "length",
                "Width": "width",
                "Draft": "draft",
                "Cargo": "cargo",
                "TranscieverClass": "transceiver",
            }
        )
        .drop("ETA")
    )
    csv_path = tmp_path / "ais-2024-06-30.csv"
    renamed.write_csv(csv_path)
    zipped = tmp_path / "ais-2024-06-30.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(csv_path, csv_path.name)
    store, (report,) = ingest(store_dir, zipped)
    assert report.status == "ingested", report.message  # type: ignore[attr-defined]
    assert store.scan("positions").collect().height == 8687


def test_geoparquet_with_wkb_points(tmp_path: Path, store_dir: Path) -> None:
    lon = np.array([-74.0, 125.5])
    lat = np.array([40.5, 38.7])
    wkb = [
        b"\x01\x01\x00\x00\x00" + np.float64(x).tobytes() + np.float64(y).tobytes()
        for x, y in zip(lon, lat, strict=True)
    ]
    frame = pl.DataFrame(
        {
            "mmsi": [367000140, 445451000],
            "base_date_time": [datetime(2024, 6, 30, 0, 0), datetime(2024, 6, 30, 0, 1)],
            "geometry": pl.Series(wkb, dtype=pl.Binary),
            "sog": [1.0, 2.0],
        }
    )
    path = tmp_path / "ais-2024-06-30.parquet"
    frame.write_parquet(path)
    store, (report,) = ingest(store_dir, path)
    assert report.status == "ingested", report.message  # type: ignore[attr-defined]
    positions = store.scan("positions").sort("mmsi").collect()
    assert positions["lon"].to_list() == [-74.0, 125.5]
    assert positions["lat"].to_list() == [40.5, 38.7]
    assert positions["timestamp"].to_list()[1] == datetime(2024, 6, 30, 0, 1, tzinfo=UTC)


# ---------------------------------------------------------------- DMA
def test_danish_aisdk_rows(store_dir: Path) -> None:
    store, (report,) = ingest(store_dir, DMA)
    assert report.status == "ingested"  # type: ignore[attr-defined]
    positions = store.scan("positions").collect()
    assert positions.height == 10
    first = positions.filter(pl.col("mmsi") == 265177000).row(0, named=True)
    assert first["timestamp"] == datetime(2018, 2, 8, 0, 0, tzinfo=UTC)  # dd/mm/yyyy, not mm/dd
    assert first["nav_status"] == 0  # "Under way using engine"
    assert first["transponder_class"] == "A"
    statuses = dict(zip(positions["mmsi"], positions["nav_status"], strict=True))
    assert statuses[244678000] == 1  # "At anchor"
    assert statuses[266065000] == 9  # "Reserved for future amendment [HSC]"


def test_danish_text_codes_and_station_types() -> None:
    frame = pl.DataFrame(
        {
            "# Timestamp": ["08/02/2018 00:00:00"] * 4,
            "Type of mobile": ["Class A", "AtoN", "Base Station", "SAR airborne"],
            "MMSI": ["219000001", "992191234", "2190064", "111219500"],
            "Latitude": ["55.1", "55.2", "55.3", "55.4"],
            "Longitude": ["12.1", "12.2", "12.3", "12.4"],
            "Navigational status": ["Moored", None, None, None],
            "IMO": ["Unknown", None, None, None],
            "Ship type": ["Tanker", None, None, None],
            "Cargo type": ["Category X", None, None, None],
            "Name": ["NORDIC TANKER", "HAVNEBOJE", None, None],
        }
    )
    batch = normalise(frame)
    assert batch.positions["nav_status"].to_list() == [5]  # type: ignore[attr-defined]
    statics = batch.statics.to_dicts()  # type: ignore[attr-defined]
    assert statics[0]["ship_type"] == 81 and statics[0]["imo_reported"] is None
    assert batch.aids_to_navigation["mmsi"].to_list() == [992191234]  # type: ignore[attr-defined]
    assert batch.base_stations["mmsi"].to_list() == [2190064]  # type: ignore[attr-defined]
    assert batch.rejects["reason"].to_list() == ["unsupported_type"]  # type: ignore[attr-defined]
    assert batch.rejects["detail"].to_list() == ["station type SAR airborne"]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- generic tables
def test_generic_csv_with_a_column_mapping(tmp_path: Path, store_dir: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "ShipID,When,Y,X,Knots\n"
        "445451000,1593475200,39.0,125.2,9.5\n"
        "445451000,1593475260000,39.01,125.21,9.6\n"  # milliseconds
        "0,1593475200,39.0,125.2,9.5\n"  # MMSI 0
        "445451000,,39.0,125.2,9.5\n"  # no time
        "445451000,1593475200,139.0,125.2,9.5\n"  # off the globe
    )
    options = IngestOptions(
        column_map={"mmsi": "ShipID", "timestamp": "When", "lat": "Y", "lon": "X", "sog_kn": "Knots"}
    )
    store, (report,) = ingest(store_dir, path, options=options)
    assert report.status == "ingested", report.message  # type: ignore[attr-defined]
    positions = store.scan("positions").sort("timestamp").collect()
    assert positions["timestamp"].to_list() == [
        datetime(2020, 6, 30, tzinfo=UTC),
        datetime(2020, 6, 30, 0, 1, tzinfo=UTC),
    ]
    rejects = store.scan("rejects").sort("line_number").collect()
    assert rejects["line_number"].to_list() == [4, 5, 6]
    assert rejects["reason"].to_list() == ["invalid_field", "missing_timestamp", "invalid_field"]
    assert rejects["detail"].to_list()[0] == "invalid mmsi 0"


def test_generic_csv_aliases_and_time_formats() -> None:
    frame = pl.DataFrame(
        {
            "mmsi": ["257000001", "257000001"],
            "datetime": ["2021-03-01 12:00:00+01:00", "2021-03-01 12:05:00Z"],
            "latitude": ["60.1", "60.2"],
            "longitude": ["5.1", "5.2"],
            "course": ["90", "91"],
        }
    )
    batch = normalise(frame)
    times = batch.positions["timestamp"].to_list()  # type: ignore[attr-defined]
    assert times == [datetime(2021, 3, 1, 11, 0, tzinfo=UTC), datetime(2021, 3, 1, 12, 5, tzinfo=UTC)]
    assert batch.positions["cog_deg"].to_list() == [90.0, 91.0]  # type: ignore[attr-defined]


def test_table_without_required_columns_names_what_it_expected(tmp_path: Path, store_dir: Path) -> None:
    path = tmp_path / "weather.csv"
    path.write_text("station,temperature,pressure\nA,12.5,1013\n")
    _, (report,) = ingest(store_dir, path)
    assert report.status == "failed"  # type: ignore[attr-defined]
    assert "no column for mmsi, timestamp, lat, lon" in report.message  # type: ignore[attr-defined]
    assert "weather.csv" in report.message  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="not a column of the file"):
        detect_layout(["a", "b"], {"mmsi": "c"})


def test_ambiguous_day_month_dates_are_refused_not_guessed(tmp_path: Path, store_dir: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("mmsi,time,lat,lon\n" + "".join(f"244660000,0{d}/02/2020 12:00:00,52,4\n" for d in range(1, 4)))
    _, (report,) = ingest(store_dir, path)
    assert report.status == "failed"  # type: ignore[attr-defined]
    assert "--time-format" in report.message  # type: ignore[attr-defined]
    options = IngestOptions(time_format="%m/%d/%Y %H:%M:%S")
    store, (report,) = ingest(store_dir, path, options=options)
    assert report.status == "ingested"  # type: ignore[attr-defined]
    days = store.scan("positions").select(pl.col("timestamp").dt.day()).collect().to_series().to_list()
    assert days == [2, 2, 2]


def test_time_format_is_chosen_once_per_file(tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    rows = "".join(f"244660000,{d:02d}/01/2020 12:00:00,52,4\n" for d in range(13, 28))  # day-first only
    path.write_text("mmsi,time,lat,lon\n" + rows + "244660000,05/01/2020 12:00:00,52,4\n")
    store = Store(tmp_path / "s", create=True)
    config = Config(ingest=dataclasses.replace(Config().ingest, csv_batch_rows=4))
    (report,) = ingest_paths(store, [path], config)
    assert report.status == "ingested", report.message
    months = store.scan("positions").select(pl.col("timestamp").dt.month()).collect().to_series().unique().to_list()
    assert months == [1]  # 05/01 read day-first like the rest, in its own batch too


def test_rows_without_a_position_are_refused_and_blank_rows_ignored(tmp_path: Path, store_dir: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text(
        "mmsi,time,lat,lon\n244660000,1593475200,,4\n,,,\n244660000,1593475200,abc,4\n244660000,1593475260,91,181\n"
    )
    store, (report,) = ingest(store_dir, path)
    rejects = store.scan("rejects").sort("line_number").collect()
    assert rejects["line_number"].to_list() == [2, 4]
    assert rejects["detail"].to_list() == ["invalid position", "invalid position"]
    assert report.counts["ignored.blank_row"] == 1  # type: ignore[attr-defined]
    kept = store.scan("positions").collect()
    assert kept.height == 1 and kept["lat"].to_list() == [None]  # 91/181: "not available", kept


def test_parquet_inside_a_zip_and_nested_columns(tmp_path: Path, store_dir: Path) -> None:
    frame = pl.DataFrame(
        {
            "mmsi": [244660000, 0],
            "timestamp": [1593475200, 1593475200],
            "lat": [52.0, 52.0],
            "lon": [4.0, 4.0],
            "tags": [["a"], ["b", "c"]],
        }
    )
    inner = tmp_path / "x.parquet"
    frame.write_parquet(inner)
    zipped = tmp_path / "x.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(inner, "x.parquet")
    store, (report,) = ingest(store_dir, zipped)
    assert report.status == "ingested", report.message  # type: ignore[attr-defined]
    assert store.scan("positions").collect().height == 1
    assert '"tags"' in store.scan("rejects").collect()["raw"][0]
