"""Turn a solved model into :class:`~netdesign.results.Results` tables (see results.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from netdesign.formulas import capacity_raise, freight_at_fuel_index
from netdesign.optimization.highs import SolveOutcome
from netdesign.optimization.index import ModelIndex, variance_weight
from netdesign.optimization.peak import peak_columns
from netdesign.optimization.safety_stock import safety_stock
from netdesign.results import COST_LINES, Results

EPS = 1e-6


def values(var, n: int) -> np.ndarray:
    """Values of var[0..n-1] (0 for variables HiGHS never saw)."""
    return np.array([var[i].value or 0.0 for i in range(n)], dtype=float)


def extract(m: pyo.ConcreteModel, ix: ModelIndex, outcome: SolveOutcome, build_seconds: float,
            model_size: dict[str, int], floor: pd.Series) -> Results:
    flow = values(m.flow, len(ix.flows))
    is_open = values(m.open, len(ix.facilities)) > 0.5
    option = values(m.option, len(ix.options)) > 0.5
    safety = values(m.safety, len(ix.pairs))
    unmet = values(m.unmet, len(ix.demand))
    flows = _flows(ix, flow, pyo.value(m.fuel_index))
    inventory = _inventory(ix, flow, safety)
    return Results(
        status=outcome.status,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        gap_total=outcome.gap_total,
        floor=float(floor.sum()),
        floor_parts={k: float(v) for k, v in floor.items()},
        solve_seconds=outcome.seconds,
        build_seconds=build_seconds,
        costs=pd.Series({line: float(pyo.value(m.cost[line])) for line in COST_LINES}),
        facilities=_facilities(ix, is_open, option, flows, inventory),
        flows=flows,
        assignments=_assignments(flows, ix),
        inventory=inventory,
        service=_service(flows, ix),
        strategy=_strategy(flows, ix),
        unmet=ix.demand.loc[unmet > EPS, ["product", "customer"]].assign(units=unmet[unmet > EPS])
        .reset_index(drop=True),
        model_size=model_size,
        solver_log=outcome.log,
    )


def _flows(ix: ModelIndex, flow: np.ndarray, fuel_index: float) -> pd.DataFrame:
    f = ix.flows
    used = flow > EPS
    table = f.loc[used, ["leg", "product", "origin", "destination", "mode", "distance_km",
                         "transit_days"]].copy()
    units = flow[used]
    table["units"] = units
    unit_freight = freight_at_fuel_index(f["freight"].to_numpy()[used],
                                         f["freight_fuel"].to_numpy()[used], fuel_index)
    table["freight"] = units * unit_freight
    table["co2_kg"] = units * f["co2_kg"].to_numpy()[used]
    table["unit_value"] = f["unit_value"].to_numpy()[used]
    table["flow_index"] = np.flatnonzero(used)
    return table.reset_index(drop=True)


def _inventory(ix: ModelIndex, flow: np.ndarray, safety: np.ndarray) -> pd.DataFrame:
    """Cycle, safety (model and closed form) and pipeline units at every stocking pair."""
    s = ix.data.settings
    days, review = s.days_per_year, s.inventory.review_period_days
    pairs = ix.pairs
    weight = variance_weight(ix.flows, ix.demand, pairs)
    throughput = np.array([flow[ix.ships_from[k]].sum() for k in range(len(pairs))])
    variance = np.array([(weight[ix.ships_from[k]] * flow[ix.ships_from[k]]).sum()
                         for k in range(len(pairs))])
    exact = np.array([
        safety_stock(z, p, v, t / days, sd) if t > EPS else 0.0
        for z, p, v, t, sd in zip(pairs["z"], pairs["protection_days"], variance, throughput,
                                  pairs["lead_time_sd"], strict=True)
    ])
    f = ix.flows
    transit = f["transit_days"].to_numpy(dtype=float) * flow / days
    in_pair = f["in_pair"].to_numpy()
    out_pair = f["out_pair"].to_numpy()
    at_dest = np.isin(f["leg"].to_numpy(), ("inbound", "transfer")) & (in_pair >= 0)
    at_origin = (f["leg"].to_numpy() == "outbound") & (out_pair >= 0)
    pipeline = np.bincount(in_pair[at_dest], transit[at_dest], minlength=len(pairs))
    pipeline += np.bincount(out_pair[at_origin], transit[at_origin], minlength=len(pairs))
    table = pairs[["product", "facility", "unit_value"]].copy()
    table["throughput"] = throughput
    table["cycle"] = throughput * review / (2 * days)
    table["safety"] = safety
    table["safety_exact"] = exact
    table["safety_error"] = safety - exact
    table["pipeline"] = pipeline
    direct = (f["leg"].to_numpy() == "direct") & (flow > EPS)
    if direct.any():
        extra = pd.DataFrame({
            "product": f.loc[direct, "product"].to_numpy(),
            "facility": f.loc[direct, "origin"].to_numpy(),
            "unit_value": f.loc[direct, "unit_value"].to_numpy(),
            "pipeline": transit[direct],
        }).groupby(["product", "facility", "unit_value"], as_index=False)["pipeline"].sum()
        table = pd.concat([table, extra.assign(throughput=0.0, cycle=0.0, safety=0.0,
                                               safety_exact=0.0, safety_error=0.0)],
                          ignore_index=True)
    table["value"] = (table["cycle"] + table["safety"] + table["pipeline"]) * table["unit_value"]
    keep = (table[["throughput", "pipeline", "safety"]].abs() > EPS).any(axis=1)
    return table[keep].reset_index(drop=True)


def _facilities(ix: ModelIndex, is_open: np.ndarray, option: np.ndarray, flows: pd.DataFrame,
                inventory: pd.DataFrame) -> pd.DataFrame:
    data = ix.data
    fac = data.facilities[["facility", "status", "throughput_capacity"]].reset_index(drop=True)
    open_by_id = dict(zip(ix.facilities["facility"], is_open, strict=True))
    fac["open"] = [bool(open_by_id.get(f, False)) for f in fac["facility"]]
    fac["change"] = [
        _change(status, opened) for status, opened in zip(fac["status"], fac["open"], strict=True)
    ]
    chosen = ix.options[option]
    fac["options"] = fac["facility"].map(chosen.groupby("facility")["option"].agg(";".join)
                                         ).astype(object).fillna("")  # float NaN when none
    raise_by = capacity_raise(chosen).groupby(chosen["facility"]).sum()
    shipped = flows[flows["leg"].isin(["outbound", "transfer"])]
    fac["throughput"] = fac["facility"].map(shipped.groupby("origin")["units"].sum()).fillna(0.0)
    capacity = fac["throughput_capacity"] * (1.0 + fac["facility"].map(raise_by).fillna(0.0))
    fac["throughput_capacity"] = capacity
    fac["utilisation"] = np.where(np.isfinite(capacity) & (capacity > 0),
                                  fac["throughput"] / capacity.replace(0, np.nan), np.nan)
    held = inventory.assign(units=inventory["cycle"] + inventory["safety"])
    fac["inventory"] = fac["facility"].map(held.groupby("facility")["units"].sum()).fillna(0.0)
    fac["role"] = _roles(fac, flows)
    return peak_columns(data, fac, inventory)


def _change(status: str, opened: bool) -> str:
    if status == "forced_closed":
        return "forced_closed"
    if status == "existing":
        return "kept" if opened else "closed"
    return "opened" if opened else "unused"


def _roles(fac: pd.DataFrame, flows: pd.DataFrame) -> list[str]:
    """hub: ships transfers or is a product's only stocking point; regional: serves customers of
    products stocked elsewhere too; idle: open without throughput; none: closed."""
    out = flows[flows["leg"] == "outbound"]
    points = out.groupby("product")["origin"].nunique()
    sole = set(out.loc[out["product"].map(points) == 1, "origin"])
    shared = set(out.loc[out["product"].map(points) > 1, "origin"])
    transfers = set(flows.loc[flows["leg"] == "transfer", "origin"])
    roles = []
    for facility, opened in zip(fac["facility"], fac["open"], strict=True):
        hub = facility in sole or facility in transfers
        regional = facility in shared
        roles.append("none" if not opened else "hub+regional" if hub and regional else "hub"
                     if hub else "regional" if regional else "idle")
    return roles


def _assignments(flows: pd.DataFrame, ix: ModelIndex) -> pd.DataFrame:
    delivered = flows[flows["leg"].isin(["outbound", "direct"])]
    table = delivered.groupby(["product", "destination", "origin"], as_index=False)["units"].sum()
    table = table.rename(columns={"destination": "customer", "origin": "facility"})
    demand = ix.demand.set_index(["product", "customer"])["annual_units"]
    table["share"] = table["units"] / demand.reindex(
        pd.MultiIndex.from_frame(table[["product", "customer"]])).to_numpy()
    return table


def _service(flows: pd.DataFrame, ix: ModelIndex) -> pd.DataFrame:
    delivered = flows[flows["leg"].isin(["outbound", "direct"])].assign(
        days_units=lambda t: t["transit_days"] * t["units"])
    table = delivered.groupby(["product", "destination"], as_index=False)[
        ["units", "days_units"]].sum().rename(columns={"destination": "customer"})
    table["delivery_days"] = table.pop("days_units") / table["units"]
    promise = ix.demand.set_index(["product", "customer"])["max_days"]
    table["max_days"] = promise.reindex(
        pd.MultiIndex.from_frame(table[["product", "customer"]])).to_numpy()
    return table


def _strategy(flows: pd.DataFrame, ix: ModelIndex) -> pd.DataFrame:
    """Stocking points of a product are the DCs it leaves (to customers or as transfers): a hub
    feeding one regional DC is tiered with two points, not a hub at the regional DC."""
    ships = flows[flows["leg"].isin(["outbound", "transfer"])]
    transfers = set(flows.loc[flows["leg"] == "transfer", "product"])
    rows = []
    for product in ix.network.products["product"]:
        points = sorted(ships.loc[ships["product"] == product, "origin"].unique())
        kind = ("none" if not points else "tiered" if product in transfers else
                "hub" if len(points) == 1 else "regional")
        rows.append((product, len(points), ";".join(points), kind))
    return pd.DataFrame(rows, columns=["product", "stocking_points", "facilities", "strategy"])
