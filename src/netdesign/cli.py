"""Command-line interface: ``netdesign --help`` lists the commands.

Every command ends in one clear message and one of the exit codes of :mod:`netdesign.errors`
(README, "Exit codes"): 0 solved, 2 input error, 3 infeasible or unbounded, 4 time limit without
a solution, 1 internal error, 130 Ctrl-C, 143 SIGTERM. No input gives a traceback (set
``NETDESIGN_DEBUG=1`` to see the one behind an internal error). ``--json`` prints exactly one
JSON object on stdout, whatever happens; everything else goes to stderr.

Only typer and rich are imported at start-up: each command imports the engine parts it needs,
so ``netdesign --help`` answers without loading pandas, Pyomo, HiGHS, DuckDB, Dask or plotly.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape

from netdesign.errors import (
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    InputError,
    Interrupted,
    ModelValidationError,
    ScenarioError,
)

app = typer.Typer(
    help="Supply-chain network design: validate models, solve them, run scenario studies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(emoji=False)  # ":100:" in "demand:100:product" stays text
err_console = Console(stderr=True, emoji=False)

ModelArg = Annotated[
    Path, typer.Argument(help="Model folder (model.yaml + CSVs) or .xlsx workbook")
]


# -- one way every command fails -----------------------------------------------------------------


class _Terminated(BaseException):
    """SIGTERM arrived (raised from the signal handler, so no ``except Exception`` swallows it)."""


@contextlib.contextmanager
def _sigterm_ends_the_command() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _ignore_further_signals() -> None:
    """SIGINT and SIGTERM ignored from now on (main thread only), so that a second Ctrl-C while
    the command reports its stop does not kill the process with a signal instead of its code."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def exit_code_of(err: BaseException) -> int:
    """The exit code for an exception that ended a command."""
    if isinstance(err, Interrupted):
        return EXIT_SIGTERM if err.signum == signal.SIGTERM else EXIT_SIGINT
    if isinstance(err, KeyboardInterrupt):
        return EXIT_SIGINT
    if isinstance(err, _Terminated):
        return EXIT_SIGTERM
    if isinstance(err, ModelValidationError | ScenarioError | InputError | OSError):
        return EXIT_INPUT
    return EXIT_INTERNAL


def _report(err: BaseException) -> None:
    """One clear message on stderr for an exception that ended a command."""
    if isinstance(err, ModelValidationError):
        err_console.print(f"[bold red]{len(err.problems)} problem(s) in {escape(str(err.source))}"
                          "[/]")
        for problem in err.problems:
            err_console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
    elif isinstance(err, Interrupted):
        err_console.print(f"[bold red]{escape(str(err))}[/]", soft_wrap=True)
    elif isinstance(err, KeyboardInterrupt | _Terminated):
        err_console.print("[bold red]interrupted[/]")
    elif isinstance(err, OSError):
        err_console.print(f"[bold red]{escape(_os_message(err))}[/]", soft_wrap=True)
    elif exit_code_of(err) == EXIT_INPUT:
        err_console.print(f"[bold red]{escape(str(err))}[/]", soft_wrap=True)
    else:
        err_console.print(
            f"[bold red]internal error: {escape(type(err).__name__)}: {escape(str(err))}[/]\n"
            "This is a bug in netdesign, not in your input: please report it with the command "
            "you ran (NETDESIGN_DEBUG=1 shows the traceback).", soft_wrap=True)


def _os_message(err: OSError) -> str:
    if err.strerror and err.filename:
        return f"{err.filename}: {err.strerror}"
    return str(err)


def _guarded(function: Callable) -> Callable:
    """Run a command: its own exits pass, every exception becomes a message and an exit code."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            with _sigterm_ends_the_command():
                return function(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort,
                click.ClickException):
            raise
        except (Exception, KeyboardInterrupt, _Terminated) as err:
            if os.environ.get("NETDESIGN_DEBUG") and exit_code_of(err) == EXIT_INTERNAL:
                raise
            if exit_code_of(err) in (EXIT_SIGINT, EXIT_SIGTERM):
                _ignore_further_signals()  # the stop is decided: another Ctrl-C changes nothing
            _report(err)
            raise typer.Exit(exit_code_of(err)) from None

    return run


def command(group: typer.Typer = app, name: str | None = None) -> Callable:
    """``@app.command()`` for a guarded command."""
    return lambda function: group.command(name)(_guarded(function))


def _load(model: Path, forecast: bool = True, settings: dict | None = None):
    """Validated model data (a demand history forecast into demand unless ``forecast`` is
    false; ``settings`` merged over model.yaml); notes (how files were read) and warnings on
    stderr."""
    from netdesign.validate import load_model

    data = load_model(model, forecast=forecast, settings=settings)
    _show_findings(data)
    return data


def _show_findings(data, change_log: list[dict] | None = None) -> None:
    for note in data.notes:
        err_console.print(f"[dim]note: {escape(note)}[/]", soft_wrap=True, highlight=False)
    for warning in data.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(str(warning))}", soft_wrap=True,
                          highlight=False)
    for entry in change_log or []:
        if entry.get("warning"):
            err_console.print(f"[yellow]warning:[/] {escape(_change_warning(entry))}",
                              soft_wrap=True, highlight=False)


def _change_warning(entry: dict) -> str:
    where = entry["column"] if entry["table"] == "model.yaml" else (
        f"{entry['table']}.{entry['column']}")
    return f"{entry['source']}: {where}: {entry['warning']}"


# -- data commands -------------------------------------------------------------------------------


@command()
def validate(model: ModelArg) -> None:
    """Check every table of a model and print every problem (exit 2 if there is any)."""
    data = _load(model, forecast=False)
    warned = f" ({len(data.warnings)} warning(s))" if data.warnings else ""
    console.print(
        f"[green]OK[/] {escape(str(model))}: {len(data.products)} products, "
        f"{len(data.facilities)} DCs, {len(data.customers)} customers, {len(data.demand)} demand "
        f"rows{warned}"
    )


@command()
def info(
    model: ModelArg,
    places: Annotated[int, typer.Option(help="Geocoded places to list (0: none)")] = 20,
) -> None:
    """Counts, totals, settings, and the places geocoded from a location (with their lat/lon)."""
    from rich.table import Table

    data = _load(model, forecast=False)
    s = data.settings
    table = Table(title=f"{s.name} ({model})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("totals")
    fac = data.facilities
    status = fac["status"].value_counts().to_dict()
    demand_units = data.demand["annual_units"].sum()
    revenue = (data.demand.merge(data.products, on="product")
               .eval("annual_units * unit_price").sum())
    segments = data.products["segment"].value_counts(dropna=True).to_dict()
    rows = [
        ("products", len(data.products), f"segments: {segments}"),
        ("suppliers", len(data.suppliers), f"supply rows: {len(data.supply)}"),
        ("facilities", len(fac), ", ".join(f"{k}: {v}" for k, v in status.items())),
        ("facility_options", len(data.facility_options), ""),
        ("customers", len(data.customers), f"regions: {data.customers['region'].nunique()}"),
        ("demand", len(data.demand),
         f"{demand_units:,.0f} units/yr, revenue {revenue:,.0f} {s.currency}/yr"),
        ("modes", len(data.modes), ", ".join(data.modes["mode"])),
        ("lanes", len(data.lanes), "explicit lane overrides"),
    ]
    for name, count, total in rows:
        table.add_row(name, f"{count:,}", escape(str(total)))
    console.print(table)
    console.print(
        f"strategy={s.strategy} sourcing={s.sourcing} pooling={s.inventory.pooling} "
        f"service.max_days={s.service.max_days} fuel_index={s.fuel_index}"
    )
    _print_places(data.places, places)


def _print_places(found, limit: int) -> None:
    if found is None or found.empty or limit <= 0:
        return
    from rich.table import Table

    table = Table(title=f"{len(found)} place(s) geocoded from location")
    for column, justify in (("table", "left"), ("id", "left"), ("location", "left"),
                            ("lat", "right"), ("lon", "right"), ("found", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for row in found.head(limit).itertuples():
        table.add_row(row.table, escape(str(row.id)), escape(row.location), f"{row.lat:.4f}",
                      f"{row.lon:.4f}", escape(f"{row.place} [{row.source}]"))
    console.print(table)
    if len(found) > limit:
        console.print(f"... and {len(found) - limit} more (--places {len(found)} lists all; "
                      "`netdesign geocode` writes them into the model)")


@command()
def geocode(model: ModelArg) -> None:
    """Write the lat/lon of every place given by location into the model's files."""
    from netdesign.places import write_places

    data = _load(model)
    written = write_places(model, data)
    if not written:
        console.print(f"nothing to write: every place of {escape(str(model))} has lat and lon")
        return
    for file, count in written.items():
        console.print(f"wrote lat/lon of {count} place(s) into {escape(file)}")



def accuracy_table(table, by: str, title: str):
    """Accuracy rows (WAPE, bias, MASE, MAPE) as a terminal table that fits 80 columns."""
    from rich.table import Table

    out = Table(title=title)
    for name, justify in ((by, "left"), ("series", "right"), ("units", "right"),
                          ("WAPE", "right"), ("bias", "right"), ("MASE", "right"),
                          ("MAPE", "right")):
        out.add_column(name, justify=justify)
    for row in table.itertuples():
        mape = "n/a" if row.mape != row.mape else f"{100 * row.mape:.1f}%"
        out.add_row(str(getattr(row, by, "all")), f"{row.series:,}", f"{row.actual:,.0f}",
                    f"{100 * row.wape:.1f}%", f"{100 * row.bias:+.1f}%", f"{row.mase:.2f}",
                    mape)
    return out


@command()
def forecast(
    model: ModelArg,
    horizon: Annotated[int | None, typer.Option(help="Months to forecast (≥ 12; the planning "
                                                 "year is the first 12)")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the forecast tables (CSV) here")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Forecast the planning year from demand_history: a method per series chosen by backtest,
    accuracy by segment, the demand table with demand_sd from the forecast error."""
    from rich.table import Table

    from netdesign.forecast import forecast_demand

    extra = {"forecast": {"horizon_months": horizon}} if horizon is not None else {}
    data = _load(model, forecast=False, settings=extra)
    if data.demand_history.empty:
        raise InputError(f"{model}: no demand_history table to forecast")
    result = forecast_demand(data)
    paths = result.write(out) if out else []
    if json_out:
        print(json.dumps({**result.summary(), "files": [str(p) for p in paths]}, default=float))
        return
    summary = result.summary()
    console.print(f"forecast of {summary['series']:,} customer × product series "
                  f"({result.kind}ly history, planning year from {summary['planning_start']}) "
                  f"in {result.seconds:.1f}s; levels: {summary['levels']}")
    console.print(accuracy_table(result.accuracy["segment"], "segment", "backtest accuracy"))
    methods = Table(title="methods chosen")
    methods.add_column("method")
    methods.add_column("series", justify="right")
    for name, count in summary["methods"].items():
        methods.add_row(name, f"{count:,}")
    console.print(methods)
    console.print(f"planning-year demand {summary['annual_units']:,.0f} units")
    for path in paths:
        console.print(f"  wrote {escape(str(path))}")


@command()
def convert(
    model: ModelArg,
    out: Annotated[Path, typer.Argument(help="Target: a .xlsx file, or a folder")],
) -> None:
    """Turn a model folder into a workbook (OUT ends in .xlsx) or a workbook into a folder."""
    from netdesign.io import convert as convert_model

    target = convert_model(model, out)
    console.print(f"wrote {escape(str(target))}")


# -- solve -----------------------------------------------------------------------------------------


def _progress_printer(quiet: bool):
    """Solver progress on stderr (None when ``quiet``)."""
    if quiet:
        return None

    def show(event: dict) -> None:
        err_console.print(
            f"  [dim]{event['phase']} {event['elapsed']:7.1f}s  incumbent {event['incumbent']:,.0f}"
            f"  bound {event['bound']:,.0f}  gap {100 * event['gap']:.2f}%[/]"
        )

    return show


def _results_payload(data, results) -> dict:
    from netdesign.kpis import compute_kpis

    payload = results.summary()
    payload["kpis"] = compute_kpis(data, results) if results.ok else {}
    return payload


def _failure_payload(err: BaseException) -> dict:
    """The one JSON object of a ``solve --json`` that ended in an exception."""
    code = exit_code_of(err)
    status = {EXIT_INPUT: "input_error", EXIT_SIGINT: "interrupted",
              EXIT_SIGTERM: "interrupted"}.get(code, "internal_error")
    payload: dict[str, Any] = {"status": status, "exit_code": code,
                               "error": str(err) or type(err).__name__}
    if isinstance(err, ModelValidationError):
        payload["problems"] = [str(p) for p in err.problems]
    return payload


def solve_exit_code(status: str, has_solution: bool, stop_signal: int | None) -> int:
    """0 solved (optimal, or time limit with an incumbent); 3 infeasible or unbounded; 4 time
    limit without a solution; 130/143 interrupted by SIGINT/SIGTERM; 1 a solver error."""
    if status == "interrupted":
        return EXIT_SIGTERM if stop_signal == signal.SIGTERM else EXIT_SIGINT
    if status in ("infeasible", "unbounded"):
        return EXIT_INFEASIBLE
    if has_solution:
        return EXIT_OK
    return EXIT_NO_SOLUTION if status == "time_limit" else EXIT_INTERNAL


def _threads_in_range(value: int | None) -> int | None:
    from netdesign.schema import MAX_THREADS  # the schema's range for solver.threads

    if value is not None and not 1 <= value <= MAX_THREADS:
        raise typer.BadParameter(f"{value} is not a thread count from 1 to {MAX_THREADS}")
    return value


@command()
def solve(
    model: ModelArg,
    time_limit: Annotated[float | None, typer.Option(help="Seconds (default: model.yaml)")] = None,
    gap: Annotated[float | None, typer.Option(help="Relative MIP gap (model.yaml)")] = None,
    threads: Annotated[int | None, typer.Option(help="HiGHS threads",
                                                callback=_threads_in_range)] = None,
    out: Annotated[Path | None, typer.Option(help="Write result tables (CSV) here")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    scenario: Annotated[Path | None, typer.Option(help="Apply this scenario file")] = None,
    point: Annotated[int, typer.Option(help="Sweep point of the scenario (0-based)")] = 0,
    set_: Annotated[list[str] | None, typer.Option("--set", help="key=value setting")] = None,
) -> None:
    """Solve the network design MIP of a model (exit 0 solved, 3 infeasible, 4 no solution in
    time, 2 input error, 130 Ctrl-C: the incumbent is kept)."""
    options = dict(time_limit=time_limit, mip_gap=gap, threads=threads)
    try:
        payload, code, results = _solve(model, options, out, json_out, scenario, point,
                                        set_ or [])
    except (typer.Exit, click.exceptions.Exit):
        raise
    except (Exception, KeyboardInterrupt, _Terminated) as err:
        if exit_code_of(err) in (EXIT_SIGINT, EXIT_SIGTERM):
            _ignore_further_signals()
        if json_out:
            print(json.dumps(_failure_payload(err)), flush=True)
        raise
    if json_out:
        print(json.dumps(payload, default=float), flush=True)
    else:
        _print_solve_summary(results, out)
    for line in results.diagnosis:
        err_console.print(f"  {line}", markup=False, soft_wrap=True)
    if code != EXIT_OK:
        raise typer.Exit(code)


def _solve(model: Path, options: dict, out: Path | None, quiet: bool, scenario: Path | None,
           point: int, sets: list[str]):
    from netdesign.optimization.highs import stop_on_signals
    from netdesign.solve import NetworkModel, fixed_network_model

    change_log: list[dict] = []
    base_data = None
    if scenario is not None or sets:
        data, change_log, base_data = _apply_for_solve(model, scenario, point, sets)
        _show_findings(data, change_log)
    else:
        data = _load(model)
    say = err_console.print if quiet else console.print  # --json: stdout holds the JSON only
    say(f"building {escape(data.settings.name)} ...")
    if out:
        out.mkdir(parents=True, exist_ok=True)
    with stop_on_signals() as stop:
        if base_data is not None:
            say("fixed_network: solving the baseline for the design to keep ...")
            try:
                network_model = fixed_network_model(base_data, data, **options)
            except RuntimeError as err:  # the baseline has no design to keep
                raise InputError(f"{scenario}: {err}") from None
        else:
            network_model = NetworkModel(data)
        size = network_model.size
        say(f"built in {network_model.build_seconds:.1f}s: {size['columns']:,} columns, "
            f"{size['rows']:,} rows, {size['nonzeros']:,} nonzeros, "
            f"{size['integer_columns']:,} integer; solving ...")
        results = network_model.solve(**options, progress=_progress_printer(False),
                                      log_path=out / "solver.log" if out else None)
    if out and results.ok:
        results.write(out)
    payload = _results_payload(data, results)
    if change_log:
        payload["changes"] = change_log
    if data.warnings:
        payload["warnings"] = [str(w) for w in data.warnings]
    code = solve_exit_code(results.status, results.ok, stop.signal)
    payload["exit_code"] = code
    return payload, code, results


def _apply_for_solve(model: Path, scenario: Path | None, point: int, sets: list[str]):
    """Model data with a scenario point and --set overrides applied, its change log, and for a
    fixed_network scenario the baseline data whose design it keeps (else None)."""
    from netdesign.io import read_model
    from netdesign.scenario import BASELINE, apply_scenario, load_scenarios, parse_set

    overrides = parse_set(sets)
    runs = load_scenarios(scenario) if scenario else [BASELINE]
    if not 0 <= point < len(runs):
        raise ScenarioError(f"{scenario}: --point {point} out of range (0..{len(runs) - 1})")
    run = runs[point]
    applied = apply_scenario(read_model(run.model or model), run, overrides)
    base = None
    if run.mode == "fixed_network":
        base = apply_scenario(read_model(run.model or model), BASELINE, overrides).data
    return applied.data, applied.log, base


def _print_solve_summary(results, out: Path | None) -> None:
    from rich.table import Table

    if not results.ok:
        err_console.print(f"[bold red]{results.status}[/]")
        return
    gap = "" if results.gap is None else f", gap {100 * results.gap:.2f}%"
    bound = "" if results.bound is None else f"bound {results.bound:,.0f}"
    console.print(
        f"[green]{results.status}[/] total landed cost {results.objective:,.0f}/yr "
        f"({bound}{gap}) in {results.solve_seconds:.1f}s"
    )
    console.print(f"open DCs: {escape(', '.join(results.open_facilities))}")
    table = Table(title="cost lines")
    table.add_column("line")
    table.add_column("per year", justify="right")
    for line, value in results.costs.items():
        if abs(value) > 0.5:
            table.add_row(line, f"{value:,.0f}")
    console.print(table)
    if out:
        console.print(f"result tables written to {escape(str(out))}")


# -- studies ---------------------------------------------------------------------------------------


def study_exit_code(statuses: list[str]) -> int:
    """0 when every run has a solution; else 2 (a run could not be set up or failed), 3 (a run is
    infeasible or unbounded) or 4 (a run found no solution in time), in that order."""
    if "error" in statuses:
        return EXIT_INPUT
    if {"infeasible", "unbounded"} & set(statuses):
        return EXIT_INFEASIBLE
    if "time_limit" in statuses:
        return EXIT_NO_SOLUTION
    return EXIT_OK


@command()
def study(
    model: ModelArg,
    scenarios: Annotated[list[Path], typer.Option(help="Scenario files or folders")],
    out: Annotated[Path, typer.Option(help="Study folder (results.duckdb, report)")] = Path("out"),
    workers: Annotated[int, typer.Option(help="Local worker processes")] = 2,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="key=value setting")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per run")] = None,
    gap: Annotated[float | None, typer.Option(help="Relative MIP gap per run")] = None,
    report: Annotated[bool, typer.Option(help="Write the HTML report and workbook")] = True,
    yes: Annotated[bool, typer.Option("--yes", help="Run sweeps of more than 100 points "
                                      "without asking")] = False,
) -> None:
    """Solve the baseline and every scenario, store them, and print the comparison (HiGHS
    threads per run: solver.threads; exit 0 when every run has a solution). Ctrl-C or SIGTERM
    keeps every finished run (exit 130 / 143); a second Ctrl-C stops at once."""
    import time

    from netdesign.files import folder_lock
    from netdesign.scenario import parse_set
    from netdesign.study import run_study

    if workers < 1:
        raise InputError(f"--workers {workers}: expected at least 1")
    overrides = parse_set(set_ or [])
    started = time.perf_counter()
    statuses: list[str] = []

    say = functools.partial(console.print, highlight=False, soft_wrap=True)  # one line per event

    def show(event: str, outcome) -> None:
        elapsed = time.perf_counter() - started
        if outcome is None:
            if event.startswith("✗"):
                statuses.append("error")
            say(f"[dim]{elapsed:7.1f}s[/] {escape(event)}")
            return
        r, run_id = outcome.results, escape(outcome.task.run_id)
        for entry in outcome.task.change_log:
            if entry.get("warning"):
                say(f"[dim]{elapsed:7.1f}s[/] [yellow]warning[/] {run_id}: "
                    f"{escape(_change_warning(entry))}")
        if event.startswith("done "):  # a scenario run: its place among them
            run_id = f"{escape(f'[{event.split()[1]}]')} {run_id}"
        statuses.append("error" if r is None else r.status if not r.ok else "solved")
        if r is None:
            say(f"[dim]{elapsed:7.1f}s[/] [red]✗ {run_id}[/]: {escape(outcome.error)}")
        elif r.ok:
            gap = (f"gap {r.gap:.2%} (of total {r.gap_total:.3%})" if r.gap is not None
                   and r.gap_total is not None else "")
            reuse = " (persistent re-solve)" if outcome.reused_model else ""
            mark = "⇄" if event == "settled" else "✓"
            kept = [e["design_of"] for e in outcome.exchanges if e.get("kept")]
            notes = [e["note"] for e in outcome.exchanges if e.get("note")]
            extra = (f"; design of {', '.join(map(escape, kept))} kept" if kept else "") + (
                f"; {escape('; '.join(notes))}" if notes else "")
            say(f"[dim]{elapsed:7.1f}s[/] [green]{mark} {run_id}[/]: {r.status} "
                f"{r.objective:,.0f} {gap}, {r.solve_seconds:.0f}s{reuse}{extra}")
        else:
            say(f"[dim]{elapsed:7.1f}s[/] [yellow]! {run_id}[/]: {r.status}; "
                + escape("; ".join(r.diagnosis[:3])))

    with folder_lock(out):  # the comparison and the report are written under the study's lock
        run_study(model, list(scenarios), out, workers=workers, scheduler=scheduler,
                  overrides=overrides, time_limit=time_limit, mip_gap=gap, progress=show,
                  confirm=functools.partial(_confirm_sweep, yes))
        _study_outputs(model, out, report, started)
    code = study_exit_code(statuses)
    if code != EXIT_OK:
        raise typer.Exit(code)


def _confirm_sweep(yes: bool, question: str) -> bool:
    """Whether to run a large sweep: yes with ``--yes``, else asked on a terminal; without one,
    InputError (exit 2) saying how to run it."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise InputError(f"{question}; pass --yes to run it")
    return typer.confirm(f"{question}. Run it?", err=True)


def _study_outputs(model: Path, out: Path, report: bool, started: float) -> None:
    """Print the forecast accuracy and the comparison, write the comparison CSVs and (with
    ``report``) the report, and list what was written (``started``: the command's start)."""
    import time

    from netdesign.compare import compare as compare_runs
    from netdesign.compare import write_comparison
    from netdesign.results import SOLVED

    accuracy = out / "forecast" / "accuracy_segment.csv"
    if accuracy.exists():
        import pandas as pd

        console.print(accuracy_table(pd.read_csv(accuracy), "segment",
                                     "forecast accuracy (demand from the history)"))
    from netdesign.store import ResultsStore

    with ResultsStore(out / "results.duckdb", read_only=True) as store:
        runs = store.runs()
    failed = runs[~(runs["status"].isin(SOLVED) & runs["objective"].notna())]
    paths: list[Path] = []
    if "baseline" in set(failed["run_id"]):  # nothing to compare against, nothing to report
        err_console.print("[yellow]the baseline has no solution: no comparison and no report "
                          "(see its diagnosis above)[/]")
    else:
        comparison = compare_runs(out)
        _print_comparison(comparison)
        paths = write_comparison(comparison, out)
        if report:
            from netdesign.report import write_report

            paths += write_report(out, model=model)
    console.print(f"study done in {time.perf_counter() - started:.0f}s: "
                  f"{len(runs)} runs, {len(failed)} without a solution; results in "
                  f"{escape(str(out / 'results.duckdb'))}")
    for path in paths:
        console.print(f"  {escape(str(path))}")
    report_html = [p for p in paths if p.suffix == ".html"]
    if report_html:
        console.print(f"report: {escape(str(report_html[0]))}")


def _print_comparison(comparison) -> None:
    """The summary (gaps, certified deltas), KPI, cost and P&L tables, fitted to the
    terminal."""
    from netdesign.compare import comparison_table

    for what in ("summary", "kpis", "costs", "pnl"):
        console.print(comparison_table(comparison, what, width=console.width))


def _study_folder(study_dir: Path) -> Path:
    if not (study_dir / "results.duckdb").is_file():
        raise InputError(f"{study_dir}: no results.duckdb here; run `netdesign study` first")
    return study_dir


@command()
def compare(
    study_dir: Annotated[Path, typer.Argument(help="Study folder with results.duckdb")],
    baseline: Annotated[str, typer.Option(help="Run id to compare against")] = "baseline",
) -> None:
    """Scenarios × KPIs and cost lines, absolute and delta vs the baseline (table + CSV)."""
    from netdesign.compare import compare as compare_runs
    from netdesign.compare import write_comparison
    from netdesign.files import folder_lock

    with folder_lock(_study_folder(study_dir)):  # never beside a running study
        try:
            comparison = compare_runs(study_dir, baseline)
        except (KeyError, ValueError) as err:
            raise InputError(str(err).strip("'\"")) from None
        _print_comparison(comparison)
        paths = write_comparison(comparison, study_dir)
    for path in paths:
        console.print(f"wrote {escape(str(path))}")


@command()
def report(
    study_dir: Annotated[Path, typer.Argument(help="Study folder with results.duckdb")],
    model: Annotated[Path | None, typer.Option(help="Model (for the maps); default: "
                                               "study.json")] = None,
) -> None:
    """Write the offline HTML report (report.html) and the finance workbook (study.xlsx)."""
    from netdesign.files import folder_lock
    from netdesign.report import write_report

    with folder_lock(_study_folder(study_dir)):  # never beside a running study
        paths = write_report(study_dir, model=model)
    for path in paths:
        console.print(f"wrote {escape(str(path))}")


# -- robust design ---------------------------------------------------------------------------------


@command()
def robust(
    model: ModelArg,
    scenarios: Annotated[list[Path], typer.Option(help="Scenario files or folders (the futures)")],
    objective: Annotated[str, typer.Option(help="expected | regret | cvar")] = "expected",
    alpha: Annotated[float, typer.Option(help="CVaR level in [0, 1)")] = 0.9,
    time_limit: Annotated[float | None, typer.Option(help="Seconds per MIP (model.yaml)")] = None,
    gap: Annotated[float | None, typer.Option(help="Relative MIP gap of the controllable cost "
                                              "(model.yaml)")] = None,
    threads: Annotated[int, typer.Option(help="HiGHS threads",
                                         callback=_threads_in_range)] = 1,
    as_is: Annotated[Path | None, typer.Option(
        "--as-is", help="Scenario file of today's network (e.g. scenarios/as_is.yaml): the "
        "CapEx case of the design against it in every scenario")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """One design for every scenario (two-stage stochastic, extensive form): the design, its
    regret table, VSS and EVPI with the intervals the bounds certify (exit 0 solved, 2 input
    error, 3 infeasible, 4 no solution in time)."""
    from netdesign.robust import OBJECTIVES
    from netdesign.scenario import discover

    try:
        if objective not in OBJECTIVES:
            raise InputError(f"--objective {objective!r}: expected one of "
                             f"{', '.join(OBJECTIVES)}")
        if not 0.0 <= alpha < 1.0:
            raise InputError(f"--alpha {alpha:g}: expected a number in [0, 1)")
        from netdesign.robust import solve_robust

        say = err_console.print if json_out else console.print
        files = discover(scenarios)
        say(f"robust design over {len(files)} scenario file(s), objective {objective} ...")
        result = solve_robust(model, files, objective=objective, alpha=alpha,
                              time_limit=time_limit, mip_gap=gap, threads=threads,
                              as_is=as_is, say=lambda line: err_console.print(line, markup=False,
                                                                 highlight=False))
    except (Exception, KeyboardInterrupt, _Terminated) as err:
        if json_out:
            print(json.dumps(_failure_payload(err)), flush=True)
        raise
    code = solve_exit_code(result.status, result.ok, None)
    if json_out:
        payload = result.summary()
        payload["exit_code"] = code
        print(json.dumps(payload, default=float), flush=True)
    else:
        _print_robust(result)
    if code != EXIT_OK:
        raise typer.Exit(code)


def _whole(value: float) -> str:
    """A currency amount rounded to a whole number, without a "-0"."""
    return f"{round(value):,}" if value == value and abs(value) != float("inf") else str(value)


def _print_robust(result) -> None:
    """The design, the regret table and VSS/EVPI, in at most 80 columns."""
    out = functools.partial(console.print, markup=False, highlight=False)
    if not result.ok:
        err_console.print(f"[bold red]{result.status}[/]")
        for note in result.notes:
            err_console.print(f"  {note}", markup=False, soft_wrap=True)
        return
    size = result.size
    value = f"{result.value:,.0f}" if result.value is not None else "-"
    gap = "-" if result.gap is None else f"{100 * result.gap:.2f}%"
    out(f"{result.status}: {result.objective} objective {value} in "
        f"{result.solve_seconds:.1f}s")
    out(f"gap {gap} of the controllable cost")
    out(f"extensive form: {size['columns']:,} columns, {size['integer_columns']:,} integer, "
        f"{size['rows']:,} rows")
    d = result.design
    out(f"open DCs: {', '.join(sorted(d.open)) or '-'}")
    if d.options:
        out(f"options: {', '.join(f'{f}/{o}' for f, o in sorted(d.options))}")
    if d.stocked:
        out(f"stocking points: {len(d.stocked)}")
    out("")
    out(f"{'scenario':<24} {'p':>5} {'cost/yr':>15} {'own optimum':>15} {'regret':>15}")
    for r in result.rows:
        out(f"{r.scenario[:24]:<24} {r.probability:>5.3f} {r.cost.objective:>15,.0f} "
            f"{r.own.objective:>15,.0f} {_whole(r.regret.point):>15}")
    out(f"{'expected':<24} {1.0:>5.3f} {result.expected_cost:>15,.0f}")
    out(f"worst regret {_whole(result.worst_regret)}; CVaR_{result.alpha:g} "
        f"{_whole(result.cvar)}")
    for name, interval in (("EVPI = RP - WS ", result.evpi), ("VSS  = EEV - RP", result.vss)):
        if interval is not None:
            verdict = "" if interval.significant else " (not significant at this gap)"
            out(f"{name} {_whole(interval.point)} in [{_whole(interval.low)}, "
                f"{_whole(interval.high)}]{verdict}")
    if any(r.npv is not None for r in result.rows):
        out("")
        out(f"{'CapEx case vs today':<24} {'NPV':>15}   {'certified interval':>33}")
        for r in result.rows:
            if r.npv is not None:
                out(f"{r.scenario[:24]:<24} {_whole(r.npv.point):>15}   "
                    f"[{_whole(r.npv.low):>15}, {_whole(r.npv.high):>15}]")
        loss = result.loss_probability
        if loss is not None:
            out(f"P(NPV < 0) = {loss[0]:.3f} (between {loss[1]:.3f} and {loss[2]:.3f} at "
                "these gaps)")
    if result.mean_value_note:
        out(result.mean_value_note, soft_wrap=False)
    for note in result.notes:
        out(note)


# -- benchmarks ------------------------------------------------------------------------------------

import_app = typer.Typer(help="Turn public benchmark files into ordinary model folders.")
app.add_typer(import_app, name="import")


@command(import_app, "orlib")
def import_orlib_command(
    file: Annotated[Path, typer.Argument(help="OR-Library cap*.txt file")],
    out: Annotated[Path, typer.Option(help="Model folder to write")],
    capacity: Annotated[float | None, typer.Option(help="Facility capacity (capa/b/c)")] = None,
    sourcing: Annotated[str, typer.Option(help="multi (split) or single")] = "multi",
    uncapacitated: Annotated[bool, typer.Option(help="Drop capacities (UFLP)")] = False,
) -> None:
    """Import an OR-Library capacitated warehouse location instance."""
    from netdesign.importers import import_orlib

    folder = _importing(lambda: import_orlib(file, out, capacity=capacity, sourcing=sourcing,
                                             uncapacitated=uncapacitated, overwrite=True), file)
    console.print(f"wrote {escape(str(folder))}")


@command(import_app, "sscflp")
def import_sscflp_command(
    file: Annotated[Path, typer.Argument(help="SSCFLP instance file")],
    out: Annotated[Path, typer.Option(help="Model folder to write")],
    format: Annotated[str, typer.Option(help="holmberg | delmaire | orlib")] = "holmberg",
    capacity: Annotated[float | None, typer.Option(help="Capacity (orlib format only)")] = None,
) -> None:
    """Import a single-source capacitated facility location instance."""
    from netdesign.importers import import_sscflp

    folder = _importing(lambda: import_sscflp(file, out, format, capacity=capacity,
                                              overwrite=True), file)
    console.print(f"wrote {escape(str(folder))}")


def _importing(run: Callable[[], Path], file: Path) -> Path:
    """An instance file that does not parse is an input error, not a crash."""
    try:
        return run()
    except (ValueError, IndexError, KeyError, UnicodeDecodeError) as err:
        raise InputError(f"{file}: not an instance of this format ({err})") from None


@command()
def bench(
    kind: Annotated[str, typer.Argument(help="orlib or sscflp")],
    folder: Annotated[Path | None, typer.Argument(help="Folder with the instance files")] = None,
    instances: Annotated[str | None, typer.Option(help="Comma-separated names")] = None,
    time_limit: Annotated[float, typer.Option(help="Seconds per instance")] = 600,
) -> None:
    """Solve benchmark instances and compare with their published optima."""
    from netdesign.bench import print_benchmarks, run_benchmarks

    names = instances.split(",") if instances else None

    def show(row: dict) -> None:
        console.print(f"  {row['instance']}: {row['status']} {row['ours']} "
                      f"({row['seconds']:.1f}s)", highlight=False)

    try:
        table = run_benchmarks(kind, folder, names, time_limit=time_limit, on_result=show)
    except ValueError as err:  # an unknown kind or instance name, an unreadable optima file
        raise InputError(str(err)) from None
    print_benchmarks(table, console=console, title=f"{kind} benchmarks")


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
