"""Ground-floor formulas shared by the optimisation model, validation, results and finance.

Plain functions of numbers (floats, numpy arrays, pandas objects, and where noted Pyomo
expressions): no model objects, no heavy imports, each with its equation in the docstring.
"""

from __future__ import annotations

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
