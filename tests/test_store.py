"""ResultsStore: atomic writes, crash safety, resumability and exact round trips of Results.

``make_results``/``make_record`` build runs by hand (no solver); the crash test runs them in a
separate Python process that imports this module.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netdesign.results import Results
from netdesign.store import FINISHED, SCHEMAS, TABLES, ResultsStore, RunRecord

TESTS = Path(__file__).resolve().parent


def make_results(scale: float = 1.0, n_flows: int = 3, status: str = "optimal") -> Results:
    """A small, hand-made solution with every dtype the engine produces (str, float with nan and
    inf, bool, int, an empty-but-typed table, an extra column)."""
    facilities = pd.DataFrame(
        {
            "facility": ["DC_ATL", "DC_DAL", "DC_BOI"],
            "status": ["existing", "candidate", "candidate"],
            "open": [True, True, False],
            "change": ["kept", "opened", "unused"],
            "role": ["hub", "regional", "none"],
            "options": ["automation", "", ""],
            "throughput": [1000.0 * scale, 500.0 * scale, 0.0],
            "throughput_capacity": [5000.0, math.inf, 2000.0],
            "utilisation": [0.2 * scale, math.nan, 0.0],
            "inventory": [120.5 * scale, 60.25 * scale, 0.0],
        }
    )
    legs = ["inbound", "transfer", "outbound", "direct"]
    i = np.arange(n_flows)
    flows = pd.DataFrame(
        {
            "leg": [legs[k % 4] for k in i],
            "product": [f"P{k % 2}" for k in i],
            "origin": [f"O{k}" for k in i],
            "destination": [f"D{k}" for k in i],
            "mode": ["truck"] * n_flows,
            "units": (i + 1) * 10.0 * scale,
            "distance_km": (i + 1) * 100.0,
            "transit_days": (i % 3 + 1).astype(float),
            "freight": (i + 1) * 2.5 * scale,
            "co2_kg": (i + 1) * 0.125,
            "unit_value": np.full(n_flows, 20.0),
            "flow_index": i.astype(np.int64),
        }
    )
    assignments = pd.DataFrame(
        {
            "product": ["P0", "P1"],
            "customer": ["C1", "C2"],
            "facility": ["DC_ATL", "DC_DAL"],
            "units": [300.0 * scale, 200.0],
            "share": [1.0, 0.5],
        }
    )
    inventory = pd.DataFrame(
        {
            "product": ["P0"],
            "facility": ["DC_ATL"],
            "unit_value": [20.0],
            "throughput": [1000.0 * scale],
            "cycle": [19.2],
            "safety": [30.0],
            "safety_exact": [29.5],
            "safety_error": [0.5],
            "pipeline": [4.0],
            "value": [1064.0],
        }
    )
    service = pd.DataFrame(
        {
            "product": ["P0", "P1"],
            "customer": ["C1", "C2"],
            "units": [300.0 * scale, 200.0],
            "delivery_days": [1.5, 2.0],
            "max_days": [3.0, math.nan],
        }
    )
    strategy = pd.DataFrame(
        {
            "product": ["P0", "P1"],
            "stocking_points": np.array([1, 2], dtype=np.int64),
            "facilities": ["DC_ATL", "DC_ATL;DC_DAL"],
            "strategy": ["hub", "regional"],
        }
    )
    unmet = pd.DataFrame(
        {"product": pd.Series([], dtype="str"), "customer": pd.Series([], dtype="str"),
         "units": pd.Series([], dtype=float)}
    )
    costs = pd.Series({"purchase": 10000.0 * scale, "freight_outbound": 2500.5 * scale,
                       "facility_fixed": 4000.0, "unmet_penalty": 0.0})
    return Results(
        status=status,
        objective=float(costs.sum()),
        bound=float(costs.sum()) - 1.0,
        gap=1.0 / float(costs.sum()),
        solve_seconds=1.25,
        build_seconds=0.5,
        costs=costs,
        facilities=facilities,
        flows=flows,
        assignments=assignments,
        inventory=inventory,
        service=service,
        strategy=strategy,
        unmet=unmet,
        model_size={"variables": 120, "constraints": 80},
        diagnosis=["note: nothing to diagnose"],
    )


def make_record(run_id: str, results: Results | None = None, *, status: str | None = None,
                input_hash: str | None = None, error: str = "", finished_at: str = "",
                scenario: str | None = None) -> RunRecord:
    status = status or (results.status if results is not None else "error")
    return RunRecord(
        run_id=run_id,
        scenario=scenario or run_id.split("[")[0],
        point={"settings.fuel_index": 1.2} if "[" in run_id else {},
        mode="reoptimize",
        description=f"run {run_id}",
        input_hash=input_hash or f"hash-{run_id}",
        settings={"currency": "USD", "fuel_index": 1.2, "solver": {"mip_gap": 0.01}},
        status=status,
        objective=results.objective if results is not None else None,
        bound=results.bound if results is not None else None,
        gap=results.gap if results is not None else None,
        build_seconds=results.build_seconds if results is not None else 0.0,
        solve_seconds=results.solve_seconds if results is not None else 0.0,
        change_log=[{"source": "changes[0]", "table": "demand", "column": "annual_units",
                     "rows": 2, "old": 100, "new": 85.0}],
        error=error,
        model_size=results.model_size if results is not None else {},
        diagnosis=list(results.diagnosis) if results is not None else [],
        started_at="2025-01-01T10:00:00",
        finished_at=finished_at or "2025-01-01T10:01:00",
    )


KPIS = {"total_cost": 16500.5, "fill_rate": 0.975, "dio": math.nan, "open_dcs": 2.0}


def write(store: ResultsStore, run_id: str, results: Results | None = None, **kw) -> None:
    store.write_run(make_record(run_id, results, **kw), results,
                    KPIS if results is not None else None)


def assert_same_results(got: Results, want: Results) -> None:
    assert got.status == want.status
    assert got.objective == want.objective
    assert got.bound == want.bound
    assert got.gap == want.gap
    assert got.solve_seconds == want.solve_seconds
    assert got.build_seconds == want.build_seconds
    assert got.model_size == want.model_size
    assert got.diagnosis == want.diagnosis
    pd.testing.assert_series_equal(got.costs, want.costs)
    for table in Results.TABLES:
        pd.testing.assert_frame_equal(getattr(got, table), getattr(want, table), obj=table)


def rows_of(store: ResultsStore, run_id: str) -> dict[str, int]:
    return {t: int((store.table(t)["run_id"] == run_id).sum()) for t in TABLES}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "study" / "results.duckdb"


def test_creates_every_table_empty(db: Path) -> None:
    with ResultsStore(db) as store:
        for name in TABLES:
            assert list(store.table(name).columns) == list(SCHEMAS[name])
            assert store.table(name).empty
        assert store.finished() == {}
        assert store.runs().empty
    assert db.exists()
    with ResultsStore(db, read_only=True) as store:
        assert store.table("flows").empty
    with pytest.raises(FileNotFoundError):
        ResultsStore(db.parent / "missing.duckdb", read_only=True)
    with pytest.raises(ValueError, match="unknown table"):
        ResultsStore(db).table("nope")


def test_round_trip(db: Path) -> None:
    want = make_results()
    with ResultsStore(db) as store:
        write(store, "baseline", want)
        assert_same_results(store.load_results("baseline"), want)
    with ResultsStore(db, read_only=True) as store:  # from the file, in a new connection
        got = store.load_results("baseline")
        assert_same_results(got, want)
        assert got.solver_log == ""
        assert store.record("baseline") == make_record("baseline", want)
        kpis = store.table("kpis")
        assert kpis["name"].tolist() == list(KPIS)
        assert kpis["unit"].tolist() == ["currency/year", "share", "days", "count"]
        assert math.isnan(kpis["value"].iloc[2])
        assert list(store.table("flows").columns)[:2] == ["run_id", "leg"]
        assert store.table("costs")["value"].sum() == want.objective


def test_round_trip_of_differing_schemas_and_empty_tables(db: Path) -> None:
    """Runs whose tables have other columns or dtypes all come back exactly as written."""
    first = make_results()
    second = make_results(scale=2.0, n_flows=5)
    flows = second.flows.drop(columns="flow_index")
    flows["units"] = np.arange(5, dtype=np.int64)  # int where the table holds DOUBLE
    flows["tag"] = ["a", None, "c", "d", "e"]  # a new column
    facilities = second.facilities.assign(options=[None, None, None])  # all-null object column
    strategy = first.strategy.assign(stocking_points=[1.5, 2.5])  # int column widened to DOUBLE
    third = make_results(scale=3.0)
    third_fac = third.facilities.assign(open=["yes", "no", "no"])  # bool column widened to text
    second = Results(**{**second.__dict__, "flows": flows, "facilities": facilities,
                        "strategy": pd.DataFrame(), "unmet": pd.DataFrame(columns=["product"])})
    third = Results(**{**third.__dict__, "strategy": strategy, "facilities": third_fac,
                       "flows": third.flows.iloc[0:0]})
    with ResultsStore(db) as store:
        for run_id, results in [("a", first), ("b", second), ("c", third)]:
            write(store, run_id, results)
        for run_id, results in [("a", first), ("b", second), ("c", third)]:
            assert_same_results(store.load_results(run_id), results)
        assert "tag" in store.table("flows").columns
        assert store.table("flows")["run_id"].tolist() == ["a"] * 3 + ["b"] * 5


def test_failed_write_leaves_no_partial_run(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, other = make_results(), make_results(scale=2.0)
    with ResultsStore(db) as store:
        write(store, "baseline", old)
        write(store, "other", other)
        store.write_finance("baseline", pd.DataFrame(
            {"section": ["pnl"], "line": ["ebit"], "value": [5.0]}))
        before = {t: store.table(t) for t in TABLES}

        real = ResultsStore._insert
        calls: list[str] = []

        def failing(self, table, run_id, frame):
            calls.append(table)
            if table == "inventory":  # after runs, kpis, costs, facilities, flows were inserted
                raise RuntimeError("disk on fire")
            return real(self, table, run_id, frame)

        monkeypatch.setattr(ResultsStore, "_insert", failing)
        with pytest.raises(RuntimeError, match="disk on fire"):
            write(store, "baseline", make_results(scale=5.0, n_flows=7), status="time_limit")
        assert "flows" in calls and calls[-1] == "inventory"
        with pytest.raises(RuntimeError, match="disk on fire"):
            write(store, "new_run", make_results(scale=3.0))
        monkeypatch.setattr(ResultsStore, "_insert", real)

        for t in TABLES:  # everything as before: old baseline (and its finance) back, no new_run
            pd.testing.assert_frame_equal(store.table(t), before[t], obj=t)
        assert sum(rows_of(store, "new_run").values()) == 0
        assert_same_results(store.load_results("baseline"), old)
        write(store, "new_run", make_results(scale=3.0))  # the connection is still usable
        assert rows_of(store, "new_run")["flows"] == 3


def test_bad_input_fails_before_touching_the_store(db: Path) -> None:
    bad = make_results()
    bad = Results(**{**bad.__dict__, "flows": bad.flows.assign(run_id="x")})
    with ResultsStore(db) as store:
        write(store, "baseline", make_results())
        with pytest.raises(ValueError, match="run_id"):
            write(store, "baseline", bad)
        assert_same_results(store.load_results("baseline"), make_results())
        with pytest.raises(ValueError, match="not in"):
            store.write_finance("ghost", pd.DataFrame({"section": [], "line": [], "value": []}))
        with pytest.raises(ValueError, match="lacks"):
            store.write_finance("baseline", pd.DataFrame({"section": ["x"]}))


CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_store import make_results, write
    from netdesign.store import ResultsStore

    store = ResultsStore({db!r})
    write(store, "committed_in_child", make_results(scale=2.0))  # only in the WAL at the kill
    real = ResultsStore._insert

    def slow(self, table, run_id, frame):
        real(self, table, run_id, frame)
        if table == "flows":
            print("INSIDE", flush=True)
            time.sleep(120)

    ResultsStore._insert = slow
    write(store, "interrupted", make_results(scale=3.0, n_flows=300_000))
    print("NOT KILLED", flush=True)
    """
)


def test_killed_writer_leaves_earlier_runs_intact(db: Path) -> None:
    first = make_results()
    with ResultsStore(db) as store:
        write(store, "baseline", first)
    script = CHILD.format(tests=str(TESTS), db=str(db))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=120)
    try:
        assert line == ["INSIDE\n"], proc.stderr.read() if proc.poll() is not None else line
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with ResultsStore(db) as store:
        assert sorted(store.runs()["run_id"]) == ["baseline", "committed_in_child"]
        assert sum(rows_of(store, "interrupted").values()) == 0
        assert_same_results(store.load_results("baseline"), first)
        assert_same_results(store.load_results("committed_in_child"), make_results(scale=2.0))
        write(store, "interrupted", make_results(scale=3.0))
        assert rows_of(store, "interrupted")["flows"] == 3


def test_finished_runs(db: Path) -> None:
    with ResultsStore(db) as store:
        for status in FINISHED:
            results = make_results(status=status)
            if status in ("infeasible", "unbounded"):
                results = None
            write(store, status, results, status=status)
        write(store, "crashed", None, status="error", error="ValueError: no demand")
        # the same inputs failed first and then finished: the finished run is the one to keep
        write(store, "retry_failed", None, status="error", input_hash="h-retry",
              error="MemoryError", finished_at="2025-01-02T00:00:00")
        write(store, "retry_ok", make_results(), input_hash="h-retry",
              finished_at="2025-01-03T00:00:00")
        assert store.finished() == {
            "hash-optimal": "optimal",
            "hash-time_limit": "time_limit",
            "hash-infeasible": "infeasible",
            "hash-unbounded": "unbounded",
            "h-retry": "retry_ok",
        }
        crashed = store.record("crashed")
        assert crashed.status == "error" and crashed.error == "ValueError: no demand"
        assert crashed.objective is None
        runs = store.runs().set_index("run_id")
        assert runs.loc["crashed", "error"] == "ValueError: no demand"
        assert not runs.loc["crashed", "has_results"]
        assert runs.loc["optimal", "change_log"][0]["new"] == 85.0
        assert runs.loc["optimal", "settings"]["solver"] == {"mip_gap": 0.01}
        assert json.loads(store.table("runs").set_index("run_id").loc["optimal", "model_size"]) \
            == {"variables": 120, "constraints": 80}
        with pytest.raises(KeyError, match=r"without results.*no demand"):
            store.load_results("crashed")
        with pytest.raises(KeyError, match="stored runs: "):
            store.load_results("ghost")


def test_rewrite_replaces_run(db: Path) -> None:
    with ResultsStore(db) as store:
        write(store, "baseline", make_results())
        write(store, "s1", make_results(n_flows=5))
        store.write_finance("s1", pd.DataFrame(
            {"section": ["pnl", "pnl"], "line": ["revenue", "ebit"], "value": [10.0, 2.0]}))
        assert rows_of(store, "s1")["finance"] == 2
        new = make_results(scale=2.0, n_flows=2, status="time_limit")
        store.write_run(make_record("s1", new), new, {"total_cost": 1.0})
        assert rows_of(store, "s1") == {
            "runs": 1, "costs": 4, "kpis": 1, "facilities": 3, "flows": 2, "inventory": 1,
            "assignments": 2, "service": 2, "strategy": 2, "unmet": 0, "finance": 0,
            "table_columns": sum(getattr(new, t).shape[1] for t in Results.TABLES),
        }
        assert_same_results(store.load_results("s1"), new)
        assert_same_results(store.load_results("baseline"), make_results())
        store.write_run(make_record("s1", None, status="error", error="boom"), None, None)
        assert rows_of(store, "s1")["runs"] == 1
        assert sum(rows_of(store, "s1").values()) == 1
        assert store.runs()["run_id"].tolist() == ["baseline", "s1"]


def test_finance_round_trip(db: Path) -> None:
    finance = pd.DataFrame({"section": ["pnl", "pnl", "capex_case"],
                            "line": ["revenue", "ebit", "irr"], "value": [100.0, 7.5, math.nan]})
    with ResultsStore(db) as store:
        write(store, "baseline", make_results())
        store.write_finance("baseline", finance)
        store.write_finance("baseline", finance)  # replaces, does not append
        got = store.table("finance")
    assert got["run_id"].tolist() == ["baseline"] * 3
    pd.testing.assert_frame_equal(got.drop(columns="run_id"), finance)


def test_second_process_is_refused_while_the_writer_has_the_file(db: Path) -> None:
    with ResultsStore(db):
        code = f"import netdesign.store as s; s.ResultsStore({str(db)!r}, read_only=True)"
        probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               timeout=120)
        with ResultsStore(db, read_only=True) as reader:  # the same process may read alongside
            assert reader.runs().empty
            with pytest.raises(PermissionError):
                reader.write_run(make_record("x"), None, None)
    assert probe.returncode != 0
    assert "is open in another process" in probe.stderr
    with ResultsStore(db, read_only=True) as store:  # fine once the writer has closed it
        assert store.runs().empty


def test_refuses_a_run_whose_cost_lines_are_another_solutions(db: Path) -> None:
    """One solution per stored run: cost lines that do not add up to the objective (within
    1e-6 relative) mean the tables belong to another solution, and nothing is written."""
    good = make_results()
    with ResultsStore(db) as store:
        write(store, "twin", good)
        foreign = dataclasses.replace(good, objective=good.objective * 0.99)
        with pytest.raises(ValueError, match="another solution"):
            write(store, "reoptimize", foreign)
        stale = make_record("reoptimize", good)
        with pytest.raises(ValueError, match="objective"):
            store.write_run(dataclasses.replace(stale, objective=good.objective + 50.0), good,
                            KPIS)
        assert store.runs()["run_id"].tolist() == ["twin"]
        within = dataclasses.replace(good, objective=good.objective * (1 + 5e-7))
        write(store, "reoptimize", within)
        assert set(store.runs()["run_id"]) == {"twin", "reoptimize"}


def test_floor_and_both_gaps_round_trip(db: Path) -> None:
    results = dataclasses.replace(make_results(), floor=9000.0, gap_total=0.25,
                                  floor_parts={"purchase_at_cheapest_source": 9000.0})
    with ResultsStore(db) as store:
        record = dataclasses.replace(make_record("baseline", results), floor=9000.0,
                                     gap_total=0.25, floor_parts=results.floor_parts)
        store.write_run(record, results, KPIS)
        back = store.load_results("baseline")
    assert back.floor == 9000.0 and back.gap_total == 0.25
    assert back.floor_parts == {"purchase_at_cheapest_source": 9000.0}
    assert back.controllable == pytest.approx(results.objective - 9000.0)
