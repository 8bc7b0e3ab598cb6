"""Studies end to end on the tiny model: resume, fuel identity, twins, P&L, local vs Dask."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import tiny_spec_data
from netdesign.store import ResultsStore
from netdesign.study import run_study

EXACT = {"solver.mip_gap": 0.0, "solver.threads": 1}


def scenario_folder(root: Path, model: Path) -> Path:
    folder = root / "scenarios"
    folder.mkdir()
    runs = {
        "fuel_fixed": {"mode": "fixed_network", "settings": {"fuel_index": 1.2}},
        "fuel": {"settings": {"fuel_index": 1.2}},
        "shock": {"changes": [{"table": "demand", "where": {"region": "MW"},
                               "scale": {"annual_units": 1.5}}]},
        "carbon": {"sweep": {"settings.co2_price": [50, 200]}},
        "hub": {"settings": {"strategy": "hub"}},
        "broken": {"changes": [{"table": "demand", "where": {"region": "XX"},
                                "scale": {"annual_units": 2}}]},
    }
    for name, body in runs.items():
        (folder / f"{name}.yaml").write_text(
            yaml.safe_dump({"name": name, "model": str(model), **body}))
    return folder


@pytest.fixture
def study_inputs(tmp_path: Path) -> tuple[Path, Path]:
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    return model, scenario_folder(tmp_path, model)


def solved(out: Path) -> pd.DataFrame:
    with ResultsStore(out / "results.duckdb") as store:
        return store.runs().set_index("run_id")


def test_interrupted_study_resumes_with_only_the_missing_runs(study_inputs, tmp_path):
    model, scenarios = study_inputs
    out = tmp_path / "study"
    done: list[str] = []

    def stop_after_three(event, outcome):
        if outcome is not None:
            done.append(outcome.task.run_id)
            if len(done) == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_study(model, [scenarios], out, workers=1, overrides=EXACT, progress=stop_after_three)
    first = set(done)
    second: list[str] = []
    skipped: list[str] = []

    def record(event, outcome):
        if outcome is not None:
            second.append(outcome.task.run_id)
        elif event.startswith("= "):
            skipped.append(event[2:].split(":")[0])

    run_study(model, [scenarios], out, workers=1, overrides=EXACT, progress=record)
    runs = solved(out)
    expected = {"baseline", "fuel_fixed", "fuel", "shock", "carbon[co2_price=50]",
                "carbon[co2_price=200]", "hub"}
    assert expected <= set(runs.index)
    assert set(skipped) == first
    assert set(second) == expected - first
    assert runs.loc["broken", "status"] == "error"
    assert "where {'region': 'XX'} matches no row of demand" in runs.loc["broken", "error"]


def test_fuel_identity_twins_and_pnl(study_inputs, tmp_path):
    model, scenarios = study_inputs
    out = run_study(model, [scenarios], tmp_path / "study", workers=1, overrides=EXACT)
    with ResultsStore(out / "results.duckdb") as store:
        runs = store.runs().set_index("run_id")
        flows = store.table("flows")
        finance = store.table("finance")
        costs = store.table("costs").pivot(index="run_id", columns="line", values="value")
    modes = pd.read_csv(model / "modes.csv").set_index("mode")["fuel_share"]
    base = flows[flows["run_id"] == "baseline"]
    freight_lines = [c for c in costs.columns if c.startswith("freight_")]
    expected = float((base["freight"] * base["mode"].map(modes).fillna(0.0) * 0.2).sum())
    change = costs.loc["fuel_fixed", freight_lines].sum() - costs.loc["baseline",
                                                                       freight_lines].sum()
    assert change == pytest.approx(expected, rel=1e-6)
    assert runs.loc["fuel", "objective"] <= runs.loc["fuel_fixed", "objective"] * (1 + 1e-9)
    total = costs.drop(columns="unmet_penalty").sum(axis=1)
    profit = finance[(finance["section"] == "pnl_delta")
                     & (finance["line"] == "economic_profit")]
    assert not profit.empty
    for run_id, value in zip(profit["run_id"], profit["value"], strict=True):
        revenue = finance[(finance["run_id"] == run_id) & (finance["section"] == "pnl_delta")
                          & (finance["line"] == "revenue")]["value"].iloc[0]
        assert value == pytest.approx(revenue - (total[run_id] - total["baseline"]), abs=1e-3)


def test_local_workers_and_dask_localcluster_agree(study_inputs, tmp_path):
    distributed = pytest.importorskip("distributed")
    model, scenarios = study_inputs
    local = run_study(model, [scenarios], tmp_path / "local", workers=2, overrides=EXACT)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = run_study(model, [scenarios], tmp_path / "dask", workers=2,
                           scheduler=cluster.scheduler_address, overrides=EXACT)
    a, b = solved(local), solved(remote)
    assert set(a.index) == set(b.index)
    ok = a["status"] == "optimal"
    assert ok.sum() >= 7
    pd.testing.assert_series_equal(a.loc[ok, "objective"].sort_index(),
                                   b.loc[ok, "objective"].sort_index(), rtol=1e-9)
    assert (a["input_hash"].sort_index() == b["input_hash"].sort_index()).all()
