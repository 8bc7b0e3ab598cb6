"""Run identity (issue 11, failures 1 and 2): duplicate names stop a study before anything is
stored, a re-run deletes nothing, resume stores a renamed run, solver options change the hash."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import tiny_spec_data
from netdesign.scenario import ScenarioError
from netdesign.store import ResultsStore
from netdesign.study import run_hash, run_study

EXACT = {"solver.mip_gap": 0.0, "solver.threads": 1}


def _write(folder: Path, file: str, name: str, model: Path) -> None:
    folder.mkdir(exist_ok=True)
    (folder / file).write_text(yaml.safe_dump(
        {"name": name, "model": str(model), "settings": {"fuel_index": 1.2}}))


def _stored(out: Path) -> dict[str, bool]:
    with ResultsStore(out / "results.duckdb", read_only=True) as store:
        runs = store.runs()
    return dict(zip(runs["run_id"], runs["has_results"], strict=True))


def test_a_duplicate_name_stops_the_study_and_deletes_nothing(tmp_path):
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    first = tmp_path / "first"
    _write(first, "a.yaml", "fuel_up", model)
    out = run_study(model, [first], tmp_path / "out", workers=1, overrides=EXACT)
    before = _stored(out)
    assert before == {"baseline": True, "fuel_up": True}
    _write(first, "c.yaml", "fuel_up", model)
    with pytest.raises(ScenarioError, match="'fuel_up' is used twice"):
        run_study(model, [first], out, workers=1, overrides=EXACT)
    assert _stored(out) == before


def test_a_failed_scenario_named_like_a_stored_run_does_not_replace_it(tmp_path):
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    folder = tmp_path / "scenarios"
    _write(folder, "fuel_up.yaml", "fuel_up", model)
    out = run_study(model, [folder], tmp_path / "out", workers=1, overrides=EXACT)
    (folder / "fuel_up.yaml").write_text("name: [unclosed")
    run_study(model, [folder], out, workers=1, overrides=EXACT)
    assert _stored(out) == {"baseline": True, "fuel_up": True}


def test_resume_stores_a_renamed_run_under_its_own_name(tmp_path):
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    folder = tmp_path / "scenarios"
    _write(folder, "fuel.yaml", "fuel_up", model)
    out = run_study(model, [folder], tmp_path / "out", workers=1, overrides=EXACT)
    (folder / "fuel.yaml").unlink()
    _write(folder, "fuel2.yaml", "fuel_renamed", model)
    run_study(model, [folder], out, workers=1, overrides=EXACT)
    assert _stored(out) == {"baseline": True, "fuel_up": True, "fuel_renamed": True}


def test_gap_and_time_limit_are_part_of_the_run_hash():
    loose = {"time_limit": None, "mip_gap": 0.05, "threads": None}
    assert run_hash("abc", loose) != run_hash("abc", {**loose, "mip_gap": 0.001})
    assert run_hash("abc", loose) != run_hash("abc", {**loose, "time_limit": 10.0})
    assert run_hash("abc", loose) == run_hash("abc", {**loose, "log_dir": "elsewhere"})
