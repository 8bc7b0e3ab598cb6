"""KPIs on a hand-made run whose every expected value is worked out by hand below.

The run (numbers chosen for easy arithmetic, not realism):

* products A (value 10, price 20, service 0.95) and B (value 5, price 9, service 0.90);
* demand C1·A 1000 (52 orders), C2·A 2000 (52 orders), C3·B 500 (12 orders); 100 of C3·B unmet;
* costs: purchase 20 000, freight 1000 + 200 + 3000 + 0, handling 500, facility_fixed 10 000,
  option_opex 100, facility_capex 2000, option_capex 300, closing 0, carrying 400 + 300 + 100,
  co2 50, unmet_penalty 900.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from stockpyl.loss_functions import standard_normal_loss as stockpyl_loss

from netdesign import kpis
from netdesign.data import ModelData
from netdesign.kpis import KPIS, UNITS, compute_kpis
from netdesign.results import Results
from netdesign.schema import Settings

INF = math.inf


def frame(columns: str, *rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns.split())


def make_data(**overrides) -> ModelData:
    tables = {
        "products": frame(
            "product unit_value unit_price weight_kg service_level segment",
            ("A", 10.0, 20.0, 1.0, 0.95, "fast"),
            ("B", 5.0, 9.0, 2.0, 0.90, "slow"),
        ),
        "suppliers": frame("supplier lat lon"),
        "supply": frame("supplier product unit_cost capacity lead_time_days lead_time_sd_days"),
        "facilities": frame(
            "facility status fixed_cost capex capex_life_years closing_cost throughput_capacity",
            ("DC1", "existing", 10000.0, 0.0, 20.0, 0.0, 10000.0),
            ("DC2", "candidate", 0.0, 0.0, 20.0, 0.0, INF),
            ("DC3", "existing", 0.0, 0.0, 20.0, 0.0, 5000.0),
            ("DC4", "candidate", 0.0, 0.0, 20.0, 0.0, 2000.0),
        ),
        "facility_options": frame(
            "facility option capex life_years annual_cost capacity_factor handling_cost_factor"
        ),
        "customers": frame("customer region max_days", ("C1", "SE", 3), ("C2", "MW", 3)),
        "demand": frame(
            "customer product annual_units demand_sd orders_per_year",
            ("C1", "A", 1000.0, 5.0, 52.0),
            ("C2", "A", 2000.0, 8.0, 52.0),
            ("C3", "B", 500.0, 3.0, 12.0),
        ),
        "modes": frame("mode legs cost_per_kg_km speed_km_per_day"),
        "lanes": frame("origin destination mode"),
    }
    tables.update(overrides)
    return ModelData(settings=Settings(name="t"), **tables)


COSTS = {
    "purchase": 20000.0,
    "freight_inbound": 1000.0,
    "freight_transfer": 200.0,
    "freight_outbound": 3000.0,
    "freight_direct": 0.0,
    "handling": 500.0,
    "facility_fixed": 10000.0,
    "facility_capex": 2000.0,
    "option_capex": 300.0,
    "option_opex": 100.0,
    "closing": 0.0,
    "carrying_cycle": 400.0,
    "carrying_safety": 300.0,
    "carrying_pipeline": 100.0,
    "co2": 50.0,
    "unmet_penalty": 900.0,
}
LOGISTICS = 1000 + 200 + 3000 + 0 + 500 + (10000 + 100) + (2000 + 300) + 0 + 800 + 50  # 17 950
REVENUE = (1000 + 2000) * 20 + (500 - 100) * 9  # 63 600
UNITS_SERVED = 1000 + 2000 + 400  # 3400
ORDERS_SERVED = 52 + 52 + 12 * 400 / 500  # 113.6
INVENTORY_VALUE = (300 + 200 + 100) * 10 + (40 + 50 + 10) * 5  # 6500

FACILITY_COLUMNS = (
    "facility status open change role options throughput throughput_capacity utilisation inventory"
)
FLOW_COLUMNS = "leg product origin destination mode units distance_km transit_days freight co2_kg"
INVENTORY_COLUMNS = (
    "product facility throughput cycle safety safety_exact safety_error pipeline unit_value value"
)


def make_results(**overrides) -> Results:
    tables = {
        "costs": pd.Series(COSTS),
        "facilities": frame(
            FACILITY_COLUMNS,
            ("DC1", "existing", True, "kept", "hub", "", 3400.0, 10000.0, 0.34, 600.0),
            ("DC2", "candidate", True, "opened", "regional", "", 600.0, INF, 0.0, 0.0),
            ("DC3", "existing", False, "closed", "none", "", 0.0, 5000.0, 0.0, 0.0),
            ("DC4", "candidate", True, "opened", "regional", "", 1000.0, 2000.0, 0.5, 0.0),
        ),
        "flows": frame(
            FLOW_COLUMNS,
            ("inbound", "A", "S1", "DC1", "truck", 3000.0, 500.0, 1.0, 1000.0, 150.0),
            ("transfer", "A", "DC1", "DC2", "truck", 500.0, 300.0, 0.5, 150.0, 20.0),
            ("transfer", "B", "DC1", "DC4", "rail", 100.0, 300.0, 1.0, 50.0, 4.0),
            ("outbound", "A", "DC1", "C1", "truck", 1000.0, 100.0, 1.0, 1000.0, 30.0),
            ("outbound", "A", "DC2", "C2", "truck", 2000.0, 400.0, 2.5, 2000.0, 60.0),
            ("inbound", "B", "S1", "DC1", "truck", 400.0, 500.0, 1.0, 0.0, 2.0),
        ),
        "assignments": frame("product customer facility units share"),
        "inventory": frame(
            INVENTORY_COLUMNS,
            ("A", "DC1", 3000.0, 300.0, 200.0, 210.0, 0.0476, 100.0, 10.0, 6000.0),
            ("B", "DC1", 400.0, 40.0, 50.0, 50.0, 0.0, 10.0, 5.0, 500.0),
        ),
        "service": frame(
            "product customer units delivery_days max_days",
            ("A", "C1", 1000.0, 1.0, 3.0),
            ("A", "C2", 2000.0, 2.5, 3.0),
            ("B", "C3", 400.0, 3.0, 4.0),
        ),
        "strategy": frame("product stocking_points facilities strategy"),
        "unmet": frame("product customer units", ("B", "C3", 100.0)),
    }
    tables.update(overrides)
    objective = float(tables["costs"].sum())
    return Results(
        status="optimal",
        objective=objective,
        bound=objective,
        gap=0.0,
        solve_seconds=0,
        build_seconds=0,
        **tables,
    )


def empty_results() -> Results:
    return make_results(
        costs=pd.Series(dict.fromkeys(COSTS, 0.0)),
        facilities=frame(FACILITY_COLUMNS),
        flows=frame(FLOW_COLUMNS),
        inventory=frame(INVENTORY_COLUMNS),
        service=frame("product customer units delivery_days max_days"),
        unmet=frame("product customer units"),
    )


@pytest.fixture
def run() -> tuple[ModelData, Results]:
    return make_data(), make_results()


# --- the standard normal loss function and the (R, S) fill rate -------------------------------


@pytest.mark.parametrize("z", [-2.0, -0.5, 0.0, 0.5, 1.0, 1.281552, 1.3, 1.644854, 2.326348, 3.0])
def test_standard_normal_loss_matches_stockpyl(z):
    assert kpis.standard_normal_loss(z) == pytest.approx(stockpyl_loss(z)[0], rel=1e-12)


def test_standard_normal_loss_table_values():
    # stockpyl's docstring example: L(1.3) = 0.04552796208651397.
    assert kpis.standard_normal_loss(1.3) == pytest.approx(0.04552796208651397, rel=1e-12)
    # G(0) = φ(0) = 1/√(2π); unit normal loss tables (Silver, Pyke & Thomas, appendix): G(1.00)
    # = 0.0833, G(2.00) = 0.0085.
    assert kpis.standard_normal_loss(0.0) == pytest.approx(1 / math.sqrt(2 * math.pi))
    assert kpis.standard_normal_loss(1.0) == pytest.approx(0.0833, abs=5e-5)
    assert kpis.standard_normal_loss(2.0) == pytest.approx(0.0085, abs=5e-5)


def test_fill_rate_periodic_review_formula_and_clipping():
    # σ_{R+L} = 100, z = 1 → ESPRC = 100 · 0.083315 = 8.3315; D·R = 200 → P2 = 0.958343.
    g1 = NormalDist().pdf(1.0) - (1 - NormalDist().cdf(1.0))
    assert kpis.fill_rate_periodic_review(1.0, 100.0, 200.0) == pytest.approx(1 - 100 * g1 / 200)
    assert kpis.fill_rate_periodic_review(1.0, 100.0, 1.0) == 0.0  # clipped at 0
    assert kpis.fill_rate_periodic_review(1.0, 0.0, 10.0) == 1.0  # deterministic demand
    assert math.isnan(kpis.fill_rate_periodic_review(1.0, 10.0, 0.0))


# --- each KPI on the hand-made run ------------------------------------------------------------


def test_cost_kpis(run):
    data, results = run
    assert kpis.logistics_cost_pct_revenue(data, results) == pytest.approx(
        100 * 17950 / 63600
    )  # 28.223 %
    assert LOGISTICS == 17950 and REVENUE == 63600
    assert kpis.cost_per_order(data, results) == pytest.approx(17950 / 113.6)  # 158.01
    assert kpis.cost_per_unit(data, results) == pytest.approx(17950 / 3400)  # 5.279
    assert kpis.total_cost(data, results) == pytest.approx(20000 + 17950 + 900)  # 38 850


def test_inventory_kpis(run):
    data, results = run
    assert INVENTORY_VALUE == 6500
    assert kpis.inventory_turns(data, results) == pytest.approx(20000 / 6500)  # 3.077 /yr
    assert kpis.dio(data, results) == pytest.approx(6500 / 20000 * 365)  # 118.625 days
    assert kpis.carrying_cost_pct_inventory(data, results) == pytest.approx(100 * 800 / 6500)


def test_fill_rate_by_hand(run):
    data, results = run
    nd = NormalDist()

    def by_hand(service_level, safety, throughput):
        z = nd.inv_cdf(service_level)
        sigma = safety / z
        loss = nd.pdf(z) - z * (1 - service_level)  # G(z), with 1 − Φ(z) = 1 − service level
        q = throughput * 7 / 365  # review period 7 days
        return max(0.0, min(1.0, 1 - sigma * loss / q))

    fill_a = by_hand(0.95, 210.0, 3000.0)  # σ = 127.67, ESC = 2.667, Q = 57.53 → 0.9536
    fill_b = by_hand(0.90, 50.0, 400.0)  # σ = 39.01, ESC = 1.847, Q = 7.671 → 0.7592
    assert fill_a == pytest.approx(0.9536, abs=1e-4)
    assert fill_b == pytest.approx(0.7592, abs=1e-4)
    expected = (3000 * fill_a + 400 * fill_b) / 3400
    assert kpis.fill_rate(data, results) == pytest.approx(expected)


def test_fill_rate_ignores_non_dc_rows_and_follows_review_period(run):
    data, results = run
    extra = frame(
        INVENTORY_COLUMNS,
        ("A", "C1", 1000.0, 0.0, 0.0, 0.0, 0.0, 5.0, 10.0, 50.0),  # not a DC: ignored
        ("B", "DC2", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0),  # no throughput: ignored
    )
    padded = make_results(inventory=pd.concat([results.inventory, extra], ignore_index=True))
    assert kpis.fill_rate(data, padded) == pytest.approx(kpis.fill_rate(data, results))
    # A longer review period ships more per cycle, so the same shortage is a smaller share.
    settings = data.settings.model_copy(
        update={"inventory": data.settings.inventory.model_copy(update={"review_period_days": 14})}
    )
    assert kpis.fill_rate(data.evolve(settings=settings), results) > kpis.fill_rate(data, results)


def test_stockout_rate(run):
    data, results = run
    assert kpis.stockout_rate(data, results) == pytest.approx((3000 * 0.05 + 400 * 0.10) / 3400)


def test_service_kpis(run):
    data, results = run
    assert kpis.avg_delivery_days(data, results) == pytest.approx(
        (1000 * 1.0 + 2000 * 2.5 + 400 * 3.0) / 3400
    )  # 2.118 days
    assert kpis.share_within_1d(data, results) == pytest.approx(1000 / 3400)
    assert kpis.share_within_2d(data, results) == pytest.approx(1000 / 3400)
    assert kpis.share_within_3d(data, results) == pytest.approx(1.0)


def test_network_kpis(run):
    data, results = run
    # Open DCs with finite capacity: DC1 (3400 of 10 000) and DC4 (1000 of 2000); DC2 is
    # uncapacitated, DC3 closed. Throughput-weighted: (3400·0.34 + 1000·0.5) / 4400 = 37.636 %.
    assert kpis.dc_utilisation(data, results) == pytest.approx(
        100 * (3400 * 0.34 + 1000 * 0.5) / 4400
    )
    assert kpis.transfer_volume(data, results) == pytest.approx(500 + 100)
    assert kpis.co2_per_unit(data, results) == pytest.approx(
        (150 + 20 + 4 + 30 + 60 + 2) / 3400
    )  # 0.0782 kg/unit
    assert kpis.open_dcs(data, results) == 3


def test_dc_utilisation_idle_open_dcs_is_zero():
    data = make_data()
    fac = frame(
        FACILITY_COLUMNS, ("DC1", "existing", True, "kept", "hub", "", 0.0, 10000.0, 0.0, 0.0)
    )
    assert kpis.dc_utilisation(data, make_results(facilities=fac)) == 0.0


# --- registry, empty tables and runs without a solution ---------------------------------------


def test_registry_matches_functions_and_units(run):
    data, results = run
    assert set(KPIS) == set(UNITS)
    for name, fn in KPIS.items():
        assert fn.__name__ == name
        doc = fn.__doc__ or ""
        assert doc and "\n" not in doc.strip() and "[" in doc, name  # one line, with a unit
    values = compute_kpis(data, results)
    assert list(values) == list(KPIS)
    assert all(isinstance(v, float) for v in values.values())
    assert values["cost_per_unit"] == pytest.approx(17950 / 3400)


def test_empty_tables_give_nan_not_errors():
    data = make_data(
        demand=frame("customer product annual_units demand_sd orders_per_year"),
    )
    values = compute_kpis(data, empty_results())
    for name in (
        "logistics_cost_pct_revenue",
        "cost_per_order",
        "cost_per_unit",
        "inventory_turns",
        "dio",
        "carrying_cost_pct_inventory",
        "fill_rate",
        "stockout_rate",
        "avg_delivery_days",
        "share_within_1d",
        "share_within_2d",
        "share_within_3d",
        "dc_utilisation",
        "co2_per_unit",
    ):
        assert math.isnan(values[name]), name
    assert values["transfer_volume"] == 0.0
    assert values["open_dcs"] == 0.0
    assert values["total_cost"] == 0.0


def test_no_inventory_turns_nan_dio_zero():
    data = make_data()
    results = make_results(inventory=frame(INVENTORY_COLUMNS))
    assert math.isnan(kpis.inventory_turns(data, results))
    assert kpis.dio(data, results) == 0.0


def test_run_without_solution_is_all_nan():
    data = make_data()
    infeasible = Results(
        status="infeasible",
        objective=None,
        bound=None,
        gap=None,
        solve_seconds=0,
        build_seconds=0,
        costs=pd.Series(dtype=float),
        facilities=frame(FACILITY_COLUMNS),
        flows=frame(FLOW_COLUMNS),
        assignments=frame("product customer facility units share"),
        inventory=frame(INVENTORY_COLUMNS),
        service=frame("product customer units delivery_days max_days"),
        strategy=frame("product stocking_points facilities strategy"),
        unmet=frame("product customer units"),
    )
    assert all(math.isnan(v) for v in compute_kpis(data, infeasible).values())


def test_stockout_frequency_and_forecast_accuracy_kpis(run):
    """(1 − CSL)·365/R per stocking point, throughput-weighted: A (CSL 0.95) ships 3,000, B
    (0.90) 400 → (0.05·3000 + 0.10·400)/3400 · 365/7. The forecast's backtest sums give WAPE and
    bias; without them (a typed demand table) both are nan."""
    data, results = run
    expected = (0.05 * 3000 + 0.10 * 400) / 3400 * 365 / 7
    assert kpis.stockout_frequency(data, results) == pytest.approx(expected)
    assert math.isnan(kpis.forecast_wape(data, results))
    demand = data.demand.assign(backtest_units=[100.0, 300.0, 0.0],
                                backtest_abs_error=[10.0, 20.0, 5.0],
                                backtest_error=[-10.0, 4.0, 5.0])
    forecast = make_data(demand=demand)
    assert kpis.forecast_wape(forecast, results) == pytest.approx(35 / 400)
    assert kpis.forecast_bias(forecast, results) == pytest.approx(-1 / 400)


def test_peak_utilisation_is_the_highest_open_dc(run):
    data, results = run
    assert math.isnan(kpis.peak_utilisation(data, results))  # no peak columns
    fac = results.facilities.assign(peak_utilisation=[0.4, np.nan, 0.99, 0.7])
    assert kpis.peak_utilisation(data, make_results(facilities=fac)) == pytest.approx(70.0)
