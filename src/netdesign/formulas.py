"""Ground-floor formulas shared by the optimisation model, validation, results and finance.

The objective annualises one-time amounts with :func:`crf` as finance does, without importing
the finance reporting module.

Plain functions of numbers (floats, numpy arrays, pandas objects, and where noted Pyomo
expressions): no model objects, no heavy imports, each with its equation in the docstring.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import pandas as pd

Amount = TypeVar("Amount")


def freight_at_fuel_index(freight: Amount, fuel_part: Amount, fuel_index: Amount) -> Amount:
    """Freight at a fuel index: F + (φ − 1) · F_fuel.

    ``freight`` F is the rate-base freight (per unit, or summed over flows), ``fuel_part`` F_fuel
    the part of it that moves with fuel (F × the mode's ``fuel_share``), φ the ``fuel_index``
    (1: fuel at the rate base). Linear in each argument, so it prices one arc, an array of arcs,
    or the Pyomo sums of the objective alike (there φ is a mutable parameter).
    """
    return freight + (fuel_index - 1) * fuel_part


def capacity_raise(options: pd.DataFrame, *, gains_only: bool = False) -> pd.Series:
    """Each facility option's raise of its DC's capacity, in multiples of the base: φ_k − 1.

    φ_k is the option's ``capacity_factor``; a DC's capacity is K_j · (y_j + Σ_k (φ_k − 1) o_jk)
    for throughput and storage alike (expansion 1.5 adds half the base capacity). With
    ``gains_only`` an option that lowers capacity counts 0: the most capacity a DC can reach,
    buying only the options that raise it.
    """
    raised = options["capacity_factor"].astype(float) - 1.0
    return raised.clip(lower=0.0) if gains_only else raised


def crf(rate: float, years: float) -> float:
    """Capital recovery factor (A/P, i, n): the level annual amount that repays 1 over n years.

    .. math:: \\mathrm{CRF}(i, n) = \\frac{i (1+i)^n}{(1+i)^n - 1}, \\qquad
              \\mathrm{CRF}(0, n) = \\frac{1}{n}

    Source: C. S. Park, *Contemporary Engineering Economics*, ch. 3 (uniform series, capital
    recovery factor (A/P, i, N)); e.g. (A/P, 10 %, 10) = 0.16275 in the interest tables.

    Computed as i / (1 − (1+i)^−n) with ``expm1``/``log1p`` so that tiny rates stay accurate.
    ``years`` must be positive; ``rate`` must be > −1.
    """
    if not years > 0:
        raise ValueError(f"years must be positive, got {years}")
    if not rate > -1:
        raise ValueError(f"rate must be > -1, got {rate}")
    if rate == 0:
        return 1.0 / years
    return rate / -math.expm1(-years * math.log1p(rate))


def annualise(amount: float, rate: float, years: float) -> float:
    """Equivalent annual amount of a one-time ``amount`` over ``years`` at ``rate``.

    A = P·CRF(i, n).

    Source: Park, *Contemporary Engineering Economics*, ch. 3, A = P(A/P, i, N).
    """
    return amount * crf(rate, years)
