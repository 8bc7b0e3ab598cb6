"""Forecasts from a demand history, checked against series of known structure.

Each model here is one DC, one lane per customer and a monthly (or weekly) history written in the
test; ``forecast_demand`` then runs on it exactly as ``netdesign forecast`` does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from modelkit import Kit
from netdesign.forecast import forecast_demand
from netdesign.forecast.accuracy import bias, mape, mase, mase_scale, wape
from netdesign.forecast.methods import models
from netdesign.forecast.plan import daily_sd
from netdesign.io import read_model
from netdesign.validate import load_model, validate

SEASON = np.array([0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 1.8, 1.6, 1.2, 0.9, 0.5, 0.4])


def history_kit(series: dict[tuple[str, str], list[float]], start: str = "2023-01",
                regions: dict[str, str] | None = None, **settings) -> Kit:
    """One DC, a lane to each customer, and a monthly history per (customer, product)."""
    kit = Kit("history", **settings)
    kit.dc("A")
    months = pd.period_range(start, periods=max(map(len, series.values())), freq="M")
    for customer in sorted({c for c, _ in series}):
        kit.customer(customer, region=(regions or {}).get(customer, "R"))
        kit.lane("A", customer, cost=1.0)
    for product in sorted({p for _, p in series}):
        kit.product(product, unit_value=10.0, unit_price=15.0)
    for (customer, product), values in series.items():
        for period, units in zip(months[-len(values):], values, strict=True):
            kit.add("demand_history", customer=customer, product=product,
                    period=period.strftime("%Y-%m"), units=round(float(units), 3))
    return kit


def forecast_of(kit: Kit, tmp_path):
    return forecast_demand(validate(read_model(kit.folder(tmp_path))))


def test_seasonal_series_recovers_its_season(tmp_path):
    rng = np.random.default_rng(1)
    y = np.tile(SEASON, 3) * 1000 + rng.normal(0, 10, 36)
    fc = forecast_of(history_kit({("C1", "P"): list(y)}), tmp_path)
    profile = fc.profile.set_index("month")["share"]
    assert np.allclose(profile.to_numpy(), SEASON / SEASON.sum(), atol=0.005)
    assert int(profile.idxmax()) == 7  # July, the peak of SEASON
    assert fc.series.loc[0, "choice"].split(":")[-1] in ("ets", "seasonal_naive")
    assert fc.demand.loc[0, "annual_units"] == pytest.approx(SEASON.sum() * 1000, rel=0.02)
    assert bool(fc.segments.loc[0, "seasonal"]) and fc.segments.loc[0, "segment"] == "seasonal"


def test_a_trend_is_followed(tmp_path):
    rng = np.random.default_rng(2)
    t = np.arange(36)
    fc = forecast_of(history_kit({("C1", "P"): list(200 + 10 * t + rng.normal(0, 3, 36))}),
                     tmp_path)
    truth = float(np.sum(200 + 10 * np.arange(36, 48)))
    assert fc.demand.loc[0, "annual_units"] == pytest.approx(truth, rel=0.03)
    monthly = fc.months.dropna(subset=["forecast"])["forecast"].to_numpy()[:12]
    assert np.all(np.diff(monthly) > 5)  # it keeps climbing, a level method would be flat
    assert fc.series.loc[0, "choice"].endswith("ets")
    assert fc.segments.loc[0, "lifecycle"] == "growing"


def test_croston_matches_the_textbook_example():
    """Croston (1972) on the lubricant series "productC" of Hyndman & Athanasopoulos,
    *Forecasting: Principles and Practice*, 2nd ed. (2018), §12.2 "Time series of counts": the
    non-zero demands q = 2, 1, 11, 2, 6, 3, 7, 3, 1, 1, 1 arrive after intervals
    a = 2, 2, 2, 5, 2, 1, 6, 8, 1, 3, 2; with α = 0.1 the forecast is q̂ / â, each the simple
    exponential smoothing (started at its first value) of its series."""
    product_c = [0, 2, 0, 1, 0, 11, 0, 0, 0, 0, 2, 0,
                 6, 3, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0,
                 0, 0, 0, 3, 1, 0, 0, 1, 0, 1, 0, 0]
    q = [2, 1, 11, 2, 6, 3, 7, 3, 1, 1, 1]
    a = [2, 2, 2, 5, 2, 1, 6, 8, 1, 3, 2]
    nonzero = np.flatnonzero(product_c)
    assert [product_c[i] for i in nonzero] == q
    assert list(np.diff(nonzero, prepend=-1)) == a

    def ses(values, alpha=0.1):
        level = values[0]
        for v in values[1:]:
            level = level + alpha * (v - level)
        return level

    textbook = ses(q) / ses(a)
    (croston,) = models(["croston"])
    ours = croston.forecast(y=np.array(product_c, dtype=float), h=3)["mean"]
    assert np.allclose(ours, textbook, rtol=1e-9)
    # q̂ = 2.7503, â = 2.7933 by the recurrences: 0.9846 units a month, every future month
    assert textbook == pytest.approx(0.98460, abs=1e-5)


def test_safety_stock_input_is_the_closed_form_of_the_forecast_error(tmp_path):
    """A level series of 100 a month whose last three months are 100 + (12, −6, 18): a 3-month
    moving average forecasts 100 from the one origin, so the errors are −12, 6, −18, the monthly
    RMSE is √((144 + 36 + 324) / 3) and demand_sd = RMSE / √(365 / 12) (× error_scale)."""
    y = [100.0] * 33 + [112.0, 94.0, 118.0]
    kit = history_kit({("C1", "P"): y},
                      forecast={"method": "moving_average", "backtest_origins": 1,
                                "backtest_months": 3, "error_scale": 1.3})
    folder = kit.folder(tmp_path)
    fc = forecast_demand(validate(read_model(folder)))
    rmse = math.sqrt((12**2 + 6**2 + 18**2) / 3)
    assert fc.series.loc[0, "rmse"] == pytest.approx(rmse)
    assert fc.demand.loc[0, "demand_sd"] == pytest.approx(rmse / math.sqrt(365 / 12), abs=1e-4)
    assert daily_sd(rmse, 365) == pytest.approx(rmse / math.sqrt(365 / 12))
    data = load_model(folder)  # what solve and study read: error_scale applied
    assert data.demand.loc[:, "demand_sd"].iloc[0] == pytest.approx(
        1.3 * rmse / math.sqrt(365 / 12), abs=1e-3)
    assert data.demand["forecast_method"].iloc[0] == "moving_average"
    assert data.demand["annual_units"].iloc[0] == pytest.approx(12 * (112 + 94 + 118) / 3)


def test_sparse_series_are_forecast_top_down_by_history_shares(tmp_path):
    """C2 sells in 4 of 36 months (below forecast.sparse_share 0.5): it gets its share of the
    last 12 months (20 of 1,220 units) of the product × region forecast (≈ 1,220 a year)."""
    dense = [100.0] * 36
    sparse = [0.0] * 36
    for month, units in ((5, 8.0), (17, 6.0), (29, 10.0), (33, 10.0)):
        sparse[month] = units
    fc = forecast_of(history_kit({("C1", "P"): dense, ("C2", "P"): sparse}), tmp_path)
    rows = fc.series.set_index("customer")
    assert rows.loc["C2", "level"] == "product×region"
    assert rows.loc["C2", "choice"].startswith("top_down:")
    assert rows.loc["C1", "level"] == "customer"
    assert rows.loc["C1", "annual_units"] == pytest.approx(1200.0, rel=1e-6)
    assert rows.loc["C2", "annual_units"] == pytest.approx(20.0, rel=0.1)
    assert fc.summary()["levels"] == {"customer": 1, "product×region": 1}


def test_weekly_history_is_spread_over_calendar_days(tmp_path):
    """7 units every ISO week is 1 unit a day: the months hold their days, the planning year 365
    (seasonal naive repeats 2025 month by month; December 2025, covered to the 28th, is scaled)."""
    kit = Kit("weekly", forecast={"method": "seasonal_naive"})
    kit.dc("A").customer("C1", region="R").lane("A", "C1", cost=1.0)
    kit.product("P", unit_value=1.0, unit_price=2.0)
    for week in pd.date_range("2023-01-02", periods=156, freq="W-MON"):
        iso = week.isocalendar()
        kit.add("demand_history", customer="C1", product="P",
                period=f"{iso.year}-W{iso.week:02d}", units=7, orders=1)
    fc = forecast_of(kit, tmp_path)
    assert fc.kind == "week"
    assert fc.demand.loc[0, "annual_units"] == pytest.approx(365.0, abs=0.2)
    assert fc.demand.loc[0, "orders_per_year"] == pytest.approx(365.0 / 7, rel=0.01)
    history = fc.months.dropna(subset=["actual"]).set_index("ds")["actual"]
    assert history[pd.Timestamp("2024-02-01")] == pytest.approx(29.0)  # leap February
    assert history[pd.Timestamp("2023-01-01")] == pytest.approx(31.0)  # 1 Jan is in 2022-W52


def test_accuracy_measures_by_hand():
    actual = pd.Series([10.0, 20.0, 30.0])
    error = pd.Series([1.0, -4.0, 3.0])  # forecast − actual
    assert wape(error, actual) == pytest.approx(8 / 60)
    assert bias(error, actual) == pytest.approx(0 / 60)
    assert mape(error, actual) == pytest.approx((0.1 + 0.2 + 0.1) / 3)
    assert np.isnan(mape(error, pd.Series([0.0, 20.0, 30.0])))  # undefined with a zero actual
    train = np.array([1.0, 3.0, 2.0, 5.0])  # naive in-sample MAE (2 + 1 + 3) / 3 = 2
    assert mase_scale(train, 12) == pytest.approx(2.0)
    assert mase(error, 2.0) == pytest.approx((8 / 3) / 2.0)


def test_scenarios_act_on_the_forecast(tmp_path):
    """forecast.error_scale scales demand_sd; a demand change (growth of a segment) applies to the
    forecast's demand table; a launch follows its analogue's forecast × scale."""
    from netdesign.scenario import Change, Scenario, apply_scenario

    kit = history_kit({("C1", "P"): [100.0] * 36, ("C2", "P"): [50.0] * 30 + [60.0] * 6})
    kit.update("products", "P", segment="fast")
    kit.product("NEW", unit_value=20.0, unit_price=30.0)
    raw = read_model(kit.folder(tmp_path))
    base = apply_scenario(raw, Scenario("base"))
    noisy = apply_scenario(raw, Scenario("noisy", settings={"forecast.error_scale": 1.3}))
    assert base.forecast is not None and noisy.forecast is base.forecast  # forecast once
    assert np.allclose(noisy.data.demand["demand_sd"], 1.3 * base.data.demand["demand_sd"],
                       atol=1e-3)
    grow = apply_scenario(raw, Scenario("grow", changes=(Change(
        table="demand", where={"segment": "fast"}, scale={"annual_units": 1.1}),)))
    assert grow.data.demand["annual_units"].sum() == pytest.approx(
        1.1 * base.data.demand["annual_units"].sum(), rel=1e-6)
    launch = apply_scenario(raw, Scenario("launch", settings={
        "forecast.launches": [{"product": "NEW", "analogue": "P", "scale": 0.5}]}))
    demand = launch.data.demand.set_index(["customer", "product"])
    for customer in ("C1", "C2"):
        assert demand.loc[(customer, "NEW"), "annual_units"] == pytest.approx(
            0.5 * demand.loc[(customer, "P"), "annual_units"], rel=1e-6)
        assert demand.loc[(customer, "NEW"), "forecast_method"] == "launch:P"
    profile = launch.data.demand_profile
    assert len(profile[profile["product"] == "NEW"]) == 12
