"""Certified deltas: what two runs' bounds guarantee about the difference of their optima.

A run ends with an incumbent U (the cost of its answer) and a lower bound L, so its optimal cost
is in [L, U]. For a scenario s against a reference b (DESIGN.md §8):

    Δ* = OPT_s − OPT_b ∈ [L_s − U_b, U_s − L_b]

The delta a study reports is the incumbents' U_s − U_b; the interval is what the bounds
guarantee. A delta whose interval contains 0 is *not significant at this gap*: the optima may be
ordered either way, so it is never called a saving or a best scenario.

Which run must be tighter to settle a delta: a cost rise (Δ > 0) is proven when L_s > U_b, i.e.
the scenario's absolute gap U_s − L_s is below Δ; a saving (Δ < 0) when U_s < L_b, i.e. the
reference's absolute gap is below −Δ.

Quantities that move one for one against cost (economic profit with revenue unchanged; not EBIT,
whose cost lines are only part of the objective) widen the same way with the signs turned; a
yearly amount carried into an NPV widens by the present value of its after-tax annuity
(:func:`npv_interval`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    """A run's incumbent (``objective``) and lower ``bound`` of total cost [currency/year]."""

    objective: float
    bound: float

    @property
    def slack(self) -> float:
        """U − L: how much cheaper than its answer the run's optimum may be."""
        if self.bound is None or not math.isfinite(self.bound):
            return math.inf
        return max(self.objective - self.bound, 0.0)


@dataclass(frozen=True)
class Interval:
    """A reported delta and the interval its runs' bounds certify."""

    point: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """False when the interval contains 0 (\"not significant at this gap\")."""
        return self.low > 0 or self.high < 0

    @property
    def verdict(self) -> str:
        if not self.significant:
            return "not significant at this gap"
        return "higher" if self.low > 0 else "lower"


def cost_delta(run: Bounds, reference: Bounds) -> Interval:
    """Δ = U_s − U_b with Δ* ∈ [L_s − U_b, U_s − L_b]."""
    point = run.objective - reference.objective
    return Interval(point, point - run.slack, point + reference.slack)


def benefit_delta(point: float, run: Bounds, reference: Bounds, per_cost: float = 1.0) -> Interval:
    """A benefit that falls by ``per_cost`` for each unit of cost (economic profit: 1; an NPV: the
    present value of an after-tax annuity): the point delta, widened by what each run's bound
    leaves open — the scenario's optimum may be up to its slack cheaper (a higher benefit), the
    reference's up to its slack cheaper (a lower delta)."""
    return Interval(point, point - per_cost * reference.slack, point + per_cost * run.slack)


def annuity_factor(rate: float, years: int) -> float:
    """Σ_{t=1..n} (1 + i)^−t: present value of 1 a year for n years (Park, *Contemporary
    Engineering Economics*, ch. 3, the uniform-series present-worth factor (P/A, i, n))."""
    if rate == 0:
        return float(years)
    return (1.0 - (1.0 + rate) ** -years) / rate


def npv_interval(npv: float, run: Bounds, reference: Bounds, *, rate: float, tax_rate: float,
                 years: int) -> Interval:
    """NPV of a CapEx case with the yearly savings widened by the runs' slacks: each currency
    unit a year moves the NPV by (1 − t) · (P/A, i, n)."""
    return benefit_delta(npv, run, reference, (1.0 - tax_rate) * annuity_factor(rate, years))
