"""Command-line interface: ``netdesign --help`` lists the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from netdesign.io import convert as convert_model
from netdesign.validate import ModelValidationError, load_model

app = typer.Typer(
    help="Supply-chain network design: validate models, solve them, run scenario studies.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

ModelArg = Annotated[
    Path, typer.Argument(help="Model folder (model.yaml + CSVs) or .xlsx workbook")
]


def _load_or_exit(model: Path, forecast: bool = True, settings: dict | None = None):
    """Validated model data (a demand history forecast into demand unless ``forecast`` is
    false), or the problems on stderr and exit 1 (2 when the model is not there)."""
    from netdesign.io import RawModel, read_model
    from netdesign.validate import validate as validate_raw

    try:
        if forecast and settings is None:
            return load_model(model)
        raw = read_model(model)
        if settings:
            raw = RawModel(raw.source, _merged(raw.settings, settings), raw.tables, raw.files,
                           raw.errors)
        return validate_raw(raw)
    except ModelValidationError as err:
        err_console.print(f"[bold red]{len(err.problems)} problem(s) in {model}[/]")
        for problem in err.problems:
            err_console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except FileNotFoundError as err:
        err_console.print(f"[bold red]{err}[/]")
        raise typer.Exit(2) from None


@app.command()
def validate(model: ModelArg) -> None:
    """Check every table of a model and print every problem (exit 1 if there is any)."""
    data = _load_or_exit(model, forecast=False)
    console.print(
        f"[green]OK[/] {model}: {len(data.products)} products, {len(data.facilities)} DCs, "
        f"{len(data.customers)} customers, {len(data.demand)} demand rows"
    )


def _merged(settings: dict, extra: dict) -> dict:
    out = dict(settings)
    for key, value in extra.items():
        out[key] = _merged(out.get(key) or {}, value) if isinstance(value, dict) else value
    return out


def accuracy_table(table, by: str, title: str) -> Table:
    """Accuracy rows (WAPE, bias, MASE, MAPE) as a terminal table that fits 80 columns."""
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


@app.command()
def forecast(
    model: ModelArg,
    horizon: Annotated[int | None, typer.Option(help="Months to forecast (≥ 12; the planning "
                                                 "year is the first 12)")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the forecast tables (CSV) here")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """Forecast the planning year from demand_history: a method per series chosen by backtest,
    accuracy by segment, the demand table with demand_sd from the forecast error."""
    import json

    from netdesign.forecast import forecast_demand

    extra = {"forecast": {"horizon_months": horizon}} if horizon is not None else {}
    data = _load_or_exit(model, forecast=False, settings=extra)
    if data.demand_history.empty:
        err_console.print(f"{model}: no demand_history table to forecast", style="bold red",
                          markup=False, soft_wrap=True)
        raise typer.Exit(1)
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
        console.print(f"  wrote {path}")


@app.command()
def info(model: ModelArg) -> None:
    """Counts, totals and a small summary table of a model."""
    data = _load_or_exit(model)
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
        table.add_row(name, f"{count:,}", total)
    console.print(table)
    console.print(
        f"strategy={s.strategy} sourcing={s.sourcing} pooling={s.inventory.pooling} "
        f"service.max_days={s.service.max_days} fuel_index={s.fuel_index}"
    )


@app.command()
def convert(
    model: ModelArg,
    out: Annotated[Path, typer.Argument(help="Target: a .xlsx file, or a folder")],
) -> None:
    """Turn a model folder into a workbook (OUT ends in .xlsx) or a workbook into a folder."""
    try:
        target = convert_model(model, out)
    except ModelValidationError as err:
        err_console.print(str(err), markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"wrote {target}")


def _progress_printer(quiet: bool):
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


@app.command()
def solve(
    model: ModelArg,
    time_limit: Annotated[float | None, typer.Option(help="Seconds (default: model.yaml)")] = None,
    gap: Annotated[float | None, typer.Option(help="Relative MIP gap (model.yaml)")] = None,
    threads: Annotated[int | None, typer.Option(help="HiGHS threads")] = None,
    out: Annotated[Path | None, typer.Option(help="Write result tables (CSV) here")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    scenario: Annotated[Path | None, typer.Option(help="Apply this scenario file")] = None,
    point: Annotated[int, typer.Option(help="Sweep point of the scenario (0-based)")] = 0,
    set_: Annotated[list[str] | None, typer.Option("--set", help="key=value setting")] = None,
) -> None:
    """Solve the network design MIP of a model; exit 1 if infeasible, 2 on error."""
    import json

    from netdesign.solve import NetworkModel

    change_log: list[dict] = []
    base_data = None
    if scenario is not None or set_:
        data, change_log, base_data = _apply_for_solve(model, scenario, point, set_ or [])
    else:
        data = _load_or_exit(model)
    if not json_out:
        console.print(f"building {data.settings.name} ...")
    if base_data is not None:
        from netdesign.solve import fixed_network_model

        if not json_out:
            console.print("fixed_network: solving the baseline for the design to keep ...")
        try:
            network_model = fixed_network_model(base_data, data, time_limit=time_limit,
                                                mip_gap=gap, threads=threads)
        except RuntimeError as err:
            err_console.print(f"[bold red]{err}[/]")
            raise typer.Exit(1) from None
    else:
        network_model = NetworkModel(data)
    size = network_model.size
    if not json_out:
        console.print(
            f"built in {network_model.build_seconds:.1f}s: {size['columns']:,} columns, "
            f"{size['rows']:,} rows, {size['nonzeros']:,} nonzeros, "
            f"{size['integer_columns']:,} integer; solving ..."
        )
    log_path = out / "solver.log" if out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    results = network_model.solve(time_limit=time_limit, mip_gap=gap, threads=threads,
                                  progress=_progress_printer(json_out), log_path=log_path)
    if out and results.ok:
        results.write(out)
    payload = _results_payload(data, results)
    if change_log:
        payload["changes"] = change_log
    if json_out:
        print(json.dumps(payload, default=float))
    else:
        _print_solve_summary(results, out)
    if not results.ok:
        for line in results.diagnosis:
            err_console.print(f"  {line}", markup=False)
        raise typer.Exit(1 if results.status in ("infeasible", "unbounded") else 2)


def _apply_for_solve(model: Path, scenario: Path | None, point: int, sets: list[str]):
    """Model data with a scenario point and --set overrides applied, its change log, and for a
    fixed_network scenario the baseline data whose design it keeps (else None)."""
    from netdesign.io import read_model
    from netdesign.scenario import (
        BASELINE,
        ScenarioError,
        apply_scenario,
        load_scenarios,
        parse_set,
    )

    try:
        overrides = parse_set(sets)
        runs = load_scenarios(scenario) if scenario else [BASELINE]
        if not 0 <= point < len(runs):
            raise ScenarioError(f"{scenario}: --point {point} out of range (0..{len(runs) - 1})")
        run = runs[point]
        applied = apply_scenario(read_model(run.model or model), run, overrides)
    except ScenarioError as err:
        err_console.print(f"[bold red]{err}[/]", soft_wrap=True)
        raise typer.Exit(2) from None
    except ModelValidationError as err:
        err_console.print(str(err), markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    base = None
    if run.mode == "fixed_network":
        base = apply_scenario(read_model(run.model or model), BASELINE, overrides).data
    return applied.data, applied.log, base


def _print_solve_summary(results, out: Path | None) -> None:
    if not results.ok:
        err_console.print(f"[bold red]{results.status}[/]")
        return
    gap = "" if results.gap is None else f", gap {100 * results.gap:.2f}%"
    console.print(
        f"[green]{results.status}[/] total landed cost {results.objective:,.0f}/yr "
        f"(bound {results.bound:,.0f}{gap}) in {results.solve_seconds:.1f}s"
    )
    console.print(f"open DCs: {', '.join(results.open_facilities)}")
    table = Table(title="cost lines")
    table.add_column("line")
    table.add_column("per year", justify="right")
    for line, value in results.costs.items():
        if abs(value) > 0.5:
            table.add_row(line, f"{value:,.0f}")
    console.print(table)
    if out:
        console.print(f"result tables written to {out}")


@app.command()
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
) -> None:
    """Solve the baseline and every scenario, store them, and print the comparison."""
    import time

    from netdesign.compare import compare as compare_runs
    from netdesign.compare import comparison_table, write_comparison
    from netdesign.scenario import ScenarioError, parse_set
    from netdesign.study import run_study

    try:
        overrides = parse_set(set_ or [])
    except ScenarioError as err:
        err_console.print(f"[bold red]{err}[/]")
        raise typer.Exit(2) from None
    from rich.markup import escape

    started = time.perf_counter()

    def show(event: str, outcome) -> None:
        elapsed = time.perf_counter() - started
        if outcome is None:
            console.print(f"[dim]{elapsed:7.1f}s[/] {escape(event)}", highlight=False)
            return
        r, run_id = outcome.results, escape(outcome.task.run_id)
        if r is None:
            console.print(f"[dim]{elapsed:7.1f}s[/] [red]✗ {run_id}[/]: {escape(outcome.error)}",
                          highlight=False)
        elif r.ok:
            gap = f"gap {100 * r.gap:.2f}%" if r.gap is not None else ""
            reuse = " (persistent re-solve)" if outcome.reused_model else ""
            console.print(f"[dim]{elapsed:7.1f}s[/] [green]✓ {run_id}[/]: {r.status} "
                          f"{r.objective:,.0f} {gap}, {r.solve_seconds:.0f}s{reuse}",
                          highlight=False)
        else:
            console.print(f"[dim]{elapsed:7.1f}s[/] [yellow]! {run_id}[/]: {r.status}; "
                          + escape("; ".join(r.diagnosis[:3])), highlight=False)

    try:
        run_study(model, list(scenarios), out, workers=workers, scheduler=scheduler,
                  overrides=overrides, time_limit=time_limit, mip_gap=gap, progress=show)
    except (ScenarioError, ModelValidationError) as err:
        err_console.print(str(err), markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    accuracy = out / "forecast" / "accuracy_segment.csv"
    if accuracy.exists():
        import pandas as pd

        console.print(accuracy_table(pd.read_csv(accuracy), "segment",
                                     "forecast accuracy (demand from the history)"))
    comparison = compare_runs(out)
    console.print(comparison_table(comparison, "kpis"))
    console.print(comparison_table(comparison, "costs"))
    paths = write_comparison(comparison, out)
    if report:
        from netdesign.report import write_report

        paths += write_report(out, model=model)
    failed = comparison.runs[~comparison.runs["status"].isin(["optimal", "time_limit"])]
    console.print(f"study done in {time.perf_counter() - started:.0f}s: "
                  f"{len(comparison.runs)} runs, {len(failed)} without a solution; results in "
                  f"{out / 'results.duckdb'}")
    for path in paths:
        console.print(f"  {path}")
    report_html = [p for p in paths if p.suffix == ".html"]
    if report_html:
        console.print(f"report: {report_html[0]}")


@app.command()
def compare(
    study_dir: Annotated[Path, typer.Argument(help="Study folder with results.duckdb")],
    baseline: Annotated[str, typer.Option(help="Run id to compare against")] = "baseline",
) -> None:
    """Scenarios × KPIs and cost lines, absolute and delta vs the baseline (table + CSV)."""
    from netdesign.compare import compare as compare_runs
    from netdesign.compare import comparison_table, write_comparison

    try:
        comparison = compare_runs(study_dir, baseline)
    except (KeyError, ValueError, FileNotFoundError) as err:
        err_console.print(f"[bold red]{err}[/]")
        raise typer.Exit(1) from None
    console.print(comparison_table(comparison, "kpis"))
    console.print(comparison_table(comparison, "costs"))
    for path in write_comparison(comparison, study_dir):
        console.print(f"wrote {path}")


@app.command()
def report(
    study_dir: Annotated[Path, typer.Argument(help="Study folder with results.duckdb")],
    model: Annotated[Path | None, typer.Option(help="Model (for the maps); default: "
                                               "study.json")] = None,
) -> None:
    """Write the offline HTML report (report.html) and the finance workbook (study.xlsx)."""
    from netdesign.report import write_report

    for path in write_report(study_dir, model=model):
        console.print(f"wrote {path}")


import_app = typer.Typer(help="Turn public benchmark files into ordinary model folders.")
app.add_typer(import_app, name="import")


@import_app.command("orlib")
def import_orlib_command(
    file: Annotated[Path, typer.Argument(help="OR-Library cap*.txt file")],
    out: Annotated[Path, typer.Option(help="Model folder to write")],
    capacity: Annotated[float | None, typer.Option(help="Facility capacity (capa/b/c)")] = None,
    sourcing: Annotated[str, typer.Option(help="multi (split) or single")] = "multi",
    uncapacitated: Annotated[bool, typer.Option(help="Drop capacities (UFLP)")] = False,
) -> None:
    """Import an OR-Library capacitated warehouse location instance."""
    from netdesign.importers import import_orlib

    folder = import_orlib(file, out, capacity=capacity, sourcing=sourcing,
                          uncapacitated=uncapacitated, overwrite=True)
    console.print(f"wrote {folder}")


@import_app.command("sscflp")
def import_sscflp_command(
    file: Annotated[Path, typer.Argument(help="SSCFLP instance file")],
    out: Annotated[Path, typer.Option(help="Model folder to write")],
    format: Annotated[str, typer.Option(help="holmberg | delmaire | orlib")] = "holmberg",
    capacity: Annotated[float | None, typer.Option(help="Capacity (orlib format only)")] = None,
) -> None:
    """Import a single-source capacitated facility location instance."""
    from netdesign.importers import import_sscflp

    folder = import_sscflp(file, out, format, capacity=capacity, overwrite=True)
    console.print(f"wrote {folder}")


@app.command()
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

    table = run_benchmarks(kind, folder, names, time_limit=time_limit, on_result=show)
    print_benchmarks(table, console=console, title=f"{kind} benchmarks")


def main() -> None:  # pragma: no cover - entry point
    app()
