"""Cargo from draught: displacement physics, with the uncertainty carried through.

The formulas follow ``reference/sanctions-indicators.md`` §5.1, with one correction:

* displacement at the maximum draught ``Δ_max = ρ · L · B · T_max · C_b`` (sea water,
  ρ = 1.025 t/m³);
* the block coefficient at a lighter draught by the Riddlesworth / MAN correction
  ``C_bw(T) = 1 − (1 − C_b)(T_max / T)^(1/3)`` (a hull is fuller near its load line
  than near its keel), and the displacement at that draught ``Δ(T) = ρ · L · B · T ·
  C_bw(T) = (C_bw / C_b) · (T / T_max) · Δ_max``. The reference (and the US-EPA
  marine-emissions tool it cites) multiplies by ``C_b / C_bw`` instead; that form
  contradicts the reference's own waterplane rule — its slope at ``T_max`` is
  ``ρ·L·B·(1 − (1 − C_b)/(3 C_b))·C_b`` (TPC 0.71 ρLB/100 at C_b 0.78) where the rule
  gives ``TPC = ρ·C_wp·L·B/100`` with ``C_wp ≈ (1 + 2 C_b)/3`` (0.85 ρLB/100), and it
  makes a ship lighter per centimetre near its marks than near its keel. The form used
  here has exactly the rule's slope at ``T_max`` and a TPC at half draught ≈ 96 % of
  the design TPC, as hydrostatic tables of cargo ships show. In the reference's
  worked example (3.5 → 6.3 m) it gives 3,888 t where the reference gives 3,330 t;
  constant design TPC gives 3,960 t;
* cargo loaded (or discharged) = ``Δ(T_after) − Δ(T_before)``: the two-draught method,
  a lower bound when the ship also pumps out ballast while loading;
* cargo aboard in the laden condition = ``Δ(T) − lightship − constants``
  (lightship a share of the full-load displacement, constants a share of deadweight):
  the reference's preferred method for exports, used here as the upper end of a
  loading made from ballast (the two-draught difference misses ballast pumped out);
* without a usable draught: a load factor × the deadweight estimated from the hull
  (the weaker estimate, flagged ``load_factor``).

The block coefficient comes from the AIS ship type (rules of thumb, stated as ranges in
:data:`BLOCK_COEFFICIENT`), or from a registry's TPC when one is given; ``T_max`` from
the deepest draught the vessel ever declared (or the registry's design draught). Low
and high come from interval arithmetic over the corners of the inputs' ranges: each
declared draught ± half its 0.1 m resolution, the block coefficient over its range —
every corner is evaluated and the extremes kept. Everything works on NumPy arrays (one
element per loading); the scalar helpers are for checks and tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

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


def block_coefficients(ship_type: npt.NDArray[np.float64]) -> tuple[Array, Array, Array]:
    """(low, mid, high) block coefficients of an array of AIS ship types (NaN: unknown)."""
    tens = np.where(np.isnan(ship_type), -1, np.floor_divide(np.nan_to_num(ship_type, nan=-10.0), 10))
    out = [np.full(tens.shape, DEFAULT_BLOCK_COEFFICIENT[i]) for i in range(3)]
    for digit, values in BLOCK_COEFFICIENT.items():
        hit = tens == digit
        for i in range(3):
            out[i][hit] = values[i]
    return out[0], out[1], out[2]


def block_from_tpc(length_m: Array, beam_m: Array, tpc: Array) -> Array:
    """Block coefficient implied by a TPC through ``C_wp ≈ (1 + 2 C_b)/3`` (clipped to 0.4-0.95)."""
    waterplane = 100.0 * tpc / (SEA_WATER_T_PER_M3 * length_m * beam_m)
    return np.clip((3.0 * waterplane - 1.0) / 2.0, 0.4, 0.95)


def tpc_t_per_cm(length_m: float, beam_m: float, block: float) -> float:
    """Tonnes per centimetre immersion in sea water at the design draught, t/cm."""
    waterplane = (1.0 + 2.0 * block) / 3.0
    return SEA_WATER_T_PER_M3 * waterplane * length_m * beam_m / 100.0


def displacement(length_m: Array, beam_m: Array, draught_m: Array, max_draught_m: Array, block: Array) -> Array:
    """Displacement at a draught (Riddlesworth / MAN block coefficient), tonnes; arrays."""
    with np.errstate(divide="ignore", invalid="ignore"):
        at_draught = 1.0 - (1.0 - block) * np.cbrt(max_draught_m / draught_m)
    at_draught = np.clip(np.nan_to_num(at_draught, nan=0.0, neginf=0.0), 0.0, 0.99)
    return np.where(draught_m > 0, SEA_WATER_T_PER_M3 * length_m * beam_m * draught_m * at_draught, 0.0)


def displacement_t(length_m: float, beam_m: float, draught_m: float, max_draught_m: float, block: float) -> float:
    """Displacement at a draught, tonnes (scalar form of :func:`displacement`)."""
    one = np.ones(1)
    return float(displacement(one * length_m, one * beam_m, one * draught_m, one * max_draught_m, one * block)[0])


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


def draught_difference(
    length_m: Array,
    beam_m: Array,
    before_m: Array,
    after_m: Array,
    max_draught_m: Array,
    blocks: tuple[Array, Array, Array],
) -> tuple[Array, Array, Array]:
    """Tonnes moved between two declared draughts (positive: loaded): low, mid, high.

    Args:
        length_m: Lengths, metres.
        beam_m: Beams, metres.
        before_m: Declared draughts before, metres.
        after_m: Declared draughts after, metres.
        max_draught_m: Design (or deepest declared) draughts, metres; raised to the
            deeper of the two plus half the resolution where needed.
        blocks: (low, mid, high) block coefficients.

    Returns:
        Interval arithmetic over each draught ± half its resolution and the block
        coefficient's range; the mid at the declared values and the mid coefficient.
    """
    half = DRAUGHT_RESOLUTION_M / 2
    deepest = np.maximum(max_draught_m, np.maximum(before_m, after_m) + half)

    def moved(before: Array, after: Array, block: Array) -> Array:
        return displacement(length_m, beam_m, after, deepest, block) - displacement(
            length_m, beam_m, before, deepest, block
        )

    mid = moved(before_m, after_m, blocks[1])
    corners = np.stack(
        [
            moved(before_m + d_before, after_m + d_after, block)
            for d_before, d_after, block in itertools.product((-half, half), (-half, half), (blocks[0], blocks[2]))
        ]
        + [mid]
    )
    return corners.min(axis=0), mid, corners.max(axis=0)


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
        Low, mid and high tonnes (see :func:`draught_difference`).
    """
    one = np.ones(1)
    blocks = block_coefficient(ship_type)
    low, mid, high = draught_difference(
        one * length_m,
        one * beam_m,
        one * draught_before_m,
        one * draught_after_m,
        one * (max_draught_m or 0.0),
        (one * blocks[0], one * blocks[1], one * blocks[2]),
    )
    return CargoEstimate(low=float(low[0]), mid=float(mid[0]), high=float(high[0]))


def laden_cargo_high(
    length_m: Array,
    beam_m: Array,
    draught_m: Array,
    max_draught_m: Array,
    block_high: Array,
    lightship_share_low: Array,
    constants_share_low: float,
) -> Array:
    """Upper end of the cargo aboard at a draught by the laden-condition method, tonnes.

    ``Δ(T) − lightship − constants`` with the fullest hull, the lightest lightship
    (a share of the full-load displacement) and the fewest constants (a share of
    deadweight), the draught half a resolution deeper than declared.
    """
    half = DRAUGHT_RESOLUTION_M / 2
    deepest = np.maximum(max_draught_m, draught_m) + half
    full = displacement(length_m, beam_m, deepest, deepest, block_high)
    deadweight = full * (1.0 - lightship_share_low)
    aboard = displacement(length_m, beam_m, draught_m + half, deepest, block_high) - full * lightship_share_low
    return np.maximum(aboard - constants_share_low * deadweight, 0.0)


def load_factor_cargo(
    length_m: Array,
    beam_m: Array,
    design_draught_m: tuple[Array, Array, Array],
    blocks: tuple[Array, Array, Array],
    lightship_share: tuple[Array, Array, Array],
    load_factor: tuple[float, float, float],
    deadweight_t: Array | None = None,
) -> tuple[Array, Array, Array]:
    """Cargo of a laden voyage with no usable draught: load factor × deadweight (weaker).

    Args:
        length_m: Lengths, metres.
        beam_m: Beams, metres.
        design_draught_m: (low, mid, high) design draughts, metres.
        blocks: (low, mid, high) block coefficients.
        lightship_share: (low, mid, high) lightship over full-load displacement.
        load_factor: (low, mid, high) cargo over deadweight.
        deadweight_t: A registry's deadweight where known (NaN elsewhere), tonnes.

    Returns:
        Low, mid, high tonnes.
    """
    estimated = [
        displacement(length_m, beam_m, design_draught_m[i], design_draught_m[i], blocks[i])
        * (1.0 - lightship_share[2 - i])
        for i in range(3)
    ]
    if deadweight_t is not None:
        known = ~np.isnan(deadweight_t)
        estimated = [np.where(known, deadweight_t, e) for e in estimated]
    return (estimated[0] * load_factor[0], estimated[1] * load_factor[1], estimated[2] * load_factor[2])


def value_usd(tonnes_low: float, tonnes_high: float, price_low: float, price_high: float) -> tuple[float, float]:
    """Value band of a tonnage band at a price band (US$ per tonne): (low, high)."""
    return tonnes_low * price_low, tonnes_high * price_high
