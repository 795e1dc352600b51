"""The scenarios the simulator knows: their region, ports, fleets and behaviours.

Port roles say which trade a port serves in a scenario. Coordinates come from the
packaged gazetteer by UN/LOCODE; the simulator moves each call to the nearest berth
point in open water (a Global Fishing Watch anchorage point when there is one).

Places used by the evading fleet follow the UN Panel of Experts on the DPRK (reports
S/2020/151, S/2020/840, S/2021/211): coal loaded at Nampo and other west-coast DPRK
ports; direct deliveries to the Ningbo-Zhoushan and Lianyungang anchorages; earlier
ship-to-ship transfers in the Gulf of Tonkin; AIS switched off in Korea Bay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from shadowfleet.errors import ConfigError
from shadowfleet.simulate.fleet import ShipClass


class Role(StrEnum):
    """What a port does in a scenario."""

    COAL_EXPORT = "coal_export"
    COAL_IMPORT = "coal_import"
    ORE_IMPORT = "ore_import"
    OIL = "oil"
    CONTAINER = "container"
    GENERAL = "general"
    BARGE = "barge"
    DPRK_COAL = "dprk_coal"
    DPRK_DISCHARGE = "dprk_discharge"
    STS_DISCHARGE = "sts_discharge"


@dataclass(frozen=True)
class PortEntry:
    """A port of a scenario.

    Attributes:
        locode: UN/LOCODE, looked up in the gazetteer.
        roles: The trades it serves.
        weight: Relative traffic (larger ports receive more calls).
        lat: Latitude overriding the gazetteer's, degrees (for ports it lacks).
        lon: Longitude overriding the gazetteer's, degrees.
        name: Name overriding the gazetteer's.
        country_iso2: Country overriding the gazetteer's.
    """

    locode: str
    roles: frozenset[Role]
    weight: float = 1.0
    lat: float | None = None
    lon: float | None = None
    name: str | None = None
    country_iso2: str | None = None


@dataclass(frozen=True)
class Box:
    """A latitude/longitude box, degrees."""

    south: float
    north: float
    west: float
    east: float


@dataclass(frozen=True)
class Scenario:
    """Everything that defines a scenario apart from the seed.

    Attributes:
        name: Scenario name on the command line.
        description: One line for the summary and ``truth.json``.
        start: First instant of the data, UTC.
        days: Days of data.
        vessels: Number of vessels, evaders included.
        region: Area whose traffic is simulated (and where receivers are placed).
        ports: Ports and their roles.
        gateways: Points on the region's edge where vessels enter from or leave for
            the rest of the world (name, lat, lon).
        receiver_countries: Share of candidate coastal sites with a receiver, by country.
        class_mix: Share of each ship class among ordinary vessels.
        evasion: Whether the DPRK coal fleet and its behaviours are injected.
        evader_fraction: Share of vessels that belong to the evading fleet.
        traffic_scale: Real vessels each simulated vessel stands for when reception
            is degraded by traffic density (the real region is busier than any
            simulation of it).
        sts_tonkin: Where Gulf of Tonkin transfers take place.
        sts_china: Where transfers off Chinese ports take place.
        switch_off: Where evaders heading for the DPRK switch their AIS off.
        loiter: Open-sea areas where evaders wait.
        circle_spoof_centres: Places where GNSS interference draws vessels' positions into
            circles (Shanghai's Huangpu river and the Yangtze estuary in 2019-2020).
    """

    name: str
    description: str
    start: datetime
    days: int
    vessels: int
    region: Box
    ports: tuple[PortEntry, ...]
    gateways: tuple[tuple[str, float, float], ...]
    receiver_countries: dict[str, float]
    class_mix: dict[ShipClass, float]
    evasion: bool
    evader_fraction: float = 0.15
    traffic_scale: float = 25.0
    sts_tonkin: tuple[Box, ...] = ()
    sts_china: tuple[Box, ...] = ()
    switch_off: tuple[Box, ...] = ()
    loiter: tuple[Box, ...] = ()
    circle_spoof_centres: tuple[tuple[float, float], ...] = field(default=())

    def ports_with(self, role: Role) -> tuple[PortEntry, ...]:
        """The ports serving a role."""
        return tuple(p for p in self.ports if role in p.roles)


def _p(locode: str, *roles: Role, weight: float = 1.0, **override: object) -> PortEntry:
    return PortEntry(locode, frozenset(roles), weight, **override)  # type: ignore[arg-type]


R = Role
_YELLOW_AND_EAST_CHINA_SEA_PORTS: Final = (
    # China, north: coal export ports of the domestic coastal trade, ore and oil terminals.
    _p("CNSHP", R.COAL_EXPORT, R.GENERAL, weight=2.0),  # Qinhuangdao
    _p("CNCFD", R.COAL_EXPORT, R.ORE_IMPORT, weight=2.0),  # Caofeidian
    _p("CNHHA", R.COAL_EXPORT, weight=1.5),  # Huanghua
    _p("CNTSN", R.CONTAINER, R.OIL, R.GENERAL, R.ORE_IMPORT, weight=2.5),  # Tianjin
    _p("CNDLC", R.CONTAINER, R.OIL, R.GENERAL, R.BARGE, R.DPRK_DISCHARGE, weight=2.0),  # Dalian
    _p("CNYIK", R.GENERAL, R.BARGE, R.COAL_IMPORT, weight=1.0),  # Yingkou
    _p("CNDDG", R.BARGE, R.GENERAL, R.DPRK_DISCHARGE, weight=0.7),  # Dandong
    _p("CNLKU", R.BARGE, R.COAL_IMPORT, R.DPRK_DISCHARGE, weight=1.0),  # Longkou
    _p("CNYNT", R.GENERAL, R.BARGE, R.CONTAINER, R.DPRK_DISCHARGE, weight=1.0),  # Yantai
    _p("CNTAO", R.CONTAINER, R.ORE_IMPORT, R.OIL, R.GENERAL, weight=2.5),  # Qingdao
    _p("CNRZH", R.ORE_IMPORT, R.COAL_IMPORT, R.BARGE, R.DPRK_DISCHARGE, weight=1.5),  # Rizhao
    _p("CNLYG", R.COAL_IMPORT, R.GENERAL, R.BARGE, R.CONTAINER, R.DPRK_DISCHARGE, weight=1.5),  # Lianyungang
    _p("CNSHA", R.CONTAINER, R.COAL_IMPORT, R.GENERAL, weight=3.0),  # Shanghai
    _p("CNZOS", R.COAL_IMPORT, R.ORE_IMPORT, R.OIL, R.DPRK_DISCHARGE, weight=2.0),  # Zhoushan
    _p("CNNGB", R.CONTAINER, R.COAL_IMPORT, R.OIL, R.DPRK_DISCHARGE, weight=3.0),  # Ningbo
    _p("CNXMN", R.CONTAINER, R.GENERAL, weight=1.5),  # Xiamen
    _p("CNFAN", R.COAL_IMPORT, R.GENERAL, R.STS_DISCHARGE, weight=1.0),  # Fangcheng
    _p("CNBHY", R.GENERAL, R.STS_DISCHARGE, weight=0.7, lat=21.4833, lon=109.0667, name="Beihai", country_iso2="CN"),
    # Korea, Japan, Taiwan.
    _p("KRPUS", R.CONTAINER, R.GENERAL, weight=3.0),  # Busan
    _p("KRINC", R.CONTAINER, R.GENERAL, R.COAL_IMPORT, weight=1.5),  # Incheon
    _p("KRKAN", R.ORE_IMPORT, R.COAL_IMPORT, R.CONTAINER, weight=1.5),  # Gwangyang
    _p("KRUSN", R.OIL, R.GENERAL, weight=1.5),  # Ulsan
    _p("KRPTK", R.COAL_IMPORT, R.GENERAL, weight=1.0),  # Pyeongtaek
    _p("JPMOJ", R.CONTAINER, R.GENERAL, R.COAL_IMPORT, weight=1.0),  # Moji (Kitakyushu)
    _p("JPHKT", R.CONTAINER, R.GENERAL, weight=1.0),  # Hakata
    _p("TWKHH", R.CONTAINER, R.OIL, R.COAL_IMPORT, weight=2.0),  # Kaohsiung
    _p("TWTXG", R.COAL_IMPORT, R.GENERAL, weight=1.0),  # Taichung
    # Viet Nam: Cam Pha and Hon Gai export coal; Haiphong.
    _p("VNCPH", R.COAL_EXPORT, R.STS_DISCHARGE, weight=1.0),  # Cam Pha
    _p("VNHON", R.COAL_EXPORT, R.GENERAL, weight=0.7),  # Hon Gai
    _p("VNHPH", R.CONTAINER, R.GENERAL, R.STS_DISCHARGE, weight=1.5),  # Haiphong
    # The DPRK: coal export ports (none has a receiver or any gazetteer anchorage).
    _p("KPNAM", R.DPRK_COAL, weight=4.0),  # Nampo
    _p("KPHAE", R.DPRK_COAL, weight=1.0),  # Haeju
)

_REGION_DPRK: Final = Box(17.0, 42.5, 105.0, 132.0)
_GATEWAYS_DPRK: Final = (("South China Sea", 18.5, 114.5), ("Pacific", 29.3, 129.3))
_RECEIVERS_DPRK: Final = {"CN": 0.6, "KR": 1.0, "JP": 1.0, "TW": 1.0, "VN": 0.6, "RU": 1.0, "HK": 1.0}
_MIX: Final = {
    ShipClass.BULK: 0.35,
    ShipClass.GENERAL: 0.20,
    ShipClass.CONTAINER: 0.20,
    ShipClass.TANKER: 0.15,
    ShipClass.BARGE: 0.10,
}

DPRK_COAL: Final = Scenario(
    name="dprk-coal",
    description=(
        "Yellow Sea, Korea Bay, East China Sea and Gulf of Tonkin, spring 2020: ordinary traffic plus a "
        "fleet running DPRK coal to China with AIS off, transfers at sea and false identities"
    ),
    start=datetime(2020, 3, 1, tzinfo=UTC),
    days=30,
    vessels=150,
    region=_REGION_DPRK,
    ports=_YELLOW_AND_EAST_CHINA_SEA_PORTS,
    gateways=_GATEWAYS_DPRK,
    receiver_countries=_RECEIVERS_DPRK,
    class_mix=_MIX,
    evasion=True,
    sts_tonkin=(Box(19.4, 20.4, 107.2, 108.0),),
    sts_china=(Box(29.8, 30.6, 122.9, 123.5), Box(34.6, 35.2, 120.2, 120.8), Box(31.0, 31.6, 122.6, 123.2)),
    switch_off=(Box(38.0, 39.0, 123.2, 124.2),),
    loiter=(Box(37.2, 38.0, 122.8, 123.8), Box(35.5, 36.5, 122.5, 123.5)),
    circle_spoof_centres=((31.235, 121.495), (31.38, 121.62)),
)

BASELINE: Final = Scenario(
    name="baseline",
    description="The dprk-coal region and traffic without any evasion: the false-positive check",
    start=DPRK_COAL.start,
    days=DPRK_COAL.days,
    vessels=DPRK_COAL.vessels,
    region=_REGION_DPRK,
    ports=tuple(p for p in _YELLOW_AND_EAST_CHINA_SEA_PORTS if Role.DPRK_COAL not in p.roles),
    gateways=_GATEWAYS_DPRK,
    receiver_countries=_RECEIVERS_DPRK,
    class_mix=_MIX,
    evasion=False,
    evader_fraction=0.0,
)

_SCALE_PORTS: Final = (
    *_YELLOW_AND_EAST_CHINA_SEA_PORTS,
    _p("SGSIN", R.CONTAINER, R.OIL, R.GENERAL, weight=4.0),
    _p("MYPKG", R.CONTAINER, R.GENERAL, weight=2.0),
    _p("MYTPP", R.CONTAINER, weight=2.0),
    _p("IDTPP", R.CONTAINER, R.GENERAL, R.COAL_IMPORT, weight=1.5),
    _p("IDSUB", R.GENERAL, R.COAL_EXPORT, weight=1.0),
    _p("IDBPN", R.COAL_EXPORT, R.OIL, weight=1.5),
    _p("PHMNL", R.CONTAINER, R.GENERAL, weight=1.5),
    _p("PHBTG", R.OIL, R.COAL_IMPORT, weight=1.0),
    _p("VNVUT", R.OIL, R.CONTAINER, weight=1.5),
    _p("THLCH", R.CONTAINER, R.GENERAL, weight=2.0),
    _p("CNYTN", R.CONTAINER, weight=3.0),
    _p("CNHKG", R.CONTAINER, R.GENERAL, weight=3.0),
    _p("CNNSA", R.CONTAINER, R.COAL_IMPORT, weight=2.0),
    _p("JPYOK", R.CONTAINER, R.GENERAL, weight=2.5),
    _p("JPNGO", R.CONTAINER, R.ORE_IMPORT, weight=2.0),
    _p("JPUKB", R.CONTAINER, R.GENERAL, weight=2.0),
    _p("JPCHB", R.OIL, R.COAL_IMPORT, R.ORE_IMPORT, weight=1.5),
    _p("BNMUA", R.OIL, R.GENERAL, weight=0.5),
    _p("RUVVO", R.COAL_EXPORT, R.GENERAL, weight=1.0),
)

SCALE: Final = Scenario(
    name="scale",
    description="East and South-East Asia over a week with thousands of vessels: the benchmark scenario",
    start=datetime(2020, 3, 1, tzinfo=UTC),
    days=7,
    vessels=3_600,
    region=Box(-9.0, 44.0, 99.0, 142.0),
    ports=_SCALE_PORTS,
    gateways=(("Indian Ocean", 5.8, 94.5), ("Pacific", 29.3, 129.3), ("Lombok", -9.0, 115.7)),
    receiver_countries={**_RECEIVERS_DPRK, "SG": 1.0, "MY": 1.0, "ID": 0.7, "PH": 0.7, "TH": 1.0, "BN": 1.0},
    class_mix=_MIX,
    evasion=True,
    evader_fraction=0.02,
    traffic_scale=5.0,
    sts_tonkin=DPRK_COAL.sts_tonkin,
    sts_china=DPRK_COAL.sts_china,
    switch_off=DPRK_COAL.switch_off,
    loiter=DPRK_COAL.loiter,
    circle_spoof_centres=DPRK_COAL.circle_spoof_centres,
)

SCENARIOS: Final[dict[str, Scenario]] = {s.name: s for s in (DPRK_COAL, BASELINE, SCALE)}


def scenario_named(name: str) -> Scenario:
    """The scenario of a name.

    Raises:
        ConfigError: When no scenario has that name.
    """
    try:
        return SCENARIOS[name]
    except KeyError:
        raise ConfigError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
