"""One network for many futures: a two-stage stochastic design across a scenario set.

The **first stage** is the design, chosen once: which DCs are open (y_j), which options are bought
(o_jk) and, where a strategy needs stocking decisions, which products are stocked where (s_pj).
The **second stage** is everything else of one scenario s (flows, inventory, unmet demand), chosen
after s is known. With C_s(x) the total landed cost of design x in scenario s at its best recourse
and p_s the scenario's probability, the extensive form (Birge & Louveaux, *Introduction to
Stochastic Programming*, 2nd ed., §2.1 and ch. 4) is one MIP: every scenario's own model as one
``pyo.Block`` (the builder's constraint and cost families, :func:`netdesign.optimization.model.
populate`), the design variables at the top, and non-anticipativity rows y_j = y_j^s, o_jk =
o_jk^s, s_pj = s_pj^s linking each block's copies to them by entity key (facility, option,
product × facility), never by position. Objectives:

* ``expected``: min Σ_s p_s C_s;
* ``regret``: min max_s (C_s − C*_s), with C*_s each scenario's own optimum (its incumbent, solved
  alone first), linear through R ≥ C_s − C*_s ∀s, min R;
* ``cvar``: min CVaR_α(C) = min_η η + 1/(1 − α) Σ_s p_s u_s, u_s ≥ C_s − η, u_s ≥ 0 (Rockafellar &
  Uryasev 2000, eq. 17, the linear form for finitely many scenarios); α → 0 is the expectation.

**A DC a scenario loses.** A facility ``forced_closed`` in scenario s is absent from that block
(the index holds usable DCs only), yet the first stage may still build or keep it for the other
scenarios. Its design decision is then charged in s as well: C_s gets (f_j + [j not existing] ·
CapEx_j · CRF(i, life_j)) · y_j and, for each option of j, CapEx_jk · CRF(i, life_jk) · o_jk
(the option's yearly opex change is not charged: the DC does not operate in s), at scenario s's
own numbers. The same charge is added wherever a design is priced in such a scenario
(:func:`lost_facility_costs`). A DC forced open or an option forced or excluded in some scenario
binds the first stage (a design must be feasible in every future): the linking rows carry the
block's fixed value to the top. Only DCs usable in at least one scenario are first-stage.

**Value of information and of the stochastic solution** (Birge & Louveaux, §4.1–4.2): RP the
recourse problem's optimum (the extensive form with the expected objective), WS = Σ_s p_s z*_s
(wait-and-see: each scenario's own optimum), EEV = Σ_s p_s C_s(x̄) with x̄ the design of the
mean-value problem (:func:`mean_value_data`). EVPI = RP − WS ≥ 0 and VSS = EEV − RP ≥ 0. Every
MIP ends with an incumbent U and a bound L, so each is reported with the interval those bounds
guarantee (:class:`netdesign.certify.Interval`): EVPI ∈ [L_RP − U_WS, U_RP − L_WS], VSS ∈
[L_EEV − U_RP, U_EEV − L_RP], each low end at least 0 (WS ≤ RP ≤ EEV, §4.3), with L_RP the
better of the extensive form's bound and Σ_s p_s L_s (the wait-and-see bound bounds RP too).

**Start.** The likeliest scenario's own design, priced in every scenario alone, is copied into
the blocks as the MIP start (:func:`_start`), so the extensive form has an incumbent to improve
even when its size keeps HiGHS from finding one in the time limit.

**Gap.** HiGHS gets the objective less the probability-weighted floor Σ_s p_s floor_s
(:func:`netdesign.optimization.costs.cost_floor`), so the MIP gap of ``expected`` and ``cvar`` is on
the expected controllable cost (CVaR_α ≥ E ≥ the weighted floor). For ``regret`` the objective is
itself a difference of costs; its floor is set to −Σ_s p_s (C*_s − floor_s), so its gap is the
regret's absolute gap over (regret + expected controllable wait-and-see cost): the same scale.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from netdesign.certify import Bounds, Interval, npv_interval
from netdesign.data import ModelData
from netdesign.errors import ScenarioError
from netdesign.formulas import crf
from netdesign.io import RawModel, read_model
from netdesign.network import build_network
from netdesign.optimization.costs import cost_floor
from netdesign.optimization.highs import HighsSession, SolveOutcome, relative_gap
from netdesign.optimization.index import ModelIndex, build_index
from netdesign.optimization.model import populate
from netdesign.results import Design, Results
from netdesign.scenario import Scenario, apply_scenario, load_scenarios
from netdesign.schema import Settings
from netdesign.solve import NetworkModel

OBJECTIVES = ("expected", "regret", "cvar")
#: tolerance of Σ p_s = 1
PROBABILITY_TOLERANCE = 1e-6
#: tables whose cells the mean-value problem averages or requires equal
MEAN_TABLES = ("products", "suppliers", "supply", "facilities", "facility_options", "customers",
               "demand", "modes", "lanes", "demand_history", "demand_profile")


@dataclass(frozen=True)
class Case:
    """One scenario of the set: its run id, source file, probability and validated data."""

    name: str
    source: str
    probability: float
    data: ModelData
    as_is: ModelData | None = None  # today's network in this scenario (the CapEx reference)


@dataclass(frozen=True)
class ScenarioRow:
    """The chosen design in one scenario beside that scenario's own optimum."""

    scenario: str
    probability: float
    cost: Bounds  # the chosen design priced here (recourse re-optimised), incumbent and bound
    own: Bounds  # the scenario's own optimum (wait-and-see)
    own_gap: float | None  # its gap on the controllable cost
    npv: Interval | None = None  # CapEx case against today's network in this scenario

    @property
    def regret(self) -> Interval:
        """C_s(x̂) − z*_s ∈ [L_cost − U_own, U_cost − L_own]."""
        point = self.cost.objective - self.own.objective
        return Interval(point, point - self.cost.slack, point + self.own.slack)


@dataclass(frozen=True)
class RobustResult:
    """What :func:`solve_robust` found: the design, its cost in every scenario, VSS and EVPI."""

    objective: str
    alpha: float
    status: str
    value: float | None  # the robust objective's incumbent (expected cost, worst regret or CVaR)
    bound: float | None
    gap: float | None  # on the controllable cost (module docstring)
    solve_seconds: float
    build_seconds: float
    size: dict[str, int]
    design: Design | None
    rows: list[ScenarioRow] = field(default_factory=list)
    rp: Bounds | None = None  # expected cost of the recourse problem (objective "expected" only)
    ws: Bounds | None = None
    eev: Bounds | None = None
    mean_value_design: Design | None = None
    mean_value_note: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.design is not None

    @property
    def expected_cost(self) -> float | None:
        """Σ_s p_s C_s(x̂) of the chosen design, each C_s priced with the design fixed."""
        if not self.rows:
            return None
        return float(sum(r.probability * r.cost.objective for r in self.rows))

    @property
    def worst_regret(self) -> float | None:
        if not self.rows:
            return None
        return max(r.regret.point for r in self.rows)

    @property
    def cvar(self) -> float | None:
        """CVaR_α of the chosen design's priced costs."""
        if not self.rows:
            return None
        return cvar([r.cost.objective for r in self.rows], [r.probability for r in self.rows],
                    self.alpha)

    @property
    def loss_probability(self) -> tuple[float, float, float] | None:
        """P(NPV < 0) of the CapEx case against today's network: (point, low, high), the range
        from the NPV intervals (low: only scenarios whose whole interval is below 0; high: every
        scenario whose interval reaches below 0). None without a CapEx case in every scenario."""
        if not self.rows or any(r.npv is None for r in self.rows):
            return None
        return (sum(r.probability for r in self.rows if r.npv.point < 0),
                sum(r.probability for r in self.rows if r.npv.high < 0),
                sum(r.probability for r in self.rows if r.npv.low < 0))

    @property
    def evpi(self) -> Interval | None:
        """EVPI = RP − WS ∈ [max(L_RP − U_WS, 0), U_RP − L_WS] (Birge & Louveaux §4.1; EVPI ≥ 0,
        §4.3)."""
        if self.rp is None or self.ws is None:
            return None
        point = self.rp.objective - self.ws.objective
        return Interval(point, max(point - self.rp.slack, 0.0), point + self.ws.slack)

    @property
    def vss(self) -> Interval | None:
        """VSS = EEV − RP ∈ [max(L_EEV − U_RP, 0), U_EEV − L_RP] (Birge & Louveaux §4.2; VSS ≥ 0,
        §4.3)."""
        if self.rp is None or self.eev is None or not math.isfinite(self.eev.objective):
            return None
        point = self.eev.objective - self.rp.objective
        return Interval(point, max(point - self.eev.slack, 0.0), point + self.rp.slack)

    def table(self) -> pd.DataFrame:
        """The regret table: one row per scenario."""
        return pd.DataFrame([{
            "scenario": r.scenario, "probability": r.probability,
            "cost": r.cost.objective, "cost_bound": r.cost.bound,
            "own_optimum": r.own.objective, "own_bound": r.own.bound, "own_gap": r.own_gap,
            "regret": r.regret.point, "regret_low": r.regret.low, "regret_high": r.regret.high,
            "npv": r.npv.point if r.npv else None, "npv_low": r.npv.low if r.npv else None,
            "npv_high": r.npv.high if r.npv else None,
        } for r in self.rows])

    def summary(self) -> dict[str, Any]:
        """Everything as JSON-ready values."""
        def interval(i: Interval | None) -> dict | None:
            return None if i is None else {"point": i.point, "low": i.low, "high": i.high,
                                           "significant": i.significant}

        def bounds(b: Bounds | None) -> dict | None:
            return None if b is None else {"objective": b.objective, "bound": b.bound}

        def design(d: Design | None) -> dict | None:
            return None if d is None else {
                "open": sorted(d.open), "options": [list(o) for o in sorted(d.options)],
                "stocked": [list(s) for s in sorted(d.stocked)]}

        return {
            "objective": self.objective, "alpha": self.alpha, "status": self.status,
            "value": self.value, "bound": self.bound, "gap": self.gap,
            "solve_seconds": round(self.solve_seconds, 3),
            "build_seconds": round(self.build_seconds, 3), "model_size": self.size,
            "design": design(self.design), "expected_cost": self.expected_cost,
            "worst_regret": self.worst_regret, "cvar": self.cvar,
            "scenarios": self.table().to_dict(orient="records"),
            "rp": bounds(self.rp), "ws": bounds(self.ws), "eev": bounds(self.eev),
            "evpi": interval(self.evpi), "vss": interval(self.vss),
            "mean_value_design": design(self.mean_value_design),
            "mean_value_note": self.mean_value_note, "notes": self.notes,
            "loss_probability": self.loss_probability,
        }


# -- scenarios -------------------------------------------------------------------------------------


def load_cases(raw_or_path: RawModel | str | Path, scenario_paths: list[str | Path],
               as_is: str | Path | None = None) -> list[Case]:
    """Every scenario of the files (a sweep file gives one per point) applied to the model (a
    file's ``model:`` key, when given, must name it) and validated, with its weight: the files'
    ``probability:`` (a sweep file's split equally over its points), which must then be given
    by every file and sum to 1 within :data:`PROBABILITY_TOLERANCE`; equal weights when no file
    gives one. With ``as_is`` (a scenario file of today's network, one point), each case also
    gets today's network in that future: the scenario with the as-is file's changes appended and
    its settings merged over the scenario's (top-level keys; a cell both write is a collision)."""
    raw = raw_or_path if isinstance(raw_or_path, RawModel) else read_model(raw_or_path)
    scenarios = [s for path in scenario_paths for s in load_scenarios(path)]
    if not scenarios:
        raise ScenarioError("a robust design needs at least one scenario file")
    for s in scenarios:  # one network: every file must start from the model given
        if s.model is not None and s.model != Path(raw.source).resolve():
            raise ScenarioError(f"{s.source}: model {s.model} is not {raw.source}: the scenarios "
                                "of a robust design must all start from the model given")
    for s in scenarios:
        if s.mode != "reoptimize":
            raise ScenarioError(f"{s.source}: mode {s.mode!r}: a robust design chooses the "
                                "network, so every scenario must be 'reoptimize'")
    given = [s.probability is not None for s in scenarios]
    if any(given) and not all(given):
        missing = sorted({s.source for s in scenarios if s.probability is None})
        raise ScenarioError(f"{', '.join(missing)}: no 'probability:' while other scenario "
                            "files give one (give every file a probability, or none)")
    if all(given):
        total = sum(s.probability for s in scenarios)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            listed = ", ".join(f"{s.run_id}={s.probability:g}" for s in scenarios)
            raise ScenarioError(f"scenario probabilities sum to {total:.9g}, not 1 ({listed})")
        weights = [s.probability / total for s in scenarios]
    else:
        weights = [1.0 / len(scenarios)] * len(scenarios)
    names = [s.run_id for s in scenarios]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ScenarioError(f"scenario names repeat: {', '.join(repeated)}")
    today = None
    if as_is is not None:
        found = load_scenarios(as_is)
        if len(found) != 1:
            raise ScenarioError(f"{as_is}: today's network must be one scenario, not a sweep")
        today = found[0]

    def with_today(s: Scenario) -> ModelData | None:
        if today is None:
            return None
        both = replace(s, name=f"{s.name}+{today.name}", settings={**s.settings,
                                                                    **today.settings},
                       changes=s.changes + today.changes, source=f"{s.source} + {today.source}")
        return apply_scenario(raw, both).data

    return [Case(s.run_id, s.source, w, apply_scenario(raw, s).data, with_today(s))
            for s, w in zip(scenarios, weights, strict=True)]


# -- the extensive form ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstStage:
    """Keys of the design variables: DCs usable in some scenario, their options, stocking pairs
    of scenarios whose strategy has stocking binaries; and each DC's status where usable."""

    facilities: list[str]
    options: list[tuple[str, str]]
    pairs: list[tuple[str, str]]
    status: dict[str, str]

    @classmethod
    def of(cls, indexes: list[ModelIndex]) -> FirstStage:
        facilities: dict[str, str] = {}
        options: dict[tuple[str, str], None] = {}
        pairs: dict[tuple[str, str], None] = {}
        for ix in indexes:
            for f, status in zip(ix.facilities["facility"], ix.facilities["status"], strict=True):
                facilities.setdefault(f, status)
            options.update(dict.fromkeys(zip(ix.options["facility"], ix.options["option"],
                                             strict=True)))
            if ix.use_stock:
                pairs.update(dict.fromkeys(zip(ix.pairs["product"], ix.pairs["facility"],
                                               strict=True)))
        return cls(list(facilities), list(options), list(pairs), facilities)


def lost_facility_costs(data: ModelData, design: FirstStage | Design,
                        status: dict[str, str]) -> tuple[dict[str, float],
                                                         dict[tuple[str, str], float]]:
    """Yearly charge, in scenario ``data``, of each first-stage DC it does not let operate
    (``forced_closed`` there) and of each option at such a DC: fixed cost + annualised CapEx
    (when the DC is not existing where usable, ``status``) per DC, annualised CapEx per option,
    at this scenario's discount rate (module docstring)."""
    s = data.settings
    fac = data.facilities.set_index("facility")
    closed = set(fac.index[fac["status"] == "forced_closed"])
    wanted = design.facilities if isinstance(design, FirstStage) else design.open
    per_dc = {}
    for f in wanted:
        if f in closed:
            row = fac.loc[f]
            capex = 0.0 if status.get(f) == "existing" else float(row["capex"]) * crf(
                s.discount_rate, row["capex_life_years"])
            per_dc[f] = float(row["fixed_cost"]) + capex
    opts = data.facility_options
    per_option = {}
    for row in opts.itertuples():
        key = (row.facility, row.option)
        if row.facility in per_dc:
            per_option[key] = float(row.capex) * crf(s.discount_rate, row.life_years)
    return per_dc, per_option


@dataclass
class Extensive:
    """The extensive form: the Pyomo model, its blocks' indexes and its first stage."""

    model: pyo.ConcreteModel
    indexes: list[ModelIndex]
    first: FirstStage
    floor: float
    build_seconds: float

    def design(self) -> Design:
        """The first-stage decisions at the model's current values."""
        m, first = self.model, self.first
        return Design(
            frozenset(f for i, f in enumerate(first.facilities) if _on(m.open[i])),
            frozenset(o for i, o in enumerate(first.options) if _on(m.option[i])),
            frozenset(p for i, p in enumerate(first.pairs) if _on(m.stock[i])))


def _on(var: pyo.Var) -> bool:
    return (var.value or 0.0) > 0.5


def build_extensive(cases: list[Case], objective: str = "expected", alpha: float = 0.9,
                    own_optima: list[float] | None = None,
                    indexes: list[ModelIndex] | None = None) -> Extensive:
    """One Pyomo model of every scenario (module docstring). ``own_optima`` (C*_s) is needed for
    ``regret``."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
    if objective == "cvar" and not 0.0 <= alpha < 1.0:
        raise ValueError(f"alpha must be in [0, 1), not {alpha}")
    if objective == "regret" and (own_optima is None or len(own_optima) != len(cases)):
        raise ValueError("the regret objective needs each scenario's own optimum")
    start = time.perf_counter()
    indexes = indexes or [build_index(build_network(c.data), c.data) for c in cases]
    first = FirstStage.of(indexes)
    p = [c.probability for c in cases]
    with PauseGC():
        m = pyo.ConcreteModel(name="robust")
        m.open = pyo.Var(range(len(first.facilities)), within=pyo.Binary)
        m.option = pyo.Var(range(len(first.options)), within=pyo.Binary)
        m.stock = pyo.Var(range(len(first.pairs)), within=pyo.Binary)
        m.scenario = pyo.Block(range(len(cases)))
        links = []
        extras = []
        fac_pos = {f: i for i, f in enumerate(first.facilities)}
        opt_pos = {o: i for i, o in enumerate(first.options)}
        pair_pos = {q: i for i, q in enumerate(first.pairs)}
        for s, ix in enumerate(indexes):
            b = m.scenario[s]
            populate(b, ix)
            b.total_cost.deactivate()
            for f, facility in enumerate(ix.facilities["facility"]):
                links.append((m.open[fac_pos[facility]], b.open[f]))
            for k, key in enumerate(zip(ix.options["facility"], ix.options["option"],
                                        strict=True)):
                links.append((m.option[opt_pos[key]], b.option[k]))
            if ix.use_stock:
                for k, key in enumerate(zip(ix.pairs["product"], ix.pairs["facility"],
                                            strict=True)):
                    links.append((m.stock[pair_pos[key]], b.stock[k]))
            per_dc, per_option = lost_facility_costs(cases[s].data, first, first.status)
            extras.append(sum(cost * m.open[fac_pos[f]] for f, cost in per_dc.items() if cost)
                          + sum(cost * m.option[opt_pos[o]] for o, cost in per_option.items()
                                if cost and o in opt_pos))
        m.nonanticipativity = pyo.Constraint(
            range(len(links)), rule=lambda m, i: links[i][1] - links[i][0] == 0)
        m.scenario_cost = pyo.Var(range(len(cases)), within=pyo.Reals)
        m.scenario_cost_definition = pyo.Constraint(
            range(len(cases)), rule=lambda m, s: m.scenario_cost[s]
            == m.scenario[s].total_cost.expr + extras[s])
        floors = [float(cost_floor(ix).sum()) for ix in indexes]
        floor = float(np.dot(p, floors))
        S = range(len(cases))
        if objective == "expected":
            m.objective = pyo.Objective(expr=sum(p[s] * m.scenario_cost[s] for s in S))
        elif objective == "regret":
            m.worst_regret = pyo.Var(within=pyo.Reals)
            m.regret = pyo.Constraint(S, rule=lambda m, s: m.scenario_cost[s] - m.worst_regret
                                      <= own_optima[s])
            m.objective = pyo.Objective(expr=m.worst_regret)
            floor = -float(np.dot(p, np.subtract(own_optima, floors)))
        else:
            m.eta = pyo.Var(within=pyo.Reals)
            m.excess = pyo.Var(S, within=pyo.NonNegativeReals)
            m.tail = pyo.Constraint(S, rule=lambda m, s: m.excess[s] >= m.scenario_cost[s]
                                    - m.eta)
            m.objective = pyo.Objective(expr=m.eta + 1.0 / (1.0 - alpha) * sum(
                p[s] * m.excess[s] for s in S))
    return Extensive(m, indexes, first, floor, time.perf_counter() - start)


# -- the mean-value problem ------------------------------------------------------------------------


def mean_value_data(cases: list[Case]) -> tuple[ModelData | None, str]:
    """The mean-value (expected-value) problem: the model with every random number at its
    expectation (Birge & Louveaux §4.2), and a note saying what was averaged.

    Exactly: every numeric cell of a table (same rows, same columns in every scenario) and every
    numeric setting that differs across scenarios is replaced by Σ_s p_s v_s (so demand rows
    scaled by multipliers m_s get base · Σ_s p_s m_s; fuel index and CO2 price their means);
    DC statuses merge as the first stage sees them (``forced_open`` if forced open in any
    scenario, ``forced_closed`` only if closed in all, else the usable status), option statuses
    ``forced`` if forced in any, ``excluded`` if excluded in any. Any other difference (rows
    added or removed, text cells, text settings) leaves the problem undefined: (None, why)."""
    p = np.array([c.probability for c in cases])
    base = cases[0].data
    averaged: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    for name in MEAN_TABLES:
        frames = [c.data.table(name) for c in cases]
        first = frames[0]
        for f in frames[1:]:
            if list(f.columns) != list(first.columns) or not f.index.equals(first.index):
                return None, f"table {name} has different rows or columns across scenarios"
        out = first.copy()
        for column in first.columns:
            cells = [f[column] for f in frames]
            if all(c.equals(cells[0]) for c in cells[1:]):
                continue
            if column == "status" and name in ("facilities", "facility_options"):
                out[column] = [_merged_status(name, list(v)) for v in zip(*cells, strict=True)]
                averaged.append(f"{name}.status (merged)")
                continue
            if not (pd.api.types.is_numeric_dtype(first[column])
                    and not pd.api.types.is_bool_dtype(first[column])):
                return None, f"{name}.{column} differs across scenarios and is not a number"
            values = np.column_stack([c.to_numpy(dtype=float) for c in cells])
            mean = _weighted(values, p)
            if pd.api.types.is_integer_dtype(first[column]):
                if not np.allclose(mean, np.round(mean)):
                    return None, f"{name}.{column} is an integer whose mean is not"
                mean = np.round(mean).astype(first[column].dtype)
            out[column] = mean
            averaged.append(f"{name}.{column}")
        tables[name] = out
    settings, why = _mean_settings([c.data.settings for c in cases], p, averaged)
    if settings is None:
        return None, why
    note = ("mean-value problem: probability-weighted means of " + ", ".join(averaged)
            if averaged else "mean-value problem: the scenarios do not differ")
    return base.evolve(settings, **tables), note


def _weighted(values: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Σ_s p_s v_s per row, with p_s = 0 terms left out (0 · ∞ is not 0 in floating point)."""
    used = p > 0
    return (values[:, used] * p[used]).sum(axis=1)


def _merged_status(table: str, statuses: list[str]) -> str:
    if table == "facilities":
        if "forced_open" in statuses:
            return "forced_open"
        usable = [s for s in statuses if s != "forced_closed"]
        return usable[0] if usable else "forced_closed"
    if "forced" in statuses:
        return "forced"
    return "excluded" if "excluded" in statuses else statuses[0]


def _mean_settings(all_settings: list[Settings], p: np.ndarray,
                   averaged: list[str]) -> tuple[Settings | None, str]:
    dumps = [s.model_dump() for s in all_settings]

    def merge(values: list[Any], path: str) -> tuple[Any, str]:
        if all(v == values[0] for v in values[1:]):
            return values[0], ""
        if all(isinstance(v, dict) for v in values) and all(
                v.keys() == values[0].keys() for v in values):
            out = {}
            for key in values[0]:
                out[key], why = merge([v[key] for v in values], f"{path}{key}.")
                if why:
                    return None, why
            return out, ""
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            averaged.append(f"settings.{path.rstrip('.')}")
            return float(_weighted(np.array([values], dtype=float), p)[0]), ""
        return None, f"setting {path.rstrip('.')} differs across scenarios and is not a number"

    merged, why = merge(dumps, "")
    if why:
        return None, why
    return Settings.model_validate(merged), ""


# -- solving ---------------------------------------------------------------------------------------


def cvar(costs: list[float], probabilities: list[float], alpha: float) -> float:
    """CVaR_α = min_η η + 1/(1 − α) Σ_s p_s (C_s − η)⁺ (Rockafellar & Uryasev 2000, eq. 4): the
    minimum is at a cost value (the α-quantile), so every C_s is tried."""
    c, p = np.asarray(costs, dtype=float), np.asarray(probabilities, dtype=float)
    return float(min(eta + np.dot(p, np.maximum(c - eta, 0.0)) / (1.0 - alpha) for eta in c))


@dataclass(frozen=True)
class Priced:
    """A design priced in one scenario: total cost bounds (the charge of lost DCs included), the
    gap of the fixed-design MIP, its results (without the charge) and the charge."""

    bounds: Bounds
    gap: float | None
    results: Results
    charge: float
    results_model: pyo.ConcreteModel | None = None  # holds the values until the next solve


def price(model: NetworkModel, design: Design, data: ModelData, status: dict[str, str], *,
          time_limit: float, mip_gap: float, threads: int) -> Priced | None:
    """What ``design`` costs in the scenario of ``model``: its DCs, options and stocking points
    fixed, the recourse re-optimised to ``mip_gap``, plus the charge of DCs the scenario does not
    let operate (:func:`lost_facility_costs`). None when the design is not feasible there."""
    usable = set(model.index.facilities["facility"])
    here = Design(design.open & usable, frozenset(o for o in design.options if o[0] in usable),
                  frozenset(q for q in design.stocked if q[1] in usable))
    targets = model._design_columns(here)
    if targets is None:
        return None
    per_dc, per_option = lost_facility_costs(data, design, status)
    charge = sum(per_dc.values()) + sum(c for o, c in per_option.items() if o in design.options)
    session = model.session
    columns, values = targets
    session.last_values = None
    session.restrict(columns, lower=values, upper=values)
    try:
        outcome = session.solve(time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                                seed=data.settings.solver.seed)
    finally:
        session.unrestrict(columns)
    if outcome.values is None:
        return None
    results = model._results(outcome)
    return Priced(Bounds(outcome.objective + charge, outcome.bound + charge), outcome.gap,
                  results, charge, model.model)


def _npv(case: Case, at: Priced, today: Results, notes: list[str]) -> Interval | None:
    """NPV of moving from today's network to the chosen design in one scenario
    (:func:`netdesign.finance.capex_case`), widened by both runs' slacks
    (:func:`netdesign.certify.npv_interval`); None (with a note) when it cannot be stated."""
    from netdesign.finance import capex_case

    if not today.ok:
        notes.append(f"{case.name}: today's network is {today.status} there: no CapEx case")
        return None
    if at.charge > 0:
        notes.append(f"{case.name}: the design builds a DC this scenario closes; its CapEx case "
                     "is not stated (the DC is not in that scenario's results)")
        return None
    s = case.data.settings
    cc = capex_case(case.as_is, today, case.data, at.results)
    return npv_interval(cc.npv, at.bounds, Bounds(today.objective, _bound(today)),
                        rate=s.discount_rate, tax_rate=s.tax_rate, years=int(s.horizon_years))


def _start(session: HighsSession, ext: Extensive, design: Design, at: list[Priced],
           own_optima: list[float], alpha: float) -> None:
    """A MIP start for the extensive form: ``design`` with each block's recourse copied from the
    design priced in that scenario alone (``at``, whose values the scenario models hold; the
    blocks are built by the same :func:`~netdesign.optimization.model.populate` from the same
    index, so variables match by component name and index), the scenario costs evaluated, and
    the objective's auxiliaries set feasibly (R = max regret; η = max cost, u = 0). Far cheaper
    than solving the whole extensive form with the design fixed, and HiGHS can spend a long
    limit on a large extensive form without finding an incumbent of its own."""
    m, first = ext.model, ext.first
    for i, f in enumerate(first.facilities):
        m.open[i].set_value(1.0 if f in design.open else 0.0)
    for i, o in enumerate(first.options):
        m.option[i].set_value(1.0 if o in design.options else 0.0)
    for i, q in enumerate(first.pairs):
        m.stock[i].set_value(1.0 if q in design.stocked else 0.0)
    costs = []
    for s, priced in enumerate(at):
        block, alone = m.scenario[s], priced.results_model
        for component in block.component_objects(pyo.Var, descend_into=False):
            other = alone.component(component.local_name)
            for key, var in component.items():
                if not var.fixed:
                    var.set_value(other[key].value, skip_validation=True)
        costs.append(priced.bounds.objective)
        m.scenario_cost[s].set_value(costs[-1])
    if hasattr(m, "worst_regret"):
        m.worst_regret.set_value(max(c - o for c, o in zip(costs, own_optima, strict=True)))
    if hasattr(m, "eta"):
        m.eta.set_value(max(costs))
        for s in m.excess:
            m.excess[s].set_value(0.0)
    session.start_from_model_values()


def _bound(results: Results) -> float:
    return results.bound if results.bound is not None else -math.inf


def solve_robust(raw_or_path: RawModel | str | Path, scenario_paths: list[str | Path], *,
                 objective: str = "expected", alpha: float = 0.9,
                 time_limit: float | None = None, mip_gap: float | None = None,
                 threads: int = 1, as_is: str | Path | None = None,
                 say: Callable[[str], None] | None = None) -> RobustResult:
    """The design that minimises ``objective`` over the scenarios of ``scenario_paths`` applied to
    the model (module docstring), with its regret table, EVPI and VSS. ``time_limit`` and
    ``mip_gap`` (of the controllable cost) apply to each MIP solved; defaults from the first
    scenario's solver settings; ``say`` hears one line per stage, with its time. ``as_is``: a
    scenario file of today's network (e.g. ``scenarios/as_is.yaml``), applied on top of every
    scenario, for the CapEx case of the design against it in each (NPV and P(NPV < 0))."""
    clock = time.perf_counter()

    def stage(text: str) -> None:
        if say is not None:
            say(f"[{time.perf_counter() - clock:7.1f}s] {text}")

    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, not {objective!r}")
    cases = load_cases(raw_or_path, scenario_paths, as_is=as_is)
    stage(f"{len(cases)} scenarios applied and validated")
    solver = cases[0].data.settings.solver
    time_limit = solver.time_limit if time_limit is None else time_limit
    mip_gap = solver.mip_gap if mip_gap is None else mip_gap
    options = dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    notes: list[str] = []

    # wait-and-see: each scenario alone
    models: list[NetworkModel] = []
    own: list[Results] = []
    for case in cases:
        models.append(NetworkModel(case.data))
        own.append(models[-1].solve(**options))
        gap = "-" if own[-1].gap is None else f"{100 * own[-1].gap:.2f}%"
        stage(f"{case.name} alone: {own[-1].status}, {own[-1].objective or math.nan:,.0f} "
              f"(gap {gap}) in {own[-1].solve_seconds:.1f}s")
    failed = [(case, result) for case, result in zip(cases, own, strict=True) if not result.ok]
    if failed:
        # an infeasible future admits no shared design (exit 3); one without a solution in the
        # time limit leaves C*_s unknown (exit 4: a longer limit is the remedy)
        status = "infeasible" if any(r.status == "infeasible" for _, r in failed) else (
            failed[0][1].status)
        why = [f"scenario {c.name} ({c.source}) solved alone: {r.status}"
               + ("" if r.ok or r.status == "infeasible" else " without a solution (try a longer "
                  "--time-limit)") for c, r in failed]
        return RobustResult(objective, alpha, status, None, None, None, 0.0, 0.0, {}, None,
                            notes=why + [line for _, r in failed for line in r.diagnosis])
    own_bounds = [Bounds(r.objective, r.bound if r.bound is not None else -math.inf)
                  for r in own]
    p = [c.probability for c in cases]
    ws = Bounds(float(np.dot(p, [b.objective for b in own_bounds])),
                float(np.dot(p, [b.bound for b in own_bounds])))

    # the extensive form
    ext = build_extensive(cases, objective, alpha, [b.objective for b in own_bounds],
                          indexes=[mdl.index for mdl in models])
    start = time.perf_counter()
    session = HighsSession(ext.model, floor=ext.floor)
    build_seconds = ext.build_seconds + time.perf_counter() - start
    size = session.size
    stage(f"extensive form built in {build_seconds:.1f}s: {size['columns']:,} columns, "
          f"{size['integer_columns']:,} integer, {size['rows']:,} rows; solving ...")
    status = ext.first.status
    cache: dict[str, list[Priced | None]] = {}

    def priced(d: Design) -> list[Priced | None]:
        if d.key not in cache:
            cache[d.key] = [price(mdl, d, c.data, status, **options)
                            for mdl, c in zip(models, cases, strict=True)]
        return cache[d.key]

    likeliest = int(np.argmax(p))
    start_design = Design.of(own[likeliest])
    at_start = priced(start_design)
    if all(a is not None for a in at_start):
        _start(session, ext, start_design, at_start, [b.objective for b in own_bounds], alpha)
        stage(f"start: {cases[likeliest].name}'s own design priced in every scenario, "
              f"expected cost {np.dot(p, [a.bounds.objective for a in at_start]):,.0f}")
    else:
        stage(f"no start: {cases[likeliest].name}'s own design is not feasible in every scenario")
    outcome: SolveOutcome = session.solve(time_limit=time_limit, mip_gap=mip_gap,
                                          threads=threads, seed=solver.seed)
    if outcome.values is None:
        return RobustResult(objective, alpha, outcome.status, None, None, None, outcome.seconds,
                            build_seconds, session.size, None, ws=ws, notes=notes)
    design = ext.design()
    gap = "-" if outcome.gap is None else f"{100 * outcome.gap:.2f}%"
    stage(f"extensive form: {outcome.status}, {outcome.objective:,.0f} (gap {gap}) in "
          f"{outcome.seconds:.1f}s; pricing the design in every scenario ...")

    as_is_runs: dict[str, Results] = {}
    for case in cases:
        if case.as_is is not None:
            as_is_runs[case.name] = NetworkModel(case.as_is).solve(**options)
            stage(f"{case.name}, today's network: {as_is_runs[case.name].status}")
    chosen = priced(design)
    rows = []
    for case, at, mine, result in zip(cases, chosen, own_bounds, own, strict=True):
        if at is None:
            raise RuntimeError(f"the chosen design is not feasible in {case.name} when priced")
        npv = None
        if case.as_is is not None:
            npv = _npv(case, at, as_is_runs[case.name], notes)
        rows.append(ScenarioRow(case.name, case.probability, at.bounds, mine, result.gap, npv))
    rp = None
    if objective == "expected":
        priced_expectation = float(np.dot(p, [r.cost.objective for r in rows]))
        # WS ≤ RP (Birge & Louveaux §4.3): the wait-and-see bound also bounds the recourse
        # problem, and is the better one when the extensive form's own bound is weak
        rp = Bounds(min(outcome.objective, priced_expectation), max(outcome.bound, ws.bound))
    else:
        notes.append("EVPI and VSS are defined for the expected-cost objective (Birge & "
                     "Louveaux ch. 4); run with --objective expected for them")

    eev, ev_design, ev_note = None, None, ""
    if objective == "expected":
        ev_data, ev_note = mean_value_data(cases)
        if ev_data is not None:
            ev = NetworkModel(ev_data).solve(**options)
            stage(f"mean-value problem: {ev.status} in {ev.solve_seconds:.1f}s; pricing its "
                  "design in every scenario ...")
            if ev.ok:
                ev_design = Design.of(ev)
                at_ev = priced(ev_design)
                if any(a is None for a in at_ev):
                    eev = Bounds(math.inf, math.inf)
                    ev_note += "; its design is infeasible in some scenario (EEV = ∞)"
                else:
                    eev = Bounds(float(np.dot(p, [a.bounds.objective for a in at_ev])),
                                 float(np.dot(p, [a.bounds.bound for a in at_ev])))
            else:
                ev_note += f"; the mean-value problem ended {ev.status}"
    gap = outcome.gap if outcome.bound is not None else None
    bound = outcome.bound
    if rp is not None and outcome.bound is not None:
        bound = rp.bound
        gap = relative_gap(rp.objective, rp.bound, ext.floor)
    stage("done")
    return RobustResult(
        objective=objective, alpha=alpha, status=outcome.status, value=outcome.objective,
        bound=bound, gap=gap, solve_seconds=outcome.seconds,
        build_seconds=build_seconds, size=session.size, design=design, rows=rows, rp=rp, ws=ws,
        eev=eev, mean_value_design=ev_design, mean_value_note=ev_note, notes=notes)


__all__ = ["OBJECTIVES", "Case", "Extensive", "RobustResult", "ScenarioRow", "build_extensive",
           "cvar", "load_cases", "lost_facility_costs", "mean_value_data", "price",
           "solve_robust"]
