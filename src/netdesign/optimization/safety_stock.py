"""Safety stock with risk pooling: the closed form and its piecewise-linear approximation.

Closed form (periodic review, protection interval P = lead time + review period):

    SS = z · sqrt(P · Σ_c σ_c² + d̄² · σ_L²)                                    (1)

with σ_c the daily demand standard deviation of each customer the stocking point serves, d̄ its mean
daily demand and σ_L the lead-time standard deviation in days (Silver, Pyke & Thomas 2017,
*Inventory and Production Management in Supply Chains*, 4th ed., §6 on the combined demand and
lead-time variability; Eppen 1979, "Effects of centralization on expected costs in a multi-location
newsboy problem", Management Science 25(5) for the √Σσ² pooling effect).

Inside the MIP the pooled variance V = Σ_c σ_c² · share_c is linear in the flows. Following Daskin,
Coullard & Shen (2002, "An inventory-location model", Annals of OR 110) the variance-to-mean ratio
ρ = Σσ²/Σd of a product is taken as common to its customers, so d̄ = V / (ρ · days) and (1) becomes
a concave function of V alone:

    g(V) = z · sqrt(P · V + σ_L² · (V / (ρ · days))²)                         (2)

A concave cost in a minimisation needs binaries (HiGHS has no SOS2): we use the incremental
formulation with one binary per segment boundary. Breakpoints grow geometrically from the smallest
single-customer variance so that the chord's relative error never exceeds ``max_error``; below that
variance (a DC serving a fraction of one customer) the error is absolute, at most g(V_min). The
exact value (1) recomputed from the solution is reported beside the approximation.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def safety_stock(z: float, protection_days: float, variance: float, daily_demand: float,
                 lead_time_sd: float) -> float:
    """Equation (1): z · sqrt(P · Σσ² + d̄² · σ_L²) in units."""
    return z * math.sqrt(max(protection_days * variance + (daily_demand * lead_time_sd) ** 2, 0.0))


def pooled_safety_stock(v: np.ndarray, z: float, protection_days: float, rho_days: float,
                        lead_time_sd: float) -> np.ndarray:
    """Equation (2) for an array of pooled variances ``v``; ``rho_days`` = ρ · days per year."""
    v = np.asarray(v, dtype=float)
    return z * np.sqrt(protection_days * v + (lead_time_sd * v / rho_days) ** 2)


def chord_ratio(max_error: float) -> float:
    """Ratio r = b_{k+1}/b_k at which the chord of √V has relative error ``max_error``.

    On [1, r] the chord of √V is furthest below √V (relatively) at V = √r, where the error is
    1 − 2 r^¼ / (√r + 1). Solving for s = r^¼: (1 − ε) s² − 2 s + (1 − ε) = 0.
    """
    one = 1.0 - max_error
    s = (1.0 + math.sqrt(1.0 - one * one)) / one
    return s**4


def breakpoints(v_min: float, v_max: float, max_error: float) -> np.ndarray:
    """0, v_min, v_min·r, … up to v_max: the PWL breakpoints of g over [0, v_max]."""
    if v_max <= 0:
        return np.array([0.0])
    v_min = min(max(v_min, 1e-12), v_max)
    ratio = chord_ratio(max_error)
    count = max(1, math.ceil(math.log(v_max / v_min) / math.log(ratio) - 1e-9))
    inner = v_min * ratio ** np.arange(count)
    return np.unique(np.r_[0.0, inner, v_max])


def max_relative_error(points: np.ndarray, func, samples: int = 200) -> float:
    """Largest relative gap between ``func`` and its chords on every segment above the first."""
    worst = 0.0
    for lo, hi in itertools.pairwise(points[1:]):
        grid = np.linspace(lo, hi, samples)
        exact = func(grid)
        chord = func(np.array([lo]))[0] + (func(np.array([hi]))[0] - func(np.array([lo]))[0]) * (
            grid - lo) / (hi - lo)
        worst = max(worst, float(np.max((exact - chord) / np.where(exact > 0, exact, 1.0))))
    return worst
