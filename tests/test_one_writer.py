"""One study, one writer (issue 11, failures 3-5): a second study into a held folder fails before
writing anything and names the holder; every output file is replaced whole or not at all; a
sweep is stored point by point and a large one asks for --yes."""

from __future__ import annotations

import builtins
import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import tiny_spec_data
from netdesign.cli import app
from netdesign.compare import compare, write_comparison
from netdesign.report import write_report
from netdesign.store import ResultsStore
from netdesign.study import run_study

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


def test_the_lock_nests_in_its_thread_and_refuses_another_thread(tmp_path):
    import threading

    from netdesign.files import FolderBusy, folder_lock

    refused: list[BaseException] = []

    def other_thread() -> None:
        try:
            with folder_lock(tmp_path):
                pass
        except FolderBusy as err:
            refused.append(err)

    with folder_lock(tmp_path), folder_lock(tmp_path):  # run_study inside `netdesign study`
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert len(refused) == 1 and f"pid {os.getpid()}" in str(refused[0])
    with folder_lock(tmp_path):  # released: free again
        pass


class _FullDisk:
    """A file opened for writing on a disk that fills up after ``room`` bytes: the bytes that
    fit are written, then ENOSPC."""

    def __init__(self, handle, room: int):
        self._handle, self._room = handle, room

    def write(self, data):
        fits = data[:self._room]
        self._handle.write(fits)
        self._room -= len(fits)
        if len(fits) < len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return len(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._handle.close()


@pytest.fixture
def full_disk(monkeypatch):
    """``full_disk(folder)``: from then on, every file opened for writing under ``folder`` (by
    Python, pandas, openpyxl) runs out of space after 64 bytes."""
    real_open = builtins.open

    def arm(folder: Path) -> None:
        def open_on_full_disk(file, mode="r", *args, **kwargs):
            handle = real_open(file, mode, *args, **kwargs)
            writing = any(flag in mode for flag in "wax+")
            if writing and isinstance(file, str | os.PathLike) and Path(file).resolve(
                    ).is_relative_to(folder.resolve()):
                return _FullDisk(handle, 64)
            return handle

        monkeypatch.setattr(builtins, "open", open_on_full_disk)
        monkeypatch.setattr(io, "open", open_on_full_disk)

    return arm


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_full_disk_leaves_every_old_output_file_whole(tmp_path, full_disk):
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    out = run_study(model, [], tmp_path / "out", workers=1, overrides={"solver.threads": 1})
    write_report(out, model=model)
    write_comparison(compare(out), out)
    with ResultsStore(out / "results.duckdb", read_only=True) as store:
        results = store.load_results("baseline")
    results.write(out / "solve")
    before, solve_before = _contents(out), _contents(out / "solve")
    assert {"study.json", "report.html", "study.xlsx", "comparison_kpis.csv",
            "comparison_costs.csv"} <= set(before)
    assert b"</html>" in before["report.html"]

    full_disk(out)
    with pytest.raises(OSError, match="No space left"):
        write_report(out, model=model)
    with pytest.raises(OSError, match="No space left"):
        write_comparison(compare(out), out)
    with pytest.raises(OSError, match="No space left"):
        results.write(out / "solve")
    with pytest.raises(OSError, match="No space left"):
        run_study(model, [], out, workers=1, overrides={"solver.threads": 1})
    after = _contents(out)
    after.pop("results.duckdb.wal", None)
    before.pop("results.duckdb.wal", None)
    assert after.keys() == before.keys()  # no partial or temporary file left behind
    for name in ("report.html", "study.xlsx", "comparison_kpis.csv", "comparison_costs.csv",
                 "study.json"):
        assert after[name] == before[name], name
    assert _contents(out / "solve") == solve_before


def test_a_sweep_is_stored_point_by_point_and_resume_runs_only_the_rest(tmp_path, monkeypatch):
    import netdesign.study as study

    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    scenarios = _scenario(tmp_path / "scenarios", model, "fuel",
                          sweep={"settings.fuel_index": [1.1, 1.2, 1.3, 1.4, 1.5]})
    out = tmp_path / "out"
    exact = {"solver.mip_gap": 0.0, "solver.threads": 1}
    real_model_for = study._model_for
    points: list[str] = []

    def killed_at_the_third_point(task, model):
        if task.run_id != "baseline":
            points.append(task.run_id)
            if len(points) == 3:
                raise KeyboardInterrupt  # the study dies while the third point solves
        return real_model_for(task, model)

    monkeypatch.setattr(study, "_model_for", killed_at_the_third_point)
    with pytest.raises(KeyboardInterrupt):
        run_study(model, [scenarios], out, workers=1, overrides=exact)
    with ResultsStore(out / "results.duckdb", read_only=True) as store:
        kept = set(store.runs()["run_id"])
    assert kept == {"baseline", *points[:2]}  # the two finished points are kept
    monkeypatch.setattr(study, "_model_for", real_model_for)
    solved: list[str] = []
    run_study(model, [scenarios], out, workers=1, overrides=exact,
              progress=lambda event, outcome: outcome and solved.append(outcome.task.run_id))
    with ResultsStore(out / "results.duckdb", read_only=True) as store:
        assert len(store.finished_runs()) == 6
    assert len(solved) == 3 and not set(solved) & set(points[:2])


def test_a_sweep_of_more_than_100_points_asks_for_yes(tmp_path, monkeypatch):
    import netdesign.study as study

    assert study.SWEEP_CONFIRM == 100
    monkeypatch.setattr(study, "SWEEP_CONFIRM", 3)  # 101 points would take 40 s to plan here
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    scenarios = _scenario(tmp_path / "scenarios", model, "fuel",
                          sweep={"settings.fuel_index": [1.1, 1.2, 1.3, 1.4]})
    out = tmp_path / "out"
    argv = ["study", str(model), "--scenarios", str(scenarios), "--out", str(out), *EXACT,
            "--no-report"]
    result = CliRunner().invoke(app, argv, env=ENV)
    assert result.exit_code == 2, result.output
    assert "'fuel' has 4 points to run" in result.output
    assert "at the baseline's" in result.output and "--yes" in result.output
    with ResultsStore(out / "results.duckdb", read_only=True) as store:
        assert list(store.runs()["run_id"]) == ["baseline"]
    result = CliRunner().invoke(app, [*argv, "--yes"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "[4/4] fuel[" in result.output  # progress per point


def test_a_full_disk_during_convert_leaves_the_converted_folder_whole(tmp_path, full_disk):
    from netdesign.io import convert

    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    target = convert(model, tmp_path / "copy")
    before = _contents(target)
    (model / "model.yaml").write_text((model / "model.yaml").read_text() + "\n# changed\n")
    full_disk(target)
    with pytest.raises(OSError, match="No space left"):
        convert(model, target)
    assert _contents(target) == before  # every file the old one, no temporary file left


def test_thread_counts_outside_the_schema_range_are_refused_by_solve(tmp_path):
    model = tiny_spec_data().write(tmp_path / "model")
    result = subprocess.run([sys.executable, "-m", "netdesign", "solve", str(model),
                             "--threads", "100000"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "COLUMNS": "120"})
    assert result.returncode == 2
    assert "100000 is not a thread count from 1 to 64" in result.stderr
