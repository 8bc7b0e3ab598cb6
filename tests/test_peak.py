"""The seasonal peak: monthly throughput rows from a demand profile, and peak utilisation."""

from __future__ import annotations

import numpy as np
import pytest

from modelkit import Kit
from netdesign.optimization.peak import MONTH_DAYS, binding_months

# H sells half its year in January, F half in July; the rest evenly over the other months
H = [0.5 if m == 1 else 0.5 / 11 for m in range(1, 13)]
F = [0.5 if m == 7 else 0.5 / 11 for m in range(1, 13)]


def two_dc_kit(profile: bool) -> Kit:
    """A (cheap) can carry the year's 2,400 units but not a January or July peak; B costs more."""
    kit = Kit("peak")
    kit.product("H", unit_value=1.0).product("F", unit_value=1.0)
    kit.dc("A", fixed_cost=100.0, throughput_capacity=2400).dc("B", fixed_cost=500.0)
    kit.customer("C").demand("C", "H", 1200).demand("C", "F", 1200)
    kit.lanes({("A", "C"): 1.0, ("B", "C"): 2.0})
    if profile:
        for product, shares in (("H", H), ("F", F)):
            for month, share in enumerate(shares, start=1):
                kit.add("demand_profile", product=product, month=month, share=share)
    return kit


def test_without_a_profile_the_annual_capacity_is_enough(tmp_path):
    results = two_dc_kit(profile=False).solve(tmp_path)
    fac = results.facilities.set_index("facility")
    assert results.open_facilities == ["A"]
    assert fac.loc["A", "utilisation"] == pytest.approx(1.0)
    assert fac.loc["A", "peak_utilisation"] == pytest.approx(1.0)  # flat: every month at pace


def test_the_peak_months_bind_and_are_reported(tmp_path):
    results = two_dc_kit(profile=True).solve(tmp_path)
    fac = results.facilities.set_index("facility")
    assert sorted(results.open_facilities) == ["A", "B"]
    # A's January: 0.5·t_H + (0.5/11)·t_F ≤ 2400·31/365 and July alike; at the optimum A takes
    # as much as both months allow, B the rest
    cap_jan, cap_jul = 2400 * MONTH_DAYS[0], 2400 * MONTH_DAYS[6]
    a = np.linalg.solve([[0.5, 0.5 / 11], [0.5 / 11, 0.5]], [cap_jan, cap_jul])
    inv = results.inventory.set_index(["product", "facility"])["throughput"]
    assert inv[("H", "A")] == pytest.approx(a[0], rel=1e-6)
    assert inv[("F", "A")] == pytest.approx(a[1], rel=1e-6)
    assert fac.loc["A", "peak_utilisation"] == pytest.approx(1.0, abs=1e-6)
    assert fac.loc["A", "peak_month"] in (1, 7)
    assert fac.loc["B", "peak_utilisation"] != fac.loc["B", "peak_utilisation"]  # unlimited: NaN


def test_a_higher_peak_capacity_factor_relaxes_the_rows(tmp_path):
    kit = two_dc_kit(profile=True).set("peak.capacity_factor", 6.0)
    assert kit.solve(tmp_path).open_facilities == ["A"]


def test_binding_months_keep_only_rows_no_other_row_implies():
    flat = np.tile(MONTH_DAYS, (3, 1))
    assert binding_months(flat, 1.0) == []
    shares = np.array([H, F])
    assert binding_months(shares, 1.0) == [0, 6]
    # a third product peaking mildly in January too: January still dominates February
    mild = np.array([H, F, MONTH_DAYS * 1.0])
    assert binding_months(mild, 1.0) == [0, 6]
    assert binding_months(shares, 10.0) == []
