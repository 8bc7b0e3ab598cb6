"""Finance view of a run: P&L, working capital and the CapEx case, in the finance partner's terms.

Two layers, as in stockpyl: plain formulas first (one function each, the equation and its source in
the docstring, no model objects), then composites that read :class:`~netdesign.data.ModelData` and
:class:`~netdesign.results.Results` and return pandas objects.

Sign conventions: P&L lines are positive amounts (revenue and costs alike, ``ebit`` = revenue minus
the cost lines); cash flows are signed (outflows negative). All amounts are per year unless a name
says ``one-time``; currency is ``settings.currency``.

Cost lines of ``Results.costs`` and where they go in the P&L:

==================  =========================================================================
P&L line            cost lines
==================  =========================================================================
cogs                purchase
freight_*           freight_inbound, freight_transfer, freight_outbound, freight_direct
handling            handling
warehousing_fixed   facility_fixed + option_opex
capital_charge      facility_capex + option_capex (CapEx annualised with the CRF)
closing             closing (closing cost annualised over the horizon)
inventory_carrying  carrying_cycle + carrying_safety + carrying_pipeline
co2                 co2
(not a P&L line)    unmet_penalty: a modelling device; the lost revenue already shows
==================  =========================================================================
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

PNL_LINES: dict[str, tuple[str, ...]] = {
    "cogs": ("purchase",),
    "freight_inbound": ("freight_inbound",),
    "freight_transfer": ("freight_transfer",),
    "freight_outbound": ("freight_outbound",),
    "freight_direct": ("freight_direct",),
    "handling": ("handling",),
    "warehousing_fixed": ("facility_fixed", "option_opex"),
    "capital_charge": ("facility_capex", "option_capex"),
    "closing": ("closing",),
    "inventory_carrying": ("carrying_cycle", "carrying_safety", "carrying_pipeline"),
    "co2": ("co2",),
}
"""P&L cost line → the ``Results.costs`` lines it adds up."""

LOGISTICS_LINES = tuple(line for line in PNL_LINES if line != "cogs")
"""P&L lines that make up the logistics cost (everything but revenue, COGS and EBIT)."""

CAPITAL_COST_LINES = ("facility_capex", "option_capex", "closing")
"""Annualised one-time amounts; the CapEx case replaces them by the one-time cash flows."""

NON_PNL_LINES = ("unmet_penalty",)

CARRYING_LINES = PNL_LINES["inventory_carrying"]

CASH_FLOW_COLUMNS = (
    "year",
    "capex",
    "closing",
    "after_tax_savings",
    "tax_shield",
    "working_capital",
    "net",
    "cumulative",
    "discounted_cumulative",
)

# ---------------------------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------------------------


def crf(rate: float, years: float) -> float:
    """Capital recovery factor (A/P, i, n): the level annual amount that repays 1 over n years.

    .. math:: \\mathrm{CRF}(i, n) = \\frac{i (1+i)^n}{(1+i)^n - 1}, \\qquad
              \\mathrm{CRF}(0, n) = \\frac{1}{n}

    Source: C. S. Park, *Contemporary Engineering Economics*, ch. 3 (uniform series, capital
    recovery factor (A/P, i, N)); e.g. (A/P, 10 %, 10) = 0.16275 in the interest tables.

    Computed as i / (1 − (1+i)^−n) with ``expm1``/``log1p`` so that tiny rates stay accurate.
    ``years`` must be positive; ``rate`` must be > −1.
    """
    if not years > 0:
        raise ValueError(f"years must be positive, got {years}")
    if not rate > -1:
        raise ValueError(f"rate must be > -1, got {rate}")
    if rate == 0:
        return 1.0 / years
    return rate / -math.expm1(-years * math.log1p(rate))


def annualise(amount: float, rate: float, years: float) -> float:
    """Equivalent annual amount of a one-time ``amount`` over ``years`` at ``rate``.

    A = P·CRF(i, n).

    Source: Park, *Contemporary Engineering Economics*, ch. 3, A = P(A/P, i, N).
    """
    return amount * crf(rate, years)


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


def straight_line_depreciation(cost: float, life_years: float, years: int) -> np.ndarray:
    """Straight-line depreciation charged in years 1 … ``years``: Dₖ = cost / life while in service.

    .. math:: D_k = \\frac{\\text{cost}}{L} \\cdot \\min(1, \\max(0, L - (k-1)))

    so a fractional life ends with a partial year and Σ D = cost when ``years`` ≥ L.
    Source: Park, *Contemporary Engineering Economics*, ch. 9 (straight-line method,
    D = (I − S)/N, here with salvage S = 0).
    """
    if not life_years > 0:
        raise ValueError(f"life_years must be positive, got {life_years}")
    k = np.arange(1, int(years) + 1, dtype=float)
    return cost / life_years * np.clip(life_years - (k - 1), 0.0, 1.0)


def depreciation_tax_shield(
    cost: float, life_years: float, tax_rate: float, years: int
) -> np.ndarray:
    """Tax saved by depreciation in years 1 … ``years``: Tₖ = t · Dₖ (straight line).

    Source: Park, *Contemporary Engineering Economics*, ch. 10 (depreciation tax shield = t × D).
    """
    return tax_rate * straight_line_depreciation(cost, life_years, years)


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


def pnl(data: ModelData, results: Results) -> pd.Series:
    """Annual P&L of a run [currency/year].

    Index: revenue, cogs, freight_inbound, freight_transfer, freight_outbound, freight_direct,
    handling, warehousing_fixed, capital_charge, closing, inventory_carrying, co2, ebit.

    revenue = Σ served units × unit_price (served = demand − unmet); each cost line is the sum of
    the ``Results.costs`` lines in :data:`PNL_LINES`; ebit = revenue − Σ cost lines. The
    unmet-demand penalty is not a P&L line (its economic effect, the lost revenue, is already in
    revenue), so for two runs with equal revenue ΔEBIT = −Δ(total cost without unmet_penalty).
    Raises ValueError for a run without a solution or with a cost line this module does not know
    (rather than mis-state EBIT).
    """
    _check_costs(results)
    revenue = float(served_demand(data, results)["revenue"].sum())
    lines = {"revenue": revenue}
    for name, parts in PNL_LINES.items():
        lines[name] = _cost(results.costs, parts)
    lines["ebit"] = revenue - sum(lines[name] for name in PNL_LINES)
    return pd.Series(lines, name="pnl", dtype=float)


def pnl_delta(base: pd.Series, scenario: pd.Series) -> pd.Series:
    """Scenario minus baseline, line by line (a cost line going down shows as negative)."""
    return (scenario - base).rename("delta")


def logistics_cost(data: ModelData, results: Results) -> float:
    """Logistics cost [currency/year]: freight (all legs) + handling + warehousing fixed + capital
    charge + closing + inventory carrying + CO2, i.e. the P&L lines in :data:`LOGISTICS_LINES`."""
    _check_costs(results)
    return float(sum(_cost(results.costs, PNL_LINES[line]) for line in LOGISTICS_LINES))


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
    cogs = _cost(results.costs, PNL_LINES["cogs"])
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
    """The CapEx justification of moving from a baseline run to a scenario run.

    Amounts in currency (one-time) or currency/year (``annual_*``); ``irr`` and rates are shares;
    payback in months, None when never paid back within the horizon. ``items`` lists the one-time
    amounts (kind: dc_open | option | dc_close, facility, option, amount, life_years).
    """

    capex: float
    closing: float
    annual_operating_savings: float
    annual_revenue_change: float
    annual_savings_before_tax: float
    annual_savings_after_tax: float
    working_capital_release: float
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


def operating_cost(results: Results) -> float:
    """Annual operating cost [currency/year]: all cost lines except the annualised capital lines
    (facility_capex, option_capex, closing) and unmet_penalty."""
    _check_costs(results)
    excluded = set(CAPITAL_COST_LINES) | set(NON_PNL_LINES)
    return float(sum(float(v) for k, v in results.costs.items() if k not in excluded))


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
    """One-time amounts of moving from the baseline to the scenario, from the scenario's inputs.

    * dc_open: a DC open in the scenario and not in the baseline, whose status is not ``existing``
      (a candidate or forced-open new site): its ``capex``, depreciated over ``capex_life_years``;
    * option: an option bought (at an open DC) in the scenario and not in the baseline: its
      ``capex``, depreciated over ``life_years``;
    * dc_close: a DC open in the baseline and closed in the scenario: its ``closing_cost``.

    Columns: kind, facility, option, amount, life_years. Only the scenario's new commitments count;
    one-time amounts the baseline would spend and the scenario avoids are not credited.
    """
    base_open, scen_open = _open_set(base_results), _open_set(scen_results)
    fac = scen_data.facilities.set_index("facility")
    rows: list[dict] = []
    for facility in sorted(scen_open - base_open):
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
    opts = scen_data.facility_options
    opts = opts.set_index(["facility", "option"]) if not opts.empty else None
    for facility, option in sorted(_options_bought(scen_results) - _options_bought(base_results)):
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
    for facility in sorted(base_open - scen_open):
        amount = float(fac.at[facility, "closing_cost"]) if facility in fac.index else 0.0
        rows.append(
            {
                "kind": "dc_close",
                "facility": facility,
                "option": "",
                "amount": amount,
                "life_years": math.nan,
            }
        )
    columns = ["kind", "facility", "option", "amount", "life_years"]
    return pd.DataFrame(rows, columns=columns).astype({"amount": float, "life_years": float})


def capex_case(
    base_data: ModelData,
    base_results: Results,
    scen_data: ModelData,
    scen_results: Results,
    *,
    closing_tax_deductible: bool = False,
) -> CapexCase:
    """Cash flows, NPV, IRR and paybacks of investing to move from the baseline to the scenario.

    Rates, tax and horizon come from ``scen_data.settings`` (discount_rate, tax_rate,
    horizon_years). With t the tax rate, H the horizon and cash flows signed (outflow < 0):

    * year 0: −CapEx (new DCs and options, :func:`one_time_items`), −closing costs (pre-tax by
      default; ×(1 − t) when ``closing_tax_deductible``), + working-capital release;
    * years 1…H: after-tax savings S·(1 − t) + depreciation tax shield Σ_assets t·CapEx/life for
      min(life, H) years (each asset on its own life, straight line, no salvage).

    S, the annual savings before tax, is the operating-cost saving (baseline − scenario
    :func:`operating_cost`: every cost line except the annualised capital lines, which the
    one-time flows replace, and unmet_penalty) plus the revenue change (scenario − baseline
    revenue; zero when both runs serve the same demand, and it keeps a scenario that drops demand
    from looking like a saving).

    Working-capital release = baseline − scenario inventory value (:func:`working_capital`),
    received once at year 0 and not reversed at the horizon (the redesigned network is taken to
    outlive the study horizon). Note that the carrying cost saving inside S already includes the
    cost-of-capital part of the carrying rate; the release is the cash itself.

    NPV at the discount rate and IRR by ``numpy_financial``; payback and discounted payback in
    months with linear interpolation within the year (:func:`payback_years`), None when never paid
    back within the horizon.
    """
    settings = scen_data.settings
    rate, tax, horizon = settings.discount_rate, settings.tax_rate, int(settings.horizon_years)

    items = one_time_items(base_data, base_results, scen_data, scen_results)
    investing = items[items["kind"] != "dc_close"]
    capex = float(investing["amount"].sum())
    closing = float(items.loc[items["kind"] == "dc_close", "amount"].sum())

    op_savings = operating_cost(base_results) - operating_cost(scen_results)
    revenue_change = float(
        pnl(scen_data, scen_results)["revenue"] - pnl(base_data, base_results)["revenue"]
    )
    savings = op_savings + revenue_change
    after_tax = savings * (1.0 - tax)
    wc_release = float(
        working_capital(base_data, base_results)["inventory_value"]
        - working_capital(scen_data, scen_results)["inventory_value"]
    )

    shield = np.zeros(horizon)
    for amount, life in zip(investing["amount"], investing["life_years"], strict=True):
        shield += depreciation_tax_shield(amount, life, tax, horizon)

    years = np.arange(horizon + 1)
    flows = pd.DataFrame({"year": years})
    flows["capex"] = np.where(years == 0, -capex, 0.0)
    closing_flow = closing * (1.0 - tax) if closing_tax_deductible else closing
    flows["closing"] = np.where(years == 0, -closing_flow, 0.0)
    flows["after_tax_savings"] = np.where(years == 0, 0.0, after_tax)
    flows["tax_shield"] = np.concatenate([[0.0], shield])
    flows["working_capital"] = np.where(years == 0, wc_release, 0.0)
    flows["net"] = flows[
        ["capex", "closing", "after_tax_savings", "tax_shield", "working_capital"]
    ].sum(axis=1)
    flows["cumulative"] = flows["net"].cumsum()
    flows["discounted_cumulative"] = (flows["net"] / (1.0 + rate) ** years).cumsum()
    flows = flows[list(CASH_FLOW_COLUMNS)]

    net = flows["net"].to_numpy()
    simple = payback_years(net)
    discounted = discounted_payback_years(net, rate)
    return CapexCase(
        capex=capex,
        closing=closing,
        annual_operating_savings=float(op_savings),
        annual_revenue_change=revenue_change,
        annual_savings_before_tax=float(savings),
        annual_savings_after_tax=float(after_tax),
        working_capital_release=wc_release,
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
