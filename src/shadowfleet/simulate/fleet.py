"""Vessels: hulls with consistent dimensions, and identities valid by the standards.

Hulls follow the naval architecture a cargo estimate relies on: displacement
ρ·L·B·T·Cb, deadweight = displacement − lightship, tonnes per centimetre immersion
TPC = ρ·Cw·L·B/100. The coefficients of each hull are drawn within the range of its
class, so an estimator using class averages meets the spread real hulls have.

Identities: MMSI = MID of the flag state × 10⁶ + six digits (ITU-R M.585), IMO
number with a valid check digit (IMO Res. A.1117(30)), call sign in the flag's ITU
series, name in the style of the flag's registry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

import numpy as np

from shadowfleet.geo.gazetteer import CALL_SIGN_PREFIXES, mids_of

SEAWATER_T_PER_M3: Final = 1.025


class ShipClass(StrEnum):
    """Classes of cargo vessel the simulator knows."""

    BULK = "bulk_carrier"
    TANKER = "tanker"
    CONTAINER = "container"
    GENERAL = "general_cargo"
    BARGE = "barge"


@dataclass(frozen=True)
class HullRange:
    """The range of hull parameters of a class (uniform draws).

    Attributes:
        ship_types: AIS ship-and-cargo type codes this class broadcasts (ITU-R M.1371 Table 53).
        length_m: Length overall, metres.
        length_to_beam: L/B ratio.
        length_to_draught: L/T ratio at the design (summer) draught.
        block_coefficient: Cb.
        waterplane_coefficient: Cw.
        lightship_fraction: Lightship weight over full-load displacement.
        speed_kn: Service speed, knots.
        ballast_draught_fraction: Draught in ballast over design draught.
        commodity: What the class carries.
        transponder_class: ``A`` or ``B``.
    """

    ship_types: tuple[int, ...]
    length_m: tuple[float, float]
    length_to_beam: tuple[float, float]
    length_to_draught: tuple[float, float]
    block_coefficient: tuple[float, float]
    waterplane_coefficient: tuple[float, float]
    lightship_fraction: tuple[float, float]
    speed_kn: tuple[float, float]
    ballast_draught_fraction: tuple[float, float]
    commodity: str
    transponder_class: str = "A"


HULLS: Final[dict[ShipClass, HullRange]] = {
    # Handysize to Supramax bulk carriers, the workhorses of the Asian coal trade.
    ShipClass.BULK: HullRange(
        (70,),
        (150.0, 200.0),
        (6.0, 6.6),
        (16.0, 18.0),
        (0.80, 0.86),
        (0.86, 0.91),
        (0.15, 0.19),
        (10.5, 13.0),
        (0.40, 0.55),
        "coal",
    ),
    ShipClass.TANKER: HullRange(
        (80, 81, 84),
        (120.0, 250.0),
        (5.6, 6.4),
        (16.0, 18.5),
        (0.78, 0.84),
        (0.86, 0.90),
        (0.14, 0.18),
        (11.5, 14.0),
        (0.45, 0.55),
        "oil",
    ),
    ShipClass.CONTAINER: HullRange(
        (70, 71),
        (170.0, 300.0),
        (6.3, 7.2),
        (20.0, 24.0),
        (0.62, 0.70),
        (0.74, 0.80),
        (0.25, 0.30),
        (15.0, 19.0),
        (0.60, 0.75),
        "containers",
    ),
    ShipClass.GENERAL: HullRange(
        (70, 79),
        (85.0, 140.0),
        (5.8, 6.6),
        (14.0, 17.0),
        (0.72, 0.80),
        (0.82, 0.88),
        (0.22, 0.30),
        (9.0, 12.0),
        (0.45, 0.60),
        "general",
    ),
    # Sea-going self-propelled barges of the Chinese coastal trade.
    ShipClass.BARGE: HullRange(
        (70, 79),
        (70.0, 110.0),
        (4.8, 5.6),
        (13.0, 16.0),
        (0.82, 0.88),
        (0.88, 0.93),
        (0.22, 0.28),
        (6.5, 9.0),
        (0.30, 0.45),
        "coal",
    ),
}

# The small, old hulls of the DPRK fleet that carried coal (UN Panel of Experts reports):
# general cargo ships of 2,000-10,000 t deadweight.
DPRK_GENERAL: Final = replace(HULLS[ShipClass.GENERAL], length_m=(80.0, 125.0), speed_kn=(8.0, 11.0), commodity="coal")


@dataclass(frozen=True)
class Hull:
    """One vessel's physical characteristics.

    Attributes:
        ship_class: The class.
        ship_type: AIS ship-and-cargo type code.
        length_m: Length overall, metres.
        beam_m: Beam, metres.
        design_draught_m: Summer load draught, metres.
        ballast_draught_m: Draught in ballast, metres.
        block_coefficient: Cb.
        waterplane_coefficient: Cw.
        deadweight_t: Deadweight at design draught, tonnes.
        tpc_t_per_cm: Tonnes per centimetre immersion.
        speed_kn: Service speed, knots.
        transponder_class: ``A`` or ``B``.
        commodity: What it usually carries.
    """

    ship_class: ShipClass
    ship_type: int
    length_m: float
    beam_m: float
    design_draught_m: float
    ballast_draught_m: float
    block_coefficient: float
    waterplane_coefficient: float
    deadweight_t: float
    tpc_t_per_cm: float
    speed_kn: float
    transponder_class: str
    commodity: str

    def draught_after(self, draught_m: float, tonnes: float) -> float:
        """Draught after loading (tonnes > 0) or discharging (tonnes < 0), metres.

        Uses the constant-TPC (wall-sided) approximation the estimators invert.
        """
        return draught_m + tonnes / (100.0 * self.tpc_t_per_cm)

    def cargo_capacity_t(self, from_draught_m: float) -> float:
        """Tonnes that bring the hull from ``from_draught_m`` to its design draught."""
        return max(0.0, (self.design_draught_m - from_draught_m) * 100.0 * self.tpc_t_per_cm)


def draw_hull(rng: np.random.Generator, ship_class: ShipClass, hull_range: HullRange | None = None) -> Hull:
    """Draw one hull of a class with internally consistent dimensions."""
    spec = hull_range or HULLS[ship_class]

    def uniform(bounds: tuple[float, float]) -> float:
        return float(rng.uniform(*bounds))

    length = round(uniform(spec.length_m))
    beam = round(length / uniform(spec.length_to_beam), 1)
    draught = round(length / uniform(spec.length_to_draught), 1)
    block = uniform(spec.block_coefficient)
    waterplane = uniform(spec.waterplane_coefficient)
    displacement = SEAWATER_T_PER_M3 * length * beam * draught * block
    deadweight = displacement * (1.0 - uniform(spec.lightship_fraction))
    tpc = SEAWATER_T_PER_M3 * waterplane * length * beam / 100.0
    return Hull(
        ship_class=ship_class,
        ship_type=int(rng.choice(spec.ship_types)),
        length_m=float(length),
        beam_m=beam,
        design_draught_m=draught,
        ballast_draught_m=round(draught * uniform(spec.ballast_draught_fraction), 1),
        block_coefficient=block,
        waterplane_coefficient=waterplane,
        deadweight_t=round(deadweight),
        tpc_t_per_cm=tpc,
        speed_kn=round(uniform(spec.speed_kn), 1),
        transponder_class=spec.transponder_class,
        commodity=spec.commodity,
    )


def imo_check_digit(first_six: int) -> int:
    """The IMO number's check digit: Σ digitᵢ × (7 − i) over the first six digits, mod 10."""
    digits = [int(d) for d in f"{first_six:06d}"]
    return sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10


def imo_is_valid(imo: int) -> bool:
    """Whether a seven-digit IMO number's check digit is right."""
    return 1_000_000 <= imo <= 9_999_999 and imo % 10 == imo_check_digit(imo // 10)


@dataclass(frozen=True)
class Identity:
    """What a vessel broadcasts about itself during one period.

    Attributes:
        mmsi: Maritime Mobile Service Identity.
        imo: IMO number as broadcast (0 when none is broadcast).
        name: Ship name.
        call_sign: Radio call sign.
        flag_iso2: The state the vessel claims (the MMSI's MID, unless it is false).
        registered_flag_iso2: The state the hull is really registered in.
    """

    mmsi: int
    imo: int
    name: str
    call_sign: str
    flag_iso2: str
    registered_flag_iso2: str


class IdentityFactory:
    """Draws unique MMSIs, IMO numbers, names and call signs."""

    _SYLLABLES: Final[dict[str, tuple[str, ...]]] = {
        "CN": ("HAI", "XIN", "HUA", "ZHONG", "YUAN", "FU", "JIN", "SHUN", "TAI", "AN", "HONG", "DA", "CHANG", "MING"),
        "HK": ("ORIENT", "PACIFIC", "GOLDEN", "OCEAN", "GRAND", "STAR", "GLORY", "WISDOM", "FORTUNE", "HARMONY"),
        "KR": ("HAN", "SEA", "PAN", "DONG", "HYUN", "SUNG", "KWANG", "YANG", "JIN", "BADA"),
        "JP": ("NIPPON", "SHIN", "KAI", "TOYO", "HOKU", "YAMA", "SAKURA", "KYO", "ASAHI", "FUJI"),
        "VN": ("VINH", "HAI", "PHU", "THANH", "AN", "BINH", "QUANG", "MINH", "DAI", "VIET"),
        "KP": ("KUM", "RYONG", "SONG", "PAEK", "MA", "SAN", "CHOL", "SU", "RAK", "WON", "UN", "PHA"),
        "PA": ("OCEAN", "GLOBAL", "LUCKY", "BRIGHT", "ROYAL", "NOBLE", "GRACE", "UNITY", "SILVER", "PEARL"),
        "TW": ("EVER", "WAN", "HAI", "YANG", "MING", "TAI", "SHIN", "LONG"),
    }
    _SUFFIX: Final[dict[str, str]] = {"JP": "MARU"}

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._mmsis: set[int] = set()
        self._imos: set[int] = set()
        self._names: set[str] = set()
        self._call_signs: set[str] = set()

    def reserve(self, mmsi: int = 0, imo: int = 0, name: str = "", call_sign: str = "") -> None:
        """Mark identifiers as taken (for example those of listed vessels)."""
        self._mmsis.add(mmsi)
        self._imos.add(imo)
        self._names.add(name)
        self._call_signs.add(call_sign)

    def mmsi(self, mid: int) -> int:
        """A new MMSI on a MID."""
        while True:
            candidate = mid * 1_000_000 + int(self._rng.integers(0, 1_000_000))
            if candidate % 1_000_000 >= 1000 and candidate not in self._mmsis:
                self._mmsis.add(candidate)
                return candidate

    def mmsi_of(self, flag_iso2: str) -> int:
        """A new MMSI on one of the flag's MIDs."""
        return self.mmsi(int(self._rng.choice(mids_of(flag_iso2))))

    def imo(self, oldest: int = 7_000_000, newest: int = 9_890_000, valid: bool = True) -> int:
        """A new IMO number in a range (older ships have lower numbers).

        ``valid=False`` gives one whose check digit is wrong.
        """
        while True:
            first_six = int(self._rng.integers(oldest // 10, newest // 10))
            check = imo_check_digit(first_six)
            if not valid:
                check = (check + int(self._rng.integers(1, 10))) % 10
            candidate = first_six * 10 + check
            if candidate not in self._imos:
                self._imos.add(candidate)
                return candidate

    def name(self, style: str) -> str:
        """A new ship name in the style of a registry.

        Two words of the registry's style, sometimes with a hull number (Japanese names
        end in MARU, and take a number, ``NO.7``, once the plain ones are used up).
        """
        syllables = self._SYLLABLES.get(style, self._SYLLABLES["PA"])
        for attempt in range(10_000):
            first, second = self._rng.choice(len(syllables), size=2, replace=False)
            words = [syllables[first], syllables[second]]
            numbered = attempt >= 20 or (style not in self._SUFFIX and self._rng.random() < 0.6)
            if style in self._SUFFIX:
                words.append(self._SUFFIX[style])
            if numbered:
                number = int(self._rng.integers(1, 99 if attempt < 200 else 9999))
                words.append(f"NO.{number}" if style in self._SUFFIX else str(number))
            candidate = " ".join(words)[:20]
            if candidate not in self._names:
                self._names.add(candidate)
                return candidate
        raise RuntimeError("ship names exhausted")  # pragma: no cover - 10,000 draws from ~10^5 names

    def call_sign(self, flag_iso2: str) -> str:
        """A new call sign in the flag's ITU series."""
        prefixes = CALL_SIGN_PREFIXES.get(flag_iso2, ("XX",))
        alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
        while True:
            prefix = str(self._rng.choice(prefixes))
            tail = "".join(self._rng.choice(alphabet, size=max(2, 5 - len(prefix))))
            candidate = prefix + tail
            if candidate not in self._call_signs:
                self._call_signs.add(candidate)
                return candidate
