"""Integer index arrays the optimisation model is generated from.

Everything here is numpy/pandas: which flow leaves which stocking pair, which demand row a flow
serves, which facility each stocking pair belongs to. The Pyomo builder only reads these arrays, so
constraint generation is a loop over precomputed slices, never a search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from netdesign.data import ModelData
from netdesign.network import Network
from netdesign.optimization.safety_stock import breakpoints, pooled_safety_stock


@dataclass(frozen=True)
class Groups:
    """Members of each group as CSR-style slices: members[start[g]:start[g+1]]."""

    start: np.ndarray
    members: np.ndarray

    @classmethod
    def of(cls, group: np.ndarray, n_groups: int, mask: np.ndarray | None = None) -> Groups:
        rows = np.arange(len(group)) if mask is None else np.flatnonzero(mask)
        g = group[rows]
        order = np.argsort(g, kind="stable")
        counts = np.bincount(g, minlength=n_groups)
        return cls(np.r_[0, np.cumsum(counts)], rows[order])

    def __getitem__(self, g: int) -> np.ndarray:
        return self.members[self.start[g] : self.start[g + 1]]

    def __len__(self) -> int:
        return len(self.start) - 1


@dataclass(frozen=True)
class ModelIndex:
    """Positional tables and group slices for one network instance."""

    data: ModelData
    network: Network
    flows: pd.DataFrame  # + demand_row, out_pair, in_pair, origin_fac, assign_pair
    demand: pd.DataFrame
    pairs: pd.DataFrame  # stocking pairs (product, facility) + fac, pwl segment data
    facilities: pd.DataFrame  # usable DCs (forced_closed ones are not in the model)
    options: pd.DataFrame  # facility_options rows of usable facilities + fac
    assign_pairs: pd.DataFrame  # (customer, facility) for single sourcing
    serves: Groups  # demand row → flows delivering it (outbound and direct)
    ships_from: Groups  # stocking pair → outbound and transfer flows leaving it
    arrives_at: Groups  # stocking pair → inbound and transfer flows arriving
    outbound_links: pd.DataFrame  # (pair, demand_row) groups of outbound flows
    link_groups: Groups  # outbound_links row → flows
    customer_links: pd.DataFrame  # (fac, customer) pairs with outbound flows, + total demand
    customer_link_groups: Groups  # customer_links row → flows
    fac_pairs: Groups  # facility → stocking pairs
    segments: pd.DataFrame  # pair, width, slope (PWL of pooled safety stock)
    pair_segments: Groups
    use_stock: bool


def build_index(network: Network, data: ModelData) -> ModelIndex:
    s = data.settings
    flows = network.flows.copy()
    demand = network.demand
    fac = network.facilities.reset_index(drop=True)
    fac_pos = pd.Series(np.arange(len(fac)), index=fac["facility"])
    d_pos = pd.Series(np.arange(len(demand)), index=pd.MultiIndex.from_frame(
        demand[["product", "customer"]]))
    pairs = network.stock.reset_index(drop=True)
    pair_pos = pd.Series(np.arange(len(pairs)), index=pd.MultiIndex.from_frame(
        pairs[["product", "facility"]]))

    leg = flows["leg"].to_numpy()
    delivers = np.isin(leg, ("outbound", "direct"))
    leaves_dc = np.isin(leg, ("outbound", "transfer"))
    enters_dc = np.isin(leg, ("inbound", "transfer"))
    flows["demand_row"] = _lookup(d_pos, flows["product"], flows["destination"], delivers)
    flows["out_pair"] = _lookup(pair_pos, flows["product"], flows["origin"], leaves_dc)
    flows["in_pair"] = _lookup(pair_pos, flows["product"], flows["destination"], enters_dc)
    pairs["fac"] = fac_pos.reindex(pairs["facility"]).to_numpy()

    link = flows.loc[leg == "outbound", ["out_pair", "demand_row"]]
    links = link.drop_duplicates().reset_index(drop=True)
    link_id = pd.Series(np.arange(len(links)), index=pd.MultiIndex.from_frame(links))
    flows["link"] = -1
    flows.loc[leg == "outbound", "link"] = link_id.reindex(
        pd.MultiIndex.from_frame(link)).to_numpy()
    links["fac"] = pairs["fac"].to_numpy()[links["out_pair"].to_numpy()]

    out_rows = np.flatnonzero(leg == "outbound")
    fac_of_flow = pairs["fac"].to_numpy()[flows["out_pair"].to_numpy()[out_rows]]
    by_customer = pd.DataFrame({"fac": fac_of_flow,
                                "customer": flows["destination"].to_numpy()[out_rows]})
    customer_links = by_customer.drop_duplicates().reset_index(drop=True)
    cl_id = pd.Series(np.arange(len(customer_links)),
                      index=pd.MultiIndex.from_frame(customer_links))
    flows["customer_link"] = -1
    flows.loc[out_rows, "customer_link"] = cl_id.reindex(
        pd.MultiIndex.from_frame(by_customer)).to_numpy()

    assign_pairs = pd.DataFrame(columns=["customer", "facility", "fac"])
    flows["assign_pair"] = -1
    if s.sourcing == "single":
        out = flows.loc[leg == "outbound", ["destination", "origin"]]
        assign_pairs = out.drop_duplicates().rename(
            columns={"destination": "customer", "origin": "facility"}).reset_index(drop=True)
        assign_pairs["fac"] = fac_pos.reindex(assign_pairs["facility"]).to_numpy()
        a_pos = pd.Series(np.arange(len(assign_pairs)), index=pd.MultiIndex.from_frame(
            assign_pairs[["customer", "facility"]]))
        flows.loc[leg == "outbound", "assign_pair"] = a_pos.reindex(
            pd.MultiIndex.from_frame(out)).to_numpy()

    options = data.facility_options.merge(fac[["facility"]], on="facility").reset_index(drop=True)
    options["fac"] = fac_pos.reindex(options["facility"]).to_numpy()

    segments = _segments(pairs, flows, demand, s.days_per_year, s.inventory.pwl_max_error)
    use_stock = s.strategy in ("hub", "hybrid")
    n_pairs = len(pairs)
    return ModelIndex(
        data=data, network=network, flows=flows, demand=demand, pairs=pairs, facilities=fac,
        options=options, assign_pairs=assign_pairs,
        serves=Groups.of(flows["demand_row"].to_numpy(), len(demand), delivers),
        ships_from=Groups.of(flows["out_pair"].to_numpy(), n_pairs, leaves_dc),
        arrives_at=Groups.of(flows["in_pair"].to_numpy(), n_pairs, enters_dc),
        outbound_links=links,
        link_groups=Groups.of(flows["link"].to_numpy(), len(links), leg == "outbound"),
        customer_links=customer_links,
        customer_link_groups=Groups.of(flows["customer_link"].to_numpy(), len(customer_links),
                                       leg == "outbound"),
        fac_pairs=Groups.of(pairs["fac"].to_numpy(), len(fac)),
        segments=segments,
        pair_segments=Groups.of(segments["pair"].to_numpy(), n_pairs),
        use_stock=use_stock,
    )


def _lookup(pos: pd.Series, first: pd.Series, second: pd.Series, mask: np.ndarray) -> np.ndarray:
    out = np.full(len(first), -1, dtype=np.int64)
    keys = pd.MultiIndex.from_arrays([first[mask], second[mask]])
    found = pos.reindex(keys).to_numpy()
    out[mask] = np.where(np.isnan(found), -1, found).astype(np.int64)
    return out


def variance_weight(flows: pd.DataFrame, demand: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
    """Pooled-variance weight of one unit on each flow: σ_c²/d_c outbound, ρ_p on transfers."""
    weight = np.zeros(len(flows))
    out = (flows["leg"] == "outbound").to_numpy()
    weight[out] = demand["variance_per_unit"].to_numpy()[flows["demand_row"].to_numpy()[out]]
    tr = (flows["leg"] == "transfer").to_numpy()
    weight[tr] = pairs["variance_per_unit"].to_numpy()[flows["out_pair"].to_numpy()[tr]]
    return weight


def _segments(pairs: pd.DataFrame, flows: pd.DataFrame, demand: pd.DataFrame, days: float,
              max_error: float) -> pd.DataFrame:
    """PWL segments (width, slope in units of safety stock per unit of variance) of every pair."""
    out = flows[(flows["leg"] == "outbound").to_numpy()]
    reach = pd.DataFrame({"pair": out["out_pair"].to_numpy(), "row": out["demand_row"].to_numpy()})
    reach = reach.drop_duplicates()
    sd2 = demand["demand_sd"].to_numpy() ** 2
    reach["var"] = sd2[reach["row"].to_numpy()]
    by_pair = reach[reach["var"] > 0].groupby("pair")["var"].agg(["min", "sum"])
    product_var = demand.assign(v=sd2).groupby("product")["v"].sum()
    has_transfer_out = set(flows.loc[(flows["leg"] == "transfer").to_numpy(), "out_pair"])
    rows = []
    for k, pair in enumerate(pairs.itertuples(index=False)):
        v_min, v_max = (by_pair.loc[k, "min"], by_pair.loc[k, "sum"]) if k in by_pair.index else (
            0.0, 0.0)
        v_out = v_max  # serving every customer it reaches
        if k in has_transfer_out:
            v_max += float(product_var.get(pair.product, 0.0))
            v_min = v_min or pair.variance_per_unit
        if v_max <= 0 or pair.z <= 0:
            continue
        points = breakpoints(v_min, v_max, max_error)
        if 0 < v_out < v_max:
            # v_out stays a breakpoint: on [0, v_out] the approximation is the same whether or not
            # the pair has transfer arcs (which the exact transfer reduction may remove)
            points = np.union1d(points[np.abs(points - v_out) > 1e-9 * v_out], [v_out])
        values = pooled_safety_stock(points, pair.z, pair.protection_days,
                                     pair.variance_per_unit * days, pair.lead_time_sd)
        widths = np.diff(points)
        slopes = np.diff(values) / widths
        rows.extend((k, w, sl) for w, sl in zip(widths, slopes, strict=True))
    return pd.DataFrame(rows, columns=["pair", "width", "slope"]).astype(
        {"pair": np.int64, "width": float, "slope": float})  # typed also when empty (no σ)
