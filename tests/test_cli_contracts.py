"""What a script sees: the CLI run as a subprocess, as a pipeline or a notebook runs it.

* ``--json`` stdout is exactly one JSON object (the HiGHS 1.16 banner went to descriptor 1 before
  it; tests that captured Python's ``sys.stdout`` did not see it);
* every exit code of the README's table, each from a real run: 0 solved, 2 input error (a few
  of them in-process, the same contract),
  3 infeasible, 4 time limit without a solution, 130 Ctrl-C and 143 SIGTERM (both keep the
  incumbent, status ``interrupted``), 1 internal error (from a simulated bug);
* no traceback for unusable output folders;
* ``netdesign --help`` answers in under a second, and neither it nor ``validate`` loads the
  engine (Pyomo, HiGHS, DuckDB, Dask, plotly);
* ``study`` gives HiGHS the run's ``solver.threads``, not a count derived from the cores.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import tiny_spec_data
from modelkit import Kit
from netdesign.cli import app

ENGINE = ("pyomo", "highspy", "duckdb", "dask", "distributed", "plotly")
ENV = {**os.environ, "COLUMNS": "200", "NETDESIGN_DEBUG": ""}


def netdesign(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netdesign", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=ENV, **kwargs)


def started(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "netdesign", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def assert_clean_failure(result: subprocess.CompletedProcess, code: int) -> None:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.stderr.strip(), "a failure says why on stderr"


def infeasible_kit() -> Kit:
    """250 units, three DCs of 100, at most two open (tests/test_diagnosis.py)."""
    kit = Kit("too few DCs", facilities={"max_open": 2})
    kit.product("P")
    for dc in ("A", "B", "C"):
        kit.dc(dc, throughput_capacity=100)
    kit.customer("C1").demand("C1", "P", 250)
    return kit.lanes({(dc, "C1"): 1.0 for dc in ("A", "B", "C")})


def packing_kit(customers: int = 40, dcs: int = 5, seed: int = 3) -> Kit:
    """Single sourcing with forced-open DCs whose capacities add up exactly to a hidden packing
    of the demands (numbers ~10⁵–10⁶): feasible, but HiGHS finds no solution for well over 30 s
    on this machine, so a 2 s limit ends without one."""
    rng = np.random.default_rng(seed)
    kit = Kit("packing", sourcing="single")
    kit.product("P")
    demand = rng.integers(10**5, 10**6, customers)
    owner = rng.integers(0, dcs, customers)
    for j in range(dcs):
        kit.dc(f"D{j}", status="forced_open", throughput_capacity=float(demand[owner == j].sum()))
    for i in range(customers):
        kit.customer(f"C{i}").demand(f"C{i}", "P", float(demand[i]))
        for j in range(dcs):
            kit.lane(f"D{j}", f"C{i}", cost=float(rng.integers(1, 100)))
    return kit


def long_search_kit(customers: int = 100, dcs: int = 30, seed: int = 1) -> Kit:
    """A single-source capacitated facility location problem HiGHS does not prove optimal in
    minutes (mip_gap 0), but for which it has an incumbent within a second."""
    rng = np.random.default_rng(seed)
    kit = Kit("long search", sourcing="single")
    kit.set("solver.mip_gap", 0.0)
    kit.product("P")
    demand = rng.integers(50, 150, customers)
    at_c, at_d = rng.random((customers, 2)), rng.random((dcs, 2))
    for j in range(dcs):
        kit.dc(f"D{j}", fixed_cost=float(rng.integers(3000, 6000)),
               throughput_capacity=float(round(demand.sum() * 3 / dcs)))
    for i in range(customers):
        kit.customer(f"C{i}").demand(f"C{i}", "P", float(demand[i]))
        for j in range(dcs):
            kit.lane(f"D{j}", f"C{i}", cost=round(float(np.hypot(*(at_c[i] - at_d[j]))) * 10, 3))
    return kit


# -- --json ----------------------------------------------------------------------------------------


def test_solve_json_stdout_is_exactly_one_json_object(tiny_model: Path):
    result = netdesign("solve", tiny_model, "--json")
    assert result.returncode == 0, result.stderr
    assert "HiGHS" not in result.stdout  # the banner HiGHS 1.16 prints on descriptor 1
    payload = json.loads(result.stdout)  # the whole of stdout, nothing before or after
    assert payload["status"] == "optimal" and payload["exit_code"] == 0
    assert payload["objective"] == pytest.approx(sum(payload["costs"].values()))
    assert result.stdout.count("\n") == 1


def test_solve_json_of_an_input_error_is_one_json_object(tmp_path: Path):
    folder = tiny_spec_data().set("products", 3, "unit_price", "abc").write(tmp_path / "m")
    result = netdesign("solve", folder, "--json")
    assert_clean_failure(result, 2)
    payload = json.loads(result.stdout)
    assert payload["status"] == "input_error" and payload["exit_code"] == 2
    assert payload["problems"] == ["products:3:unit_price: found 'abc', expected a number"]


# -- exit codes ------------------------------------------------------------------------------------


INPUT_ERRORS = [
    ["validate", "{broken}"],
    ["solve", "/etc/passwd", "--scenario", "{scenario}"],  # a file where a model belongs
    ["study", "{model}", "--scenarios", "{scenario}", "--workers", "0"],
    ["compare", "{missing}"],
    ["solve", "{model}", "--time-limit", "abc"],  # usage: typer/click's own exit 2
    # the same contract in-process (CliRunner), to keep the suite fast
    ["solve", "{broken}"],
    ["solve", "{model}", "--set", "no_equals_sign"],
    ["solve", "{model}", "--scenario", "{missing}"],
    ["report", "{missing}"],
    ["validate", "{missing}"],
]


@pytest.mark.parametrize("args", INPUT_ERRORS, ids=[" ".join(a) for a in INPUT_ERRORS])
def test_exit_2_for_input_errors(args: list[str], tiny_model: Path, tmp_path: Path):
    broken = tiny_spec_data().drop_table("modes").write(tmp_path / "broken")
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nsettings: {fuel_index: 1.1}\n")
    names = {"broken": broken, "scenario": scenario, "model": tiny_model,
             "missing": tmp_path / "nowhere"}
    argv = [a.format(**names) for a in args]
    if INPUT_ERRORS.index(args) < 5:
        assert_clean_failure(netdesign(*argv), 2)
        return
    result = CliRunner().invoke(app, argv, env=ENV)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stderr.strip()


def test_exit_3_when_infeasible(tmp_path: Path):
    result = netdesign("solve", infeasible_kit().folder(tmp_path), "--json")
    assert result.returncode == 3, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "infeasible" and payload["exit_code"] == 3
    assert "facility count: the limit must move by 1.00 DCs" in payload["diagnosis"]


def test_exit_4_when_the_time_limit_comes_before_any_solution(tmp_path: Path):
    result = netdesign("solve", packing_kit().folder(tmp_path), "--time-limit", "2", "--json")
    assert result.returncode == 4, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "time_limit" and payload["objective"] is None
    (line,) = payload["diagnosis"]  # never silent: it says so and suggests a limit
    assert line.startswith("no incumbent was found within the time limit of 2 s")
    assert "try a time limit of at least" in line and line in result.stderr


def test_a_study_whose_run_found_no_solution_says_so_and_exits_4(tmp_path: Path):
    model = packing_kit().folder(tmp_path)
    (tmp_path / "none").mkdir()
    result = netdesign("study", model, "--scenarios", tmp_path / "none", "--out", tmp_path / "out",
                       "--no-report", "--time-limit", "2", timeout=300)
    assert result.returncode == 4, result.stderr
    assert "1 runs, 1 without a solution" in result.stdout


@pytest.mark.parametrize(("kind", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_return_the_incumbent(kind: int, code: int, tmp_path: Path):
    """The solve is stopped once HiGHS has an incumbent: the JSON has it, its gap, and status
    ``interrupted``; the process answers within seconds with 130 (SIGINT) or 143 (SIGTERM)."""
    process = started("solve", long_search_kit().folder(tmp_path), "--json", "--time-limit",
                      "120")
    assert process.stderr is not None
    for line in process.stderr:
        if "solving" in line:
            break
    time.sleep(2.0)  # the LP relaxation and the MIP start heuristic have an incumbent by then
    process.send_signal(kind)
    asked = time.perf_counter()
    stdout, stderr = process.communicate(timeout=60)
    assert time.perf_counter() - asked < 20
    assert process.returncode == code, stderr
    payload = json.loads(stdout)
    assert payload["status"] == "interrupted" and payload["exit_code"] == code
    assert payload["objective"] > 0 and 0 < payload["gap"] < 1
    assert len(payload["open_facilities"]) >= 1


def test_exit_1_for_an_internal_error_without_traceback(tiny_model: Path, monkeypatch):
    """A bug (simulated: the loader raises) is exit 1 and one message, not a traceback."""
    import netdesign.validate

    def broken(path, **options):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(netdesign.validate, "load_model", broken)
    monkeypatch.delenv("NETDESIGN_DEBUG", raising=False)
    result = CliRunner().invoke(app, ["validate", str(tiny_model)])
    assert result.exit_code == 1
    assert "internal error: ZeroDivisionError: simulated bug" in result.output
    assert "Traceback" not in result.output


def test_readme_documents_every_exit_code():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("### Exit codes"):]
    for code in ("0", "1", "2", "3", "4", "130", "143"):
        assert f"| {code} |" in section, code


# -- outputs that cannot be written ----------------------------------------------------------------


@pytest.fixture
def solved_study(tmp_path: Path) -> Path:
    """A finished study of the tiny model (baseline only)."""
    from netdesign.study import run_study

    return run_study(tiny_spec_data().write(tmp_path / "tiny"), [], tmp_path / "study",
                     workers=1)


def _blocked(tmp_path: Path) -> Path:
    """A path under a regular file: not writable for anyone, root included (ENOTDIR)."""
    (tmp_path / "file").write_text("not a folder")
    return tmp_path / "file" / "out"


def test_unwritable_outputs_are_input_errors(tiny_model: Path, tmp_path: Path,
                                             solved_study: Path):
    blocked = _blocked(tmp_path)
    assert_clean_failure(netdesign("convert", tiny_model, blocked / "m.xlsx"), 2)
    assert_clean_failure(netdesign("solve", tiny_model, "--out", blocked), 2)
    empty = tmp_path / "scenarios"
    empty.mkdir()
    (solved_study / "comparison_kpis.csv").unlink(missing_ok=True)
    (solved_study / "comparison_kpis.csv").mkdir()  # a folder where compare writes a file
    (solved_study / "report.html").unlink(missing_ok=True)
    (solved_study / "report.html").mkdir()
    for argv in (["convert", tiny_model, blocked], ["compare", solved_study],
                 ["report", solved_study],
                 ["study", tiny_model, "--scenarios", empty, "--out", blocked, "--workers", "1"]):
        result = CliRunner().invoke(app, [str(a) for a in argv], env=ENV)
        assert result.exit_code == 2, (argv, result.output)
        assert "Traceback" not in result.output and result.stderr.strip(), argv


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_an_input_error(tiny_model: Path, tmp_path: Path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert_clean_failure(netdesign("solve", tiny_model, "--out", out / "res"), 2)
        assert_clean_failure(netdesign("convert", tiny_model, out / "m.xlsx"), 2)
    finally:
        out.chmod(0o700)


# -- a CLI that answers fast -----------------------------------------------------------------------


def _imported(*args: str, cwd: Path | None = None) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "netdesign", *args],
                            capture_output=True, text=True, env=ENV, cwd=cwd, timeout=120)
    return {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()
            if line.startswith("import time:")}


def test_help_loads_no_engine_and_answers_in_under_a_second():
    loaded = _imported("--help")
    assert "typer" in loaded
    assert not loaded & {*ENGINE, "pandas", "numpy"}, loaded & {*ENGINE, "pandas", "numpy"}
    cpu = []
    for _ in range(3):  # CPU time of the child, robust to a busy machine
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "netdesign", "--help"], capture_output=True,
                       env=ENV, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    assert min(cpu) < 1.0, cpu


def test_validate_loads_no_solver(tiny_model: Path):
    loaded = _imported("validate", str(tiny_model))
    assert not loaded & set(ENGINE), loaded & set(ENGINE)


# -- study threads and workers ---------------------------------------------------------------------


def test_study_honours_solver_threads(tmp_path: Path):
    """``--set solver.threads=1``: HiGHS's own log of every run says it used one thread (the
    baseline was given every core before, and scenarios cores // workers)."""
    kit = Kit("threads").set("solver.mip_gap", 0.0)
    # 15 units, DCs of 10: the LP opens 1.5 DCs, so HiGHS searches (and logs its threads)
    kit.product("P").dc("A", fixed_cost=100, throughput_capacity=10)
    kit.dc("B", fixed_cost=100, throughput_capacity=10).dc("C", fixed_cost=100,
                                                            throughput_capacity=10)
    kit.customer("C1").demand("C1", "P", 15)
    kit.lanes({("A", "C1"): 1.0, ("B", "C1"): 1.5, ("C", "C1"): 2.0})
    model = kit.folder(tmp_path)
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "more.yaml").write_text("name: more\nchanges:\n  - {table: demand, "
                                         "where: {customer: C1}, scale: {annual_units: 1.2}}\n")
    result = netdesign("study", model, "--scenarios", scenarios, "--out", tmp_path / "out",
                       "--workers", "1", "--set", "solver.threads=1", "--no-report",
                       timeout=300)
    assert result.returncode == 0, result.stderr
    logs = sorted((tmp_path / "out" / "logs").glob("*.log"))
    assert [p.stem for p in logs] == ["baseline", "more"]
    for log in logs:
        assert "across 1 threads" in log.read_text(), log


def test_problem_rows_print_as_text_not_emoji(tmp_path):
    """Rich reads ``:100:`` as an emoji code: ``demand:100:annual_units`` must reach the terminal
    as written (it printed as ``demand💯annual_units``)."""
    import shutil

    model = tmp_path / "model"
    shutil.copytree("models/us_retail", model)
    lines = (model / "demand.csv").read_text().splitlines()
    fields = lines[99].split(",")  # CSV line 100 (header = 1)
    fields[2] = "-5"
    lines[99] = ",".join(fields)
    (model / "demand.csv").write_text("\n".join(lines) + "\n")
    result = netdesign("validate", model)
    assert result.returncode == 2, result.stderr
    assert "demand:100:annual_units" in result.stderr
    assert "💯" not in result.stderr + result.stdout
