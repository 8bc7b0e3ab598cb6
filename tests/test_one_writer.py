"""One study, one writer (issue 11, failures 3-5): a second study into a held folder fails before
writing anything and names the holder; every output file is replaced whole or not at all; a
sweep is stored point by point and a large one asks for --yes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from conftest import tiny_spec_data
from netdesign.cli import app

ENV = {**os.environ, "COLUMNS": "200", "NETDESIGN_DEBUG": ""}
EXACT = ["--set", "solver.mip_gap=0", "--set", "solver.threads=1"]

HOLDER = """
import sys, time
from netdesign.study import run_study

def hold(event, outcome):
    if outcome is not None:
        print("stored", outcome.task.run_id, flush=True)
        time.sleep(120)

run_study(sys.argv[1], [], sys.argv[2], workers=1, overrides={"solver.threads": 1},
          progress=hold)
"""


def _scenario(folder: Path, model: Path, name: str = "fuel_up", **body) -> Path:
    folder.mkdir(exist_ok=True)
    body = body or {"settings": {"fuel_index": 1.2}}
    (folder / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, "model": str(model),
                                                         **body}))
    return folder


def test_a_second_study_into_a_held_folder_fails_before_writing_and_names_the_holder(tmp_path):
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    scenarios = _scenario(tmp_path / "scenarios", model)
    out = tmp_path / "out"
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), str(model), str(out)],
                              stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().split() == ["stored", "baseline"]
        before = (out / "study.json").read_bytes()
        second = CliRunner().invoke(app, ["study", str(model), "--scenarios", str(scenarios),
                                          "--out", str(out), *EXACT], env=ENV)
        assert second.exit_code == 2, second.output
        assert f"pid {holder.pid}" in second.output
        assert "holder.py" in second.output  # the holder's command
        assert (out / "study.json").read_bytes() == before
        report = CliRunner().invoke(app, ["report", str(out)], env=ENV)
        assert report.exit_code == 2, report.output
        assert f"pid {holder.pid}" in report.output
    finally:
        holder.kill()
        holder.wait()
    # the OS lock died with its process: the folder is usable at once
    compare = CliRunner().invoke(app, ["compare", str(out)], env=ENV)
    assert compare.exit_code == 0, compare.output
