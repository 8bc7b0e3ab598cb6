"""Constraint families of the network design MIP, one function each.

Notation: f_a flow on arc a (a product on a lane and mode), d_pc demand, u_pc unmet demand,
y_j open, o_jk option k at j, s_pj stock, x_cj single-sourcing assignment, T_pj = Σ_{a leaves (p,j)}
f_a throughput, SS_pj safety stock. Index sets come from
:class:`~netdesign.optimization.index.ModelIndex`; a family whose set is empty adds nothing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from netdesign.formulas import capacity_raise
from netdesign.network import hub_products
from netdesign.optimization.components import linear, stock_or_open
from netdesign.optimization.index import ModelIndex, variance_weight
from netdesign.optimization.peak import MONTH_DAYS, binding_months, share_matrix


def _throughput(m, ix: ModelIndex, pair: int):
    return linear(m.flow, ix.ships_from[pair], 1.0)


def _option_raise(m, ix: ModelIndex, f: int):
    """Σ_k (φ_k − 1) · o_jk over the options of DC f (:func:`netdesign.formulas.capacity_raise`):
    what its bought options add to its capacity, in multiples of the base capacity."""
    raised = capacity_raise(ix.options).tolist()
    return sum(raised[i] * m.option[i] for i, fac in enumerate(ix.options["fac"]) if fac == f)


def demand_satisfaction(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_{a delivers (p,c)} f_a + u_pc = d_pc   ∀ demand rows (p, c).

    Arcs delivering (p, c) are outbound DC → c and direct supplier → c arcs within c's promise.
    """
    def rule(m, d):
        return linear(m.flow, ix.serves[d], 1.0) + m.unmet[d] == m.demand[d]

    m.demand_satisfaction = pyo.Constraint(range(len(ix.demand)), rule=rule)


def flow_balance(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_{a into (p,j)} f_a = Σ_{a out of (p,j)} f_a   ∀ stocking pairs (p, j).

    Inbound (supplier → j) and transfers in (hub → j) replenish what j ships out and transfers on.
    """
    def rule(m, k):
        inflow, outflow = ix.arrives_at[k], ix.ships_from[k]
        if len(inflow) == 0 and len(outflow) == 0:
            return pyo.Constraint.Skip
        return linear(m.flow, inflow, 1.0) - linear(m.flow, outflow, 1.0) == 0

    m.flow_balance = pyo.Constraint(range(len(ix.pairs)), rule=rule)


def open_linking(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_{p, mode} f_{p,j→c,mode} ≤ (Σ_p d_pc) · y_j   ∀ (j, c) with outbound arcs.

    A closed DC ships nothing: the strong, disaggregated form per customer (x_ij ≤ y_i of facility
    location), one row per DC-customer pair rather than per product. The coefficient Σ_p d_pc is a
    number: demand changes are structural (a re-solve never moves demand), and a numeric
    coefficient keeps each row on the compiler's fast linear path.
    """
    links = ix.customer_links
    fac_of = links["fac"].to_numpy()
    total = ix.demand.groupby("customer")["annual_units"].sum().reindex(
        links["customer"]).to_numpy(dtype=float)

    def rule(m, g):
        return linear(m.flow, ix.customer_link_groups[g], 1.0) - float(total[g]) * m.open[
            int(fac_of[g])] <= 0

    m.open_linking = pyo.Constraint(range(len(links)), rule=rule)


def stock_linking(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_{a leaves (p,j)} f_a ≤ (Σ_c d_pc) · s_pj   ∀ stocking pairs (p, j).

    A DC ships (to customers or as transfers) only products it stocks; s_pj is y_j when there are
    no stock decisions, which covers transfers out of a closed DC.
    """
    total = ix.demand.groupby("product")["annual_units"].sum().reindex(
        ix.pairs["product"]).to_numpy(dtype=float)

    def rule(m, k):
        out = ix.ships_from[k]
        if len(out) == 0:
            return pyo.Constraint.Skip
        return linear(m.flow, out, 1.0) - float(total[k]) * stock_or_open(m, ix, k) <= 0

    m.stock_linking = pyo.Constraint(range(len(ix.pairs)), rule=rule)


def stock_requires_open(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """s_pj ≤ y_j   ∀ stocking pairs (p, j) (only when stock decisions exist)."""
    if not ix.use_stock:
        return
    fac = ix.pairs["fac"].to_numpy()
    m.stock_requires_open = pyo.Constraint(
        range(len(ix.pairs)), rule=lambda m, k: m.stock[k] <= m.open[int(fac[k])]
    )


def throughput_capacity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_p T_pj ≤ K_j · (y_j + Σ_k (φ_k − 1) · o_jk)   ∀ DCs j with finite capacity K_j.

    φ_k is the option's capacity factor (expansion 1.5 adds half the base capacity).
    """
    cap = ix.facilities["throughput_capacity"].astype(float).to_numpy()

    def rule(m, f):
        out = np.concatenate([ix.ships_from[k] for k in ix.fac_pairs[f]] or [np.array([], int)])
        return linear(m.flow, out, 1.0) <= m.throughput_cap[f] * (
            m.open[f] + _option_raise(m, ix, f))

    m.throughput_capacity = pyo.Constraint(
        [f for f in range(len(cap)) if math.isfinite(cap[f])], rule=rule
    )


def peak_throughput(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_p s_pm · t_pj ≤ c · δ_m · K_j · (y_j + Σ_k (φ_k − 1) o_jk)   ∀ DCs j, months m ∈ M_j;
    t_pj = T_pj   ∀ stocking pairs (p, j) of those DCs.

    s_pm is product p's share of its planning-year units in month m (``demand_profile``), δ_m the
    month's share of the year's days, c ``peak.capacity_factor``: each month's throughput is held
    to its part of the annual capacity (:mod:`netdesign.optimization.peak`).
    The annual throughput of a pair enters through one variable t_pj (``pair_throughput``) with a
    defining row, so a month row has a term per product rather than per arc (on the demo 12 month
    rows per DC would otherwise repeat all ~69k arcs twelve times). M_j keeps the months no other
    row implies (:func:`netdesign.optimization.peak.binding_months`); no row without a profile.
    """
    s = ix.data.settings
    cap = ix.facilities["throughput_capacity"].astype(float).to_numpy()
    if not s.peak.enabled or ix.data.demand_profile.empty:
        return
    factor = s.peak.capacity_factor
    shares = share_matrix(ix.data, ix.pairs["product"].reset_index(drop=True))
    rows: list[tuple[int, int]] = []
    for f in range(len(cap)):
        pairs = [k for k in ix.fac_pairs[f] if len(ix.ships_from[k])]
        if math.isfinite(cap[f]) and pairs:
            rows += [(f, month) for month in binding_months(shares[pairs], factor)]
    if not rows:
        return
    pairs = sorted({int(k) for f, _ in rows for k in ix.fac_pairs[f] if len(ix.ships_from[k])})
    position = {k: i for i, k in enumerate(pairs)}
    m.pair_throughput = pyo.Var(range(len(pairs)), within=pyo.NonNegativeReals)
    m.pair_throughput_definition = pyo.Constraint(
        range(len(pairs)), rule=lambda m, i: m.pair_throughput[i] == _throughput(m, ix, pairs[i]))

    def rule(m, f, month):
        members = [k for k in ix.fac_pairs[f] if int(k) in position]
        raised = _option_raise(m, ix, f)
        monthly = linear(m.pair_throughput, np.array([position[int(k)] for k in members]),
                         shares[members, month])
        return monthly <= factor * float(MONTH_DAYS[month]) * m.throughput_cap[f] * (
            m.open[f] + raised)

    m.peak_throughput = pyo.Constraint(rows, rule=rule)


def capacity_cover(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_j K_j · (y_j + Σ_k (φ_k − 1) o_jk) + Σ_{a direct} f_a + Σ_pc u_pc ≥ Σ_pc d_pc
    (all K_j finite).

    The aggregate capacity cover: open capacity must cover the demand not delivered direct from a
    supplier. A valid inequality
    (implied by demand satisfaction and throughput capacity, so the optimum is unchanged) that
    gives the solver a knapsack row over the open decisions to derive cover cuts from; the standard
    strengthening of capacitated facility location (e.g. Cornuéjols, Sridharan & Thizy 1991,
    "A comparison of heuristics and relaxations for the capacitated plant location problem",
    EJOR 50).
    """
    fac = ix.facilities
    cap = fac["throughput_capacity"].astype(float).to_numpy()
    if not len(cap) or not np.isfinite(cap).all():
        return
    raise_by = capacity_raise(ix.options).tolist()
    raised = sum(raise_by[i] * m.throughput_cap[int(f)] * m.option[i]
                 for i, f in enumerate(ix.options["fac"]))
    opened = sum(m.throughput_cap[f] * m.open[f] for f in range(len(cap)))
    direct = linear(m.flow, np.flatnonzero((ix.flows["leg"] == "direct").to_numpy()), 1.0)
    unmet = sum(m.unmet[d] for d in range(len(ix.demand)))
    total = sum(m.demand[d] for d in range(len(ix.demand)))
    m.capacity_cover = pyo.Constraint(expr=opened + raised + direct + unmet >= total)


def storage_capacity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_p (cycle_pj + SS_pj) ≤ S_j · (y_j + Σ_k (φ_k − 1) o_jk)   ∀ DCs with finite storage S_j.

    cycle_pj = T_pj · R / (2 · days): half a review period of throughput (periodic review).
    """
    cap = ix.facilities["storage_capacity"].astype(float).to_numpy()
    s = ix.data.settings
    half_cycle = s.inventory.review_period_days / (2.0 * s.days_per_year)

    def rule(m, f):
        pairs = ix.fac_pairs[f]
        out = np.concatenate([ix.ships_from[k] for k in pairs] or [np.array([], int)])
        held = linear(m.flow, out, half_cycle) + linear(m.safety, pairs, 1.0)
        return held <= m.storage_cap[f] * (m.open[f] + _option_raise(m, ix, f))

    m.storage_capacity = pyo.Constraint(
        [f for f in range(len(cap)) if math.isfinite(cap[f])], rule=rule
    )


def supplier_capacity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_{a leaves supplier s with product p} f_a ≤ Q_sp   ∀ supply rows with finite capacity."""
    supply = ix.data.supply.reset_index(drop=True)
    if supply.empty:
        return
    flows = ix.flows
    from_supplier = flows["leg"].isin(["inbound", "direct"]).to_numpy()
    key = flows["origin"] + "\x1f" + flows["product"]
    groups = flows.index[from_supplier].groupby(key[from_supplier])
    finite = [r for r in range(len(supply)) if math.isfinite(float(supply["capacity"].iat[r]))]

    def rule(m, r):
        members = groups.get(supply["supplier"].iat[r] + "\x1f" + supply["product"].iat[r], [])
        return linear(m.flow, np.asarray(members), 1.0) <= m.supply_cap[r]

    m.supplier_capacity = pyo.Constraint(finite, rule=rule)


def option_requires_open(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """o_jk ≤ y_j   ∀ facility options (j, k)."""
    fac = ix.options["fac"].to_numpy()
    m.option_requires_open = pyo.Constraint(
        range(len(ix.options)), rule=lambda m, i: m.option[i] <= m.open[int(fac[i])]
    )


def option_handling(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Handling-cost change h_jk of option k at j with handling-cost factor η_k, rate a = (η−1)c_j.

    Saving (η < 1):  h_jk ≥ a · Σ_p T_pj  and  h_jk ≥ a · T̄_j · o_jk   (h = a·T·o at the optimum).
    Extra (η > 1):   h_jk ≥ a · (Σ_p T_pj − T̄_j (1 − o_jk))  and  h_jk ≥ 0.
    T̄_j bounds what j can handle (capacity raised by *every* option of j, else total demand):
    the standard linearisation of the product o_jk · T_j for a minimised cost. (A bound from
    the option's own factor alone cut savings off, and charged an extra not bought, whenever
    another option raised capacity further.) A capacity bound is the mutable parameter, so it
    follows capacity changes of a re-solve.
    """
    opts = ix.options
    total_demand = float(ix.demand["annual_units"].sum())
    hc = ix.facilities["handling_cost"].astype(float).to_numpy()
    cap = ix.facilities["throughput_capacity"].astype(float).to_numpy()
    raised = capacity_raise(opts, gains_only=True).groupby(opts["fac"]).sum()

    def bound(i):
        f = int(opts["fac"].iat[i])
        reach = 1.0 + float(raised.get(f, 0.0))
        if not math.isfinite(cap[f]) or cap[f] * reach >= total_demand:
            return total_demand
        return m.throughput_cap[f] * reach

    def through(f):
        return linear(m.flow, np.concatenate(
            [ix.ships_from[k] for k in ix.fac_pairs[f]] or [np.array([], int)]), 1.0)

    def rule(m, i, side):
        f, eta = int(opts["fac"].iat[i]), float(opts["handling_cost_factor"].iat[i])
        rate, big, h = (eta - 1.0) * hc[f], bound(i), m.option_handling[i]
        if rate < 0:
            return h >= rate * through(f) if side == 0 else h >= rate * big * m.option[i]
        if side == 0:
            return h >= rate * (through(f) - big * (1 - m.option[i]))
        return h >= 0

    m.option_handling_cost = pyo.Constraint(range(len(opts)), [0, 1], rule=rule)


def single_sourcing(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_j x_cj = 1 (≤ 1 with unmet demand) ∀ c;  Σ_mode f_{p,j→c} = d_pc · x_cj;  x_cj ≤ y_j.

    Only with ``sourcing: single``: every customer takes all its DC-served products from one DC.
    """
    if ix.data.settings.sourcing != "single" or ix.assign_pairs.empty:
        return
    ap = ix.assign_pairs
    per_customer = ap.groupby("customer").indices
    allow_unmet = ix.data.settings.unmet_demand.allowed

    def one_dc(m, c):
        total = linear(m.assign, per_customer[c], 1.0)
        return total <= 1 if allow_unmet else total == 1

    m.single_source = pyo.Constraint(list(per_customer), rule=one_dc)
    links = ix.outbound_links
    flows = ix.flows
    first_flow = [ix.link_groups[g][0] for g in range(len(links))]
    assign_of = flows["assign_pair"].to_numpy()[first_flow]
    row_of = links["demand_row"].to_numpy()

    def follow(m, g):
        return linear(m.flow, ix.link_groups[g], 1.0) == m.demand[int(row_of[g])] * m.assign[
            int(assign_of[g])]

    m.single_source_flow = pyo.Constraint(range(len(links)), rule=follow)
    fac = ap["fac"].to_numpy()
    m.assign_requires_open = pyo.Constraint(
        range(len(ap)), rule=lambda m, a: m.assign[a] <= m.open[int(fac[a])]
    )


def facility_count(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """n_min ≤ Σ_j y_j ≤ n_max (when set in ``facilities:`` settings)."""
    counts = ix.data.settings.facilities
    if counts.min_open == 0 and counts.max_open is None:
        return
    total = linear(m.open, np.arange(len(ix.facilities)), 1.0)
    m.facility_count = pyo.Constraint(expr=pyo.inequality(
        counts.min_open, total, counts.max_open if counts.max_open is not None else None))


def service_band(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Σ_{a delivers, transit_a ≤ T} f_a ≥ β · Σ_pc d_pc   (service band {days: T, share: β})."""
    band = ix.data.settings.service.band
    if band is None:
        return
    fast = ix.flows["leg"].isin(["outbound", "direct"]).to_numpy() & (
        ix.flows["transit_days"].to_numpy() <= band.days + 1e-9)
    total = sum(m.demand[d] for d in range(len(ix.demand)))
    m.service_band = pyo.Constraint(expr=linear(m.flow, np.flatnonzero(fast), 1.0)
                                    >= band.share * total)


def strategy(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Product-to-node rules: Σ_j s_pj = 1 for hub products.

    ``hub``: every product is stocked at exactly one DC. ``hybrid``: slow movers (see
    :func:`netdesign.network.hub_products`) at one DC, fast movers anywhere. ``regional``
    and ``hybrid`` also have no transfer arcs (removed when the network is built). ``free``: none.
    """
    hub = hub_products(ix.data)
    if not hub or not ix.use_stock:
        return
    per_product = ix.pairs.groupby("product").indices
    m.hub_stocking = pyo.Constraint(
        [p for p in per_product if p in hub],
        rule=lambda m, p: linear(m.stock, per_product[p], 1.0) == 1,
    )


def safety_stock(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Pooled safety stock SS_pj ≥ g(V_pj), V_pj = Σ_{a leaves (p,j)} w_a f_a  (w: σ²/d or ρ).

    With pooling (incremental PWL, segments k of width W_k and slope σ_k, binaries z_k):
      V_pj = Σ_k v_k,  SS_pj = Σ_k σ_k v_k,  v_k ≥ W_k z_k,  v_{k+1} ≤ W_{k+1} z_k,  v_1 ≤ W_1 s_pj.
    Without pooling (linear): SS_pj = Σ_{a} z·sqrt(P σ_c² + (d̄_c σ_L)²)/d_c · f_a, each customer's
    own safety stock, the upper bound pooling improves on. See
    :mod:`netdesign.optimization.safety_stock` for g and its error bound.
    """
    weight = variance_weight(ix.flows, ix.demand, ix.pairs)
    if ix.data.settings.inventory.pooling:
        seg = ix.segments
        width, slope = seg["width"].to_numpy(), seg["slope"].to_numpy()

        def variance(m, k):
            out = ix.ships_from[k]
            return linear(m.flow, out, weight[out]) == linear(m.seg_fill, ix.pair_segments[k], 1.0)

        def level(m, k):
            members = ix.pair_segments[k]
            return m.safety[k] == linear(m.seg_fill, members, slope[members])

        def order(m, i, side):
            k = int(seg["pair"].iat[i])
            members = ix.pair_segments[k]
            pos = i - members[0]
            if side == 0:
                return m.seg_fill[i] >= width[i] * m.seg_full[i]
            if pos + 1 < len(members):
                return m.seg_fill[i + 1] <= width[i + 1] * m.seg_full[i]
            return m.seg_full[i] == 0
        with_segments = [k for k in range(len(ix.pairs)) if len(ix.pair_segments[k])]
        m.pooled_variance = pyo.Constraint(with_segments, rule=variance)
        m.safety_level = pyo.Constraint(with_segments, rule=level)
        m.segment_order = pyo.Constraint(range(len(seg)), [0, 1], rule=order)
        firsts = [int(ix.pair_segments[k][0]) for k in with_segments]
        m.segment_requires_stock = pyo.Constraint(
            range(len(firsts)), rule=lambda m, i: m.seg_fill[firsts[i]] <= width[firsts[i]]
            * stock_or_open(m, ix, with_segments[i]))
        no_segments = [k for k in range(len(ix.pairs)) if not len(ix.pair_segments[k])]
        for k in no_segments:
            m.safety[k].fix(0)
        return
    coef = _unpooled_coefficients(ix)
    m.safety_level = pyo.Constraint(
        range(len(ix.pairs)),
        rule=lambda m, k: m.safety[k] == linear(m.flow, ix.ships_from[k], coef[ix.ships_from[k]]),
    )


def safety_stock_chord(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """SS_pj ≥ (g̃(V̄_pj) / V̄_pj) · V_pj, V̄_pj = Σ_k W_k   (the design relaxation's safety stock).

    The chord of the pair's piecewise-linear safety stock g̃ over its whole range [0, V̄]: g̃ is
    concave with g̃(0) = 0, so the chord lies below it on the range and every exact solution
    satisfies this row. It is what the exact model's LP relaxation gives (the incremental
    formulation is sharp), here without its segment variables and rows. Without pooling the
    exact (linear) rows are used.
    """
    if not ix.data.settings.inventory.pooling:
        safety_stock(m, ix)
        return
    weight = variance_weight(ix.flows, ix.demand, ix.pairs)
    seg = ix.segments
    rise = (seg["width"] * seg["slope"]).groupby(seg["pair"]).sum()
    run = seg["width"].groupby(seg["pair"]).sum()
    chord = (rise / run).reindex(range(len(ix.pairs))).to_numpy()
    with_segments = np.flatnonzero(np.isfinite(chord))
    for k in np.setdiff1d(np.arange(len(ix.pairs)), with_segments):
        m.safety[int(k)].fix(0)

    def rule(m, k):
        out = ix.ships_from[k]
        return m.safety[k] >= linear(m.flow, out, weight[out] * chord[k])

    m.safety_chord = pyo.Constraint(with_segments.tolist(), rule=rule)


def _unpooled_coefficients(ix: ModelIndex) -> np.ndarray:
    """Safety stock per unit shipped when every customer is protected on its own.

    Outbound to c: z·sqrt(P σ_c² + (d̄_c σ_L)²) / d_c; transfers: the product's mean of those.
    """
    flows, days = ix.flows, ix.data.settings.days_per_year
    coef = np.zeros(len(flows))
    out = (flows["leg"] == "outbound").to_numpy()
    rows, pairs = flows["demand_row"].to_numpy()[out], flows["out_pair"].to_numpy()[out]
    annual = ix.demand["annual_units"].to_numpy()[rows]
    sigma2 = ix.demand["demand_sd"].to_numpy()[rows] ** 2
    z = ix.pairs["z"].to_numpy()[pairs]
    p_days = ix.pairs["protection_days"].to_numpy()[pairs]
    sd_l = ix.pairs["lead_time_sd"].to_numpy()[pairs]
    coef[out] = z * np.sqrt(p_days * sigma2 + (annual / days * sd_l) ** 2) / annual
    transfer = (flows["leg"] == "transfer").to_numpy()
    # one value per (stocking pair, customer), not per arc: how many modes serve a lane (which
    # the exact mode reductions change) must not weigh in
    links = pd.DataFrame({"product": flows["product"].to_numpy()[out], "pair": pairs, "row": rows,
                          "coef": coef[out]}).drop_duplicates(["pair", "row"])
    mean = links.groupby("product")["coef"].mean()
    coef[transfer] = flows.loc[transfer, "product"].map(mean).fillna(0.0).to_numpy()
    return coef
