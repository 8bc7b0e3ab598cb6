"""The transport network: every lane-mode arc a product may move on, with its unit costs and times.

Arcs are built once from the model data as flat tables (one row per product × lane × mode), the
index arrays the optimisation model is generated from. Exact reductions happen here, before any
variable exists (they hold for every non-negative fuel index, CO2 price and carrying rate, so a
persistent model re-solved with new numbers stays exact):

* a mode is removed on a lane where another mode is no dearer for that product at any fuel index,
  CO2 price and carrying rate up to ``MAX_CARRYING_RATE`` (dominated lane-mode pairs; transit time
  counts too when a service band is set);
* inbound arcs into a DC that can ship nothing of that product are removed;
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
        columns={"distance_km": "lane_km", "transit_days": "lane_days",
                 "cost_per_unit": "lane_cost"}
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


#: carrying rates up to this are covered by the dominance test (exact reductions stay exact)
MAX_CARRYING_RATE = 1.0


def _criteria(arcs: pd.DataFrame, days: float) -> np.ndarray:
    """Per-unit cost of each arc at the extreme scenario numbers (fuel part, CO2, cost at carrying
    rate 0 and at MAX_CARRYING_RATE with fuel index 0): a ≤ b on all four means a is never dearer.
    """
    base = (arcs["freight"] - arcs["freight_fuel"]).to_numpy(dtype=float)
    pipeline = (arcs["unit_value"] * arcs["transit_days"] / days).to_numpy(dtype=float)
    return np.column_stack([arcs["freight_fuel"].to_numpy(dtype=float),
                            arcs["co2_kg"].to_numpy(dtype=float), base,
                            base + MAX_CARRYING_RATE * pipeline])


def remove_dominated(arcs: pd.DataFrame, keys: list[str], days: float, timed: bool) -> pd.DataFrame:
    """Drop arcs another mode on the same lane and product beats or ties for every scenario number.

    An arc's yearly cost per unit is linear in the mutable numbers: freight + (fuel index − 1) ·
    fuel part + carrying rate · value · transit / days + CO2 price · CO2. Arc a dominates b when
    that holds for every fuel index ≥ 0, CO2 price ≥ 0 and carrying rate in
    [0, MAX_CARRYING_RATE]: it is enough to compare the four :func:`_criteria`. When ``timed``
    (a service band makes delivery time matter) transit must also be ≤. Ties keep the first arc.
    """
    if arcs.empty:
        return arcs
    crit = _criteria(arcs, days)
    if timed:
        crit = np.column_stack([crit, arcs["transit_days"].to_numpy(dtype=float)])
    order = np.lexsort([crit[:, c] for c in reversed(range(crit.shape[1]))]
                       + [arcs[k].to_numpy() for k in reversed(keys)])
    arcs, values = arcs.iloc[order], crit[order]
    group = arcs.groupby(keys, sort=False).ngroup().to_numpy()
    keep = np.ones(len(arcs), dtype=bool)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(arcs)]
    for start, end in zip(starts, ends, strict=True):
        for i in range(1, end - start):
            earlier = keep[start : start + i]
            if (np.all(values[start : start + i] <= values[start + i], axis=1) & earlier).any():
                keep[start + i] = False
    return arcs[keep]


def remove_dominated_transfers(transfer: pd.DataFrame, inbound: pd.DataFrame,
                               days: float) -> pd.DataFrame:
    """Drop transfers j → j′ of p that direct replenishment of j′ beats for every supplier.

    A transferred unit pays, besides the transfer arc, inbound into j and handling, cycle and safety
    stock at j. So the transfer is never needed when every supplier s that reaches j also reaches
    j′ by an arc a with criteria(a) ≤ min_b criteria(b into j from s) + criteria(transfer)
    (same purchase cost, same supplier capacity). Exact in this formulation.
    """
    if transfer.empty or inbound.empty:
        return transfer.iloc[:0] if not transfer.empty and inbound.empty else transfer
    in_crit = _criteria(inbound, days)
    tr_crit = _criteria(transfer, days)
    keep = np.ones(len(transfer), dtype=bool)
    inbound = inbound.reset_index(drop=True)
    for product, tr_rows in transfer.reset_index(drop=True).groupby("product").indices.items():
        arcs = inbound.index[(inbound["product"] == product).to_numpy()]
        if len(arcs) == 0:
            continue
        by_pair: dict[tuple[str, str], np.ndarray] = {}
        for (sup, dc), rows in inbound.loc[arcs].groupby(["origin", "destination"]).indices.items():
            by_pair[(sup, dc)] = in_crit[arcs[rows]]
        suppliers = inbound.loc[arcs, "origin"].unique()
        trs = transfer.iloc[tr_rows]
        for local, (hub, dest) in enumerate(zip(trs["origin"], trs["destination"], strict=True)):
            needed = False
            for sup in suppliers:
                into_hub = by_pair.get((sup, hub))
                if into_hub is None:
                    continue
                into_dest = by_pair.get((sup, dest))
                bound = into_hub.min(axis=0) + tr_crit[tr_rows[local]]
                if into_dest is None or not np.all(into_dest <= bound + 1e-12, axis=1).any():
                    needed = True
                    break
            keep[tr_rows[local]] = needed
    return transfer[keep]


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
        timed = s.service.band is not None and leg in ("outbound", "direct")
        kept = remove_dominated(joined, ["product", "origin", "destination"], s.days_per_year,
                                timed)
        counts[f"{leg}_removed_as_dominated"] = len(joined) - len(kept)
        return kept.assign(leg=leg)

    dem_pairs = demand[["customer", "product", "max_days"]].rename(
        columns={"customer": "destination"}
    )
    outbound_arcs = lane_arcs(data, fac, cus, "outbound")
    if s.reductions.nearest_dcs is not None:
        outbound_arcs = nearest_dcs(outbound_arcs, s.reductions.nearest_dcs, counts)
    outbound = expand(outbound_arcs, dem_pairs, "destination", "outbound")
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
    if not transfer.empty:
        kept = remove_dominated_transfers(transfer, inbound, s.days_per_year)
        counts["transfer_removed_as_dominated_by_inbound"] = len(transfer) - len(kept)
        transfer = kept
    shippers = pd.concat([outbound, transfer])[["product", "origin"]].drop_duplicates()
    useful = inbound.merge(shippers.rename(columns={"origin": "destination"}),
                           on=["product", "destination"])
    counts["inbound_removed_as_unused"] = len(inbound) - len(useful)
    flows = pd.concat([useful, transfer, outbound, direct], ignore_index=True)
    for col in ("purchase_cost",):
        flows[col] = flows[col].fillna(0.0) if col in flows else 0.0
    # numbers stay float64 also when a leg has no arc (an empty, untyped part of the concat
    # would otherwise turn them into objects, which numpy cannot take a square root of)
    numeric = [c for c in _FLOW_COLUMNS if c not in ("leg", "product", "origin", "destination",
                                                      "mode")]
    flows = flows[_FLOW_COLUMNS].astype(dict.fromkeys(numeric, float)).reset_index(drop=True)
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


def nearest_dcs(arcs: pd.DataFrame, k: int, counts: dict[str, int]) -> pd.DataFrame:
    """APPROXIMATE reduction (off by default): keep outbound arcs from each customer's k nearest
    DCs only. It can raise the optimum; ``benchmarks/`` measures by how much."""
    rank = arcs.groupby("destination")["distance_km"].rank(method="dense")
    kept = arcs[(rank <= k).to_numpy()]
    counts["outbound_removed_by_nearest_dcs"] = len(arcs) - len(kept)
    return kept


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
    # a transfer's landed cost is what the unit cost landed at the hub plus the transfer freight
    # (comparing its freight alone with purchase + freight made every transfer "cheapest"); on a
    # tie direct replenishment wins, so removing a dominated transfer never changes the choice
    order = ["landed", "is_transfer", "lead_time"]
    replenish["is_transfer"] = (replenish["leg"] == "transfer").to_numpy()
    at_hub = (
        replenish[~replenish["is_transfer"]].sort_values(order, kind="stable")
        .drop_duplicates(["product", "destination"])
        .set_index(["product", "destination"])["landed"]
    )
    hub_landed = at_hub.reindex(pd.MultiIndex.from_frame(
        replenish[["product", "origin"]])).to_numpy()
    replenish["landed"] = np.where(replenish["is_transfer"], hub_landed + replenish["landed"],
                                   replenish["landed"])
    cheapest = (
        replenish.sort_values(order, kind="stable")
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
    stock = stock.merge(per_product["variance_per_unit"].reset_index(), on="product")
    stock = stock.merge(products[["product", "service_level", "unit_value"]], on="product")
    stock["z"] = stock["service_level"].map(z_value)
    stock["protection_days"] = stock["lead_time"] + s.inventory.review_period_days
    return stock.reset_index(drop=True)
