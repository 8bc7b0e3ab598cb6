"""Finance formulas against textbook figures, and the composites on hand-made runs."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netdesign import finance
from netdesign.data import ModelData
from netdesign.finance import (
    CASH_FLOW_COLUMNS,
    COST_LINES,
    capex_case,
    discounted_payback_years,
    irr,
    npv,
    payback_years,
    pnl,
    straight_line_depreciation,
    working_capital,
    working_capital_delta,
)
from netdesign.formulas import annualise, crf
from netdesign.results import Results
from netdesign.schema import Settings

# Brigham & Houston, *Fundamentals of Financial Management*, ch. "The Basics of Capital
# Budgeting": Projects S and L, WACC 10 %. Published: NPV_S = $78.82, IRR_S = 14.49 %,
# payback_S = 2.33 years, discounted payback_S = 2.95 years; NPV_L = $100.40, IRR_L = 13.55 %.
PROJECT_S = [-1000.0, 500.0, 400.0, 300.0, 100.0]
PROJECT_L = [-1000.0, 100.0, 300.0, 400.0, 675.0]


def frame(columns: str, *rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns.split())


def by_hand_npv(rate: float, flows: list[float]) -> float:
    return sum(cf / (1 + rate) ** t for t, cf in enumerate(flows))


def by_hand_irr(flows: list[float], lo: float = -0.9, hi: float = 10.0) -> float:
    """Bisection on NPV(i) = 0 (NPV falls with i for a conventional project)."""
    for _ in range(200):
        mid = (lo + hi) / 2
        if by_hand_npv(mid, flows) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# --- formulas ---------------------------------------------------------------------------------


def test_crf_interest_table_values():
    # Park, Contemporary Engineering Economics, appendix interest tables, column A/P:
    # (A/P, 10 %, 10) = 0.16275, (A/P, 8 %, 20) = 0.10185, (A/P, 6 %, 5) = 0.23740.
    assert crf(0.10, 10) == pytest.approx(0.16275, abs=5e-6)
    assert crf(0.08, 20) == pytest.approx(0.10185, abs=5e-6)
    assert crf(0.06, 5) == pytest.approx(0.23740, abs=5e-6)
    # Our own arithmetic: 0.1 · 1.1^10 / (1.1^10 − 1) = 0.1 · 2.5937425 / 1.5937425.
    assert crf(0.10, 10) == pytest.approx(0.1 * 1.1**10 / (1.1**10 - 1), rel=1e-12)
    assert crf(0.10, 1) == pytest.approx(1.10)
    assert crf(0.0, 4) == 0.25
    assert crf(1e-12, 4) == pytest.approx(0.25, rel=1e-9)  # continuous at rate 0
    assert annualise(1000.0, 0.10, 10) == pytest.approx(162.75, abs=5e-3)
    with pytest.raises(ValueError):
        crf(0.1, 0)


def test_npv_irr_brigham_projects_s_and_l():
    assert npv(0.10, PROJECT_S) == pytest.approx(78.82, abs=0.005)
    assert npv(0.10, PROJECT_L) == pytest.approx(100.40, abs=0.005)
    assert irr(PROJECT_S) == pytest.approx(0.1449, abs=5e-5)
    assert irr(PROJECT_L) == pytest.approx(0.1355, abs=5e-5)
    # Our own arithmetic: −1000 + 454.545 + 330.579 + 225.394 + 68.301 = 78.820.
    assert npv(0.10, PROJECT_S) == pytest.approx(
        -1000 + 500 / 1.1 + 400 / 1.21 + 300 / 1.331 + 100 / 1.4641, rel=1e-12
    )
    assert irr(PROJECT_S) == pytest.approx(by_hand_irr(PROJECT_S), abs=1e-10)
    assert irr(PROJECT_L) == pytest.approx(by_hand_irr(PROJECT_L), abs=1e-10)
    assert npv(irr(PROJECT_S), PROJECT_S) == pytest.approx(0.0, abs=1e-8)


def test_irr_undefined_is_none():
    assert irr([100.0, 50.0]) is None
    assert irr([-100.0, -50.0]) is None
    assert irr([0.0, 0.0, 0.0]) is None


def test_payback_brigham_projects_s_and_l():
    # S: cumulative −500, −100, +200 → 2 + 100/300 = 2.33 years (published 2.33).
    assert payback_years(PROJECT_S) == pytest.approx(2 + 100 / 300)
    assert round(payback_years(PROJECT_S), 2) == 2.33
    # S discounted: −545.45, −214.88, +10.52 → 2 + 214.88/225.39 = 2.95 years (published 2.95).
    assert discounted_payback_years(PROJECT_S, 0.10) == pytest.approx(
        2 + (1000 - 500 / 1.1 - 400 / 1.21) / (300 / 1.331)
    )
    assert round(discounted_payback_years(PROJECT_S, 0.10), 2) == 2.95
    # L, our own arithmetic: cumulative −900, −600, −200, +475 → 3 + 200/675 = 3.30 years;
    # discounted −909.09, −661.16, −360.63, +100.40 → 3 + 360.63/461.03 = 3.78 years.
    assert payback_years(PROJECT_L) == pytest.approx(3 + 200 / 675)
    assert discounted_payback_years(PROJECT_L, 0.10) == pytest.approx(
        3 + (1000 - 100 / 1.1 - 300 / 1.21 - 400 / 1.331) / (675 / 1.4641)
    )


def test_payback_edge_cases():
    assert payback_years([-100.0, 10.0, 10.0]) is None  # never paid back
    assert payback_years([50.0, 10.0]) == 0.0  # nothing to pay back
    assert payback_years([-100.0, 100.0]) == pytest.approx(1.0)
    # Recovered in year 1, negative again in year 2, recovered for good in year 3.
    assert payback_years([-100.0, 150.0, -100.0, 100.0]) == pytest.approx(2 + 50 / 100)
    assert discounted_payback_years([-100.0, 60.0, 60.0], 0.5) is None  # 40 + 26.7 < 100


def test_straight_line_depreciation():
    # Park, ch. 9: D = (I − S)/N; I = 100 000, S = 0, N = 5 → 20 000 a year.
    assert straight_line_depreciation(100_000, 5, 7).tolist() == [20_000] * 5 + [0, 0]
    # A fractional life ends with a part year: 1000 over 2.5 years → 400, 400, 200.
    assert straight_line_depreciation(1000, 2.5, 4).tolist() == pytest.approx([400, 400, 200, 0])
    # Cut by the horizon: 3 of 5 years.
    assert straight_line_depreciation(100_000, 5, 3).sum() == pytest.approx(60_000)
    # Brealey, Myers & Allen, 12th ed., § 6-2: 1/6 × (10 000 − 500 salvage) = 1 583 a year.
    assert straight_line_depreciation(10_000, 6, 7, salvage=500).round().tolist() == (
        [1_583] * 6 + [0]
    )


# --- P&L and working capital on a hand-made run -----------------------------------------------

FACILITY_COLUMNS = (
    "facility status open change role options throughput throughput_capacity utilisation inventory"
)
INVENTORY_COLUMNS = (
    "product facility throughput cycle safety safety_exact safety_error pipeline unit_value value"
)


def make_data(settings: Settings | None = None, **overrides) -> ModelData:
    tables = {
        "products": frame(
            "product unit_value unit_price weight_kg service_level segment",
            ("A", 10.0, 20.0, 1.0, 0.95, "fast"),
            ("B", 5.0, 9.0, 2.0, 0.90, "slow"),
        ),
        "suppliers": frame("supplier lat lon"),
        "supply": frame("supplier product unit_cost capacity lead_time_days lead_time_sd_days"),
        "facilities": frame(
            "facility status fixed_cost capex capex_life_years closing_cost",
            ("DC_OLD", "existing", 200_000.0, 0.0, 20.0, 50_000.0),
            ("DC_NEW", "candidate", 180_000.0, 400_000.0, 8.0, 0.0),
            ("DC_KEEP", "existing", 0.0, 0.0, 20.0, 30_000.0),
        ),
        "facility_options": frame(
            "facility option capex life_years annual_cost capacity_factor handling_cost_factor",
            ("DC_KEEP", "automation", 100_000.0, 4.0, 10_000.0, 1.5, 0.5),
            ("DC_NEW", "racking", 20_000.0, 10.0, 0.0, 1.2, 1.0),
        ),
        "customers": frame("customer region max_days", ("C1", "SE", 3), ("C2", "MW", 3)),
        "demand": frame(
            "customer product annual_units demand_sd orders_per_year",
            ("C1", "A", 1000.0, 5.0, 52.0),
            ("C2", "A", 2000.0, 8.0, 52.0),
            ("C2", "B", 500.0, 3.0, 12.0),
        ),
        "modes": frame("mode legs cost_per_kg_km speed_km_per_day"),
        "lanes": frame("origin destination mode"),
    }
    tables.update(overrides)
    return ModelData(settings=settings or Settings(name="t"), **tables)


def make_results(costs: dict, facilities=None, inventory=None, unmet=None) -> Results:
    series = pd.Series({line: 0.0 for line in COST_LINES} | costs)
    return Results(
        status="optimal",
        objective=float(series.sum()),
        bound=float(series.sum()),
        gap=0.0,
        solve_seconds=0,
        build_seconds=0,
        costs=series,
        facilities=facilities if facilities is not None else frame(FACILITY_COLUMNS),
        flows=frame(
            "leg product origin destination mode units distance_km transit_days freight co2_kg"
        ),
        assignments=frame("product customer facility units share"),
        inventory=inventory if inventory is not None else frame(INVENTORY_COLUMNS),
        service=frame("product customer units delivery_days max_days"),
        strategy=frame("product stocking_points facilities strategy"),
        unmet=unmet if unmet is not None else frame("product customer units"),
    )


RUN_COSTS = {
    "purchase": 20_000.0,
    "freight_inbound": 1_000.0,
    "freight_transfer": 200.0,
    "freight_outbound": 3_000.0,
    "freight_direct": 50.0,
    "handling": 500.0,
    "facility_fixed": 10_000.0,
    "facility_capex": 2_000.0,
    "option_capex": 300.0,
    "option_opex": 100.0,
    "closing": 70.0,
    "carrying_cycle": 400.0,
    "carrying_safety": 300.0,
    "carrying_pipeline": 100.0,
    "co2": 50.0,
    "unmet_penalty": 900.0,
}


PNL_FACILITIES = frame(
    FACILITY_COLUMNS,
    ("DC_OLD", "existing", True, "kept", "hub", "", 0.0, math.inf, 0.0, 0.0),
    ("DC_NEW", "candidate", True, "opened", "hub", "racking", 0.0, math.inf, 0.0, 0.0),
    ("DC_KEEP", "existing", False, "closed", "none", "", 0.0, math.inf, 0.0, 0.0),
)


def test_pnl_by_hand():
    # carrying_rate 0.25 of which the cost of capital is the discount rate 0.08 (the default):
    # 8/25 of the 800 carrying is capital charge (256), 17/25 holding cost (544).
    data = make_data(Settings(name="t", carrying_rate=0.25, discount_rate=0.08))
    results = make_results(
        RUN_COSTS,
        facilities=PNL_FACILITIES,
        unmet=frame("product customer units", ("B", "C2", 100.0)),
    )
    p = pnl(data, results)
    assert list(p.index) == [
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
    ]
    revenue = 3000 * 20 + 400 * 9  # 63 600: 100 of B unmet
    assert p["revenue"] == pytest.approx(revenue)
    assert p["cogs"] == 20_000
    assert p["warehousing_fixed"] == 10_100
    assert p["inventory_holding"] == pytest.approx(800 * 0.17 / 0.25)  # 544
    # DC_NEW (candidate, open): 400 000 over 8 years; its racking: 20 000 over 10 years.
    depreciation = 400_000 / 8 + 20_000 / 10  # 52 000
    assert p["depreciation"] == pytest.approx(depreciation)
    above = 20_000 + 1_000 + 200 + 3_000 + 50 + 500 + 10_100 + 544 + 50 + depreciation
    assert p["ebit"] == pytest.approx(revenue - above)  # 63 600 − 87 444 = −23 844
    assert p["capital_charge_inventory"] == pytest.approx(800 * 0.08 / 0.25)  # 256
    assert p["capital_charge_assets"] == pytest.approx(2_300 - depreciation)
    assert p["capital_charge"] == pytest.approx(256 + 2_300 - depreciation)
    assert p["closing"] == 70
    costs = 20_000 + 1_000 + 200 + 3_000 + 50 + 500 + 10_100 + 2_300 + 70 + 800 + 50  # 38 070
    # Economic profit is revenue less every cost line but the penalty: 25 530.
    assert p["economic_profit"] == pytest.approx(revenue - costs)
    assert finance.logistics_cost(data, results) == pytest.approx(costs - 20_000)


def test_pnl_capital_charge_on_assets_is_the_interest_in_the_annuity():
    # One candidate DC, 400 000 over 8 years at 10 %: annuity 400 000 · CRF(10 %, 8) = 74 977.6,
    # of which depreciation 50 000 and the cost of capital on it 24 977.6.
    data = make_data(Settings(name="t", discount_rate=0.10))
    facilities = PNL_FACILITIES.assign(options="")
    results = make_results({"facility_capex": annualise(400_000, 0.10, 8)}, facilities=facilities)
    p = pnl(data, results)
    assert p["depreciation"] == pytest.approx(50_000)
    assert p["capital_charge_assets"] == pytest.approx(24_977.6, abs=0.05)
    revenue = 3000 * 20 + 500 * 9  # 64 500
    assert p["ebit"] == pytest.approx(revenue - 50_000)
    assert p["economic_profit"] == pytest.approx(revenue - annualise(400_000, 0.10, 8))


def test_carrying_cost_of_capital_setting():
    costs = pd.Series({"carrying_cycle": 300.0, "carrying_safety": 100.0})
    assert Settings(name="t").finance.carrying_cost_of_capital is None
    default = Settings(name="t", carrying_rate=0.20, discount_rate=0.05)
    assert finance.capital_rate(default) == 0.05
    assert finance.carrying_split(default, costs) == pytest.approx((300.0, 100.0))
    chosen = default.model_copy(
        update={"finance": default.finance.model_copy(update={"carrying_cost_of_capital": 0.1})}
    )
    assert finance.carrying_split(chosen, costs) == pytest.approx((200.0, 200.0))
    # Capped at the carrying rate; no carrying rate, no split.
    assert finance.carrying_capital_rate(0.20, 0.30) == 0.20
    assert finance.carrying_split(Settings(name="t", carrying_rate=0.0), costs) == (400.0, 0.0)


def test_pnl_rejects_unknown_cost_line_and_unsolved_run():
    data = make_data()
    with pytest.raises(ValueError, match="unknown cost lines"):
        pnl(data, make_results(RUN_COSTS | {"mystery": 1.0}))
    broken = make_results(RUN_COSTS)
    unsolved = replace(broken, status="infeasible", objective=None)
    with pytest.raises(ValueError, match="no solution"):
        pnl(data, unsolved)


cost_values = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries({line: cost_values for line in COST_LINES}),
    st.fixed_dictionaries({line: cost_values for line in COST_LINES}),
)
def test_delta_economic_profit_is_minus_delta_cost_without_penalty(costs_a, costs_b):
    data = make_data()
    unmet = frame("product customer units", ("A", "C1", 10.0))
    run_a = make_results(costs_a, unmet=unmet)
    run_b = make_results(costs_b, unmet=unmet)
    pnl_a, pnl_b = pnl(data, run_a), pnl(data, run_b)
    assert pnl_a["revenue"] == pnl_b["revenue"]
    delta_cost = (sum(costs_b.values()) - costs_b["unmet_penalty"]) - (
        sum(costs_a.values()) - costs_a["unmet_penalty"]
    )
    delta = pnl_b - pnl_a  # as the study stores pnl_delta (study.add_finance)
    assert delta["economic_profit"] == pytest.approx(-delta_cost, rel=1e-9, abs=1e-3)
    # EBIT leaves out the capital charge and closing: it moves with the cost above it only.
    below = ("facility_capex", "option_capex", "closing")
    moved = delta_cost - sum(costs_b[k] - costs_a[k] for k in below)
    carrying = sum(costs_b[k] - costs_a[k] for k in finance.CARRYING_LINES)
    moved -= carrying * finance.capital_rate(data.settings) / data.settings.carrying_rate
    assert delta["ebit"] == pytest.approx(-moved, rel=1e-9, abs=1e-3)


def test_working_capital_by_hand():
    data = make_data()
    inventory = frame(
        INVENTORY_COLUMNS,
        ("A", "DC_OLD", 3000.0, 300.0, 200.0, 210.0, 0.05, 100.0, 10.0, 6000.0),
        ("B", "DC_OLD", 400.0, 40.0, 50.0, 50.0, 0.0, 10.0, 5.0, 500.0),
    )
    wc = working_capital(data, make_results(RUN_COSTS, inventory=inventory))
    assert wc["inventory_value_cycle"] == 300 * 10 + 40 * 5  # 3200
    assert wc["inventory_value_safety"] == 200 * 10 + 50 * 5  # 2250 (model safety, not exact)
    assert wc["inventory_value_pipeline"] == 100 * 10 + 10 * 5  # 1050
    assert wc["inventory_value"] == 6500
    assert wc["cogs"] == 20_000
    assert wc["dio"] == pytest.approx(6500 / 20_000 * 365)  # 118.6 days
    assert wc["turns"] == pytest.approx(20_000 / 6500)  # 3.08 / year

    leaner = inventory.assign(safety=inventory["safety"] / 2)
    wc2 = working_capital(data, make_results(RUN_COSTS, inventory=leaner))
    delta = working_capital_delta(wc, wc2)
    assert delta["cash_released"] == pytest.approx(2250 / 2)  # positive: less inventory
    assert delta["inventory_value_safety"] == pytest.approx(-2250 / 2)
    assert working_capital_delta(wc2, wc)["cash_released"] == pytest.approx(-2250 / 2)


def test_working_capital_empty_inventory_and_zero_cogs():
    data = make_data()
    wc = working_capital(data, make_results(RUN_COSTS))
    assert wc["inventory_value"] == 0 and wc["dio"] == 0 and math.isnan(wc["turns"])
    wc = working_capital(data, make_results(RUN_COSTS | {"purchase": 0.0}))
    assert math.isnan(wc["dio"])


# --- the CapEx case, end to end ---------------------------------------------------------------
#
# Baseline: DC_OLD and DC_KEEP open. Scenario: close DC_OLD (closing 50 000), open the candidate
# DC_NEW (CapEx 400 000, life 8), automate DC_KEEP (CapEx 100 000, life 4). Discount 10 %, tax
# 25 %, horizon 5 years, carrying rate 0.25 of which 0.10 (the discount rate) cost of capital.
# Costs 1 590 000 → 1 390 000, of which carrying 40 000 → 30 000: the 4 000 cost-of-capital part
# of that saving is the working capital released, so operating savings are 196 000 a year.
# Inventory value 160 000 → 120 000: 40 000 released at year 0. Same demand served in both.

CASE_SETTINGS = Settings(name="t", discount_rate=0.10, tax_rate=0.25, horizon_years=5)

BASE_COSTS = {
    "purchase": 1_000_000.0,
    "freight_outbound": 300_000.0,
    "handling": 50_000.0,
    "facility_fixed": 200_000.0,
    "carrying_cycle": 40_000.0,
}
SCEN_COSTS = {
    "purchase": 1_000_000.0,
    "freight_outbound": 140_000.0,
    "handling": 30_000.0,
    "facility_fixed": 180_000.0,
    "option_opex": 10_000.0,
    "carrying_cycle": 30_000.0,
    # annualised one-time amounts: replaced by the one-time cash flows in the case
    "facility_capex": annualise(400_000, 0.10, 8),
    "option_capex": annualise(100_000, 0.10, 4),
    "closing": annualise(50_000, 0.10, 5),
    "unmet_penalty": 0.0,
}


def case_runs():
    data = make_data(CASE_SETTINGS)
    base = make_results(
        BASE_COSTS,
        facilities=frame(
            FACILITY_COLUMNS,
            ("DC_OLD", "existing", True, "kept", "hub", "", 3500.0, math.inf, 0.0, 0.0),
            ("DC_NEW", "candidate", False, "unused", "none", "", 0.0, math.inf, 0.0, 0.0),
            ("DC_KEEP", "existing", True, "kept", "regional", "", 0.0, math.inf, 0.0, 0.0),
        ),
        inventory=frame(
            INVENTORY_COLUMNS,
            ("A", "DC_OLD", 3000.0, 8000.0, 6000.0, 6000.0, 0.0, 2000.0, 10.0, 160_000.0),
        ),
    )
    scen = make_results(
        SCEN_COSTS,
        facilities=frame(
            FACILITY_COLUMNS,
            ("DC_OLD", "existing", False, "closed", "none", "", 0.0, math.inf, 0.0, 0.0),
            ("DC_NEW", "candidate", True, "opened", "hub", "", 3500.0, math.inf, 0.0, 0.0),
            (
                "DC_KEEP",
                "existing",
                True,
                "kept",
                "regional",
                "automation",
                0.0,
                math.inf,
                0.0,
                0.0,
            ),
        ),
        inventory=frame(
            INVENTORY_COLUMNS,
            ("A", "DC_NEW", 3000.0, 6000.0, 4500.0, 4500.0, 0.0, 1500.0, 10.0, 120_000.0),
        ),
    )
    return data, base, scen


def test_capex_case_end_to_end():
    data, base, scen = case_runs()
    case = capex_case(data, base, data, scen)

    capex = 400_000 + 100_000
    closing = 50_000
    savings = (1_000_000 + 300_000 + 50_000 + 200_000 + 40_000 * 0.6) - (
        1_000_000 + 140_000 + 30_000 + 180_000 + 10_000 + 30_000 * 0.6
    )
    assert savings == 196_000
    after_tax = savings * (1 - 0.25)  # 147 000
    # Depreciation: DC_NEW 50 000 a year; automation 25 000 in years 1–4, replaced at year 4
    # (100 000), the replacement 25 000 in year 5. Tax shield 0.25 × 75 000 = 18 750 a year.
    shield = [18_750] * 5
    # At year 5: DC_NEW has 3 of 8 years left (150 000), the replacement 3 of 4 (75 000), at book
    # value, so no tax on them.
    residual = 400_000 * 3 / 8 + 100_000 * 3 / 4
    wc_release = 160_000 - 120_000
    year0 = -capex - closing * (1 - 0.25) + wc_release  # closing 50 000 less its 12 500 tax
    flows = [year0] + [after_tax + s for s in shield]
    flows[4] -= 100_000
    flows[5] += residual
    assert flows == [-497_500, 165_750, 165_750, 165_750, 65_750, 390_750]

    assert case.capex == capex and case.capex_later == 100_000 and case.closing == closing
    assert case.closing_tax_shield == pytest.approx(12_500)
    assert case.annual_operating_savings == pytest.approx(savings)
    assert case.annual_revenue_change == 0
    assert case.annual_savings_after_tax == pytest.approx(after_tax)
    assert case.working_capital_release == pytest.approx(wc_release)
    assert case.residual_value == pytest.approx(residual)
    assert case.cash_flows["net"].tolist() == pytest.approx(flows)
    assert list(case.cash_flows.columns) == list(CASH_FLOW_COLUMNS)
    assert case.cash_flows["year"].tolist() == [0, 1, 2, 3, 4, 5]
    assert case.cash_flows["tax_shield"].tolist() == pytest.approx([0, *shield])
    assert case.cash_flows["working_capital"].tolist() == pytest.approx([wc_release] + [0] * 5)

    assert case.npv == pytest.approx(by_hand_npv(0.10, flows))
    # −497 500 + 165 750 × 2.486852 + 65 750/1.4641 + 390 750/1.61051
    # = −497 500 + 412 195.7 + 44 908.1 + 242 625.0
    assert case.npv == pytest.approx(202_228.9, abs=0.1)
    assert case.cash_flows["discounted_cumulative"].iloc[-1] == pytest.approx(case.npv)
    assert case.irr == pytest.approx(by_hand_irr(flows), abs=1e-9)
    # Cumulative −497 500, −331 750, −166 000, −250, +65 500 → 3 + 250/65 750 years.
    assert case.payback_months == pytest.approx(12 * (3 + 250 / 65_750))
    discounted = [cf / 1.1**t for t, cf in enumerate(flows)]
    unrecovered = -sum(discounted[:5])  # still short after year 4
    assert unrecovered > 0
    assert case.discounted_payback_months == pytest.approx(12 * (4 + unrecovered / discounted[5]))

    items = case.items.set_index(["kind", "facility"])
    assert items.loc[("dc_open", "DC_NEW"), "amount"] == 400_000
    assert items.loc[("option", "DC_KEEP"), "option"] == "automation"
    assert items.loc[("dc_close", "DC_OLD"), "amount"] == 50_000
    assert len(items) == 3
    assert case.summary()["npv"] == case.npv


def test_capex_case_never_paid_back_and_identical_runs():
    data, base, scen = case_runs()
    worse = make_results(
        SCEN_COSTS | {"freight_outbound": 336_000.0},  # operating cost = baseline
        facilities=scen.facilities,
        inventory=scen.inventory,
    )
    case = capex_case(data, base, data, worse)
    assert case.annual_operating_savings == pytest.approx(0.0)
    # −497 500, tax shields 18 750 a year, −100 000 at year 4, +225 000 residual: never paid back.
    assert case.cash_flows["cumulative"].iloc[-1] == pytest.approx(
        -497_500 + 5 * 18_750 - 100_000 + 225_000
    )
    assert case.payback_months is None and case.discounted_payback_months is None
    assert case.npv < 0

    same = capex_case(data, base, data, base)
    assert same.capex == 0 and same.closing == 0 and same.npv == 0
    assert same.irr is None and same.payback_months == 0.0
    assert np.allclose(same.cash_flows["net"], 0.0)


def test_capex_case_counts_lost_revenue():
    data, base, scen = case_runs()
    short = make_results(
        SCEN_COSTS,
        facilities=scen.facilities,
        inventory=scen.inventory,
        unmet=frame("product customer units", ("A", "C1", 100.0)),
    )
    case = capex_case(data, base, data, short)
    assert case.annual_revenue_change == pytest.approx(-100 * 20)
    assert case.annual_savings_before_tax == pytest.approx(196_000 - 2_000)


def test_irr_is_none_for_non_conventional_cash_flows():
    """Inflow first, or several sign changes: no meaningful single IRR (Brigham & Houston)."""
    from netdesign.finance import irr

    assert irr([100.0, -30.0, -30.0, -30.0]) is None
    assert irr([-1000.0, 800.0, -500.0, 900.0]) is None
    assert irr([-1000.0, 500.0, 400.0, 300.0, 100.0]) == pytest.approx(0.144888, abs=1e-5)


def test_certified_interval_is_on_economic_profit_not_ebit():
    from netdesign.study import certified_lines

    data, base, scen = case_runs()
    base = replace(base, bound=base.objective - 1_000.0)  # slack 1 000
    scen = replace(scen, bound=scen.objective - 3_000.0)  # slack 3 000
    delta = pnl(data, scen) - pnl(data, base)
    # Same demand served: economic profit moves one for one against the objective, EBIT not.
    profit = float(delta["economic_profit"])
    assert profit == pytest.approx(-(scen.objective - base.objective))
    assert delta["ebit"] != pytest.approx(profit)
    lines = certified_lines(scen, base, profit, capex_case(data, base, data, scen))
    assert lines["economic_profit_delta"] == profit
    assert lines["economic_profit_delta_low"] == pytest.approx(profit - 1_000)
    assert lines["economic_profit_delta_high"] == pytest.approx(profit + 3_000)
    assert not any(name.startswith("ebit") for name in lines.index)
