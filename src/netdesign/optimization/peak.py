"""The seasonal peak: monthly shares of each product's annual units and the months that can bind.

A network sized on annual throughput breaks in peak season when products peak together. With a
``demand_profile`` (from the forecast, or typed in), month m's throughput at DC j is
Σ_p s_pm · T_pj (T_pj the annual throughput of product p at j), and it is held to month m's part
of the annual capacity, c · δ_m · K_j, with δ_m = days of m / 365 (a DC works every day of the
month; c = ``peak.capacity_factor``; :func:`netdesign.optimization.constraints.peak_throughput`).
A product without a profile sells evenly over the days of the year (s_pm = δ_m).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from netdesign.data import ModelData

EPS = 1e-9
#: δ_m: each calendar month's share of a (non-leap) year's days
MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]) / 365.0


def share_matrix(data: ModelData, products: pd.Series) -> np.ndarray:
    """s[i, m]: share of ``products[i]``'s annual units in calendar month m + 1 (δ_m if none)."""
    shares = np.tile(MONTH_DAYS, (len(products), 1))
    profile = data.demand_profile
    if profile.empty:
        return shares
    table = profile.pivot_table(index="product", columns="month", values="share", aggfunc="sum")
    table = table.reindex(columns=range(1, 13)).fillna(0.0)
    known = products.isin(table.index).to_numpy()
    shares[known] = table.reindex(products[known]).to_numpy(dtype=float)
    return shares


def binding_months(shares: np.ndarray, factor: float) -> list[int]:
    """Months (0-11) whose row no other row implies, for a DC holding the products of ``shares``.

    Rows compare intensities r_pm = s_pm / δ_m with c (divide a row by δ_m). Dropped (exactly): a
    month in which no product's r_pm exceeds c (then Σ_p s_pm T_pj ≤ c δ_m Σ_p T_pj, implied by
    the annual capacity row), and a month whose intensities are all at most another kept month's
    (the first of equal months is kept).
    """
    if shares.size == 0:
        return []
    r = shares / MONTH_DAYS
    candidates = [m for m in range(12) if r[:, m].max() > factor + EPS]
    kept = []
    for m in candidates:
        dominated = any(
            np.all(r[:, m] <= r[:, o] + EPS)
            and (np.any(r[:, m] < r[:, o] - EPS) or o < m)
            for o in candidates if o != m)
        if not dominated:
            kept.append(m)
    return kept


def peak_columns(data: ModelData, facilities: pd.DataFrame,
                 inventory: pd.DataFrame) -> pd.DataFrame:
    """peak_month (1-12), peak_throughput [units/month] and peak_utilisation (throughput over
    c · δ_m · annual capacity, at the month where it is highest) of each DC."""
    factor = data.settings.peak.capacity_factor
    rows = inventory[inventory["throughput"] > 0]
    out = facilities.copy()
    out["peak_month"], out["peak_throughput"], out["peak_utilisation"] = np.nan, 0.0, np.nan
    if rows.empty:
        return out
    monthly = share_matrix(data, rows["product"].reset_index(drop=True)) * rows[
        "throughput"].to_numpy()[:, None]
    by_dc = pd.DataFrame(monthly, index=rows["facility"].to_numpy()).groupby(level=0).sum()
    intensity = by_dc / MONTH_DAYS  # units per year at each month's pace
    month = intensity.idxmax(axis=1)
    out["peak_month"] = out["facility"].map(month + 1)
    out["peak_throughput"] = out["facility"].map(
        pd.Series(by_dc.to_numpy()[np.arange(len(by_dc)), month.to_numpy()], index=by_dc.index)
    ).fillna(0.0)
    capacity = out["throughput_capacity"] * factor
    out["peak_utilisation"] = np.where(np.isfinite(capacity) & (capacity > 0),
                                       out["facility"].map(intensity.max(axis=1)).fillna(0.0)
                                       / capacity.replace(0, np.nan), np.nan)
    return out
