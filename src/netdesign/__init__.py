"""netdesign: supply-chain network design with Pyomo and HiGHS.

The public API, in the order a study uses it::

    data = load_model("models/us_retail")           # validated inputs (ModelData)
    results = solve(data)                           # one MIP solve (Results)
    kpis = compute_kpis(data, results)              # KPIs in the finance/ops language
    run_study("models/us_retail", ["scenarios"], "out")   # → out/results.duckdb
    comparison = compare("out")                     # scenarios × KPIs and costs, with deltas
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: public name → module that defines it; imported on first use (PEP 562), so ``netdesign --help``
#: and ``validate`` never load Pyomo, HiGHS, DuckDB, Dask or plotly
_EXPORTS = {
    "attribute": "netdesign.attribution",
    "Comparison": "netdesign.compare",
    "compare": "netdesign.compare",
    "ModelData": "netdesign.data",
    "capex_case": "netdesign.finance",
    "pnl": "netdesign.finance",
    "working_capital": "netdesign.finance",
    "read_model": "netdesign.io",
    "compute_kpis": "netdesign.kpis",
    "Design": "netdesign.results",
    "Results": "netdesign.results",
    "RobustResult": "netdesign.robust",
    "solve_robust": "netdesign.robust",
    "Scenario": "netdesign.scenario",
    "apply_scenario": "netdesign.scenario",
    "load_scenarios": "netdesign.scenario",
    "NetworkModel": "netdesign.solve",
    "solve": "netdesign.solve",
    "ResultsStore": "netdesign.store",
    "run_study": "netdesign.study",
    "ModelValidationError": "netdesign.errors",
    "load_model": "netdesign.validate",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'netdesign' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _Package(types.ModuleType):
    """``netdesign.solve`` and ``netdesign.compare`` are the functions, as they were when this
    package imported them eagerly: importing the submodule of the same name does not shadow them."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == f"netdesign.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Comparison",
    "Design",
    "ModelData",
    "ModelValidationError",
    "NetworkModel",
    "Results",
    "ResultsStore",
    "RobustResult",
    "Scenario",
    "apply_scenario",
    "attribute",
    "capex_case",
    "compare",
    "compute_kpis",
    "load_model",
    "load_scenarios",
    "pnl",
    "read_model",
    "run_study",
    "solve",
    "solve_robust",
    "working_capital",
]
