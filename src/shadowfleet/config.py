"""Every threshold of shadowfleet, as frozen dataclasses that load from and dump to TOML.

A run is reproducible from its configuration: nothing tunable hides in a module
constant. Each section is a frozen dataclass with documented, unit-carrying field
names; :class:`Config` groups the sections. ``shadowfleet ... --config F.toml`` reads a
file holding any subset of the sections (unknown keys are an error, so a typo never
silently falls back to a default).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from shadowfleet.errors import ConfigError


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """How raw inputs are read and decoded.

    Attributes:
        max_fragment_line_gap: Most lines allowed between consecutive fragments of a
            multi-sentence NMEA message linked only by its sequential message id. Real
            feeds send the fragments back to back; a wider window lets unrelated
            fragments that reuse the id (0–9) be glued together.
        max_group_line_gap: The same for fragments linked by an NMEA 4.0 tag-block
            ``g:`` group, whose group id is far less ambiguous.
        base_station_time_max_lines: When nothing else dates a message, it takes the
            UTC clock broadcast by the latest preceding base station (type 4) in the
            stream, if that report is at most this many lines earlier.
        satellite_source_patterns: Case-insensitive regular expressions matched against
            a tag-block ``s:`` source, a Gatehouse header's source fields or a CSV data
            source column; a match makes the receiver class ``satellite``.
        terrestrial_talkers: NMEA talker ids of shore infrastructure (IEC 61162-1: AB
            base station, AD dependent base, AN aid to navigation, AR receiving station,
            AS limited base station, AT transmitting station, AX repeater, BS legacy
            base station, SA physical shore station); a sentence relayed by one of
            them was received terrestrially.
        epoch_ms_threshold: A numeric timestamp larger than this is in milliseconds,
            otherwise in seconds (1e11 s is the year 5138; 1e11 ms is 1973).
        min_valid_time_s: Timestamps before this Unix time (2000-01-01) are invalid;
            AIS carriage started in 2002.
        trust_unverified_tag_blocks: Keep the fields of a tag block whose own checksum
            does not match (counted in the summary) instead of refusing the line. Real
            feeds add tag fields without updating that checksum; the sentence keeps its
            own checksum, which is always enforced.
        nmea_chunk_bytes: Bytes of NMEA text decoded per vectorised batch; bounds
            memory for files of any size.
        csv_batch_rows: Rows of a provider CSV or Parquet file normalised per batch.
    """

    max_fragment_line_gap: int = 100
    max_group_line_gap: int = 10_000
    base_station_time_max_lines: int = 20_000
    satellite_source_patterns: tuple[str, ...] = (
        r"orbcomm",
        r"spire",
        r"exact\s*earth",
        r"ais_s\b",
        r"^r?ev\d+$",  # exactEarth's exactView satellites (EV01...) in tag-block sources
        r"\bsat",
    )
    terrestrial_talkers: tuple[str, ...] = ("AB", "AD", "AN", "AR", "AS", "AT", "AX", "BS", "SA")
    epoch_ms_threshold: float = 1e11
    min_valid_time_s: float = 946_684_800.0
    trust_unverified_tag_blocks: bool = True
    nmea_chunk_bytes: int = 16 * 1024 * 1024
    csv_batch_rows: int = 2_000_000

    def __post_init__(self) -> None:
        positive = ("max_fragment_line_gap", "max_group_line_gap", "nmea_chunk_bytes", "csv_batch_rows")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"[ingest] {name} must be positive")
        for pattern in self.satellite_source_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"[ingest] satellite_source_patterns: bad regular expression {pattern!r}: {exc}"
                ) from exc


PARQUET_COMPRESSIONS = ("zstd", "snappy", "lz4", "gzip", "brotli", "uncompressed")


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """How the Parquet lake is laid out.

    Attributes:
        vessel_buckets: Number of vessel buckets; ``vessel_bucket`` is a stable hash of
            the MMSI modulo this, used to co-locate a vessel's rows for the engines.
        compression: Parquet compression codec.
        row_group_rows: Rows per Parquet row group.
    """

    vessel_buckets: int = 64
    compression: str = "zstd"
    row_group_rows: int = 1_000_000

    def __post_init__(self) -> None:
        if self.compression not in PARQUET_COMPRESSIONS:
            raise ConfigError(f"[store] compression must be one of {', '.join(PARQUET_COMPRESSIONS)}")
        if self.vessel_buckets < 1 or self.row_group_rows < 1:
            raise ConfigError("[store] vessel_buckets and row_group_rows must be positive")


@dataclass(frozen=True, slots=True)
class SimulateConfig:
    """How the scenario simulator turns what vessels do into the AIS a provider delivers.

    Reporting follows ITU-R M.1371-5 (class A: 3 min at anchor or moored, 10 s under
    way up to 14 kn, 6 s to 23 kn, 2 s above; class B: 30 s above 2 kn, 3 min below;
    static and voyage data every 6 min). What arrives depends on reception, modelled
    from the physics and from what Global Fishing Watch measured (see
    ``docs/simulator.md``).

    Attributes:
        terrestrial_range_nm: Nominal range of a coastal receiver for class A, nautical
            miles (VHF line of sight from a mast to a ship's antenna; ~40 nm).
        terrestrial_range_spread: Relative spread of the range between stations
            (antenna heights differ); each station's range is drawn within ±this.
        terrestrial_station_spacing_km: Least distance between two coastal receivers.
        terrestrial_probability: Probability that a provider interval's messages from
            a vessel well inside a station's range yield a position; reception fades
            to zero between 0.8 and 1.2 of the range.
        terrestrial_density_half: Vessels (real traffic, see the scenario's
            ``traffic_scale``) in a 1° cell at which terrestrial reception halves
            (SOTDMA slot collisions).
        terrestrial_outages_per_day: Rate of outages per station, per day.
        terrestrial_outage_max_h: Longest station outage, hours (durations uniform up to it).
        provider_interval_s: The provider keeps at most one terrestrial position per
            vessel per this interval, seconds (NOAA's national feed: 60 s).
        satellite_passes_per_day: Satellite passes over a place per day.
        satellite_pass_amplitude: Depth of the 12-hour modulation of pass frequency
            (0 = uniform, 1 = no pass at the trough); GFW finds a dominant 12 h period.
        satellite_pass_duration_s: Time a vessel stays in a satellite's footprint per pass, seconds.
        satellite_detection_probability: Probability a satellite decodes one class A
            message in empty ocean.
        satellite_density_half: Vessels (real traffic) in a 1° cell at which satellite
            decoding halves (message collisions in the footprint).
        class_b_range_factor: Class B terrestrial range relative to class A (2 W vs 12.5 W).
        class_b_satellite_factor: Class B satellite decoding relative to class A.
        static_interval_s: Interval of static and voyage reports, seconds.
        malformed_line_fraction: Fraction of output lines or rows deliberately damaged
            (bad checksum, truncation, garbage), so that reject accounting is exercised.
        draught_update_probability: Probability that a crew updates the AIS draught
            after cargo operations (some never do).
    """

    terrestrial_range_nm: float = 40.0
    terrestrial_range_spread: float = 0.25
    terrestrial_station_spacing_km: float = 60.0
    terrestrial_probability: float = 0.95
    terrestrial_density_half: float = 3_000.0
    terrestrial_outages_per_day: float = 0.1
    terrestrial_outage_max_h: float = 12.0
    provider_interval_s: float = 60.0
    satellite_passes_per_day: float = 12.0
    satellite_pass_amplitude: float = 0.6
    satellite_pass_duration_s: float = 600.0
    satellite_detection_probability: float = 0.05
    satellite_density_half: float = 100.0
    class_b_range_factor: float = 0.6
    class_b_satellite_factor: float = 0.3
    static_interval_s: float = 360.0
    malformed_line_fraction: float = 2e-4
    draught_update_probability: float = 0.85

    def __post_init__(self) -> None:
        probabilities = (
            "terrestrial_probability",
            "satellite_pass_amplitude",
            "satellite_detection_probability",
            "class_b_range_factor",
            "class_b_satellite_factor",
            "malformed_line_fraction",
            "draught_update_probability",
            "terrestrial_range_spread",
        )
        for name in probabilities:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"[simulate] {name} must be between 0 and 1")
        positive = (
            "terrestrial_range_nm",
            "terrestrial_station_spacing_km",
            "terrestrial_density_half",
            "terrestrial_outage_max_h",
            "provider_interval_s",
            "satellite_pass_duration_s",
            "satellite_density_half",
            "static_interval_s",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"[simulate] {name} must be positive")
        if self.satellite_passes_per_day < 0 or self.terrestrial_outages_per_day < 0:
            raise ConfigError("[simulate] satellite_passes_per_day and terrestrial_outages_per_day must be ≥ 0")


@dataclass(frozen=True, slots=True)
class TrackConfig:
    """Cleaning, segmentation into tracks, and resampling.

    Segmentation follows Global Fishing Watch's matcher (gpsdio-segment, defaults of
    its develop branch): each new fix joins the open track whose last fix predicts it
    best by dead reckoning, with the discrepancy bounded by ``max_speed_kn`` over the
    padded time between fixes (``reference/detection-definitions.md`` §5.3).

    Attributes:
        max_gap_h: A track with no fix for this long is closed, hours.
        penalty_hours: Long intervals are shrunk as ``h / (1 + (h/penalty_hours)^(1-hours_exponent))``
            because vessels do not sail straight for long, hours.
        hours_exponent: Exponent of that shrinkage.
        buffer_hours: Padding added (in quadrature) to the time between fixes, hours;
            absorbs timestamp jitter.
        max_speed_kn: Largest plausible discrepancy rate, knots.
        penalty_speed_kn: Scale of the score's Gaussian fall-off, knots.
        shape_factor: Penalty multiplying the "did not move" and "course line"
            hypotheses of the discrepancy.
        ambiguity_factor: A fix is ambiguous when the second best track scores at
            least 1/ambiguity_factor of the best; the ambiguous tracks are closed and a
            new one started, so two ships sharing an MMSI are never mixed.
        short_track_positions: Tracks shorter than this are down-weighted as
            ``a/sqrt(1+a²)`` with ``a = n/short_track_positions``.
        transponder_mismatch_weight: Score multiplier when a class A fix would join a
            class B track or vice versa.
        max_open_tracks: Open tracks kept per MMSI; the stalest is closed beyond this.
        very_slow_kn: Below this speed a missing course is treated as not moving, knots.
        noise_max_positions: A track of at most this many fixes that overlaps another
            track of its MMSI in time is noise (kept, flagged, not linked to a vessel).
        resample_interval_s: Interval of resampled tracks, seconds.
        resample_max_gap_h: Resampled points are interpolated only across silences up
            to this long, hours ...
        resample_max_slow_gap_h: ... or up to this long when the vessel reappears where
            a drift slower than ``resample_slow_speed_kn`` would have taken it (lying
            still at sea under satellite passes, whose dominant period is 12 h), hours.
        resample_slow_speed_kn: See ``resample_max_slow_gap_h``, knots.
    """

    max_gap_h: float = 24.0
    penalty_hours: float = 4.0
    hours_exponent: float = 0.5
    buffer_hours: float = 0.25
    max_speed_kn: float = 25.0
    penalty_speed_kn: float = 5.0
    shape_factor: float = 4.0
    ambiguity_factor: float = 10.0
    short_track_positions: float = 10.0
    transponder_mismatch_weight: float = 0.1
    max_open_tracks: int = 20
    very_slow_kn: float = 0.35
    noise_max_positions: int = 3
    resample_interval_s: float = 600.0
    resample_max_gap_h: float = 2.0
    resample_max_slow_gap_h: float = 12.0
    resample_slow_speed_kn: float = 2.0

    def __post_init__(self) -> None:
        positive = (
            "max_gap_h",
            "penalty_hours",
            "buffer_hours",
            "max_speed_kn",
            "penalty_speed_kn",
            "shape_factor",
            "ambiguity_factor",
            "short_track_positions",
            "resample_interval_s",
            "resample_max_gap_h",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"[tracks] {name} must be positive")
        if not 0.0 <= self.hours_exponent < 1.0:
            raise ConfigError("[tracks] hours_exponent must be in [0, 1)")
        if self.max_open_tracks < 1:
            raise ConfigError("[tracks] max_open_tracks must be at least 1")


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    """Identity periods, vessel linking and identity events (``DESIGN.md`` §5 Identity).

    Attributes:
        min_reports: A static value heard fewer times than this is noise when another
            value of the same field was heard within ``noise_window_h``.
        noise_window_h: See ``min_reports``, hours.
        static_match_tolerance_min: A static report is attributed to the track of the
            nearest position of its MMSI within this time, minutes (GFW: 15).
        link_max_distance_m: Stitcher rule: one identity ending and another starting
            within this distance are the same hull (Park et al. 2023: 1,000 m).
        link_max_gap_days: ... and within this time, days (Park et al. 2023: 60).
        link_min_silence_h: An identity has ended (or started) only when the data runs
            on this long after its last fix (before its first), hours.
        link_by_call_sign: Also link identities that keep their call sign across an
            MMSI change (with matching dimensions), for changes made while dark.
        dimension_tolerance_m: Lengths (and beams) match within this, metres (AIS gives
            whole metres from the antenna to each end; crews re-enter them by hand) ...
        dimension_tolerance_fraction: ... or this fraction of the length, whichever is larger.
        dimension_change_min_m: A length or beam change smaller than this is not an
            identity change (transponders are configured by hand), metres.
        imo_overlap_min_h: Two MMSIs broadcasting one IMO for overlapping periods of at
            least this long are an ``imo_reused`` anomaly, hours.
    """

    min_reports: int = 2
    noise_window_h: float = 24.0
    static_match_tolerance_min: float = 15.0
    link_max_distance_m: float = 1_000.0
    link_max_gap_days: float = 60.0
    link_min_silence_h: float = 24.0
    link_by_call_sign: bool = True
    dimension_tolerance_m: float = 2.0
    dimension_tolerance_fraction: float = 0.03
    dimension_change_min_m: float = 5.0
    imo_overlap_min_h: float = 1.0

    def __post_init__(self) -> None:
        if self.min_reports < 1:
            raise ConfigError("[identity] min_reports must be at least 1")
        for name in ("noise_window_h", "static_match_tolerance_min", "link_max_distance_m", "link_max_gap_days"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"[identity] {name} must be positive")


@dataclass(frozen=True, slots=True)
class SpoofingConfig:
    """Spoofed positions (``DESIGN.md`` §5 Spoofing).

    Attributes:
        max_speed_kn: Implied speed between consecutive fixes above which a jump is
            impossible for a merchant hull, knots (GFW/AISdb: 50).
        position_error_m: Allowance for position error and timing jitter subtracted
            from each jump's distance before the speed test, metres.
        time_error_s: Allowance added to each jump's time, seconds (receivers stamp
            reception time; providers batch to the minute).
        satellite_time_error_s: The allowance when either fix came from a satellite,
            whose clock drifts by minutes, seconds.
        min_excursion_positions: Fixes a jumped-to position must hold for the jump to
            count; a single stray fix is noise, not spoofing.
        inland_distance_m: A fix is on land when land surrounds it for this distance
            (fixes within it of water are ports, rivers and coastal error), metres.
        port_exclusion_m: Fixes within this distance of a port or anchorage point of
            the gazetteer are never on land, metres: a gazetteer gives one point per
            port, and river ports stretch for kilometres along waterways the 1 km mask
            closes (Palembang, Aalborg's Limfjord).
        min_on_land_positions: On-land fixes needed for an event.
        on_land_far_m: Inland runs count only when an impossible jump leads into or
            out of them (a ship in a creek the mask closes sailed there) or when land
            surrounds them for this far, metres.
        navigable_cell_deg: Cell size of the navigable-water map learned from the data, degrees.
        navigable_min_vessels: Distinct MMSIs seen under way in a cell (or a neighbour)
            that make it navigable water, whatever the land mask says.
        navigable_min_speed_kn: Speed above which a fix counts as under way, knots.
        circle_window_h: Window over which circling is measured, hours.
        circle_min_turns: Full turns within the window to call it a circle.
        circle_max_radius_m: Largest circle radius considered a drawn pattern, metres.
        circle_min_radius_m: Smallest (below it, position noise at a berth), metres.
        circle_max_radial_cv: Largest coefficient of variation of the distances from
            the window's centre (0 is a perfect circle).
        circle_min_positions: Fixes needed in a window.
        circle_max_stop_share: Largest share of a window's steps slower than
            ``circle_stop_speed_kn`` (drawn circles never stop; ferries looping
            between piers dwell at each).
        circle_stop_speed_kn: Speed below which a step is a stop, knots.
        receiver_min_positions: Fixes a terrestrial receiver must have heard for its
            place and reach to be estimated.
        receiver_sample_positions: At most this many terrestrial fixes (evenly spread)
            estimate the receivers' places and reach.
        receiver_reach_quantile: Quantile of a receiver's distances taken as its
            typical distance (the median: fixes spread over the area a station covers
            lie at ~0.7 of its range, and the median holds while false fixes are fewer
            than half of what it heard).
        receiver_reach_factor: A fix further than this × that distance from its
            receiver (~2.8 × the range) could not have been heard there.
        receiver_min_reach_m: ... and never closer than this (VHF reaches ~40 nm, more
            in ducting), metres.
        collision_min_positions: Fixes each of two simultaneous tracks needs for an
            MMSI collision.
        collision_min_switches: Alternations between the two tracks needed (a single
            excursion and return is 2 switches; interleaving is more).
    """

    max_speed_kn: float = 50.0
    position_error_m: float = 1_000.0
    time_error_s: float = 60.0
    satellite_time_error_s: float = 900.0
    min_excursion_positions: int = 2
    inland_distance_m: float = 3_000.0
    port_exclusion_m: float = 20_000.0
    min_on_land_positions: int = 2
    on_land_far_m: float = 50_000.0
    navigable_cell_deg: float = 0.01
    navigable_min_vessels: int = 3
    navigable_min_speed_kn: float = 1.0
    circle_window_h: float = 3.0
    circle_min_turns: float = 2.0
    circle_max_radius_m: float = 10_000.0
    circle_min_radius_m: float = 100.0
    circle_max_radial_cv: float = 0.3
    circle_min_positions: int = 8
    circle_max_stop_share: float = 0.05
    circle_stop_speed_kn: float = 1.0
    receiver_min_positions: int = 100
    receiver_sample_positions: int = 2_000_000
    receiver_reach_quantile: float = 0.5
    receiver_reach_factor: float = 4.0
    receiver_min_reach_m: float = 200_000.0
    collision_min_positions: int = 3
    collision_min_switches: int = 4
    collision_merge_gap_h: float = 72.0

    def __post_init__(self) -> None:
        for name in ("max_speed_kn", "inland_distance_m", "circle_window_h", "circle_min_turns", "circle_max_radius_m"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"[spoofing] {name} must be positive")
        if self.min_excursion_positions < 1 or self.min_on_land_positions < 1:
            raise ConfigError("[spoofing] position counts must be at least 1")


@dataclass(frozen=True, slots=True)
class EncounterConfig:
    """Ship-to-ship encounters (``DESIGN.md`` §5; Miller et al. 2018, GFW pipe-encounters).

    Attributes:
        max_distance_m: Two vessels closer than this are together, metres.
        min_duration_h: Together for at least this long, hours.
        max_speed_kn: Both slower than this (reported or implied speed), knots.
        min_port_distance_m: The meeting's mean position at least this far from any
            port or anchorage of the gazetteer, metres.
        merge_gap_h: Encounters of one pair less than this apart are one, hours.
        cell_m: Side of the cubes of the Earth-centred grid of the candidate join (any
            side ≥ ``max_distance_m`` with the neighbouring cubes finds every pair; just
            above it keeps the candidates few), metres.
        max_missing_samples: Consecutive 10-minute samples a pair may lack (a fix
            missed by both receivers) without ending the encounter.
        transfer_min_draught_change_m: Draught changes of at least this, one down and
            the other up across the meeting, are evidence cargo moved (subtype ``sts``).
    """

    max_distance_m: float = 500.0
    min_duration_h: float = 2.0
    max_speed_kn: float = 2.0
    min_port_distance_m: float = 10_000.0
    merge_gap_h: float = 4.0
    cell_m: float = 520.0
    max_missing_samples: int = 1
    transfer_min_draught_change_m: float = 0.3

    def __post_init__(self) -> None:
        for name in ("max_distance_m", "min_duration_h", "max_speed_kn", "cell_m"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"[encounter] {name} must be positive")
        if self.cell_m < self.max_distance_m:
            raise ConfigError("[encounter] cell_m must be at least max_distance_m (neighbour cubes are searched)")


@dataclass(frozen=True, slots=True)
class PortVisitConfig:
    """Port visits: GFW's state machine (``DESIGN.md`` §5 Port visit).

    Attributes:
        entry_distance_m: In port within this distance of a port or anchorage point, metres.
        exit_distance_m: Back at sea beyond this distance (hysteresis), metres.
        stop_begin_kn: Stopped at or below this speed, knots ...
        stop_end_kn: ... moving again at or above this one, knots.
        port_gap_h: A silence this long while in port is a port gap, hours.
        min_confidence_level: Visits of GFW confidence below this (1-4) are not
            reported (level 1 is mostly vessels passing an anchorage).
        merge_gap_h: Visits of a vessel to the same port less than this apart are one,
            hours (a re-entry minutes after crossing the exit radius — shifting from
            anchorage to berth where the gazetteer's points are sparser than GFW's
            anchorage grid — is not a voyage).
    """

    entry_distance_m: float = 3_000.0
    exit_distance_m: float = 4_000.0
    stop_begin_kn: float = 0.2
    stop_end_kn: float = 0.5
    port_gap_h: float = 4.0
    min_confidence_level: int = 2
    merge_gap_h: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.entry_distance_m <= self.exit_distance_m:
            raise ConfigError("[port_visit] entry_distance_m must be positive and not above exit_distance_m")
        if not 0 <= self.stop_begin_kn <= self.stop_end_kn:
            raise ConfigError("[port_visit] stop_begin_kn must not be above stop_end_kn")
        if not 1 <= self.min_confidence_level <= 4:
            raise ConfigError("[port_visit] min_confidence_level must be 1 to 4")


@dataclass(frozen=True, slots=True)
class GapConfig:
    """AIS gaps and whether the transmitter was off (``DESIGN.md`` §5 AIS gap).

    Reception is learned from the data in ``window_h`` windows per ``cell_deg`` cell
    and reporting regime (see :mod:`shadowfleet.events.gaps`).

    Attributes:
        min_gap_h: A silence longer than this between consecutive fixes of a vessel is
            a gap, hours (GFW's pipeline reports gaps of 6 h and more).
        window_h: Length of the reception windows, hours (12 h: the dominant period of
            satellite revisits below 60° latitude, Welch et al. 2022).
        cell_deg: Size of the reception grid cells, degrees (Welch et al. use 1°).
        stationary_max_kn: At or below this speed a vessel reports every 3 minutes
            instead of every 2-10 s (ITU-R M.1371 class A), so it is learned as its own
            regime, knots.
        learn_max_silence_h: The reception model learns only from silences up to this
            long, hours: a longer one may itself be a switch-off (Welch et al. keep
            suspected disabling out of their reception map likewise).
        shrink_windows: Pseudo-count of windows pulling a cell's estimate towards the
            estimate of its regime over all cells (empirical-Bayes shrinkage).
        credible_level: Reception rates are taken at this upper quantile of their
            Beta posterior (0.9), so thin data give the vessel the benefit of the doubt.
        own_days: The vessel's own reception is learned over this many days before the
            gap, days.
        prior_deliberate: Prior probability that a gap was a switch-off (before the
            reception evidence).
        identity_change_ratio: Likelihood ratio of a vessel coming back from a silence
            under another MMSI, switched off against unheard: an ordinary ship's MMSI
            changes with its flag, once in years (well under 1 % of silences of days),
            while evaders are reported re-emerging under new identities; 10 is a
            deliberately conservative ratio (Jeffreys' "strong" evidence).
        deliberate_confidence: A gap scored at least this is ``likely_deliberate``.
        outage_cell_deg: Other vessels last heard by terrestrial stations are compared
            in cells this large during the same window, degrees (a station reaches
            40-70 nm, so an outage spans more than one 1° cell).
        satellite_outage_cell_deg: ... and those last heard by satellite in cells this
            large, degrees (a low-orbit AIS satellite's swath is thousands of km wide, so
            a lapse in passes silences a whole region).
        port_area_m: A gap is ``in_port`` when the vessel was stopped at both ends, both
            within this distance of a gazetteer port or anchorage point and of each
            other, metres (the extent of a large port's berths and anchorages).
        area_near_m: A configured area of interest within this distance of either end
            of a gap is recorded with it, metres.
    """

    min_gap_h: float = 6.0
    window_h: float = 12.0
    cell_deg: float = 1.0
    stationary_max_kn: float = 3.0
    learn_max_silence_h: float = 48.0
    shrink_windows: float = 20.0
    credible_level: float = 0.9
    own_days: float = 7.0
    prior_deliberate: float = 0.05
    identity_change_ratio: float = 10.0
    deliberate_confidence: float = 0.5
    outage_cell_deg: float = 3.0
    satellite_outage_cell_deg: float = 15.0
    port_area_m: float = 10_000.0
    area_near_m: float = 50_000.0

    def __post_init__(self) -> None:
        if self.min_gap_h <= 0:
            raise ConfigError("[gap] min_gap_h must be positive")
        if not 0 < self.window_h <= self.learn_max_silence_h:
            raise ConfigError("[gap] window_h must be positive and at most learn_max_silence_h")
        if (
            not 0 < self.cell_deg <= 10
            or not 0 < self.outage_cell_deg <= 30
            or not 0 < self.satellite_outage_cell_deg <= 60
        ):
            raise ConfigError(
                "[gap] need cell_deg in (0, 10], outage_cell_deg in (0, 30], satellite_outage_cell_deg in (0, 60]"
            )
        if not 0 < self.prior_deliberate < 1 or not 0 < self.deliberate_confidence < 1:
            raise ConfigError("[gap] prior_deliberate and deliberate_confidence must be in (0, 1)")
        if not 0.5 <= self.credible_level < 1:
            raise ConfigError("[gap] credible_level must be in [0.5, 1)")
        if self.identity_change_ratio < 1:
            raise ConfigError("[gap] identity_change_ratio must be at least 1")
        if self.shrink_windows < 0 or self.own_days < 0 or self.port_area_m < 0 or self.area_near_m < 0:
            raise ConfigError("[gap] shrink_windows, own_days and distances must not be negative")


@dataclass(frozen=True, slots=True)
class DarkPortCallConfig:
    """Calls at sanctioned ports during AIS gaps (see :mod:`shadowfleet.events.dark_port_calls`).

    Attributes:
        min_gap_confidence: Only gaps at least this likely to be switch-offs are examined.
        min_stay_h: Time a call needs alongside (mooring, loading or discharging,
            clearing), hours.
        min_approach_m: The vessel went silent and reappeared at least this far from
            the port (nearer, it was seen in port: a port visit, not a dark call), metres.
        speed_margin: A vessel's plausible top speed is this times the 90th percentile
            of its own reported speeds under way.
        under_way_min_kn: Speeds above this count as under way, knots.
        default_speed_kn: Plausible speed of a vessel that never reported one under way,
            knots (a laden bulk carrier's service speed is 11-14 kn).
        min_speed_kn: Lower bound on the plausible speed, knots.
        max_speed_kn: Upper bound on the plausible speed, knots.
        draught_after_h: The draught after the gap is the one in force this long after
            it, hours (crews update the draught hours after sailing).
        next_call_grace_h: When the vessel reaches a port visit sooner, the draught
            after the gap is the one in force this long after arriving there (at most
            half the visit): a change declared once it has worked cargo in another port
            is that port's (as the trade stage's ``arrival_grace_h``), hours.
        min_draught_change_m: A change at least this large is cargo moved, metres.
        prior_call: Prior probability that a switch-off that could include a call at a
            sanctioned port did.
        draught_change_odds: Odds factor when the draught changed across the gap.
        draught_unchanged_odds: Odds factor when the draught was declared on both sides
            and did not change (1: no evidence, because the AIS draught is typed in by
            the crew and often left unchanged after loading).
    """

    min_gap_confidence: float = 0.5
    min_stay_h: float = 6.0
    min_approach_m: float = 10_000.0
    speed_margin: float = 1.1
    under_way_min_kn: float = 3.0
    default_speed_kn: float = 12.0
    min_speed_kn: float = 5.0
    max_speed_kn: float = 25.0
    draught_after_h: float = 48.0
    next_call_grace_h: float = 6.0
    min_draught_change_m: float = 0.5
    prior_call: float = 0.5
    draught_change_odds: float = 4.0
    draught_unchanged_odds: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.prior_call < 1 or not 0 <= self.min_gap_confidence <= 1:
            raise ConfigError("[dark_port_call] prior_call must be in (0, 1), min_gap_confidence in [0, 1]")
        if not 0 < self.min_speed_kn <= self.default_speed_kn <= self.max_speed_kn:
            raise ConfigError("[dark_port_call] need 0 < min_speed_kn <= default_speed_kn <= max_speed_kn")
        if (
            self.min_stay_h < 0
            or self.next_call_grace_h < 0
            or self.speed_margin <= 0
            or self.draught_change_odds <= 0
            or self.draught_unchanged_odds <= 0
        ):
            raise ConfigError("[dark_port_call] min_stay_h, speed_margin and odds factors must be positive")


@dataclass(frozen=True, slots=True)
class RouteDeviationConfig:
    """Circuitous voyages (``DESIGN.md`` §5 Route deviation; :mod:`shadowfleet.events.routes`).

    Attributes:
        min_route_m: Only voyages whose shortest sea route is at least this long are
            judged (shorter ones are harbour moves, where a ratio means little), metres.
        min_peers: Voyages needed in a reference group (same route and class, else
            same class, else all).
        min_spread: Floor on the spread of the reference's log-ratios (0.1: about
            10 %, what weather routing and traffic lanes add on their own).
        min_ratio: A flagged voyage sailed at least this times the shortest route.
        min_z: ... and lies at least this many spreads above the reference.
        stop_max_kn: Slower than this between fixes is stopped, knots.
        stop_away_m: Stops within this distance of either port belong to the port, metres.
        max_stop_h: A leg stopped this long or longer away from both ports is not one
            voyage and is not judged, hours.
    """

    min_route_m: float = 50_000.0
    min_peers: int = 5
    min_spread: float = 0.1
    min_ratio: float = 1.5
    min_z: float = 3.0
    stop_max_kn: float = 1.0
    stop_away_m: float = 10_000.0
    max_stop_h: float = 2.0

    def __post_init__(self) -> None:
        if self.min_route_m <= 0 or self.min_peers < 1 or self.min_spread <= 0:
            raise ConfigError("[route_deviation] min_route_m, min_peers and min_spread must be positive")
        if self.min_ratio < 1 or self.min_z < 0:
            raise ConfigError("[route_deviation] min_ratio must be at least 1 and min_z not negative")


@dataclass(frozen=True, slots=True)
class ScreeningConfig:
    """Matching vessels against sanctions lists (:mod:`shadowfleet.sanctions.match`).

    Attributes:
        imo_score: Score of a match on the IMO number (the hull's for life).
        mmsi_score: Score of a match on an MMSI the list gives (MMSIs are reissued).
        call_sign_score: Score of a match on a call sign the list gives.
        call_sign_min_length: Shorter call signs are not matched (too many collide).
        name_min_similarity: Names at least this similar (rapidfuzz ratio, 0-100,
            after normalisation) match.
        name_min_length: Normalised names shorter than this are not matched by name.
        name_weight: A name match scores this times the similarity / 100: always
            weaker than an identifier, since names repeat across fleets.
    """

    imo_score: float = 1.0
    mmsi_score: float = 0.9
    call_sign_score: float = 0.8
    call_sign_min_length: int = 4
    name_min_similarity: float = 90.0
    name_min_length: int = 4
    name_weight: float = 0.6

    def __post_init__(self) -> None:
        for name in ("imo_score", "mmsi_score", "call_sign_score", "name_weight"):
            if not 0 < getattr(self, name) <= 1:
                raise ConfigError(f"[screening] {name} must be in (0, 1]")
        if not 0 < self.name_min_similarity <= 100:
            raise ConfigError("[screening] name_min_similarity must be in (0, 100]")
        if self.name_min_length < 1 or self.call_sign_min_length < 1:
            raise ConfigError("[screening] minimum lengths must be at least 1")


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """Points per risk indicator (:mod:`shadowfleet.risk.score`); every cap is per vessel.

    Attributes:
        list_match_points: A match on a designated vessel's IMO, MMSI or call sign,
            times the match score.
        name_match_points: A name-only match (names repeat across fleets: a lead).
        gap_points: Each likely deliberate AIS gap, times its confidence.
        gap_cap: Cap of ``gap_points``.
        dark_port_call_points: Each possible call at a sanctioned port while dark,
            times its confidence.
        dark_port_call_cap: Cap.
        sanctioned_port_visit_points: Each observed visit to a port of a sanctioned state.
        sanctioned_port_visit_cap: Cap.
        sts_points: Each encounter with evidence of a transfer.
        sts_cap: Cap.
        encounter_points: Each other encounter at sea.
        encounter_cap: Cap.
        partner_listed_points: Met a vessel matched to a list by an identifier.
        partner_high_risk_points: Met a vessel whose own score is at least ``high_from``.
        identity_change_points: Each identity change.
        identity_change_cap: Cap.
        identity_anomaly_points: Each identity anomaly (false flag, bad IMO...).
        identity_anomaly_cap: Cap.
        flag_hopping_points: Two or more flag changes (``flag_hopping_min_changes``).
        flag_hopping_min_changes: Flag changes that make flag hopping.
        spoofing_points: Each spoofing event.
        spoofing_cap: Cap.
        high_risk_area_points: Each entry into, or loitering inside, a high-risk area.
        high_risk_area_cap: Cap.
        high_risk_areas: Names of the areas of interest that are high-risk.
        route_deviation_points: Each circuitous voyage.
        route_deviation_cap: Cap.
        medium_from: Scores from this are ``medium``.
        high_from: ... ``high``.
        severe_from: ... ``severe``.
    """

    list_match_points: float = 60.0
    name_match_points: float = 10.0
    gap_points: float = 12.0
    gap_cap: float = 36.0
    dark_port_call_points: float = 30.0
    dark_port_call_cap: float = 60.0
    sanctioned_port_visit_points: float = 30.0
    sanctioned_port_visit_cap: float = 60.0
    sts_points: float = 15.0
    sts_cap: float = 30.0
    encounter_points: float = 4.0
    encounter_cap: float = 12.0
    partner_listed_points: float = 25.0
    partner_high_risk_points: float = 15.0
    identity_change_points: float = 5.0
    identity_change_cap: float = 15.0
    identity_anomaly_points: float = 10.0
    identity_anomaly_cap: float = 20.0
    flag_hopping_points: float = 10.0
    flag_hopping_min_changes: int = 2
    spoofing_points: float = 15.0
    spoofing_cap: float = 30.0
    high_risk_area_points: float = 8.0
    high_risk_area_cap: float = 16.0
    high_risk_areas: tuple[str, ...] = (
        "dprk_west_coast",
        "dprk_east_coast",
        "korea_bay",
        "gulf_of_tonkin_transfer_area",
    )
    route_deviation_points: float = 5.0
    route_deviation_cap: float = 10.0
    medium_from: float = 25.0
    high_from: float = 50.0
    severe_from: float = 75.0

    def __post_init__(self) -> None:
        for name in dataclasses.fields(self):
            value = getattr(self, name.name)
            if isinstance(value, float) and value < 0:
                raise ConfigError(f"[risk] {name.name} must not be negative")
        if not 0 < self.medium_from <= self.high_from <= self.severe_from <= 100:
            raise ConfigError("[risk] need 0 < medium_from <= high_from <= severe_from <= 100")


@dataclass(frozen=True, slots=True)
class AreaConfig:
    """Areas of interest for ``area_entry`` events.

    Attributes:
        path: A GeoJSON file of named polygons (``properties.name``); empty for the
            packaged defaults of the DPRK coal case.
    """

    path: str = ""


@dataclass(frozen=True, slots=True)
class DraughtConfig:
    """Loads and discharges from declared draught (``DESIGN.md`` §5 Draught change).

    Attributes:
        min_change_m: A change of declared draught at least this large is a load or
            a discharge, metres (0.5 m: well above the 0.1 m resolution of AIS and the
            trim and sea-water density effects crews round away).
        min_in_force_h: A declared draught replaced sooner than this is brief, hours ...
        flip_window_h: ... and ignored when the same brief value recurs within this
            long (two ships taking turns on one MMSI: no cargo work is that quick); a
            brief value seen once is kept (a stale laden draught heard for minutes when
            a ship switches back on after a dark voyage), hours.
    """

    min_change_m: float = 0.5
    min_in_force_h: float = 2.0
    flip_window_h: float = 24.0

    def __post_init__(self) -> None:
        if self.min_change_m <= 0:
            raise ConfigError("[draught] min_change_m must be positive")
        if self.min_in_force_h < 0:
            raise ConfigError("[draught] min_in_force_h must not be negative")


@dataclass(frozen=True, slots=True)
class LoiteringConfig:
    """A single vessel slow at sea (``DESIGN.md`` §5; GFW product loitering).

    Attributes:
        max_speed_kn: Slower than this (reported, else implied speed), knots.
        min_duration_h: For at least this long, hours.
        min_shore_distance_m: At least this far from land (20 nm), metres.
        max_gap_h: A silence longer than this between fixes breaks the event, hours ...
        max_slow_gap_h: ... unless it is at most this long and the vessel reappears
            where a drift below ``max_speed_kn`` would have taken it (satellite passes
            leave such silences at sea; 12 h is their dominant period), hours.
    """

    max_speed_kn: float = 2.0
    min_duration_h: float = 4.0
    min_shore_distance_m: float = 20 * 1852.0
    max_gap_h: float = 2.0
    max_slow_gap_h: float = 12.0

    def __post_init__(self) -> None:
        for name in ("max_speed_kn", "min_duration_h", "max_gap_h"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"[loitering] {name} must be positive")


@dataclass(frozen=True, slots=True)
class TradeConfig:
    """Voyages, cargo per loading and trade flows (:mod:`shadowfleet.trade`; ``DESIGN.md`` §6).

    Attributes:
        arrival_grace_h: A draught declared within this long of arriving at the next
            stop (at most half that stop's length, since its own cargo work takes
            longer) still describes the leg: a crew that was dark, or slow, types it
            in on arrival, hours.
        laden_share: A leg is laden when its declared draught is above this share of
            the way from the lightest to the deepest draught the vessel declared.
        min_draught_range_m: A vessel whose declared draughts span less than this never
            updated its draught: no laden state, no cargo from draught, metres.
        load_factor: (low, mid, high) cargo over deadweight on a laden voyage whose
            draught tells nothing (the weaker estimate): the reference's utilisation
            factor 0.95 less 3-8 % bunkers and stores for the middle.
        length_to_draught: (low, mid, high) length over design draught of cargo ships
            (naval-architecture range), for the deadweight of a vessel that never
            updated its draught; its mid gives the mid draught.
        lightship_share_cargo: (low, mid, high) lightship over full-load displacement of
            dry cargo ships (AIS types 70-79): bulk carriers 0.15, general cargo 0.30.
        lightship_share_tanker: The same for tankers (types 80-89).
        lightship_share_other: The same for every other type.
        constants_share: (low, mid, high) bunkers, water and stores over deadweight.
        multi_port_loading_h: Calls at a declared origin's ports in a row, each within
            this long of the one before, by a vessel whose draught tells nothing, are
            one loading at several berths; further apart, separate loadings (a round
            trip can hide its discharge in a silence), hours.
        transfer_speed_kn: A ship giving cargo unseen must have been able to sail between
            the receiver's stop and its own at this speed (with a day's slack): a
            laden coaster's top speed, knots.
        transfer_near_km: Two ships seen this close during the overlap of their draught
            changes, with fixes at most ``transfer_margin_h`` apart, met (500 m at the
            same instant is the encounter rule; drifting together at < 1 kn, fixes
            hours apart lie a few km apart), km.
        transfer_margin_h: Tolerance on the change windows and between the two
            ships' fixes, hours.
        open_stop_margin_h: A stop that ends this close to the end of the data had not
            ended: cargo of unknown size that reached it was not yet seen discharged
            (6 h: the AIS gap threshold), hours.
        reappearance_port_km: A vessel that ends a deliberate silence this close to a
            port or anchorage of the gazetteer (and is not then seen calling there)
            reappeared in its approaches: cargo of unknown size it carried into the
            silence ends there (the 10 km used for anchorages throughout), km.
        registry_tpc_uncertainty: Relative uncertainty of a registry's tonnes per
            centimetre (its value at the design draught stands for the whole range).
        declared_commodities: ``COUNTRY:commodity`` declarations: cargo loaded in that
            country's ports is that commodity (AIS does not carry it); other cargo is
            ``unspecified``. Loadings of unknown size are estimated (load factor) only
            for these origins.
    """

    arrival_grace_h: float = 6.0
    laden_share: float = 0.5
    min_draught_range_m: float = 1.0
    load_factor: tuple[float, ...] = (0.70, 0.90, 1.00)
    length_to_draught: tuple[float, ...] = (12.0, 15.0, 19.0)
    lightship_share_cargo: tuple[float, ...] = (0.15, 0.22, 0.30)
    lightship_share_tanker: tuple[float, ...] = (0.12, 0.15, 0.18)
    lightship_share_other: tuple[float, ...] = (0.15, 0.30, 0.45)
    constants_share: tuple[float, ...] = (0.03, 0.05, 0.08)
    multi_port_loading_h: float = 48.0
    transfer_speed_kn: float = 15.0
    transfer_near_km: float = 10.0
    transfer_margin_h: float = 3.0
    open_stop_margin_h: float = 6.0
    reappearance_port_km: float = 10.0
    registry_tpc_uncertainty: float = 0.03
    declared_commodities: tuple[str, ...] = ("KP:coal",)

    def __post_init__(self) -> None:
        for name in (
            "load_factor",
            "length_to_draught",
            "lightship_share_cargo",
            "lightship_share_tanker",
            "lightship_share_other",
            "constants_share",
        ):
            values = getattr(self, name)
            if len(values) != 3 or not 0 < values[0] <= values[1] <= values[2]:
                raise ConfigError(f"[trade] {name} must be three positive numbers low <= mid <= high")
        if self.arrival_grace_h < 0 or self.min_draught_range_m < 0:
            raise ConfigError("[trade] arrival_grace_h and min_draught_range_m must not be negative")
        if not 0 < self.laden_share < 1:
            raise ConfigError("[trade] laden_share must be in (0, 1)")
        if self.reappearance_port_km < 0:
            raise ConfigError("[trade] reappearance_port_km must not be negative")
        if not 0 <= self.registry_tpc_uncertainty < 1:
            raise ConfigError("[trade] registry_tpc_uncertainty must be in [0, 1)")
        for declaration in self.declared_commodities:
            country, _, commodity = declaration.partition(":")
            if len(country) != 2 or not commodity:
                raise ConfigError(f"[trade] declared_commodities: {declaration!r} is not COUNTRY:commodity")

    def commodity_of(self) -> dict[str, str]:
        """The declared commodity of each origin country (ISO 3166-1 alpha-2)."""
        pairs = (d.partition(":") for d in self.declared_commodities)
        return {country.upper(): commodity for country, _, commodity in pairs}


@dataclass(frozen=True, slots=True)
class Config:
    """All sections of the configuration."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    simulate: SimulateConfig = field(default_factory=SimulateConfig)
    tracks: TrackConfig = field(default_factory=TrackConfig)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    spoofing: SpoofingConfig = field(default_factory=SpoofingConfig)
    encounter: EncounterConfig = field(default_factory=EncounterConfig)
    draught: DraughtConfig = field(default_factory=DraughtConfig)
    port_visit: PortVisitConfig = field(default_factory=PortVisitConfig)
    areas: AreaConfig = field(default_factory=AreaConfig)
    gap: GapConfig = field(default_factory=GapConfig)
    dark_port_call: DarkPortCallConfig = field(default_factory=DarkPortCallConfig)
    route_deviation: RouteDeviationConfig = field(default_factory=RouteDeviationConfig)
    screening: ScreeningConfig = field(default_factory=ScreeningConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    loitering: LoiteringConfig = field(default_factory=LoiteringConfig)
    trade: TradeConfig = field(default_factory=TradeConfig)


T = TypeVar("T")


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Check and convert one TOML value to the field's annotated type."""
    origin = typing.get_origin(annotation)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        (item_type, _ellipsis) = typing.get_args(annotation)
        return tuple(_coerce(v, item_type, f"{where}[]") for v in value)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        return _coerce(value, args[0], where)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported type {annotation!r}")


def _section_from_dict(cls: type[T], values: dict[str, Any], where: str) -> T:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"[{where}]: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    kwargs = {k: _coerce(v, hints[k], f"[{where}] {k}") for k, v in values.items()}
    return cls(**kwargs)


def config_from_dict(values: dict[str, Any]) -> Config:
    """Build a :class:`Config` from a dict of sections (as parsed from TOML).

    Args:
        values: ``{section: {key: value}}``; missing sections and keys keep defaults.

    Returns:
        The configuration.

    Raises:
        ConfigError: On an unknown section or key, or a value of the wrong type.
    """
    hints = typing.get_type_hints(Config)
    sections = {f.name for f in dataclasses.fields(Config)}
    unknown = sorted(set(values) - sections)
    if unknown:
        raise ConfigError(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(sorted(sections))}")
    kwargs: dict[str, Any] = {}
    for name, section in values.items():
        if not isinstance(section, dict):
            raise ConfigError(f"[{name}] must be a table")
        kwargs[name] = _section_from_dict(hints[name], section, name)
    return Config(**kwargs)


def config_to_dict(config: Config) -> dict[str, dict[str, Any]]:
    """The configuration as plain TOML-compatible values (tuples become lists)."""
    out: dict[str, dict[str, Any]] = {}
    for section in dataclasses.fields(config):
        values = dataclasses.asdict(getattr(config, section.name))
        out[section.name] = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    return out


def load_config(path: str | Path | None) -> Config:
    """Read a TOML configuration file; ``None`` gives the defaults.

    Raises:
        ConfigError: When the file is missing, not TOML, or holds invalid values.
    """
    if path is None:
        return Config()
    try:
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return config_from_dict(values)


def dump_config(config: Config) -> str:
    """The configuration as TOML text (every key, with its value)."""
    return tomli_w.dumps(config_to_dict(config))
