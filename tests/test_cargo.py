"""Cargo from draught, checked against the reference's worked example and the seed case."""

from __future__ import annotations

import pytest

from shadowfleet.trade.cargo import (
    block_coefficient,
    cargo_from_draught,
    displacement_t,
    tpc_t_per_cm,
    value_usd,
)

# The reference's handy coaster (reference/sanctions-indicators.md §5.2).
L, B, T_MAX, CB = 98.0, 16.5, 6.5, 0.78


def test_worked_example_displacements_and_tpc() -> None:
    assert displacement_t(L, B, T_MAX, T_MAX, CB) == pytest.approx(8_403, abs=2)
    assert displacement_t(L, B, 3.5, T_MAX, CB) == pytest.approx(4_837, abs=2)
    assert displacement_t(L, B, 4.5, T_MAX, CB) == pytest.approx(6_040, abs=2)
    assert displacement_t(L, B, 5.5, T_MAX, CB) == pytest.approx(7_227, abs=2)
    assert tpc_t_per_cm(L, B, CB) == pytest.approx(14.1, abs=0.1)
    # From 3.5 m to 6.3 m: about 3,330 t, well below constant TPC × 280 cm (3,960 t).
    moved = displacement_t(L, B, 6.3, T_MAX, CB) - displacement_t(L, B, 3.5, T_MAX, CB)
    assert moved == pytest.approx(3_330, abs=10)
    assert tpc_t_per_cm(L, B, CB) * 280 == pytest.approx(3_960, abs=10)


def test_cargo_band_holds_the_central_estimate_and_signs() -> None:
    load = cargo_from_draught(L, B, 3.5, 6.3, ship_type=70, max_draught_m=T_MAX)
    assert load.low < load.mid < load.high
    assert 2_900 < load.mid < 3_500
    discharge = cargo_from_draught(L, B, 6.3, 3.5, ship_type=70, max_draught_m=T_MAX)
    assert discharge.mid == pytest.approx(-load.mid)
    none = cargo_from_draught(L, B, 5.0, 5.0, ship_type=70)
    assert none.low < 0 < none.high and none.mid == pytest.approx(0.0)  # the resolution alone


def test_block_coefficients_by_type() -> None:
    assert block_coefficient(70)[1] == 0.78 and block_coefficient(84)[1] == 0.82
    low, mid, high = block_coefficient(None)
    assert low < mid < high


def test_the_seed_case_arithmetic() -> None:
    # 4.1 Mt of coal at US$80-100 a tonne: US$328-410 M (the seed case's figure).
    low, high = value_usd(4.1e6, 4.1e6, 80.0, 100.0)
    assert (low, high) == (pytest.approx(328e6), pytest.approx(410e6))
