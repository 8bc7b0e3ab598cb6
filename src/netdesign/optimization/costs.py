"""Cost lines of total landed cost, one named Pyomo Expression each; the objective is their sum.

All lines are per year in the model currency. One-time amounts are annualised with the capital
recovery factor (:func:`netdesign.formulas.crf`): DC and option CapEx over their life, closing costs
over the study horizon, at the discount rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from netdesign.formulas import crf, freight_at_fuel_index
from netdesign.optimization.components import linear
from netdesign.optimization.index import ModelIndex
from netdesign.results import COST_LINES


def add_costs(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Declare every cost line as ``m.cost[line]`` and minimise their sum."""
    s = ix.data.settings
    flows, fac, opts = ix.flows, ix.facilities, ix.options
    leg = flows["leg"].to_numpy()
    all_flows = np.arange(len(flows))
    lines: dict[str, object] = {}
    lines["purchase"] = linear(m.flow, all_flows, flows["purchase_cost"].to_numpy())
    for name in ("inbound", "transfer", "outbound", "direct"):
        on_leg = np.flatnonzero(leg == name)
        lines[f"freight_{name}"] = freight_at_fuel_index(
            linear(m.flow, on_leg, flows["freight"].to_numpy()[on_leg]),
            linear(m.flow, on_leg, flows["freight_fuel"].to_numpy()[on_leg]), m.fuel_index)
    lines["handling"] = _handling(m, ix)
    lines["facility_fixed"] = linear(m.open, np.arange(len(fac)), fac["fixed_cost"].to_numpy())
    candidate = (fac["status"] != "existing").to_numpy()
    annual_capex = np.array([
        c * crf(s.discount_rate, life) if cand else 0.0
        for c, life, cand in zip(fac["capex"], fac["capex_life_years"], candidate, strict=True)
    ])
    lines["facility_capex"] = linear(m.open, np.arange(len(fac)), annual_capex)
    option_annual = np.array([
        c * crf(s.discount_rate, life) for c, life in zip(opts["capex"], opts["life_years"],
                                                           strict=True)
    ])
    lines["option_capex"] = linear(m.option, np.arange(len(opts)), option_annual)
    lines["option_opex"] = linear(m.option, np.arange(len(opts)),
                                  opts["annual_cost"].to_numpy(dtype=float))
    closing = np.where(fac["status"].to_numpy() == "existing",
                       fac["closing_cost"].to_numpy(dtype=float), 0.0) * crf(
        s.discount_rate, s.horizon_years)
    all_fac = ix.data.facilities
    forced_closed = float(all_fac.loc[all_fac["status"] == "forced_closed", "closing_cost"].sum())
    lines["closing"] = (float(closing.sum()) + forced_closed * crf(s.discount_rate, s.horizon_years)
                        - linear(m.open, np.arange(len(fac)), closing))
    value = flows["unit_value"].to_numpy(dtype=float)
    half_cycle = s.inventory.review_period_days / (2.0 * s.days_per_year)
    leaves = np.flatnonzero(np.isin(leg, ("outbound", "transfer")))
    lines["carrying_cycle"] = m.carrying_rate * linear(m.flow, leaves, value[leaves] * half_cycle)
    pair_value = ix.pairs["unit_value"].to_numpy(dtype=float)
    lines["carrying_safety"] = m.carrying_rate * linear(m.safety, np.arange(len(ix.pairs)),
                                                        pair_value)
    pipeline = value * flows["transit_days"].to_numpy(dtype=float) / s.days_per_year
    lines["carrying_pipeline"] = m.carrying_rate * linear(m.flow, all_flows, pipeline)
    lines["co2"] = m.co2_price / 1000.0 * linear(m.flow, all_flows,
                                                 flows["co2_kg"].to_numpy(dtype=float))
    lines["unmet_penalty"] = linear(m.unmet, np.arange(len(ix.demand)), unmet_penalty(ix))
    m.cost = pyo.Expression(COST_LINES, rule=lambda m, line: lines[line])
    # the objective sums the lines' expressions, not the named Expression components: the
    # compiler walks named subexpressions ~4× slower per term (measured at 100k terms)
    m.total_cost = pyo.Objective(expr=sum(lines[line] for line in COST_LINES),
                                 sense=pyo.minimize)


def cost_floor(ix: ModelIndex) -> pd.Series:
    """The cost no decision can change [currency/year], by component; their sum is the floor.

    * ``purchase_at_cheapest_source``: Σ_pc d_pc · min(min_a c_a, π_pc): every delivered unit of
      p leaves some source arc a of p (inbound, direct, or a DC's own replenishment) and pays its
      unit cost c_a; with unmet demand allowed a unit may instead pay the penalty π_pc;
    * ``forced_open_facilities``: fixed cost and annualised CapEx of DCs that must open;
    * ``forced_options``: annualised CapEx and opex change of options that must be bought;
    * ``forced_closed_closing``: annualised closing cost of existing DCs a scenario closes.

    Every feasible solution, and every point of the LP relaxation, costs at least the floor
    (the other cost lines are ≥ 0 except a negative option opex, which is only counted when the
    option is forced), so total − floor ≥ 0 is the cost the network controls, the denominator
    of every gap a user sees (DESIGN.md §8).
    """
    s = ix.data.settings
    flows, demand, fac, opts = ix.flows, ix.demand, ix.facilities, ix.options
    sources = flows[flows["leg"].isin(["inbound", "direct"]).to_numpy()]
    cheapest = sources.groupby("product")["purchase_cost"].min()
    unit = demand["product"].map(cheapest).fillna(0.0).to_numpy(dtype=float)
    if s.unmet_demand.allowed:
        unit = np.minimum(unit, unmet_penalty(ix))
    forced = (fac["status"] == "forced_open").to_numpy()
    annual_capex = fac["capex"].to_numpy(dtype=float) * np.array(
        [crf(s.discount_rate, life) for life in fac["capex_life_years"]])
    bought = (opts["status"] == "forced").to_numpy()
    option_annual = opts["capex"].to_numpy(dtype=float) * np.array(
        [crf(s.discount_rate, life) for life in opts["life_years"]])
    all_fac = ix.data.facilities
    closed = all_fac[(all_fac["status"] == "forced_closed").to_numpy()]
    return pd.Series({
        "purchase_at_cheapest_source": float(demand["annual_units"].to_numpy(float) @ unit),
        "forced_open_facilities": float((fac["fixed_cost"].to_numpy(float) + annual_capex)
                                        [forced].sum()),
        "forced_options": float((option_annual + opts["annual_cost"].to_numpy(float))
                                [bought].sum()),
        "forced_closed_closing": float(closed["closing_cost"].sum())
        * crf(s.discount_rate, s.horizon_years),
    }, name="floor")


def _handling(m: pyo.ConcreteModel, ix: ModelIndex):
    """Σ_j c_j · Σ_p T_pj + Σ_jk h_jk: handling per unit shipped, changed by options."""
    hc = ix.facilities["handling_cost"].to_numpy(dtype=float)
    k = ix.flows["out_pair"].to_numpy()
    ships = np.flatnonzero(k >= 0)
    per_unit = hc[ix.pairs["fac"].to_numpy()[k[ships]]]
    return linear(m.flow, ships, per_unit) + linear(
        m.option_handling, np.arange(len(ix.options)), 1.0)


def unmet_penalty(ix: ModelIndex) -> np.ndarray:
    """Penalty per unserved unit: factor × max(unit price, unit value) (lost margin and more)."""
    d = ix.demand
    factor = ix.data.settings.unmet_demand.penalty_factor
    return factor * np.maximum(d["unit_price"].to_numpy(float), d["unit_value"].to_numpy(float))
