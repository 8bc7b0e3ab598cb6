"""Studies: the baseline and every scenario run, in parallel, resumable, into one results database.

Order of work:

1. every scenario is applied to its model in this process (validation errors become failed runs,
   they do not stop the study) and hashed; runs whose input hash is already stored as finished are
   skipped, so a killed study resumes where it stopped;
2. the baseline is solved first (fixed-network runs keep its design);
3. the remaining runs go to local worker processes (default) or to a Dask distributed cluster
   (``scheduler``) in groups: all runs that differ from the baseline only in numbers held by
   mutable parameters form one group, solved in one process on one persistent model (update the
   numbers, re-solve warm from the baseline solution) instead of being rebuilt; every other run is
   a group of its own;
4. each finished run is written to ``DIR/results.duckdb`` in one transaction by this process, and
   finance (P&L, working capital, CapEx case vs the baseline) is added at the end.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netdesign.data import ModelData
from netdesign.io import read_model
from netdesign.results import Design, Results
from netdesign.scenario import (
    BASELINE,
    AppliedScenario,
    Scenario,
    ScenarioError,
    apply_scenario,
    discover,
    load_scenarios,
)
from netdesign.solve import NetworkModel, number_only
from netdesign.validate import ModelValidationError


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to solve one run (picklable)."""

    run_id: str
    scenario: Scenario
    data: ModelData
    input_hash: str
    change_log: list[dict]
    design: Design | None = None
    start: np.ndarray | None = None
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    log_dir: str | None = None


@dataclass
class RunOutcome:
    task: RunTask
    results: Results | None
    error: str = ""
    started_at: str = ""
    finished_at: str = ""
    values: np.ndarray | None = None
    reused_model: bool = False


@dataclass
class StudyPlan:
    baseline: RunTask | None
    groups: list[list[RunTask]]
    failed: list[tuple[Scenario, str]]
    skipped: list[str]
    applied: dict[str, AppliedScenario] = field(default_factory=dict)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def execute_group(tasks: list[RunTask]) -> list[RunOutcome]:
    """Solve runs in order, reusing one persistent model while the changes are number-only."""
    outcomes: list[RunOutcome] = []
    model: NetworkModel | None = None
    for task in tasks:
        started = _now()
        try:
            reused = model is not None and model.accepts(task.data)
            if reused:
                model.update(task.data)
            else:
                model = NetworkModel(task.data)
                if task.start is not None and len(task.start) == model.size["columns"]:
                    model.session.last_values = task.start
            if task.scenario.mode == "fixed_network":
                if task.design is None:
                    raise RuntimeError("fixed_network run needs the baseline's design, and the "
                                       "baseline has no solution")
                model.fix_design(task.design)
            elif reused:
                model.release_design()
            log = Path(task.log_dir) / f"{_safe(task.run_id)}.log" if task.log_dir else None
            results = model.solve(time_limit=task.time_limit, mip_gap=task.mip_gap,
                                  threads=task.threads, log_path=log)
            values = model.session.last_values if task.scenario is BASELINE else None
            outcomes.append(RunOutcome(task, results, "", started, _now(), values, reused))
        except Exception as err:  # a failed run is stored with its error; the others go on
            model = None
            detail = "".join(traceback.format_exception_only(type(err), err)).strip()
            outcomes.append(RunOutcome(task, None, detail, started, _now()))
    return outcomes


def _safe(run_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_=.," else "_" for c in run_id)


def plan_study(model: str | Path, scenario_paths: list[str | Path], overrides: dict[str, Any],
               finished: dict[str, str], solver: dict[str, Any]) -> StudyPlan:
    """Apply every scenario, hash it, drop finished runs and group the rest."""
    base_raw = read_model(model)
    applied = apply_scenario(base_raw, BASELINE, overrides)
    base_task = RunTask("baseline", BASELINE, applied.data, applied.input_hash, applied.log,
                        **solver)
    plan = StudyPlan(None if applied.input_hash in finished else base_task, [], [], [],
                     {"baseline": applied})
    if plan.baseline is None:
        plan.skipped.append("baseline")
    raws = {Path(model).resolve(): base_raw}
    persistent: list[RunTask] = []
    fixed_persistent: list[RunTask] = []
    for path in discover(scenario_paths):
        try:
            scenarios = load_scenarios(path)
        except ScenarioError as err:
            plan.failed.append((Scenario(name=Path(path).stem, source=str(path)), str(err)))
            continue
        for scenario in scenarios:
            try:
                source = scenario.model or Path(model).resolve()
                raw = raws.setdefault(source, read_model(source) if source not in raws else None)
                design_key = applied.input_hash if scenario.mode == "fixed_network" else ""
                run = apply_scenario(raw, scenario, overrides, design_key)
            except (ScenarioError, ModelValidationError, OSError) as err:
                plan.failed.append((scenario, str(err)))
                continue
            if scenario.run_id in plan.applied:
                plan.failed.append((scenario, f"{scenario.source}: run id {scenario.run_id!r} "
                                    "is used twice"))
                continue
            plan.applied[scenario.run_id] = run
            if run.input_hash in finished:
                plan.skipped.append(scenario.run_id)
                continue
            task = RunTask(scenario.run_id, scenario, run.data, run.input_hash, run.log, **solver)
            if number_only(applied.data, run.data):
                (fixed_persistent if scenario.mode == "fixed_network" else persistent).append(task)
            else:
                plan.groups.append([task])
    if persistent or fixed_persistent:
        plan.groups.insert(0, _twins_first(persistent, fixed_persistent))
    return plan


def _twins_first(reoptimize: list[RunTask], fixed: list[RunTask]) -> list[RunTask]:
    """Order a persistent group so each fixed_network run comes right before its reoptimize twin
    (same inputs): the twin then starts from the fixed design's solution and can only improve."""
    ordered: list[RunTask] = []
    pending = list(fixed)
    for task in reoptimize:
        twins = [f for f in pending if f.data.settings == task.data.settings and _same_tables(
            f.data, task.data)]
        ordered += [*twins, task]
        pending = [f for f in pending if all(f is not t for t in twins)]
    return ordered + pending


def _same_tables(a: ModelData, b: ModelData) -> bool:
    return all(a.table(n).equals(b.table(n)) for n in a.TABLE_NAMES)


Progress = Callable[[str, RunOutcome | None], None]


def run_study(model: str | Path, scenario_paths: list[str | Path], out: str | Path, *,
              workers: int = 2, scheduler: str | None = None,
              overrides: dict[str, Any] | None = None, time_limit: float | None = None,
              mip_gap: float | None = None, progress: Progress | None = None) -> Path:
    """Solve the baseline and every scenario into ``out/results.duckdb``; return ``out``."""
    from netdesign.store import ResultsStore

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    (out / "study.json").write_text(json.dumps({
        "model": str(Path(model).resolve()),
        "scenarios": [str(Path(p).resolve()) for p in scenario_paths],
        "overrides": overrides or {}, "started": _now()}, indent=2, default=str))
    threads = max(1, (os.cpu_count() or 2) // max(workers, 1))
    solver = dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                  log_dir=str(out / "logs"))
    notify = progress or (lambda event, outcome: None)
    with ResultsStore(out / "results.duckdb") as store:
        plan = plan_study(model, scenario_paths, overrides or {}, store.finished(), solver)
        forecast = plan.applied["baseline"].forecast if "baseline" in plan.applied else None
        if forecast is not None:
            forecast.write(out / "forecast")
            notify(f"forecast: demand from the history ({forecast.summary()['wape']:.1%} WAPE), "
                   f"tables in {out / 'forecast'}", None)
        for scenario, error in plan.failed:
            _store_failure(store, scenario, error)
            notify(f"✗ {scenario.run_id}: {error}", None)
        for run_id in plan.skipped:
            notify(f"= {run_id}: already stored with the same inputs, skipped", None)
        design, start = None, None
        if plan.baseline is not None:
            notify("solving the baseline ...", None)
            alone = RunTask(**{**plan.baseline.__dict__, "threads": os.cpu_count() or 1})
            (outcome,) = execute_group([alone])
            _store(store, outcome)
            notify("done", outcome)
            start = outcome.values
            if outcome.results is not None and outcome.results.ok:
                design = Design.of(outcome.results)
        if design is None and "baseline" in plan.skipped:
            stored = store.load_results("baseline")
            design = Design.of(stored) if stored.ok else None
        groups = [[_with(t, design, start) for t in group] for group in plan.groups]
        if groups:
            notify(f"solving {sum(map(len, groups))} scenario run(s) in {len(groups)} group(s) "
                   f"on {scheduler or f'{workers} local worker(s)'} ...", None)
        for outcome in _run_groups(groups, workers, scheduler):
            _store(store, outcome)
            notify("done", outcome)
        add_finance(store, plan.applied)
    return out


def _with(task: RunTask, design: Design | None, start: np.ndarray | None) -> RunTask:
    return RunTask(**{**task.__dict__, "design": design, "start": start})


def _run_groups(groups: list[list[RunTask]], workers: int, scheduler: str | None):
    """Yield outcomes as groups finish, on local processes or a Dask cluster."""
    if not groups:
        return
    if scheduler:
        from distributed import Client, as_completed

        with Client(scheduler) as client:
            futures = [client.submit(execute_group, g, pure=False) for g in groups]
            for future in as_completed(futures):
                yield from future.result()
        return
    if workers <= 1:
        for group in groups:
            yield from execute_group(group)
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        pending: set[Future] = {pool.submit(execute_group, g) for g in groups}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield from future.result()


def _exit_with_parent(parent: int) -> None:
    """Worker initializer: end this process when the study that started it is gone (a killed
    study must not leave solvers running)."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(2.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _record(task_or_scenario, status: str, results: Results | None, error: str,
            log: list[dict], started: str, finished: str, input_hash: str,
            settings: dict) -> Any:
    from netdesign.store import RunRecord

    scenario = task_or_scenario
    return RunRecord(
        run_id=scenario.run_id, scenario=scenario.name, point=scenario.point, mode=scenario.mode,
        description=scenario.description, input_hash=input_hash, settings=settings,
        status=status, objective=results.objective if results else None,
        bound=results.bound if results else None, gap=results.gap if results else None,
        build_seconds=results.build_seconds if results else 0.0,
        solve_seconds=results.solve_seconds if results else 0.0, change_log=log, error=error,
        model_size=results.model_size if results else {},
        diagnosis=results.diagnosis if results else [], started_at=started,
        finished_at=finished,
    )


def _store(store, outcome: RunOutcome) -> None:
    from netdesign.kpis import compute_kpis

    task, results = outcome.task, outcome.results
    status = results.status if results is not None else "error"
    record = _record(task.scenario, status, results, outcome.error, task.change_log,
                     outcome.started_at, outcome.finished_at, task.input_hash,
                     task.data.settings.model_dump(mode="json"))
    kpis = compute_kpis(task.data, results) if results is not None and results.ok else None
    store.write_run(record, results, kpis)


def _store_failure(store, scenario: Scenario, error: str) -> None:
    record = _record(scenario, "error", None, error, [], _now(), _now(), "", {})
    store.write_run(record, None, None)


def add_finance(store, applied: dict[str, AppliedScenario]) -> None:
    """P&L, working capital and the CapEx case of every solved run against the baseline."""
    from netdesign.finance import capex_case, pnl, working_capital, working_capital_delta

    runs = store.runs()
    has_solution = runs["status"].isin(["optimal", "time_limit"]) & runs["objective"].notna()
    solved = runs.loc[has_solution, "run_id"].tolist()
    if "baseline" not in solved:
        return
    base_data = applied["baseline"].data
    base = store.load_results("baseline")
    base_pnl, base_wc = pnl(base_data, base), working_capital(base_data, base)
    for run_id in solved:
        if run_id not in applied:
            continue
        data, results = applied[run_id].data, store.load_results(run_id)
        run_pnl, run_wc = pnl(data, results), working_capital(data, results)
        parts = [_lines("pnl", run_pnl), _lines("pnl_delta", run_pnl - base_pnl),
                 _lines("working_capital", run_wc),
                 _lines("working_capital_delta", working_capital_delta(base_wc, run_wc))]
        if run_id != "baseline":
            case = capex_case(base_data, base, data, results)
            parts.append(_lines("capex_case", pd.Series(
                {k: v for k, v in case.summary().items() if isinstance(v, int | float)})))
            flows = case.cash_flows.set_index("year")
            for column in flows.columns:
                parts.append(_lines(f"cash_flow_{column}",
                                    flows[column].rename(lambda y: f"year_{int(y)}")))
        store.write_finance(run_id, pd.concat(parts, ignore_index=True))


def _lines(section: str, series: pd.Series) -> pd.DataFrame:
    values = pd.to_numeric(series, errors="coerce").astype(float)
    return pd.DataFrame({"section": section, "line": series.index.astype(str),
                         "value": values.to_numpy()})

