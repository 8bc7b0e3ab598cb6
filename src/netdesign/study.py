"""Studies: the baseline and every scenario run, in parallel, resumable, into one results database.

Order of work:

1. every scenario is applied to its model in this process (validation errors become failed runs,
   they do not stop the study) and hashed (:func:`run_hash`); a run stored as finished under
   its own id with the same hash is skipped, so a killed study resumes where it stopped; a run
   id used twice stops the study before anything is stored;
2. the baseline is solved first (fixed-network runs keep its design);
3. the remaining runs go to local worker processes (default) or to a Dask distributed cluster
   (``scheduler``) in groups: all runs that differ from the baseline only in numbers held by
   mutable parameters form one group, solved in one process on one persistent model (update the
   numbers, re-solve warm from the baseline solution) instead of being rebuilt; every other run is
   a group of its own;
4. each finished run is written to ``DIR/results.duckdb`` in one transaction by this process,
   as soon as it is solved (a sweep point by point: workers hand in every run through a queue);
   Ctrl-C or SIGTERM stops the workers and keeps every finished run (:func:`run_study`);
5. **settling** (:mod:`netdesign.exchange`): every group is built once more and each run prices
   the designs the other runs found (incumbent exchange), the baseline first, its fixed-network
   runs re-solved when the baseline's design changed; a run whose cost rise over the baseline is
   not significant is tightened, and the baseline is tightened for savings that are not; every
   changed run is stored again;
6. finance (P&L, working capital, CapEx case vs the baseline) is added at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netdesign.certify import Bounds, benefit_delta, cost_delta, npv_interval
from netdesign.data import ModelData
from netdesign.errors import InputError, Interrupted
from netdesign.exchange import (
    design_fits,
    exchange,
    fitting,
    tighten,
    tighten_reference,
    unsettled_savings,
    with_bound,
)
from netdesign.files import folder_lock, write_atomic
from netdesign.io import read_model
from netdesign.optimization.highs import STOP, stop_on_signals, stop_requested
from netdesign.optimization.preflight import workers_that_fit
from netdesign.parametric import Solved, endpoints_first, interpolated_bound
from netdesign.results import SOLVED, Design, Results
from netdesign.scenario import (
    BASELINE,
    AppliedScenario,
    Scenario,
    ScenarioError,
    apply_scenario,
    discover,
    load_scenarios,
)
from netdesign.solve import NetworkModel, narrows, number_only
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
    candidates: tuple[tuple[str, Design], ...] = ()
    reference: Bounds | None = None
    incumbent: Results | None = None
    settle_savings: tuple[float, ...] = ()
    neighbours: tuple[Solved, ...] = ()
    #: a lower bound on this run's optimum known before it is solved: the baseline's, when the
    #: run only narrows the baseline's choices (:func:`netdesign.solve.narrows`)
    bound: float | None = None


@dataclass
class RunOutcome:
    task: RunTask
    results: Results | None
    error: str = ""
    started_at: str = ""
    finished_at: str = ""
    values: np.ndarray | None = None
    reused_model: bool = False
    exchanges: list[dict] = field(default_factory=list)
    changed: bool = True


@dataclass
class StudyPlan:
    baseline: RunTask | None
    groups: list[list[RunTask]]
    failed: list[tuple[Scenario, str]]
    skipped: list[str]
    applied: dict[str, AppliedScenario] = field(default_factory=dict)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def execute_group(tasks: list[RunTask]) -> Iterator[RunOutcome]:
    """Solve runs in order, reusing one persistent model while the changes are number-only;
    yield each run's outcome as it is solved, and none after a stop request (Ctrl-C, SIGTERM).

    A run on a line of one cost parameter between two solved runs (:mod:`netdesign.parametric`)
    is first settled from them: the best of their solutions priced at its numbers against the
    concavity bound; only if that leaves the gap open is it searched. A run on a model of its
    own starts from the baseline's design, priced in it, where that design fits."""
    model: NetworkModel | None = None
    line = list(tasks[0].neighbours) if tasks else []
    for task in tasks:
        if stop_requested():
            return
        started = _now()
        try:
            model, reused = _model_for(task, model)
            results = _on_line(model, task, line) if reused else None
            if results is None and not reused:
                results = _start_from_design(model, task)
            if results is None:
                results = with_bound(model.solve(time_limit=task.time_limit,
                                                 mip_gap=task.mip_gap, threads=task.threads,
                                                 log_path=_log_path(task)),
                                     task.bound, _mip_gap(task))
            if task.scenario.mode != "fixed_network" and results.ok:
                line.append(Solved(task.run_id, task.data, results.bound,
                                   model.session.last_values))
            outcome = RunOutcome(task, results, "", started, _now(), model.session.last_values,
                                 reused)
        except Exception as err:  # a failed run is stored with its error; the others go on
            model = None
            outcome = RunOutcome(task, None, _error_text(err), started, _now())
        yield outcome


def _on_line(model: NetworkModel, task: RunTask, line: list[Solved]) -> Results | None:
    """The run settled from solved runs on its cost-parameter line, or None (search it)."""
    if task.scenario.mode == "fixed_network":
        return None
    bracket = interpolated_bound(task.data, line)
    if bracket is None:
        return None
    bound, note = bracket
    session = model.session
    priced = [(session.price(run.values), run) for run in line if run.values is not None]
    priced = [(cost, run) for cost, run in priced if cost is not None]
    if not priced:
        return None
    cost, run = min(priced, key=lambda pair: pair[0])
    mip_gap = _mip_gap(task)
    results = model.answer(run.values, bound, mip_gap=mip_gap,
                           note=f"the solution of {run.run_id} costs {cost:.10g} here; {note}")
    if results.status != "optimal":
        session.last_values = run.values  # the search starts from it
        return None
    log = _log_path(task)
    if log is not None:
        write_atomic(log, results.solver_log)
    return results


def _start_from_design(model: NetworkModel, task: RunTask) -> Results | None:
    """Start a run on a model of its own from the baseline's design priced in it, when that
    design fits and the baseline's columns do not. The priced design is the answer when the
    run's known bound (``task.bound``) already certifies it to the run's gap."""
    if task.scenario.mode == "fixed_network" or task.design is None:
        return None
    if model.session.last_values is not None or not design_fits(task.design, task.data):
        return None
    priced = model.price_design(task.design, bound=task.bound, threads=task.threads or 1,
                                time_limit=max((task.time_limit or 60.0) * 0.1, 5.0))
    if priced is None:
        model.session.last_values = None
        return None
    if task.bound is None or priced.gap > _mip_gap(task) + 1e-12:
        return None
    log = _log_path(task)
    if log is not None:
        write_atomic(log, f"netdesign: this run only narrows the baseline's choices, so the "
                     f"baseline's bound {task.bound:.10g} bounds it; the baseline's design "
                     f"priced here costs {priced.objective:.10g} (gap {priced.gap:.3%})\n"
                     + priced.solver_log)
    return priced


def _mip_gap(task: RunTask) -> float:
    return task.mip_gap if task.mip_gap is not None else task.data.settings.solver.mip_gap


def settle_group(tasks: list[RunTask]) -> Iterator[RunOutcome]:
    """Settle solved runs in order (see the module docstring), yielding each outcome as it is
    settled and none after a stop request: each task carries its run's incumbent and start; a
    fixed-network run is re-solved on its (new) design, a reoptimize run prices the candidate
    designs and may be tightened. Only changed runs come back changed."""
    model: NetworkModel | None = None
    design: Design | None = None
    for task in tasks:
        if stop_requested():
            return
        started = _now()
        try:
            if task.scenario.mode == "fixed_network":
                if design is None or design == task.design:
                    yield RunOutcome(task, task.incumbent, changed=False)
                    continue
                task = RunTask(**{**task.__dict__, "design": design})
            model, _ = _model_for(task, model)
            outcome = _settle(model, task, started)
            if task.scenario is BASELINE and outcome.results is not None:
                design = Design.of(outcome.results)
        except Exception as err:  # the run keeps what it had
            model = None
            outcome = RunOutcome(task, task.incumbent, _error_text(err), started, _now(),
                                 changed=False)
        yield outcome


def _settle(model: NetworkModel, task: RunTask, started: str) -> RunOutcome:
    results = task.incumbent
    if task.scenario.mode == "fixed_network":
        results = model.solve(time_limit=task.time_limit, mip_gap=task.mip_gap,
                              threads=task.threads, log_path=_log_path(task))
        return RunOutcome(task, results, "", started, _now(), model.session.last_values, True,
                          [{"design_of": "baseline", "cost": results.objective,
                            "incumbent": task.incumbent.objective, "kept": True,
                            "note": "re-solved on the baseline's new design"}])
    results, log = exchange(model, results, list(task.candidates), mip_gap=task.mip_gap or
                            task.data.settings.solver.mip_gap, threads=task.threads or 1)
    left = (task.time_limit or task.data.settings.solver.time_limit) - results.solve_seconds
    mip_gap = task.mip_gap or task.data.settings.solver.mip_gap
    note = ""
    if task.scenario is BASELINE and task.settle_savings:
        results, note = tighten_reference(model, results, task.settle_savings, mip_gap=mip_gap,
                                          seconds_left=left, threads=task.threads or 1)
    elif task.reference is not None:
        results, note = tighten(model, results, task.reference, mip_gap=mip_gap,
                                seconds_left=left, threads=task.threads or 1)
    if note:
        log.append({"note": note})
    changed = results is not task.incumbent
    return RunOutcome(task, results, "", started, _now(), model.session.last_values, False, log,
                      changed)


def _model_for(task: RunTask, model: NetworkModel | None) -> tuple[NetworkModel, bool]:
    """The model ``task`` runs on: ``model`` updated when the change is number-only, else a new
    one (started from ``task.start`` when it fits); its design fixed or released."""
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
    return model, reused


def _log_path(task: RunTask) -> Path | None:
    return Path(task.log_dir) / f"{_safe(task.run_id)}.log" if task.log_dir else None


def _error_text(err: Exception) -> str:
    return "".join(traceback.format_exception_only(type(err), err)).strip()


def _safe(run_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_=.," else "_" for c in run_id)


def run_hash(input_hash: str, solver: dict[str, Any]) -> str:
    """The identity of a run's result: its inputs' hash, the study's solver options (gap, time
    limit) and the code version; a change of any of them solves the run again."""
    from importlib.metadata import version

    options = {k: solver.get(k) for k in ("time_limit", "mip_gap", "threads")}
    key = json.dumps([input_hash, options, version("netdesign")], sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def plan_study(model: str | Path, scenario_paths: list[str | Path], overrides: dict[str, Any],
               finished: set[tuple[str, str]], solver: dict[str, Any]) -> StudyPlan:
    """Apply every scenario, hash it, drop runs stored finished under their own id with the same
    hash and group the rest. ScenarioError, before anything is stored, when a run id is used
    twice."""
    base_raw = read_model(model)
    applied = apply_scenario(base_raw, BASELINE, overrides)
    applied = dataclasses.replace(applied, input_hash=run_hash(applied.input_hash, solver))
    base_task = RunTask("baseline", BASELINE, applied.data, applied.input_hash, applied.log,
                        **solver)
    done = ("baseline", applied.input_hash) in finished
    plan = StudyPlan(None if done else base_task, [], [], [], {"baseline": applied})
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
                run = dataclasses.replace(run, input_hash=run_hash(run.input_hash, solver))
            except (ScenarioError, ModelValidationError, OSError) as err:
                plan.failed.append((scenario, str(err)))
                continue
            if scenario.run_id in plan.applied:
                raise ScenarioError(f"{scenario.source}: run id {scenario.run_id!r} is used "
                                    "twice; give each scenario its own name")
            plan.applied[scenario.run_id] = run
            if (scenario.run_id, run.input_hash) in finished:
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


Confirm = Callable[[str], bool]

SWEEP_CONFIRM = 100
"""A sweep with more points than this to run asks ``confirm`` first (:func:`run_study`)."""

STOP_GRACE = 10.0
"""Seconds workers get to hand in what they finished after a stop request before being killed."""


def run_study(model: str | Path, scenario_paths: list[str | Path], out: str | Path, *,
              workers: int = 2, scheduler: str | None = None,
              overrides: dict[str, Any] | None = None, time_limit: float | None = None,
              mip_gap: float | None = None, progress: Progress | None = None,
              confirm: Confirm | None = None) -> Path:
    """Solve the baseline and every scenario into ``out/results.duckdb``; return ``out``.

    FolderBusy, before anything is written, when another process holds ``out``
    (:func:`netdesign.files.folder_lock`). Every run is stored as it finishes (a sweep point by
    point). With ``confirm``, a sweep of more than :data:`SWEEP_CONFIRM` points to run is first
    put to ``confirm(question)`` (the point count and the time the baseline's solve forecasts);
    InputError, with only the baseline run, when it answers no. Ctrl-C or SIGTERM (in the main
    thread) stops the workers, keeps every finished run and raises :class:`Interrupted`; a
    second one raises KeyboardInterrupt at once."""
    out = Path(out)
    with folder_lock(out), stop_on_signals():
        try:
            return _run_study(model, scenario_paths, out, workers=workers, scheduler=scheduler,
                              overrides=overrides, time_limit=time_limit, mip_gap=mip_gap,
                              progress=progress, confirm=confirm)
        except Exception as err:
            if stop_requested() and _second_signal_inside_duckdb(err):
                raise KeyboardInterrupt from None
            raise


def _second_signal_inside_duckdb(err: Exception) -> bool:
    """Whether ``err`` is how DuckDB passes on the KeyboardInterrupt of a second signal: a query
    interrupted, or an error wrapping the traceback of Python code it called back into (pandas,
    while it scans a DataFrame being stored)."""
    import duckdb

    text = str(err)
    return ((isinstance(err, RuntimeError) and text.startswith("Query interrupted"))
            or (isinstance(err, duckdb.Error) and "KeyboardInterrupt" in text))


def _run_study(model: str | Path, scenario_paths: list[str | Path], out: Path, *, workers: int,
               scheduler: str | None, overrides: dict[str, Any] | None,
               time_limit: float | None, mip_gap: float | None,
               progress: Progress | None, confirm: Confirm | None) -> Path:
    """:func:`run_study` with ``out`` locked and signals turned into stop requests."""
    from netdesign.store import ResultsStore

    (out / "logs").mkdir(exist_ok=True)
    write_atomic(out / "study.json", json.dumps({
        "model": str(Path(model).resolve()),
        "scenarios": [str(Path(p).resolve()) for p in scenario_paths],
        "overrides": overrides or {}, "started": _now()}, indent=2, default=str))
    # HiGHS threads per run: the run's solver.threads (model.yaml < scenario < --set)
    solver = dict(time_limit=time_limit, mip_gap=mip_gap, threads=None,
                  log_dir=str(out / "logs"))
    notify = progress or (lambda event, outcome: None)
    with ResultsStore(out / "results.duckdb") as store:
        plan = plan_study(model, scenario_paths, overrides or {}, store.finished_runs(), solver)
        _stop_if_asked(store)
        stored = set(store.runs()["run_id"])
        forecast = plan.applied["baseline"].forecast if "baseline" in plan.applied else None
        if forecast is not None:
            forecast.write(out / "forecast")
            notify(f"forecast: demand from the history ({forecast.summary()['wape']:.1%} WAPE), "
                   f"tables in {out / 'forecast'}", None)
        for scenario, error in plan.failed:
            if scenario.run_id not in stored:  # a stored run is never replaced by a failure
                _store_failure(store, scenario, error)
            notify(f"✗ {scenario.run_id}: {error}", None)
        for run_id in plan.skipped:
            notify(f"= {run_id}: already stored with the same inputs, skipped", None)
        base = _solve_baseline(store, plan, notify)
        _stop_if_asked(store)
        if scheduler is None and isinstance(base, _Baseline) and base.model is not None:
            workers = _workers_in_memory(base.model, workers, notify)
        design = Design.of(base.results) if base.results is not None and base.results.ok \
            else None
        groups = [_ordered([_with(t, design, base.values, _bound_for(t, base))
                            for t in group], base) for group in plan.groups]
        if confirm is not None:
            _confirm_sweeps(groups, base, workers, confirm)
        total = sum(map(len, groups))
        if groups:
            notify(f"solving {total} scenario run(s) in {len(groups)} group(s) "
                   f"on {scheduler or f'{workers} local worker(s)'} ...", None)
        solved: dict[str, RunOutcome] = {"baseline": base} if base.results is not None else {}
        for outcome in _run_groups(groups, workers, scheduler):
            if _store(store, outcome):
                solved[outcome.task.run_id] = outcome
                notify(f"done {len(solved) - ('baseline' in solved)}/{total}", outcome)
        _stop_if_asked(store)
        _settle_study(store, plan, solved, base, groups, workers, scheduler, notify)
        _stop_if_asked(store)
        add_finance(store, plan.applied)
        _stop_if_asked(store)  # a stop asked for now still ends the command (no report)
    return out


def _workers_in_memory(model: NetworkModel, workers: int, notify) -> int:
    """The local workers whose models (each about the baseline's size) fit in free memory."""
    fit = workers_that_fit(model.estimate, workers)
    if fit < workers:
        notify(f"memory: each worker's model needs about {model.estimate.peak_bytes / 1e9:.1f} "
               f"GB; {fit} of {workers} worker(s) fit in the memory free now", None)
    return fit


def _confirm_sweeps(groups: list[list[RunTask]], base: RunOutcome, workers: int,
                    confirm: Confirm) -> None:
    """Put every sweep with more than :data:`SWEEP_CONFIRM` points to run to ``confirm``, with
    the time the baseline's build and solve forecast for them; InputError when it says no."""
    points: dict[str, int] = {}
    for task in (t for group in groups for t in group if t.scenario.point):
        points[task.scenario.name] = points.get(task.scenario.name, 0) + 1
    results = base.results
    each = results.build_seconds + results.solve_seconds if results is not None else None
    for name, count in points.items():
        if count <= SWEEP_CONFIRM:
            continue
        if each is None or not np.isfinite(each):
            forecast = "the baseline has no solve time to forecast from"
        else:
            forecast = (f"about {_duration(each * count / max(workers, 1))} at the baseline's "
                        f"{each:.1f}s per run on {workers} worker(s)")
        question = f"sweep {name!r} has {count:,} points to run ({forecast})"
        if not confirm(question):
            raise InputError(f"{question}: not confirmed, nothing but the baseline was run")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _stop_if_asked(store) -> None:
    """Interrupted (one line: what is kept, how to resume) when a stop was requested."""
    if not stop_requested():
        return
    import signal

    name = "SIGTERM" if STOP.signal == signal.SIGTERM else "SIGINT"
    raise Interrupted(STOP.signal, f"interrupted ({name}): {len(store.finished_runs())} finished "
                      f"run(s) kept in {store.path}; the same command resumes with the others")


@dataclass
class _Baseline(RunOutcome):
    model: NetworkModel | None = None


def _solve_baseline(store, plan: StudyPlan, notify) -> RunOutcome:
    """Solve the baseline in this process (all cores), keeping its model for settling; a stored
    baseline (resume) is loaded instead."""
    if plan.baseline is None:
        stored = store.load_results("baseline") if "baseline" in plan.skipped else None
        task = RunTask("baseline", BASELINE, plan.applied["baseline"].data,
                       plan.applied["baseline"].input_hash, plan.applied["baseline"].log)
        return _Baseline(task, stored, changed=False)
    notify("solving the baseline ...", None)
    task = plan.baseline
    started = _now()
    try:
        model, _ = _model_for(task, None)
        results = model.solve(time_limit=task.time_limit, mip_gap=task.mip_gap,
                              threads=task.threads, log_path=_log_path(task))
        outcome = _Baseline(task, results, "", started, _now(), model.session.last_values,
                            model=model)
    except Exception as err:
        outcome = _Baseline(task, None, _error_text(err), started, _now())
    if _store(store, outcome):
        notify("done", outcome)
    return outcome


def _settle_study(store, plan: StudyPlan, solved: dict[str, RunOutcome], base: RunOutcome,
                  groups: list[list[RunTask]], workers: int, scheduler: str | None,
                  notify) -> None:
    """Incumbent exchange and tightening (module docstring, step 5): the baseline first, on its
    live model in this process, then every other group on the workers."""
    if base.results is None or not base.results.ok:
        return
    ok = {run_id: o for run_id, o in solved.items() if o.results is not None and o.results.ok}
    candidates = tuple((run_id, Design.of(o.results)) for run_id, o in ok.items())
    base_task = RunTask(**{**base.task.__dict__, "incumbent": base.results,
                           "candidates": fitting(candidates, base.task.data),
                           "settle_savings": unsettled_savings(base.results, ok)})
    if base_task.candidates or base_task.settle_savings:
        notify("settling: the baseline prices the designs of the other runs ...", None)
        model = getattr(base, "model", None) or NetworkModel(base_task.data)
        if getattr(base, "model", None) is None and base.values is not None:
            model.session.last_values = base.values
        settled = _settle(model, base_task, _now())
        if settled.changed and _store(store, settled):
            notify("settled", settled)
            base = settled
        if stop_requested():
            return
        candidates += (("baseline", Design.of(base.results)),)
    reference = Bounds(base.results.objective, base.results.bound)
    design = Design.of(base.results)
    todo = []
    for group in groups:
        tasks = [_settle_task(t, ok.get(t.run_id), candidates, reference, design)
                 for t in group]
        tasks = [t for t in tasks if t is not None]
        if tasks:
            todo.append(tasks)
    if not todo:
        return
    notify(f"settling {sum(map(len, todo))} run(s): designs of other runs priced in each, "
           "rises not yet significant tightened ...", None)
    for outcome in _run_groups(todo, workers, scheduler, work=settle_group):
        if outcome.changed and outcome.results is not None:
            if _store(store, outcome):
                notify("settled", outcome)
        elif outcome.error and not stop_requested():
            notify(f"! {outcome.task.run_id}: settling failed ({outcome.error}); its first "
                   "answer stands", None)


def _settle_task(task: RunTask, solved: RunOutcome | None, candidates, reference: Bounds,
                 design: Design) -> RunTask | None:
    """The settling task of one solved run, or None when it has nothing to settle."""
    if solved is None:
        return None
    results = solved.results
    if task.scenario.mode == "fixed_network":
        if design == task.design:
            return None
        return RunTask(**{**task.__dict__, "incumbent": results, "start": solved.values,
                          "design": design})
    own = Design.of(results)
    mine = tuple(c for c in fitting(candidates, task.data) if c[1] != own)
    rise = cost_delta(Bounds(results.objective, results.bound), reference)
    if not mine and (rise.significant or rise.point <= 0):
        return None
    return RunTask(**{**task.__dict__, "incumbent": results, "start": solved.values,
                      "candidates": mine, "reference": reference})


def _with(task: RunTask, design: Design | None, start: np.ndarray | None,
          bound: float | None) -> RunTask:
    return RunTask(**{**task.__dict__, "design": design, "start": start, "bound": bound})


def _bound_for(task: RunTask, base: RunOutcome) -> float | None:
    """The baseline's lower bound when ``task`` only narrows the baseline's choices."""
    if task.scenario.mode == "fixed_network" or base.results is None or not base.results.ok:
        return None
    return base.results.bound if narrows(base.task.data, task.data) else None


def _ordered(group: list[RunTask], base: RunOutcome) -> list[RunTask]:
    """A persistent group with the baseline as a solved neighbour and the interior points of
    each cost-parameter line after their endpoints
    (:func:`netdesign.parametric.endpoints_first`)."""
    if len(group) < 2 or base.results is None or not base.results.ok:
        return group
    neighbour = Solved("baseline", base.task.data, base.results.bound, base.values)
    group = [RunTask(**{**t.__dict__, "neighbours": (neighbour,)}) for t in group]
    return endpoints_first(group, lambda t: t.data, lambda t: t.scenario.mode == "reoptimize",
                           known=(base.task.data,))


def _run_groups(groups: list[list[RunTask]], workers: int, scheduler: str | None,
                work: Callable[[list[RunTask]], Iterable[RunOutcome]] = execute_group
                ) -> Iterator[RunOutcome]:
    """Yield outcomes as runs finish (``work`` on each group), on local processes (each run as
    its worker hands it in) or a Dask cluster (each group as it finishes). After a stop request
    no new group starts; local workers are asked to stop (SIGTERM: the solve returns its
    incumbent, the group ends) and what they finished is still yielded, for at most
    :data:`STOP_GRACE` seconds before they are killed."""
    if not groups:
        return
    if scheduler:
        from distributed import Client, as_completed

        with Client(scheduler) as client:
            futures = [client.submit(_listed, work, g, pure=False) for g in groups]
            for future in as_completed(futures):
                yield from future.result()
                if stop_requested():
                    client.cancel(futures)
                    return
        return
    if workers <= 1:
        for group in groups:
            if stop_requested():
                return
            yield from work(group)
        return
    yield from _on_local_workers(groups, workers, work)


def _on_local_workers(groups: list[list[RunTask]], workers: int,
                      work: Callable[[list[RunTask]], Iterable[RunOutcome]]
                      ) -> Iterator[RunOutcome]:
    """:func:`_run_groups` on a pool of spawned processes, each outcome sent back through a
    queue as soon as it exists."""
    import multiprocessing
    import queue
    import signal

    context = multiprocessing.get_context("spawn")
    outbox = context.Queue()
    # the workers start with Ctrl-C ignored: the terminal sends it to them too, and only this
    # process decides what to keep (it asks them to stop with SIGTERM)
    with _sigint_ignored():
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                   initializer=_worker_start, initargs=(os.getpid(), outbox))
        pending: dict[Future, int] = {pool.submit(_handed_in, work, i, g): i
                                      for i, g in enumerate(groups)}
    sent: dict[int, int] = {}  # group → outcomes its worker put into the outbox
    received = dict.fromkeys(range(len(groups)), 0)
    stopping: float | None = None
    try:
        while pending or any(received[i] < n for i, n in sent.items()):
            if stop_requested() and stopping is None:
                stopping = time.monotonic()  # the groups not started end at once (_handed_in)
                _signal_workers(pool, signal.SIGTERM)
            if stopping is not None and time.monotonic() - stopping > STOP_GRACE:
                return
            try:
                index, outcome = outbox.get(timeout=0.1)
            except queue.Empty:
                pass
            else:
                received[index] += 1
                yield pickle.loads(outcome)  # pickled by this project's own worker
            for future in [f for f in pending if f.done()]:
                index = pending.pop(future)
                if stopping is not None and future.exception() is not None:
                    continue  # a worker stopped before it started: nothing to hand in
                sent[index] = future.result()
    finally:
        kill = bool(pending) or stopping is not None  # what they finished is in: no need to wait
        if kill:
            _signal_workers(pool, signal.SIGKILL)
        # no cancelling on a pool about to break: Python 3.11's executor then fails setting
        # BrokenProcessPool on a cancelled future (a traceback from its thread)
        pool.shutdown(wait=not kill, cancel_futures=not kill)
        outbox.close()
        outbox.cancel_join_thread()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while inside (in the main thread; processes spawned meanwhile inherit it)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


def _signal_workers(pool: ProcessPoolExecutor, signum: int) -> None:
    for process in list((pool._processes or {}).values()):  # no public list of the workers
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.kill(process.pid, signum)


_OUTBOX: Any = None  # a worker's queue to the study process (set by _worker_start)


def _worker_start(parent: int, outbox: Any) -> None:
    """Worker initializer: exit with the parent (:func:`_exit_with_parent`), ignore Ctrl-C, and
    let SIGTERM stop the running solve (its incumbent comes back, status ``interrupted``) and
    the group; outcomes go to ``outbox``."""
    import signal

    global _OUTBOX
    _OUTBOX = outbox
    _exit_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    STOP.armed = True

    def stop(signum: int, frame: object) -> None:
        STOP.signal = signum

    signal.signal(signal.SIGTERM, stop)


def _handed_in(work: Callable[[list[RunTask]], Iterable[RunOutcome]], index: int,
               group: list[RunTask]) -> int:
    """Run ``work`` on a group in a worker, putting each outcome into the outbox as it comes
    (pickled here, so a failure to pickle fails the group instead of losing the outcome in the
    queue's thread); return how many were put."""
    count = 0
    if stop_requested():
        return count
    for outcome in work(group):
        _OUTBOX.put((index, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)))
        count += 1
    return count


def _listed(work: Callable[[list[RunTask]], Iterable[RunOutcome]],
            group: list[RunTask]) -> list[RunOutcome]:
    """``work`` on a group, as a list (what a Dask task can return)."""
    return list(work(group))


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
        finished_at=finished, floor=results.floor if results else None,
        gap_total=results.gap_total if results else None,
        floor_parts=results.floor_parts if results else {},
    )


def _store(store, outcome: RunOutcome) -> bool:
    """Store a run's outcome; not (False) an interrupted one, nor any but a finished one once a
    stop was requested: those run again on resume."""
    from netdesign.kpis import compute_kpis
    from netdesign.store import FINISHED

    task, results = outcome.task, outcome.results
    status = results.status if results is not None else "error"
    if status == "interrupted" or (stop_requested() and status not in FINISHED):
        return False
    record = _record(task.scenario, status, results, outcome.error, task.change_log,
                     outcome.started_at, outcome.finished_at, task.input_hash,
                     task.data.settings.model_dump(mode="json"))
    record = dataclasses.replace(record, exchanges=outcome.exchanges)
    kpis = compute_kpis(task.data, results) if results is not None and results.ok else None
    store.write_run(record, results, kpis)
    return True


def _store_failure(store, scenario: Scenario, error: str) -> None:
    record = _record(scenario, "error", None, error, [], _now(), _now(), "", {})
    store.write_run(record, None, None)


def add_finance(store, applied: dict[str, AppliedScenario]) -> None:
    """P&L, working capital and the CapEx case of every solved run against the baseline."""
    from netdesign.finance import capex_case, pnl, working_capital, working_capital_delta

    runs = store.runs()
    has_solution = runs["status"].isin(SOLVED) & runs["objective"].notna()
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
            parts.append(_lines("certified", certified_lines(
                results, base, float((run_pnl - base_pnl)["economic_profit"]), case)))
            flows = case.cash_flows.set_index("year")
            for column in flows.columns:
                parts.append(_lines(f"cash_flow_{column}",
                                    flows[column].rename(lambda y: f"year_{int(y)}")))
        store.write_finance(run_id, pd.concat(parts, ignore_index=True))


def certified_lines(results: Results, base: Results, economic_profit_delta: float,
                    case) -> pd.Series:
    """The deltas of a run vs the baseline with the intervals their bounds certify
    (:mod:`netdesign.certify`), each as ``<name>``, ``<name>_low``, ``<name>_high`` and
    ``<name>_significant`` (1 or 0):

    * ``total_cost_delta``: the objective's Δ, certified as it stands;
    * ``economic_profit_delta``: revenue − every cost line of the objective but unmet_penalty
      (:func:`netdesign.finance.pnl`), so it moves one for one against the objective; the
      interval covers optima that serve the same demand as the runs' answers;
    * ``npv``: the CapEx case's NPV, taking a run's slack to be yearly operating cost (after tax,
      over the horizon).

    EBIT gets no interval: the bounds say how much cheaper an optimum may be in total, not how its
    cost splits between the lines above EBIT and the capital charge and closing beneath it.
    """
    run, ref = (Bounds(r.objective, r.bound if r.bound is not None else -np.inf)
                for r in (results, base))
    intervals = {
        "total_cost_delta": cost_delta(run, ref),
        "economic_profit_delta": benefit_delta(economic_profit_delta, run, ref),
        "npv": npv_interval(case.npv, run, ref, rate=case.discount_rate,
                            tax_rate=case.tax_rate, years=case.horizon_years),
    }
    lines = {}
    for name, interval in intervals.items():
        lines.update({name: interval.point, f"{name}_low": interval.low,
                      f"{name}_high": interval.high,
                      f"{name}_significant": float(interval.significant)})
    return pd.Series(lines)


def _lines(section: str, series: pd.Series) -> pd.DataFrame:
    values = pd.to_numeric(series, errors="coerce").astype(float)
    return pd.DataFrame({"section": section, "line": series.index.astype(str),
                         "value": values.to_numpy()})

