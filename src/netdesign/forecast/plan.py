"""From a demand history to the planning year's demand: backtest, choose, forecast, measure.

1. Monthly series per customer × product and per product × region (:mod:`.series`).
2. Per product, a rolling-origin backtest (:mod:`.backtest`) of every method its history length
   allows: all of them on the product × region aggregates, the cheap ones on customer series.
3. Each aggregate keeps its best method. Each customer series chooses, by backtest MAE, between
   its own best method and the top-down forecast (aggregate × the customer's share of the last
   12 months). A series with non-zero sales in fewer than ``forecast.sparse_share`` of its months
   is too sparse for a method of its own and is always forecast top-down; ``level`` says which.
4. The chosen forecast's backtest errors give the accuracy (WAPE, bias, MASE, MAPE) and the
   forecast error σ behind safety stock (:func:`daily_sd`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from netdesign.data import ModelData
from netdesign.forecast import accuracy as acc
from netdesign.forecast.backtest import choose, cross_validate, forecast, picked
from netdesign.forecast.methods import METHODS, SERIES_METHODS, eligible
from netdesign.forecast.series import Panel, shares

TOP_DOWN = "top_down"


def daily_sd(monthly_rmse: np.ndarray | float, days_per_year: float) -> np.ndarray | float:
    """σ_day = σ_month / √(D/12): the daily forecast-error σ whose √n aggregation over a month of
    D/12 days gives the measured monthly RMSE. It is the aggregation the engine's safety stock
    z·√(P·σ_day² + d̄²σ_L²) applies over the protection period P (independent daily errors)."""
    return np.asarray(monthly_rmse, dtype=float) / np.sqrt(days_per_year / 12.0)


@dataclass(frozen=True)
class Plan:
    """How one product is backtested: origins, and the methods for aggregates and series."""

    origins: int
    aggregate_methods: tuple[str, ...]
    series_methods: tuple[str, ...]


def plan_product(months: int, method: str, origins: int, h: int) -> Plan:
    """Origins that fit the history (at least one) and the methods the training part allows."""
    fit = max(1, min(origins, (months - 3) // h))
    train = months - fit * h
    if method == "auto":
        return Plan(fit, eligible(METHODS, train), eligible(SERIES_METHODS, train))
    own = (method,) if method in SERIES_METHODS else ()
    return Plan(fit, eligible((method,), train), eligible(own, train))


def backtest_and_forecast(panel: Panel, data: ModelData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest errors and planning forecasts of the chosen method of every customer series.

    Returns (errors: unique_id, ds, cutoff, y, forecast, choice; future: unique_id, ds, forecast,
    choice) where choice is "<method>" or "top_down:<method>".
    """
    fc = data.settings.forecast
    months = panel.series.groupby("product")["ds"].nunique()
    plans = {p: plan_product(int(n), fc.method, fc.backtest_origins, fc.backtest_months)
             for p, n in months.items()}
    errors, future = [], []
    for plan in set(plans.values()):
        products = [p for p, q in plans.items() if q == plan]
        series = panel.series[panel.series["product"].isin(products)]
        aggregates = panel.aggregates[panel.aggregates["product"].isin(products)]
        e, f = _one_plan(series, aggregates, plan, data)
        errors.append(e)
        future.append(f)
    return pd.concat(errors, ignore_index=True), pd.concat(future, ignore_index=True)


def _one_plan(series: pd.DataFrame, aggregates: pd.DataFrame, plan: Plan,
              data: ModelData) -> tuple[pd.DataFrame, pd.DataFrame]:
    fc = data.settings.forecast
    h, horizon = fc.backtest_months, fc.horizon_months
    ids = ["unique_id", "ds", "y"]
    agg_cv = cross_validate(aggregates[ids], plan.aggregate_methods, plan.origins, h)
    agg_choice = choose(agg_cv, plan.aggregate_methods)
    agg_cv["top"] = picked(agg_cv, agg_choice)
    agg_future = forecast(aggregates[ids], plan.aggregate_methods, horizon)
    agg_future["top"] = picked(agg_future, agg_choice)

    own_cv = cross_validate(series[ids], plan.series_methods, plan.origins, h)
    own_cv = _with_top_down(own_cv, series, agg_cv)
    nonzero = (series["y"] > 0).groupby(series["unique_id"]).mean()
    dense = nonzero >= fc.sparse_share
    candidates = (*plan.series_methods, TOP_DOWN)
    choice = choose(own_cv, candidates)
    choice[~dense.reindex(choice.index, fill_value=False)] = TOP_DOWN
    own_cv["forecast"] = picked(own_cv, choice)

    own_future = forecast(series[ids], plan.series_methods, horizon)
    last = series["ds"].max()
    share = shares(series, last)
    keys = series.drop_duplicates("unique_id").set_index("unique_id")["agg_id"]
    future = _future_grid(keys, agg_future)
    future = future.merge(own_future, how="left", on=["unique_id", "ds"])
    future[TOP_DOWN] = future["unique_id"].map(share).to_numpy() * future["top"].to_numpy()
    future["forecast"] = picked(future, choice)
    label = choice.where(choice != TOP_DOWN, TOP_DOWN + ":" + keys.reindex(choice.index).map(
        agg_choice).astype(str))
    own_cv["choice"] = own_cv["unique_id"].map(label)
    future["choice"] = future["unique_id"].map(label)
    return (own_cv[["unique_id", "ds", "cutoff", "y", "forecast", "choice"]],
            future[["unique_id", "ds", "forecast", "choice"]])


def _with_top_down(own_cv: pd.DataFrame, series: pd.DataFrame,
                   agg_cv: pd.DataFrame) -> pd.DataFrame:
    """Add the top-down backtest forecast: aggregate forecast × share up to each cut-off."""
    keys = series.drop_duplicates("unique_id").set_index("unique_id")["agg_id"]
    if own_cv.empty:
        cutoffs = agg_cv[["unique_id", "ds", "cutoff"]].rename(columns={"unique_id": "agg_id"})
        own_cv = cutoffs.merge(keys.rename("agg_id").reset_index(), on="agg_id").merge(
            series[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    parts = []
    for cutoff, rows in own_cv.groupby("cutoff"):
        share = shares(series[series["ds"] <= cutoff], cutoff)
        rows = rows.assign(agg_id=rows["unique_id"].map(keys).to_numpy())
        top = agg_cv[agg_cv["cutoff"] == cutoff].set_index(["unique_id", "ds"])["top"]
        index = pd.MultiIndex.from_arrays([rows["agg_id"], rows["ds"]])
        rows[TOP_DOWN] = rows["unique_id"].map(share).to_numpy() * top.reindex(index).to_numpy()
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def _future_grid(keys: pd.Series, agg_future: pd.DataFrame) -> pd.DataFrame:
    """Every series × future month, with its aggregate's chosen forecast as ``top``."""
    grid = keys.rename("agg_id").reset_index().merge(
        agg_future[["unique_id", "ds", "top"]].rename(columns={"unique_id": "agg_id"}),
        on="agg_id")
    return grid.drop(columns="agg_id")


def series_table(panel: Panel, errors: pd.DataFrame, future: pd.DataFrame,
                 data: ModelData) -> pd.DataFrame:
    """One row per customer × product: choice, level, history, accuracy, planning-year units,
    orders and the forecast-error σ (monthly RMSE and daily ``forecast_sd``)."""
    s = panel.series
    first_cut = errors.groupby("unique_id")["cutoff"].min()
    train = s[s["ds"] <= s["unique_id"].map(first_cut)]
    scales = train.groupby("unique_id")["y"].apply(lambda y: acc.mase_scale(y.to_numpy(), 12))
    metrics = acc.per_series(errors.assign(series=errors["unique_id"], actual=errors["y"],
                                           error=errors["forecast"] - errors["y"]), scales)
    keys = s.drop_duplicates("unique_id").set_index("unique_id")
    planning = future[future["ds"] < future["ds"].min() + pd.DateOffset(months=12)]
    out = keys[["customer", "product", "region"]].copy()
    out["choice"] = errors.drop_duplicates("unique_id").set_index("unique_id")["choice"]
    out["level"] = np.where(out["choice"].str.startswith(TOP_DOWN), "product×region",
                            "customer")
    out["history_months"] = s.groupby("unique_id")["ds"].nunique()
    out["nonzero_share"] = (s["y"] > 0).groupby(s["unique_id"]).mean()
    out["annual_units"] = planning.groupby("unique_id")["forecast"].sum()
    out = out.join(metrics)
    out["forecast_sd"] = daily_sd(out["rmse"].to_numpy(), data.settings.days_per_year)
    out["orders_per_year"] = _orders(s, out["annual_units"])
    return out.reset_index(drop=True)


def _orders(series: pd.DataFrame, annual: pd.Series) -> pd.Series:
    """Planning-year orders: the last 12 months' orders per unit × forecast units (NaN where
    the history has no orders; the demand table's default then applies)."""
    last = series["ds"].max() - pd.DateOffset(months=11)
    recent = series[series["ds"] >= last].groupby("unique_id")[["y", "orders"]].sum(min_count=1)
    per_unit = recent["orders"] / recent["y"].where(recent["y"] > 0)
    orders = annual * per_unit.reindex(annual.index)
    return orders.fillna(recent["orders"].reindex(annual.index))
