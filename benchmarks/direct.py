"""The engine's MIP assembled straight from :class:`~netdesign.optimization.index.ModelIndex`
arrays with numpy/scipy (no Pyomo) and passed to highspy: the floor the Pyomo build is measured
against, and a check that the Pyomo route builds exactly the model it documents.

Every constraint family of :mod:`netdesign.optimization.constraints` and every cost line of
:mod:`netdesign.optimization.costs` has its array twin here, row for row. The result follows the
conventions of Pyomo's ``LinearStandardFormCompiler`` (mixed form) so the two can be compared
entry by entry: fixed variables are substituted (their terms move to the row bounds and the
objective offset; a row left with no variable stays, empty), columns that appear nowhere are
dropped, zero coefficients are dropped, rows without terms are skipped, and a two-sided row
becomes two rows (≤ then ≥).

:func:`signature` reduces a model to order-free digests (rows, columns, nonzeros, a hash of the
multiset of rows, of the cost vector and of the bounds) computed from semantic column keys
(``flow[17]``), so two processes can compare a Pyomo build and a direct build without holding
both; :func:`compare` aligns two models entry by entry when both are in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from netdesign.formulas import crf
from netdesign.network import hub_products
from netdesign.optimization.constraints import _unpooled_coefficients
from netdesign.optimization.costs import unmet_penalty
from netdesign.optimization.highs import highs_lp, new_highs
from netdesign.optimization.index import Groups, ModelIndex, variance_weight

INF = math.inf
BLOCKS = ("flow", "open", "option", "stock", "assign", "unmet", "safety", "seg_fill", "seg_full",
          "option_handling")


@dataclass
class DirectModel:
    """min cost·x + offset, row_lower ≤ A x ≤ row_upper, col bounds, integrality; keys name
    columns (block, position) and rows (family, index)."""

    cost: np.ndarray
    offset: float
    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    col_block: np.ndarray  # block number (index into BLOCKS) of each column
    col_pos: np.ndarray  # position within the block
    row_family: list[str]  # family name of each row block
    row_family_start: np.ndarray

    @property
    def size(self) -> dict[str, int]:
        return {"columns": self.matrix.shape[1], "rows": self.matrix.shape[0],
                "nonzeros": int(self.matrix.nnz), "integer_columns": int(self.integer.sum())}


class _Columns:
    """Column blocks in BLOCKS order with bounds, integrality and fixed values (NaN = free)."""

    def __init__(self, sizes: dict[str, int]):
        self.start, n = {}, 0
        for b in BLOCKS:
            self.start[b] = n
            n += sizes.get(b, 0)
        self.n = n
        self.sizes = sizes
        self.lower = np.zeros(n)
        self.upper = np.full(n, INF)
        self.integer = np.zeros(n, dtype=bool)
        self.fixed = np.full(n, np.nan)
        self.block = np.repeat(np.arange(len(BLOCKS)), [sizes.get(b, 0) for b in BLOCKS])
        self.pos = np.concatenate([np.arange(sizes.get(b, 0)) for b in BLOCKS])

    def __call__(self, block: str, positions) -> np.ndarray:
        return self.start[block] + np.asarray(positions, dtype=np.int64)

    def binary(self, block: str) -> None:
        s = slice(self.start[block], self.start[block] + self.sizes.get(block, 0))
        self.upper[s] = 1.0
        self.integer[s] = True


class _Rows:
    """Rows as COO triplets, appended family by family (row ids are local to the family)."""

    def __init__(self):
        self.r, self.c, self.v, self.lo, self.hi = [], [], [], [], []
        self.families: list[tuple[str, int]] = []
        self.n = 0

    def add(self, family: str, n_rows: int, rows, cols, vals, lo, hi) -> None:
        if n_rows == 0:
            return
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.broadcast_to(np.asarray(vals, dtype=float), rows.shape)
        self.r.append(rows + self.n)
        self.c.append(cols)
        self.v.append(vals)
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n_rows,)))
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n_rows,)))
        self.families.append((family, n_rows))
        self.n += n_rows


def _members(groups: Groups, which: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(group row, member) pairs of a Groups, optionally of the groups ``which`` only, with the
    row numbered by position in ``which``."""
    counts = np.diff(groups.start)
    if which is None:
        return np.repeat(np.arange(len(counts)), counts), groups.members
    which = np.asarray(which, dtype=np.int64)
    c = counts[which]
    offsets = np.repeat(groups.start[which] - np.r_[0, np.cumsum(c)[:-1]], c)
    return np.repeat(np.arange(len(which)), c), groups.members[np.arange(c.sum()) + offsets]


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.array([], dtype=np.int64)


def build_direct(ix: ModelIndex) -> DirectModel:
    """The engine's model of ``ix`` as arrays (see the module docstring)."""
    s = ix.data.settings
    flows, fac, opts, pairs, demand = ix.flows, ix.facilities, ix.options, ix.pairs, ix.demand
    seg = ix.segments
    n_f, n_fac, n_opt, n_pair, n_dem, n_seg = (len(flows), len(fac), len(opts), len(pairs),
                                               len(demand), len(seg))
    col = _Columns({"flow": n_f, "open": n_fac, "option": n_opt,
                    "stock": n_pair if ix.use_stock else 0, "assign": len(ix.assign_pairs),
                    "unmet": n_dem, "safety": n_pair, "seg_fill": n_seg, "seg_full": n_seg,
                    "option_handling": n_opt})
    # -- variables (components.add_variables) --
    for b in ("open", "option", "stock", "assign", "seg_full"):
        col.binary(b)
    status = fac["status"].to_numpy()
    col.fixed[col("open", np.flatnonzero(status == "forced_open"))] = 1.0
    ostat = opts["status"].to_numpy()
    col.fixed[col("option", np.flatnonzero(ostat != "available"))] = np.where(
        ostat[ostat != "available"] == "forced", 1.0, 0.0)
    if not s.unmet_demand.allowed:
        col.fixed[col("unmet", np.arange(n_dem))] = 0.0
    width = seg["width"].to_numpy(dtype=float)
    col.upper[col("seg_fill", np.arange(n_seg))] = width
    oh = col("option_handling", np.arange(n_opt))
    col.lower[oh] = -INF
    open_col = col("open", np.arange(n_fac))
    pair_fac = pairs["fac"].to_numpy().astype(np.int64)
    stock_or_open = (col("stock", np.arange(n_pair)) if ix.use_stock else open_col[pair_fac])

    R = _Rows()
    d_units = demand["annual_units"].to_numpy(dtype=float)
    leg = flows["leg"].to_numpy()

    # demand_satisfaction: Σ_{a delivers d} f_a + u_d = D_d
    r, m = _members(ix.serves)
    R.add("demand_satisfaction", n_dem, np.r_[r, np.arange(n_dem)],
          np.r_[col("flow", m), col("unmet", np.arange(n_dem))], 1.0, d_units, d_units)

    # flow_balance: Σ in − Σ out = 0, pairs with any flow
    counts = np.diff(ix.arrives_at.start) + np.diff(ix.ships_from.start)
    keep = np.flatnonzero(counts > 0)
    ri, mi = _members(ix.arrives_at, keep)
    ro, mo = _members(ix.ships_from, keep)
    R.add("flow_balance", len(keep), np.r_[ri, ro], col("flow", np.r_[mi, mo]),
          np.r_[np.ones(len(mi)), -np.ones(len(mo))], 0.0, 0.0)

    # open_linking: Σ f − (Σ_p d_pc) y_j ≤ 0 per (j, c)
    links = ix.customer_links
    cust_total = demand.groupby("customer")["annual_units"].sum()
    total = cust_total.reindex(links["customer"]).to_numpy(dtype=float)
    n_l = len(links)
    r, m = _members(ix.customer_link_groups)
    R.add("open_linking", n_l, np.r_[r, np.arange(n_l)],
          np.r_[col("flow", m), open_col[links["fac"].to_numpy().astype(np.int64)]],
          np.r_[np.ones(len(m)), -total], -INF, 0.0)

    # stock_linking: Σ_{leaves (p,j)} f − (Σ_c d_pc) s_pj ≤ 0, pairs that ship
    ships = np.flatnonzero(np.diff(ix.ships_from.start) > 0)
    prod_total = demand.groupby("product")["annual_units"].sum()
    ptotal = prod_total.reindex(pairs["product"].to_numpy()[ships]).to_numpy(dtype=float)
    r, m = _members(ix.ships_from, ships)
    R.add("stock_linking", len(ships), np.r_[r, np.arange(len(ships))],
          np.r_[col("flow", m), stock_or_open[ships]], np.r_[np.ones(len(m)), -ptotal], -INF, 0.0)

    # stock_requires_open: s_pj − y_j ≤ 0
    if ix.use_stock:
        R.add("stock_requires_open", n_pair, np.r_[np.arange(n_pair), np.arange(n_pair)],
              np.r_[col("stock", np.arange(n_pair)), open_col[pair_fac]],
              np.r_[np.ones(n_pair), -np.ones(n_pair)], -INF, 0.0)

    # per facility: the flows leaving its pairs (throughput), options raising capacity
    fac_of_flow = np.full(n_f, -1, dtype=np.int64)
    pf, pm = _members(ix.ships_from)  # pair, flow
    fac_of_flow[pm] = pair_fac[pf]
    leaving = np.flatnonzero(fac_of_flow >= 0)
    opt_fac = opts["fac"].to_numpy().astype(np.int64)
    raise_by = opts["capacity_factor"].to_numpy(dtype=float) - 1.0

    def capacity_rows(family: str, cap: np.ndarray, flow_coef: float, with_safety: bool) -> None:
        finite = np.flatnonzero(np.isfinite(cap))
        pos = np.full(n_fac, -1)
        pos[finite] = np.arange(len(finite))
        f_in = leaving[pos[fac_of_flow[leaving]] >= 0]
        o_in = np.flatnonzero(pos[opt_fac] >= 0) if n_opt else np.array([], dtype=np.int64)
        rows = [pos[fac_of_flow[f_in]], np.arange(len(finite)), pos[opt_fac[o_in]]]
        cols = [col("flow", f_in), open_col[finite], col("option", o_in)]
        vals = [np.full(len(f_in), flow_coef), -cap[finite], -cap[opt_fac[o_in]] * raise_by[o_in]]
        if with_safety:
            p_in = np.flatnonzero(pos[pair_fac] >= 0)
            rows.append(pos[pair_fac[p_in]])
            cols.append(col("safety", p_in))
            vals.append(np.ones(len(p_in)))
        R.add(family, len(finite), _concat(rows), _concat(cols), _concat(vals), -INF, 0.0)

    # throughput_capacity: Σ T − K (y + Σ (φ−1) o) ≤ 0
    capacity_rows("throughput_capacity", fac["throughput_capacity"].to_numpy(dtype=float), 1.0,
                  False)
    # capacity_cover: Σ_j K_j (y_j + Σ_k (φ_k − 1) o_jk) + Σ_direct f + Σ u ≥ Σ d
    # (every K_j finite)
    tcap = fac["throughput_capacity"].to_numpy(dtype=float)
    if n_fac and np.isfinite(tcap).all():
        direct_flows = np.flatnonzero(leg == "direct")
        R.add("capacity_cover", 1, np.zeros(n_fac + n_opt + len(direct_flows) + n_dem),
              np.r_[open_col, col("option", np.arange(n_opt)), col("flow", direct_flows),
                    col("unmet", np.arange(n_dem))],
              np.r_[tcap, raise_by * tcap[opt_fac], np.ones(len(direct_flows)), np.ones(n_dem)],
              float(d_units.sum()), INF)
    # storage_capacity: Σ T · R/(2·days) + Σ SS − S (y + Σ (φ−1) o) ≤ 0
    half_cycle = s.inventory.review_period_days / (2.0 * s.days_per_year)
    capacity_rows("storage_capacity", fac["storage_capacity"].to_numpy(dtype=float), half_cycle,
                  True)

    # supplier_capacity: Σ f (supplier s, product p) ≤ Q_sp
    supply = ix.data.supply.reset_index(drop=True)
    if not supply.empty:
        qcap = supply["capacity"].to_numpy(dtype=float)
        finite = np.flatnonzero(np.isfinite(qcap))
        key = supply["supplier"].astype(str) + "\x1f" + supply["product"].astype(str)
        row_of_key = dict(zip(key.to_numpy()[finite], range(len(finite)), strict=True))
        from_sup = np.flatnonzero(np.isin(leg, ("inbound", "direct")))
        fkey = (flows["origin"].astype(str) + "\x1f" + flows["product"].astype(str)).to_numpy()
        rows = np.array([row_of_key.get(k, -1) for k in fkey[from_sup]], dtype=np.int64)
        ok = rows >= 0
        R.add("supplier_capacity", len(finite), rows[ok], col("flow", from_sup[ok]), 1.0, -INF,
              qcap[finite])

    # option_requires_open: o − y ≤ 0
    R.add("option_requires_open", n_opt, np.r_[np.arange(n_opt), np.arange(n_opt)],
          np.r_[col("option", np.arange(n_opt)), open_col[opt_fac]],
          np.r_[np.ones(n_opt), -np.ones(n_opt)], -INF, 0.0)

    # option_handling_cost (i, side), rows in (i, 0), (i, 1) order
    if n_opt:
        _option_handling(R, col, ix, fac_of_flow, leaving)

    # single sourcing
    if s.sourcing == "single" and not ix.assign_pairs.empty:
        ap = ix.assign_pairs
        per_customer = ap.groupby("customer").indices
        groups = list(per_customer.values())
        rows = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        hi = 1.0
        lo = -INF if s.unmet_demand.allowed else 1.0
        R.add("single_source", len(groups), rows, col("assign", _concat(groups)), 1.0, lo, hi)
        lk = ix.outbound_links
        first = ix.link_groups.members[ix.link_groups.start[:-1]]
        assign_of = flows["assign_pair"].to_numpy()[first]
        row_of = lk["demand_row"].to_numpy().astype(np.int64)
        r, m = _members(ix.link_groups)
        R.add("single_source_flow", len(lk), np.r_[r, np.arange(len(lk))],
              np.r_[col("flow", m), col("assign", assign_of)],
              np.r_[np.ones(len(m)), -d_units[row_of]], 0.0, 0.0)
        n_ap = len(ap)
        R.add("assign_requires_open", n_ap, np.r_[np.arange(n_ap), np.arange(n_ap)],
              np.r_[col("assign", np.arange(n_ap)), open_col[ap["fac"].to_numpy().astype(int)]],
              np.r_[np.ones(n_ap), -np.ones(n_ap)], -INF, 0.0)

    # facility_count: n_min ≤ Σ y ≤ n_max (two rows when both sides, ≤ first)
    counts_s = s.facilities
    if counts_s.min_open != 0 or counts_s.max_open is not None:
        if counts_s.max_open is not None:
            R.add("facility_count", 1, np.zeros(n_fac), open_col, 1.0, -INF, counts_s.max_open)
        R.add("facility_count", 1, np.zeros(n_fac), open_col, 1.0, counts_s.min_open, INF)

    # service_band: Σ fast delivering flows ≥ β Σ d
    band = s.service.band
    if band is not None:
        fast = np.flatnonzero(np.isin(leg, ("outbound", "direct"))
                              & (flows["transit_days"].to_numpy() <= band.days + 1e-9))
        R.add("service_band", 1, np.zeros(len(fast)), col("flow", fast), 1.0,
              band.share * float(d_units.sum()), INF)

    # strategy: Σ_j s_pj = 1 for hub products
    hub = hub_products(ix.data)
    if hub and ix.use_stock:
        per_product = ix.pairs.groupby("product").indices
        groups = [g for p, g in per_product.items() if p in hub]
        rows = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        R.add("hub_stocking", len(groups), rows, col("stock", _concat(groups)), 1.0, 1.0, 1.0)

    # safety stock
    if s.inventory.pooling:
        _pooled_safety(R, col, ix, stock_or_open)
    else:
        coef = _unpooled_coefficients(ix)
        r, m = _members(ix.ships_from)
        R.add("safety_level", n_pair, np.r_[np.arange(n_pair), r],
              np.r_[col("safety", np.arange(n_pair)), col("flow", m)],
              np.r_[np.ones(n_pair), -coef[m]], 0.0, 0.0)

    cost, offset = _objective(col, ix, fac_of_flow)
    return _finish(col, R, cost, offset)


def _option_handling(R: _Rows, col: _Columns, ix: ModelIndex, fac_of_flow, leaving) -> None:
    opts, fac = ix.options, ix.facilities
    n_opt = len(opts)
    total_demand = float(ix.demand["annual_units"].sum())
    hc = fac["handling_cost"].to_numpy(dtype=float)
    cap = fac["throughput_capacity"].to_numpy(dtype=float)
    of = opts["fac"].to_numpy().astype(np.int64)
    factor = opts["capacity_factor"].to_numpy(dtype=float)
    eta = opts["handling_cost_factor"].to_numpy(dtype=float)
    rate = (eta - 1.0) * hc[of]
    # T̄_j: capacity raised by every option of j (else total demand)
    reach = 1.0 + np.bincount(of, weights=np.clip(factor - 1.0, 0.0, None), minlength=len(fac))
    capped = np.isfinite(cap) & (cap * reach < total_demand)
    big = np.where(capped, cap * reach, total_demand)[of]
    by_fac = Groups.of(fac_of_flow, len(fac), fac_of_flow >= 0)
    rows, cols, vals, lo, hi = [], [], [], np.empty(2 * n_opt), np.empty(2 * n_opt)
    h = col("option_handling", np.arange(n_opt))
    o = col("option", np.arange(n_opt))
    for i in range(n_opt):
        through = col("flow", by_fac[of[i]])
        r0, r1 = 2 * i, 2 * i + 1
        if rate[i] < 0:
            # rate·T − h ≤ 0 ;  rate·big·o − h ≤ 0
            rows += [np.full(len(through), r0), [r0], [r1, r1]]
            cols += [through, [h[i]], [o[i], h[i]]]
            vals += [np.full(len(through), rate[i]), [-1.0], [rate[i] * big[i], -1.0]]
            lo[r0], hi[r0], lo[r1], hi[r1] = -INF, 0.0, -INF, 0.0
        else:
            # rate·(T − big·(1 − o)) − h ≤ 0  →  rate·T + rate·big·o − h ≤ rate·big
            rows += [np.full(len(through), r0), [r0, r0], [r1]]
            cols += [through, [o[i], h[i]], [h[i]]]
            vals += [np.full(len(through), rate[i]), [rate[i] * big[i], -1.0], [-1.0]]
            lo[r0], hi[r0] = -INF, rate[i] * big[i]
            lo[r1], hi[r1] = -INF, 0.0  # h ≥ 0  →  −h ≤ 0
    R.add("option_handling_cost", 2 * n_opt, _concat([np.asarray(x, dtype=np.int64)
                                                       for x in rows]),
          _concat([np.asarray(x, dtype=np.int64) for x in cols]),
          _concat([np.asarray(x, dtype=float) for x in vals]), lo, hi)


def _pooled_safety(R: _Rows, col: _Columns, ix: ModelIndex, stock_or_open) -> None:
    seg = ix.segments
    n_seg, n_pair = len(seg), len(ix.pairs)
    width, slope = seg["width"].to_numpy(dtype=float), seg["slope"].to_numpy(dtype=float)
    weight = variance_weight(ix.flows, ix.demand, ix.pairs)
    has = np.flatnonzero(np.diff(ix.pair_segments.start) > 0)
    # pooled_variance: Σ w f − Σ v = 0
    r, m = _members(ix.ships_from, has)
    rs, ms = _members(ix.pair_segments, has)
    R.add("pooled_variance", len(has), np.r_[r, rs], np.r_[col("flow", m), col("seg_fill", ms)],
          np.r_[weight[m], -np.ones(len(ms))], 0.0, 0.0)
    # safety_level: SS − Σ σ v = 0
    R.add("safety_level", len(has), np.r_[np.arange(len(has)), rs],
          np.r_[col("safety", has), col("seg_fill", ms)], np.r_[np.ones(len(has)), -slope[ms]],
          0.0, 0.0)
    # segment_order (i, side): v_i − W_i z_i ≥ 0 ; v_{i+1} − W_{i+1} z_i ≤ 0 (z_last = 0)
    pair_of = seg["pair"].to_numpy().astype(np.int64)
    last = np.r_[pair_of[1:] != pair_of[:-1], True] if n_seg else np.array([], dtype=bool)
    i = np.arange(n_seg)
    r0, r1 = 2 * i, 2 * i + 1
    nl = np.flatnonzero(~last)
    rows = np.r_[r0, r0, r1[nl], r1[nl], r1[last]]
    cols = np.r_[col("seg_fill", i), col("seg_full", i), col("seg_fill", nl + 1),
                 col("seg_full", nl), col("seg_full", i[last])]
    vals = np.r_[np.ones(n_seg), -width, np.ones(len(nl)), -width[nl + 1],
                 np.ones(int(last.sum()))]
    lo = np.empty(2 * n_seg)
    hi = np.empty(2 * n_seg)
    lo[r0], hi[r0] = 0.0, INF
    lo[r1], hi[r1] = np.where(last, 0.0, -INF), 0.0
    R.add("segment_order", 2 * n_seg, rows, cols, vals, lo, hi)
    # segment_requires_stock: v_first − W_first s ≤ 0
    first = ix.pair_segments.members[ix.pair_segments.start[has]]
    R.add("segment_requires_stock", len(has), np.r_[np.arange(len(has)), np.arange(len(has))],
          np.r_[col("seg_fill", first), stock_or_open[has]],
          np.r_[np.ones(len(has)), -width[first]], -INF, 0.0)
    no_seg = np.setdiff1d(np.arange(n_pair), has)
    col.fixed[col("safety", no_seg)] = 0.0


def _objective(col: _Columns, ix: ModelIndex, fac_of_flow) -> tuple[np.ndarray, float]:
    s = ix.data.settings
    flows, fac, opts = ix.flows, ix.facilities, ix.options
    cost = np.zeros(col.n)
    f = col("flow", np.arange(len(flows)))
    leg = flows["leg"].to_numpy()
    value = flows["unit_value"].to_numpy(dtype=float)
    half_cycle = s.inventory.review_period_days / (2.0 * s.days_per_year)
    leaves = np.isin(leg, ("outbound", "transfer"))
    hc = fac["handling_cost"].to_numpy(dtype=float)
    per_flow = (
        flows["purchase_cost"].to_numpy(dtype=float)
        + flows["freight"].to_numpy(dtype=float)
        + (s.fuel_index - 1.0) * flows["freight_fuel"].to_numpy(dtype=float)
        + np.where(fac_of_flow >= 0, hc[np.maximum(fac_of_flow, 0)], 0.0)
        + s.carrying_rate * np.where(leaves, value * half_cycle, 0.0)
        + s.carrying_rate * value * flows["transit_days"].to_numpy(dtype=float) / s.days_per_year
        + s.co2_price / 1000.0 * flows["co2_kg"].to_numpy(dtype=float)
    )
    # freight on legs other than the four is not a cost line; purchase covers every flow
    in_leg = np.isin(leg, ("inbound", "transfer", "outbound", "direct"))
    per_flow -= np.where(in_leg, 0.0, flows["freight"].to_numpy(dtype=float)
                         + (s.fuel_index - 1.0) * flows["freight_fuel"].to_numpy(dtype=float))
    cost[f] = per_flow
    candidate = (fac["status"] != "existing").to_numpy()
    capex = np.array([c * crf(s.discount_rate, life) if cand else 0.0 for c, life, cand in
                      zip(fac["capex"], fac["capex_life_years"], candidate, strict=True)])
    closing = np.where(fac["status"].to_numpy() == "existing",
                       fac["closing_cost"].to_numpy(dtype=float), 0.0) * crf(
        s.discount_rate, s.horizon_years)
    cost[col("open", np.arange(len(fac)))] = (fac["fixed_cost"].to_numpy(dtype=float) + capex
                                              - closing)
    all_fac = ix.data.facilities
    forced_closed = float(all_fac.loc[all_fac["status"] == "forced_closed", "closing_cost"].sum())
    offset = float(closing.sum()) + forced_closed * crf(s.discount_rate, s.horizon_years)
    if len(opts):
        opt_annual = np.array([c * crf(s.discount_rate, life) for c, life in
                               zip(opts["capex"], opts["life_years"], strict=True)])
        cost[col("option", np.arange(len(opts)))] = opt_annual + opts["annual_cost"].to_numpy(
            dtype=float)
        cost[col("option_handling", np.arange(len(opts)))] = 1.0
    cost[col("safety", np.arange(len(ix.pairs)))] = s.carrying_rate * ix.pairs[
        "unit_value"].to_numpy(dtype=float)
    cost[col("unmet", np.arange(len(ix.demand)))] = unmet_penalty(ix)
    return cost, offset


def _finish(col: _Columns, R: _Rows, cost: np.ndarray, offset: float) -> DirectModel:
    """COO → CSC, substitute fixed columns, drop unused columns and constant rows."""
    a = sp.csr_array((_concat(R.v), (_concat(R.r), _concat(R.c))), shape=(R.n, col.n))
    a.sum_duplicates()
    a.eliminate_zeros()
    lo, hi = _concat(R.lo).astype(float), _concat(R.hi).astype(float)
    fixed = ~np.isnan(col.fixed)
    # like Pyomo's compiler: a row with terms is kept even when they are all fixed variables
    # (it stays as an empty row); a row without terms is skipped
    nonempty = np.diff(a.indptr) > 0
    a = a.tocsc()
    if fixed.any():
        x = np.where(fixed, col.fixed, 0.0)
        shift = a @ x
        lo, hi = lo - shift, hi - shift
        offset += float(cost @ x)
    used = (np.diff(a.indptr) > 0) | (cost != 0)
    keep_col = used & ~fixed
    a = a[:, np.flatnonzero(keep_col)]
    a = a.tocsr()
    # a constant row is skipped (Pyomo raises when it is infeasible; so do we)
    bad = ~nonempty & ((lo > 1e-9) | (hi < -1e-9))
    if bad.any():
        raise ValueError(f"{int(bad.sum())} trivially infeasible constant row(s)")
    family_of_row = np.repeat(np.arange(len(R.families)), [n for _, n in R.families])
    a = a[np.flatnonzero(nonempty)]
    fam = family_of_row[nonempty]
    names = [name for name, _ in R.families]
    starts = np.searchsorted(fam, np.arange(len(names) + 1))
    return DirectModel(
        cost=cost[keep_col], offset=offset, matrix=a.tocsc(), row_lower=lo[nonempty],
        row_upper=hi[nonempty], col_lower=col.lower[keep_col], col_upper=col.upper[keep_col],
        integer=col.integer[keep_col], col_block=col.block[keep_col], col_pos=col.pos[keep_col],
        row_family=names, row_family_start=starts,
    )


def to_highs(model: DirectModel, highs: highspy.Highs | None = None) -> highspy.Highs:
    """passModel the arrays into a (new) Highs instance."""
    h = highs or new_highs()
    h.passModel(highs_lp(model.cost, model.offset, model.matrix, model.col_lower,
                         model.col_upper, model.row_lower, model.row_upper, model.integer))
    return h


# -- comparing a Pyomo build with a direct build -------------------------------------------------


@dataclass
class Canonical:
    """A model with semantic column ids (block, position → one int) for comparisons."""

    col_id: np.ndarray  # int64, block * 2**40 + position
    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray


def canonical_direct(model: DirectModel) -> Canonical:
    return Canonical(model.col_block.astype(np.int64) * 2**40 + model.col_pos, model.matrix,
                     model.row_lower, model.row_upper, model.cost, model.offset, model.col_lower,
                     model.col_upper, model.integer)


def canonical_pyomo(compiled) -> Canonical:
    """From :class:`netdesign.optimization.highs.Compiled` (columns are Pyomo VarData)."""
    block = {b: k for k, b in enumerate(BLOCKS)}
    ids = np.fromiter((block[v.parent_component().local_name] * 2**40 + v.index()
                       for v in compiled.columns), dtype=np.int64, count=len(compiled.columns))
    inf = highspy.kHighsInf

    def real(x):
        x = np.asarray(x, dtype=float)
        return np.where(x >= inf, INF, np.where(x <= -inf, -INF, x))

    return Canonical(ids, compiled.matrix, real(compiled.row_lower), real(compiled.row_upper),
                     compiled.cost, compiled.offset, real(compiled.col_lower),
                     real(compiled.col_upper), compiled.integer)


def _quantize(x: np.ndarray, rel: float = 1e-9) -> np.ndarray:
    """Numbers as int64 keys equal for values within ~``rel`` (infinities kept apart)."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(len(x), dtype=np.int64)
    fin = np.isfinite(x) & (x != 0)
    mant, exp = np.frexp(x[fin])
    q = np.round(mant / rel).astype(np.int64)
    out[fin] = q * 4096 + exp.astype(np.int64)  # exact up to rounding boundaries
    out[np.isposinf(x)] = np.iinfo(np.int64).max
    out[np.isneginf(x)] = np.iinfo(np.int64).min
    return out


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 (vectorised, wraps)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def signature(model: Canonical) -> dict:
    """Order-free digests of the model (row order, column order and row sign do not matter)."""
    with np.errstate(over="ignore"):
        csr = model.matrix.tocsr()
        n_rows = csr.shape[0]
        cid = model.col_id[csr.indices]
        row = np.repeat(np.arange(n_rows), np.diff(csr.indptr))
        # normalise each row's sign: the entry of smallest column id is positive
        order = np.lexsort((cid, row))
        first = np.full(n_rows, -1, dtype=np.int64)
        starts = np.searchsorted(row[order], np.arange(n_rows))
        has = starts < len(order)
        first[has] = order[starts[has]]
        sign = np.where((first >= 0) & (csr.data[first] < 0), -1.0, 1.0)
        vals = csr.data * sign[row]
        lo = np.where(sign > 0, model.row_lower, -model.row_upper)
        hi = np.where(sign > 0, model.row_upper, -model.row_lower)
        entry = _mix(_mix(cid.astype(np.uint64)) ^ _quantize(vals).astype(np.uint64))
        row_hash = np.zeros(n_rows, dtype=np.uint64)
        np.add.at(row_hash, row, entry)
        row_hash = _mix(row_hash ^ _mix(_quantize(lo).astype(np.uint64))
                        ^ _mix(_mix(_quantize(hi).astype(np.uint64))))
        rows_digest = _digest(np.sort(row_hash))
        by_col = np.argsort(model.col_id)
        cols = np.c_[model.col_id[by_col], _quantize(model.cost[by_col]),
                     _quantize(model.col_lower[by_col]), _quantize(model.col_upper[by_col]),
                     model.integer[by_col].astype(np.int64)]
    return {"columns": int(model.matrix.shape[1]), "rows": int(n_rows),
            "nonzeros": int(model.matrix.nnz), "integer_columns": int(model.integer.sum()),
            "rows_digest": rows_digest, "columns_digest": _digest(cols.ravel()),
            "offset": float(model.offset)}


def _digest(a: np.ndarray) -> str:
    import hashlib

    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


def same_signature(a: dict, b: dict, rel: float = 1e-9) -> bool:
    keys = ("columns", "rows", "nonzeros", "integer_columns", "rows_digest", "columns_digest")
    return all(a[k] == b[k] for k in keys) and math.isclose(a["offset"], b["offset"],
                                                             rel_tol=rel, abs_tol=1e-6)


def compare(pyomo: Canonical, direct: Canonical, rel: float = 1e-9) -> list[str]:
    """Differences between two models held in memory (empty list: the same problem).

    Columns are matched by id; rows by their sorted (column id, coefficient) content after sign
    normalisation, so row order and a row multiplied by −1 do not count as differences.
    """
    problems = []
    if pyomo.matrix.shape != direct.matrix.shape:
        problems.append(f"shape {pyomo.matrix.shape} vs {direct.matrix.shape}")
    if pyomo.matrix.nnz != direct.matrix.nnz:
        problems.append(f"nonzeros {pyomo.matrix.nnz} vs {direct.matrix.nnz}")
    if set(pyomo.col_id.tolist()) != set(direct.col_id.tolist()):
        only_p = set(pyomo.col_id.tolist()) - set(direct.col_id.tolist())
        only_d = set(direct.col_id.tolist()) - set(pyomo.col_id.tolist())
        problems.append(f"columns only in Pyomo: {_names(only_p)}; only direct: {_names(only_d)}")
        return problems
    pos_d = {c: k for k, c in enumerate(direct.col_id.tolist())}
    perm = np.array([pos_d[c] for c in pyomo.col_id.tolist()])
    for what in ("cost", "col_lower", "col_upper"):
        a, b = getattr(pyomo, what), getattr(direct, what)[perm]
        if not np.allclose(a, b, rtol=rel, atol=1e-9, equal_nan=True):
            k = int(np.argmax(~np.isclose(a, b, rtol=rel, atol=1e-9)))
            problems.append(f"{what} differs first at {_names([pyomo.col_id[k]])}: "
                            f"{a[k]} vs {b[k]}")
    if not np.array_equal(pyomo.integer, direct.integer[perm]):
        problems.append("integrality differs")
    if not math.isclose(pyomo.offset, direct.offset, rel_tol=rel, abs_tol=1e-6):
        problems.append(f"objective offset {pyomo.offset} vs {direct.offset}")
    rows_p, rows_d = _row_table(pyomo), _row_table(direct)
    if len(rows_p) == len(rows_d):
        def key(row):
            return row[0], tuple(np.round(row[1], 6).tolist())

        for k, (rp, rd) in enumerate(zip(sorted(rows_p, key=key), sorted(rows_d, key=key),
                                         strict=True)):
            if rp[0] != rd[0] or not np.allclose(rp[1], rd[1], rtol=rel, atol=1e-9):
                problems.append(f"row {k} of the sorted rows differs: {_row_text(rp)} vs "
                                f"{_row_text(rd)}")
                break
    return problems


def _row_table(model: Canonical) -> list[tuple]:
    csr = model.matrix.tocsr()
    out = []
    for r in range(csr.shape[0]):
        s, e = csr.indptr[r], csr.indptr[r + 1]
        ids, vals = model.col_id[csr.indices[s:e]], csr.data[s:e]
        o = np.argsort(ids)
        ids, vals = ids[o], vals[o]
        sign = 1.0 if len(vals) == 0 or vals[0] > 0 else -1.0
        lo, hi = (model.row_lower[r], model.row_upper[r]) if sign > 0 else (
            -model.row_upper[r], -model.row_lower[r])
        out.append((tuple(ids.tolist()), np.r_[vals * sign, _clip(lo), _clip(hi)]))
    return out


def _clip(x: float) -> float:
    return max(min(x, 1e300), -1e300)


def _names(ids) -> str:
    ids = list(ids)[:5]
    return ", ".join(f"{BLOCKS[int(i) >> 40]}[{int(i) & (2**40 - 1)}]" for i in ids)


def _row_text(row: tuple) -> str:
    return f"{_names(row[0])} … {np.round(row[1][:6], 6).tolist()}"
