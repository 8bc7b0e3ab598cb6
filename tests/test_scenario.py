"""Scenario files: priority order, collisions, errors naming file and key, sweeps, change log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from netdesign.io import read_model
from netdesign.scenario import (
    BASELINE,
    ScenarioError,
    apply_scenario,
    discover,
    load_scenarios,
    parse_set,
)
from netdesign.validate import ModelValidationError


def write(folder: Path, name: str, body: dict) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def apply(model: Path, path: Path, overrides=None, point: int = 0):
    return apply_scenario(read_model(model), load_scenarios(path)[point], overrides)


def test_priority_model_settings_sweep_changes_command_line(tiny_model, tmp_path):
    path = write(tmp_path, "s", {
        "name": "s", "model": str(tiny_model),
        "settings": {"fuel_index": 1.2, "carrying_rate": 0.3},
        "sweep": {"settings.fuel_index": [1.4, 1.6]},
    })
    run = apply(tiny_model, path, overrides={"carrying_rate": 0.1}, point=1)
    assert run.data.settings.fuel_index == 1.6  # sweep point beats scenario settings
    assert run.data.settings.carrying_rate == 0.1  # --set beats everything
    sources = [(e["source"], e["column"], e["new"]) for e in run.log]
    assert sources == [("settings", "fuel_index", 1.2), ("settings", "carrying_rate", 0.3),
                       ("sweep", "fuel_index", 1.6), ("--set", "carrying_rate", 0.1)]


def test_nested_settings_merge_key_by_key_keeping_siblings(tiny_spec, tmp_path):
    tiny_spec.settings["service"] = {"max_days": 3, "band": {"days": 3, "share": 0.5}}
    model = tiny_spec.write(tmp_path / "m")
    path = write(tmp_path, "s", {"name": "s", "settings": {"service": {"max_days": 4}}})
    run = apply(model, path)
    assert run.data.settings.service.max_days == 4
    assert run.data.settings.service.band.model_dump() == {"days": 3, "share": 0.5}
    assert [(e["column"], e["old"], e["new"]) for e in run.log] == [
        ("service", {"max_days": 3}, {"max_days": 4})]


@pytest.mark.parametrize("settings", [
    {"service.max_days": 3, "service": {"max_days": 4}},
    {"service": {"max_days": 4}, "service.max_days": 3},
])
def test_a_setting_written_twice_in_one_mapping_collides(tiny_model, tmp_path, settings):
    path = write(tmp_path, "twice", {"name": "twice", "settings": settings})
    with pytest.raises(ScenarioError, match=r"twice\.yaml: settings\.service\.max_days: written "
                       r"twice, as '(service\.max_days|service: \{max_days\})' and as "
                       r"'(service: \{max_days\}|service\.max_days)'"):
        apply(tiny_model, path)


@pytest.mark.parametrize(("body", "message"), [
    ({"settings": {"fuel_indx": 1.2}},
     r"typo\.yaml: settings\.fuel_indx: unknown setting \(did you mean 'fuel_index'\?\), "
     r"expected one of name, currency"),
    ({"settings": {"service": {"max_dayz": 4}}},
     r"typo\.yaml: settings\.service\.max_dayz: unknown setting \(did you mean 'max_days'\?\), "
     r"expected one of max_days, band$"),
    ({"sweep": {"settings.co2_prize": [0, 50]}},
     r"typo\.yaml: sweep\.settings\.co2_prize: unknown setting \(did you mean 'co2_price'\?\)"),
    ({"settings": {"fuel_index.x": 1}},
     r"typo\.yaml: settings\.fuel_index\.x: fuel_index is a setting, not a section"),
])
def test_unknown_setting_is_blamed_on_the_scenario_file_and_key(tiny_model, tmp_path, body,
                                                                message):
    path = write(tmp_path, "typo", {"name": "typo", **body})
    with pytest.raises(ScenarioError, match=message):
        apply(tiny_model, path)


def test_unknown_command_line_setting_names_the_set_option(tiny_model):
    with pytest.raises(ScenarioError, match=r"^command line: --set solver\.thread: unknown "
                       r"setting \(did you mean 'threads'\?\)"):
        apply_scenario(read_model(tiny_model), BASELINE, {"solver.thread": 1})


def test_changes_scale_set_add_with_related_where_and_log(tiny_model, tmp_path):
    path = write(tmp_path, "s", {"name": "s", "changes": [
        {"table": "demand", "where": {"region": ["SE", "MW"]}, "scale": {"annual_units": 0.5}},
        {"table": "facilities", "where": {"facility": "DC_CHI"}, "set": {"status": "forced_open"}},
        {"table": "products", "where": {"product": "B"}, "add": {"unit_value": 2}},
        {"table": "facilities", "add": [{"facility": "DC_NEW", "location": "Memphis, TN",
                                          "status": "candidate", "fixed_cost": 1}]},
    ]})
    run = apply(tiny_model, path)
    demand = run.data.demand.set_index("customer")["annual_units"]
    assert demand.to_dict() == {"C1": 500.0, "C2": 1000.0, "C3": 500.0}
    fac = run.data.facilities.set_index("facility")
    assert fac.at["DC_CHI", "status"] == "forced_open"
    assert "DC_NEW" in fac.index and fac.at["DC_NEW", "lat"] == pytest.approx(35.15, abs=0.1)
    assert run.data.products.set_index("product").at["B", "unit_value"] == 7.0
    first = run.log[0]
    assert first["rows"] == 2 and first["table"] == "demand" and first["operation"] == "scale 0.5"
    assert first["old"] == "sum 3,000 over 2 rows" and first["new"] == "sum 1,500 over 2 rows"


def test_two_changes_writing_the_same_cell_collide(tiny_model, tmp_path):
    path = write(tmp_path, "clash", {"name": "clash", "changes": [
        {"table": "demand", "where": {"product": "A"}, "scale": {"annual_units": 0.9}},
        {"table": "demand", "where": {"customer": "C1"}, "set": {"annual_units": 5}},
    ]})
    with pytest.raises(ScenarioError, match=r"clash\.yaml: changes\[2\]: collides with "
                       r"changes\[1\]: both write demand row 2 column 'annual_units'"):
        apply(tiny_model, path)


@pytest.mark.parametrize(("change", "message"), [
    ({"table": "warehouses", "set": {"x": 1}}, "unknown table 'warehouses'"),
    ({"table": "demand", "where": {"customer": "C9"}, "set": {"annual_units": 1}},
     r"where \{'customer': 'C9'\} matches no row of demand"),
    ({"table": "demand", "set": {"colour": 1}}, "unknown column 'colour' in table 'demand'"),
    ({"table": "demand", "where": {"colour": "red"}, "set": {"annual_units": 1}},
     "unknown column 'colour' in where for table 'demand'"),
    ({"table": "customers", "scale": {"region": 2}}, "customers.region value 'SE' is not a "
     "number"),
])
def test_bad_change_names_file_key_and_reason(tiny_model, tmp_path, change, message):
    path = write(tmp_path, "bad", {"name": "bad", "changes": [change]})
    with pytest.raises(ScenarioError, match=r"bad\.yaml: changes\[1\]: " + message):
        apply(tiny_model, path)


@pytest.mark.parametrize(("body", "message"), [
    ({"name": "x", "mode": "sometimes"}, "mode: Input should be 'reoptimize' or 'fixed_network'"),
    ({"name": "x", "colour": 1}, "colour: Extra inputs are not permitted"),
    ({"name": "x", "changes": [{"table": "demand", "set": {}, "scale": {}}]},
     "exactly one of set, scale, add"),
    ({"name": "x", "sweep": {"changes.1": [1, 2]}}, "only 'settings.<key>' can be swept"),
    ({"description": "no name"}, "name: Field required"),
])
def test_bad_scenario_file_names_file_key_and_reason(tmp_path, body, message):
    path = write(tmp_path, "broken", body)
    with pytest.raises(ScenarioError, match=r"broken\.yaml: .*" + message):
        load_scenarios(path)


def test_yaml_is_never_evaluated(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ScenarioError, match="cannot read YAML"):
        load_scenarios(path)


def test_invalid_result_of_changes_is_a_validation_error(tiny_model, tmp_path):
    path = write(tmp_path, "s", {"name": "s", "changes": [
        {"table": "facilities", "where": {"facility": "DC_ATL"}, "set": {"status": "closed"}}]})
    with pytest.raises(ModelValidationError, match="facilities:2:status"):
        apply(tiny_model, path)


def test_sweep_expands_grid_and_run_ids(tmp_path):
    path = write(tmp_path, "grid", {"name": "grid", "sweep": {
        "settings.fuel_index": [1.0, 1.5], "settings.co2_price": [0, 50]}})
    runs = load_scenarios(path)
    assert [r.run_id for r in runs] == [
        "grid[fuel_index=1.0,co2_price=0]", "grid[fuel_index=1.0,co2_price=50]",
        "grid[fuel_index=1.5,co2_price=0]", "grid[fuel_index=1.5,co2_price=50]"]


def test_input_hash_changes_with_inputs_and_mode(tiny_model, tmp_path):
    raw = read_model(tiny_model)
    base = apply_scenario(raw, BASELINE)
    assert apply_scenario(raw, BASELINE).input_hash == base.input_hash
    fuel = apply_scenario(raw, BASELINE, {"fuel_index": 1.2})
    assert fuel.input_hash != base.input_hash
    path = write(tmp_path, "f", {"name": "f", "mode": "fixed_network"})
    fixed = apply_scenario(raw, load_scenarios(path)[0], design_key="abc")
    assert fixed.input_hash != base.input_hash


def test_parse_set_and_discover(tmp_path):
    assert parse_set(["fuel_index=1.2", "service.max_days=2", "strategy=hub"]) == {
        "fuel_index": 1.2, "service.max_days": 2, "strategy": "hub"}
    with pytest.raises(ScenarioError, match="expected key=value"):
        parse_set(["fuel_index"])
    write(tmp_path, "b", {"name": "b"})
    write(tmp_path, "a", {"name": "a"})
    assert [p.name for p in discover([tmp_path])] == ["a.yaml", "b.yaml"]
    with pytest.raises(ScenarioError, match="no such scenario"):
        discover([tmp_path / "missing.yaml"])


def test_shipped_scenarios_all_apply_to_the_demo():
    """Every shipped scenario applies to the demo (to its typed demand table: forecasting the
    history takes ~30 s; tests/test_forecast_study.py applies scenarios to a forecast)."""
    root = Path(__file__).resolve().parents[1]
    raw = read_model(root / "models" / "us_retail")
    files = discover([root / "scenarios"])
    assert len(files) >= 9
    typed = {"forecast.use_history": False}
    for path in files:
        for run in load_scenarios(path):
            applied = apply_scenario(raw, run, typed)
            assert [c for c in applied.log if c["source"] != "--set"], run.run_id


def alias_bomb(key: str) -> str:
    """~600 bytes of YAML whose nested aliases stand for 9⁹ (387 million) strings."""
    lines = [f"  a0: &a0 [{', '.join(['lol'] * 9)}]"]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return f"name: bomb\n{key}:\n" + "\n".join(lines) + "\n  fuel_index: *a8\n"


def test_alias_bomb_is_refused_at_once(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb("settings"))
    assert 500 < path.stat().st_size < 700
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"bomb\.yaml: cannot read YAML: aliases \(\*name\) "
                                            r"repeat [\d,]{11} nodes, more than 10,000"):
        load_scenarios(path)
    assert time.perf_counter() - started < 0.5


def test_a_few_aliases_still_read(tmp_path):
    path = tmp_path / "anchors.yaml"
    path.write_text("name: anchors\nchanges:\n"
                    "  - {table: facilities, where: &dc {facility: DC_ATL}, set: {fixed_cost: 1}}\n"
                    "  - {table: facilities, where: *dc, scale: {capex: 2}}\n")
    first, second = load_scenarios(path)[0].changes
    assert first.where == second.where == {"facility": "DC_ATL"}


def test_scenario_file_over_1_mb_is_refused(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("name: huge\ndescription: " + "x" * 1_000_001 + "\n")
    with pytest.raises(ScenarioError, match=r"huge\.yaml: cannot read YAML: huge\.yaml is "
                                            r"1,000,\d{3} bytes, more than the 1,000,000"):
        load_scenarios(path)


def test_model_yaml_alias_bomb_and_size_are_input_errors(tiny_model):
    settings = tiny_model / "model.yaml"
    settings.write_text(alias_bomb("extra"))
    started = time.perf_counter()
    errors = read_model(tiny_model).errors
    assert time.perf_counter() - started < 0.5
    assert [e[:3] for e in errors] == [("model.yaml", "-", "-")]
    assert "aliases (*name) repeat" in errors[0][3]
    settings.write_text("name: big\n" + "#" * 1_000_000 + "\n")
    assert "model.yaml is 1,000,011 bytes, more than the 1,000,000" in read_model(
        tiny_model).errors[0][3]


def test_alias_inside_its_own_anchor_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("name: loop\nsettings:\n  x: &x [1, *x]\n")
    with pytest.raises(ScenarioError, match=r"loop\.yaml: cannot read YAML: an alias inside "
                                            r"its own anchor \(line 3\)"):
        load_scenarios(path)
