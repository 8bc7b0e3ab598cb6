"""Scenario changes that change nothing are warnings: in the change log, stored with the run,
and on the terminal.

Before: fuel +20 % with every mode's ``fuel_share`` at its default 0 changed no number and said
nothing; a CO2 price without emission factors likewise.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import tiny_spec_data
from netdesign.cli import app
from netdesign.io import read_model
from netdesign.scenario import apply_scenario, load_scenarios
from netdesign.store import ResultsStore

WIDE = {"COLUMNS": "250"}


def _scenario(folder: Path, body: dict) -> Path:
    path = folder / f"{body['name']}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def _warnings(model: Path, body: dict, tmp_path: Path) -> dict[str, str]:
    run = apply_scenario(read_model(model), load_scenarios(_scenario(tmp_path, body))[0])
    return {entry["column"]: entry.get("warning", "") for entry in run.log}


@pytest.fixture
def no_fuel_no_co2(tmp_path: Path) -> Path:
    """The tiny model with every mode's fuel_share and emission factor at their default 0."""
    spec = tiny_spec_data()
    spec.drop_column("modes", "fuel_share").drop_column("modes", "co2_kg_per_tonne_km")
    return spec.write(tmp_path / "plain")


@pytest.mark.parametrize(("body", "column", "warning"), [
    ({"name": "fuel", "settings": {"fuel_index": 1.2}}, "fuel_index",
     "changes nothing: every mode's fuel_share is 0, so no freight rate depends on fuel"),
    ({"name": "carbon", "settings": {"co2_price": 80}}, "co2_price",
     "changes nothing: every mode's co2_kg_per_tonne_km is 0, so there are no emissions to "
     "price"),
    ({"name": "penalty", "settings": {"unmet_demand": {"penalty_factor": 3}}},
     "unmet_demand",
     "changes nothing: unmet_demand.allowed is false, so the penalty is never paid"),
    ({"name": "same", "settings": {"carrying_rate": 0.25}}, "carrying_rate",
     "changes nothing: carrying_rate is already 0.25"),
    ({"name": "scale1", "changes": [{"table": "demand", "where": {"customer": "C1"},
                                     "scale": {"annual_units": 1}}]}, "annual_units",
     "changes nothing: every touched cell keeps its value (scale 1.0)"),
    ({"name": "blank", "changes": [{"table": "facilities", "where": {"facility": "DC_DAL"},
                                    "scale": {"throughput_capacity": 2}}]},
     "throughput_capacity",
     "changes nothing: every touched cell keeps its value (scale 2.0)"),
    # blank = unlimited, and twice unlimited is unlimited
    ({"name": "share", "changes": [{"table": "modes", "where": {"mode": "truck"},
                                    "set": {"fuel_share": 0.4}}]}, "fuel_share",
     "changes nothing: fuel_index is 1, so the fuel part of a rate costs what the base rate "
     "says"),
])
def test_changes_that_reach_no_cost_are_warnings(no_fuel_no_co2: Path, tmp_path: Path,
                                                 body: dict, column: str, warning: str):
    assert _warnings(no_fuel_no_co2, body, tmp_path)[column] == warning


@pytest.mark.parametrize("body", [
    {"name": "fuel", "settings": {"fuel_index": 1.2}},
    {"name": "carbon", "settings": {"co2_price": 80}},
    {"name": "scale", "changes": [{"table": "demand", "where": {"customer": "C1"},
                                   "scale": {"annual_units": 1.1}}]},
])
def test_changes_that_reach_a_cost_say_nothing(tiny_model: Path, tmp_path: Path, body: dict):
    """The tiny model's truck has fuel_share 0.3 and 0.1 kg CO2 per tonne-km."""
    assert set(_warnings(tiny_model, body, tmp_path).values()) == {""}


def test_solve_prints_the_warning_and_json_keeps_it(no_fuel_no_co2: Path, tmp_path: Path):
    scenario = _scenario(tmp_path, {"name": "fuel", "settings": {"fuel_index": 1.2}})
    result = CliRunner().invoke(app, ["solve", str(no_fuel_no_co2), "--scenario",
                                      str(scenario), "--json"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert ("warning: settings: fuel_index: changes nothing: every mode's fuel_share is 0"
            in result.stderr)
    assert '"warning": "changes nothing: every mode' in result.stdout


def test_study_stores_and_prints_the_warning(no_fuel_no_co2: Path, tmp_path: Path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    _scenario(folder, {"name": "fuel_up", "settings": {"fuel_index": 1.2}})
    result = CliRunner().invoke(app, ["study", str(no_fuel_no_co2), "--scenarios", str(folder),
                                      "--out", str(tmp_path / "out"), "--workers", "1",
                                      "--no-report"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "warning fuel_up: settings: fuel_index: changes nothing" in result.stdout
    with ResultsStore(tmp_path / "out" / "results.duckdb", read_only=True) as store:
        runs = store.runs().set_index("run_id")
    [entry] = runs.at["fuel_up", "change_log"]
    assert entry["warning"].startswith("changes nothing: every mode's fuel_share is 0")
