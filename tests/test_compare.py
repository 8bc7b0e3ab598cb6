"""compare: KPI and cost deltas vs. the baseline, the terminal table and the CSVs, on a store of
hand-made runs (numbers chosen exact in binary so deltas compare with ==)."""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from netdesign.compare import (
    RUN_COLUMNS,
    TERMINAL_KPIS,
    compare,
    comparison_table,
    format_value,
    write_comparison,
)
from netdesign.kpis import KPIS
from netdesign.results import Results
from netdesign.store import ResultsStore
from test_store import make_record, make_results

BASE_COSTS = {"purchase": 1000.0, "freight_outbound": 250.0, "facility_fixed": 500.0,
              "unmet_penalty": 0.0}
FUEL_COSTS = {"purchase": 1000.0, "freight_outbound": 312.5, "facility_fixed": 500.0,
              "unmet_penalty": 0.0, "co2": 12.25}
BASE_KPIS = {"total_cost": 1750.0, "fill_rate": 0.9375, "avg_delivery_days": 2.5,
             "open_dcs": 3.0, "dio": math.nan}
FUEL_KPIS = {"total_cost": 1824.75, "fill_rate": 0.96875, "avg_delivery_days": 2.25,
             "open_dcs": 2.0, "dio": 10.0}


def _results(costs: dict[str, float], status: str = "optimal", gap: float = 0.0) -> Results:
    series = pd.Series(costs)
    return dataclasses.replace(make_results(status=status), costs=series,
                               objective=float(series.sum()), gap=gap)


def _write(store, run_id, results, kpis, started, **kw) -> None:
    record = dataclasses.replace(make_record(run_id, results, **kw),
                                 started_at=f"2025-01-01T10:0{started}:00")
    store.write_run(record, results, kpis)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """baseline (optimal), fuel_up (time limit, gap 1/64), closed_atl (infeasible, no results),
    crashed (error), written in an order that differs from the baseline-first result order."""
    with ResultsStore(tmp_path / "results.duckdb") as store:
        _write(store, "fuel_up", _results(FUEL_COSTS, "time_limit", 0.015625), FUEL_KPIS, 1)
        _write(store, "closed_atl", None, None, 2, status="infeasible")
        _write(store, "baseline", _results(BASE_COSTS), BASE_KPIS, 3)
        _write(store, "crashed", None, None, 4, status="error", error="KeyError: 'DC_X'")
    return tmp_path


def test_frames_and_deltas(study: Path) -> None:
    c = compare(study)
    assert c.baseline == "baseline"
    assert c.currency == "USD"
    assert c.kpis.index.tolist() == ["baseline", "fuel_up"]  # solved runs only, baseline first
    assert c.kpis.columns.tolist() == ["dio", "fill_rate", "avg_delivery_days", "open_dcs",
                                       "total_cost"]  # KPIS order
    assert c.kpis.loc["fuel_up"].tolist() == [10.0, 0.96875, 2.25, 2.0, 1824.75]
    assert math.isnan(c.kpis.at["baseline", "dio"])
    deltas = c.kpi_deltas
    assert (deltas.loc["baseline"].drop("dio") == 0.0).all()
    assert deltas.loc["fuel_up"].drop("dio").tolist() == [0.03125, -0.25, -1.0, 74.75]
    assert math.isnan(deltas.at["fuel_up", "dio"])  # nan baseline → no delta

    assert c.costs.columns.tolist() == ["purchase", "freight_outbound", "facility_fixed", "co2",
                                        "unmet_penalty", "total"]
    assert c.costs.loc["baseline"].tolist() == [1000.0, 250.0, 500.0, 0.0, 0.0, 1750.0]
    assert c.costs.loc["fuel_up"].tolist() == [1000.0, 312.5, 500.0, 12.25, 0.0, 1824.75]
    assert c.cost_deltas.loc["fuel_up"].tolist() == [0.0, 62.5, 0.0, 12.25, 0.0, 74.75]
    assert (c.cost_deltas.loc["baseline"] == 0.0).all()
    assert c.costs["total"].tolist() == c.runs.set_index("run_id").loc[
        ["baseline", "fuel_up"], "objective"].tolist()

    assert c.runs.columns.tolist() == list(RUN_COLUMNS)
    assert c.runs["run_id"].tolist() == ["baseline", "fuel_up", "closed_atl", "crashed"]
    assert c.runs["status"].tolist() == ["optimal", "time_limit", "infeasible", "error"]
    assert c.runs["gap"].tolist()[:2] == [0.0, 0.015625]
    assert c.runs["objective"].isna().tolist() == [False, False, True, True]


def test_other_baseline_and_errors(study: Path, tmp_path_factory) -> None:
    c = compare(study, baseline="fuel_up")
    assert c.kpis.index.tolist() == ["fuel_up", "baseline"]
    assert c.cost_deltas.at["baseline", "total"] == -74.75
    with pytest.raises(ValueError, match="available run ids: fuel_up, closed_atl, baseline, "
                                         "crashed"):
        compare(study, baseline="base")
    with pytest.raises(ValueError, match="no solution \\(status infeasible\\)"):
        compare(study, baseline="closed_atl")
    with pytest.raises(ValueError, match="status error: KeyError"):
        compare(study, baseline="crashed")
    with pytest.raises(FileNotFoundError, match=r"results\.duckdb"):
        compare(tmp_path_factory.mktemp("empty"))


def test_csvs_exact(study: Path, tmp_path: Path) -> None:
    paths = write_comparison(compare(study), tmp_path / "out")
    assert [p.name for p in paths] == ["comparison_kpis.csv", "comparison_costs.csv"]
    assert paths[0].read_text().splitlines() == [
        "run_id,dio,dio_delta,fill_rate,fill_rate_delta,avg_delivery_days,"
        "avg_delivery_days_delta,open_dcs,open_dcs_delta,total_cost,total_cost_delta",
        "baseline,,,0.9375,0.0,2.5,0.0,3.0,0.0,1750.0,0.0",
        "fuel_up,10.0,,0.96875,0.03125,2.25,-0.25,2.0,-1.0,1824.75,74.75",
    ]
    assert paths[1].read_text().splitlines() == [
        "run_id,purchase,purchase_delta,freight_outbound,freight_outbound_delta,facility_fixed,"
        "facility_fixed_delta,co2,co2_delta,unmet_penalty,unmet_penalty_delta,total,total_delta",
        "baseline,1000.0,0.0,250.0,0.0,500.0,0.0,0.0,0.0,0.0,0.0,1750.0,0.0",
        "fuel_up,1000.0,0.0,312.5,62.5,500.0,0.0,12.25,12.25,0.0,0.0,1824.75,74.75",
    ]


def _render(table, width: int = 120) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(table)
    return console.export_text()


def test_terminal_tables(study: Path) -> None:
    c = compare(study)
    text = _render(comparison_table(c))
    assert max(len(line) for line in text.splitlines()) <= 120
    for piece in ["Fill rate", "93.8%", "96.9%", "(+3.1pp)", "1.82k", "(+74.75)", "(-1)",
                  "(-0.25)", "time limit, gap", "1.56%", "closed_atl", "infeasible, no",
                  "crashed", "USD/yr"]:
        assert piece in text, piece
    costs = _render(comparison_table(c, "costs"))
    assert "Freight" in costs and "(+62.50)" in costs and "CO2" in costs and "(+12.25)" in costs
    assert "Handling" not in costs  # zero in every run
    assert "No P&L" in _render(comparison_table(c, "pnl"))  # no finance rows in this store
    with pytest.raises(ValueError, match="'costs' or 'pnl'"):
        comparison_table(c, "p&l")


def test_pnl_view_and_csv(study: Path, tmp_path: Path) -> None:
    """EBIT, the capital charge beneath it and economic profit side by side, from the stored
    finance rows, against the baseline compare is given."""
    pnl = {"baseline": {"revenue": 4000.0, "ebit": 2500.0, "capital_charge": 200.0,
                        "closing": 0.0, "economic_profit": 2300.0},
           "fuel_up": {"revenue": 4000.0, "ebit": 2437.5, "capital_charge": 187.5,
                       "closing": 12.5, "economic_profit": 2237.5}}
    with ResultsStore(study / "results.duckdb") as store:
        for run_id, lines in pnl.items():
            store.write_finance(run_id, pd.DataFrame(
                {"section": "pnl", "line": list(lines), "value": list(lines.values())}))
    c = compare(study)
    assert c.pnl.columns.tolist() == ["revenue", "ebit", "capital_charge", "closing",
                                      "economic_profit"]  # finance.PNL_ORDER
    assert c.pnl_deltas.loc["fuel_up"].tolist() == [0.0, -62.5, -12.5, 12.5, -62.5]
    assert compare(study, baseline="fuel_up").pnl_deltas.at["baseline", "ebit"] == 62.5
    text = _render(comparison_table(c, "pnl"))
    for piece in ["EBIT", "Capital", "Economic", "2.50k", "(-62.50)", "(+12.50)"]:
        assert piece in text, piece
    paths = write_comparison(c, tmp_path / "out")
    assert [p.name for p in paths][-1] == "comparison_pnl.csv"
    assert paths[-1].read_text().splitlines()[2] == (
        "fuel_up,4000.0,0.0,2437.5,-62.5,187.5,-12.5,12.5,12.5,2237.5,-62.5"
    )


def test_terminal_table_fits_120_columns_with_every_kpi(tmp_path: Path) -> None:
    """Realistic magnitudes, all KPIs, long sweep run ids: nothing cropped at 120 columns."""
    values = {"logistics_cost_pct_revenue": 7.83, "cost_per_order": 12.4, "cost_per_unit": 3.41,
              "inventory_turns": 8.2, "dio": 44.5, "carrying_cost_pct_inventory": 25.0,
              "fill_rate": 0.9712, "stockout_rate": 0.05, "stockout_frequency": 2.6,
              "forecast_wape": 0.061, "forecast_bias": -0.002, "avg_delivery_days": 1.84,
              "share_within_1d": 0.41, "share_within_2d": 0.78, "share_within_3d": 0.95,
              "dc_utilisation": 71.3, "peak_utilisation": 90.3, "transfer_volume": 1.25e6,
              "co2_per_unit": 0.412,
              "open_dcs": 7.0, "total_cost": 123_456_789.0}
    assert set(values) == set(KPIS)
    ids = ["baseline", "fuel_up_20", "sweep_fuel[settings.fuel_index=1.3]", "close_atl_open_boi"]
    with ResultsStore(tmp_path / "results.duckdb") as store:
        for i, run_id in enumerate(ids):
            kpis = {k: v * (1 - 0.037 * i) for k, v in values.items()}
            _write(store, run_id, _results({"purchase": 9.9e7 * (1 + i), "freight_outbound": 2.4e7,
                                            "handling": 1.1e6}), kpis, i)
    c = compare(tmp_path)
    text = _render(comparison_table(c))
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "…" not in text  # no cell or header cut short
    assert "kg/unit" in text and "(-0.030)" in text and "(-13.70M)" in text
    headers = [line for line in text.splitlines() if "Fill rate" in line]
    assert headers and len(TERMINAL_KPIS) == 10
    costs = _render(comparison_table(c, "costs"))
    assert "…" not in costs and "(+198.00M)" in costs


@pytest.mark.parametrize(
    ("value", "unit", "delta", "expected"),
    [
        (0.9712, "share", False, "97.1%"),
        (-0.031, "share", True, "-3.1pp"),
        (7.83, "%", False, "7.8%"),
        (0.0001, "%", True, "±0"),
        (123_456_789.0, "currency/year", False, "123.46M"),
        (2.5e9, "currency/year", True, "+2.50B"),
        (1_250_000.0, "units/year", False, "1.25M"),
        (7.0, "count", False, "7"),
        (1.0, "count", True, "+1"),
        (0.412, "kg CO2/unit", False, "0.412"),
        (1234.4, "days", False, "1,234"),
        (math.nan, "days", False, "–"),
        (math.inf, "share", False, "∞"),
    ],
)
def test_format_value(value: float, unit: str, delta: bool, expected: str) -> None:
    assert format_value(value, unit, delta=delta) == expected
