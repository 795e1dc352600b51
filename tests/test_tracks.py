"""Cleaning, segmentation, vessel linking and identity periods on hand-built tracks."""

from __future__ import annotations

import math

import polars as pl
import pytest

from shadowfleet.config import Config, TrackConfig
from shadowfleet.pipeline import build_tracks
from shadowfleet.tracks.clean import clean_positions
from shadowfleet.tracks.identity import normalise_call_sign, normalise_name, ship_type_category
from shadowfleet.tracks.resample import resample_tracks
from shadowfleet.tracks.segment import match_score, segment_positions, summarise_tracks
from tests.track_builders import fix, moored, positions, sailing, static, statics

CONFIG = Config()


def _tracks(rows: list[dict[str, object]], config: TrackConfig | None = None) -> pl.DataFrame:
    cleaned, _ = clean_positions(positions(rows))
    return segment_positions(cleaned, config or CONFIG.tracks)


# ----------------------------------------------------------------------------- cleaning


def test_cleaning_nulls_sentinels_drops_duplicates_and_counts_everything() -> None:
    rows = [
        fix(1, 0.0, 10.0, 20.0, 102.3, 360.0, heading_deg=511.0),
        fix(1, 0.0, 10.0, 20.0, 102.3, 360.0, heading_deg=511.0, receiver_class="satellite"),
        fix(1, 1.0, 91.0, 20.0, 5.0, 90.0),
        fix(1, 2.0, None, 20.0, 5.0, 90.0),  # type: ignore[arg-type]
        fix(1, 3.0, 10.1, 20.0, 5.0, 90.0),
    ]
    cleaned, report = clean_positions(positions(rows))
    assert report.rows_in == 5 and report.rows_out == 2
    assert report.dropped == {"no_position": 1, "off_globe": 1, "duplicate": 1}
    assert report.nulled["sog_kn"] == 2 and report.nulled["cog_deg"] == 2 and report.nulled["heading_deg"] == 2
    first = cleaned.row(0, named=True)
    assert first["sog_kn"] is None and first["cog_deg"] is None and first["heading_deg"] is None
    assert first["receiver_class"] == "terrestrial"  # the terrestrial copy is kept
    assert cleaned["timestamp"].is_sorted()


# ----------------------------------------------------------------------------- segmentation


@pytest.mark.parametrize(("distance_nm", "same_track"), [(9.3, True), (9.7, False)])
def test_no_dead_reckoning_limit_is_max_speed_over_padded_time(distance_nm: float, same_track: bool) -> None:
    # Without speed and course (and more than an hour apart, so none is implied) only
    # the "did not move" hypothesis applies:
    # 4 × distance ≤ 25 kn × sqrt(1.5² + 0.25²) h = 38.02 nm, i.e. 9.5 nm.
    rows = [fix(1, 0.0, 0.0, 0.0), fix(1, 1.5, distance_nm / 60.0, 0.0)]
    segmented = _tracks(rows)
    assert (segmented["track_number"].n_unique() == 1) is same_track


def test_dead_reckoning_keeps_a_fast_straight_track_whole() -> None:
    rows = sailing(1, 0.0, 12.0, 30.0, 122.0, sog=18.0, cog=45.0, every_s=1800.0)
    assert _tracks(rows)["track_number"].n_unique() == 1


def test_speed_and_course_are_implied_when_the_data_has_none() -> None:
    rows = sailing(1, 0.0, 3.0, 30.0, 122.0, sog=18.0, cog=45.0, every_s=300.0)
    for row in rows:
        row["sog_kn"] = row["cog_deg"] = None
    assert _tracks(rows)["track_number"].n_unique() == 1


def test_score_is_zero_beyond_the_discrepancy_limit() -> None:
    nan = math.nan
    near = match_score((0.0, 0.0, 0.0, nan, nan), (3600.0, 6.3 / 60, 0.0, nan, nan), CONFIG.tracks)
    far = match_score((0.0, 0.0, 0.0, nan, nan), (3600.0, 6.6 / 60, 0.0, nan, nan), CONFIG.tracks)
    assert near > 0.0 and far == 0.0


@pytest.mark.parametrize(("silence_h", "tracks"), [(23.9, 1), (24.1, 2)])
def test_a_track_closes_after_24_hours_of_silence(silence_h: float, tracks: int) -> None:
    rows = [fix(1, 0.0, 10.0, 20.0, 0.0, 0.0), fix(1, silence_h, 10.0, 20.0, 0.0, 0.0)]
    assert _tracks(rows)["track_number"].n_unique() == tracks


def test_two_ships_on_one_mmsi_become_two_tracks_and_a_concurrent_pair() -> None:
    a = sailing(7, 0.0, 6.0, 30.0, 122.0, sog=12.0, cog=0.0)
    b = sailing(7, 0.05, 6.0, 33.0, 125.0, sog=10.0, cog=180.0)
    result = build_tracks(positions(a + b), statics([]), CONFIG)
    usable = result.tracks.filter(~pl.col("noise"))
    assert usable.height == 2
    assert result.pairs.height == 1 and result.pairs["switches"][0] >= 4
    assert result.chains.height == 2  # two hulls, two vessels
    assert result.positions["vessel_id"].n_unique() == 2


def test_a_stray_fix_is_noise_not_a_new_vessel() -> None:
    rows = sailing(3, 0.0, 6.0, 30.0, 122.0, sog=12.0, cog=90.0)
    rows.insert(10, fix(3, 1.62, 35.0, 130.0, 12.0, 90.0))  # between the 10th and 11th fixes
    result = build_tracks(positions(rows), statics([]), CONFIG)
    assert int(result.tracks["noise"].sum()) == 1
    assert result.vessels.height == 1


def test_segmentation_is_per_mmsi_and_vectorised_over_vessels() -> None:
    rows = sailing(1, 0.0, 3.0, 30.0, 122.0, 12.0, 0.0) + sailing(2, 0.0, 3.0, 30.0, 122.0, 12.0, 0.0)
    segmented = _tracks(rows)
    assert segmented.group_by("mmsi").agg(pl.col("track_number").n_unique())["track_number"].to_list() == [1, 1]
    summary = summarise_tracks(segmented, CONFIG.tracks)
    assert summary["track_id"].str.starts_with("1-").sum() == 1


# ----------------------------------------------------------------------------- normalisation


def test_names_and_call_signs_normalise() -> None:
    names = pl.Series(["M/V Xin Hai No. 8", "XIN HAI 8", "XINHAI NO8", "  ", "Kai Shin Maru (ex Wise)"])
    assert pl.select(normalise_name(pl.lit(names))).to_series().to_list() == [
        "XINHAI8",
        "XINHAI8",
        "XINHAI8",
        None,
        "KAISHINMARU",
    ]
    calls = pl.Series(["p6-rel", "NONE", "0", "ab"])
    assert pl.select(normalise_call_sign(pl.lit(calls))).to_series().to_list() == ["P6REL", None, None, None]
    types = pl.Series([70, 79, 31, 52, 0, None], dtype=pl.Int16)
    assert pl.select(ship_type_category(pl.lit(types))).to_series().to_list() == [70, 70, 31, 52, None, None]


# ----------------------------------------------------------------------------- identities and vessels


def _voyage_with(
    mmsi: int, start_h: float, hours: float, lat: float = 30.0, lon: float = 122.0
) -> list[dict[str, object]]:
    return moored(mmsi, start_h, hours, lat, lon, jitter_m=0.0)


def test_a_value_heard_once_among_many_is_noise() -> None:
    rows = _voyage_with(1, 0.0, 48.0)
    reports = [
        static(1, 0.0, 100, 20.0, name="ALPHA", length_m=100.0, beam_m=16.0),
        static(1, 20.1, 1, 0.0, name="ALPHQ", length_m=100.0, beam_m=16.0),
        static(1, 20.2, 100, 27.0, name="ALPHA", length_m=100.0, beam_m=16.0),
    ]
    result = build_tracks(positions(rows), statics(reports), CONFIG)
    names = result.runs.filter(pl.col("field") == "name")
    assert names["value"].to_list() == ["ALPHA"]
    assert result.identities.height == 1


def test_a_persistent_new_name_is_a_new_identity_period() -> None:
    rows = _voyage_with(1, 0.0, 48.0)
    reports = [
        static(1, 0.0, 100, 20.0, name="ALPHA", call_sign="3EAB1"),
        static(1, 30.0, 2, 0.1, name="BRAVO", call_sign="3EAB1"),
    ]
    result = build_tracks(positions(rows), statics(reports), CONFIG)
    assert result.identities["name"].to_list() == ["ALPHA", "BRAVO"]


@pytest.mark.parametrize(("distance_m", "linked"), [(990.0, True), (1010.0, False)])
def test_stitcher_links_identities_within_one_kilometre(distance_m: float, linked: bool) -> None:
    old = _voyage_with(412000001, 0.0, 24.0)
    new = _voyage_with(667000001, 48.0, 24.0, lat=30.0 + distance_m / 111_195.0)
    reports = [
        static(412000001, 0.0, 50, 23.0, name="ALPHA", length_m=120.0, beam_m=18.0),
        static(667000001, 48.0, 50, 23.0, name="BRAVO", length_m=121.0, beam_m=18.0),
    ]
    result = build_tracks(positions(old + new), statics(reports), CONFIG)
    assert (result.vessels.height == 1) is linked
    if linked:
        assert result.links["rule"].to_list() == ["stitch"]


def test_stitcher_needs_matching_dimensions_and_sixty_days() -> None:
    old = _voyage_with(412000001, 0.0, 24.0)
    reports = [static(412000001, 0.0, 50, 23.0, name="ALPHA", length_m=120.0, beam_m=18.0)]
    other_size = _voyage_with(667000001, 48.0, 24.0)
    result = build_tracks(
        positions(old + other_size),
        statics([*reports, static(667000001, 48.0, 50, 23.0, length_m=180.0, beam_m=30.0)]),
        CONFIG,
    )
    assert result.vessels.height == 2
    late = _voyage_with(667000001, 24.0 + 61 * 24.0, 24.0)
    result = build_tracks(
        positions(old + late),
        statics([*reports, static(667000001, 24.0 + 61 * 24.0, 50, 23.0, length_m=120.0, beam_m=18.0)]),
        CONFIG,
    )
    assert result.vessels.height == 2


def test_same_imo_links_mmsis_unless_they_overlap() -> None:
    far_apart = _voyage_with(412000001, 0.0, 24.0) + _voyage_with(667000001, 100.0, 24.0, lat=35.0)
    reports = [
        static(412000001, 0.0, 50, 23.0, imo_reported=9323340),
        static(667000001, 100.0, 50, 23.0, imo_reported=9323340),
    ]
    result = build_tracks(positions(far_apart), statics(reports), CONFIG)
    assert result.vessels.height == 1 and result.links["rule"].to_list() == ["imo"]
    assert result.mmsi_periods["mmsi"].to_list() == [412000001, 667000001]
    at_once = _voyage_with(412000001, 0.0, 24.0) + _voyage_with(667000001, 0.0, 24.0, lat=35.0)
    reports = [
        static(412000001, 0.0, 50, 23.0, imo_reported=9323340),
        static(667000001, 0.0, 50, 23.0, imo_reported=9323340),
    ]
    result = build_tracks(positions(at_once), statics(reports), CONFIG)
    assert result.vessels.height == 2


def test_vessel_ids_are_stable_across_runs() -> None:
    rows = sailing(1, 0.0, 3.0, 30.0, 122.0, 12.0, 0.0)
    first = build_tracks(positions(rows), statics([]), CONFIG).vessels["vessel_id"].to_list()
    again = build_tracks(positions(list(reversed(rows))), statics([]), CONFIG).vessels["vessel_id"].to_list()
    assert first == again and first[0].startswith("V")


# ----------------------------------------------------------------------------- resampling


def _resampled(rows: list[dict[str, object]], config: TrackConfig | None = None) -> pl.DataFrame:
    return resample_tracks(_tracks(rows, config), config or CONFIG.tracks)


def test_resampling_follows_the_line_on_an_absolute_grid() -> None:
    rows = sailing(1, 0.05, 2.0, 30.0, 122.0, sog=12.0, cog=90.0, every_s=420.0)  # fixes every 7 min
    samples = _resampled(rows)
    seconds = samples["timestamp"].dt.epoch("s")
    assert (seconds % 600 == 0).all()
    assert samples.height == 12  # 00:10 ... 02:00 inside 00:03 ... 02:03
    assert samples["lat"].to_numpy() == pytest.approx(30.0, abs=1e-9)
    # 12 kn due east: longitude grows linearly with time
    first, last = samples.row(0, named=True), samples.row(-1, named=True)
    metres = (last["lon"] - first["lon"]) * 111_195.0 * math.cos(math.radians(30.0))
    assert metres == pytest.approx(
        12 * 1852 * (last["timestamp"] - first["timestamp"]).total_seconds() / 3600, rel=1e-6
    )


def test_resampling_does_not_fill_gaps_longer_than_the_limit() -> None:
    before = sailing(1, 0.0, 1.0, 30.0, 122.0, sog=10.0, cog=0.0)
    # 2.5 h of silence, reappearing 25 nm on: under way, not bridged
    after = sailing(1, 3.5, 1.0, 30.0 + 35.0 / 60.0, 122.0, sog=10.0, cog=0.0)
    samples = _resampled(before + after)
    hours = samples["timestamp"].dt.hour() + samples["timestamp"].dt.minute() / 60
    assert not ((hours > 1.0) & (hours < 3.5)).any()
    # 1.5 h: filled
    near = _resampled(before + sailing(1, 2.5, 1.0, 30.0 + 25.0 / 60.0, 122.0, sog=10.0, cog=0.0))
    hours = near["timestamp"].dt.hour() + near["timestamp"].dt.minute() / 60
    assert ((hours > 1.0) & (hours < 2.5)).sum() == 8


@pytest.mark.parametrize(("silence_h", "bridged"), [(11.5, True), (12.5, False)])
def test_resampling_bridges_a_vessel_lying_still_up_to_twelve_hours(silence_h: float, bridged: bool) -> None:
    rows = [fix(1, 0.0, 20.5, 112.5, 0.3, 0.0), fix(1, silence_h, 20.505, 112.5, 0.3, 0.0)]  # 550 m drift
    samples = _resampled(rows)
    assert (samples.height > 60) is bridged


def test_resampling_runs_through_midnight_and_the_antimeridian() -> None:
    rows = [fix(1, 23.9, 10.0, 179.99, 10.0, 90.0), fix(1, 24.2, 10.0, -179.96, 10.0, 90.0)]
    samples = _resampled(rows)
    assert samples["timestamp"].dt.strftime("%H:%M").to_list() == ["00:00", "00:10"]
    assert all(abs(lon) > 179.9 for lon in samples["lon"].to_list())
    assert samples["nearest_fix_s"].max() <= 900.0


def test_two_vessels_share_sample_instants() -> None:
    rows = sailing(1, 0.013, 1.0, 30.0, 122.0, 10.0, 0.0, every_s=97.0) + sailing(
        2, 0.021, 1.0, 30.1, 122.0, 10.0, 180.0, every_s=131.0
    )
    samples = _resampled(rows)
    by_vessel = samples.group_by("mmsi").agg(pl.col("timestamp").sort())
    assert by_vessel["timestamp"][0].to_list() == by_vessel["timestamp"][1].to_list()


def test_declared_destination_and_draught_over_time() -> None:
    rows = moored(1, 0.0, 72.0, 30.0, 122.0)
    reports = [
        static(1, 0.0, 50, 20.0, destination="CN NGB", draught_m=6.0),
        static(1, 20.1, 1, 0.0, destination="CN NGB", draught_m=9.9),  # a one-off: noise
        static(1, 20.2, 50, 10.0, destination="CN NGB", draught_m=6.0),
        static(1, 40.0, 50, 30.0, destination="KR PUS", draught_m=11.2),
    ]
    result = build_tracks(positions(rows), statics(reports), CONFIG)
    table = result.declarations
    assert table.filter(pl.col("field") == "draught_m")["draught_m"].to_list() == [6.0, 11.2]
    assert table.filter(pl.col("field") == "destination")["value"].to_list() == ["CN NGB", "KR PUS"]
