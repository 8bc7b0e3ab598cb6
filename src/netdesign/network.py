"""The transport network: every lane-mode arc a product may move on, with its unit costs and times.

Arcs are built once from the model data as flat tables (one row per product × lane × mode), the
index arrays the optimisation model is generated from. Exact reductions happen here, before any
variable exists (they hold for every non-negative fuel index, CO2 price and carrying rate, so a
persistent model re-solved with new numbers stays exact):

* a mode is removed on a lane where another mode is no dearer in base freight, fuel part, CO2 and
  transit time for that product (dominated lane-mode pairs);
* outbound and direct arcs slower than the customer's promise are removed (service);
* modes only appear on legs they declare and between their min/max km.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from netdesign.data import ModelData
from netdesign.geo import distance_matrix_km

OWN_SOURCE_MODE = "own"  # replenishment of a DC that is its own source (no supply table)


@dataclass(frozen=True)
class Network:
    """Flat arc and index tables for one model instance (positional index = variable index)."""

    flows: pd.DataFrame  # leg, product, origin, destination, mode, costs and times per unit
    demand: pd.DataFrame  # product, customer, annual_units, demand_sd, variance_per_unit, ...
    stock: pd.DataFrame  # product, facility: pairs that may hold stock, with safety stock data
    products: pd.DataFrame
    facilities: pd.DataFrame
    customers: pd.DataFrame
    reductions: dict[str, int]


def endpoint_table(data: ModelData) -> pd.DataFrame:
    """id, kind, lat, lon of every supplier, facility and customer."""
    parts = [
        data.suppliers.assign(kind="supplier").rename(columns={"supplier": "id"}),
        data.facilities.assign(kind="facility").rename(columns={"facility": "id"}),
        data.customers.assign(kind="customer").rename(columns={"customer": "id"}),
    ]
    return pd.concat([p[["id", "kind", "lat", "lon"]] for p in parts], ignore_index=True)


def lane_arcs(
    data: ModelData, origins: pd.DataFrame, destinations: pd.DataFrame, leg: str
) -> pd.DataFrame:
    """Every (origin, destination, mode) arc of one leg with distance, transit and rates.

    Columns: origin, destination, mode, distance_km, transit_days, rate_per_kg, fixed_per_unit,
    override_cost, fuel_share, co2_kg_per_kg. Explicit ``lanes`` rows override the geographic
    defaults and are allowed even outside the mode's km window.
    """
    modes = data.modes[data.modes["legs"].str.split(";").apply(lambda legs: leg in legs)]
    if origins.empty or destinations.empty or modes.empty:
        return pd.DataFrame(columns=_ARC_COLUMNS)
    dist = distance_matrix_km(
        origins["lat"].to_numpy(), origins["lon"].to_numpy(),
        destinations["lat"].to_numpy(), destinations["lon"].to_numpy(),
    ) * data.settings.circuity_factor
    oi, di = np.meshgrid(np.arange(len(origins)), np.arange(len(destinations)), indexing="ij")
    base = pd.DataFrame({
        "origin": origins["id"].to_numpy()[oi.ravel()],
        "destination": destinations["id"].to_numpy()[di.ravel()],
        "distance_km": dist.ravel(),
    })
    if leg == "transfer":
        base = base[base["origin"] != base["destination"]]
    arcs = base.merge(modes, how="cross")
    lanes = data.lanes.rename(
        columns={"distance_km": "lane_km", "transit_days": "lane_days", "cost_per_unit": "lane_cost"}
    )
    arcs = arcs.merge(
        lanes[["origin", "destination", "mode", "lane_km", "lane_days", "lane_cost"]],
        on=["origin", "destination", "mode"], how="left", indicator=True,
    )
    explicit = (arcs.pop("_merge") == "both").to_numpy()
    arcs["distance_km"] = arcs["lane_km"].fillna(arcs["distance_km"])
    in_window = arcs["distance_km"].between(arcs["min_km"], arcs["max_km"])
    arcs = arcs[in_window.to_numpy() | explicit].copy()
    computed = arcs["distance_km"] / arcs["speed_km_per_day"] + arcs["handling_days"]
    arcs["transit_days"] = arcs["lane_days"].fillna(computed)
    arcs["rate_per_kg"] = arcs["cost_per_kg_km"] * arcs["distance_km"]
    arcs["fixed_per_unit"] = arcs["cost_per_unit_fixed"]
    arcs["override_cost"] = arcs["lane_cost"]
    arcs["co2_kg_per_kg"] = arcs["co2_kg_per_tonne_km"] * arcs["distance_km"] / 1000.0
    return arcs[_ARC_COLUMNS].reset_index(drop=True)


_ARC_COLUMNS = [
    "origin", "destination", "mode", "distance_km", "transit_days", "rate_per_kg",
    "fixed_per_unit", "override_cost", "fuel_share", "co2_kg_per_kg",
]


def _price(arcs: pd.DataFrame) -> pd.DataFrame:
    """Per-unit freight (base and its fuel part) and CO2 for arcs already joined to a product."""
    weight = arcs["weight_kg"]
    base = arcs["override_cost"].fillna(arcs["fixed_per_unit"] + arcs["rate_per_kg"] * weight)
    return arcs.assign(
        freight=base.to_numpy(),
        freight_fuel=(base * arcs["fuel_share"]).to_numpy(),
        co2_kg=(arcs["co2_kg_per_kg"] * weight).to_numpy(),
    )


def remove_dominated(arcs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Drop arcs another mode on the same lane and product beats or ties on every cost and time.

    Arc a dominates b when freight, fuel part, CO2 and transit of a are all ≤ those of b (ties are
    broken by keeping the first). Exact for every non-negative fuel index, CO2 and carrying price.
    """
    if arcs.empty:
        return arcs
    crit = ["freight", "freight_fuel", "co2_kg", "transit_days"]
    arcs = arcs.sort_values([*keys, *crit], kind="stable")
    group = arcs.groupby(keys, sort=False).ngroup().to_numpy()
    values = arcs[crit].to_numpy()
    keep = np.ones(len(arcs), dtype=bool)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(arcs)]
    for start, end in zip(starts, ends, strict=True):
        if end - start == 1:
            continue
        block = values[start:end]
        for i in range(1, end - start):
            dominated = np.all(block[:i] <= block[i], axis=1) & keep[start : start + i]
            if dominated.any():
                keep[start + i] = False
    return arcs[keep]


def hub_products(data: ModelData) -> set[str]:
    """Products the strategy setting stocks at exactly one DC.

    ``hub``: all. ``hybrid``: slow movers — products whose ``segment`` is not ``fast``; without a
    segment column, the products outside the largest ones that make up ``hybrid.fast_share`` of
    annual units (Pareto / ABC rule). ``free`` and ``regional``: none.
    """
    s = data.settings
    products = data.products
    if s.strategy == "hub":
        return set(products["product"])
    if s.strategy != "hybrid":
        return set()
    if "segment" in products and products["segment"].notna().any():
        return set(products.loc[products["segment"].fillna("") != "fast", "product"])
    units = data.demand.groupby("product")["annual_units"].sum().sort_values(ascending=False)
    cumulative = units.cumsum() / units.sum()
    fast = set(cumulative.index[(cumulative.shift(fill_value=0.0) < s.hybrid.fast_share)])
    return set(products["product"]) - fast


def z_value(service_level: float) -> float:
    """Standard normal quantile z = Φ⁻¹(service level)."""
    return NormalDist().inv_cdf(service_level)


def build_network(data: ModelData) -> Network:
    """Arc and index tables of a validated model, after exact reductions."""
    s = data.settings
    ends = endpoint_table(data)
    sup = ends[ends["kind"] == "supplier"]
    fac = ends[ends["kind"] == "facility"]
    cus = ends[ends["kind"] == "customer"]
    closed = set(data.facilities.loc[data.facilities["status"] == "forced_closed", "facility"])
    fac = fac[~fac["id"].isin(closed)]
    products = data.products.reset_index(drop=True)
    prod_cols = products[["product", "weight_kg", "unit_value"]]
    demand = data.demand[data.demand["annual_units"] > 0].merge(
        data.customers[["customer", "max_days"]], on="customer"
    )
    demand["max_days"] = demand["max_days"].fillna(s.service.max_days)
    counts: dict[str, int] = {}

    def expand(arcs: pd.DataFrame, pairs: pd.DataFrame, on: str, leg: str) -> pd.DataFrame:
        joined = _price(arcs.merge(pairs, on=on).merge(prod_cols, on="product"))
        counts[f"{leg}_arcs"] = len(joined)
        if leg in ("outbound", "direct"):
            joined = joined[joined["transit_days"] <= joined["max_days"] + 1e-9]
            counts[f"{leg}_removed_by_service"] = counts[f"{leg}_arcs"] - len(joined)
        kept = remove_dominated(joined, ["product", "origin", "destination"])
        counts[f"{leg}_removed_as_dominated"] = len(joined) - len(kept)
        return kept.assign(leg=leg)

    dem_pairs = demand[["customer", "product", "max_days"]].rename(
        columns={"customer": "destination"}
    )
    outbound = expand(lane_arcs(data, fac, cus, "outbound"), dem_pairs, "destination", "outbound")
    if data.has_suppliers:
        supply = data.supply.rename(columns={"supplier": "origin"})
        inbound = expand(
            lane_arcs(data, sup, fac, "inbound"),
            supply[["origin", "product", "unit_cost"]], "origin", "inbound",
        ).rename(columns={"unit_cost": "purchase_cost"})
        direct_pairs = supply[["origin", "product", "unit_cost"]].merge(dem_pairs, on="product")
        direct_arcs = lane_arcs(data, sup, cus, "direct")
        direct = expand(direct_arcs, direct_pairs, ["origin", "destination"], "direct")
        direct = direct.rename(columns={"unit_cost": "purchase_cost"})
    else:
        inbound = _own_source_arcs(fac, products)
        direct = pd.DataFrame()
    stock_pairs = outbound[["product", "origin"]].drop_duplicates()
    if s.strategy != "free":
        transfer = pd.DataFrame()
    else:
        transfer_arcs = lane_arcs(data, fac, fac, "transfer")
        transfer = expand(
            transfer_arcs.merge(
                stock_pairs.rename(columns={"origin": "destination"}), on="destination"
            ),
            pd.DataFrame({"product": products["product"]}), "product", "transfer",
        )
    shippers = pd.concat([outbound, transfer])[["product", "origin"]].drop_duplicates()
    useful = inbound.merge(shippers.rename(columns={"origin": "destination"}),
                           on=["product", "destination"])
    counts["inbound_removed_as_unused"] = len(inbound) - len(useful)
    flows = pd.concat([useful, transfer, outbound, direct], ignore_index=True)
    for col in ("purchase_cost",):
        flows[col] = flows[col].fillna(0.0) if col in flows else 0.0
    flows = flows[_FLOW_COLUMNS].reset_index(drop=True)
    demand = _demand_table(demand, products, s.days_per_year)
    stock = _stock_table(data, flows, demand, products)
    return Network(
        flows=flows,
        demand=demand,
        stock=stock,
        products=products,
        facilities=data.facilities[~data.facilities["facility"].isin(closed)].reset_index(drop=True),
        customers=data.customers.reset_index(drop=True),
        reductions=counts,
    )


_FLOW_COLUMNS = [
    "leg", "product", "origin", "destination", "mode", "distance_km", "transit_days",
    "freight", "freight_fuel", "co2_kg", "unit_value", "purchase_cost",
]


def _own_source_arcs(fac: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Replenishment of DCs that are their own source: free, instant arcs j → j per product."""
    pairs = fac[["id"]].merge(products[["product", "unit_value"]], how="cross")
    return pd.DataFrame({
        "leg": "inbound", "product": pairs["product"], "origin": pairs["id"],
        "destination": pairs["id"], "mode": OWN_SOURCE_MODE, "distance_km": 0.0,
        "transit_days": 0.0, "freight": 0.0, "freight_fuel": 0.0, "co2_kg": 0.0,
        "unit_value": pairs["unit_value"], "purchase_cost": pairs["unit_value"],
    })


def _demand_table(demand: pd.DataFrame, products: pd.DataFrame, days: float) -> pd.DataFrame:
    """Demand pairs with variance per unit (σ²/d, the pooling weight) and the unmet penalty."""
    d = demand.merge(products[["product", "unit_price", "unit_value"]], on="product")
    d = d.reset_index(drop=True)
    d["variance_per_unit"] = d["demand_sd"] ** 2 / d["annual_units"]
    d["daily_units"] = d["annual_units"] / days
    return d


def _stock_table(
    data: ModelData, flows: pd.DataFrame, demand: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """(product, facility) pairs that can hold stock, with the safety-stock inputs of each.

    ``lead_time`` is the planning lead time of the pair: supplier lead time plus transit of the
    cheapest replenishment arc into the DC (inbound or transfer), ``lead_time_sd`` its supplier's
    standard deviation. ``protection_days`` = lead time + review period (periodic review).
    ``variance_per_unit`` (ρ) is the product's Σσ²/Σd, the variance a transferred unit carries.
    """
    s = data.settings
    shipped = flows[flows["leg"].isin(["outbound", "transfer"])]
    pairs = shipped[["product", "origin"]].drop_duplicates().rename(columns={"origin": "facility"})
    replenish = flows[flows["leg"].isin(["inbound", "transfer"])].copy()
    replenish["landed"] = replenish["purchase_cost"] + replenish["freight"]
    if data.has_suppliers:
        lt = data.supply[["supplier", "product", "lead_time_days", "lead_time_sd_days"]].rename(
            columns={"supplier": "origin"}
        )
        replenish = replenish.merge(lt, on=["origin", "product"], how="left")
    else:
        lt = data.facilities[["facility", "replenish_lead_time_days"]].rename(
            columns={"facility": "origin", "replenish_lead_time_days": "lead_time_days"}
        )
        replenish = replenish.merge(lt, on="origin", how="left").assign(lead_time_sd_days=0.0)
    replenish[["lead_time_days", "lead_time_sd_days"]] = replenish[
        ["lead_time_days", "lead_time_sd_days"]
    ].fillna(0.0)
    replenish["lead_time"] = replenish["lead_time_days"] + replenish["transit_days"]
    cheapest = (
        replenish.sort_values(["landed", "lead_time"], kind="stable")
        .drop_duplicates(["product", "destination"])
        .rename(columns={"destination": "facility", "lead_time_sd_days": "lead_time_sd"})
    )
    stock = pairs.merge(
        cheapest[["product", "facility", "lead_time", "lead_time_sd"]],
        on=["product", "facility"], how="left",
    ).fillna({"lead_time": 0.0, "lead_time_sd": 0.0})
    per_product = demand.groupby("product").agg(
        variance=("demand_sd", lambda sd: float((sd**2).sum())), units=("annual_units", "sum")
    )
    per_product["variance_per_unit"] = per_product["variance"] / per_product["units"]
    stock = stock.merge(per_product["variance_per_unit"], left_on="product", right_index=True)
    stock = stock.merge(products[["product", "service_level", "unit_value"]], on="product")
    stock["z"] = stock["service_level"].map(z_value)
    stock["protection_days"] = stock["lead_time"] + s.inventory.review_period_days
    return stock.reset_index(drop=True)
