"""The CapEx case against a corporate-finance textbook, MACRS against the IRS table, and the
working capital of a network change counted once."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netdesign.finance import (
    asset_cash_flows,
    capex_case,
    incremental_cash_flows,
    macrs_depreciation,
    npv,
    straight_line_depreciation,
)
from netdesign.schema import FinanceSettings, Settings
from test_finance import (
    FACILITY_COLUMNS,
    INVENTORY_COLUMNS,
    frame,
    make_data,
    make_results,
)

# Brealey, Myers & Allen, *Principles of Corporate Finance*, 12th ed. (McGraw-Hill, 2017), ch. 6,
# § 6-2 "Example — IM&C's Fertilizer Project", Table 6.1 (pp. 139–140), $ thousands, years 0–7:
# plant 10 000 at year 0, straight-line depreciation over 6 years to a book salvage of 500, sold
# for 1 949 in year 7; start-up costs 4 000 expensed at year 0; tax 35 %; cost of capital 20 %.
SALES = [0, 523, 12_887, 32_610, 48_901, 35_834, 19_717, 0]
COGS = [0, 837, 7_729, 19_552, 29_345, 21_492, 11_830, 0]
OTHER_COSTS = [0, 2_200, 1_210, 1_331, 1_464, 1_611, 1_772, 0]
WORKING_CAPITAL = [0, 550, 1_289, 3_261, 4_890, 3_583, 2_002, 0]
# Table 6.2 line 8 and p. 141: net cash flow, and NPV = +3 520 at 20 %.
IMC_NET = [-12_600, -1_630, 2_381, 6_205, 10_685, 10_136, 6_110, 3_444]
IMC_NPV = 3_520


def imc_flows(depreciation: np.ndarray, salvage_book_value: float):
    return incremental_cash_flows(
        tax_rate=0.35,
        investment=[10_000] + [0] * 7,
        expensed=[4_000] + [0] * 7,
        operating=np.subtract(np.subtract(SALES, COGS), OTHER_COSTS),
        depreciation=depreciation,
        working_capital=WORKING_CAPITAL,
        salvage=[0] * 7 + [1_949],
        salvage_book_value=[0] * 7 + [salvage_book_value],
    )


def test_imc_fertilizer_project_straight_line():
    depreciation = np.concatenate([[0.0], straight_line_depreciation(10_000, 6, 7, salvage=500)])
    flows = imc_flows(depreciation, salvage_book_value=500)
    # Table 6.2: the book's rounded cash flows, year by year.
    assert flows["net"].round().tolist() == IMC_NET
    assert round(npv(0.20, flows["net"])) == IMC_NPV
    # Year 0: −10 000 plant, −4 000 start-up less its 1 400 tax saving.
    assert flows.loc[0, ["capex", "closing", "closing_tax_shield"]].tolist() == [
        -10_000, -4_000, 1_400
    ]
    # Year 7: 1 949 − 0.35 × (1 949 − 500) = 1 442 after tax, plus 2 002 working capital back.
    assert flows.loc[7, "residual_value"] == pytest.approx(1_949 - 0.35 * 1_449)
    assert flows.loc[7, "working_capital"] == 2_002
    # Table 6.2 line 2: change in working capital −550, −739, −1 972, −1 629, +1 307, +1 581.
    assert flows["working_capital"].tolist()[1:7] == [-550, -739, -1_972, -1_629, 1_307, 1_581]


def test_imc_fertilizer_project_macrs():
    # The book's revised analysis with 5-year MACRS tax depreciation (20, 32, 19.2, 11.52, 11.52,
    # 5.76 %; § 6-2, Tables 6.5–6.6 in the 10th ed.): cash flows −12 600, −1 484, 2 947, 6 323,
    # 10 534, 9 985, 5 757, 3 269 and NPV +3 802; the plant is fully depreciated, so all of the
    # 1 949 is taxed (682).
    depreciation = np.concatenate([[0.0], macrs_depreciation(10_000, 5, 7)])
    assert depreciation.tolist() == pytest.approx([0, 2_000, 3_200, 1_920, 1_152, 1_152, 576, 0])
    flows = imc_flows(depreciation, salvage_book_value=0)
    assert flows["net"].round().tolist() == [
        -12_600, -1_484, 2_947, 6_323, 10_534, 9_985, 5_757, 3_269
    ]
    assert round(npv(0.20, flows["net"])) == 3_802


# IRS Publication 946, Table A-1 (GDS, 200 % / 150 % declining balance, half-year convention).
MACRS_TABLE = {
    3: [33.33, 44.45, 14.81, 7.41],
    5: [20.00, 32.00, 19.20, 11.52, 11.52, 5.76],
    7: [14.29, 24.49, 17.49, 12.49, 8.93, 8.92, 8.93, 4.46],
    10: [10.00, 18.00, 14.40, 11.52, 9.22, 7.37, 6.55, 6.55, 6.56, 6.55, 3.28],
    15: [5.00, 9.50, 8.55, 7.70, 6.93, 6.23, 5.90, 5.90, 5.91, 5.90, 5.91, 5.90, 5.91, 5.90,
         5.91, 2.95],
    20: [3.750, 7.219, 6.677, 6.177, 5.713, 5.285, 4.888, 4.522, 4.462, 4.461, 4.462, 4.461,
         4.462, 4.461, 4.462, 4.461, 4.462, 4.461, 4.462, 4.461, 2.231],
}


@pytest.mark.parametrize("period", sorted(MACRS_TABLE))
def test_macrs_matches_irs_table_a1(period):
    published = MACRS_TABLE[period]
    computed = macrs_depreciation(100.0, period, len(published) + 2)
    # The table rounds to 2 decimals (3 for 20-year) and alternates 8.93/8.92 so rows add to 100.
    assert computed[: len(published)] == pytest.approx(published, abs=0.007)
    assert computed[len(published):].tolist() == [0.0, 0.0]
    assert computed.sum() == pytest.approx(100.0)
    with pytest.raises(ValueError):
        macrs_depreciation(100.0, 39, 40)


def test_asset_replaced_within_horizon_and_residual_value():
    # Life 4, horizon 10: bought at 0, replaced at 4 and 8; at 10 the third has 2 of 4 years left.
    flows = asset_cash_flows(1_000.0, 4, 10, 0.25, "straight_line").set_index("year")
    assert flows["investment"].to_dict() == {y: (1_000.0 if y in (0, 4, 8) else 0.0)
                                             for y in range(11)}
    assert flows["depreciation"].tolist() == [0.0] + [250.0] * 10
    assert flows.loc[10, "salvage"] == pytest.approx(500.0)
    assert flows.loc[10, "salvage_book_value"] == pytest.approx(500.0)  # sold at book: no tax
    # Under MACRS the tax book value at the horizon differs from the residual value: a 20-year
    # asset after 10 years is worth half its cost, its tax book is 1 − Σ of 10 rows of Table A-1.
    macrs = asset_cash_flows(1_000.0, 20, 10, 0.25, "macrs").set_index("year")
    assert macrs.loc[10, "salvage"] == pytest.approx(500.0)
    assert macrs.loc[10, "salvage_book_value"] == pytest.approx(
        1_000.0 - 10 * sum(MACRS_TABLE[20][:10]), abs=0.1
    )


# --- working capital is counted once ----------------------------------------------------------
#
# Two runs that differ only in inventory: 200 000 of stock in the reference, 120 000 in the
# scenario, carrying 25 % a year (50 000 → 30 000). No CapEx, no closing, same demand.


def inventory_runs(settings: Settings):
    data = make_data(settings)
    facilities = frame(
        FACILITY_COLUMNS,
        ("DC_OLD", "existing", True, "kept", "hub", "", 3500.0, math.inf, 0.0, 0.0),
    )
    costs = {"purchase": 1_000_000.0, "freight_outbound": 100_000.0}

    def run(value: float):
        inventory = frame(
            INVENTORY_COLUMNS,
            ("A", "DC_OLD", 3000.0, value / 10.0, 0.0, 0.0, 0.0, 0.0, 10.0, value),
        )
        return make_results(costs | {"carrying_cycle": 0.25 * value}, facilities=facilities,
                            inventory=inventory)

    return data, run(200_000.0), run(120_000.0)


def test_working_capital_released_once_not_also_as_a_yearly_saving():
    # All of the carrying rate is cost of capital: the only benefit is the 80 000 released, once.
    settings = Settings(name="t", carrying_rate=0.25, discount_rate=0.10, tax_rate=0.25,
                        horizon_years=10,
                        finance=FinanceSettings(carrying_cost_of_capital=0.25))
    data, base, scen = inventory_runs(settings)
    case = capex_case(data, base, data, scen)
    assert case.working_capital_release == pytest.approx(80_000)
    assert case.annual_operating_savings == pytest.approx(0.0)
    assert case.cash_flows["net"].tolist() == pytest.approx([80_000] + [0] * 10)
    assert case.npv == pytest.approx(80_000)


def test_holding_part_of_carrying_is_a_yearly_saving():
    # Default: the cost of capital is the 10 % discount rate, so 15 of the 25 % is holding cost
    # (storage, insurance, obsolescence): 0.15 × 80 000 = 12 000 a year before tax, 9 000 after.
    settings = Settings(name="t", carrying_rate=0.25, discount_rate=0.10, tax_rate=0.25,
                        horizon_years=10)
    data, base, scen = inventory_runs(settings)
    case = capex_case(data, base, data, scen)
    assert case.annual_operating_savings == pytest.approx(12_000)
    annuity = (1 - 1.1**-10) / 0.10  # (P/A, 10 %, 10) = 6.1446
    # Not 80 000 + 0.75 × 20 000 × 6.1446: the cost-of-capital 8 000 a year is the release again.
    assert case.npv == pytest.approx(80_000 + 9_000 * annuity)
