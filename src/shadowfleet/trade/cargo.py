"""Cargo from draught: displacement physics, with the uncertainty carried through.

The formulas are those of ``reference/sanctions-indicators.md`` §5.1:

* displacement at the maximum draught ``Δ_max = ρ · L · B · T_max · C_b`` (sea water,
  ρ = 1.025 t/m³);
* displacement at another draught by the Riddlesworth / MAN correction used in the
  US-EPA marine-emissions tools: ``C_bw = 1 − (1 − C_b)(T_max / T)^(1/3)`` (capped at
  0.99), ``Δ(T) = (C_b / C_bw) · (T / T_max) · Δ_max`` — TPC falls at light draughts, so
  a constant design TPC overestimates a load from ballast;
* cargo loaded (or discharged) = ``Δ(T_after) − Δ(T_before)``: the two-draught method,
  a lower bound when the ship also pumps out ballast while loading (stated with every
  estimate);
* tonnes per centimetre ``TPC = ρ · C_wp · L · B / 100`` with ``C_wp ≈ (1 + 2 C_b) / 3``.

The block coefficient comes from the AIS ship type (rules of thumb, stated as ranges in
:data:`BLOCK_COEFFICIENT`), ``T_max`` from the deepest draught the vessel ever declared
(or the later draught if deeper). Low and high come from interval arithmetic over the
corners of the inputs' ranges: each declared draught ± half its 0.1 m resolution, the
block coefficient over its range — every corner is evaluated and the extremes kept.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

SEA_WATER_T_PER_M3: Final = 1.025
DRAUGHT_RESOLUTION_M: Final = 0.1
"""AIS carries draught in decimetres: each reading is known to ± half of this."""

BLOCK_COEFFICIENT: Final[dict[int, tuple[float, float, float]]] = {
    7: (0.70, 0.78, 0.85),  # cargo: general cargo and container ships to bulk carriers
    8: (0.78, 0.82, 0.87),  # tankers
    6: (0.55, 0.62, 0.70),  # passenger ships
    3: (0.50, 0.60, 0.70),  # fishing, towing, special craft
}
"""(low, mid, high) block coefficient by the tens digit of the AIS ship type; naval-
architecture rules of thumb (the reference's worked example uses 0.78 for a coaster)."""
DEFAULT_BLOCK_COEFFICIENT: Final = (0.60, 0.75, 0.85)


def block_coefficient(ship_type: int | None) -> tuple[float, float, float]:
    """(low, mid, high) block coefficient of an AIS ship type (unknown: a wide range)."""
    if ship_type is None:
        return DEFAULT_BLOCK_COEFFICIENT
    return BLOCK_COEFFICIENT.get(ship_type // 10, DEFAULT_BLOCK_COEFFICIENT)


def tpc_t_per_cm(length_m: float, beam_m: float, block: float) -> float:
    """Tonnes per centimetre immersion in sea water, t/cm."""
    waterplane = (1.0 + 2.0 * block) / 3.0
    return SEA_WATER_T_PER_M3 * waterplane * length_m * beam_m / 100.0


def displacement_t(length_m: float, beam_m: float, draught_m: float, max_draught_m: float, block: float) -> float:
    """Displacement at a draught by the Riddlesworth / MAN correction, tonnes."""
    if draught_m <= 0:
        return 0.0
    full = SEA_WATER_T_PER_M3 * length_m * beam_m * max_draught_m * block
    at_draught = 1.0 - (1.0 - block) * float((max_draught_m / draught_m) ** (1.0 / 3.0))
    at_draught = min(at_draught, 0.99)
    if at_draught <= 0:
        return 0.0
    return (block / at_draught) * (draught_m / max_draught_m) * full


@dataclass(frozen=True)
class CargoEstimate:
    """Tonnes moved by one load or discharge (positive: loaded).

    Attributes:
        low: Lower bound, tonnes.
        mid: Central estimate, tonnes.
        high: Upper bound, tonnes.
        method: ``draught`` (two-draught displacement difference).
    """

    low: float
    mid: float
    high: float
    method: str = "draught"


def cargo_from_draught(
    length_m: float,
    beam_m: float,
    draught_before_m: float,
    draught_after_m: float,
    ship_type: int | None,
    max_draught_m: float | None = None,
) -> CargoEstimate:
    """Cargo loaded (positive) or discharged (negative) between two declared draughts.

    Args:
        length_m: Length overall, metres.
        beam_m: Beam, metres.
        draught_before_m: Declared draught before, metres.
        draught_after_m: Declared draught after, metres.
        ship_type: AIS ship type (for the block coefficient).
        max_draught_m: Deepest draught the vessel declared (its summer draught stands
            in for the design draught); at least the deeper of the two, metres.

    Returns:
        Low, mid and high tonnes (see the module notes).
    """
    deepest = max(max_draught_m or 0.0, draught_before_m, draught_after_m) + DRAUGHT_RESOLUTION_M / 2
    half = DRAUGHT_RESOLUTION_M / 2
    blocks = block_coefficient(ship_type)

    def moved(before: float, after: float, block: float) -> float:
        return displacement_t(length_m, beam_m, after, deepest, block) - displacement_t(
            length_m, beam_m, before, deepest, block
        )

    mid = moved(draught_before_m, draught_after_m, blocks[1])
    corners = [
        moved(draught_before_m + d_before, draught_after_m + d_after, block)
        for d_before, d_after, block in itertools.product((-half, half), (-half, half), (blocks[0], blocks[2]))
    ]
    return CargoEstimate(low=min([*corners, mid]), mid=mid, high=max([*corners, mid]))


def value_usd(tonnes_low: float, tonnes_high: float, price_low: float, price_high: float) -> tuple[float, float]:
    """Value band of a tonnage band at a price band (US$ per tonne): (low, high)."""
    return tonnes_low * price_low, tonnes_high * price_high
