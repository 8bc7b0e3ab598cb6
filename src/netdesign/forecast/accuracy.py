"""Forecast accuracy measures, one function each, on backtest errors e = forecast − actual.

Sources: Hyndman & Koehler (2006), "Another look at measures of forecast accuracy", International
Journal of Forecasting 22:679-688 (MASE, eq. for the scaled error q_t = e_t / scale); Hyndman &
Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed. (2021), §5.8 (MAPE undefined when
an actual is zero; seasonal naive scaling for seasonal data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def wape(error: pd.Series, actual: pd.Series) -> float:
    """WAPE = Σ|e_t| / Σ y_t (weighted absolute percentage error; NaN when Σ y = 0)."""
    total = float(actual.sum())
    return float(error.abs().sum()) / total if total > 0 else np.nan


def bias(error: pd.Series, actual: pd.Series) -> float:
    """Bias = Σ e_t / Σ y_t: positive when the forecast runs above the actuals."""
    total = float(actual.sum())
    return float(error.sum()) / total if total > 0 else np.nan


def mape(error: pd.Series, actual: pd.Series) -> float:
    """MAPE = mean |e_t / y_t|, defined only when every actual is positive (else NaN)."""
    if len(actual) == 0 or (actual <= 0).any():
        return np.nan
    return float((error.abs() / actual).mean())


def mase_scale(train: np.ndarray, season: int) -> float:
    """In-sample MAE of the seasonal naive forecast, mean |y_t − y_{t−m}| (Hyndman & Koehler
    2006); m = 1 (naive) when the training part is shorter than two seasons. NaN if it is 0."""
    lag = season if len(train) >= 2 * season else 1
    if len(train) <= lag:
        return np.nan
    scale = float(np.abs(train[lag:] - train[:-lag]).mean())
    return scale if scale > 0 else np.nan


def mase(error: pd.Series, scale: float) -> float:
    """MASE = mean |e_t| / scale."""
    return float(error.abs().mean()) / scale if scale and np.isfinite(scale) else np.nan


def rmse(error: pd.Series) -> float:
    """Root mean squared error √(mean e_t²): the forecast error σ behind safety stock."""
    return float(np.sqrt((error**2).mean())) if len(error) else np.nan


def per_series(errors: pd.DataFrame, scales: pd.Series) -> pd.DataFrame:
    """WAPE, bias, MAPE, MASE and RMSE of each series (``errors``: series, actual, error)."""
    work = errors.assign(abs_error=errors["error"].abs(), sq=errors["error"] ** 2,
                         ape=errors["error"].abs() / errors["actual"].where(errors["actual"] > 0))
    g = work.groupby("series")
    out = pd.DataFrame({
        "actual": g["actual"].sum(),
        "abs_error": g["abs_error"].sum(),
        "error": g["error"].sum(),
        "squared": g["sq"].mean(),
        "mae": g["abs_error"].mean(),
        "mape": g["ape"].mean().where(g["actual"].min() > 0),
    })
    out["wape"] = out["abs_error"] / out["actual"].where(out["actual"] > 0)
    out["bias"] = out["error"] / out["actual"].where(out["actual"] > 0)
    out["rmse"] = np.sqrt(out["squared"])
    out["mase"] = out["mae"] / scales.reindex(out.index)
    out = out.rename(columns={"actual": "backtest_units", "abs_error": "backtest_abs_error",
                              "error": "backtest_error"})
    return out[["wape", "bias", "mape", "mase", "rmse", "mae", "backtest_units",
                "backtest_abs_error", "backtest_error"]]


def summarise(errors: pd.DataFrame, series: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Accuracy per group of series: WAPE and bias of the pooled errors (Σ|e| / Σy, Σe / Σy),
    MAPE and MASE as means of the series' values where they are defined.

    ``errors`` has one row per series, month and origin (series, actual, error and the ``by``
    columns); ``series`` is :func:`per_series` of it.
    """
    keyed = errors.groupby(by) if by else [("all", errors)]
    rows = []
    for key, group in keyed:
        members = series.loc[group["series"].unique()]
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=False))
        row.update(series=len(members), actual=float(group["actual"].sum()),
                   wape=wape(group["error"], group["actual"]),
                   bias=bias(group["error"], group["actual"]),
                   mape=float(members["mape"].mean()), mase=float(members["mase"].mean()))
        rows.append(row)
    return pd.DataFrame(rows)
