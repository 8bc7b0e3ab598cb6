"""Capacitated facility location (split allocation) straight in highspy, and its solver levers.

The *plain strong formulation* the engine is compared with on OR-Library capa/capb/capc:

    min  Σ_i f_i y_i + Σ_ij c_ij x_ij
    s.t. Σ_i x_ij = 1                      ∀ j      (demand: x_ij is the share of j served by i)
         Σ_j d_j x_ij ≤ K_i y_i            ∀ i      (capacity)
         x_ij ≤ y_i                        ∀ i, j   (strong linking)
         0 ≤ x ≤ 1,  y ∈ {0, 1}

c_ij is the file's cost of serving all of j from i. Levers (each optional, see :class:`Levers`):

* ``cover`` — the aggregate capacity cover Σ_i K_i y_i ≥ Σ_j d_j (valid; its knapsack cover
  rounding is what the LP bound misses on these instances);
* ``start`` — a MIP start from a greedy drop heuristic (transportation LPs only; see
  :func:`heuristic_start`), its time counted in the total;
* ``units`` — the same model in units (x_ij ∈ [0, d_j], per-unit costs, as the engine writes it);
* HiGHS options (``presolve``, ``mip_detect_symmetry``, …) passed through ``options``.

Also here: :func:`generate_instance`, an OR-Library-like random CFLP of any size (used for the
generation benchmark, where only the model size matters).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from netdesign.importers import Instance
from netdesign.optimization.highs import highs_lp, new_highs

INF = highspy.kHighsInf


@dataclass
class Levers:
    cover: bool = False
    start: bool = False
    units: bool = False
    options: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Levers:
        """``"cover+start+presolve=off"`` → Levers; ``"plain"`` → no lever."""
        lev = cls()
        for part in filter(None, text.split("+")):
            if part == "plain":
                continue
            if "=" in part:
                key, value = part.split("=", 1)
                lev.options[_OPTION_ALIASES.get(key, key)] = _option_value(value)
            elif part in ("cover", "start", "units"):
                setattr(lev, part, True)
            else:
                raise ValueError(f"unknown lever {part!r}")
        return lev


_OPTION_ALIASES = {"symmetry": "mip_detect_symmetry"}


def _option_value(text: str):
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("on", "off", "choose"):
        return low
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def with_capacity(inst: Instance, capacity: float | None) -> Instance:
    if capacity is None:
        return inst
    return Instance(inst.name, inst.source, np.full(inst.n_facilities, float(capacity)),
                    inst.fixed_costs, inst.demands, inst.costs)


def build_plain(inst: Instance, levers: Levers | None = None) -> tuple[highspy.Highs, dict]:
    """A Highs instance holding the plain strong CFLP (+ levers that change the model)."""
    lev = levers or Levers()
    m, n = inst.n_facilities, inst.n_customers
    d, cap = inst.demands.astype(float), inst.capacities.astype(float)
    # columns: y_0..y_{m-1}, then x_ij at m + i*n + j
    n_col = m + m * n
    x_scale = d if lev.units else np.ones(n)  # units: x_ij ∈ [0, d_j]
    cost = np.r_[inst.fixed_costs, (inst.costs / (d if lev.units else 1.0)).ravel()]
    col_lower = np.zeros(n_col)
    col_upper = np.r_[np.ones(m), np.tile(x_scale, m)]
    x = m + np.arange(m * n).reshape(m, n)
    rows_i, rows_j, rows_v = [], [], []
    lo, hi = [], []
    r = 0
    # demand rows: Σ_i x_ij = 1 (or d_j)
    rows_i.append(np.repeat(np.arange(n), m) + r)
    rows_j.append(x.T.ravel())
    rows_v.append(np.ones(m * n))
    lo.append(x_scale)
    hi.append(x_scale)
    r += n
    # capacity rows: Σ_j d_j x_ij − K_i y_i ≤ 0   (units: Σ_j x_ij − K_i y_i ≤ 0)
    rows_i.append(np.repeat(np.arange(m), n + 1) + r)
    rows_j.append(np.c_[x, np.arange(m)].ravel())
    per = np.ones(n) if lev.units else d
    rows_v.append(np.c_[np.tile(per, (m, 1)), -cap].ravel())
    lo.append(np.full(m, -INF))
    hi.append(np.zeros(m))
    r += m
    # linking: x_ij − y_i ≤ 0   (units: x_ij − d_j y_i ≤ 0)
    k = np.arange(m * n)
    rows_i.append(np.repeat(k + r, 2))
    rows_j.append(np.c_[x.ravel(), np.repeat(np.arange(m), n)].ravel())
    rows_v.append(np.c_[np.ones(m * n), -np.tile(x_scale, m)].ravel())
    lo.append(np.full(m * n, -INF))
    hi.append(np.zeros(m * n))
    r += m * n
    if lev.cover:
        rows_i.append(np.full(m, r))
        rows_j.append(np.arange(m))
        rows_v.append(cap)
        lo.append(np.array([d.sum()]))
        hi.append(np.array([INF]))
        r += 1
    h = _pass(n_col, r, cost, col_lower, col_upper, np.concatenate(rows_i),
              np.concatenate(rows_j), np.concatenate(rows_v), np.concatenate(lo),
              np.concatenate(hi), integer=np.arange(m))
    return h, {"m": m, "n": n, "columns": n_col, "rows": r}


def _pass(n_col, n_row, cost, col_lower, col_upper, ri, ci, vals, row_lower, row_upper,
          integer) -> highspy.Highs:
    from scipy.sparse import csc_array

    a = csc_array((vals, (ri, ci)), shape=(n_row, n_col))
    a.sum_duplicates()
    kinds = np.zeros(n_col, dtype=bool)
    kinds[integer] = True
    h = new_highs()
    h.passModel(highs_lp(cost, 0.0, a, col_lower, col_upper, row_lower, row_upper, kinds))
    return h


def heuristic_start(inst: Instance, levers: Levers, time_budget: float = 30.0,
                    max_lps: int = 200) -> tuple[np.ndarray, float, dict]:
    """A feasible solution (column values of :func:`build_plain`'s model) and its objective.

    Greedy + local search without the strong LP (that LP alone costs as much as HiGHS's root
    node on capa/b/c): rank facilities by their cost per unit when filled with their cheapest
    customers (fixed cost included), open them in that order until capacity covers demand, then
    first-improvement drop, add and swap moves — drop: highest fixed cost per unit served first;
    add: the ten closed ones that would save most, Σ_j max(0, c_j now − c_ij) − f_i; swap: one of
    the four open facilities of highest fixed cost per unit served with one of the adds — each
    scored by fixed cost + the transportation LP over the facilities open.
    """
    begin = time.perf_counter()
    m, n = inst.n_facilities, inst.n_customers
    cap, d = inst.capacities.astype(float), inst.demands.astype(float)
    demand = float(d.sum())

    def evaluate(mask: np.ndarray) -> tuple[float, np.ndarray | None]:
        """Fixed costs + transportation LP over the open facilities; shares x (m, n)."""
        fac = np.flatnonzero(mask)
        k = len(fac)
        x = np.arange(k * n).reshape(k, n)
        ri = np.r_[np.repeat(np.arange(n), k), n + np.repeat(np.arange(k), n)]
        ci = np.r_[x.T.ravel(), x.ravel()]
        vals = np.r_[np.ones(k * n), np.tile(d, k)]
        t = _pass(k * n, n + k, inst.costs[fac].ravel(), np.zeros(k * n), np.ones(k * n), ri, ci,
                  vals, np.r_[np.ones(n), np.full(k, -INF)], np.r_[np.ones(n), cap[fac]],
                  integer=np.array([], dtype=int))
        t.setOptionValue("threads", 1)
        t.run()
        if t.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return np.inf, None
        share = np.zeros((m, n))
        share[fac] = np.asarray(t.getSolution().col_value).reshape(k, n)
        return t.getInfo().objective_function_value + inst.fixed_costs[fac].sum(), share

    # rank: cost per unit of a facility filled with its cheapest customers (+ its fixed cost)
    per_unit = inst.costs / d
    score = np.empty(m)
    for i in range(m):
        order = np.argsort(per_unit[i])
        filled = np.minimum(np.cumsum(d[order]), cap[i])
        take = np.diff(np.r_[0.0, filled])
        score[i] = (inst.fixed_costs[i] + (take * per_unit[i, order]).sum()) / max(filled[-1], 1)
    rank = np.argsort(score)
    is_open = np.zeros(m, dtype=bool)
    for i in rank:
        if cap[is_open].sum() >= demand - 1e-9:
            break
        is_open[i] = True
    best, share = evaluate(is_open)
    lps = 1

    def budget_left() -> bool:
        return lps < max_lps and time.perf_counter() - begin < time_budget

    improved = True
    while improved and budget_left():
        improved = False
        load = (share * d).sum(axis=1)
        worst = [i for i in np.argsort(-(inst.fixed_costs / np.maximum(load, 1e-9)))
                 if is_open[i]]
        drops = [i for i in worst if cap[is_open].sum() - cap[i] >= demand - 1e-9]
        current = (share * inst.costs).sum(axis=0)  # each customer's cost now
        saving = np.maximum(current[None, :] - inst.costs, 0.0).sum(axis=1) - inst.fixed_costs
        adds = [i for i in np.argsort(-saving) if not is_open[i]][:10]
        swaps = [(i, j) for i in worst[:4] for j in adds]
        for move in [*((i,) for i in drops), *((j,) for j in adds), *swaps]:
            if not budget_left():
                break
            trial = is_open.copy()
            trial[list(move)] = ~trial[list(move)]
            if cap[trial].sum() < demand - 1e-9:
                continue
            obj, trial_share = evaluate(trial)
            lps += 1
            if obj < best - 1e-9:
                best, share, is_open, improved = obj, trial_share, trial, True
                break
    x = share * d if levers.units else share
    values = np.r_[is_open.astype(float), x.ravel()]
    info = {"start_objective": best, "start_open": int(is_open.sum()), "start_lps": lps,
            "start_seconds": time.perf_counter() - begin}
    return values, best, info


def solve_plain(inst: Instance, levers: Levers, time_limit: float = 600.0, mip_gap: float = 0.0,
                threads: int = 1, seed: int = 0, log_path=None) -> dict:
    """Build, (start,) solve; seconds of each phase, objective, bound, status, nodes."""
    out: dict = {}
    begin = time.perf_counter()
    start_values = None
    if levers.start:
        start_values, _, info = heuristic_start(inst, levers)
        out.update(info)
    t0 = time.perf_counter()
    h, shape = build_plain(inst, levers)
    out["build_seconds"] = time.perf_counter() - t0
    out.update(columns=shape["columns"], rows=shape["rows"])
    for name, value in {"time_limit": max(time_limit - (time.perf_counter() - begin), 1.0),
                        "mip_rel_gap": mip_gap, "mip_abs_gap": 1e-6, "threads": threads,
                        "random_seed": seed, **levers.options}.items():
        status = h.setOptionValue(name, value)
        if status != highspy.HighsStatus.kOk:
            raise ValueError(f"HiGHS option {name}={value!r} rejected")
    if log_path is not None:
        h.setOptionValue("log_file", str(log_path))
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
    if start_values is not None:
        sol = highspy.HighsSolution()
        sol.col_value = start_values
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    h.run()
    out["solve_seconds"] = time.perf_counter() - t0
    out["total_seconds"] = time.perf_counter() - begin
    info = h.getInfo()
    status = h.getModelStatus()
    out["status"] = {highspy.HighsModelStatus.kOptimal: "optimal",
                     highspy.HighsModelStatus.kTimeLimit: "time_limit"}.get(status, str(status))
    out["objective"] = float(info.objective_function_value) if (
        info.primal_solution_status == 2) else None
    out["bound"] = float(info.mip_dual_bound)
    out["gap"] = float(info.mip_gap)
    out["nodes"] = int(info.mip_node_count)
    return out


def generate_instance(facilities: int, customers: int, seed: int = 0,
                      capacity_ratio: float = 3.0) -> Instance:
    """An OR-Library-like CFLP: points in the unit square, demand 1…100, cost = demand ×
    distance × 20 000 (close to capa/b/c's range), fixed costs 400k…2.2M, equal capacities of
    ``capacity_ratio`` × the mean demand share of a facility."""
    from pathlib import Path

    rng = np.random.default_rng(seed)
    fac = rng.random((facilities, 2))
    cus = rng.random((customers, 2))
    demand = rng.integers(1, 101, customers).astype(float)
    dist = np.sqrt(((fac[:, None, :] - cus[None, :, :]) ** 2).sum(axis=2))
    costs = np.round(demand[None, :] * dist * 20000.0, 3)
    fixed = np.round(rng.uniform(400_000, 2_200_000, facilities))
    cap = np.full(facilities, np.ceil(capacity_ratio * demand.sum() / facilities))
    return Instance(f"gen-{facilities}x{customers}", Path("generated"), cap, fixed, demand, costs)
