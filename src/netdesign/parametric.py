"""Bounds for runs on a line of one cost parameter: a fuel sweep settled from its endpoints.

The fuel index, the CO2 price and the carrying rate enter the objective linearly and change no
constraint (the network's exact reductions hold for all of them), so for runs that differ only
in one of them, p, the optimal cost is the minimum over one fixed feasible set of c(p)·x, a
minimum of functions affine in p: it is **concave in p** (Geoffrion & Nauss 1977, "Parametric
and postoptimality analysis in integer linear programming", Management Science 23(5), §2). So
between two runs a and b with p_a < p < p_b,

    OPT(p) ≥ λ · OPT(p_a) + (1 − λ) · OPT(p_b) ≥ λ · L_a + (1 − λ) · L_b,
    λ = (p_b − p) / (p_b − p_a)

and every solution of the line is feasible at p, so the cheapest of them, priced at p, is an
upper bound. When the two leave the gap within ``mip_gap``, the interior point needs no search
of its own: a sweep is solved at its ends and settled in between.
"""

from __future__ import annotations

from dataclasses import dataclass

from netdesign.data import ModelData

#: settings that enter the objective linearly and change no constraint
COST_PARAMETERS = ("fuel_index", "co2_price", "carrying_rate")


@dataclass(frozen=True)
class Solved:
    """A solved run of a line: its data, lower bound and solution (column values)."""

    run_id: str
    data: ModelData
    bound: float
    values: object


def line_parameter(a: ModelData, b: ModelData) -> str | None:
    """The one cost parameter that ``a`` and ``b`` differ in (all tables and every other setting
    equal), or None."""
    differ = [p for p in COST_PARAMETERS if getattr(a.settings, p) != getattr(b.settings, p)]
    if len(differ) != 1:
        return None
    same = a.settings.model_copy(update={differ[0]: getattr(b.settings, differ[0])})
    if same != b.settings:
        return None
    if any(not a.table(n).equals(b.table(n)) for n in a.TABLE_NAMES):
        return None
    return differ[0]


def interpolated_bound(data: ModelData, solved: list[Solved]) -> tuple[float, str] | None:
    """The concavity bound of ``data`` from the nearest solved runs on each side of it along one
    cost parameter, and a note naming them; None when no run brackets it."""
    best: tuple[float, str] | None = None
    by_parameter: dict[str, list[Solved]] = {}
    for run in solved:
        parameter = line_parameter(run.data, data)
        if parameter is not None:
            by_parameter.setdefault(parameter, []).append(run)
    for parameter, runs in by_parameter.items():
        p = getattr(data.settings, parameter)
        below = [r for r in runs if getattr(r.data.settings, parameter) < p]
        above = [r for r in runs if getattr(r.data.settings, parameter) > p]
        if not below or not above:
            continue
        a = max(below, key=lambda r: getattr(r.data.settings, parameter))
        b = min(above, key=lambda r: getattr(r.data.settings, parameter))
        pa, pb = getattr(a.data.settings, parameter), getattr(b.data.settings, parameter)
        weight = (pb - p) / (pb - pa)
        bound = weight * a.bound + (1.0 - weight) * b.bound
        note = (f"bound {bound:.10g} by concavity in {parameter} between {a.run_id} "
                f"({parameter} {pa:g}, bound {a.bound:.10g}) and {b.run_id} ({parameter} {pb:g}, "
                f"bound {b.bound:.10g})")
        if best is None or bound > best[0]:
            best = (bound, note)
    return best


def endpoints_first(tasks: list, data_of, is_free, known: tuple[ModelData, ...] = ()) -> list:
    """Order a group so that, on each line of one cost parameter, its extreme points come before
    its interior ones (an interior point can then be settled from them). ``data_of(task)`` gives
    a task's ModelData, ``is_free(task)`` whether it may be settled so (reoptimize), ``known``
    the data of runs solved already (the baseline)."""
    free = [t for t in tasks if is_free(t)]
    others = [data_of(t) for t in free] + list(known)
    interior = []
    for task in free:
        data = data_of(task)
        sides = set()
        for other in others:
            parameter = line_parameter(other, data) if other is not data else None
            if parameter is not None:
                theirs, mine = getattr(other.settings, parameter), getattr(data.settings,
                                                                           parameter)
                sides.add(("below" if theirs < mine else "above", parameter))
        if any(("below", p) in sides and ("above", p) in sides for p in COST_PARAMETERS):
            interior.append(task)
    rest = [t for t in tasks if all(t is not i for i in interior)]
    return rest + interior
