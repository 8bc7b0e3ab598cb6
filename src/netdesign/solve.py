"""Solve a model: build once, solve with HiGHS, re-solve after number-only changes.

``solve(data)`` is the one-shot entry point. :class:`NetworkModel` keeps the built Pyomo model and
its live HiGHS instance so that a scenario changing only numbers held in mutable parameters (fuel
index, CO2 price, carrying rate, finite capacities) is re-solved warm instead of rebuilt.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from netdesign.data import ModelData
from netdesign.network import MAX_CARRYING_RATE
from netdesign.optimization.extract import extract
from netdesign.optimization.highs import (
    HighsSession,
    Progress,
    SolveOutcome,
    relative_gap,
    stop_requested,
)
from netdesign.optimization.model import build_model
from netdesign.results import Design, Results

#: share of the time limit spent on the MIP start heuristic, and the gap it stops at
START_SHARE = 0.5
START_GAP = 0.02
#: settings a re-solve can take through mutable parameters
NUMBER_SETTINGS = ("fuel_index", "co2_price", "carrying_rate")
#: (table, column) pairs a re-solve can take, as long as finite stays finite
NUMBER_COLUMNS = (
    ("facilities", "throughput_capacity"),
    ("facilities", "storage_capacity"),
    ("supply", "capacity"),
)


class NetworkModel:
    """A built network design MIP of one :class:`ModelData`, solvable many times."""

    def __init__(self, data: ModelData):
        start = time.perf_counter()
        self.data = data
        self.model, self.index = build_model(data)
        self.generate_seconds = time.perf_counter() - start
        self.session = HighsSession(self.model)
        self.build_seconds = time.perf_counter() - start

    @property
    def size(self) -> dict[str, int]:
        return {**self.session.size, "flow_arcs": len(self.index.flows)}

    def solve(self, *, time_limit: float | None = None, mip_gap: float | None = None,
              threads: int | None = None, progress: Progress | None = None,
              log_path: Path | None = None) -> Results:
        solver = self.data.settings.solver
        time_limit = time_limit if time_limit is not None else solver.time_limit
        options = dict(mip_gap=mip_gap if mip_gap is not None else solver.mip_gap,
                       threads=threads or solver.threads, seed=solver.seed, progress=progress)
        begin = time.perf_counter()
        integer = self.session.size["integer_columns"] > 0
        relaxed = None
        if integer:
            first = self.session.last_values is None
            if first:
                relaxed = self._warm_start(time_limit * START_SHARE, options)
            priced = self.session.price(self.session.last_values)
            if priced is not None and not first:
                relaxed = self.session.solve_relaxation(time_limit * START_SHARE,
                                                        options["threads"])
            what = "MIP start" if first else "previous solution, priced at the new numbers,"
            kept = self._keep_if_proven(priced, relaxed, what, options, log_path)
            if kept is None and stop_requested():
                kept = self._interrupted(priced, relaxed)
                if kept.values is None:
                    return _empty_results(kept, self.build_seconds, self.size, [])
            if kept is not None:
                return extract(self.model, self.index, replace(
                    kept, seconds=time.perf_counter() - begin), self.build_seconds, self.size)
        remaining = max(time_limit - (time.perf_counter() - begin), 1.0)
        outcome = self.session.solve(time_limit=remaining, log_path=log_path, **options)
        outcome = replace(outcome, seconds=time.perf_counter() - begin)
        if outcome.values is None and outcome.status == "interrupted":
            return _empty_results(outcome, self.build_seconds, self.size, [])
        if outcome.values is None:
            from netdesign.diagnose import diagnose

            diagnosis = diagnose(self.data) if outcome.status == "infeasible" else []
            return _empty_results(outcome, self.build_seconds, self.size, diagnosis)
        if relaxed is not None and relaxed.objective is not None and (
                outcome.bound is None or relaxed.objective > outcome.bound):
            outcome = _with_bound(outcome, relaxed.objective)
        return extract(self.model, self.index, outcome, self.build_seconds, self.size)

    def _keep_if_proven(self, priced: float | None, relaxed: SolveOutcome | None, what: str,
                        options: dict, log_path: Path | None) -> SolveOutcome | None:
        """The solution HiGHS would start from, kept when the LP bound proves it within the gap.

        The incumbent (the MIP start of a first solve, or the previous solution of a re-solve
        after a number-only change, priced at the new numbers) is compared with the LP
        relaxation's bound (a re-solve re-solves it warm from its last basis). When
        (incumbent − bound) / incumbent ≤ mip_gap, the incumbent is an answer with the guarantee
        HiGHS's own gap test gives, and no branch and bound is run; otherwise the MIP is solved,
        starting from it.
        """
        if priced is None or relaxed is None or relaxed.objective is None:
            return None
        session, mip_gap = self.session, options["mip_gap"]
        bound = min(relaxed.objective, priced)
        gap = relative_gap(priced, bound)
        if gap > mip_gap:
            return None
        values = session.last_values
        session.load(values)
        if options["progress"] is not None:
            options["progress"]({"phase": "kept", "elapsed": relaxed.seconds, "incumbent": priced,
                                 "bound": bound, "gap": gap})
        log = (f"netdesign: the {what} costs {priced:.10g}; the LP relaxation bound "
               f"({relaxed.seconds:.2f} s) is {bound:.10g}; gap {gap:.4%} <= mip_gap "
               f"{mip_gap:.4%}, so it is kept and no MIP search is run.\n")
        if log_path is not None:
            Path(log_path).write_text(log)
        return SolveOutcome("optimal", priced, bound, gap, relaxed.seconds, log, values)

    def _interrupted(self, priced: float | None,
                     relaxed: SolveOutcome | None) -> SolveOutcome:
        """A stop requested (Ctrl-C) before the MIP search: the MIP start, if there is one, is
        the incumbent, bounded by the LP relaxation; status ``interrupted``."""
        if priced is None:
            return SolveOutcome("interrupted", None, None, None, 0.0, "", None)
        values = self.session.last_values
        self.session.load(values)
        bound = min(relaxed.objective, priced) if relaxed and relaxed.objective else None
        gap = relative_gap(priced, bound) if bound is not None else None
        return SolveOutcome("interrupted", priced, bound, gap, 0.0, "", values)

    def _warm_start(self, budget: float, options: dict) -> SolveOutcome:
        """A MIP start from the LP relaxation's support (a relax-and-restrict heuristic).

        1. Solve the LP relaxation; a DC the LP does not open at all is unlikely in good designs.
        2. Solve the MIP restricted to the DCs the LP opens, with the safety-stock segment
           binaries relaxed (so only DC, option, stock and assignment binaries are left), to a 2 %
           gap. 3. Complete that solution exactly: fill each stocking pair's PWL segments in order
           up to its pooled variance and set their binaries and the safety stock. The full model
           then starts from it (HiGHS checks the start and only improves on it).
        The restriction is made in HiGHS only (column bounds and integrality), not in Pyomo.
        Returns the LP relaxation (its value bounds the MIP).
        """
        m, session, begin = self.model, self.session, time.perf_counter()
        relaxed = session.solve_relaxation(budget, options["threads"])
        dcs = session.column_positions(m.open.values())
        unused = dcs[relaxed.values[dcs] < 1e-6] if relaxed.values is not None else dcs[:0]
        segments = session.column_positions(m.seg_full.values())
        session.restrict(unused, upper=0.0, relax=segments)
        left = budget - (time.perf_counter() - begin)
        restricted = session.solve(time_limit=max(left, budget / 2), **{
            **options, "progress": None, "mip_gap": max(options["mip_gap"], START_GAP)})
        session.unrestrict(unused, relax=segments)
        if restricted.values is None:
            session.last_values = None
            return relaxed
        self._complete_segments()
        session.start_from_model_values()
        return relaxed

    def _complete_segments(self) -> None:
        """Set each pair's PWL segments from its pooled variance: fill in order, binaries on."""
        m, seg = self.model, self.index.segments
        width, slope = seg["width"].to_numpy(), seg["slope"].to_numpy()
        for k in range(len(self.index.pairs)):
            members = self.index.pair_segments[k]
            if not len(members):
                continue
            left = sum(m.seg_fill[i].value or 0.0 for i in members)
            fills = []
            for i in members:
                fills.append(min(width[i], max(left, 0.0)))
                left -= fills[-1]
            for pos, i in enumerate(members):
                m.seg_fill[i].set_value(fills[pos], skip_validation=True)
                later = pos + 1 < len(members) and fills[pos + 1] > 0
                m.seg_full[i].set_value(1.0 if later else 0.0, skip_validation=True)
            m.safety[k].set_value(float(np.dot(slope[members], fills)), skip_validation=True)

    # -- number-only changes ----------------------------------------------------------------------

    def accepts(self, data: ModelData) -> bool:
        """True when ``data`` differs from the built model only in mutable-parameter numbers."""
        return number_only(self.data, data)

    def update(self, data: ModelData) -> dict[str, int]:
        """Move mutable parameters to ``data``'s numbers and push the changes into HiGHS."""
        if not self.accepts(data):
            raise ValueError("the change is structural: build a new NetworkModel")
        m, s = self.model, data.settings
        m.fuel_index.set_value(s.fuel_index)
        m.co2_price.set_value(s.co2_price)
        m.carrying_rate.set_value(s.carrying_rate)
        fac = data.facilities.set_index("facility")
        for f, facility in enumerate(self.index.facilities["facility"]):
            m.throughput_cap[f].set_value(float(fac.at[facility, "throughput_capacity"]))
            m.storage_cap[f].set_value(float(fac.at[facility, "storage_capacity"]))
        for r, cap in enumerate(data.supply["capacity"].astype(float)):
            m.supply_cap[r].set_value(cap)
        self.data = data
        return self.session.update()

    def fix_design(self, design: Design) -> dict[str, int]:
        """Keep a design (open DCs, options, stocking points) and re-flow only."""
        ix, m = self.index, self.model
        for f, facility in enumerate(ix.facilities["facility"]):
            _pin(m.open[f], facility in design.open)
        for i, row in enumerate(ix.options.itertuples()):
            _pin(m.option[i], (row.facility, row.option) in design.options)
        if m.stock is not None:
            for k, row in enumerate(ix.pairs.itertuples()):
                _pin(m.stock[k], (row.product, row.facility) in design.stocked)
        return self.session.update()

    def release_design(self) -> dict[str, int]:
        """Undo :meth:`fix_design`: the design decisions are free again (the last solution stays
        the MIP start, so a re-optimisation is never worse than the fixed-design run)."""
        m = self.model
        for var in (*m.open.values(), *m.option.values(),
                    *(m.stock.values() if m.stock is not None else ())):
            if not var.fixed:
                var.setlb(0)
                var.setub(1)
        return self.session.update()


def number_only(base: ModelData, data: ModelData) -> bool:
    """``data`` differs from ``base`` only in numbers held by mutable parameters (fuel index, CO2
    price, carrying rate within the range the exact reductions cover, finite capacities)."""
    if data.settings.carrying_rate > MAX_CARRYING_RATE:
        return False
    if base.settings.model_copy(update={k: getattr(data.settings, k)
                                        for k in NUMBER_SETTINGS}) != data.settings:
        return False
    for name in base.TABLE_NAMES:
        old, new = base.table(name), data.table(name)
        columns = [c for t, c in NUMBER_COLUMNS if t == name]
        if old.shape != new.shape or list(old.columns) != list(new.columns):
            return False
        rest = [c for c in old.columns if c not in columns]
        if not old[rest].reset_index(drop=True).equals(new[rest].reset_index(drop=True)):
            return False
        for column in columns:
            if not np.array_equal(np.isfinite(old[column].astype(float)),
                                  np.isfinite(new[column].astype(float))):
                return False
    return True


def _pin(var: pyo.Var, on: bool) -> None:
    if var.fixed:
        return
    var.setlb(1 if on else 0)
    var.setub(1 if on else 0)


def _with_bound(outcome: SolveOutcome, bound: float) -> SolveOutcome:
    """``outcome`` with a better (higher) lower bound, e.g. the LP relaxation's after a time
    limit that stopped HiGHS before its own root bound."""
    bound = min(bound, outcome.objective)
    return replace(outcome, bound=bound, gap=relative_gap(outcome.objective, bound))


def _empty_results(outcome, build_seconds: float, size: dict, diagnosis: list[str]) -> Results:
    empty = pd.DataFrame()
    return Results(
        status=outcome.status, objective=None, bound=None, gap=None,
        solve_seconds=outcome.seconds, build_seconds=build_seconds, costs=pd.Series(dtype=float),
        facilities=empty, flows=empty, assignments=empty, inventory=empty, service=empty,
        strategy=empty, unmet=empty, model_size=size, diagnosis=diagnosis, solver_log=outcome.log,
    )


def solve(data: ModelData, *, time_limit: float | None = None, mip_gap: float | None = None,
          threads: int | None = None, progress: Progress | None = None,
          log_path: Path | None = None) -> Results:
    """Build and solve the network design MIP of ``data`` once."""
    return NetworkModel(data).solve(time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                                    progress=progress, log_path=log_path)


def fixed_network_model(base: ModelData, data: ModelData, **solve_options) -> NetworkModel:
    """Solve ``base``, keep its design, and return a model of ``data`` with that design fixed
    (the same persistent model when the change is number-only)."""
    model = NetworkModel(base)
    baseline = model.solve(**solve_options)
    if not baseline.ok:
        raise RuntimeError(f"baseline {baseline.status}: no design to keep")
    if model.accepts(data):
        model.update(data)
    else:
        model = NetworkModel(data)
    model.fix_design(Design.of(baseline))
    return model

