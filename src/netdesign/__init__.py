"""netdesign: supply-chain network design with Pyomo and HiGHS.

The public API, in the order a study uses it::

    data = load_model("models/us_retail")           # validated inputs (ModelData)
    results = solve(data)                           # one MIP solve (Results)
    kpis = compute_kpis(data, results)              # KPIs in the finance/ops language
    run_study("models/us_retail", ["scenarios"], "out")   # → out/results.duckdb
    comparison = compare("out")                     # scenarios × KPIs and costs, with deltas
"""

from netdesign.compare import Comparison, compare
from netdesign.data import ModelData
from netdesign.finance import capex_case, pnl, working_capital
from netdesign.io import read_model
from netdesign.kpis import compute_kpis
from netdesign.results import Design, Results
from netdesign.scenario import Scenario, apply_scenario, load_scenarios
from netdesign.solve import NetworkModel, solve
from netdesign.store import ResultsStore
from netdesign.study import run_study
from netdesign.validate import ModelValidationError, load_model

__all__ = [
    "Comparison",
    "Design",
    "ModelData",
    "ModelValidationError",
    "NetworkModel",
    "Results",
    "ResultsStore",
    "Scenario",
    "apply_scenario",
    "capex_case",
    "compare",
    "compute_kpis",
    "load_model",
    "load_scenarios",
    "pnl",
    "read_model",
    "run_study",
    "solve",
    "working_capital",
]
