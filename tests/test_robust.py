"""Two-stage stochastic design (issue 17): the extensive form against brute force.

The instance is the tiny model made to trade DCs off: demand × 100, Atlanta's throughput capped at
420 000 units, unserved demand allowed at 2 × price. Three futures: fuel 0.6 (p 0.35), fuel 1.8
(p 0.35), Midwest demand × 2 (p 0.3). Every design (each non-empty subset of the three DCs) is
priced in every scenario by forcing its statuses and solving; the recourse problem, the
wait-and-see and the mean-value solutions follow from that table alone.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pyomo.common.errors import InfeasibleConstraintException

from conftest import tiny_spec_data
from netdesign.errors import ScenarioError
from netdesign.formulas import crf
from netdesign.io import read_model
from netdesign.optimization.highs import HighsSession
from netdesign.results import Design
from netdesign.robust import build_extensive, cvar, load_cases, mean_value_data, price, solve_robust
from netdesign.scenario import apply_scenario, load_scenarios
from netdesign.solve import NetworkModel, solve

FACILITIES = ("DC_ATL", "DC_CHI", "DC_DAL")
MIDWEST_BOOM = [{"table": "demand", "where": {"region": "MW"}, "scale": {"annual_units": 2.0}}]
SCENARIOS = {
    "fuel_low": {"probability": 0.35, "settings": {"fuel_index": 0.6}},
    "fuel_high": {"probability": 0.35, "settings": {"fuel_index": 1.8}},
    "midwest_boom": {"probability": 0.3, "changes": MIDWEST_BOOM},
}
#: the mean-value problem written by hand: E[fuel] = 0.35·0.6 + 0.35·1.8 + 0.3·1.0, E[MW factor]
#: = 0.7·1 + 0.3·2
MEAN = {"settings": {"fuel_index": 0.35 * 0.6 + 0.35 * 1.8 + 0.3 * 1.0},
        "changes": [{"table": "demand", "where": {"region": "MW"},
                     "scale": {"annual_units": 0.7 + 0.3 * 2.0}}]}
OPTIONS = {"mip_gap": 0.0, "threads": 1, "time_limit": 60}
#: today's network: Atlanta only, no candidate
AS_IS = {"changes": [
    {"table": "facilities", "where": {"status": "existing"}, "set": {"status": "forced_open"}},
    {"table": "facilities", "where": {"status": "candidate"}, "set": {"status": "forced_closed"}}]}


def _model(root: Path) -> Path:
    spec = tiny_spec_data()
    for row in spec.tables["demand"]:
        row["annual_units"] = str(float(row["annual_units"]) * 100)
    spec.settings["unmet_demand"] = {"allowed": True, "penalty_factor": 2.0}
    spec.set("facilities", 2, "throughput_capacity", "420000")
    return spec.write(root / "model")


def _write(root: Path, scenarios: dict[str, dict]) -> list[Path]:
    paths = []
    for name, body in scenarios.items():
        path = root / f"{name}.yaml"
        path.write_text(yaml.safe_dump({"name": name, **body}))
        paths.append(path)
    return paths


def _designs():
    return [frozenset(s) for k in range(1, len(FACILITIES) + 1)
            for s in itertools.combinations(FACILITIES, k)]


def _solve_fixed(data, design: frozenset[str]):
    """``data`` with exactly ``design`` open (every DC forced open or closed), solved; None when
    infeasible."""
    fac = data.facilities
    usable = set(fac.loc[fac["status"] != "forced_closed", "facility"])
    status = ["forced_open" if f in design and f in usable else "forced_closed"
              for f in fac["facility"]]
    try:
        result = solve(dataclasses.replace(data, facilities=fac.assign(status=status)), **OPTIONS)
    except InfeasibleConstraintException:
        return None
    return result if result.ok else None


def _cost(data, design: frozenset[str]) -> float:
    """What ``design`` costs in ``data``: solved with it fixed, plus the fixed cost and annualised
    CapEx of each DC of the design that ``data`` closes."""
    fac = data.facilities
    usable = set(fac.loc[fac["status"] != "forced_closed", "facility"])
    result = _solve_fixed(data, design)
    if result is None:
        return math.inf
    lost = 0.0
    for row in fac[fac["facility"].isin(design - usable)].itertuples():
        lost += row.fixed_cost + row.capex * crf(data.settings.discount_rate,
                                                 row.capex_life_years)
    return result.objective + lost


def _table(model: Path, paths: list[Path]) -> dict[frozenset[str], list[float]]:
    raw = read_model(model)
    datas = [apply_scenario(raw, load_scenarios(p)[0]).data for p in paths]
    return {d: [_cost(data, d) for data in datas] for d in _designs()}


def _expected(costs: list[float], p: list[float]) -> float:
    return sum(pi * c for pi, c in zip(p, costs, strict=True))


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    root = tmp_path_factory.mktemp("robust")
    model = _model(root)
    paths = _write(root, SCENARIOS)
    p = [SCENARIOS[n]["probability"] for n in SCENARIOS]
    table = _table(model, paths)
    mean = _table(model, _write(root, {"mean": MEAN}))
    return model, paths, p, table, mean


@pytest.fixture(scope="module")
def as_is_file(instance) -> Path:
    model, *_ = instance
    return _write(model.parent, {"as_is": AS_IS})[0]


@pytest.fixture(scope="module")
def expected_run(instance, as_is_file):
    model, paths, *_ = instance
    return solve_robust(model, paths, objective="expected", as_is=as_is_file, **OPTIONS)


def test_expected_design_vss_and_evpi_match_enumeration(instance, expected_run):
    _, _, p, table, mean = instance
    result = expected_run
    expected = {d: _expected(c, p) for d, c in table.items()}
    best = min(expected, key=expected.get)
    assert sorted(expected.values())[1] - expected[best] > 1e3  # a unique optimum to find
    assert result.status == "optimal" and result.design.open == best
    assert result.rp.objective == pytest.approx(expected[best], rel=1e-7)
    assert result.expected_cost == pytest.approx(expected[best], rel=1e-7)
    # wait-and-see: each scenario's own best design
    ws = _expected([min(c[s] for c in table.values()) for s in range(len(p))], p)
    assert result.ws.objective == pytest.approx(ws, rel=1e-7)
    # the mean-value problem's design (found by enumeration on the hand-written mean scenario)
    ev_design = min(mean, key=lambda d: mean[d][0])
    assert result.mean_value_design.open == ev_design
    eev = expected[ev_design]
    assert result.eev.objective == pytest.approx(eev, rel=1e-7)
    evpi, vss = result.evpi, result.vss
    assert evpi.point == pytest.approx(expected[best] - ws, abs=10.0)
    assert vss.point == pytest.approx(eev - expected[best], abs=10.0)
    # the instance is built so that both matter, and gap 0 certifies them
    assert vss.point > 1e5 and evpi.point > 1e4
    assert vss.significant and evpi.significant
    for interval, truth in ((evpi, expected[best] - ws), (vss, eev - expected[best])):
        assert interval.low - 10.0 <= truth <= interval.high + 10.0
        assert interval.high - interval.low < 100.0
    # the regret table: the design priced in each scenario is the enumeration's cost
    frame = result.table()
    assert frame["scenario"].tolist() == list(SCENARIOS)
    assert frame["probability"].tolist() == pytest.approx(p)
    assert frame["cost"].tolist() == pytest.approx(table[best], rel=1e-7)
    own = [min(c[s] for c in table.values()) for s in range(len(p))]
    assert frame["own_optimum"].tolist() == pytest.approx(own, rel=1e-7)
    assert (frame["regret"] >= -1e-6 * frame["cost"]).all()
    assert result.gap is not None and result.gap <= 1e-6
    assert result.rp.bound >= result.ws.bound - 1e-6  # WS ≤ RP bounds the recourse problem


def test_regret_design_no_worse_than_any_scenarios_own_design(instance):
    model, paths, p, table, _ = instance
    lines: list[str] = []
    result = solve_robust(model, paths, objective="regret", say=lines.append, **OPTIONS)
    # the extensive form starts from the likeliest scenario's own design, priced in one solve
    start = next(line for line in lines if "start:" in line)
    assert "fuel_low's own design" in start and "no start" not in start
    n = len(p)
    own = [min(c[s] for c in table.values()) for s in range(n)]
    worst = {d: max(c[s] - own[s] for s in range(n)) for d, c in table.items()}
    assert result.design.open == min(worst, key=worst.get)
    assert result.worst_regret == pytest.approx(worst[result.design.open], abs=10.0)
    assert result.value == pytest.approx(worst[result.design.open], abs=10.0)
    # each scenario's own optimal design, priced in every scenario, regrets at least as much
    for s in range(n):
        own_design = min(table, key=lambda d, s=s: table[d][s])
        assert result.worst_regret <= worst[own_design] + 10.0
    # here minimax regret picks another network than the expected cost does
    expected = {d: _expected(c, p) for d, c in table.items()}
    assert result.design.open != min(expected, key=expected.get)
    assert result.rp is None and result.vss is None


def test_cvar_at_alpha_zero_is_the_expectation_and_high_alpha_the_tail(instance, expected_run):
    model, paths, p, table, _ = instance
    low = solve_robust(model, paths, objective="cvar", alpha=0.0, **OPTIONS)
    assert low.design == expected_run.design
    assert low.value == pytest.approx(expected_run.rp.objective, rel=1e-7)
    high = solve_robust(model, paths, objective="cvar", alpha=0.9, **OPTIONS)
    tail = {d: cvar(c, p, 0.9) for d, c in table.items()}
    assert high.design.open == min(tail, key=tail.get)
    assert high.value == pytest.approx(tail[high.design.open], rel=1e-7)


def test_cvar_formula_by_hand():
    # two outcomes 10 (p 0.7) and 20 (p 0.3): the worst 30 % is 20; the worst 50 % averages
    # 0.3·20 + 0.2·10 over 0.5 = 16
    assert cvar([10.0, 20.0], [0.7, 0.3], 0.7) == pytest.approx(20.0)
    assert cvar([10.0, 20.0], [0.7, 0.3], 0.5) == pytest.approx(16.0)
    assert cvar([10.0, 20.0], [0.7, 0.3], 0.0) == pytest.approx(13.0)


def test_a_lost_dc_still_pays_for_its_design_decision(tmp_path):
    """A scenario that closes Chicago (``forced_closed``): a design that builds Chicago for the
    other future pays its fixed cost and annualised CapEx there too, in the extensive form and
    where a design is priced."""
    model = _model(tmp_path)
    closed = [{"table": "facilities", "where": {"facility": "DC_CHI"},
               "set": {"status": "forced_closed"}}]
    paths = _write(tmp_path, {
        "boom": {"changes": MIDWEST_BOOM},
        "boom_without_chicago": {"changes": MIDWEST_BOOM + closed}})
    table = _table(model, paths)
    chicago = 120_000 + 500_000 * crf(0.08, 20)
    assert table[frozenset({"DC_ATL", "DC_CHI"})][1] == pytest.approx(
        table[frozenset({"DC_ATL"})][1] + chicago, rel=1e-9)
    cases = load_cases(model, paths)
    assert [c.probability for c in cases] == [0.5, 0.5]  # equal weights: no file gives one
    ext = build_extensive(cases)
    assert ext.first.facilities == list(FACILITIES)  # Chicago is usable in one future
    session = HighsSession(ext.model, floor=ext.floor)
    for design, costs in table.items():
        # the extensive form with the design fixed costs what enumeration says, scenario by
        # scenario (the lost future included)
        for i, f in enumerate(ext.first.facilities):
            ext.model.open[i].fix(1 if f in design else 0)
        session.update()
        outcome = session.solve(time_limit=60, mip_gap=0.0)
        assert outcome.objective == pytest.approx(_expected(costs, [0.5, 0.5]), rel=1e-7)
        assert [ext.model.scenario_cost[s].value for s in range(2)] == pytest.approx(
            costs, rel=1e-7)
        lost = NetworkModel(cases[1].data)
        priced = price(lost, Design(design, frozenset(), frozenset()), cases[1].data,
                       ext.first.status, time_limit=60, mip_gap=0.0, threads=1)
        assert priced.bounds.objective == pytest.approx(costs[1], rel=1e-7)
    for var in ext.model.open.values():
        var.unfix()
    result = solve_robust(model, paths, **OPTIONS)
    expected = {d: _expected(c, [0.5, 0.5]) for d, c in table.items()}
    assert result.design.open == min(expected, key=expected.get)
    assert result.rp.objective == pytest.approx(min(expected.values()), rel=1e-7)


def test_mean_value_data_averages_numbers_and_says_what(instance):
    model, paths, *_ = instance
    cases = load_cases(model, paths)
    data, note = mean_value_data(cases)
    assert data.settings.fuel_index == pytest.approx(MEAN["settings"]["fuel_index"])
    base = cases[0].data.demand
    mw = base["customer"] == "C2"
    assert data.demand.loc[mw, "annual_units"].tolist() == pytest.approx(
        (base.loc[mw, "annual_units"] * 1.3).tolist())
    assert data.demand.loc[~mw, "annual_units"].tolist() == pytest.approx(
        base.loc[~mw, "annual_units"].tolist())
    assert "demand.annual_units" in note and "settings.fuel_index" in note


def test_probabilities_must_be_all_or_none_and_sum_to_one(tmp_path):
    model = _model(tmp_path)
    some = _write(tmp_path, {"a": {"probability": 0.5}, "b": {}})
    with pytest.raises(ScenarioError, match=r"b\.yaml.*probability"):
        load_cases(model, some)
    wrong = _write(tmp_path, {"c": {"probability": 0.5}, "d": {"probability": 0.4}})
    with pytest.raises(ScenarioError, match=r"sum to 0\.9"):
        load_cases(model, wrong)
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump({"name": "sweep", "probability": 1.0,
                                     "sweep": {"settings.fuel_index": [0.8, 1.0, 1.2, 1.4]}}))
    cases = load_cases(model, [sweep])
    assert [c.probability for c in cases] == pytest.approx([0.25] * 4)
    assert [c.data.settings.fuel_index for c in cases] == [0.8, 1.0, 1.2, 1.4]


def test_cli_json_is_one_object_with_the_design(instance, as_is_file, expected_run):
    model, paths, *_ = instance
    args = [sys.executable, "-m", "netdesign", "robust", str(model)]
    for path in paths:
        args += ["--scenarios", str(path)]
    run = subprocess.run([*args, "--json", "--gap", "0", "--threads", "1"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    payload = json.loads(run.stdout)  # exactly one JSON object: anything else fails to parse
    assert payload["exit_code"] == 0 and payload["objective"] == "expected"
    assert payload["design"]["open"] == sorted(expected_run.design.open)
    assert [row["scenario"] for row in payload["scenarios"]] == list(SCENARIOS)
    assert payload["vss"]["point"] == pytest.approx(expected_run.vss.point, abs=10.0)
    assert payload["evpi"]["low"] <= payload["evpi"]["point"] <= payload["evpi"]["high"]
    text = subprocess.run([*args, "--gap", "0", "--as-is", str(model.parent / "as_is.yaml")],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "80"})
    assert text.returncode == 0, text.stderr
    assert "VSS" in text.stdout and "EVPI" in text.stdout and "P(NPV < 0) = 0.700" in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    bad = subprocess.run([*args, "--json", "--objective", "median"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and json.loads(bad.stdout)["status"] == "input_error"
    assert "median" in bad.stderr and "Traceback" not in bad.stderr


def test_shipped_example_is_nine_futures_outside_the_demo():
    """scenarios/robust: fuel low/base/high × West demand −15 %/base/+10 %, independent
    probabilities 0.25/0.5/0.25 each, read by ``robust`` and not by ``make demo``'s study."""
    from netdesign.scenario import discover

    root = Path(__file__).resolve().parents[1] / "scenarios"
    files = discover([root / "robust"])
    scenarios = [s for path in files for s in load_scenarios(path)]
    assert len(scenarios) == 9
    assert sum(s.probability for s in scenarios) == pytest.approx(1.0, abs=1e-12)
    fuel = {"fuel_low": 0.85, "fuel_base": 1.0, "fuel_high": 1.2}
    west = {"west_down": 0.85, "west_base": 1.0, "west_up": 1.1}
    weight = {"fuel_low": 0.25, "fuel_base": 0.5, "fuel_high": 0.25,
              "west_down": 0.25, "west_base": 0.5, "west_up": 0.25}
    seen = set()
    for s in scenarios:
        f, w = s.name.split("__")
        seen.add((f, w))
        assert s.probability == pytest.approx(weight[f] * weight[w])
        assert s.settings.get("fuel_index", 1.0) == fuel[f]
        scale = [c.scale["annual_units"] for c in s.changes if c.table == "demand"]
        assert scale == ([] if w == "west_base" else [west[w]])
        assert all(c.where == {"region": "West"} for c in s.changes)
        assert s.mode == "reoptimize" and s.model == (root.parent / "models/us_retail").resolve()
    assert len(seen) == 9
    assert not set(discover([root])) & set(files)  # the demo's study does not run them


def test_every_scenario_starts_from_the_model_given(tmp_path):
    model = _model(tmp_path)
    other = tiny_spec_data().write(tmp_path / "other")
    paths = _write(tmp_path, {"here": {"model": "model"}, "there": {"model": "other"}})
    assert len(load_cases(model, paths[:1])) == 1
    with pytest.raises(ScenarioError, match=r"there\.yaml.*must all start from the model"):
        load_cases(model, paths)
    assert other.exists()


def test_capex_case_against_todays_network_in_every_scenario(instance, as_is_file, expected_run):
    """NPV of moving from today's network (Atlanta alone) to the chosen design, per scenario, as
    :func:`netdesign.finance.capex_case` states it from runs solved independently here."""
    from netdesign.finance import capex_case

    model, paths, p, *_ = instance
    raw = read_model(model)
    today = load_scenarios(as_is_file)[0]
    npvs = []
    for path, row in zip(paths, expected_run.rows, strict=True):
        scenario = load_scenarios(path)[0]
        data = apply_scenario(raw, scenario).data
        both = dataclasses.replace(scenario, changes=scenario.changes + today.changes)
        as_is_data = apply_scenario(raw, both).data
        reference = solve(as_is_data, **OPTIONS)
        chosen = _solve_fixed(data, expected_run.design.open)
        npv = capex_case(as_is_data, reference, data, chosen).npv
        assert row.npv.point == pytest.approx(npv, rel=1e-6, abs=1.0)
        assert row.npv.low - 1.0 <= npv <= row.npv.high + 1.0  # gap 0: a tight interval
        npvs.append(npv)
    # Chicago pays off only when the Midwest booms: a loss in the two fuel futures
    assert [v < 0 for v in npvs] == [True, True, False]
    point, low, high = expected_run.loss_probability
    assert point == pytest.approx(p[0] + p[1]) and low == pytest.approx(point)
    assert high == pytest.approx(point)


def test_mip_start_from_designs_priced_alone_is_feasible(instance):
    """The extensive form's start: a design priced in each scenario alone, its recourse copied
    into the blocks, is a feasible point of the extensive form at that design's expected cost."""
    from netdesign.robust import _start

    model, paths, p, table, _ = instance
    cases = load_cases(model, paths)
    models = [NetworkModel(c.data) for c in cases]
    for objective in ("expected", "regret", "cvar"):
        own = [min(c[s] for c in table.values()) for s in range(len(p))]
        ext = build_extensive(cases, objective, 0.9, own, indexes=[m.index for m in models])
        session = HighsSession(ext.model, floor=ext.floor)
        design = Design(frozenset({"DC_ATL", "DC_DAL"}), frozenset(), frozenset())
        at = [price(m, design, c.data, ext.first.status, time_limit=60, mip_gap=0.0, threads=1)
              for m, c in zip(models, cases, strict=True)]
        _start(session, ext, design, at, own, 0.9)
        value = session.price(session.last_values)
        assert value is not None, objective  # feasible: bounds, rows and integrality
        costs = table[design.open]
        expected = {"expected": _expected(costs, p),
                    "regret": max(c - o for c, o in zip(costs, own, strict=True)),
                    "cvar": max(costs)}[objective]
        assert value == pytest.approx(expected, rel=1e-7, abs=1e-3), objective


def test_a_future_no_design_serves_is_reported_not_raised(tmp_path):
    spec = tiny_spec_data()  # unserved demand not allowed
    model = spec.write(tmp_path / "model")
    tiny = {"settings": {"facilities": {"max_open": 1}},  # no DC alone holds the 3,500 units
            "changes": [{"table": "facilities", "where": {},
                         "set": {"throughput_capacity": 2000}}]}
    paths = _write(tmp_path, {"base": {}, "no_capacity": tiny})
    result = solve_robust(model, paths, **OPTIONS)
    assert result.status == "infeasible" and not result.ok and result.design is None
    assert any("no_capacity" in note and "infeasible" in note for note in result.notes)
    assert result.summary()["scenarios"] == []
