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

ModelArg = Annotated[Path, typer.Argument(help="Model folder (model.yaml + CSVs) or .xlsx workbook")]


def _load_or_exit(model: Path):
    try:
        return load_model(model)
    except ModelValidationError as err:
        err_console.print(f"[bold red]{len(err.problems)} problem(s) in {model}[/]")
        for problem in err.problems:
            err_console.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except FileNotFoundError as err:
        err_console.print(f"[bold red]{err}[/]")
        raise typer.Exit(2) from None


@app.command()
def validate(model: ModelArg) -> None:
    """Check every table of a model and print every problem (exit 1 if there is any)."""
    data = _load_or_exit(model)
    console.print(
        f"[green]OK[/] {model}: {len(data.products)} products, {len(data.facilities)} DCs, "
        f"{len(data.customers)} customers, {len(data.demand)} demand rows"
    )


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
    rows = [
        ("products", len(data.products), f"segments: {data.products['segment'].value_counts(dropna=True).to_dict()}"),
        ("suppliers", len(data.suppliers), f"supply rows: {len(data.supply)}"),
        ("facilities", len(fac), ", ".join(f"{k}: {v}" for k, v in status.items())),
        ("facility_options", len(data.facility_options), ""),
        ("customers", len(data.customers), f"regions: {data.customers['region'].nunique()}"),
        ("demand", len(data.demand), f"{demand_units:,.0f} units/yr, revenue {revenue:,.0f} {s.currency}/yr"),
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
    target = convert_model(model, out)
    console.print(f"wrote {target}")


def main() -> None:  # pragma: no cover - entry point
    app()
