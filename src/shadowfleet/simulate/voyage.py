"""What a vessel does, as a timeline of legs: sailing a sea route, moored, at anchor, drifting.

A :class:`Voyager` writes one vessel's legs with the verbs of ship operations (sail
to, anchor, moor, drift, call at a port), keeps its true and reported draught, and
records the ground truth of what happened as it goes. Legs are few per vessel (tens
to hundreds); positions are only produced later, vectorised, by :mod:`motion`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Final

import numpy as np

from shadowfleet.errors import GeoError
from shadowfleet.geo.distance import KNOT_M_PER_S, destination, haversine_m
from shadowfleet.geo.land import OpenSea, clear_of_land, open_water_near
from shadowfleet.geo.routes import SeaRoute, sea_route
from shadowfleet.simulate.fleet import Hull, Identity

HOUR: Final = 3600.0
DAY: Final = 86_400.0

NAV_UNDER_WAY: Final = 0
NAV_AT_ANCHOR: Final = 1
NAV_RESTRICTED: Final = 3
NAV_MOORED: Final = 5

DEPARTURE_SLOW_M: Final = 3_000.0
"""Distance sailed at manoeuvring speed when leaving a berth or anchorage, metres."""
APPROACH_SLOW_M: Final = 6_000.0
"""Distance sailed at manoeuvring speed when approaching a berth or anchorage, metres."""
MANOEUVRING_KN: Final = 6.0


class LegKind(IntEnum):
    """What a vessel is doing during a leg."""

    MOORED = 0
    ANCHORED = 1
    UNDERWAY = 2
    DRIFTING = 3


@dataclass
class Leg:
    """One stretch of a vessel's timeline.

    Attributes:
        start_s: Start, seconds since the simulation epoch.
        end_s: End, seconds since the simulation epoch.
        kind: What the vessel does.
        lat: Berth, anchor or drift start latitude (route start for UNDERWAY), degrees.
        lon: Longitude of the same, degrees.
        nav_status: AIS navigational status broadcast.
        route: The route sailed (UNDERWAY only).
        s0_m: Distance along the route at the start of the leg, metres.
        speed_mps: Speed over ground (UNDERWAY, DRIFTING), m/s.
        bearing_deg: Drift direction (DRIFTING) or heading (MOORED, ANCHORED), degrees.
        radius_m: Anchor swing radius (ANCHORED) or drift meander amplitude (DRIFTING), metres.
        offset_m: Abeam offset from the drift line, metres (the second ship of a transfer).
    """

    start_s: float
    end_s: float
    kind: LegKind
    lat: float
    lon: float
    nav_status: int
    route: SeaRoute | None = None
    s0_m: float = 0.0
    speed_mps: float = 0.0
    bearing_deg: float = 0.0
    radius_m: float = 0.0
    offset_m: float = 0.0


@dataclass(frozen=True)
class Stop:
    """A place a vessel calls at.

    Attributes:
        key: Unique key (UN/LOCODE for ports, a name for sea points and gateways).
        name: Port or place name.
        country_iso2: Country of the port ('' at sea).
        lat: Latitude, degrees.
        lon: Longitude, degrees.
        sanctioned: A port of a sanctioned state.
    """

    key: str
    name: str
    country_iso2: str
    lat: float
    lon: float
    sanctioned: bool = False


@dataclass(frozen=True)
class PortStops:
    """Where a vessel moors in a port and where it waits outside.

    Attributes:
        berth: Berth point (open water nearest the port's berths).
        anchorage: Waiting anchorage a few kilometres out.
    """

    berth: Stop
    anchorage: Stop

    @property
    def locode(self) -> str:
        """The port's UN/LOCODE."""
        return self.berth.key

    @property
    def destination_text(self) -> str:
        """The port as crews type it in the AIS destination field (``CN NGB``)."""
        return f"{self.locode[:2]} {self.locode[2:]}"


@dataclass
class TruthEvent:
    """One behaviour that really happened, in the event vocabulary of the design.

    Attributes:
        event_type: ``ais_gap``, ``encounter``, ``loitering``, ``port_visit``,
            ``dark_port_call``, ``identity_change``, ``identity_anomaly``, ``spoofing``
            or ``draught_change``.
        subtype: The design's subtype.
        vessel: Index of the vessel.
        start_s: Start, seconds since the epoch of the simulation.
        end_s: End, seconds since the epoch.
        lat: Latitude of the place, degrees.
        lon: Longitude of the place, degrees.
        port: The port concerned.
        other: Index of the other vessel (encounters, shared identifiers).
        deliberate: An act of the crew (as opposed to ordinary operations).
        details: Measured quantities (draughts, tonnes, identifiers).
    """

    event_type: str
    subtype: str
    vessel: int
    start_s: float
    end_s: float
    lat: float
    lon: float
    port: PortStops | None = None
    other: int | None = None
    deliberate: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class CargoVoyage:
    """One parcel of cargo from where it was loaded to where it was discharged.

    Attributes:
        vessel: Index of the carrying vessel (the last one, after transfers).
        commodity: What was carried.
        tonnes: Tonnes moved.
        load_port: Where it was loaded (None when loaded before the vessel entered the region).
        load_s: When loading finished.
        discharge_port: Where it was discharged (None when still aboard at the end).
        discharge_s: When discharge finished.
        via: Indices of vessels it passed through by ship-to-ship transfer.
    """

    vessel: int
    commodity: str
    tonnes: float
    load_port: PortStops | None
    load_s: float
    discharge_port: PortStops | None = None
    discharge_s: float | None = None
    via: list[int] = field(default_factory=list)


@dataclass
class Spoof:
    """A period during which a vessel broadcasts positions that are not where it is.

    Attributes:
        start_s: Start, seconds since the epoch.
        end_s: End, seconds since the epoch.
        kind: ``fake_position`` (fixed point elsewhere), ``on_land`` (offset inland),
            ``circle`` (GNSS interference drawing circles).
        lat: Fake point or circle centre, degrees.
        lon: Same, degrees.
        radius_m: Circle radius, metres.
        period_s: Time for one circle, seconds.
    """

    start_s: float
    end_s: float
    kind: str
    lat: float
    lon: float
    radius_m: float = 0.0
    period_s: float = 0.0


class Voyager:
    """Writes one vessel's timeline.

    Args:
        index: The vessel's index in the fleet.
        hull: Its hull.
        identity: What it broadcasts at first.
        rng: Random generator (shared by the whole simulation, so order matters).
        start_s: When its timeline starts, seconds since the epoch.
        at: Where it is then.
        draught_m: Its draught then, metres.
        updates_draught: Whether the crew updates the AIS draught after cargo work.
        truth: Where behaviours that happen are recorded.
        sea: The open sea of the region (routes and drifts stay in it).
    """

    def __init__(
        self,
        index: int,
        hull: Hull,
        identity: Identity,
        rng: np.random.Generator,
        start_s: float,
        at: Stop,
        draught_m: float,
        updates_draught: bool,
        truth: list[TruthEvent],
        sea: OpenSea | None = None,
    ) -> None:
        self.index = index
        self.sea = sea
        self.hull = hull
        self.rng = rng
        self.t = start_s
        self.lat, self.lon = at.lat, at.lon
        self.draught_m = draught_m
        self.updates_draught = updates_draught
        self.truth = truth
        self.legs: list[Leg] = []
        self.reported_draught: list[tuple[float, float]] = [(start_s, draught_m)]
        self.destinations: list[tuple[float, str, float]] = []
        self.identities: list[tuple[float, Identity]] = [(start_s, identity)]
        self.off: list[tuple[float, float]] = []
        self.spoofs: list[Spoof] = []
        self.cargo: list[CargoVoyage] = []
        self.finished: list[CargoVoyage] = []
        self.departed_at: float | None = None
        self.gone = False

    # -- primitive legs ---------------------------------------------------------------

    def _push(self, leg: Leg) -> None:
        if leg.end_s > leg.start_s:
            self.legs.append(leg)
            self.t = leg.end_s

    def moor(self, duration_s: float) -> None:
        """Stay moored alongside at the current point."""
        heading = float(self.rng.uniform(0, 360))
        self._push(
            Leg(self.t, self.t + duration_s, LegKind.MOORED, self.lat, self.lon, NAV_MOORED, bearing_deg=heading)
        )

    def anchor(self, duration_s: float) -> None:
        """Lie at anchor at the current point, swinging around it."""
        radius = float(self.rng.uniform(60.0, 60.0 + self.hull.length_m))
        self._push(
            Leg(
                self.t,
                self.t + duration_s,
                LegKind.ANCHORED,
                self.lat,
                self.lon,
                NAV_AT_ANCHOR,
                bearing_deg=float(self.rng.uniform(0, 360)),
                radius_m=radius,
            )
        )

    def drift_plan(self, duration_s: float, speed_kn: float) -> tuple[float, float, float]:
        """A drift bearing that keeps the vessel on water: (bearing, end lat, end lon)."""
        distance = speed_kn * KNOT_M_PER_S * duration_s
        bearings = (float(self.rng.uniform(0, 360)) + np.arange(0, 360, 30)) % 360
        for bearing in bearings:
            path_lat, path_lon = destination(
                np.full(5, self.lat), np.full(5, self.lon), np.full(5, bearing), np.linspace(0, distance, 5) + 1.0
            )
            clear = clear_of_land(path_lat, path_lon, 2_000.0)
            if self.sea is not None:
                clear &= self.sea.contains(path_lat, path_lon)
            if clear.all():
                return float(bearing), float(path_lat[-1]), float(path_lon[-1])
        return float(bearings[0]), self.lat, self.lon  # boxed in: drift in place

    def drift(
        self,
        duration_s: float,
        speed_kn: float,
        plan: tuple[float, float, float] | None = None,
        offset_m: float = 0.0,
        nav_status: int = NAV_UNDER_WAY,
        meander_m: float | None = None,
    ) -> None:
        """Drift or steam slowly at sea (waiting, loitering, transferring cargo).

        Args:
            duration_s: How long, seconds.
            speed_kn: Speed over ground, knots.
            plan: (bearing, end lat, end lon) from :meth:`drift_plan`; drawn when None.
                A plan ending where the vessel is means lying stopped.
            offset_m: Abeam offset from the drift line, metres (the ship alongside).
            nav_status: AIS navigational status broadcast.
            meander_m: Amplitude of the slow sideways meander, metres (drawn when
                None; two ships alongside share it).
        """
        bearing, end_lat, end_lon = plan or self.drift_plan(duration_s, speed_kn)
        speed = speed_kn * KNOT_M_PER_S if (end_lat, end_lon) != (self.lat, self.lon) else 0.0
        self._push(
            Leg(
                self.t,
                self.t + duration_s,
                LegKind.DRIFTING,
                self.lat,
                self.lon,
                nav_status,
                speed_mps=speed,
                bearing_deg=bearing,
                radius_m=float(self.rng.uniform(50.0, 300.0)) if meander_m is None else meander_m,
                offset_m=offset_m,
            )
        )
        self.lat, self.lon = end_lat, end_lon

    def travel_time_s(self, lat: float, lon: float, speed_kn: float) -> float:
        """Seconds needed to sail from the current point to another at a speed."""
        route = sea_route(self.lat, self.lon, lat, lon, self.sea)
        return _sail_duration(route.length_m, speed_kn)

    def sail_to(self, lat: float, lon: float, speed_kn: float) -> None:
        """Sail the sea route to a point, slowly out of and into port."""
        if haversine_m(self.lat, self.lon, lat, lon) < 1.0:
            return
        route = sea_route(self.lat, self.lon, lat, lon, self.sea)
        length = route.length_m
        service = speed_kn * KNOT_M_PER_S
        slow = min(MANOEUVRING_KN, speed_kn) * KNOT_M_PER_S
        slow_out = min(DEPARTURE_SLOW_M, length / 4)
        slow_in = min(APPROACH_SLOW_M, length / 4)
        stretches = ((0.0, slow_out, slow), (slow_out, length - slow_in, service), (length - slow_in, length, slow))
        for s0, s1, speed in stretches:
            if s1 > s0:
                self._push(
                    Leg(
                        self.t,
                        self.t + (s1 - s0) / speed,
                        LegKind.UNDERWAY,
                        route.lat[0],
                        route.lon[0],
                        NAV_UNDER_WAY,
                        route=route,
                        s0_m=s0,
                        speed_mps=speed,
                    )
                )
        self.lat, self.lon = lat, lon

    # -- what the crew broadcasts -----------------------------------------------------

    def set_destination(self, text: str, eta_s: float) -> None:
        """Type a destination and ETA into the AIS voyage data."""
        self.destinations.append((self.t, text, eta_s))

    def report_draught(self, at_s: float) -> None:
        """Update the AIS draught to the true draught at a time (if this crew does)."""
        if self.updates_draught:
            self.reported_draught.append((at_s, round(self.draught_m, 1)))

    def switch_off(self) -> None:
        """Switch the AIS transponder off now (no change when it is already off)."""
        if not self.dark:
            self.off.append((self.t, np.inf))

    def switch_on(self) -> None:
        """Switch it back on now."""
        start, _ = self.off[-1]
        self.off[-1] = (start, self.t)

    @property
    def dark(self) -> bool:
        """Whether the transponder is off now."""
        return bool(self.off) and self.off[-1][1] == np.inf

    def change_identity(self, identity: Identity) -> None:
        """Broadcast another identity from now on."""
        self.identities.append((self.t, identity))

    @property
    def identity(self) -> Identity:
        """What the vessel broadcasts now."""
        return self.identities[-1][1]

    # -- operations -------------------------------------------------------------------

    def record(self, event_type: str, subtype: str, start_s: float, end_s: float, **kwargs: Any) -> TruthEvent:
        """Record a behaviour of this vessel in the ground truth."""
        event = TruthEvent(
            event_type,
            subtype,
            self.index,
            start_s,
            end_s,
            kwargs.pop("lat", self.lat),
            kwargs.pop("lon", self.lon),
            **kwargs,
        )
        self.truth.append(event)
        return event

    def call(
        self,
        port: PortStops,
        speed_kn: float,
        wait_s: float,
        work_s: float,
        tonnes: float,
        commodity: str,
        *,
        sail: bool = True,
        at_anchorage: bool = False,
        off_alongside_s: float = 0.0,
    ) -> tuple[float, float]:
        """Call at a port: wait at its anchorage, work cargo at the berth, leave.

        Args:
            port: The port.
            speed_kn: Sea speed to get there, knots.
            wait_s: Time waiting at anchorage before berthing, seconds.
            work_s: Time working cargo, seconds.
            tonnes: Cargo loaded (> 0) or discharged (< 0), tonnes.
            commodity: What is loaded or discharged.
            sail: Sail there first (False when already there).
            at_anchorage: Work cargo at the anchorage (transfers into barges) instead of a berth.
            off_alongside_s: Time the crew switches the transponder off while alongside,
                seconds (a benign gap in port, recorded as an ``in_port`` gap).

        Returns:
            (arrival, departure) times, seconds since the epoch.
        """
        if sail:
            first = port.anchorage if (wait_s > 0 or at_anchorage) else port.berth
            self.sail_to(first.lat, first.lon, speed_kn)
        arrival = self.t
        if at_anchorage:
            self.anchor(wait_s + work_s)
            place = port.anchorage
        else:
            if wait_s > 0:
                self.anchor(wait_s)
                self.sail_to(port.berth.lat, port.berth.lon, MANOEUVRING_KN)
            place = port.berth
            if off_alongside_s > 0:
                lead = min(0.2 * work_s, float(self.rng.uniform(1.0, 4.0)) * HOUR)
                off_alongside_s = min(off_alongside_s, work_s - lead)
                self.moor(lead)
                self.switch_off()
                gap_start = self.t
                self.moor(off_alongside_s)
                self.switch_on()
                self.record("ais_gap", "in_port", gap_start, self.t, lat=place.lat, lon=place.lon, port=port)
                self.moor(work_s - lead - off_alongside_s)
            else:
                self.moor(work_s)
        work_start = self.t - work_s
        before = self.draught_m
        if tonnes:
            self._work_cargo(port, tonnes, commodity)
        departure = self.t
        sanctioned = port.berth.sanctioned
        self.record(
            "port_visit",
            "sanctioned" if sanctioned else "",
            arrival,
            departure,
            lat=place.lat,
            lon=place.lon,
            port=port,
            deliberate=sanctioned,
            details={"dark": self.dark},
        )
        if tonnes:
            self.record(
                "draught_change",
                "load" if tonnes > 0 else "discharge",
                work_start,
                departure,
                lat=place.lat,
                lon=place.lon,
                port=port,
                deliberate=sanctioned,
                details={
                    "draught_before_m": round(before, 2),
                    "draught_after_m": round(self.draught_m, 2),
                    "tonnes": round(abs(tonnes)),
                    "commodity": commodity,
                    "reported_in_ais": self.updates_draught,
                },
            )
            self.report_draught(departure + float(self.rng.uniform(0.1, 3.0)) * HOUR)
        return arrival, departure

    def _work_cargo(self, port: PortStops, tonnes: float, commodity: str) -> None:
        self.draught_m = self.hull.draught_after(self.draught_m, tonnes)
        if tonnes > 0:
            self.cargo.append(CargoVoyage(self.index, commodity, tonnes, port, self.t))
            return
        remaining = -tonnes
        while remaining > 1e-6 and self.cargo:
            parcel = self.cargo[0]
            taken = min(parcel.tonnes, remaining)
            if taken < parcel.tonnes - 1e-6:
                parcel.tonnes -= taken
                delivered = CargoVoyage(
                    parcel.vessel, parcel.commodity, taken, parcel.load_port, parcel.load_s, via=list(parcel.via)
                )
            else:
                delivered = self.cargo.pop(0)
            delivered.vessel = self.index
            delivered.discharge_port = port
            delivered.discharge_s = self.t
            self.finished.append(delivered)
            remaining -= taken

    def transfer_to(self, other: Voyager, tonnes: float) -> None:
        """Hand cargo over to another vessel alongside (ship-to-ship)."""
        self.draught_m = self.hull.draught_after(self.draught_m, -tonnes)
        other.draught_m = other.hull.draught_after(other.draught_m, tonnes)
        remaining = tonnes
        while remaining > 1e-6 and self.cargo:
            parcel = self.cargo[0]
            taken = min(parcel.tonnes, remaining)
            moved = CargoVoyage(
                other.index, parcel.commodity, taken, parcel.load_port, parcel.load_s, via=[*parcel.via, self.index]
            )
            other.cargo.append(moved)
            parcel.tonnes -= taken
            if parcel.tonnes <= 1e-6:
                self.cargo.pop(0)
            remaining -= taken

    def position_at(self, t: float) -> tuple[float, float]:
        """Where the vessel truly was at a time (drift and swing ignored), degrees."""
        for leg in self.legs:
            if leg.start_s <= t < leg.end_s:
                if leg.route is None:
                    return leg.lat, leg.lon
                route = leg.route
                s = min(leg.s0_m + leg.speed_mps * (t - leg.start_s), route.length_m)
                i = int(
                    np.clip(np.searchsorted(route.cumulative_m, s, side="right") - 1, 0, max(0, route.lat.size - 2))
                )
                if route.lat.size == 1:
                    return float(route.lat[0]), float(route.lon[0])
                span = route.cumulative_m[i + 1] - route.cumulative_m[i]
                f = (s - route.cumulative_m[i]) / span if span > 0 else 0.0
                lat = route.lat[i] + f * (route.lat[i + 1] - route.lat[i])
                lon = route.lon[i] + f * (route.lon[i + 1] - route.lon[i])
                return float(lat), float((lon + 180.0) % 360.0 - 180.0)
        return self.lat, self.lon

    def leave_region(self, gateway: Stop, speed_kn: float) -> None:
        """Sail out of the simulated region; nothing more is seen of the vessel."""
        self.sail_to(gateway.lat, gateway.lon, speed_kn)
        self.gone = True


def _sail_duration(length_m: float, speed_kn: float) -> float:
    slow = min(MANOEUVRING_KN, speed_kn) * KNOT_M_PER_S
    slow_length = min(DEPARTURE_SLOW_M, length_m / 4) + min(APPROACH_SLOW_M, length_m / 4)
    return slow_length / slow + (length_m - slow_length) / (speed_kn * KNOT_M_PER_S)


def port_stops(
    key: str,
    name: str,
    country_iso2: str,
    lat: float,
    lon: float,
    sanctioned: bool,
    anchorage_points: tuple[np.ndarray, np.ndarray],
    sea: OpenSea,
) -> PortStops:
    """Berth and waiting anchorage of a port, both in open water.

    The berth is the anchorage point (where vessels are seen to stop) nearest the
    port's gazetteer position with 300 m of water around it, or the nearest such water
    to the port when no anchorage point is within 12 km (as for every DPRK port). The
    waiting anchorage is the nearest point with 2.5 km of open water around the berth.
    """
    anchor_lat, anchor_lon = anchorage_points
    berth: tuple[float, float] | None = None
    if anchor_lat.size:
        distance = haversine_m(lat, lon, anchor_lat, anchor_lon)
        near = np.flatnonzero(distance < 12_000.0)
        near = near[np.argsort(distance[near])]
        usable = clear_of_land(anchor_lat[near], anchor_lon[near], 300.0) & sea.contains(
            anchor_lat[near], anchor_lon[near]
        )
        clear = near[usable] if near.size else near
        if clear.size:
            berth = float(anchor_lat[clear[0]]), float(anchor_lon[clear[0]])
    if berth is None:
        try:
            berth = open_water_near(lat, lon, clearance_m=500.0, max_radius_m=40_000.0, sea=sea)
        except GeoError as exc:
            raise GeoError(f"port {name} ({key}): {exc}") from exc
    anchorage = open_water_near(*berth, clearance_m=2_500.0, max_radius_m=60_000.0, sea=sea)
    if haversine_m(*berth, *anchorage) < 2_000.0:
        # Already in open water: anchor a few kilometres off, on the side away from land.
        for bearing in range(0, 360, 45):
            candidate = destination(berth[0], berth[1], float(bearing), 4_000.0)
            candidate_point = float(candidate[0]), float(candidate[1])
            if clear_of_land(*candidate_point, 1_500.0)[0] and sea.contains(*candidate_point)[0]:
                anchorage = candidate_point
                break
    return PortStops(
        Stop(key, name, country_iso2, berth[0], berth[1], sanctioned),
        Stop(key, name, country_iso2, anchorage[0], anchorage[1], sanctioned),
    )
