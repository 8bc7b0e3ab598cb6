"""``netdesign forecast`` and ``netdesign solve`` from a demand history, run as a person would:
a subprocess, its exit code, stdout (``--json``), stderr and the files it writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelkit import Kit

NETDESIGN = [str(Path(sys.executable).with_name("netdesign"))]  # the installed console script


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([*NETDESIGN, *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.fixture(scope="module")
def weekly_model(tmp_path_factory):
    """Two customers, a fast and a seasonal product, 3 years of ISO weeks (2023-W01..2025-W52)."""
    rng = np.random.default_rng(5)
    kit = Kit("cli history")
    kit.dc("A", throughput_capacity=10_000).dc("B")
    for customer in ("C1", "C2"):
        kit.customer(customer, region="R").lanes({("A", customer): 1.0, ("B", customer): 1.5})
    kit.product("FAST", unit_value=10.0, unit_price=15.0)
    kit.product("HEAT", unit_value=40.0, unit_price=70.0)
    weeks = pd.date_range("2023-01-02", periods=156, freq="W-MON")
    for customer, scale in (("C1", 1.0), ("C2", 0.5)):
        for week in weeks:
            iso = week.isocalendar()
            period = f"{iso.year}-W{iso.week:02d}"
            winter = 1.0 + 0.9 * np.cos(2 * np.pi * (week.dayofyear - 15) / 365.25)
            for product, mean in (("FAST", 60 * scale), ("HEAT", 20 * scale * winter)):
                kit.add("demand_history", customer=customer, product=product, period=period,
                        units=int(rng.poisson(mean)), orders=1)
    return kit.write(tmp_path_factory.mktemp("cli") / "weekly")


def test_forecast_json_and_files(weekly_model, tmp_path):
    out = tmp_path / "fc"
    proc = run("forecast", str(weekly_model), "--horizon", "18", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["history"] == "week" and payload["planning_start"] == "2026-01"
    assert payload["series"] == 4
    assert {row["segment"] for row in payload["accuracy_by_segment"]} == {"fast", "seasonal"}
    for name in ("demand", "demand_profile", "forecast_series", "segments", "accuracy_segment"):
        assert (out / f"{name}.csv").exists()
    demand = pd.read_csv(out / "demand.csv")
    assert {"forecast_method", "forecast_level", "history_months"} <= set(demand.columns)
    fast = demand[demand["product"] == "FAST"]["annual_units"].sum()
    assert fast == pytest.approx(90 * 365 / 7, rel=0.05)  # 60 + 30 units a week
    months = pd.read_csv(out / "forecast_months.csv").dropna(subset=["forecast"])
    assert len(months) == 2 * 18  # --horizon 18 months for each product
    profile = pd.read_csv(out / "demand_profile.csv")
    heat = profile[profile["product"] == "HEAT"].set_index("month")["share"]
    assert heat.idxmax() in (1, 12) and heat.idxmin() in (6, 7, 8)


def test_forecast_table_fits_80_columns(weekly_model):
    proc = run("forecast", str(weekly_model))
    assert proc.returncode == 0, proc.stderr
    assert "backtest accuracy" in proc.stdout and "WAPE" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80


def test_solve_runs_from_the_history(weekly_model):
    proc = run("solve", str(weekly_model), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout.splitlines()[-1])  # HiGHS prints its banner first
    assert payload["status"] == "optimal"
    assert payload["model_size"]["rows"] > 0


def test_bad_history_exits_2_with_every_problem(weekly_model, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    for f in weekly_model.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    lines = (folder / "demand_history.csv").read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 2)[0] + ",-4,1"
    (folder / "demand_history.csv").write_text("\n".join(lines) + "\n")
    proc = run("forecast", str(folder))
    assert proc.returncode == 2  # input error (README, exit codes)
    assert "demand_history:6:units: found -4, expected a number ≥ 0" in proc.stderr


def test_a_model_without_history_has_nothing_to_forecast(tmp_path):
    kit = Kit("no history")
    kit.product("P").dc("A").customer("C").demand("C", "P", 10).lane("A", "C", 1.0)
    proc = run("forecast", str(kit.write(tmp_path / "m")))
    assert proc.returncode == 2 and "no demand_history table" in proc.stderr
