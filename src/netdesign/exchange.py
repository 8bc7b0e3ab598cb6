"""One study, one truth (DESIGN.md §8): designs shared between runs, deltas settled where they can.

**Incumbent exchange.** Every run may find a design (open DCs, options, stocking points) that is
better for another run. :func:`exchange` prices candidate designs in a run's own model, the
design fixed and flows and inventory re-optimised exactly
(:meth:`netdesign.solve.NetworkModel.price_design`), and keeps the cheapest where it beats the
run's incumbent; every pricing is logged. The run's lower bound is unchanged (it bounds every
solution of the run), so a kept design only narrows the gap. With every design priced in every
run that can take it, a cost rise can never be reported as a saving (pricing the dearer run's
design at the cheaper run's numbers costs no more), and a reoptimize run never costs more than
its fixed twin.

**Tightening.** A cost rise Δ = U_s − U_b > 0 is certified when the scenario's absolute gap is
below Δ (:mod:`netdesign.certify`). :func:`tighten` re-solves a scenario whose rise is not yet
significant to an absolute gap below Δ, within what is left of its time budget; a saving needs
the reference's gap below −Δ, which the study settles on the reference itself.
"""

from __future__ import annotations

import dataclasses
import time

from netdesign.certify import Bounds, cost_delta
from netdesign.data import ModelData
from netdesign.network import hub_products
from netdesign.results import Design, Results
from netdesign.solve import NetworkModel

#: a rise is tightened only while its target gap is at least this share of controllable cost
MIN_TIGHTEN_GAP = 2e-4
#: the target absolute gap is this share of the delta (a margin for the reference's noise)
TIGHTEN_SHARE = 0.8
#: a re-solve is tried only when its target is at least this share of the run's gap: the demo's
#: re-solves (2026-12-02) closed a gap by at most a third in the budget left, never by 4×
TIGHTEN_REACH = 0.5


def design_fits(design: Design, data: ModelData) -> bool:
    """False when ``data`` rules ``design`` out before any solve: a DC it opens is closed or
    unknown here, a DC that must open is not open, an option is excluded or a forced one missing,
    or a product the strategy stocks at one DC is stocked at several."""
    fac = data.facilities.set_index("facility")["status"]
    if any(f not in fac.index or fac[f] == "forced_closed" for f in design.open):
        return False
    if any(status == "forced_open" and f not in design.open for f, status in fac.items()):
        return False
    for row in data.facility_options.itertuples():
        key = (row.facility, row.option)
        if row.status == "excluded" and key in design.options:
            return False
        if row.status == "forced" and row.facility in design.open and key not in design.options:
            return False
    hub = hub_products(data)
    if hub and data.settings.strategy in ("hub", "hybrid"):
        points: dict[str, int] = {}
        for product, _facility in design.stocked:
            points[product] = points.get(product, 0) + 1
        if any(points.get(p, 0) > 1 for p in hub):
            return False
    return True


def fitting(candidates: tuple[tuple[str, Design], ...],
            data: ModelData) -> tuple[tuple[str, Design], ...]:
    """The candidates (run id, design) that :func:`design_fits` ``data``, one per design."""
    seen: set[Design] = set()
    kept = []
    for source, design in candidates:
        if design not in seen and design_fits(design, data):
            seen.add(design)
            kept.append((source, design))
    return tuple(kept)


def unsettled_savings(reference: Results, runs: dict[str, object]) -> tuple[float, ...]:
    """Sizes −Δ of the savings other runs show against ``reference`` that the reference's bound
    does not certify (the reference must be tightened below them)."""
    mine = Bounds(reference.objective, reference.bound)
    sizes = []
    for run_id, outcome in runs.items():
        results = outcome.results
        if run_id == "baseline" or results is None or not results.ok:
            continue
        delta = cost_delta(Bounds(results.objective, results.bound), mine)
        if delta.point < 0 and not delta.significant:
            sizes.append(-delta.point)
    return tuple(sizes)


def exchange(model: NetworkModel, results: Results, candidates: list[tuple[str, Design]], *,
             mip_gap: float, threads: int = 1) -> tuple[Results, list[dict]]:
    """``results`` or the cheapest candidate design priced in ``model``, and the log of every
    pricing (``design_of``, ``cost``, ``incumbent``, ``kept``; cost None where the design is not
    feasible in this run). A design whose LP bound (``least_cost``, the relaxation with the
    design fixed) is no cheaper than the incumbent cannot win and is not priced."""
    best, best_values, log = results, model.session.last_values, []
    seen = {Design.of(results)}
    for source, design in candidates:
        if design in seen:
            continue
        seen.add(design)
        least = model.design_bound(design, threads=threads)
        if least is not None and least >= best.objective - 1e-9 * abs(best.objective):
            log.append({"design_of": source, "cost": None, "least_cost": least,
                        "incumbent": best.objective, "kept": False})
            continue
        priced = model.price_design(design, bound=results.bound, threads=threads)
        kept = priced is not None and priced.objective < best.objective - 1e-9 * abs(
            best.objective)
        log.append({"design_of": source, "cost": None if priced is None else priced.objective,
                    "incumbent": best.objective, "kept": kept})
        if kept:
            best, best_values = priced, model.session.last_values
    if best is not results:
        model.session.load(best_values)
        best = dataclasses.replace(best, status=_status(best, mip_gap),
                                   solve_seconds=results.solve_seconds)
    elif best_values is not None:
        model.session.load(best_values)
    return best, log


def tighten(model: NetworkModel, results: Results, reference: Bounds, *, mip_gap: float,
            seconds_left: float, threads: int = 1) -> tuple[Results, str]:
    """Re-solve a run whose cost rise over ``reference`` is not significant to an absolute gap
    below the rise (within ``seconds_left``); the results and a note ("" when nothing was
    tried)."""
    if not results.ok or results.bound is None:
        return results, ""
    delta = cost_delta(Bounds(results.objective, results.bound), reference)
    if delta.significant or delta.point <= 0 or seconds_left < 5.0:
        return results, ""
    controllable = max(results.controllable, 1e-9)
    target = TIGHTEN_SHARE * delta.point / controllable
    if target < max(MIN_TIGHTEN_GAP, TIGHTEN_REACH * results.gap) or target >= results.gap:
        return results, (f"rise {delta.point:,.0f} not significant; a gap of {target:.3%} would "
                         f"be needed (now {results.gap:.3%}), beyond what a re-solve reaches")
    begin = time.perf_counter()
    tighter = model.solve(time_limit=seconds_left, mip_gap=target, threads=threads)
    if not tighter.ok or tighter.objective > results.objective + 1e-9 * abs(results.objective):
        return results, f"tightening to {target:.3%} found nothing better"
    tighter = dataclasses.replace(
        tighter, bound=max(tighter.bound, results.bound),
        solve_seconds=results.solve_seconds + time.perf_counter() - begin)
    tighter = _with_gaps(tighter)
    tighter = dataclasses.replace(tighter, status=_status(tighter, mip_gap))
    again = cost_delta(Bounds(tighter.objective, tighter.bound), reference)
    return tighter, (f"tightened to {tighter.gap:.3%} (target {target:.3%}): the rise of "
                     f"{again.point:,.0f} is {again.verdict}")


def tighten_reference(model: NetworkModel, results: Results, savings: tuple[float, ...], *,
                      mip_gap: float, seconds_left: float,
                      threads: int = 1) -> tuple[Results, str]:
    """Re-solve the reference run to an absolute gap below the smallest of ``savings`` (the
    sizes of savings other runs claim that its bound does not yet certify), within
    ``seconds_left``; the results and a note."""
    if not results.ok or not savings or seconds_left < 5.0:
        return results, ""
    controllable = max(results.controllable, 1e-9)
    target = TIGHTEN_SHARE * min(savings) / controllable
    target = max(target, MIN_TIGHTEN_GAP)
    if target >= results.gap:
        return results, ""
    if target < TIGHTEN_REACH * results.gap:
        return results, (f"reference not tightened: {len(savings)} saving(s) would need a gap of "
                         f"{target:.3%} (now {results.gap:.3%}), beyond what a re-solve reaches")
    begin = time.perf_counter()
    tighter = model.solve(time_limit=seconds_left, mip_gap=target, threads=threads)
    if not tighter.ok:
        return results, f"tightening the reference to {target:.3%} found no solution"
    if tighter.objective > results.objective:
        tighter = dataclasses.replace(results, bound=max(results.bound, tighter.bound))
    tighter = _with_gaps(dataclasses.replace(
        tighter, bound=max(tighter.bound, results.bound),
        solve_seconds=results.solve_seconds + time.perf_counter() - begin))
    tighter = dataclasses.replace(tighter, status=_status(tighter, mip_gap))
    return tighter, (f"reference tightened to {tighter.gap:.3%} (target {target:.3%}) for "
                     f"{len(savings)} saving(s) its bound did not certify")


def with_bound(results: Results, bound: float | None, mip_gap: float) -> Results:
    """``results`` with its bound raised to ``bound`` (a lower bound proven elsewhere) where that
    is higher, its gaps and status recomputed."""
    if bound is None or not results.ok or results.bound is None or results.bound >= bound:
        return results
    raised = _with_gaps(dataclasses.replace(results, bound=min(bound, results.objective)))
    return dataclasses.replace(raised, status=_status(raised, mip_gap))


def _with_gaps(results: Results) -> Results:
    slack = results.objective - results.bound
    return dataclasses.replace(results, gap=slack / max(results.controllable, 1e-9),
                               gap_total=slack / max(abs(results.objective), 1e-9))


def _status(results: Results, mip_gap: float) -> str:
    return "optimal" if results.gap is not None and results.gap <= mip_gap + 1e-12 else \
        "time_limit"
