"""Finance view of a run: P&L, working capital and the CapEx case, in the finance partner's terms.

Two layers, as in stockpyl: plain formulas first (one function each, the equation and its source in
the docstring, no model objects; the capital recovery factor the objective shares is in
:mod:`netdesign.formulas`), then composites that read :class:`~netdesign.data.ModelData` and
:class:`~netdesign.results.Results` and return pandas objects.

Sign conventions: P&L lines are positive amounts (revenue and costs alike, ``ebit`` = revenue minus
the cost lines above it); cash flows are signed (outflows negative). All amounts are per year
unless a name says ``one-time``; currency is ``settings.currency``.

The P&L (:func:`pnl`) and where the ``Results.costs`` lines go:

========================  =======================================================================
P&L line                  from
========================  =======================================================================
revenue                   served units × unit price
cogs                      purchase
freight_*                 freight_inbound, freight_transfer, freight_outbound, freight_direct
handling                  handling
warehousing_fixed         facility_fixed + option_opex
inventory_holding         carrying_* × (1 − k/r): storage, insurance, obsolescence
co2                       co2
depreciation              straight-line depreciation of the CapEx whose annuity the run carries
**ebit**                  revenue − the lines above
capital_charge_inventory  carrying_* × k/r: the cost of capital tied up in inventory
capital_charge_assets     facility_capex + option_capex − depreciation: the interest part of the
                          CapEx annuity (cost of capital on capital employed)
capital_charge            capital_charge_inventory + capital_charge_assets
closing                   closing (one-time closing cost annualised over the horizon)
**economic_profit**       ebit − capital_charge − closing = revenue − Σ cost lines but
                          unmet_penalty
========================  =======================================================================

r is ``carrying_rate`` and k the part of it that is the cost of capital
(:func:`carrying_capital_rate`). unmet_penalty is not a P&L line: a modelling device whose economic
effect, the lost revenue, already shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy_financial as npf
import pandas as pd

from netdesign.data import ModelData
from netdesign.results import COST_LINES, Results
from netdesign.schema import Settings

EBIT_COST_LINES: dict[str, tuple[str, ...]] = {
    "cogs": ("purchase",),
    "freight_inbound": ("freight_inbound",),
    "freight_transfer": ("freight_transfer",),
    "freight_outbound": ("freight_outbound",),
    "freight_direct": ("freight_direct",),
    "handling": ("handling",),
    "warehousing_fixed": ("facility_fixed", "option_opex"),
    "co2": ("co2",),
}
"""P&L lines above EBIT that are whole ``Results.costs`` lines → the cost lines they add up."""

PNL_ORDER = (
    "revenue",
    "cogs",
    "freight_inbound",
    "freight_transfer",
    "freight_outbound",
    "freight_direct",
    "handling",
    "warehousing_fixed",
    "inventory_holding",
    "co2",
    "depreciation",
    "ebit",
    "capital_charge_inventory",
    "capital_charge_assets",
    "capital_charge",
    "closing",
    "economic_profit",
)
"""The lines of :func:`pnl`, in the order a P&L reads (``compare``, the report, the workbook)."""

PNL_TOTALS = ("ebit", "economic_profit")
"""The P&L's total lines (shown in bold)."""

PNL_HIGHER_IS_BETTER = frozenset({"revenue", "ebit", "economic_profit"})
"""P&L lines whose rise is an improvement; every other line is a cost."""

CARRYING_LINES = ("carrying_cycle", "carrying_safety", "carrying_pipeline")

CAPITAL_COST_LINES = ("facility_capex", "option_capex", "closing")
"""Annualised one-time amounts; the CapEx case replaces them by the one-time cash flows."""

NON_PNL_LINES = ("unmet_penalty",)

LOGISTICS_COST_LINES = tuple(
    line for line in COST_LINES if line not in ("purchase", *NON_PNL_LINES)
)
"""Cost lines that make up the logistics cost: total landed cost but COGS and unmet_penalty."""

CASH_FLOW_COLUMNS = (
    "year",
    "capex",
    "closing",
    "closing_tax_shield",
    "after_tax_savings",
    "tax_shield",
    "residual_value",
    "working_capital",
    "net",
    "cumulative",
    "discounted_cumulative",
    "depreciation",
)
"""Columns of :attr:`CapexCase.cash_flows`; ``net`` sums capex … working_capital;
``depreciation`` is the tax depreciation, a memo (not a cash flow)."""

CASH_COLUMNS = CASH_FLOW_COLUMNS[1:8]

ITEM_COLUMNS = ("kind", "facility", "option", "amount", "life_years")

MACRS_FACTORS = {3: 2.0, 5: 2.0, 7: 2.0, 10: 2.0, 15: 1.5, 20: 1.5}
"""MACRS GDS recovery period [years] → declining-balance factor (200 % or 150 %)."""

# ---------------------------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------------------------


def npv(rate: float, cash_flows: Sequence[float]) -> float:
    """Net present value of cash flows at years 0, 1, …, n: NPV = Σₜ CFₜ / (1+i)ᵗ.

    The first value is at year 0 (not discounted), unlike a spreadsheet's ``NPV()``. Computed by
    ``numpy_financial.npv``. Source: Brigham & Houston, *Fundamentals of Financial Management*,
    ch. "The Basics of Capital Budgeting" (NPV).
    """
    return float(npf.npv(rate, np.asarray(cash_flows, dtype=float)))


def irr(cash_flows: Sequence[float]) -> float | None:
    """Internal rate of return: the i with Σₜ CFₜ / (1+i)ᵗ = 0 (``numpy_financial.irr``).

    None when the IRR is not meaningful: unless the flows are conventional (an outlay first, then
    one change of sign) there is no rate or several (Brigham & Houston, *Fundamentals of
    Financial Management*, ch. "The Basics of Capital Budgeting": IRR and non-normal cash flows).
    """
    flows = np.asarray(cash_flows, dtype=float)
    signs = np.sign(flows[flows != 0])
    if signs.size < 2 or signs[0] > 0 or np.count_nonzero(np.diff(signs)) != 1:
        return None
    value = float(npf.irr(flows))
    return value if math.isfinite(value) else None


def payback_years(cash_flows: Sequence[float]) -> float | None:
    """Simple payback period in years, interpolated linearly within the year of recovery.

    With cumulative cash flow Cₜ = Σ_{s≤t} CFₛ and k the first year after which C stays ≥ 0:

    .. math:: \\text{payback} = (k - 1) + \\frac{-C_{k-1}}{CF_k}

    (cash flows of year k are taken to arrive evenly during year k). 0 when C never goes negative,
    None when C is still negative at the last year (never paid back). Taking the *last* crossing
    makes a project that turns negative again after recovering count as not yet paid back there.
    Source: Brigham & Houston, *Fundamentals of Financial Management*, ch. "The Basics of Capital
    Budgeting" (payback period = years before full recovery + unrecovered cost / cash flow in the
    recovery year).
    """
    flows = np.asarray(cash_flows, dtype=float)
    if flows.size == 0:
        return None
    cumulative = np.cumsum(flows)
    tol = 1e-9 * max(1.0, float(np.max(np.abs(flows))))
    if cumulative[-1] < -tol:
        return None
    negative = np.nonzero(cumulative < -tol)[0]
    if negative.size == 0:
        return 0.0
    k = int(negative[-1]) + 1
    return (k - 1) + float(-cumulative[k - 1] / flows[k])


def discounted_payback_years(cash_flows: Sequence[float], rate: float) -> float | None:
    """Discounted payback: :func:`payback_years` of the discounted flows CFₜ / (1+i)ᵗ.

    Source: Brigham & Houston, *Fundamentals of Financial Management*, ch. "The Basics of Capital
    Budgeting" (discounted payback).
    """
    flows = np.asarray(cash_flows, dtype=float)
    return payback_years(flows / (1.0 + rate) ** np.arange(flows.size))


def straight_line_depreciation(
    cost: float, life_years: float, years: int, salvage: float = 0.0
) -> np.ndarray:
    """Straight-line depreciation charged in years 1 … ``years``: (cost − salvage) / life a year
    while in service.

    .. math:: D_k = \\frac{\\text{cost} - S}{L} \\cdot \\min(1, \\max(0, L - (k-1)))

    so a fractional life ends with a partial year and Σ D = cost − S when ``years`` ≥ L.
    Source: Brealey, Myers & Allen, *Principles of Corporate Finance*, 12th ed., § 6-2:
    "depreciation in year t = 1/T × depreciable amount" (IM&C: 1/6 × (10 000 − 500) = 1 583);
    Park, *Contemporary Engineering Economics*, ch. 9, D = (I − S)/N.
    """
    if not life_years > 0:
        raise ValueError(f"life_years must be positive, got {life_years}")
    k = np.arange(1, int(years) + 1, dtype=float)
    return (cost - salvage) / life_years * np.clip(life_years - (k - 1), 0.0, 1.0)


def macrs_depreciation(cost: float, recovery_years: int, years: int) -> np.ndarray:
    """US MACRS (GDS, half-year convention) depreciation in years 1 … ``years``.

    Declining balance at f/N a year (f = 2 for the 3-, 5-, 7- and 10-year classes, 1.5 for the 15-
    and 20-year classes; :data:`MACRS_FACTORS`), switching to straight line over the remaining
    life when that gives more; half a year in year 1 and in year N + 1. With B the undepreciated
    basis at the start of year k:

    .. math:: D_1 = \\tfrac{f}{2N}\\,\\text{cost}, \\qquad
              D_k = \\min\\Bigl(B_k,\\; \\max\\bigl(\\tfrac{f}{N} B_k,\\;
              \\tfrac{B_k}{N + 1.5 - k}\\bigr)\\Bigr)\\ (k \\ge 2)

    Source: IRS Publication 946, *How to Depreciate Property*, ch. 4 and Table A-1 (e.g. 5-year
    property: 20.00, 32.00, 19.20, 11.52, 11.52, 5.76 %); Brealey, Myers & Allen, *Principles of
    Corporate Finance*, 12th ed., § 6-2 (the table of MACRS tax depreciation schedules by
    recovery-period class, and IM&C revised with 5-year MACRS).
    """
    if recovery_years not in MACRS_FACTORS:
        raise ValueError(
            f"MACRS recovery period must be one of {sorted(MACRS_FACTORS)}, got {recovery_years}"
        )
    n, factor = recovery_years, MACRS_FACTORS[recovery_years]
    out = np.zeros(int(years))
    basis = float(cost)
    for k in range(1, min(int(years), n + 1) + 1):
        if k == 1:
            charge = factor / (2 * n) * cost
        else:
            charge = min(basis, max(factor / n * basis, basis / (n + 1.5 - k)))
        out[k - 1] = charge
        basis -= charge
    return out


def tax_depreciation(cost: float, life_years: float, years: int, method: str) -> np.ndarray:
    """Tax depreciation in years 1 … ``years``: :func:`macrs_depreciation` when ``method`` is
    ``macrs`` and the life is a MACRS recovery period, otherwise
    :func:`straight_line_depreciation` (as MACRS does for property outside the GDS classes,
    e.g. 39-year nonresidential real property; IRS Publication 946, ch. 4)."""
    if method == "macrs" and float(life_years).is_integer() and int(life_years) in MACRS_FACTORS:
        return macrs_depreciation(cost, int(life_years), years)
    if method not in ("macrs", "straight_line"):
        raise ValueError(f"depreciation method must be straight_line or macrs, got {method!r}")
    return straight_line_depreciation(cost, life_years, years)


def after_tax_salvage(
    proceeds: float | np.ndarray, book_value: float | np.ndarray, tax_rate: float
) -> float | np.ndarray:
    """Cash from disposing of an asset: proceeds less tax on the gain over its tax book value.

    .. math:: \\text{after-tax salvage} = P - t\\,(P - B)

    (a sale below book value gives a tax saving). Source: Brealey, Myers & Allen, *Principles of
    Corporate Finance*, 12th ed., § 6-2, Table 6.2 line 1: IM&C sells for 1 949 with a book value
    of 500 at 35 % tax: 1 949 − 0.35 × 1 449 = 1 442.
    """
    return proceeds - tax_rate * (proceeds - book_value)


def carrying_capital_rate(carrying_rate: float, cost_of_capital: float) -> float:
    """The part k of the carrying rate r that is the cost of capital: min(cost of capital, r).

    The carrying (holding) rate bundles the cost of the capital tied up in stock with the costs of
    holding it (storage and occupancy, insurance, obsolescence and shrinkage, handling): r = k + h.
    Only h is an operating expense above EBIT; k is a financing cost, charged beneath it.
    Sources: Chopra & Meindl, *Supply Chain Management: Strategy, Planning, and Operation*, ch.
    "Managing Economies of Scale in a Supply Chain: Cycle Inventory" (holding cost = cost of
    capital + obsolescence + handling + occupancy + miscellaneous); Silver, Pyke & Thomas,
    *Inventory and Production Management in Supply Chains*, 4th ed., ch. 2 (the carrying charge).
    """
    return min(max(cost_of_capital, 0.0), max(carrying_rate, 0.0))


def incremental_cash_flows(
    *,
    tax_rate: float,
    investment: Sequence[float],
    expensed: Sequence[float],
    operating: Sequence[float],
    depreciation: Sequence[float],
    working_capital: Sequence[float],
    salvage: Sequence[float],
    salvage_book_value: Sequence[float],
) -> pd.DataFrame:
    """A project's incremental cash flows, year 0 … n, as Brealey, Myers & Allen lay them out.

    Inputs, one value per year (arrays of length n + 1, year 0 first, amounts ≥ 0 unless said):
    ``investment`` capital spent; ``expensed`` one-time costs deducted from taxable income when
    paid (IM&C's start-up costs, a DC's closing cost); ``operating`` the pre-tax operating cash
    gain, revenues − cash expenses (signed: a cost saving is positive); ``depreciation`` the tax
    depreciation; ``working_capital`` the *level* of incremental working capital at the end of
    each year (signed); ``salvage`` disposal proceeds or residual value and
    ``salvage_book_value`` the tax book value of what is disposed of.

    .. math::
        \\text{CF}_t = -I_t - E_t(1-t) + O_t(1-t) + t D_t
                    + \\bigl(P_t - t(P_t - B_t)\\bigr) - (W_t - W_{t-1}), \\quad W_{-1} = 0

    i.e. total cash flow = cash flow from capital investment + operating cash flow + cash flow from
    changes in working capital, with operating cash flow by the tax-shield approach
    (revenues − cash expenses)·(1 − T_c) + T_c·depreciation. A negative taxable income is taken to
    save tax elsewhere in the company (as the book does for IM&C's year 0 and year 1).
    Source: Brealey, Myers & Allen, *Principles of Corporate Finance*, 12th ed., ch. 6 "Making
    Investment Decisions with the Net Present Value Rule", § 6-2 "Example — IM&C's Fertilizer
    Project", Tables 6.1 and 6.2 (pp. 139–141).

    Columns: year, capex, closing (−E), closing_tax_shield (t·E), after_tax_savings (O(1 − t)),
    tax_shield (t·D), residual_value (after-tax salvage), working_capital (−ΔW), net,
    depreciation (memo). ``cumulative`` and ``discounted_cumulative`` are left to the caller.
    """
    arrays = {
        name: np.asarray(values, dtype=float)
        for name, values in (
            ("investment", investment),
            ("expensed", expensed),
            ("operating", operating),
            ("depreciation", depreciation),
            ("working_capital", working_capital),
            ("salvage", salvage),
            ("salvage_book_value", salvage_book_value),
        )
    }
    lengths = {a.shape for a in arrays.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise ValueError(f"every input must be one value a year, of one length; got {lengths}")
    level = arrays["working_capital"]
    out = pd.DataFrame({"year": np.arange(level.size)})
    out["capex"] = 0.0 - arrays["investment"]  # 0.0 − x, not −x: no −0.0 in the table
    out["closing"] = 0.0 - arrays["expensed"]
    out["closing_tax_shield"] = tax_rate * arrays["expensed"]
    out["after_tax_savings"] = arrays["operating"] * (1.0 - tax_rate)
    out["tax_shield"] = tax_rate * arrays["depreciation"]
    out["residual_value"] = after_tax_salvage(
        arrays["salvage"], arrays["salvage_book_value"], tax_rate
    )
    out["working_capital"] = 0.0 - np.diff(level, prepend=0.0)
    out["net"] = out[list(CASH_COLUMNS)].sum(axis=1)
    out["depreciation"] = arrays["depreciation"]
    return out


# ---------------------------------------------------------------------------------------------
# Composites on a run
# ---------------------------------------------------------------------------------------------


def _cost(costs: pd.Series, lines: Sequence[str]) -> float:
    return float(sum(float(costs.get(line, 0.0)) for line in lines))


def _check_costs(results: Results) -> None:
    if not results.ok:
        raise ValueError(f"run has no solution (status {results.status!r})")
    unknown = sorted(set(results.costs.index) - set(COST_LINES))
    if unknown:
        raise ValueError(f"unknown cost lines {unknown}; finance maps only {', '.join(COST_LINES)}")


def served_demand(data: ModelData, results: Results) -> pd.DataFrame:
    """Demand rows with what was served: one row per (customer, product).

    Columns: customer, product, annual_units, unmet, served (= annual_units − unmet, ≥ 0),
    served_share (served / annual_units; 0 for rows without demand), orders_per_year,
    orders_served (= orders_per_year × served_share), unit_price, revenue (= served × unit_price).
    """
    demand = data.demand
    out = pd.DataFrame(
        {
            "customer": demand["customer"].to_numpy(),
            "product": demand["product"].to_numpy(),
            "annual_units": demand["annual_units"].astype(float).to_numpy(),
            "orders_per_year": (
                demand["orders_per_year"].astype(float).to_numpy()
                if "orders_per_year" in demand
                else np.zeros(len(demand))
            ),
        }
    )
    if results.unmet.empty:
        out["unmet"] = 0.0
    else:
        unmet = results.unmet.groupby(["customer", "product"], as_index=False)["units"].sum()
        out = out.merge(
            unmet.rename(columns={"units": "unmet"}), on=["customer", "product"], how="left"
        )
        out["unmet"] = out["unmet"].fillna(0.0).astype(float)
    out["served"] = (out["annual_units"] - out["unmet"]).clip(lower=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(out["annual_units"] > 0, out["served"] / out["annual_units"], 0.0)
    out["served_share"] = share
    out["orders_served"] = out["orders_per_year"] * out["served_share"]
    prices = data.products.set_index("product")["unit_price"].astype(float)
    out["unit_price"] = out["product"].map(prices).fillna(0.0).astype(float)
    out["revenue"] = out["served"] * out["unit_price"]
    return out[
        [
            "customer",
            "product",
            "annual_units",
            "unmet",
            "served",
            "served_share",
            "orders_per_year",
            "orders_served",
            "unit_price",
            "revenue",
        ]
    ]


def capital_rate(settings: Settings) -> float:
    """k of the run's settings: ``finance.carrying_cost_of_capital``, by default the discount
    rate, capped at the carrying rate (:func:`carrying_capital_rate`)."""
    chosen = settings.finance.carrying_cost_of_capital
    return carrying_capital_rate(
        settings.carrying_rate, settings.discount_rate if chosen is None else chosen
    )


def carrying_split(settings: Settings, costs: pd.Series) -> tuple[float, float]:
    """(holding, cost of capital) parts of the carrying cost lines: carrying × (1 − k/r) and
    carrying × k/r, with k from :func:`capital_rate` (all holding when r = 0)."""
    carrying = _cost(costs, CARRYING_LINES)
    rate = settings.carrying_rate
    share = capital_rate(settings) / rate if rate > 0 else 0.0
    return carrying * (1.0 - share), carrying * share


def assets(data: ModelData, results: Results) -> pd.DataFrame:
    """The CapEx whose annuity the run's cost carries (facility_capex, option_capex).

    * dc_open: an open DC whose status is not ``existing`` (a candidate or forced-open site): its
      ``capex`` over ``capex_life_years``;
    * option: an option bought at an open DC: its ``capex`` over ``life_years``.

    Columns: kind, facility, option, amount, life_years.
    """
    fac = data.facilities.set_index("facility")
    rows: list[dict] = []
    for facility in sorted(_open_set(results)):
        status = fac.at[facility, "status"] if facility in fac.index else "candidate"
        if status == "existing":
            continue
        rows.append(
            {
                "kind": "dc_open",
                "facility": facility,
                "option": "",
                "amount": float(fac.at[facility, "capex"]) if facility in fac.index else 0.0,
                "life_years": (
                    float(fac.at[facility, "capex_life_years"])
                    if facility in fac.index and "capex_life_years" in fac
                    else 20.0
                ),
            }
        )
    opts = data.facility_options
    opts = opts.set_index(["facility", "option"]) if not opts.empty else None
    for facility, option in sorted(_options_bought(results)):
        if opts is None or (facility, option) not in opts.index:
            raise ValueError(f"option {option!r} at {facility!r} is not in facility_options")
        rows.append(
            {
                "kind": "option",
                "facility": facility,
                "option": option,
                "amount": float(opts.at[(facility, option), "capex"]),
                "life_years": float(opts.at[(facility, option), "life_years"]),
            }
        )
    return pd.DataFrame(rows, columns=list(ITEM_COLUMNS)).astype(
        {"amount": float, "life_years": float}
    )


def pnl(data: ModelData, results: Results) -> pd.Series:
    """Annual P&L of a run [currency/year], index :data:`PNL_ORDER` (table in the module doc).

    revenue = Σ served units × unit_price (served = demand − unmet). Above EBIT: the cost lines
    of :data:`EBIT_COST_LINES`, the holding part of inventory carrying and the straight-line
    depreciation of :func:`assets` (Σ capex / life). EBIT is recurring: before the one-time
    closing costs, which are shown annualised beneath it.

    Beneath EBIT, the capital charge: on inventory, the cost-of-capital part of the carrying cost
    (:func:`carrying_split`); on the CapEx, its capital recovery annuity less depreciation,
    capex·CRF(i, n) − capex/n, the interest part of the annuity (Park, *Contemporary Engineering
    Economics*, ch. "Annual Equivalent-Worth Analysis": capital recovery cost = depreciation +
    interest). Economic profit = EBIT − capital charge − closing, pre-tax (residual income:
    operating profit less a charge for all the capital employed; Brealey, Myers & Allen,
    *Principles of Corporate Finance*, 12th ed., ch. 12, "Measuring and Rewarding Performance:
    Residual Income and EVA"). It equals revenue − Σ cost lines but unmet_penalty, so for two
    runs serving the same demand Δ economic profit = −Δ total cost, while ΔEBIT also depends on
    how the cost splits.

    Raises ValueError for a run without a solution or with a cost line this module does not know
    (rather than mis-state EBIT).
    """
    _check_costs(results)
    costs = results.costs
    lines = {"revenue": float(served_demand(data, results)["revenue"].sum())}
    for name, parts in EBIT_COST_LINES.items():
        lines[name] = _cost(costs, parts)
    holding, inventory_capital = carrying_split(data.settings, costs)
    lines["inventory_holding"] = holding
    owned = assets(data, results)
    lines["depreciation"] = float((owned["amount"] / owned["life_years"]).sum())
    above = [*EBIT_COST_LINES, "inventory_holding", "depreciation"]
    lines["ebit"] = lines["revenue"] - sum(lines[name] for name in above)
    lines["capital_charge_inventory"] = inventory_capital
    lines["capital_charge_assets"] = (
        _cost(costs, ("facility_capex", "option_capex")) - lines["depreciation"]
    )
    lines["capital_charge"] = lines["capital_charge_inventory"] + lines["capital_charge_assets"]
    lines["closing"] = _cost(costs, ("closing",))
    lines["economic_profit"] = lines["ebit"] - lines["capital_charge"] - lines["closing"]
    return pd.Series({name: lines[name] for name in PNL_ORDER}, name="pnl", dtype=float)


def logistics_cost(data: ModelData, results: Results) -> float:
    """Logistics cost [currency/year]: total landed cost but COGS and the unmet penalty (freight,
    handling, warehousing, CapEx annuities, closing, all of inventory carrying, CO2), i.e. the
    cost lines in :data:`LOGISTICS_COST_LINES`."""
    _check_costs(results)
    return _cost(results.costs, LOGISTICS_COST_LINES)


def working_capital(data: ModelData, results: Results) -> pd.Series:
    """Inventory working capital of a run.

    Index and units: inventory_value_cycle, inventory_value_safety, inventory_value_pipeline,
    inventory_value [currency] (units × unit_value, from ``results.inventory``; safety uses the
    ``safety`` column, the stock the objective carries, not the closed-form ``safety_exact``);
    cogs [currency/year] (= purchase cost line); dio [days] = inventory_value / cogs ×
    days_per_year; turns [1/year] = cogs / inventory_value.

    dio is nan when cogs is 0; turns is nan when inventory_value is 0 (infinite turns).
    """
    _check_costs(results)
    inv = results.inventory
    values = {"cycle": 0.0, "safety": 0.0, "pipeline": 0.0}
    if not inv.empty:
        if "unit_value" in inv:
            unit_value = inv["unit_value"].astype(float)
        else:
            prices = data.products.set_index("product")["unit_value"].astype(float)
            unit_value = inv["product"].map(prices).fillna(0.0).astype(float)
        for part in values:
            values[part] = float((inv[part].astype(float).fillna(0.0) * unit_value).sum())
    total = sum(values.values())
    cogs = _cost(results.costs, EBIT_COST_LINES["cogs"])
    days = data.settings.days_per_year
    return pd.Series(
        {
            "inventory_value_cycle": values["cycle"],
            "inventory_value_safety": values["safety"],
            "inventory_value_pipeline": values["pipeline"],
            "inventory_value": total,
            "cogs": cogs,
            "dio": total / cogs * days if cogs > 0 else math.nan,
            "turns": cogs / total if total > 0 else math.nan,
        },
        name="working_capital",
        dtype=float,
    )


def working_capital_delta(base_wc: pd.Series, scen_wc: pd.Series) -> pd.Series:
    """Scenario minus baseline for each working-capital line, plus ``cash_released``.

    cash_released [currency] = baseline inventory_value − scenario inventory_value: positive when
    the scenario holds less inventory (cash freed), negative when it ties more up.
    """
    delta = (scen_wc - base_wc).rename("delta")
    delta["cash_released"] = float(base_wc["inventory_value"] - scen_wc["inventory_value"])
    return delta


# ---------------------------------------------------------------------------------------------
# CapEx case
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapexCase:
    """The CapEx justification of moving from a reference run to a scenario run.

    Amounts in currency (one-time) or currency/year (``annual_*``); ``irr`` and rates are shares;
    payback in months, None when never paid back within the horizon. ``capex`` is the year-0
    investment, ``capex_later`` the like-for-like replacements within the horizon;
    ``residual_value`` the after-tax value at the horizon of the assets that outlive it.
    ``items`` lists the one-time amounts (:data:`ITEM_COLUMNS`; kind: dc_open | option |
    dc_close).
    """

    capex: float
    capex_later: float
    closing: float
    closing_tax_shield: float
    annual_operating_savings: float
    annual_revenue_change: float
    annual_savings_before_tax: float
    annual_savings_after_tax: float
    working_capital_release: float
    residual_value: float
    discount_rate: float
    tax_rate: float
    horizon_years: int
    npv: float
    irr: float | None
    payback_months: float | None
    discounted_payback_months: float | None
    cash_flows: pd.DataFrame
    items: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> dict:
        """Scalar fields as JSON-ready values (tables left out)."""
        return {
            name: getattr(self, name)
            for name in self.__dataclass_fields__
            if name not in ("cash_flows", "items")
        }


def operating_cost(settings: Settings, results: Results) -> float:
    """Annual operating cost [currency/year]: every cost line but the annualised capital lines
    (facility_capex, option_capex, closing), unmet_penalty and the cost-of-capital part of
    inventory carrying (:func:`carrying_split`), which the CapEx case counts once, as the working
    capital released."""
    _check_costs(results)
    excluded = set(CAPITAL_COST_LINES) | set(NON_PNL_LINES)
    total = float(sum(float(v) for k, v in results.costs.items() if k not in excluded))
    return total - carrying_split(settings, results.costs)[1]


def _open_set(results: Results) -> set[str]:
    return set(results.open_facilities)


def _options_bought(results: Results) -> set[tuple[str, str]]:
    fac = results.facilities
    if fac.empty or "options" not in fac:
        return set()
    out = set()
    rows = zip(fac["facility"], fac["open"], fac["options"], strict=True)
    for facility, is_open, options in rows:
        if not is_open or not isinstance(options, str):
            continue
        out |= {(facility, o.strip()) for o in options.split(";") if o.strip()}
    return out


def one_time_items(
    base_data: ModelData, base_results: Results, scen_data: ModelData, scen_results: Results
) -> pd.DataFrame:
    """One-time amounts of moving from the reference to the scenario, from the scenario's inputs.

    * dc_open, option: the scenario's :func:`assets` that the reference does not hold (a new DC,
      an option bought);
    * dc_close: a DC open in the reference and closed in the scenario: its ``closing_cost``.

    Columns :data:`ITEM_COLUMNS`. Only the scenario's new commitments count; one-time amounts the
    reference would spend and the scenario avoids are not credited.
    """
    held = assets(base_data, base_results)
    new = assets(scen_data, scen_results)
    key = ["kind", "facility", "option"]
    held_keys = set(held[key].itertuples(index=False, name=None))
    keep = [k not in held_keys for k in new[key].itertuples(index=False, name=None)]
    fac = scen_data.facilities.set_index("facility")
    rows = new[keep].to_dict("records")
    for facility in sorted(_open_set(base_results) - _open_set(scen_results)):
        amount = float(fac.at[facility, "closing_cost"]) if facility in fac.index else 0.0
        rows.append({"kind": "dc_close", "facility": facility, "option": "", "amount": amount,
                     "life_years": math.nan})
    return pd.DataFrame(rows, columns=list(ITEM_COLUMNS)).astype(
        {"amount": float, "life_years": float}
    )


def asset_cash_flows(
    cost: float, life_years: float, horizon: int, tax_rate: float, method: str
) -> pd.DataFrame:
    """One asset over years 0 … H: investment, tax depreciation and residual value.

    Bought at year 0 and replaced like for like (same cost) at the end of each life that ends
    within the horizon (year ⌈start + life⌉), so the savings the design earns every year keep the
    asset they need, as the MIP's annuity capex·CRF(i, life) assumes. At the horizon the asset in
    service has a residual value = cost × remaining life / life (its straight-line book value, the
    service it still has to give); the tax on it is on the gain over the tax book value
    (:func:`after_tax_salvage`), zero under straight-line tax depreciation. Tax depreciation by
    ``method`` (:func:`tax_depreciation`). Source: Brealey, Myers & Allen, *Principles of
    Corporate Finance*, 12th ed., § 6-2 (capital investment, salvage value and tax on its sale,
    Tables 6.1–6.2).

    Columns: year, investment, depreciation, salvage, salvage_book_value (rows for year 0 … H).
    """
    years = np.arange(horizon + 1)
    out = pd.DataFrame({"year": years, "investment": 0.0, "depreciation": 0.0, "salvage": 0.0,
                        "salvage_book_value": 0.0})
    start = 0
    while start < horizon:
        out.loc[start, "investment"] += cost
        charges = tax_depreciation(cost, life_years, horizon - start, method)
        out.loc[start + 1 :, "depreciation"] += charges
        end = math.ceil(start + life_years - 1e-9)
        if end >= horizon:
            remaining = start + life_years - horizon
            out.loc[horizon, "salvage"] += cost * remaining / life_years
            out.loc[horizon, "salvage_book_value"] += cost - float(charges.sum())
        start = end
    return out


def capex_case(
    base_data: ModelData, base_results: Results, scen_data: ModelData, scen_results: Results
) -> CapexCase:
    """Incremental cash flows, NPV, IRR and paybacks of moving from the reference to the scenario.

    Laid out as Brealey, Myers & Allen, *Principles of Corporate Finance*, 12th ed., ch. 6, § 6-2
    (IM&C, Tables 6.1–6.2): cash flow from capital investment + operating cash flow + cash flow
    from changes in working capital (:func:`incremental_cash_flows`). Rates, tax, horizon H and
    the tax depreciation method come from ``scen_data.settings``.

    * CapEx by year: each new DC and option (:func:`one_time_items`) at year 0 and its like-for-
      like replacements within the horizon, depreciated for tax by ``finance.depreciation``,
      with the residual value of those that outlive the horizon at year H
      (:func:`asset_cash_flows`);
    * closing costs at year 0, deducted from taxable income: −closing + t·closing;
    * tax on operating savings: S·(1 − t) in years 1 … H, where S = the reference's
      :func:`operating_cost` − the scenario's + the revenue change (scenario − reference
      revenue, which keeps a scenario that drops demand from looking like a saving);
    * working capital released once: reference − scenario inventory value, at year 0, never
      reversed (the redesigned network outlives the horizon).

    S leaves out the cost-of-capital part of inventory carrying (:func:`carrying_split`): that
    yearly saving, k × released inventory, is the return on the cash released, whose present value
    at k is the release itself (a perpetuity: k·R / k = R). Counting it each year as well as the
    release in year 0 counts the inventory benefit twice. The holding part (storage, insurance,
    obsolescence) is a real yearly saving and stays in S.

    NPV at the discount rate and IRR by ``numpy_financial``; payback and discounted payback in
    months with linear interpolation within the year (:func:`payback_years`), None when never paid
    back within the horizon.
    """
    settings = scen_data.settings
    rate, tax, horizon = settings.discount_rate, settings.tax_rate, int(settings.horizon_years)
    method = settings.finance.depreciation

    items = one_time_items(base_data, base_results, scen_data, scen_results)
    investing = items[items["kind"] != "dc_close"]
    closing = float(items.loc[items["kind"] == "dc_close", "amount"].sum())

    op_savings = operating_cost(base_data.settings, base_results) - operating_cost(
        settings, scen_results
    )
    revenue_change = float(
        pnl(scen_data, scen_results)["revenue"] - pnl(base_data, base_results)["revenue"]
    )
    savings = op_savings + revenue_change
    wc_release = float(
        working_capital(base_data, base_results)["inventory_value"]
        - working_capital(scen_data, scen_results)["inventory_value"]
    )

    capital = pd.DataFrame(
        0.0,
        index=range(horizon + 1),
        columns=["investment", "depreciation", "salvage", "salvage_book_value"],
    )
    for amount, life in zip(investing["amount"], investing["life_years"], strict=True):
        asset = asset_cash_flows(amount, life, horizon, tax, method)
        capital += asset[capital.columns].to_numpy()

    years = np.arange(horizon + 1)
    flows = incremental_cash_flows(
        tax_rate=tax,
        investment=capital["investment"],
        expensed=np.where(years == 0, closing, 0.0),
        operating=np.where(years == 0, 0.0, savings),
        depreciation=capital["depreciation"],
        working_capital=np.full(horizon + 1, -wc_release),
        salvage=capital["salvage"],
        salvage_book_value=capital["salvage_book_value"],
    )
    flows["cumulative"] = flows["net"].cumsum()
    flows["discounted_cumulative"] = (flows["net"] / (1.0 + rate) ** years).cumsum()
    flows = flows[list(CASH_FLOW_COLUMNS)]

    net = flows["net"].to_numpy()
    simple = payback_years(net)
    discounted = discounted_payback_years(net, rate)
    return CapexCase(
        capex=float(capital.at[0, "investment"]),
        capex_later=float(capital["investment"].iloc[1:].sum()),
        closing=closing,
        closing_tax_shield=float(flows.at[0, "closing_tax_shield"]),
        annual_operating_savings=float(op_savings),
        annual_revenue_change=revenue_change,
        annual_savings_before_tax=float(savings),
        annual_savings_after_tax=float(savings * (1.0 - tax)),
        working_capital_release=wc_release,
        residual_value=float(flows["residual_value"].iloc[-1]),
        discount_rate=float(rate),
        tax_rate=float(tax),
        horizon_years=horizon,
        npv=npv(rate, net),
        irr=irr(net),
        payback_months=None if simple is None else simple * 12.0,
        discounted_payback_months=None if discounted is None else discounted * 12.0,
        cash_flows=flows,
        items=items,
    )
