"""Cargo from draught, checked against the reference's worked example (corrected) and the seed case."""

from __future__ import annotations

import numpy as np
import pytest

from shadowfleet.trade.cargo import (
    block_coefficient,
    block_from_tpc,
    cargo_from_draught,
    displacement_t,
    laden_cargo_high,
    load_factor_cargo,
    tpc_t_per_cm,
    value_usd,
)

# The reference's handy coaster (reference/sanctions-indicators.md §5.2).
L, B, T_MAX, CB = 98.0, 16.5, 6.5, 0.78


def test_worked_example_displacements_and_tpc() -> None:
    assert displacement_t(L, B, T_MAX, T_MAX, CB) == pytest.approx(8_403, abs=2)
    assert tpc_t_per_cm(L, B, CB) == pytest.approx(14.1, abs=0.1)
    # Displacement at lighter draughts: rho*L*B*T*C_bw(T) (the reference's table gives
    # 4,837 / 6,040 / 7,227 t with the inverted C_b/C_bw factor; see the module notes).
    assert displacement_t(L, B, 3.5, T_MAX, CB) == pytest.approx(4_232, abs=2)
    assert displacement_t(L, B, 4.5, T_MAX, CB) == pytest.approx(5_604, abs=2)
    assert displacement_t(L, B, 5.5, T_MAX, CB) == pytest.approx(6_996, abs=2)
    # From 3.5 m to 6.3 m: 3,888 t, a little under constant design TPC x 280 cm (3,960 t).
    moved = displacement_t(L, B, 6.3, T_MAX, CB) - displacement_t(L, B, 3.5, T_MAX, CB)
    assert moved == pytest.approx(3_888, abs=5)
    assert tpc_t_per_cm(L, B, CB) * 280 == pytest.approx(3_960, abs=10)


def test_the_displacement_curve_agrees_with_the_waterplane_rule() -> None:
    # Slope at the design draught = the TPC of C_wp = (1 + 2 C_b)/3; lighter, a little less.
    step = 0.001
    for block in (0.6, 0.78, 0.85):
        slope = (displacement_t(L, B, T_MAX, T_MAX, block) - displacement_t(L, B, T_MAX - step, T_MAX, block)) / step
        assert slope / 100 == pytest.approx(tpc_t_per_cm(L, B, block), rel=1e-3)
        half = (displacement_t(L, B, 3.25 + step, T_MAX, block) - displacement_t(L, B, 3.25, T_MAX, block)) / step
        assert 0.9 < half / slope < 1.0  # TPC grows with draught, by a few per cent


def test_cargo_band_holds_the_central_estimate_and_signs() -> None:
    load = cargo_from_draught(L, B, 3.5, 6.3, ship_type=70, max_draught_m=T_MAX)
    assert load.low < load.mid < load.high
    assert load.mid == pytest.approx(3_888, abs=5)
    discharge = cargo_from_draught(L, B, 6.3, 3.5, ship_type=70, max_draught_m=T_MAX)
    assert discharge.mid == pytest.approx(-load.mid)
    assert discharge.low == pytest.approx(-load.high) and discharge.high == pytest.approx(-load.low)
    none = cargo_from_draught(L, B, 5.0, 5.0, ship_type=70)
    assert none.low < 0 < none.high and none.mid == pytest.approx(0.0)  # the resolution alone


def test_laden_condition_and_load_factor_bounds() -> None:
    one = np.ones(1)
    blocks = (one * 0.70, one * 0.78, one * 0.85)
    # Laden at the marks, lightship 15 % of the full displacement, constants 3 % of dwt.
    high = laden_cargo_high(one * L, one * B, one * T_MAX, one * T_MAX, blocks[2], one * 0.15, 0.03)[0]
    full = displacement_t(L, B, T_MAX + 0.05, T_MAX + 0.05, 0.85)
    assert high == pytest.approx(full * 0.85 * 0.97, rel=1e-6)
    low, mid, top = load_factor_cargo(
        one * L,
        one * B,
        (one * 6.0, one * 6.5, one * 7.0),
        blocks,
        (one * 0.15, one * 0.22, one * 0.30),
        (0.7, 0.9, 1.0),
    )
    assert low[0] < mid[0] < top[0]
    assert mid[0] == pytest.approx(displacement_t(L, B, 6.5, 6.5, 0.78) * 0.78 * 0.9)
    # A registry deadweight replaces the estimate.
    low, mid, top = load_factor_cargo(
        one * L, one * B, (one, one, one), blocks, (one * 0.2, one * 0.2, one * 0.2), (0.7, 0.9, 1.0), one * 5_000
    )
    assert (low[0], mid[0], top[0]) == pytest.approx((3_500, 4_500, 5_000))


def test_registry_tpc_gives_its_block_coefficient_back() -> None:
    tpc = tpc_t_per_cm(L, B, 0.78)
    assert block_from_tpc(np.array([L]), np.array([B]), np.array([tpc]))[0] == pytest.approx(0.78)


def test_block_coefficients_by_type() -> None:
    assert block_coefficient(70)[1] == 0.78 and block_coefficient(84)[1] == 0.82
    low, mid, high = block_coefficient(None)
    assert low < mid < high


def test_the_seed_case_arithmetic() -> None:
    # 4.1 Mt of coal at US$80-100 a tonne: US$328-410 M (the seed case's figure).
    low, high = value_usd(4.1e6, 4.1e6, 80.0, 100.0)
    assert (low, high) == (pytest.approx(328e6), pytest.approx(410e6))
