"""Infeasibility diagnosis: solve an elastic copy of the model and name what has to give.

The elastic model lets demand go unserved and lets capacity, service-band, facility-count and
strategy constraints be violated, each at a penalty of one per unit of violation, and minimises the
total violation (a phase-one problem). Every non-zero slack becomes one readable line naming the
customer and product, the facility, or the constraint, and by how much it must give.

A unit of unserved demand costs :data:`UNMET_WEIGHT` (> 1) units of violation: when a capacity
(of a DC or a supplier) is what is short, relaxing it by N units and leaving N units unserved
would otherwise tie, and the diagnosis could blame the customers ("cannot be delivered within the
promise") for what the capacity lacks. Demand is reported unserved only where nothing else helps.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from netdesign.data import ModelData
from netdesign.optimization.extract import values
from netdesign.optimization.highs import HighsSession
from netdesign.optimization.model import build_model

#: violation per unit of unserved demand (capacity slacks count 1 per unit)
UNMET_WEIGHT = 2.0

#: constraint families made elastic, with how to describe a violated row
ELASTIC_FAMILIES = {
    "throughput_capacity": "DC {name}: throughput capacity short by {amount:,.0f} units/year",
    "storage_capacity": "DC {name}: storage capacity short by {amount:,.0f} units",
    "supplier_capacity": "supplier {name}: capacity short by {amount:,.0f} units/year",
    "service_band": "service band: {amount:,.0f} units/year more would have to arrive late",
    "facility_count": "facility count: the limit must move by {amount:,.2f} DCs",
    "hub_stocking": "product {name}: cannot be served from a single DC (hub rule) within the "
    "promises; violation {amount:,.2f}",
    "single_source": "customer {name}: cannot be served from one DC alone",
    "single_source_flow": "customer/product {name}: single sourcing must give by "
    "{amount:,.0f} units/year",
}


def diagnose(data: ModelData, time_limit: float = 120.0) -> list[str]:
    """Readable reasons why ``data``'s model is infeasible (empty if the elastic model is clean)."""
    m, ix = build_model(data)
    for d in m.unmet:
        m.unmet[d].unfix()
    violation = [UNMET_WEIGHT * linear_sum(m.unmet)]
    slacks: list[tuple[str, str, pyo.Var]] = []
    m.elastic = pyo.Block()
    for family in ELASTIC_FAMILIES:
        component = getattr(m, family, None)
        if component is None:
            continue
        for key, con in list(component.items()):
            name = _describe(family, key, ix)
            plus = pyo.Var(within=pyo.NonNegativeReals)
            minus = pyo.Var(within=pyo.NonNegativeReals)
            label = f"{family}_{len(slacks)}"
            m.elastic.add_component(label + "_p", plus)
            m.elastic.add_component(label + "_m", minus)
            body = con.body + plus - minus
            m.elastic.add_component(label, pyo.Constraint(expr=pyo.inequality(
                con.lower, body, con.upper) if not con.equality else body == con.upper))
            con.deactivate()
            slacks.append((family, name, plus))
            slacks.append((family, name, minus))
            violation += [plus, minus]
    m.total_cost.deactivate()
    m.violation = pyo.Objective(expr=sum(violation), sense=pyo.minimize)
    outcome = HighsSession(m).solve(time_limit=time_limit, mip_gap=1e-6, threads=1)
    if outcome.values is None:
        return [f"the elastic model could not be solved ({outcome.status}): check facility "
                "states, options and lanes"]
    messages = []
    unmet = values(m.unmet, len(ix.demand))
    for row in np.flatnonzero(unmet > 1e-6):
        d = ix.demand.iloc[row]
        messages.append(f"customer {d['customer']}, product {d['product']}: {unmet[row]:,.0f} of "
                        f"{d['annual_units']:,.0f} units/year cannot be delivered within "
                        f"{d['max_days']:g} days by the DCs and lanes allowed")
    for family, name, var in slacks:
        amount = var.value or 0.0
        if amount > 1e-6:
            messages.append(ELASTIC_FAMILIES[family].format(name=name, amount=amount))
    return messages or ["the model is infeasible but no elastic constraint has to give: check "
                        "forced facility states and options"]


def linear_sum(var) -> pyo.Expression:
    return sum(var[i] for i in var)


def _describe(family: str, key, ix) -> str:
    if family in ("throughput_capacity", "storage_capacity"):
        return str(ix.facilities["facility"].iat[key])
    if family == "supplier_capacity":
        row = ix.data.supply.iloc[key]
        return f"{row['supplier']} ({row['product']})"
    if family == "single_source_flow":
        link = ix.outbound_links.iloc[key]
        d = ix.demand.iloc[int(link["demand_row"])]
        return f"{d['customer']}/{d['product']}"
    return str(key) if key is not None else family
