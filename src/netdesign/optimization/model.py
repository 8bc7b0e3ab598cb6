"""Build the network design MIP: reads top to bottom like a table of contents.

How the model is kept fast to generate (measured in ``benchmarks/``, ``make bench``): arcs,
reductions and every index set are computed with numpy/pandas before Pyomo sees anything
(:mod:`netdesign.network`, :mod:`netdesign.optimization.index`); variables are indexed by
position and their data objects gathered by numpy fancy indexing; every constraint body and cost
line is a single ``LinearExpression`` made from precomputed slices, without zero terms and without
operator overloading; coefficients that scenarios never change (the big-M of the linking rows) are
numbers, not parameter expressions, so the compiler stays on its fast linear path; the objective
sums the cost lines' expressions rather than the named ``Expression`` components (4× faster to
compile); the cyclic garbage collector is paused during generation (``PauseGC``); and the model
reaches HiGHS through Pyomo's ``LinearStandardFormCompiler`` (matrix form) and one ``passModel``
rather than term-by-term solver updates. At 600k columns this is 7.6× a direct numpy → highspy
build of the same matrix end to end from the model data, 1.4× its memory (2026-11-22).
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from netdesign.data import ModelData
from netdesign.network import Network, build_network
from netdesign.optimization import constraints as c
from netdesign.optimization.components import add_parameters, add_variables
from netdesign.optimization.costs import add_costs
from netdesign.optimization.index import ModelIndex, build_index

FORMULATIONS = ("exact", "design")
"""``exact``: the model as stated, pooled safety stock piecewise-linear with segment binaries.
``design``: its relaxation with the pooled safety stock at the chord of its whole range (no
segment variables): the same decisions, a valid lower bound, several times faster to search
(:mod:`netdesign.optimization.search`)."""


def build_model(data: ModelData, network: Network | None = None, *,
                index: ModelIndex | None = None,
                formulation: str = "exact") -> tuple[pyo.ConcreteModel, ModelIndex]:
    """The Pyomo model of ``data`` and the index tables its components are positioned by."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {FORMULATIONS}, not {formulation!r}")
    ix = index or build_index(network or build_network(data), data)
    with PauseGC():
        m = pyo.ConcreteModel(name=data.settings.name)
        populate(m, ix, formulation=formulation)
    return m, ix


def populate(m: pyo.Block, ix: ModelIndex, *, formulation: str = "exact") -> None:
    """Declare the parameters, variables, constraint families and cost lines of ``ix`` on ``m``:
    a whole model or one block of a larger one (one scenario of a robust design,
    :mod:`netdesign.robust`). The objective ``m.total_cost`` is declared too; a block's is
    deactivated by the model that holds it."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {FORMULATIONS}, not {formulation!r}")
    exact = formulation == "exact"
    # parameters and variables
    add_parameters(m, ix)
    add_variables(m, ix, segments=exact)
    # constraint families
    c.demand_satisfaction(m, ix)
    c.flow_balance(m, ix)
    c.open_linking(m, ix)
    c.stock_linking(m, ix)
    c.stock_requires_open(m, ix)
    c.throughput_capacity(m, ix)
    c.peak_throughput(m, ix)
    c.capacity_cover(m, ix)
    c.storage_capacity(m, ix)
    c.supplier_capacity(m, ix)
    c.option_requires_open(m, ix)
    c.option_handling(m, ix)
    c.single_sourcing(m, ix)
    c.facility_count(m, ix)
    c.service_band(m, ix)
    c.strategy(m, ix)
    if exact:
        c.safety_stock(m, ix)
    else:
        c.safety_stock_chord(m, ix)
    # objective: total landed cost
    add_costs(m, ix)
