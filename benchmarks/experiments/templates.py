"""Experiment: Pyomo's templatized constraints (pyomo.core.base.constraint.TEMPLATIZE_CONSTRAINTS,
experimental in Pyomo 6.10) against the engine's per-row LinearExpression rules, on the two row
families that make up almost all of a facility-location model (demand rows Σ_i f_ij = d_j and
linking rows f_ij ≤ d_j y_i), timing construction and LinearStandardFormCompiler.

    .venv/bin/python benchmarks/experiments/templates.py 100 1000
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pyomo.core.base.constraint as constraint
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler


def engine_style(m_fac: int, n_cus: int, d: np.ndarray) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    n = m_fac * n_cus
    m.flow = pyo.Var(range(n), within=pyo.NonNegativeReals)
    m.open = pyo.Var(range(m_fac), within=pyo.Binary)
    m.demand = pyo.Param(range(n_cus), mutable=True, initialize=dict(enumerate(d)))
    serves = np.arange(n).reshape(m_fac, n_cus).T  # customer j: flows i*n+j

    def lin(positions):
        return LinearExpression([MonomialTermExpression((1.0, m.flow[int(i)]))
                                 for i in positions])

    m.dem = pyo.Constraint(range(n_cus), rule=lambda m, j: lin(serves[j]) == m.demand[j])
    m.link = pyo.Constraint(range(n), rule=lambda m, k: lin([k]) <= m.demand[k % n_cus]
                            * m.open[k // n_cus])
    m.obj = pyo.Objective(expr=lin(range(n)))
    return m


def template_style(m_fac: int, n_cus: int, d: np.ndarray) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=range(m_fac))
    m.J = pyo.Set(initialize=range(n_cus))
    m.flow = pyo.Var(m.I, m.J, within=pyo.NonNegativeReals)
    m.open = pyo.Var(m.I, within=pyo.Binary)
    m.demand = pyo.Param(m.J, mutable=True, initialize=dict(enumerate(d)))
    m.dem = pyo.Constraint(m.J, rule=lambda m, j: sum(m.flow[i, j] for i in m.I) == m.demand[j])
    m.link = pyo.Constraint(m.I, m.J, rule=lambda m, i, j: m.flow[i, j] <= m.demand[j]
                            * m.open[i])
    m.obj = pyo.Objective(expr=sum(m.flow[i, j] for i in m.I for j in m.J))
    return m


def measure(style, m_fac: int, n_cus: int, templatize: bool) -> dict:
    d = np.random.default_rng(0).integers(1, 100, n_cus).astype(float)
    constraint.TEMPLATIZE_CONSTRAINTS = templatize
    t0 = time.perf_counter()
    with PauseGC():
        m = style(m_fac, n_cus, d)
    t1 = time.perf_counter()
    info = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
    t2 = time.perf_counter()
    constraint.TEMPLATIZE_CONSTRAINTS = False
    return {"style": style.__name__, "templatize": templatize, "build": t1 - t0,
            "compile": t2 - t1, "rows": len(info.rows), "columns": len(info.columns),
            "nonzeros": int(info.A.nnz)}


if __name__ == "__main__":
    m_fac, n_cus = int(sys.argv[1]), int(sys.argv[2])
    for style, templ in ((engine_style, False), (template_style, True)):
        measure(style, 5, 20, templ)  # one-time costs (lazy imports, first compile)
    for style, templ in ((engine_style, False), (template_style, False), (template_style, True)):
        print(measure(style, m_fac, n_cus, templ), flush=True)
