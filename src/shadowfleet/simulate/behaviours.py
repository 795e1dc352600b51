"""The fleet of a scenario and what each vessel does: ordinary trades and evasion.

Ordinary vessels trade as their class does (bulk carriers shuttle between loading
and discharging ports, container ships run a loop, barges hop along the coast),
wait at anchorages, sometimes drift offshore awaiting orders, sometimes switch their
AIS off alongside a berth, and leave or enter the region through its gateways.

The evading fleet of ``dprk-coal`` does what the UN Panel of Experts documented in
2019-2021: direct runs from Nampo to the Ningbo-Zhoushan and Lianyungang anchorages
with the AIS off near the DPRK; Chinese barges loading at Nampo; transfers at sea in
the Gulf of Tonkin and off Chinese ports, the donor's draught falling as the
receiver's rises; waiting at sea; renaming, reflagging, false flags, shared MMSIs,
IMO numbers of listed vessels, and spoofed positions.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from importlib import resources
from typing import Final

import numpy as np

from shadowfleet.config import SimulateConfig
from shadowfleet.geo.distance import destination, haversine_m
from shadowfleet.geo.gazetteer import anchorages, country_of_mid, ports
from shadowfleet.geo.land import OpenSea, clear_of_land, is_land
from shadowfleet.geo.routes import sea_route
from shadowfleet.simulate.fleet import DPRK_GENERAL, Hull, Identity, IdentityFactory, ShipClass, draw_hull, imo_is_valid
from shadowfleet.simulate.scenario import PortEntry, Role, Scenario
from shadowfleet.simulate.voyage import (
    DAY,
    HOUR,
    NAV_RESTRICTED,
    CargoVoyage,
    LegKind,
    PortStops,
    Spoof,
    Stop,
    TruthEvent,
    Voyager,
    port_stops,
)

NAUTICAL_MILE_M: Final = 1852.0
LOITER_MIN_SHORE_M: Final = 22.0 * NAUTICAL_MILE_M
"""Waiting and transfer points are drawn this far from any land (the design's
loitering and transfer definitions require ≥ 20 nm and ≥ 10 km)."""

FLAGS: Final[dict[ShipClass, tuple[str, ...]]] = {
    ShipClass.BULK: ("PA", "HK", "CN", "LR", "MH", "SG", "CN"),
    ShipClass.TANKER: ("PA", "CN", "KR", "SG", "LR", "MH", "HK"),
    ShipClass.CONTAINER: ("PA", "SG", "HK", "CN", "KR", "JP", "LR", "MH"),
    ShipClass.GENERAL: ("CN", "PA", "KR", "VN", "JP", "HK", "CN", "CN"),
    ShipClass.BARGE: ("CN",),
}
FALSE_FLAGS: Final = ("SL", "TG", "MN", "KM", "PA", "TZ")
UNALLOCATED_MIDS: Final = (446, 449)
"""MIDs allocated to no state (ITU MARS), used by vessels hiding their flag."""


@dataclass
class VesselRecord:
    """A vessel of the simulation and what is known about it for the ground truth.

    Attributes:
        index: Position in the fleet.
        key: Stable simulation key (``SIM-0001``).
        role: ``ordinary`` or the evasion role.
        evader: Whether it takes part in sanctions evasion.
        hull: Its hull.
        voyager: Its timeline.
        listed: The UN 1718 entry whose IMO it carries, if any.
    """

    index: int
    key: str
    role: str
    evader: bool
    hull: Hull
    voyager: Voyager
    listed: dict[str, str] | None = None


def _un1718_vessels() -> list[dict[str, str]]:
    path = resources.files("shadowfleet") / "data" / "sanctions" / "un1718_vessels_2020-06-04.csv"
    with resources.as_file(path) as file, open(file, encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["imo"].strip()]


class World:
    """The scenario's geography resolved: port stops, gateways, sea areas.

    Args:
        scenario: The scenario.
        rng: Random generator.
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        self.scenario = scenario
        self.rng = rng
        gazetteer = ports()
        table = anchorages()
        box = scenario.region
        self.sea = OpenSea.of_region(box.south - 1, box.north + 1, box.west - 1, box.east + 1)
        in_region = table.filter(
            (table["lat"] > box.south - 1)
            & (table["lat"] < box.north + 1)
            & (table["lon"] > box.west - 1)
            & (table["lon"] < box.east + 1)
        )
        points = (in_region["lat"].to_numpy(), in_region["lon"].to_numpy())
        self.ports: dict[str, PortStops] = {}
        self.entries: dict[str, PortEntry] = {}
        for entry in scenario.ports:
            row = gazetteer.filter(gazetteer["locode"] == entry.locode)
            lat = entry.lat if entry.lat is not None else float(row["lat"][0])
            lon = entry.lon if entry.lon is not None else float(row["lon"][0])
            name = entry.name or str(row["name"][0]).strip()
            country = entry.country_iso2 or str(row["country_iso2"][0])
            self.ports[entry.locode] = port_stops(
                entry.locode, name, country, lat, lon, country == "KP", points, self.sea
            )
            self.entries[entry.locode] = entry
        self.gateways = [Stop(name, name, "", lat, lon) for name, lat, lon in scenario.gateways]

    def pick_port(self, role: Role, exclude: tuple[str, ...] = ()) -> PortStops:
        """A port of a role, larger ports more often."""
        candidates = [p for p in self.scenario.ports_with(role) if p.locode not in exclude]
        if not candidates:
            candidates = list(self.scenario.ports_with(role))
        weights = np.array([p.weight for p in candidates])
        chosen = candidates[int(self.rng.choice(len(candidates), p=weights / weights.sum()))]
        return self.ports[chosen.locode]

    def sea_point(self, boxes: tuple[object, ...], min_shore_m: float = LOITER_MIN_SHORE_M) -> tuple[float, float]:
        """A random point in one of the boxes at least ``min_shore_m`` from land."""
        for _ in range(400):
            box = boxes[int(self.rng.integers(len(boxes)))]
            lat = float(self.rng.uniform(box.south, box.north))  # type: ignore[attr-defined]
            lon = float(self.rng.uniform(box.west, box.east))  # type: ignore[attr-defined]
            if clear_of_land(lat, lon, min_shore_m, bearings=32)[0] and self.sea.contains(lat, lon)[0]:
                return lat, lon
        raise RuntimeError(f"no point {min_shore_m / 1000:.0f} km from land in {boxes}")

    def inland_point(self, near: tuple[float, float], depth_m: float = 8_000.0) -> tuple[float, float] | None:
        """A point on land with no water within ``depth_m`` metres, near the port closest to a place."""
        berths = sorted(
            self.ports.values(), key=lambda p: float(haversine_m(near[0], near[1], p.berth.lat, p.berth.lon))
        )
        rings = np.repeat(np.arange(0, 360, 45.0), 4)
        depths = np.tile(np.array([0.25, 0.5, 0.75, 1.0]) * depth_m, 8)
        for port in berths[:5]:
            lat = port.berth.lat + self.rng.uniform(-0.6, 0.6, 300)
            lon = port.berth.lon + self.rng.uniform(-0.6, 0.6, 300)
            for k in np.flatnonzero(is_land(lat, lon)):
                ring_lat, ring_lon = destination(np.full(32, lat[k]), np.full(32, lon[k]), rings, depths)
                if is_land(ring_lat, ring_lon).all():
                    return float(lat[k]), float(lon[k])
        return None


class Fleet:
    """Builds the fleet of a scenario and plans every vessel's timeline.

    Args:
        scenario: The scenario.
        config: Simulation settings.
        rng: Random generator.
        start_s: First instant of the data, seconds since the epoch (0).
        end_s: Last instant of the data.
    """

    def __init__(
        self, scenario: Scenario, config: SimulateConfig, rng: np.random.Generator, start_s: float, end_s: float
    ) -> None:
        self.scenario = scenario
        self.config = config
        self.rng = rng
        self.start_s = start_s
        self.end_s = end_s
        self.world = World(scenario, rng)
        self.ids = IdentityFactory(rng)
        self.truth: list[TruthEvent] = []
        self.vessels: list[VesselRecord] = []
        self.listed = _un1718_vessels()
        for row in self.listed:
            self.ids.reserve(imo=int(row["imo"]), name=row["primary_name"].upper())

    # -- construction ---------------------------------------------------------------

    def _new_vessel(
        self,
        role: str,
        evader: bool,
        hull: Hull,
        identity: Identity,
        at: Stop,
        start_s: float,
        loaded: bool,
        commodity: str | None = None,
    ) -> VesselRecord:
        draught = hull.ballast_draught_m
        updates = bool(self.rng.random() < self.config.draught_update_probability)
        voyager = Voyager(
            len(self.vessels), hull, identity, self.rng, start_s, at, draught, updates, self.truth, self.world.sea
        )
        if loaded:
            tonnes = hull.cargo_capacity_t(draught) * float(self.rng.uniform(0.8, 0.97))
            voyager.draught_m = hull.draught_after(draught, tonnes)
            voyager.reported_draught[0] = (start_s, round(voyager.draught_m, 1))
            voyager.cargo.append(CargoVoyage(voyager.index, commodity or hull.commodity, tonnes, None, start_s))
        record = VesselRecord(len(self.vessels), f"SIM-{len(self.vessels) + 1:04d}", role, evader, hull, voyager)
        self.vessels.append(record)
        return record

    def _identity(self, flag: str, *, imo: int | None = None, name: str | None = None) -> Identity:
        return Identity(
            mmsi=self.ids.mmsi_of(flag),
            imo=self.ids.imo() if imo is None else imo,
            name=name or self.ids.name(flag),
            call_sign=self.ids.call_sign(flag),
            flag_iso2=flag,
            registered_flag_iso2=flag,
        )

    def build(self) -> list[VesselRecord]:
        """Create every vessel and plan its timeline; returns the fleet."""
        scenario = self.scenario
        n_evaders = round(scenario.vessels * scenario.evader_fraction) if scenario.evasion else 0
        roles = _evader_roles(n_evaders)
        n_ordinary = scenario.vessels - sum(2 if r in ("tonkin", "china") else 1 for r in roles)
        classes = _class_counts(scenario.class_mix, n_ordinary)
        for ship_class, count in classes.items():
            for _ in range(count):
                self._plan_ordinary(ship_class)
        for role in roles:
            if role == "runner":
                self._plan_runner()
            elif role == "barge":
                self._plan_nampo_barge()
            else:
                self._plan_transfer_pair(role)
        if n_evaders:
            self._identity_games()
            self._circle_spoofing()
        for record in self.vessels:  # transponders still off when the data ends: open gaps
            voyager = record.voyager
            if voyager.dark and voyager.off[-1][0] < self.end_s:
                start = voyager.off[-1][0]
                lat, lon = voyager.position_at(start)
                voyager.record(
                    "ais_gap",
                    "likely_deliberate",
                    start,
                    np.inf,
                    lat=lat,
                    lon=lon,
                    deliberate=True,
                    details={"open": True},
                )
        return self.vessels

    # -- ordinary trade ---------------------------------------------------------------

    def _plan_ordinary(self, ship_class: ShipClass) -> None:
        rng = self.rng
        hull = draw_hull(rng, ship_class)
        flag = str(rng.choice(FLAGS[ship_class]))
        identity = self._identity(flag, imo=0 if ship_class == ShipClass.BARGE and rng.random() < 0.5 else None)
        warmup = float(rng.uniform(0.0, 10.0)) * DAY
        entering = rng.random() < 0.12 and ship_class != ShipClass.BARGE
        if entering:
            gateway = self.world.gateways[int(rng.integers(len(self.world.gateways)))]
            start = float(rng.uniform(self.start_s - 2 * DAY, self.end_s - DAY))
            commodity = str(rng.choice(("coal", "iron ore"))) if ship_class == ShipClass.BULK else None
            record = self._new_vessel("ordinary", False, hull, identity, gateway, start, True, commodity)
        else:
            port = self.world.pick_port(_home_role(ship_class))
            record = self._new_vessel(
                "ordinary", False, hull, identity, port.berth, self.start_s - warmup, loaded=bool(rng.random() < 0.5)
            )
            # The first stay is a port visit like any other (in progress when the data begin).
            record.voyager.call(port, hull.speed_kn, 0.0, float(rng.uniform(0.2, 2.0)) * DAY, 0.0, "", sail=False)
        trade = _OrdinaryTrade(self, record)
        trade.run()

    # -- evading fleet ----------------------------------------------------------------

    def _dprk_identity(self) -> tuple[Identity, dict[str, str] | None]:
        """The identity of a DPRK-controlled hull: flag games and listed IMO numbers."""
        rng = self.rng
        draw = rng.random()
        listed: dict[str, str] | None = None
        imo_draw = rng.random()
        name = None
        if imo_draw < 0.45 and self.listed:
            row = self.listed.pop(int(rng.integers(len(self.listed))))
            listed = {"list": "UN1718", "imo": row["imo"], "listed_name": row["primary_name"].upper()}
            imo = int(row["imo"])
            if rng.random() < 0.5:
                name = row["primary_name"].upper()[:20]
        elif imo_draw < 0.55:
            imo = self.ids.imo(oldest=7_000_000, newest=8_990_000, valid=False)
        elif imo_draw < 0.65:
            imo = 0
        else:
            imo = self.ids.imo(oldest=7_000_000, newest=8_990_000)
        name = name or self.ids.name("KP")
        if draw < 0.35:
            identity = Identity(self.ids.mmsi_of("KP"), imo, name, self.ids.call_sign("KP"), "KP", "KP")
        elif draw < 0.70:
            flag = str(rng.choice(FALSE_FLAGS))
            identity = Identity(self.ids.mmsi_of(flag), imo, name, self.ids.call_sign("KP"), flag, "KP")
        elif draw < 0.80:
            mmsi = self.ids.mmsi(int(rng.choice(UNALLOCATED_MIDS)))
            identity = Identity(mmsi, imo, name, self.ids.call_sign("KP"), "", "KP")
        else:  # registered under a flag of convenience
            flag = str(rng.choice(("SL", "TG", "MN", "KM")))
            identity = Identity(self.ids.mmsi_of(flag), imo, name, self.ids.call_sign(flag), flag, flag)
        return identity, listed

    def _new_dprk_vessel(self, role: str, start_port: PortStops, warmup_days: float = 8.0) -> VesselRecord:
        hull = draw_hull(self.rng, ShipClass.GENERAL, DPRK_GENERAL)
        identity, listed = self._dprk_identity()
        start = self.start_s - float(self.rng.uniform(0.0, warmup_days)) * DAY
        record = self._new_vessel(role, True, hull, identity, start_port.anchorage, start, loaded=False)
        record.listed = listed
        self._anomalies_of_identity(record.voyager, identity, start, np.inf)
        return record

    def _anomalies_of_identity(self, voyager: Voyager, identity: Identity, start: float, end: float) -> None:
        mid = identity.mmsi // 1_000_000
        if country_of_mid(mid) is None:
            voyager.record("identity_anomaly", "invalid_mid", start, end, deliberate=True, details={"mid": mid})
        elif identity.flag_iso2 != identity.registered_flag_iso2:
            voyager.record(
                "identity_anomaly",
                "mid_flag_mismatch",
                start,
                end,
                deliberate=True,
                details={
                    "mid_flag": identity.flag_iso2,
                    "call_sign": identity.call_sign,
                    "registered_flag": identity.registered_flag_iso2,
                },
            )
        if identity.imo and not imo_is_valid(identity.imo):
            voyager.record(
                "identity_anomaly", "invalid_imo", start, end, deliberate=True, details={"imo": identity.imo}
            )

    def _plan_runner(self) -> None:
        """A DPRK-controlled ship running coal from the DPRK to Chinese anchorages."""
        rng = self.rng
        home = self.world.pick_port(Role.DPRK_DISCHARGE)
        record = self._new_dprk_vessel("direct_runner", home)
        voyager = record.voyager
        spoofer = bool(rng.random() < 0.2)
        voyager.call(
            home, record.hull.speed_kn, 0.0, float(rng.uniform(0.5, 3.0)) * DAY, 0.0, "", sail=False, at_anchorage=True
        )
        while voyager.t < self.end_s:
            cargo = self._dprk_load_run(voyager, spoofer=spoofer)
            discharge = self.world.pick_port(Role.DPRK_DISCHARGE)
            stay_dark = voyager.dark
            voyager.set_destination(
                discharge.destination_text,
                voyager.t
                + voyager.travel_time_s(discharge.anchorage.lat, discharge.anchorage.lon, record.hull.speed_kn),
            )
            voyager.call(
                discharge,
                record.hull.speed_kn * 0.97,
                0.0,
                float(rng.uniform(3.0, 8.0)) * DAY,
                -cargo,
                "coal",
                at_anchorage=True,
            )
            if stay_dark:
                self._end_dark(voyager)

    def _dprk_load_run(self, voyager: Voyager, *, spoofer: bool = False, dark: bool = True) -> float:
        """Sail to a DPRK port, load coal, and come back out; returns tonnes loaded.

        The AIS goes off (or a fake position goes out) at a switch-off point in Korea
        Bay and comes back on well clear of DPRK waters.
        """
        rng = self.rng
        hull = voyager.hull
        decoy = self.world.pick_port(Role.DPRK_DISCHARGE)
        voyager.set_destination(decoy.destination_text, voyager.t + 3 * DAY)
        if rng.random() < 0.4:
            self._loiter(voyager, float(rng.uniform(6.0, 30.0)) * HOUR)
        if dark:
            point = self.world.sea_point(self.scenario.switch_off, min_shore_m=15_000.0)
            voyager.sail_to(*point, hull.speed_kn)
            if spoofer:
                self._start_fake_position(voyager)
            else:
                voyager.switch_off()
        port = self.world.pick_port(Role.DPRK_COAL)
        tonnes = hull.cargo_capacity_t(voyager.draught_m) * float(rng.uniform(0.85, 0.98))
        arrival, departure = voyager.call(
            port, hull.speed_kn, float(rng.uniform(0.3, 3.0)) * DAY, float(rng.uniform(2.0, 5.0)) * DAY, tonnes, "coal"
        )
        if dark:
            # Hidden by silence, or by a false position broadcast meanwhile: either way
            # the AIS did not show the call.
            voyager.record(
                "dark_port_call",
                port.berth.name,
                arrival,
                departure,
                lat=port.berth.lat,
                lon=port.berth.lon,
                port=port,
                deliberate=True,
                details={"hidden_by": "spoofing" if spoofer else "ais_gap"},
            )
        if dark:
            point = self.world.sea_point(self.scenario.switch_off, min_shore_m=15_000.0)
            voyager.sail_to(*point, hull.speed_kn * 0.97)
            if spoofer:
                self._end_fake_position(voyager)
            elif rng.random() < 0.8:
                self._end_dark(voyager)
        return tonnes

    def _end_dark(self, voyager: Voyager) -> None:
        if not voyager.dark:
            return
        start, _ = voyager.off[-1]
        voyager.switch_on()
        off_lat, off_lon = voyager.position_at(start)
        voyager.record(
            "ais_gap",
            "likely_deliberate",
            start,
            voyager.t,
            lat=off_lat,
            lon=off_lon,
            deliberate=True,
            details={"on_lat": round(voyager.lat, 5), "on_lon": round(voyager.lon, 5)},
        )
        voyager.report_draught(voyager.t + float(self.rng.uniform(0.2, 4.0)) * HOUR)

    def _start_fake_position(self, voyager: Voyager) -> None:
        fake = self.world.pick_port(Role.DPRK_DISCHARGE).anchorage
        voyager.spoofs.append(Spoof(voyager.t, np.inf, "fake_position", fake.lat, fake.lon))

    def _end_fake_position(self, voyager: Voyager) -> None:
        spoof = voyager.spoofs[-1]
        voyager.spoofs[-1] = replace(spoof, end_s=voyager.t)
        voyager.record(
            "spoofing",
            "speed_jump",
            spoof.start_s,
            voyager.t,
            lat=spoof.lat,
            lon=spoof.lon,
            deliberate=True,
            details={"fake_lat": round(spoof.lat, 5), "fake_lon": round(spoof.lon, 5)},
        )

    def _loiter(self, voyager: Voyager, duration_s: float) -> None:
        point = self.world.sea_point(self.scenario.loiter)
        voyager.sail_to(*point, voyager.hull.speed_kn)
        start = voyager.t
        voyager.drift(duration_s, float(self.rng.uniform(0.2, 1.2)))
        voyager.record("loitering", "at_sea", start, voyager.t, lat=point[0], lon=point[1], deliberate=True)

    def _plan_nampo_barge(self) -> None:
        """A Chinese barge loading coal at Nampo, with its AIS on or off."""
        rng = self.rng
        hull = draw_hull(rng, ShipClass.BARGE)
        home = self.world.pick_port(Role.DPRK_DISCHARGE)
        identity = self._identity("CN")
        start = self.start_s - float(rng.uniform(0.0, 6.0)) * DAY
        record = self._new_vessel("nampo_barge", True, hull, identity, home.berth, start, loaded=False)
        voyager = record.voyager
        voyager.call(home, hull.speed_kn, 0.0, float(rng.uniform(0.3, 2.0)) * DAY, 0.0, "", sail=False)
        openly = bool(rng.random() < 0.5)
        while voyager.t < self.end_s:
            tonnes = self._dprk_load_run(voyager, dark=not openly)
            discharge = self.world.pick_port(Role.DPRK_DISCHARGE)
            was_dark = voyager.dark
            voyager.call(
                discharge,
                hull.speed_kn,
                float(rng.uniform(0.0, 1.0)) * DAY,
                float(rng.uniform(1.0, 3.0)) * DAY,
                -tonnes,
                "coal",
            )
            if was_dark:
                self._end_dark(voyager)

    def _plan_transfer_pair(self, area: str) -> None:
        """A DPRK donor and a receiver meeting at sea to transfer coal."""
        rng = self.rng
        donor_home = self.world.pick_port(Role.DPRK_DISCHARGE)
        donor = self._new_dprk_vessel("sts_donor", donor_home)
        flags: tuple[str, ...]
        if area == "tonkin":
            receiver_class, flags, discharge_role = (
                ShipClass.GENERAL,
                ("PA", "SL", "TG", "VN", "HK"),
                Role.STS_DISCHARGE,
            )
            boxes = self.scenario.sts_tonkin
        else:
            receiver_class, flags, discharge_role = ShipClass.BARGE, ("CN",), Role.DPRK_DISCHARGE
            boxes = self.scenario.sts_china
        hull = draw_hull(rng, receiver_class)
        flag = str(rng.choice(flags))
        home = self.world.pick_port(discharge_role)
        start = self.start_s - float(rng.uniform(0.0, 4.0)) * DAY
        receiver = self._new_vessel(f"sts_receiver_{area}", True, hull, self._identity(flag), home.berth, start, False)
        d, r = donor.voyager, receiver.voyager
        d.call(
            donor_home, d.hull.speed_kn, 0.0, float(rng.uniform(0.2, 2.0)) * DAY, 0.0, "", sail=False, at_anchorage=True
        )
        r.call(home, hull.speed_kn, 0.0, float(rng.uniform(0.2, 1.0)) * DAY, 0.0, "", sail=False)
        while min(d.t, r.t) < self.end_s:
            tonnes = self._dprk_load_run(d)
            if d.t >= self.end_s:
                break
            point = self.world.sea_point(boxes)
            if rng.random() < 0.5 and d.dark:
                self._end_dark(d)
            d.set_destination(str(rng.choice(("CN FAN", "VN HPH", "CN LYG", "FOR ORDERS"))), d.t + 4 * DAY)
            self._transfer(d, r, point, tonnes)
            discharge = self.world.pick_port(discharge_role)
            r.call(
                discharge,
                r.hull.speed_kn,
                float(rng.uniform(0.0, 1.5)) * DAY,
                float(rng.uniform(1.0, 3.0)) * DAY,
                -tonnes * 0.999,
                "coal",
            )
            r.moor(float(rng.uniform(0.5, 3.0)) * DAY)
            if not d.dark and rng.random() < 0.5:
                d.switch_off()

    def _transfer(self, donor: Voyager, receiver: Voyager, point: tuple[float, float], tonnes: float) -> None:
        """Bring both ships to a point at sea, the receiver waiting for the donor, and transfer cargo."""
        rng = self.rng
        donor_arrival = donor.t + donor.travel_time_s(*point, donor.hull.speed_kn)
        receiver_travel = receiver.travel_time_s(*point, receiver.hull.speed_kn)
        wait = float(rng.uniform(4.0, 30.0)) * HOUR
        receiver_leaves = donor_arrival - wait - receiver_travel
        if receiver_leaves > receiver.t:
            receiver.moor(receiver_leaves - receiver.t)
        receiver.set_destination("FOR ORDERS", receiver.t + receiver_travel)
        receiver.sail_to(*point, receiver.hull.speed_kn)
        wait_start = receiver.t
        meet = max(donor_arrival, receiver.t + 2 * HOUR)
        receiver.drift(meet - receiver.t, float(rng.uniform(0.2, 0.8)))
        donor.sail_to(receiver.lat, receiver.lon, donor.hull.speed_kn)
        donor_wait_start = donor.t
        lying_stopped = (0.0, receiver.lat, receiver.lon)
        if donor.t < receiver.t:
            donor.drift(receiver.t - donor.t, 0.0, lying_stopped)
        elif receiver.t < donor.t:
            receiver.drift(donor.t - receiver.t, 0.0, lying_stopped)
        transfer_start = receiver.t
        duration = float(rng.uniform(10.0, 40.0)) * HOUR
        speed = float(rng.uniform(0.2, 0.8))
        plan = receiver.drift_plan(duration, speed)
        meander = float(rng.uniform(50.0, 300.0))
        lat, lon = receiver.lat, receiver.lon
        donor_before, receiver_before = donor.draught_m, receiver.draught_m
        receiver.drift(duration, speed, plan, nav_status=NAV_RESTRICTED, meander_m=meander)
        donor.drift(
            duration, speed, plan, offset_m=float(rng.uniform(40.0, 90.0)), nav_status=NAV_RESTRICTED, meander_m=meander
        )
        donor.transfer_to(receiver, tonnes)
        end = receiver.t
        common = {"lat": lat, "lon": lon, "deliberate": True}
        donor.record(
            "encounter", "sts", transfer_start, end, other=receiver.index, **common, details={"tonnes": round(tonnes)}
        )
        donor.record("loitering", "at_sea", min(donor_wait_start, transfer_start), end, **common)
        receiver.record("loitering", "at_sea", wait_start, end, **common)
        for giver, taker, subtype, before, vessel in (
            (donor, receiver, "discharge", donor_before, donor),
            (donor, receiver, "load", receiver_before, receiver),
        ):
            other = taker if vessel is giver else giver
            vessel.record(
                "draught_change",
                subtype,
                transfer_start,
                end,
                other=other.index,
                **common,
                details={
                    "draught_before_m": round(before, 2),
                    "draught_after_m": round(vessel.draught_m, 2),
                    "tonnes": round(tonnes),
                    "commodity": "coal",
                    "ship_to_ship": True,
                    "reported_in_ais": vessel.updates_draught,
                },
            )
        for voyager in (donor, receiver):
            voyager.report_draught(end + float(rng.uniform(0.2, 6.0)) * HOUR)

    # -- identity games ---------------------------------------------------------------

    def _identity_games(self) -> None:
        """Renaming, reflagging, a shared MMSI and a reused IMO among the evaders."""
        rng = self.rng
        evaders = [v for v in self.vessels if v.evader]
        dprk = [v for v in evaders if v.role in ("direct_runner", "sts_donor")]
        ordinary = [v for v in self.vessels if not v.evader and not v.voyager.gone]
        for record in evaders:
            draw = rng.random()
            is_dprk = record in dprk
            if draw < (0.2 if is_dprk else 0.15):
                self._change(record, rename=True, reflag=False)
            elif is_dprk and draw < 0.35:
                self._change(record, rename=bool(rng.random() < 0.5), reflag=True)
        if len(dprk) >= 2 and ordinary:
            cloner, reuser = dprk[-1], dprk[-2]
            victim = ordinary[int(rng.integers(len(ordinary)))]
            self._share_mmsi(cloner, victim)
            other = ordinary[int(rng.integers(len(ordinary)))]
            if other.voyager.identity.imo:
                self._reuse_imo(reuser, other)
        if dprk:
            self._on_land(dprk[0])

    def _change_time(self, voyager: Voyager) -> float | None:
        """When an identity change happens: mid-way through a dark period, else at a berth."""
        candidates = [
            (a + b) / 2 for a, b in voyager.off if np.isfinite(b) and self.start_s + DAY < a < self.end_s - DAY
        ]
        if candidates:
            return float(candidates[int(self.rng.integers(len(candidates)))])
        moored = [
            (leg.start_s + leg.end_s) / 2
            for leg in voyager.legs
            if leg.kind == LegKind.MOORED and self.start_s + DAY < leg.start_s < self.end_s - DAY
        ]
        return float(moored[int(self.rng.integers(len(moored)))]) if moored else None

    def _change(self, record: VesselRecord, *, rename: bool, reflag: bool) -> None:
        voyager = record.voyager
        when = self._change_time(voyager)
        if when is None:
            return
        old = identity_at(voyager, when)
        new = old
        if rename:
            new = replace(new, name=self.ids.name("KP" if old.registered_flag_iso2 == "KP" else old.flag_iso2 or "PA"))
        if reflag:
            flag = str(self.rng.choice([f for f in FALSE_FLAGS if f != old.flag_iso2]))
            call_sign = old.call_sign if old.registered_flag_iso2 == "KP" else self.ids.call_sign(flag)
            registered = old.registered_flag_iso2 if old.registered_flag_iso2 == "KP" else flag
            new = replace(
                new, mmsi=self.ids.mmsi_of(flag), flag_iso2=flag, call_sign=call_sign, registered_flag_iso2=registered
            )
        _insert_identity(voyager, when, new)
        lat, lon = voyager.position_at(when)
        changes = [
            ("name", old.name, new.name),
            ("flag", old.flag_iso2, new.flag_iso2),
            ("mmsi", old.mmsi, new.mmsi),
            ("call_sign", old.call_sign, new.call_sign),
        ]
        for subtype, before, after in changes:
            if before != after:
                voyager.record(
                    "identity_change",
                    subtype,
                    when,
                    when,
                    lat=lat,
                    lon=lon,
                    deliberate=True,
                    details={"before": before, "after": after},
                )
        self._renew_anomalies(voyager, new, when)

    def _renew_anomalies(self, voyager: Voyager, new: Identity, when: float) -> None:
        """The anomalies of a changed identity: those that still hold go on, others end, new ones start.

        An anomaly is a property of what is broadcast (an unallocated MID belongs to the
        MMSI, a failing check digit to the IMO), so a rename does not end an invalid MID.
        """
        start = len(self.truth)
        self._anomalies_of_identity(voyager, new, when, np.inf)
        fresh = self.truth[start:]
        del self.truth[start:]
        open_events = [
            e
            for e in self.truth
            if e.vessel == voyager.index and e.event_type == "identity_anomaly" and e.end_s == np.inf
        ]
        for event in open_events:
            if not any(f.subtype == event.subtype and f.details == event.details for f in fresh):
                event.end_s = when
        for event in fresh:
            if not any(o.subtype == event.subtype and o.details == event.details for o in open_events):
                self.truth.append(event)

    def _share_mmsi(self, cloner: VesselRecord, victim: VesselRecord) -> None:
        voyager = cloner.voyager
        when = self._change_time(voyager) or self.start_s
        theirs = victim.voyager.identity
        old = identity_at(voyager, when)
        _insert_identity(voyager, when, replace(old, mmsi=theirs.mmsi, flag_iso2=theirs.flag_iso2))
        lat, lon = voyager.position_at(when)
        end = min(self.end_s, _last_time(victim.voyager))
        voyager.record(
            "spoofing",
            "mmsi_collision",
            when,
            end,
            lat=lat,
            lon=lon,
            other=victim.index,
            deliberate=True,
            details={"mmsi": theirs.mmsi},
        )
        # Taking another ship's MMSI is also a change of this hull's MMSI (and flag).
        for subtype, before, after in (("mmsi", old.mmsi, theirs.mmsi), ("flag", old.flag_iso2, theirs.flag_iso2)):
            if before != after:
                voyager.record(
                    "identity_change",
                    subtype,
                    when,
                    when,
                    lat=lat,
                    lon=lon,
                    deliberate=True,
                    details={"before": before, "after": after},
                )
        self._renew_anomalies(voyager, identity_at(voyager, when), when)

    def _reuse_imo(self, reuser: VesselRecord, owner: VesselRecord) -> None:
        voyager = reuser.voyager
        when = self.start_s
        imo = owner.voyager.identity.imo
        _insert_identity(voyager, when, replace(identity_at(voyager, when), imo=imo))
        # Every later identity of the hull (renamed, reflagged) keeps the borrowed IMO.
        voyager.identities = [(t, replace(i, imo=imo) if t >= when else i) for t, i in voyager.identities]
        for event in self.truth:
            if event.vessel == voyager.index and event.subtype == "invalid_imo":
                event.end_s = when
        voyager.record(
            "identity_anomaly",
            "imo_reused",
            when,
            min(self.end_s, _last_time(owner.voyager)),
            other=owner.index,
            deliberate=True,
            details={"imo": imo},
        )
        reuser.listed = None if reuser.listed and int(reuser.listed["imo"]) != imo else reuser.listed

    def _on_land(self, record: VesselRecord) -> None:
        """Positions broadcast from deep inland for a few hours while at sea."""
        voyager = record.voyager
        under_way = [
            leg
            for leg in voyager.legs
            if leg.kind == LegKind.UNDERWAY
            and leg.end_s - leg.start_s > 8 * HOUR
            and self.start_s < leg.start_s < self.end_s - DAY
            and not _in_any(leg.start_s, voyager.off)
        ]
        if not under_way:
            return
        leg = under_way[int(self.rng.integers(len(under_way)))]
        start = leg.start_s + float(self.rng.uniform(0.5, 2.0)) * HOUR
        end = start + float(self.rng.uniform(3.0, 6.0)) * HOUR
        inland = self.world.inland_point((leg.lat, leg.lon))
        if inland is None:
            return
        voyager.spoofs.append(Spoof(start, end, "on_land", inland[0], inland[1]))
        voyager.spoofs.sort(key=lambda s: s.start_s)
        voyager.record("spoofing", "on_land", start, end, lat=inland[0], lon=inland[1], deliberate=True)

    def _circle_spoofing(self) -> None:
        """GNSS interference: vessels at berth near the centres broadcast circles."""
        centres = self.scenario.circle_spoof_centres
        if not centres:
            return
        victims = 0
        for record in self.vessels:
            if record.evader or victims >= 2:
                continue
            voyager = record.voyager
            for leg in voyager.legs:
                if leg.kind != LegKind.MOORED or not self.start_s < leg.start_s < self.end_s - DAY:
                    continue
                centre = min(centres, key=lambda c: float(haversine_m(c[0], c[1], leg.lat, leg.lon)))
                if haversine_m(centre[0], centre[1], leg.lat, leg.lon) > 40_000:
                    continue
                start = leg.start_s + float(self.rng.uniform(0.1, 0.4)) * (leg.end_s - leg.start_s)
                end = min(leg.end_s, start + float(self.rng.uniform(3.0, 8.0)) * HOUR)
                radius = float(self.rng.uniform(500.0, 2_000.0))
                voyager.spoofs.append(
                    Spoof(start, end, "circle", centre[0], centre[1], radius, float(self.rng.uniform(15.0, 60.0)) * 60)
                )
                voyager.spoofs.sort(key=lambda s: s.start_s)
                voyager.record(
                    "spoofing", "circle", start, end, lat=centre[0], lon=centre[1], details={"radius_m": round(radius)}
                )
                victims += 1
                break


class _OrdinaryTrade:
    """The trading pattern of one ordinary vessel, by class."""

    def __init__(self, fleet: Fleet, record: VesselRecord) -> None:
        self.fleet = fleet
        self.record = record
        self.v = record.voyager
        self.rng = fleet.rng
        self.hull = record.hull
        self.world = fleet.world
        self.loop: list[PortStops] = []
        if self.hull.ship_class == ShipClass.CONTAINER:
            size = int(self.rng.integers(3, 6))
            while len(self.loop) < size:
                port = self.world.pick_port(Role.CONTAINER, tuple(p.locode for p in self.loop))
                if port in self.loop:
                    break
                self.loop.append(port)

    def run(self) -> None:
        v, rng = self.v, self.rng
        leg_index = 0
        while v.t < self.fleet.end_s and not v.gone:
            cls = self.hull.ship_class
            laden = bool(v.cargo)
            speed = self.hull.speed_kn * float(rng.uniform(0.92, 1.03)) * (0.97 if laden else 1.0)
            if cls == ShipClass.CONTAINER:
                port = self.loop[leg_index % len(self.loop)]
                leg_index += 1
                self._call(port, speed, wait_h=(0, 8), work_h=(10, 36), partial=True)
                continue
            if rng.random() < 0.06 and cls != ShipClass.BARGE:
                gateway = self.world.gateways[int(rng.integers(len(self.world.gateways)))]
                v.set_destination("FOR ORDERS", v.t + 5 * DAY)
                v.leave_region(gateway, speed)
                break
            if cls == ShipClass.BULK:
                iron_ore = laden and v.cargo[0].commodity == "iron ore"
                role = (Role.ORE_IMPORT if iron_ore else Role.COAL_IMPORT) if laden else Role.COAL_EXPORT
                port = self.world.pick_port(role, (self._here(),))
                if laden and rng.random() < 0.08:
                    self._wait_offshore(speed)
                self._call(port, speed, wait_h=(0, 72), work_h=(36, 120), partial=False)
            elif cls == ShipClass.TANKER:
                port = self.world.pick_port(Role.OIL, (self._here(),))
                self._call(port, speed, wait_h=(0, 36), work_h=(20, 48), partial=False)
            elif cls == ShipClass.BARGE:
                port = self.world.pick_port(Role.BARGE, (self._here(),))
                self._call(port, speed, wait_h=(0, 12), work_h=(10, 40), partial=False)
            else:
                port = self.world.pick_port(Role.GENERAL, (self._here(),))
                self._call(port, speed, wait_h=(0, 24), work_h=(18, 60), partial=True)

    def _here(self) -> str:
        for stops in self.world.ports.values():
            if (stops.berth.lat, stops.berth.lon) == (self.v.lat, self.v.lon):
                return stops.locode
        return ""

    def _wait_offshore(self, speed: float) -> None:
        v = self.v
        try:
            point = self.world.sea_point(self.fleet.scenario.loiter or (self.fleet.scenario.region,))
        except RuntimeError:
            return
        v.sail_to(*point, speed)
        start = v.t
        v.drift(float(self.rng.uniform(12.0, 72.0)) * HOUR, float(self.rng.uniform(0.2, 1.0)))
        v.record("loitering", "at_sea", start, v.t, lat=point[0], lon=point[1])

    def _call(
        self, port: PortStops, speed: float, wait_h: tuple[float, float], work_h: tuple[float, float], partial: bool
    ) -> None:
        v, rng, hull = self.v, self.rng, self.hull
        v.set_destination(port.destination_text, v.t + v.travel_time_s(port.berth.lat, port.berth.lon, speed))
        wait = float(rng.uniform(*wait_h)) * HOUR if rng.random() < 0.5 else 0.0
        work = float(rng.uniform(*work_h)) * HOUR
        aboard = sum(p.tonnes for p in v.cargo)
        if partial:
            capacity = hull.cargo_capacity_t(hull.ballast_draught_m)
            tonnes = capacity * float(rng.uniform(0.3, 0.9)) - aboard
            if abs(tonnes) < 0.05 * capacity:
                tonnes = 0.1 * capacity if aboard < 0.5 * capacity else -0.1 * capacity
        elif v.cargo:
            tonnes = -aboard
        else:
            tonnes = hull.cargo_capacity_t(v.draught_m) * float(rng.uniform(0.85, 0.98))
        commodity = v.cargo[0].commodity if tonnes < 0 and v.cargo else hull.commodity
        # Some crews switch the transponder off alongside: benign, but a gap all the same.
        off = work * float(rng.uniform(0.3, 0.7)) if work > 24 * HOUR and rng.random() < 0.08 else 0.0
        v.call(port, speed, wait, work, tonnes, commodity, off_alongside_s=off)


def _home_role(ship_class: ShipClass) -> Role:
    return {
        ShipClass.BULK: Role.COAL_EXPORT,
        ShipClass.TANKER: Role.OIL,
        ShipClass.CONTAINER: Role.CONTAINER,
        ShipClass.GENERAL: Role.GENERAL,
        ShipClass.BARGE: Role.BARGE,
    }[ship_class]


def _evader_roles(n: int) -> list[str]:
    """Evasion roles for ``n`` vessels, in an order that covers every behaviour early."""
    cycle = ("runner", "tonkin", "barge", "china", "runner", "runner", "tonkin", "barge", "china", "runner")
    roles: list[str] = []
    remaining = n
    i = 0
    while remaining > 0:
        role = cycle[i % len(cycle)]
        i += 1
        size = 2 if role in ("tonkin", "china") else 1
        if size <= remaining:
            roles.append(role)
            remaining -= size
    return roles


def _class_counts(mix: dict[ShipClass, float], n: int) -> dict[ShipClass, int]:
    """Whole vessel counts per class that add up to ``n`` (largest remainders)."""
    total = sum(mix.values())
    exact = {c: n * share / total for c, share in mix.items()}
    counts = {c: int(np.floor(x)) for c, x in exact.items()}
    for c in sorted(exact, key=lambda c: exact[c] - counts[c], reverse=True)[: n - sum(counts.values())]:
        counts[c] += 1
    return counts


def identity_at(voyager: Voyager, t: float) -> Identity:
    """The identity a vessel broadcast at a time."""
    current = voyager.identities[0][1]
    for start, identity in voyager.identities:
        if start <= t:
            current = identity
    return current


def _insert_identity(voyager: Voyager, t: float, identity: Identity) -> None:
    voyager.identities.append((t, identity))
    voyager.identities.sort(key=lambda item: item[0])


def _in_any(t: float, intervals: list[tuple[float, float]]) -> bool:
    return any(a <= t < b for a, b in intervals)


def _last_time(voyager: Voyager) -> float:
    return voyager.legs[-1].end_s if voyager.legs else voyager.t


__all__ = ["Fleet", "VesselRecord", "World", "sea_route"]
