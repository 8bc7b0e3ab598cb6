"""Solution of one run as tables, apart from the inputs (:class:`~netdesign.data.ModelData`).

Table columns (units in brackets):

* ``objective``, ``bound``: total landed cost of the solution and the proven lower bound
  [currency/year]; ``floor`` the part no decision can change (``floor_parts``: its components,
  :func:`netdesign.optimization.costs.cost_floor`); ``gap`` = (objective − bound) / (objective −
  floor), the gap on the cost the network controls, and ``gap_total`` = (objective − bound) /
  objective.
* ``costs``: Series, cost line → [currency/year]; the lines sum to ``objective``.
* ``facilities``: facility, status (input), open (bool), change (kept | opened | closed | unused |
  forced_closed), role (hub | regional | hub+regional | none), options (;-separated), throughput
  [units/yr], throughput_capacity [units/yr], utilisation [share], inventory [units],
  peak_month (1-12), peak_throughput [units/month], peak_utilisation [share of that month's
  capacity, peak.capacity_factor × throughput_capacity × days of the month / 365].
* ``flows``: leg, product, origin, destination, mode, units [units/yr], distance_km, transit_days,
  freight [currency/yr], co2_kg [kg/yr].
* ``assignments``: product, customer, facility (origin DC or supplier), units [units/yr], share.
* ``inventory``: product, facility, throughput [units/yr], cycle, safety, safety_exact,
  safety_error, pipeline [units], unit_value [currency/unit], value [currency].
* ``service``: product, customer, units [units/yr], delivery_days (flow-weighted), max_days.
* ``strategy``: product, stocking_points (int), facilities (;-separated), strategy (hub |
  regional | tiered | none).
* ``unmet``: product, customer, units [units/yr] (only rows with units > 0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from netdesign.files import write_atomic

SOLVED = ("optimal", "time_limit")
"""Statuses of a finished run with a solution: its objective and every table are that solution's
(a time limit returns the incumbent, never silently)."""

WITH_SOLUTION = (*SOLVED, "interrupted")
"""Statuses of a solve that returned a solution; an interrupted one keeps its incumbent but is
not a finished run (a study does not store it)."""

KPI_UNITS: dict[str, str] = {
    "logistics_cost_pct_revenue": "%",
    "cost_per_order": "currency/order",
    "cost_per_unit": "currency/unit",
    "inventory_turns": "1/year",
    "dio": "days",
    "carrying_cost_pct_inventory": "%/year",
    "fill_rate": "share",
    "stockout_rate": "share",
    "stockout_frequency": "1/year",
    "forecast_wape": "share",
    "forecast_bias": "share",
    "avg_delivery_days": "days",
    "share_within_1d": "share",
    "share_within_2d": "share",
    "share_within_3d": "share",
    "dc_utilisation": "%",
    "peak_utilisation": "%",
    "transfer_volume": "units/year",
    "co2_per_unit": "kg CO2/unit",
    "open_dcs": "count",
    "total_cost": "currency/year",
}
"""KPI name → unit of :data:`netdesign.kpis.KPIS` (``currency`` is ``settings.currency``)."""

#: every cost line of ``Results.costs`` [currency/year]; they sum to the objective
COST_LINES = (
    "purchase",
    "freight_inbound",
    "freight_transfer",
    "freight_outbound",
    "freight_direct",
    "handling",
    "facility_fixed",
    "facility_capex",
    "option_capex",
    "option_opex",
    "closing",
    "carrying_cycle",
    "carrying_safety",
    "carrying_pipeline",
    "co2",
    "unmet_penalty",
)


@dataclass(frozen=True)
class Design:
    """The strategic decisions of a solution: what a fixed-network scenario keeps."""

    open: frozenset[str]
    options: frozenset[tuple[str, str]]
    stocked: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, results: Results) -> Design:
        fac = results.facilities
        options = {(f, o) for f, opts in zip(fac["facility"], fac["options"], strict=True)
                   for o in str(opts).split(";") if o}
        inv = results.inventory
        stocked = {(p, f) for p, f, t in zip(inv["product"], inv["facility"], inv["throughput"],
                                             strict=True) if t > 0}
        return cls(frozenset(results.open_facilities), frozenset(options), frozenset(stocked))

    @property
    def key(self) -> str:
        """A stable text form, part of the input hash of runs that keep this design."""
        return json.dumps([sorted(self.open), sorted(self.options), sorted(self.stocked)])


@dataclass(frozen=True)
class Results:
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float
    build_seconds: float
    costs: pd.Series
    facilities: pd.DataFrame
    flows: pd.DataFrame
    assignments: pd.DataFrame
    inventory: pd.DataFrame
    service: pd.DataFrame
    strategy: pd.DataFrame
    unmet: pd.DataFrame
    model_size: dict[str, int] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    solver_log: str = ""
    gap_total: float | None = None
    floor: float | None = None
    floor_parts: dict[str, float] = field(default_factory=dict)

    TABLES = ("facilities", "flows", "assignments", "inventory", "service", "strategy", "unmet")

    @property
    def ok(self) -> bool:
        return self.status in WITH_SOLUTION and self.objective is not None

    @property
    def controllable(self) -> float | None:
        """The cost the network controls: objective − floor [currency/year]."""
        if self.objective is None:
            return None
        return self.objective - (self.floor or 0.0)

    def cost_mismatch(self) -> float:
        """|Σ cost lines − objective| / |objective|: 0 when the tables belong to the solution
        whose objective is reported (the results store refuses more than 1e-6)."""
        if self.objective is None:
            return 0.0
        return abs(float(self.costs.sum()) - self.objective) / max(abs(self.objective), 1e-9)

    @property
    def open_facilities(self) -> list[str]:
        if self.facilities.empty:
            return []
        return self.facilities.loc[self.facilities["open"], "facility"].tolist()

    def summary(self) -> dict:
        """Status, objective, bound, gap, times, costs and open DCs as JSON-ready values."""
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "gap_total": self.gap_total,
            "floor": self.floor,
            "floor_parts": self.floor_parts,
            "controllable_cost": self.controllable,
            "solve_seconds": round(self.solve_seconds, 3),
            "build_seconds": round(self.build_seconds, 3),
            "costs": {k: float(v) for k, v in self.costs.items()},
            "open_facilities": self.open_facilities,
            "model_size": self.model_size,
            "diagnosis": self.diagnosis,
        }

    def write(self, folder: str | Path) -> Path:
        """Write every table as CSV plus ``summary.json`` and ``solver.log`` into ``folder``
        (each file whole or not at all: :func:`netdesign.files.write_atomic`)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "costs.csv",
                     self.costs.rename("value").rename_axis("cost_line").to_csv)
        for name in self.TABLES:
            write_atomic(folder / f"{name}.csv", partial(getattr(self, name).to_csv, index=False))
        write_atomic(folder / "summary.json", json.dumps(self.summary(), indent=2, default=float))
        write_atomic(folder / "solver.log", self.solver_log)
        return folder
