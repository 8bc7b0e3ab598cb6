"""Solve a model: build once, solve with HiGHS, re-solve after number-only changes.

``solve(data)`` is the one-shot entry point. :class:`NetworkModel` keeps the built Pyomo model and
its live HiGHS instance so that a scenario changing only numbers held in mutable parameters (fuel
index, CO2 price, carrying rate, finite capacities) is re-solved warm instead of rebuilt.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from netdesign.data import ModelData
from netdesign.network import MAX_CARRYING_RATE, build_network
from netdesign.optimization import preflight
from netdesign.optimization.costs import cost_floor
from netdesign.optimization.cuts import ProductLinking
from netdesign.optimization.extract import extract
from netdesign.optimization.highs import HighsSession, Progress, SolveOutcome
from netdesign.optimization.index import ModelIndex, build_index
from netdesign.optimization.model import build_model
from netdesign.optimization.search import Formulation, Search, write_log
from netdesign.results import Design, Results

#: gap (of the controllable cost) a design of another run is priced to
PRICE_GAP = 1e-4
#: settings a re-solve can take through mutable parameters
NUMBER_SETTINGS = ("fuel_index", "co2_price", "carrying_rate")
#: a time limit too short for any incumbent: the one suggested is this many times the LP
#: relaxation's time (the search solves it at the root, then MIPs of its size), at least
#: MIN_SUGGESTED_LIMIT; when even the LP did not finish, this many times the limit that was given
LP_TIME_FACTOR = 20
MIN_SUGGESTED_LIMIT = 30.0
#: (table, column) pairs a re-solve can take, as long as finite stays finite
NUMBER_COLUMNS = (
    ("facilities", "throughput_capacity"),
    ("facilities", "storage_capacity"),
    ("supply", "capacity"),
)


class NetworkModel:
    """A built network design MIP of one :class:`ModelData`, solvable many times.

    Two formulations of one index are kept live in HiGHS: ``exact`` (the model; results come
    from it) and ``design`` (its relaxation, for bounds; :mod:`netdesign.optimization.search`).
    ``model`` and ``session`` are the exact formulation's.
    """

    def __init__(self, data: ModelData):
        start = time.perf_counter()
        self.data = data
        index = build_index(build_network(data), data)
        self.estimate = preflight.estimate(index)
        preflight.check_fits(self.estimate, limit_gb=data.settings.solver.memory_limit_gb,
                             source=data.settings.name)
        self.model, self.index = build_model(data, index=index)
        self.floor = cost_floor(self.index)
        self.generate_seconds = time.perf_counter() - start
        self.session = HighsSession(self.model, floor=float(self.floor.sum()))
        self.exact = _formulation(self.model, self.index, self.session)
        self._design: Formulation | None = None
        self._pinned: Design | None = None
        self.build_seconds = time.perf_counter() - start

    @property
    def design(self) -> Formulation:
        """The design relaxation, built on first use (pricing a design needs only the exact
        formulation) with the model's current numbers and pinned design."""
        if self._design is None:
            start = time.perf_counter()
            model, _ = build_model(self.data, index=self.index, formulation="design")
            _set_numbers(model, self.index, self.data)
            if self._pinned is not None:
                _pin_design(model, self.index, self._pinned)
            self._design = _formulation(model, self.index,
                                        HighsSession(model, floor=self.session.floor))
            self.build_seconds += time.perf_counter() - start
        return self._design

    @property
    def size(self) -> dict[str, int]:
        return {**self.session.size, "flow_arcs": len(self.index.flows)}

    def solve(self, *, time_limit: float | None = None, mip_gap: float | None = None,
              threads: int | None = None, progress: Progress | None = None,
              log_path: Path | None = None) -> Results:
        """Solve to ``mip_gap`` of the controllable cost or until ``time_limit`` (defaults from
        the model's solver settings); see :mod:`netdesign.optimization.search` for how."""
        solver = self.data.settings.solver
        search = Search(
            self.exact, self.design, self.index,
            time_limit=time_limit if time_limit is not None else solver.time_limit,
            mip_gap=mip_gap if mip_gap is not None else solver.mip_gap,
            threads=threads or solver.threads, seed=solver.seed, progress=progress)
        if self.session.size["integer_columns"] > 0:
            outcome = search.run()
        else:
            outcome = self.session.solve(time_limit=search.clock.limit, mip_gap=search.mip_gap,
                                         threads=search.threads, seed=search.seed)
        write_log(log_path, outcome.log)
        if outcome.values is None:
            from netdesign.diagnose import diagnose

            diagnosis = diagnose(self.data) if outcome.status == "infeasible" else []
            if outcome.status == "time_limit":
                diagnosis = no_incumbent(search.clock.limit, search.lp_seconds, self.size)
            return _empty_results(outcome, self.build_seconds, self.size, diagnosis)
        return self._results(outcome)

    def answer(self, values: np.ndarray, bound: float, *, mip_gap: float, note: str) -> Results:
        """``values`` (a solution of this model's columns, priced at its current numbers) as the
        answer with ``bound``, a lower bound proven elsewhere (``note`` says how)."""
        session = self.session
        session.load(values)
        objective = session.cost_of(values)
        outcome = SolveOutcome("optimal", objective, min(bound, objective), 0.0,
                               f"netdesign: {note}\n", values, session.floor)
        status = "optimal" if outcome.gap <= mip_gap + 1e-12 else "time_limit"
        return self._results(replace(outcome, status=status))

    def _results(self, outcome: SolveOutcome) -> Results:
        return extract(self.model, self.index, outcome, self.build_seconds, self.size, self.floor)

    # -- designs of other runs ----------------------------------------------------------------

    def price_design(self, design: Design, *, bound: float | None, time_limit: float = 60.0,
                     mip_gap: float = PRICE_GAP, threads: int = 1) -> Results | None:
        """What ``design`` costs under this model's numbers: its DCs, options and stocking points
        fixed, flows and inventory re-optimised exactly (to ``mip_gap`` of the controllable
        cost). ``bound`` is this run's own lower bound, reported with the priced solution. None
        when the design is not feasible here (a DC this model has closed, a forced option left
        out, …); the model's previous solution is then kept as its start."""
        targets = self._design_columns(design)
        if targets is None:
            return None
        session, previous = self.session, self.session.last_values
        columns, values = targets
        session.last_values = None
        session.restrict(columns, lower=values, upper=values)
        outcome = session.solve(time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                                seed=self.data.settings.solver.seed)
        session.unrestrict(columns)
        if outcome.values is None:
            if previous is not None:
                session.load(previous)
            return None
        priced = outcome.objective
        return self._results(replace(outcome, bound=min(bound, priced) if bound is not None
                                     else None, status="optimal"))

    def design_bound(self, design: Design, threads: int = 1) -> float | None:
        """A lower bound on what ``design`` costs here, from the LP relaxation with the design
        fixed (math.inf when the design is not feasible here, None when unknown): far cheaper
        than :meth:`price_design`, and enough to rule out a design that cannot win."""
        targets = self._design_columns(design)
        if targets is None:
            return math.inf
        return self.session.relaxed_cost(*targets, threads=threads)

    def _design_columns(self, design: Design) -> tuple[np.ndarray, np.ndarray] | None:
        """HiGHS columns and values that fix ``design``; None when a fixed variable of this
        model contradicts it."""
        ix, m, position = self.index, self.model, self.session.compiled.position
        if not design.open <= set(ix.facilities["facility"]):
            return None
        wanted = [(m.open[f], facility in design.open)
                  for f, facility in enumerate(ix.facilities["facility"])]
        wanted += [(m.option[i], (row.facility, row.option) in design.options)
                   for i, row in enumerate(ix.options.itertuples())]
        if m.stock is not None:
            wanted += [(m.stock[k], (row.product, row.facility) in design.stocked)
                       for k, row in enumerate(ix.pairs.itertuples())]
        columns, values = [], []
        for var, on in wanted:
            if id(var) not in position:
                if round(var.value or 0.0) != on:
                    return None
                continue
            columns.append(position[id(var)])
            values.append(1.0 if on else 0.0)
        return np.array(columns, dtype=np.int32), np.array(values)

    # -- number-only changes ----------------------------------------------------------------------

    def accepts(self, data: ModelData) -> bool:
        """True when ``data`` differs from the built model only in mutable-parameter numbers."""
        return number_only(self.data, data)

    def update(self, data: ModelData) -> dict[str, int]:
        """Move mutable parameters to ``data``'s numbers and push the changes into HiGHS."""
        if not self.accepts(data):
            raise ValueError("the change is structural: build a new NetworkModel")
        for m in self._models:
            _set_numbers(m, self.index, data)
        self.data = data
        return self._update()

    def fix_design(self, design: Design) -> dict[str, int]:
        """Keep a design (open DCs, options, stocking points) and re-flow only."""
        self._pinned = design
        for m in self._models:
            _pin_design(m, self.index, design)
        return self._update()

    def release_design(self) -> dict[str, int]:
        """Undo :meth:`fix_design`: the design decisions are free again (the last solution stays
        the MIP start, so a re-optimisation is never worse than the fixed-design run)."""
        self._pinned = None
        for m in self._models:
            for var in (*m.open.values(), *m.option.values(),
                        *(m.stock.values() if m.stock is not None else ())):
                if not var.fixed:
                    var.setlb(0)
                    var.setub(1)
        return self._update()

    @property
    def _models(self) -> tuple[pyo.ConcreteModel, ...]:
        return (self.exact.model,) + ((self._design.model,) if self._design else ())

    def _update(self) -> dict[str, int]:
        """Push the models' changes into HiGHS; the exact formulation's counts are returned."""
        if self._design is not None:
            self._design.session.update()
        return self.exact.session.update()


def no_incumbent(limit: float, lp_seconds: float | None, size: dict[str, int]) -> list[str]:
    """What a run stopped by its time limit before any solution says, with a limit to try."""
    if lp_seconds is None:
        measured = "the LP relaxation did not finish in that time"
        suggested = LP_TIME_FACTOR * limit
    else:
        measured = f"the LP relaxation took {lp_seconds:.1f} s"
        suggested = LP_TIME_FACTOR * lp_seconds
    suggested = max(MIN_SUGGESTED_LIMIT, 10.0 * math.ceil(suggested / 10.0))
    return [f"no incumbent was found within the time limit of {limit:g} s ({measured}; the "
            f"model has {size['columns']:,} columns, {size['integer_columns']:,} of them "
            f"integer, and {size['rows']:,} rows): try a time limit of at least "
            f"{suggested:g} s (--time-limit or solver.time_limit)"]


def _set_numbers(m: pyo.ConcreteModel, ix: ModelIndex, data: ModelData) -> None:
    """Move a model's mutable parameters to ``data``'s numbers."""
    s = data.settings
    m.fuel_index.set_value(s.fuel_index)
    m.co2_price.set_value(s.co2_price)
    m.carrying_rate.set_value(s.carrying_rate)
    fac = data.facilities.set_index("facility")
    for f, facility in enumerate(ix.facilities["facility"]):
        m.throughput_cap[f].set_value(float(fac.at[facility, "throughput_capacity"]))
        m.storage_cap[f].set_value(float(fac.at[facility, "storage_capacity"]))
    for r, cap in enumerate(data.supply["capacity"].astype(float)):
        m.supply_cap[r].set_value(cap)


def _pin_design(m: pyo.ConcreteModel, ix: ModelIndex, design: Design) -> None:
    for f, facility in enumerate(ix.facilities["facility"]):
        _pin(m.open[f], facility in design.open)
    for i, row in enumerate(ix.options.itertuples()):
        _pin(m.option[i], (row.facility, row.option) in design.options)
    if m.stock is not None:
        for k, row in enumerate(ix.pairs.itertuples()):
            _pin(m.stock[k], (row.product, row.facility) in design.stocked)


def _formulation(model: pyo.ConcreteModel, index: ModelIndex,
                 session: HighsSession) -> Formulation:
    return Formulation(model, session, ProductLinking(model, index, session))


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


#: status changes that only take a choice away: (table, from, to)
NARROWING = {
    ("facilities", "existing", "forced_open"), ("facilities", "existing", "forced_closed"),
    ("facilities", "candidate", "forced_open"), ("facilities", "candidate", "forced_closed"),
    ("facility_options", "available", "forced"), ("facility_options", "available", "excluded"),
}


def narrows(base: ModelData, data: ModelData) -> bool:
    """True when ``data`` only takes choices away from ``base``: DC or option statuses moved from
    free to forced (:data:`NARROWING`), or the product-to-node strategy fixed where ``base``
    leaves it free. Every design ``data`` allows is then one ``base`` allows, at the same cost,
    so ``base``'s lower bound bounds ``data``'s optimum (exact reductions only: the approximate
    ``nearest_dcs`` picks lanes from the statuses)."""
    if base.settings.reductions.nearest_dcs is not None:
        return False
    strategy = data.settings.strategy if base.settings.strategy == "free" else \
        base.settings.strategy
    if base.settings.model_copy(update={"strategy": strategy}) != data.settings:
        return False
    for name in base.TABLE_NAMES:
        old, new = base.table(name), data.table(name)
        if old.shape != new.shape or list(old.columns) != list(new.columns):
            return False
        statuses = name in ("facilities", "facility_options")
        rest = [c for c in old.columns if not (statuses and c == "status")]
        if not old[rest].reset_index(drop=True).equals(new[rest].reset_index(drop=True)):
            return False
        if statuses:
            before, after = old["status"].to_numpy(), new["status"].to_numpy()
            moved = before != after
            if any((name, a, b) not in NARROWING for a, b in zip(before[moved], after[moved],
                                                                  strict=True)):
                return False
    return True


def _pin(var: pyo.Var, on: bool) -> None:
    if var.fixed:
        return
    var.setlb(1 if on else 0)
    var.setub(1 if on else 0)


def _empty_results(outcome, build_seconds: float, size: dict, diagnosis: list[str]) -> Results:
    empty = pd.DataFrame()
    return Results(
        status=outcome.status, objective=None, bound=None, gap=None, gap_total=None,
        floor=outcome.floor,
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

