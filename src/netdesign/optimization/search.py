"""How a network design MIP is solved to a certified gap on the controllable cost.

The model's hard part is the design (which DCs open, which options are bought, where products are
stocked, which DC serves a single-sourced customer); once the design is fixed, what is left is a
flow problem whose only integers are the segments of the pooled (concave) safety stock. The
search uses two formulations of one index (:func:`netdesign.optimization.model.build_model`):
``exact``, the model as stated, and ``design``, its relaxation with the pooled safety stock at
the chord of its range (no segment variables). Stages:

1. **Root bound.** The design formulation's LP relaxation, strengthened by product-linking cuts
   separated round by round (:mod:`netdesign.optimization.cuts`), on a continuous copy kept warm
   across re-solves. The chord is what the exact model's LP relaxation gives for the safety
   stock (the incremental formulation is sharp: Vielma, Ahmed & Nemhauser 2010, "Mixed-integer
   models for nonseparable piecewise-linear optimization", Oper. Res. 58(2)), so this bounds the
   exact MIP.
2. **Start** (a first solve only). The LP-support heuristic: the design MIP restricted to the DCs
   the LP uses, to ``START_GAP``, its flows completed exactly.
3. **Design bound.** The design MIP. It has only the design binaries (46 on the demo against
   6,813 in the exact model) and a third fewer rows, and HiGHS closes it in a few nodes; being a
   relaxation, its dual bound bounds the exact optimum.
4. **Exact flows.** The design MIP's design fixed in the exact model, solved exactly: an upper
   bound and the answer's candidate.
5. **Search.** Only when the design MIP finished and 1–4 still leave the gap above ``mip_gap``
   (the exact safety stock is then what keeps it open): the exact MIP from the best solution
   with the time left (and the root's cuts); its bound is combined with the others.

The answer is the best exact solution found; its gap is (objective − best bound) / (objective −
floor), every bound being a bound of the exact model.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

from netdesign.files import write_atomic
from netdesign.optimization.cuts import ProductLinking
from netdesign.optimization.highs import HighsSession, Progress, SolveOutcome, stop_requested
from netdesign.optimization.index import ModelIndex, variance_weight

#: cut rounds at the root, and the relative bound gain below which they stop
CUT_ROUNDS = 6
CUT_MIN_GAIN = 2e-4
#: the LP-support start's own gap (of the controllable cost) and share of the time limit
START_GAP = 0.01
START_SHARE = 0.25
#: share of mip_gap the design MIP is solved to (the rest is left for the exact flows)
DESIGN_GAP_SHARE = 0.5
#: share of the time limit kept back from the design MIP for the exact flows of its design
EXACT_RESERVE = 0.05
#: the exact search runs only with at least this share of the time limit left
SEARCH_MIN_SHARE = 0.25
#: variables the two formulations share (same index, same meaning)
SHARED = ("flow", "open", "option", "stock", "assign", "unmet", "safety", "option_handling")


@dataclass
class Clock:
    """Seconds left of a time limit."""

    limit: float
    begin: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.begin

    def left(self) -> float:
        return max(self.limit - self.elapsed(), 0.0)


@dataclass
class Formulation:
    """One Pyomo formulation kept live in HiGHS, with its product-linking cut separator."""

    model: pyo.ConcreteModel
    session: HighsSession
    linking: ProductLinking


class Search:
    """One solve of a built network model (see the module docstring for the stages)."""

    def __init__(self, exact: Formulation, design: Formulation, index: ModelIndex, *,
                 time_limit: float, mip_gap: float, threads: int, seed: int,
                 progress: Progress | None):
        self.exact, self.design, self.ix = exact, design, index
        self.clock = Clock(time_limit)
        self.mip_gap, self.threads, self.seed, self.progress = mip_gap, threads, seed, progress
        self.log: list[str] = []
        self.statuses: list[str] = []  # of every MIP stage run
        self.lp_seconds: float | None = None  # of the root LP relaxation; None: not solved
        session = exact.session
        self.segments = session.column_positions(exact.model.seg_full.values())
        self.decisions = np.setdiff1d(np.flatnonzero(session.compiled.integer), self.segments)

    @property
    def floor(self) -> float:
        return self.exact.session.floor

    # -- the stages ------------------------------------------------------------------------------

    def run(self) -> SolveOutcome:
        """The best exact solution with the best bound (values loaded into the exact model).
        A stop request (Ctrl-C, :func:`netdesign.optimization.highs.stop_on_signals`) ends the
        search after the stage it interrupts, with status ``interrupted``."""
        first = self.exact.session.last_values is None
        root = self.root_bound()
        if root.status in ("infeasible", "unbounded"):
            return self._final(None, status=root.status)
        if first and not stop_requested():
            self.lp_support_start(root)
        best = self._priced("MIP start" if first else "previous solution, priced at the new "
                            "numbers,")
        bound = root.objective
        if self._within(best, bound):
            self.log.append(f"netdesign: the {'MIP start' if first else 'previous solution'} is "
                            "within mip_gap of the LP relaxation bound, so it is kept and no MIP "
                            "search is run.\n")
        elif not stop_requested():
            design = self.design_bound(best)
            if design.status in ("infeasible", "unbounded"):
                return self._final(None, status=design.status)
            bound = _higher(bound, design.bound)
            if design.values is not None and not self._within(best, bound):
                best = _better(best, self.exact_flows(design.values))
            # the exact search pays only when the design MIP finished and the exact safety stock
            # is what keeps the gap open; a design MIP stopped by the clock is the bound's limit
            if (design.status == "optimal" and not self._within(best, bound)
                    and not stop_requested()
                    and self.clock.left() > SEARCH_MIN_SHARE * self.clock.limit):
                searched = self.exact_search(best)
                best = _better(best, searched)
                bound = _higher(bound, searched.bound)
        return self._final(best, bound=bound,
                           status="interrupted" if stop_requested() else None)

    def root_bound(self) -> SolveOutcome:
        """LP relaxation + product-linking cut rounds; its objective bounds the MIP."""
        session, linking = self.design.session, self.design.linking
        relaxed = session.solve_relaxation(self.clock.left(), self.threads)
        if relaxed.objective is not None:
            self.lp_seconds = relaxed.seconds
        rounds, added = 0, 0
        while relaxed.values is not None and rounds < CUT_ROUNDS and self.clock.left() > 0:
            rows = linking.separate(relaxed.values)
            if not len(rows):
                break
            linking.add(rows)
            rounds, added = rounds + 1, added + len(rows)
            again = session.solve_relaxation(self.clock.left(), self.threads)
            if again.objective is None:
                break
            gain, relaxed = again.objective - relaxed.objective, again
            if gain < CUT_MIN_GAIN * max(relaxed.objective - self.floor, 1.0):
                break
        if relaxed.objective is not None:
            self._note("root", relaxed.objective, relaxed.objective,
                       f"LP relaxation bound {relaxed.objective:.10g} after {rounds} round(s) of "
                       f"product-linking cuts ({added} rows added, {session.cut_rows} in all)")
        return relaxed

    def lp_support_start(self, relaxed: SolveOutcome) -> None:
        """A start from the LP relaxation's support (relax-and-restrict): the design MIP
        restricted to the DCs the LP opens, to START_GAP, its flows completed exactly (each
        pair's segments filled in order up to its pooled variance). The restriction is made in
        HiGHS only (column bounds), not in Pyomo."""
        session = self.design.session
        dcs = session.column_positions(self.design.model.open.values())
        unused = dcs[relaxed.values[dcs] < 1e-6] if relaxed.values is not None else dcs[:0]
        session.restrict(unused, upper=0.0)
        restricted = self._mip(self.design, "start", self.clock.left() * START_SHARE,
                               max(self.mip_gap, START_GAP))
        session.unrestrict(unused)
        if restricted.values is not None:
            self._to_exact()

    def design_bound(self, start: SolveOutcome | None) -> SolveOutcome:
        """The design MIP from ``start``: its bound bounds the exact MIP."""
        if start is not None:
            self.exact.session.load(start.values)
            copy_values(self.exact.model, self.design.model)
            self.design.session.start_from_model_values()
        reserve = max(EXACT_RESERVE * self.clock.limit, 5.0)
        return self._mip(self.design, "design", max(self.clock.left() - reserve, 1.0),
                         self.mip_gap * DESIGN_GAP_SHARE)

    def exact_flows(self, design_values: np.ndarray) -> SolveOutcome | None:
        """The design of ``design_values`` fixed in the exact model, solved exactly."""
        self.design.session.load(design_values)
        self._to_exact()
        session = self.exact.session
        chosen = np.round(session.last_values[self.decisions])
        session.restrict(self.decisions, lower=chosen, upper=chosen)
        exact = self._mip(self.exact, "exact", max(self.clock.left(), 1.0), self.mip_gap * 0.1)
        session.unrestrict(self.decisions)
        return exact if exact.values is not None else None

    def exact_search(self, best: SolveOutcome | None) -> SolveOutcome:
        """The exact MIP from the best solution, with the time left and the root's cuts."""
        self.exact.linking.add(self.exact.linking.missing(self.design.linking.added))
        if best is not None:
            self.exact.session.last_values = best.values
        return self._mip(self.exact, "search", max(self.clock.left(), 1.0), self.mip_gap)

    # -- helpers ---------------------------------------------------------------------------------

    def _to_exact(self) -> None:
        """The design model's current values as the exact model's start, segments completed."""
        copy_values(self.design.model, self.exact.model)
        complete_segments(self.exact.model, self.ix)
        self.exact.session.start_from_model_values()

    def _mip(self, formulation: Formulation, stage: str, time_limit: float,
             mip_gap: float) -> SolveOutcome:
        outcome = formulation.session.solve(
            time_limit=time_limit, mip_gap=mip_gap, threads=self.threads, seed=self.seed,
            progress=self._stage_progress(stage))
        self.statuses.append(outcome.status)
        self.log.append(f"== netdesign stage: {stage} ({outcome.seconds:.1f} s, "
                        f"{outcome.status}) ==\n{outcome.log}")
        if outcome.objective is not None:
            self._note(stage, outcome.objective, outcome.bound,
                       f"{stage}: objective {outcome.objective:.10g}, bound "
                       f"{outcome.bound:.10g} ({outcome.status})")
        return outcome

    def _priced(self, what: str) -> SolveOutcome | None:
        session = self.exact.session
        priced = session.price(session.last_values)
        if priced is None:
            return None
        self.log.append(f"netdesign: the {what} costs {priced:.10g}\n")
        if self.progress is not None:
            self.progress({"phase": "priced", "elapsed": self.clock.elapsed(),
                           "incumbent": priced, "bound": -math.inf, "gap": math.inf})
        return SolveOutcome("optimal", priced, None, 0.0, "", session.last_values, self.floor)

    def _within(self, best: SolveOutcome | None, bound: float | None) -> bool:
        if best is None or bound is None:
            return False
        return replace(best, bound=min(bound, best.objective)).gap <= self.mip_gap

    def _note(self, stage: str, incumbent: float, bound: float, text: str) -> None:
        self.log.append(f"netdesign: {text}\n")
        if self.progress is not None:
            gap = abs(incumbent - bound) / max(abs(incumbent - self.floor), 1e-9)
            self.progress({"phase": stage, "elapsed": self.clock.elapsed(),
                           "incumbent": incumbent, "bound": bound, "gap": gap})

    def _stage_progress(self, stage: str) -> Progress | None:
        if self.progress is None:
            return None
        offset = self.clock.elapsed()
        return lambda event: self.progress({**event, "phase": f"{stage} {event['phase']}",
                                            "elapsed": offset + event["elapsed"]})

    def _final(self, best: SolveOutcome | None, *, status: str | None = None,
               bound: float | None = None) -> SolveOutcome:
        log, seconds = "".join(self.log), self.clock.elapsed()
        if best is None:  # no stage found a solution: the clock, unless a stage failed
            status = status or ("error" if "error" in self.statuses else "time_limit")
            return SolveOutcome(status, None, None, seconds, log, None, self.floor)
        self.exact.session.load(best.values)
        outcome = replace(best, bound=None if bound is None else min(bound, best.objective),
                          seconds=seconds)
        done = outcome.gap is not None and outcome.gap <= self.mip_gap + 1e-12
        outcome = replace(outcome, status=status or ("optimal" if done else "time_limit"))
        if outcome.bound is not None:
            log += (f"netdesign: answer {outcome.objective:.10g}, bound {outcome.bound:.10g}, "
                    f"gap {outcome.gap:.4%} of the controllable cost (mip_gap "
                    f"{self.mip_gap:.4%}), {outcome.gap_total:.4%} of the total\n")
        return replace(outcome, log=log)


def _better(a: SolveOutcome | None, b: SolveOutcome | None) -> SolveOutcome | None:
    candidates = [o for o in (a, b) if o is not None and o.objective is not None
                  and o.values is not None]
    return min(candidates, key=lambda o: o.objective) if candidates else None


def _higher(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None


def copy_values(source: pyo.ConcreteModel, target: pyo.ConcreteModel) -> None:
    """Copy the values of the variables two formulations share (:data:`SHARED`)."""
    for name in SHARED:
        src, dst = getattr(source, name, None), getattr(target, name, None)
        if src is None or dst is None:
            continue
        for i, var in dst.items():
            if not var.fixed:
                var.set_value(src[i].value, skip_validation=True)


def complete_segments(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Set each pair's PWL segments from its pooled variance V = Σ w·f: filled in order, their
    binaries on, the safety stock at the piecewise value (any flows become an exact solution)."""
    seg = ix.segments
    width, slope = seg["width"].to_numpy(), seg["slope"].to_numpy()
    weight = variance_weight(ix.flows, ix.demand, ix.pairs)
    flow = np.array([v.value or 0.0 for v in m.flow.values()])
    for k in range(len(ix.pairs)):
        members = ix.pair_segments[k]
        if not len(members) or not len(m.seg_fill):
            continue
        out = ix.ships_from[k]
        left = float(weight[out] @ flow[out])
        fills = []
        for i in members:
            fills.append(min(width[i], max(left, 0.0)))
            left -= fills[-1]
        for pos, i in enumerate(members):
            m.seg_fill[i].set_value(fills[pos], skip_validation=True)
            later = pos + 1 < len(members) and fills[pos + 1] > 0
            m.seg_full[i].set_value(1.0 if later else 0.0, skip_validation=True)
        m.safety[k].set_value(float(np.dot(slope[members], fills)), skip_validation=True)


def write_log(path: Path | None, text: str) -> None:
    if path is not None:
        write_atomic(path, text)
