"""ABC by value, XYZ by forecast error, lifecycle, the seasonal flag and the segment rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netdesign.schema import SegmentationSettings
from netdesign.segmentation import (
    abc_classes,
    lifecycle,
    seasonal_strength,
    segment_products,
    segment_rule,
    xyz_classes,
)

SETTINGS = SegmentationSettings()


def test_abc_by_cumulative_value_share():
    # shares 50, 25, 12, 8, 5 %: before each 0, 50, 75, 87, 95 % → A A A B C at cuts 0.8 / 0.95
    value = pd.Series({"p1": 50.0, "p2": 25.0, "p3": 12.0, "p4": 8.0, "p5": 5.0})
    assert abc_classes(value, (0.8, 0.95)).to_dict() == {
        "p1": "A", "p2": "A", "p3": "A", "p4": "B", "p5": "C"}


def test_xyz_by_forecast_error_cv():
    cv = pd.Series({"x": 0.05, "y": 0.2, "z": 0.6, "none": np.inf})
    assert xyz_classes(cv, (0.1, 0.25)).to_list() == ["X", "Y", "Z", "Z"]


def test_lifecycle_new_growing_mature_declining():
    assert lifecycle(np.ones(9), SETTINGS)[0] == "new"
    flat = np.full(36, 100.0)
    assert lifecycle(flat, SETTINGS) == ("mature", pytest.approx(0.0))
    growing = np.concatenate([np.full(24, 100.0), np.full(12, 120.0)])
    assert lifecycle(growing, SETTINGS) == ("growing", pytest.approx(0.2))
    declining = np.concatenate([np.full(24, 100.0), np.full(12, 70.0)])
    assert lifecycle(declining, SETTINGS) == ("declining", pytest.approx(-0.3))


def test_seasonal_strength_separates_a_season_from_noise():
    rng = np.random.default_rng(3)
    months = np.arange(36)
    season = 100 + 50 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 3, 36)
    noise = 100 + rng.normal(0, 10, 36)
    assert seasonal_strength(season) > 0.95
    # with three seasons STL finds "seasons" in noise too (0.5 typical, 0.8 at worst in 20
    # seeded draws), hence the default threshold 0.9
    assert 0.3 < seasonal_strength(noise) < SETTINGS.seasonal_strength
    assert seasonal_strength(season[:20]) == 0.0  # fewer than two seasons


def test_segment_rule():
    assert segment_rule("C", "Z", "mature", True) == "seasonal"
    assert segment_rule("A", "X", "mature", False) == "fast"
    assert segment_rule("B", "X", "growing", False) == "fast"
    assert segment_rule("A", "Y", "mature", False) == "slow"
    assert segment_rule("C", "X", "mature", False) == "slow"
    assert segment_rule("A", "X", "new", False) == "slow"
    assert segment_rule("A", "X", "declining", False) == "slow"


def test_a_given_segment_overrides_the_derived_one():
    ds = pd.date_range("2023-01-01", periods=36, freq="MS")
    flat = 3.0 * ds.days_in_month.to_numpy()  # 3 units every day
    history = pd.concat([pd.DataFrame({"product": p, "ds": ds, "y": flat}) for p in "AB"])
    products = pd.DataFrame({"product": ["A", "B"], "unit_value": [10.0, 10.0],
                             "segment": [None, "slow"]})
    table = segment_products(history, pd.Series({"A": 0.05, "B": 0.05}), products, SETTINGS)
    rows = table.set_index("product")
    assert rows.loc["A", "derived_segment"] == "fast" and rows.loc["A", "segment"] == "fast"
    assert rows.loc["B", "derived_segment"] == "fast" and rows.loc["B", "segment"] == "slow"
