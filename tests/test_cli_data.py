"""The data commands of the CLI (validate, info, convert) and the README's format reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import tiny_spec_data
from netdesign.cli import app
from netdesign.docs import END, START, format_reference
from netdesign.schema import TABLES, Settings
from netdesign.validate import load_model

README = Path(__file__).resolve().parents[1] / "README.md"
WIDE = {"COLUMNS": "250"}  # rich wraps at the terminal width; keep each message on one line


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_validate_ok(runner: CliRunner, tiny_model: Path):
    result = runner.invoke(app, ["validate", str(tiny_model)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout
    assert "2 products, 3 DCs, 3 customers, 3 demand rows" in result.stdout


def test_validate_broken_prints_every_problem(runner: CliRunner, tmp_path: Path):
    spec = tiny_spec_data()
    spec.set("products", 3, "unit_price", "abc").set("modes", 2, "fuel_share", "1.5")
    spec.add_row("demand", customer="C9", product="A", annual_units="5")
    folder = spec.write(tmp_path / "broken")
    result = runner.invoke(app, ["validate", str(folder)], env=WIDE)
    assert result.exit_code == 2  # input error
    assert f"3 problem(s) in {folder}" in result.stderr
    for message in [
        "products:3:unit_price: found 'abc', expected a number",
        "demand:5:customer: unknown customer 'C9', expected an id listed in customers",
        "modes:2:fuel_share: found 1.5, expected a number from 0 to 1",
    ]:
        assert f"  {message}\n" in result.stderr
    assert result.stdout == ""


def test_validate_missing_model(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2


def test_info_prints_counts(runner: CliRunner, tiny_model_with_suppliers: Path):
    result = runner.invoke(app, ["info", str(tiny_model_with_suppliers), "--places", "0"],
                           env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "tiny" in out
    rows = {cells[1]: cells[2] for line in out.splitlines()
            if len(cells := [c.strip() for c in line.split("│")]) > 3}
    assert rows == {"products": "2", "suppliers": "2", "facilities": "3",
                    "facility_options": "0", "customers": "3", "demand": "3", "modes": "1",
                    "lanes": "0"}, out
    assert "supply rows: 3" in out
    assert "existing: 1" in out and "candidate: 2" in out
    assert "3,500 units/yr" in out  # 1000 + 2000 + 500
    assert "service.max_days=3.0" in out


def test_info_on_broken_model_exits_2(runner: CliRunner, tmp_path: Path):
    folder = tiny_spec_data().drop_table("modes").write(tmp_path / "m")
    result = runner.invoke(app, ["info", str(folder)], env=WIDE)
    assert result.exit_code == 2
    assert "modes:-:-: table missing" in result.stderr


def test_convert_both_ways(runner: CliRunner, tiny_model: Path, tmp_path: Path):
    book = tmp_path / "tiny.xlsx"
    result = runner.invoke(app, ["convert", str(tiny_model), str(book)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert book.exists() and "wrote" in result.stdout
    back = tmp_path / "back"
    result = runner.invoke(app, ["convert", str(book), str(back)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert (back / "model.yaml").exists() and (back / "demand.csv").exists()
    assert load_model(back).settings == load_model(tiny_model).settings
    assert runner.invoke(app, ["validate", str(book)], env=WIDE).exit_code == 0


@pytest.mark.parametrize("command", ["validate", "info", "convert"])
def test_command_help(runner: CliRunner, command: str):
    result = runner.invoke(app, [command, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout and command in result.stdout


def test_app_help_lists_data_commands(runner: CliRunner):
    result = runner.invoke(app, ["--help"], env=WIDE)
    assert result.exit_code == 0
    for command in ("validate", "info", "convert"):
        assert command in result.stdout


# -- the format reference in README.md -------------------------------------------------------------


def test_readme_holds_the_current_format_reference():
    text = README.read_text()
    assert "## Model format" in text
    assert format_reference() in text, "README is stale: run `python -m netdesign.docs README.md`"
    assert text.index(START) < text.index(format_reference()) < text.index(END)


def test_format_reference_lists_every_column_and_setting():
    reference = format_reference()
    for name, model in TABLES.items():
        assert f"### {name}\n" in reference
        for column in model.model_fields:
            assert f"| `{column}` |" in reference, (name, column)
    for setting in ("name", "service.max_days", "service.band.share", "solver.seed",
                    "unmet_demand.penalty_factor"):
        assert f"| `{setting}` |" in reference
    assert "| `status` |  | candidate |  | existing, candidate, forced_open, forced_closed |" in (
        reference)
    assert "| `service_level` |  | 0.95 | share | number > 0, < 1 |" in reference
    assert "| `throughput_capacity` |  | unlimited | units/year | number ≥ 0 |" in reference
    assert "| `name` | (required) |  | text |" in reference
    assert len(Settings.model_fields) > 10


def test_convert_fails_on_unreadable_rows(runner: CliRunner, tiny_model: Path, tmp_path: Path):
    path = tiny_model / "customers.csv"
    path.write_text(path.read_text().replace('C1,"Miami, FL",SE,', "C1,Miami, FL,SE,"))
    result = runner.invoke(app, ["convert", str(tiny_model), str(tmp_path / "m.xlsx")], env=WIDE)
    assert result.exit_code != 0
    assert not (tmp_path / "m.xlsx").exists()
