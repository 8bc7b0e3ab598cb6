"""A study of a model with a demand history: the forecast runs once, every scenario starts from
it, the KPIs, the comparison and the report show it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from modelkit import Kit
from netdesign.compare import compare
from netdesign.report import write_report
from netdesign.study import run_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("fstudy")
    rng = np.random.default_rng(9)
    kit = Kit("forecast study", carrying_rate=0.2)
    kit.dc("A", throughput_capacity=4000, fixed_cost=100.0).dc("B", fixed_cost=900.0)
    kit.customer("C1", region="R").customer("C2", region="R")
    kit.lanes({("A", "C1"): 1.0, ("A", "C2"): 1.0, ("B", "C1"): 1.2, ("B", "C2"): 1.2})
    kit.product("FAST", unit_value=10.0, unit_price=15.0, service_level=0.95)
    kit.product("HEAT", unit_value=40.0, unit_price=70.0, service_level=0.95)
    for week in pd.date_range("2023-01-02", periods=156, freq="W-MON"):
        iso = week.isocalendar()
        winter = 1.0 + 0.95 * np.cos(2 * np.pi * (week.dayofyear - 15) / 365.25)
        for customer in ("C1", "C2"):
            for product, mean in (("FAST", 25.0), ("HEAT", 12.0 * winter)):
                kit.add("demand_history", customer=customer, product=product,
                        period=f"{iso.year}-W{iso.week:02d}", units=int(rng.poisson(mean)))
    model = kit.write(root / "model")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    (scenarios / "noisy.yaml").write_text(yaml.safe_dump({
        "name": "noisy", "model": "../model", "settings": {"forecast.error_scale": 1.3}}))
    out = root / "out"
    run_study(model, [scenarios], out, workers=1)
    return out


def test_the_study_writes_the_forecast_and_its_kpis(study):
    assert (study / "forecast" / "accuracy_segment.csv").exists()
    c = compare(study)
    kpis = c.kpis
    assert kpis.loc["baseline", "forecast_wape"] == pytest.approx(
        pd.read_csv(study / "forecast" / "accuracy_overall.csv")["wape"].iloc[0], rel=1e-3)
    assert np.isfinite(kpis.loc["baseline", "stockout_frequency"])
    assert np.isfinite(kpis.loc["baseline", "peak_utilisation"])
    # 30 % more forecast error: more safety stock, the same forecast accuracy
    assert kpis.loc["noisy", "forecast_wape"] == pytest.approx(kpis.loc["baseline",
                                                                        "forecast_wape"])


def test_more_forecast_error_holds_more_safety_stock(study):
    from netdesign.store import ResultsStore

    with ResultsStore(study / "results.duckdb") as store:
        base, noisy = store.load_results("baseline"), store.load_results("noisy")
    assert noisy.inventory["safety_exact"].sum() > 1.2 * base.inventory["safety_exact"].sum()


def test_the_report_has_a_forecast_section(study):
    paths = write_report(study)
    text = paths[0].read_text()
    assert '<section id="forecast">' in text and 'href="#forecast"' in text
    assert "Backtest accuracy by segment" in text and "ABC (value) × XYZ" in text
    from openpyxl import load_workbook

    book = load_workbook(paths[1], read_only=True)
    assert {"forecast_accuracy", "segments"} <= set(book.sheetnames)
    facilities = pd.read_excel(paths[1], sheet_name="facilities")
    assert "peak_utilisation" in facilities.columns
