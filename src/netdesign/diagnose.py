"""Infeasibility diagnosis: relax what can give, all together, and let the smallest change win.

The elastic model is the model with every rule that can make it infeasible relaxed at once, and
an objective that measures how much each has to give (a phase-one problem; Chinneck 2008,
"Feasibility and Infeasibility in Optimization", ch. 6, elastic programming):

* **capacity** — DC throughput and storage, supplier capacity: a slack per row, weight
  :data:`CAPACITY_WEIGHT` per unit;
* **promises** — the network is rebuilt with every customer's promise relaxed to
  :func:`relaxed_promise` days; a unit delivered on a lane slower than the customer's own promise
  weighs :data:`LATE_WEIGHT` plus :data:`LATE_PER_DAY` per day late;
* **supply** and **counts**, the service band, single sourcing and the hub rule: a slack per row,
  weight 1 per unit (a unit of a count is one DC);
* demand that no lane reaches even late: :data:`UNMET_WEIGHT` per unit, so it is named only
  where nothing else helps.

A unit of missing capacity and a unit delivered late would otherwise tie; capacity weighs
slightly less, so where adding capacity to a DC within the promise serves the customer, capacity
is named and the promises are left alone ("promises: none need to move"). The aggregate
capacity-cover inequality (valid for the original model only) is dropped. The result is one
summary line per binding cause, with its amount, and for promises the customers that would have
to wait longer.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from netdesign.data import ModelData
from netdesign.optimization.extract import values
from netdesign.optimization.highs import HighsSession
from netdesign.optimization.model import build_model
from netdesign.schema import ServiceBand

#: weights of the elastic objective, per unit of violation
CAPACITY_WEIGHT = 1.0
LATE_WEIGHT = 1.01
LATE_PER_DAY = 0.02
UNMET_WEIGHT = 2.0
#: how many customers' promises are listed under the promises line
PROMISE_DETAILS = 5

#: constraint families made elastic, their weight, and how to describe a violated row
ELASTIC_FAMILIES = {
    "throughput_capacity": (CAPACITY_WEIGHT,
                            "DC {name}: throughput capacity short by {amount:,.0f} units/year"),
    "storage_capacity": (CAPACITY_WEIGHT, "DC {name}: storage capacity short by {amount:,.0f} "
                         "units"),
    "supplier_capacity": (CAPACITY_WEIGHT, "supplier {name}: capacity short by {amount:,.0f} "
                          "units/year"),
    "service_band": (1.0, "service band: {amount:,.0f} units/year more would have to arrive "
                     "late"),
    "facility_count": (1.0, "facility count: the limit must move by {amount:,.2f} DCs"),
    "hub_stocking": (1.0, "product {name}: cannot be served from a single DC (hub rule) within "
                     "the promises; violation {amount:,.2f}"),
    "single_source": (1.0, "customer {name}: cannot be served from one DC alone"),
    "single_source_flow": (1.0, "customer/product {name}: single sourcing must give by "
                           "{amount:,.0f} units/year"),
}


def relaxed_promise(days: float) -> float:
    """The promise the elastic model allows: twice the promise, at least 3 days more."""
    return max(2.0 * days, days + 3.0)


def diagnose(data: ModelData, time_limit: float = 120.0) -> list[str]:
    """Readable reasons why ``data``'s model is infeasible (see the module docstring)."""
    promise = _promises(data)
    m, ix = build_model(_relaxed(data, promise))
    if hasattr(m, "capacity_cover"):
        m.capacity_cover.deactivate()
    for d in m.unmet:
        m.unmet[d].unfix()
    late = _days_late(ix.flows, promise)
    violation = [UNMET_WEIGHT * sum(m.unmet[d] for d in m.unmet)]
    violation += [(LATE_WEIGHT + LATE_PER_DAY * late[a]) * m.flow[a]
                  for a in np.flatnonzero(late > 1e-9)]
    slacks = _make_elastic(m, ix, violation)
    m.total_cost.deactivate()
    m.violation = pyo.Objective(expr=sum(violation), sense=pyo.minimize)
    caveat = _solve_elastic(HighsSession(m), time_limit)
    if caveat is None:
        return ["the elastic model could not be solved: check facility states, options and "
                "lanes"]
    lines = [ELASTIC_FAMILIES[family][1].format(name=name, amount=var.value or 0.0)
             for family, name, var in slacks if (var.value or 0.0) > 1e-6]
    lines += _promise_lines(ix, values(m.flow, len(ix.flows)), late, promise)
    lines += _unmet_lines(ix, values(m.unmet, len(ix.demand)))
    if caveat:
        lines.append(caveat)
    if len(lines) == 1 and lines[0].startswith("promises: none"):
        return ["the model is infeasible but no elastic constraint has to give: check forced "
                "facility states and options"]
    return lines


def _solve_elastic(session: HighsSession, time_limit: float) -> str | None:
    """Solve the elastic model and load its values: '' when proven minimal, a caveat when not,
    None when there is no solution at all.

    The LP relaxation comes first (seconds, even at full size): its minimal violation is a lower
    bound of the MIP's and names every cause that integrality does not create. The MIP then
    settles counts, single sourcing and the hub rule; unless it is proven optimal within the time
    limit, the LP relaxation's answer is kept (a first MIP incumbent may leave demand unserved
    that capacity would serve).
    """
    relaxed = session.solve_relaxation(time_limit / 4, threads=1)
    outcome = session.solve(time_limit=time_limit, mip_gap=1e-6, threads=1)
    if outcome.status == "optimal" and outcome.values is not None:
        return ""
    if relaxed.values is not None:
        session.load(relaxed.values)
        return (f"(from the LP relaxation; the elastic MIP stopped at {outcome.status}: rules "
                "on whole DCs, such as counts, single sourcing or the hub rule, may need more)")
    if outcome.values is not None:
        return (f"(the elastic search stopped at {outcome.status}: the amounts above may be "
                "more than is needed)")
    return None


def _promises(data: ModelData) -> pd.Series:
    """Each customer's promise in days (its max_days, else the model's service.max_days)."""
    customers = data.customers.set_index("customer")["max_days"]
    return customers.fillna(data.settings.service.max_days).astype(float)


def _relaxed(data: ModelData, promise: pd.Series) -> ModelData:
    """``data`` with every promise relaxed and the approximate reductions off.

    A service band of share 0 (a row that never binds) makes the dominance reduction compare
    transit times too, so the fastest mode of a lane stays in the network beside cheaper slow
    ones: lateness is what the elastic model measures.
    """
    s = data.settings
    service = s.service.model_copy(update={
        "max_days": relaxed_promise(s.service.max_days),
        "band": s.service.band or ServiceBand(days=relaxed_promise(s.service.max_days),
                                              share=0.0)})
    settings = s.model_copy(update={
        "service": service,
        "reductions": s.reductions.model_copy(update={"nearest_dcs": None})})
    customers = data.customers.assign(
        max_days=data.customers["customer"].map(promise).map(relaxed_promise))
    return data.evolve(settings=settings, customers=customers)


def _days_late(flows: pd.DataFrame, promise: pd.Series) -> np.ndarray:
    """Days beyond the customer's own promise of every delivering arc (0 on time or no delivery)."""
    delivers = flows["leg"].isin(["outbound", "direct"]).to_numpy()
    limit = flows["destination"].map(promise).to_numpy(dtype=float)
    late = flows["transit_days"].to_numpy(dtype=float) - limit
    return np.where(delivers & np.isfinite(late) & (late > 1e-9), late, 0.0)


def _make_elastic(m: pyo.ConcreteModel, ix, violation: list) -> list[tuple[str, str, pyo.Var]]:
    """Replace each row of the elastic families by one with slacks; return the slacks."""
    slacks: list[tuple[str, str, pyo.Var]] = []
    m.elastic = pyo.Block()
    for family, (weight, _) in ELASTIC_FAMILIES.items():
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
            slacks += [(family, name, plus), (family, name, minus)]
            violation += [weight * plus, weight * minus]
    return slacks


def _promise_lines(ix, flow: np.ndarray, late: np.ndarray, promise: pd.Series) -> list[str]:
    """One summary line for promises, then the customers that would wait longest."""
    used = np.flatnonzero((late > 1e-9) & (flow > 1e-6))
    if not len(used):
        return ["promises: none need to move"]
    f = ix.flows.iloc[used]
    table = pd.DataFrame({"customer": f["destination"].to_numpy(), "units": flow[used],
                          "days": f["transit_days"].to_numpy(dtype=float)})
    per = table.groupby("customer").agg(units=("units", "sum"), days=("days", "max"))
    per = per.sort_values(["units", "days"], ascending=False)
    lines = [f"promises: {len(per)} customer(s) need a longer promise; "
             f"{per['units'].sum():,.0f} units/year would arrive up to "
             f"{(per['days'] - per.index.map(promise)).max():,.2f} days late"]
    for customer, row in per.head(PROMISE_DETAILS).iterrows():
        lines.append(f"  customer {customer}: promise {promise[customer]:g} → "
                     f"{math.ceil(row['days'] * 100) / 100:g} days for {row['units']:,.0f} "
                     "units/year")
    if len(per) > PROMISE_DETAILS:
        lines.append(f"  ... and {len(per) - PROMISE_DETAILS} more customer(s)")
    return lines


def _unmet_lines(ix, unmet: np.ndarray) -> list[str]:
    lines = []
    for row in np.flatnonzero(unmet > 1e-6):
        d = ix.demand.iloc[row]
        lines.append(f"customer {d['customer']}, product {d['product']}: {unmet[row]:,.0f} of "
                     f"{d['annual_units']:,.0f} units/year cannot be delivered by the DCs and "
                     f"lanes allowed, even within {d['max_days']:g} days")
    return lines


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
