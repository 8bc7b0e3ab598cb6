"""KPIs of a run in the vocabulary finance and operations share.

Every KPI is a plain function ``(data: ModelData, results: Results) -> float`` whose one-line
docstring gives its formula and unit; :data:`KPIS` registers them by name, :data:`UNITS` gives each
unit, :data:`LABELS` how each is shown (names and which way is better, for ``compare``, the
report and the workbook), and :func:`compute_kpis` evaluates them all.

Conventions:

* A ratio whose denominator is zero (no revenue, no units served, no inventory, no delivered units,
  no open finite-capacity DC) is ``nan``, never an exception. Counts and volumes (open_dcs,
  transfer_volume) are 0 on empty tables. ``inventory_turns`` is nan when there is no inventory
  (infinite turns), while ``dio`` is then 0 (if COGS > 0).
* Rates named ``*_pct*`` and ``dc_utilisation`` are in percent; ``fill_rate``, ``stockout_rate`` and
  ``share_within_*`` are shares in [0, 1].
* A run without a solution (``not results.ok``) gives nan for every KPI in :func:`compute_kpis`.
* "Served" units are demand − unmet (:func:`netdesign.finance.served_demand`); "delivered" units are
  those of ``results.service``. The two agree for a consistent run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from netdesign import finance
from netdesign.data import ModelData
from netdesign.results import KPI_UNITS, Results

_N = NormalDist()

# ---------------------------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------------------------


def standard_normal_loss(z: float) -> float:
    """Standard normal loss function G(z) = E[(X − z)⁺] = φ(z) − z·(1 − Φ(z)), X ~ N(0, 1).

    Source: Silver, Pyke & Thomas (2017), *Inventory and Production Management in Supply Chains*,
    4th ed., ch. 6 (G_u(k)); equals stockpyl's ``loss_functions.standard_normal_loss(z)[0]``.
    """
    return _N.pdf(z) - z * (1.0 - _N.cdf(z))


def fill_rate_periodic_review(z: float, sigma_rl: float, demand_per_review: float) -> float:
    """Fill rate (P2) of an (R, S) system: P2 = 1 − σ_{R+L}·G(z) / (D·R), clipped to [0, 1].

    σ_{R+L}·G(z) is the expected shortage per replenishment cycle (ESPRC), D·R the expected demand
    per review cycle. Source: Silver, Pyke & Thomas (2017), 4th ed., ch. 6, (R, S) system, fill-rate
    (P2) service criterion. nan when ``demand_per_review`` ≤ 0.
    """
    if not demand_per_review > 0:
        return math.nan
    shortage = sigma_rl * standard_normal_loss(z)
    return min(1.0, max(0.0, 1.0 - shortage / demand_per_review))


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float:
    if not (math.isfinite(denominator) and denominator != 0) or not math.isfinite(numerator):
        return math.nan
    return numerator / denominator


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    ok = np.isfinite(values.to_numpy(dtype=float)) & (weights.to_numpy(dtype=float) > 0)
    w = weights.to_numpy(dtype=float)[ok]
    if w.sum() <= 0:
        return math.nan
    return float(np.dot(values.to_numpy(dtype=float)[ok], w) / w.sum())


def _stocking_points(data: ModelData, results: Results) -> pd.DataFrame:
    """Inventory rows at DCs with throughput > 0, with the product's service level and z."""
    inv = results.inventory
    if inv.empty:
        return inv.assign(service_level=pd.Series(dtype=float), z=pd.Series(dtype=float))
    rows = inv[inv["throughput"].astype(float) > 0]
    if not data.facilities.empty:
        rows = rows[rows["facility"].isin(set(data.facilities["facility"]))]
    levels = data.products.set_index("product")["service_level"].astype(float)
    rows = rows.assign(service_level=rows["product"].map(levels).astype(float))
    rows = rows[rows["service_level"].notna()]
    return rows.assign(z=[_N.inv_cdf(p) for p in rows["service_level"]])


def _served_units(data: ModelData, results: Results) -> float:
    return float(finance.served_demand(data, results)["served"].sum())


def _delivered(results: Results) -> pd.DataFrame:
    service = results.service
    if service.empty:
        return service
    return service[service["units"].astype(float) > 0]


# ---------------------------------------------------------------------------------------------
# KPIs
# ---------------------------------------------------------------------------------------------


def logistics_cost_pct_revenue(data: ModelData, results: Results) -> float:
    """Logistics cost (finance.LOGISTICS_LINES: all P&L costs but COGS) / revenue × 100 [%]."""
    revenue = float(finance.pnl(data, results)["revenue"])
    return _ratio(100.0 * finance.logistics_cost(data, results), revenue)


def cost_per_order(data: ModelData, results: Results) -> float:
    """Logistics cost / Σ (orders_per_year × served share) [currency/order line]."""
    orders = float(finance.served_demand(data, results)["orders_served"].sum())
    return _ratio(finance.logistics_cost(data, results), orders)


def cost_per_unit(data: ModelData, results: Results) -> float:
    """Logistics cost / units served (demand − unmet) [currency/unit]."""
    return _ratio(finance.logistics_cost(data, results), _served_units(data, results))


def inventory_turns(data: ModelData, results: Results) -> float:
    """COGS / average inventory value [1/year] (nan without inventory)."""
    return float(finance.working_capital(data, results)["turns"])


def dio(data: ModelData, results: Results) -> float:
    """Days inventory outstanding = inventory value / COGS × days_per_year [days]."""
    return float(finance.working_capital(data, results)["dio"])


def carrying_cost_pct_inventory(data: ModelData, results: Results) -> float:
    """(carrying_cycle + carrying_safety + carrying_pipeline) / inventory value × 100 [%/year]."""
    carrying = float(sum(float(results.costs.get(k, 0.0)) for k in finance.CARRYING_LINES))
    value = float(finance.working_capital(data, results)["inventory_value"])
    return _ratio(100.0 * carrying, value)


def fill_rate(data: ModelData, results: Results) -> float:
    """Throughput-weighted P2 = 1 − (safety_exact/z)·G(z) / (throughput·R/days_per_year) [share]."""
    rows = _stocking_points(data, results)
    rows = rows[rows["z"] > 0]  # σ_{R+L} = safety / z is not recoverable for service ≤ 50 %
    if rows.empty:
        return math.nan
    s = data.settings
    sigma = rows["safety_exact"].astype(float) / rows["z"]
    per_review = rows["throughput"].astype(float) * s.inventory.review_period_days / s.days_per_year
    fills = [
        fill_rate_periodic_review(z, sd, q)
        for z, sd, q in zip(rows["z"], sigma, per_review, strict=True)
    ]
    return _weighted_mean(pd.Series(fills, dtype=float), rows["throughput"].astype(float))


def stockout_rate(data: ModelData, results: Results) -> float:
    """Throughput-weighted P(stockout per replenishment cycle) = 1 − cycle service level [share]."""
    rows = _stocking_points(data, results)
    if rows.empty:
        return math.nan
    return _weighted_mean(1.0 - rows["service_level"], rows["throughput"].astype(float))


# Stockout occasions per year of an (R, S) system: one chance per review cycle, each with
# probability 1 − CSL (Silver, Pyke & Thomas 2017, 4th ed., ch. 6).
def stockout_frequency(data: ModelData, results: Results) -> float:
    """Throughput-weighted (1 − CSL) · days_per_year / R: expected stockouts a year [1/year]."""
    rows = _stocking_points(data, results)
    if rows.empty:
        return math.nan
    s = data.settings
    cycles = s.days_per_year / s.inventory.review_period_days
    return _weighted_mean((1.0 - rows["service_level"]) * cycles, rows["throughput"].astype(float))


def _backtest(data: ModelData) -> pd.DataFrame | None:
    columns = ("backtest_units", "backtest_abs_error", "backtest_error")
    if not set(columns) <= set(data.demand.columns):
        return None
    rows = data.demand[list(columns)].apply(pd.to_numeric, errors="coerce").dropna()
    return rows if rows["backtest_units"].sum() > 0 else None


def forecast_wape(data: ModelData, results: Results) -> float:
    """Σ|e| / Σ y over the backtest of the forecast behind demand (nan without one) [share]."""
    rows = _backtest(data)
    return math.nan if rows is None else _ratio(float(rows["backtest_abs_error"].sum()),
                                                float(rows["backtest_units"].sum()))


def forecast_bias(data: ModelData, results: Results) -> float:
    """Σ e / Σ y (e = forecast − actual) over the backtest; + = over-forecast [share]."""
    rows = _backtest(data)
    return math.nan if rows is None else _ratio(float(rows["backtest_error"].sum()),
                                                float(rows["backtest_units"].sum()))


def peak_utilisation(data: ModelData, results: Results) -> float:
    """Highest month's throughput over that month's capacity, max over open DCs [%]."""
    fac = results.facilities
    if fac.empty or "peak_utilisation" not in fac:
        return math.nan
    values = fac.loc[fac["open"].astype(bool), "peak_utilisation"].astype(float)
    values = values[np.isfinite(values)]
    return 100.0 * float(values.max()) if len(values) else math.nan


def avg_delivery_days(data: ModelData, results: Results) -> float:
    """Σ units × delivery_days / Σ units over results.service [days]."""
    rows = _delivered(results)
    if rows.empty:
        return math.nan
    return _weighted_mean(rows["delivery_days"].astype(float), rows["units"].astype(float))


def _share_within(results: Results, days: float) -> float:
    rows = _delivered(results)
    if rows.empty:
        return math.nan
    units = rows["units"].astype(float)
    within = rows["delivery_days"].astype(float) <= days + 1e-9
    return _ratio(float(units[within].sum()), float(units.sum()))


def share_within_1d(data: ModelData, results: Results) -> float:
    """Delivered units with delivery_days ≤ 1 / delivered units [share]."""
    return _share_within(results, 1.0)


def share_within_2d(data: ModelData, results: Results) -> float:
    """Delivered units with delivery_days ≤ 2 / delivered units [share]."""
    return _share_within(results, 2.0)


def share_within_3d(data: ModelData, results: Results) -> float:
    """Delivered units with delivery_days ≤ 3 / delivered units [share]."""
    return _share_within(results, 3.0)


def dc_utilisation(data: ModelData, results: Results) -> float:
    """Σ t·(t/cap) / Σ t × 100 over open DCs with finite capacity, t = throughput [%]."""
    fac = results.facilities
    if fac.empty:
        return math.nan
    cap = fac["throughput_capacity"].astype(float)
    rows = fac[fac["open"].astype(bool) & np.isfinite(cap) & (cap > 0)]
    if rows.empty:
        return math.nan
    t = rows["throughput"].astype(float).fillna(0.0)
    if t.sum() <= 0:
        return 0.0
    return 100.0 * _weighted_mean(t / rows["throughput_capacity"].astype(float), t)


def transfer_volume(data: ModelData, results: Results) -> float:
    """Σ units on transfer-leg flows (DC → DC) [units/year]."""
    flows = results.flows
    if flows.empty:
        return 0.0
    return float(flows.loc[flows["leg"] == "transfer", "units"].astype(float).sum())


def co2_per_unit(data: ModelData, results: Results) -> float:
    """Σ co2_kg over all flows / units served [kg CO2/unit]."""
    flows = results.flows
    co2 = 0.0 if flows.empty else float(flows["co2_kg"].astype(float).sum())
    return _ratio(co2, _served_units(data, results))


def open_dcs(data: ModelData, results: Results) -> float:
    """Number of open DCs [count]."""
    return float(len(results.open_facilities))


def total_cost(data: ModelData, results: Results) -> float:
    """Objective value: total landed cost incl. unmet penalty [currency/year] (nan if none)."""
    return math.nan if results.objective is None else float(results.objective)


KPIS: dict[str, Callable[[ModelData, Results], float]] = {
    "logistics_cost_pct_revenue": logistics_cost_pct_revenue,
    "cost_per_order": cost_per_order,
    "cost_per_unit": cost_per_unit,
    "inventory_turns": inventory_turns,
    "dio": dio,
    "carrying_cost_pct_inventory": carrying_cost_pct_inventory,
    "fill_rate": fill_rate,
    "stockout_rate": stockout_rate,
    "stockout_frequency": stockout_frequency,
    "forecast_wape": forecast_wape,
    "forecast_bias": forecast_bias,
    "avg_delivery_days": avg_delivery_days,
    "share_within_1d": share_within_1d,
    "share_within_2d": share_within_2d,
    "share_within_3d": share_within_3d,
    "dc_utilisation": dc_utilisation,
    "peak_utilisation": peak_utilisation,
    "transfer_volume": transfer_volume,
    "co2_per_unit": co2_per_unit,
    "open_dcs": open_dcs,
    "total_cost": total_cost,
}
"""KPI name → function, in report order."""

UNITS = KPI_UNITS
"""KPI name → unit (``currency`` is ``settings.currency``); kept with the results' vocabulary
(:data:`netdesign.results.KPI_UNITS`) so the store labels stored KPIs without KPI code."""

LOWER, NEITHER, HIGHER = -1, 0, 1


@dataclass(frozen=True)
class KpiLabel:
    """How a KPI is shown: ``label`` in the report and the workbook, ``short`` as the terminal
    comparison's column header, ``better`` the direction of an improvement."""

    label: str
    short: str
    better: int = NEITHER


LABELS: dict[str, KpiLabel] = {
    "total_cost": KpiLabel("Total landed cost / yr", "Total cost", LOWER),
    "logistics_cost_pct_revenue": KpiLabel("Logistics cost % of revenue", "Logistics\n% rev.",
                                           LOWER),
    "cost_per_order": KpiLabel("Cost per order", "Cost/order", LOWER),
    "cost_per_unit": KpiLabel("Cost per unit", "Cost/unit", LOWER),
    "inventory_turns": KpiLabel("Inventory turns", "Turns", HIGHER),
    "dio": KpiLabel("Days inventory outstanding", "DIO", LOWER),
    "carrying_cost_pct_inventory": KpiLabel("Carrying cost % of inventory", "Carrying %", LOWER),
    "fill_rate": KpiLabel("Fill rate", "Fill rate", HIGHER),
    "stockout_rate": KpiLabel("Stockout rate", "Stockout", LOWER),
    "avg_delivery_days": KpiLabel("Avg delivery days", "Delivery", LOWER),
    "share_within_1d": KpiLabel("Demand within 1 day", "≤1 day", HIGHER),
    "share_within_2d": KpiLabel("Demand within 2 days", "≤2 days", HIGHER),
    "share_within_3d": KpiLabel("Demand within 3 days", "≤3 days", HIGHER),
    "dc_utilisation": KpiLabel("DC utilisation", "DC util."),
    "transfer_volume": KpiLabel("Transfer volume (units/yr)", "Transfers"),
    "co2_per_unit": KpiLabel("CO₂ per unit (kg)", "CO2", LOWER),
    "open_dcs": KpiLabel("Open DCs", "Open DCs"),
}
"""KPI name → how it is shown, in the report's order; a KPI not listed shows by its name and is
neither better nor worse when it moves."""


def better(name: str) -> int:
    """:data:`HIGHER` when a rise of KPI ``name`` is an improvement, :data:`LOWER` when a fall
    is, :data:`NEITHER` otherwise."""
    shown = LABELS.get(name)
    return shown.better if shown else NEITHER


def lower_is_better(name: str) -> bool | None:
    """True when a fall of KPI ``name`` is an improvement, False for a rise, None for neither."""
    direction = better(name)
    return None if direction == NEITHER else direction == LOWER


def compute_kpis(data: ModelData, results: Results) -> dict[str, float]:
    """Every KPI of :data:`KPIS` for one run; all nan when the run has no solution."""
    if not results.ok:
        return dict.fromkeys(KPIS, math.nan)
    return {name: float(fn(data, results)) for name, fn in KPIS.items()}
