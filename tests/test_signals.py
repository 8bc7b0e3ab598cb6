"""Ctrl-C and SIGTERM during a study (issue 11, failure 6): the workers stop within seconds, no
new run starts, every run that finished is kept, one line is printed and the exit code says
which signal it was; a second Ctrl-C ends the study at once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import tiny_spec_data
from netdesign.store import FINISHED, ResultsStore

ENV = {**os.environ, "COLUMNS": "200", "NETDESIGN_DEBUG": "", "PYTHONWARNINGS": "ignore"}
RUNS = 8
SHOWN = re.compile(r"✓ (?:\[\d+/\d+\] )?(\S+):")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _study(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    for i in range(RUNS):  # demand changes: one group, and one model build, each
        (scenarios / f"shock_{i}.yaml").write_text(yaml.safe_dump({
            "name": f"shock_{i}", "model": str(model),
            "changes": [{"table": "demand", "where": {"region": "MW"},
                         "scale": {"annual_units": 1 + (i + 1) / 10}}]}))
    out = tmp_path / "out"
    study = subprocess.Popen(
        [sys.executable, "-m", "netdesign", "study", str(model), "--scenarios", str(scenarios),
         "--out", str(out), "--workers", "2", "--no-report", "--set", "solver.threads=1",
         "--set", "solver.mip_gap=0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
        start_new_session=True)  # its own process group, as a terminal's foreground job
    return study, out


@pytest.mark.parametrize(("how", "code"), [("ctrl-c", 130), ("sigterm", 143),
                                           ("ctrl-c twice", 130)])
def test_a_signal_stops_the_workers_and_keeps_every_finished_run(tmp_path, how, code):
    study, out = _study(tmp_path)
    shown: list[str] = []
    for line in study.stdout:  # until the first scenario run is reported
        match = SHOWN.search(line)
        if match:
            shown.append(match.group(1))
            if match.group(1) != "baseline":
                break
    workers = _children(study.pid)
    signalled = time.monotonic()
    if how == "sigterm":
        os.kill(study.pid, signal.SIGTERM)  # a scheduler stopping the job: the parent only
    else:
        os.killpg(study.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
        if how == "ctrl-c twice":
            time.sleep(0.3)
            os.killpg(study.pid, signal.SIGINT)
    rest, err = study.communicate(timeout=60)
    seconds = time.monotonic() - signalled
    assert study.returncode == code, (rest, err)
    assert seconds < 10, f"{seconds:.1f}s to stop"
    shown += SHOWN.findall(rest)
    with ResultsStore(out / "results.duckdb", read_only=True) as store:
        runs = store.runs()
    stored = set(runs["run_id"])
    assert set(runs["status"]) <= set(FINISHED)  # nothing half-done was stored
    assert set(shown) <= stored  # every run reported finished is kept
    started = {log.stem for log in (out / "logs").glob("*.log")}
    if how != "ctrl-c twice":
        assert len(started - stored) <= 2  # only the runs in flight are not kept
    # (a second Ctrl-C exits at once: runs a worker handed in but the study has not stored yet
    # are not kept either, however many the worker ran ahead; they run again on resume)
    assert len(started) < RUNS + 1  # no run started after the signal
    lines = [line for line in err.splitlines() if line.strip()
             and "resource_tracker" not in line and "warnings.warn" not in line]
    assert len(lines) == 1 and lines[0].startswith("interrupted"), err  # no worker tracebacks
    if how != "ctrl-c twice":
        signame = "SIGTERM" if how == "sigterm" else "SIGINT"
        assert lines[0].startswith(f"interrupted ({signame}): ")
        assert "finished run(s) kept" in lines[0]
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(map(_alive, workers))
    if how == "ctrl-c twice":
        resumed = subprocess.run(study.args, capture_output=True, text=True, env=ENV, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        with ResultsStore(out / "results.duckdb", read_only=True) as store:
            assert len(store.runs()) == RUNS + 1
