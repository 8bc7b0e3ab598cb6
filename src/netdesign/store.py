"""The study's results database: one embedded DuckDB file, ``DIR/results.duckdb``.

Every table is keyed by ``run_id`` (one run = one scenario, or one point of a sweep):

==================  ===========================================================================
table               columns
==================  ===========================================================================
runs                one row per run: every :class:`RunRecord` field (``point``, ``settings``,
                    ``change_log``, ``model_size`` and ``diagnosis`` as JSON text) + has_results
costs               run_id, line, value [currency/year]
kpis                run_id, name, value, unit (:data:`~netdesign.results.KPI_UNITS`; nan: NULL)
facilities, flows,  run_id, then the columns of the :class:`~netdesign.results.Results` table
inventory,          (results.py documents them). Extra columns a run brings are added to the
assignments,        table; a run lacking a column has NULL there.
service, strategy,
unmet
finance             run_id, section, line, value (:meth:`ResultsStore.write_finance`)
table_columns       run_id, table_name, position, column_name, dtype: each stored Results
                    table's own columns and pandas dtypes, so :meth:`ResultsStore.load_results`
                    gives back exactly the frames that were written (empty ones too)
==================  ===========================================================================

Writes are atomic: :meth:`ResultsStore.write_run` is one transaction that deletes every row of the
run in every table (``finance`` included) and inserts the new ones; if anything fails it rolls back
and the store holds what it held before. A process killed in the middle of a write leaves the
file openable with the earlier (committed) runs intact: DuckDB writes a transaction to its
write-ahead log only at commit and replays the log on the next open.

**One writer.** Only one process (the study's parent) opens the file to write; workers return
their results to it. Between commands, the study folder's lock
(:func:`netdesign.files.folder_lock`) keeps a second study, ``report`` or ``compare`` from
starting while one runs. DuckDB locks the file: while a process has it open read-write, no other
process can open it, not even read-only (readers such as :func:`netdesign.compare.compare` open it
``read_only=True`` once the study is done; several reading processes may share it). Within the
writing process, use one read-write ``ResultsStore`` per file (read-only ones may be opened
alongside it); it may be used from several threads (calls are serialised by a lock).

Row order within a run is the order of the written frame (DuckDB preserves insertion order for
queries without ``ORDER BY``; the connection sets ``preserve_insertion_order`` explicitly).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from netdesign.results import KPI_UNITS, SOLVED, Results

FINISHED = (*SOLVED, "infeasible", "unbounded")
"""Statuses that count as done: a run with one of them is not run again (see :meth:`finished`)."""

RESULT_TABLES = Results.TABLES
JSON_FIELDS = ("point", "settings", "change_log", "model_size", "diagnosis", "floor_parts",
               "exchanges")
COST_TOLERANCE = 1e-6
"""Relative difference between a run's objective and the sum of its cost lines that
:meth:`ResultsStore.write_run` accepts (more means the tables belong to another solution)."""

_RUNS_SCHEMA = {
    "run_id": "VARCHAR",
    "scenario": "VARCHAR",
    "point": "VARCHAR",
    "mode": "VARCHAR",
    "description": "VARCHAR",
    "input_hash": "VARCHAR",
    "settings": "VARCHAR",
    "status": "VARCHAR",
    "objective": "DOUBLE",
    "bound": "DOUBLE",
    "gap": "DOUBLE",
    "build_seconds": "DOUBLE",
    "solve_seconds": "DOUBLE",
    "change_log": "VARCHAR",
    "error": "VARCHAR",
    "model_size": "VARCHAR",
    "diagnosis": "VARCHAR",
    "started_at": "VARCHAR",
    "finished_at": "VARCHAR",
    "floor": "DOUBLE",
    "gap_total": "DOUBLE",
    "floor_parts": "VARCHAR",
    "exchanges": "VARCHAR",
    "has_results": "BOOLEAN",
}

_S, _D = "VARCHAR", "DOUBLE"
SCHEMAS: dict[str, dict[str, str]] = {
    "runs": _RUNS_SCHEMA,
    "costs": {"run_id": _S, "line": _S, "value": _D},
    "kpis": {"run_id": _S, "name": _S, "value": _D, "unit": _S},
    "facilities": {
        "run_id": _S, "facility": _S, "status": _S, "open": "BOOLEAN", "change": _S, "role": _S,
        "options": _S, "throughput": _D, "throughput_capacity": _D, "utilisation": _D,
        "inventory": _D,
    },
    "flows": {
        "run_id": _S, "leg": _S, "product": _S, "origin": _S, "destination": _S, "mode": _S,
        "units": _D, "distance_km": _D, "transit_days": _D, "freight": _D, "co2_kg": _D,
    },
    "inventory": {
        "run_id": _S, "product": _S, "facility": _S, "throughput": _D, "cycle": _D, "safety": _D,
        "safety_exact": _D, "safety_error": _D, "pipeline": _D, "unit_value": _D, "value": _D,
    },
    "assignments": {
        "run_id": _S, "product": _S, "customer": _S, "facility": _S, "units": _D, "share": _D,
    },
    "service": {
        "run_id": _S, "product": _S, "customer": _S, "units": _D, "delivery_days": _D,
        "max_days": _D,
    },
    "strategy": {
        "run_id": _S, "product": _S, "stocking_points": "BIGINT", "facilities": _S, "strategy": _S,
    },
    "unmet": {"run_id": _S, "product": _S, "customer": _S, "units": _D},
    "finance": {"run_id": _S, "section": _S, "line": _S, "value": _D},
    "table_columns": {
        "run_id": _S, "table_name": _S, "position": "INTEGER", "column_name": _S, "dtype": _S,
    },
}
"""Table → column → DuckDB type at creation. Results tables gain columns as runs bring them."""

TABLES = tuple(SCHEMAS)

_INTEGERS = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
}
_NUMERIC = _INTEGERS | {"UBIGINT", "HUGEINT", "UHUGEINT", "FLOAT", "DOUBLE"}
_NULL_TYPE = "NULL"  # what DuckDB infers for an object column holding only None (2.0: '"NULL"')


@dataclass(frozen=True)
class RunRecord:
    """Everything about one run except its solution tables.

    ``point`` is the sweep point (setting → value, empty for a plain scenario), ``settings`` the
    effective settings, ``change_log`` the applied changes, ``error`` the error text of a run that
    failed (status ``error``), ``started_at``/``finished_at`` ISO timestamps. ``objective`` and
    ``bound`` are total cost; ``floor`` the part no decision changes (``floor_parts`` by
    component); ``gap`` is on the controllable cost, (objective − bound) / (objective − floor),
    ``gap_total`` on the total. ``exchanges`` lists the designs of other runs priced in this one
    (incumbent exchange), each with its cost and whether it was kept.
    """

    run_id: str
    scenario: str
    point: dict
    mode: str
    description: str
    input_hash: str
    settings: dict
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    change_log: list[dict]
    error: str
    model_size: dict
    diagnosis: list[str]
    started_at: str
    finished_at: str
    floor: float | None = None
    gap_total: float | None = None
    floor_parts: dict = field(default_factory=dict)
    exchanges: list = field(default_factory=list)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default)


def _number(value: Any) -> float | None:
    """A float, or None for None/nan (stored as NULL)."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _common_type(table_type: str, frame_type: str) -> str | None:
    """The type a column must change to so both types fit, or None when it can stay."""
    if frame_type in (table_type, _NULL_TYPE):
        return None
    if table_type in _NUMERIC and frame_type in _NUMERIC:
        if table_type == "DOUBLE":
            return None
        both_int = table_type in _INTEGERS and frame_type in _INTEGERS
        return None if both_int and table_type == "BIGINT" else "BIGINT" if both_int else "DOUBLE"
    return None if table_type == "VARCHAR" else "VARCHAR"


def _restore(series: pd.Series, dtype: str) -> pd.Series:
    """Cast a fetched column back to the pandas dtype it was written with."""
    if str(series.dtype) == dtype:
        return series
    if dtype == "bool" and not pd.api.types.is_bool_dtype(series):
        if pd.api.types.is_numeric_dtype(series):
            return series.astype(bool)
        return series.map(lambda v: str(v).strip().lower() in ("true", "1")).astype(bool)
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series


def _check_one_solution(record: RunRecord, results: Results | None) -> None:
    """Refuse a run whose stored tables would come from another solution than its objective."""
    if results is None or results.objective is None:
        return
    if record.objective is None or abs(record.objective - results.objective) > COST_TOLERANCE * max(
            abs(results.objective), 1.0):
        raise ValueError(f"run {record.run_id!r}: the record's objective {record.objective} is "
                         f"not the results' {results.objective}; refused")
    if results.cost_mismatch() > COST_TOLERANCE:
        raise ValueError(
            f"run {record.run_id!r}: its cost lines add up to {float(results.costs.sum()):,.2f} "
            f"but its objective is {results.objective:,.2f} (relative difference "
            f"{results.cost_mismatch():.2e} > {COST_TOLERANCE:g}): the tables belong to another "
            "solution; refused")


class ResultsStore:
    """The results database of a study (see the module docstring for tables and guarantees).

    ``ResultsStore(path)`` creates the file and its tables if missing; ``read_only=True`` opens an
    existing file for reading only (FileNotFoundError when it is missing).
    """

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only = bool(read_only)
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"no results database at {self.path}")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        config = {"preserve_insertion_order": True}
        try:
            try:
                self._con = duckdb.connect(str(self.path), read_only=read_only, config=config)
            except duckdb.ConnectionException:
                if not read_only:
                    raise
                # This process has the file open read-write already (DuckDB refuses a second,
                # read-only configuration in one process): share that database; this store still
                # refuses to write.
                self._con = duckdb.connect(str(self.path), config=config)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise RuntimeError(
                    f"{self.path} is open in another process; only one process may open a study's "
                    f"results database while it writes ({exc})"
                ) from exc
            raise
        self._lock = threading.RLock()
        self._closed = False
        self._types: dict[str, dict[str, str]] = {}  # table → column → type (this process writes)
        if not read_only:
            with self._transaction():
                for name, schema in SCHEMAS.items():
                    cols = ", ".join(f"{_ident(c)} {t}" for c, t in schema.items())
                    self._con.execute(f"CREATE TABLE IF NOT EXISTS {_ident(name)} ({cols})")
                for column, kind in _RUNS_SCHEMA.items():  # a study stored by an older version
                    self._con.execute(f"ALTER TABLE runs ADD COLUMN IF NOT EXISTS "
                                      f"{_ident(column)} {kind}")

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._con.close()
                self._closed = True

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self._con.execute("ROLLBACK")
                self._types.clear()  # schema changes of the transaction are undone too
                raise
            try:
                self._con.execute("COMMIT")
            except BaseException:
                self._types.clear()
                with suppress(duckdb.Error):
                    self._con.execute("ROLLBACK")
                raise

    # -- schema ----------------------------------------------------------------------------------

    def _existing_tables(self) -> set[str]:
        rows = self._con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = current_schema()"
        ).fetchall()
        return {r[0] for r in rows}

    def _columns(self, table: str) -> dict[str, str]:
        """Column → DuckDB type of a table, cached (only this process changes the schema)."""
        if table not in self._types:
            self._types[table] = self._read_columns(table)
        return self._types[table]

    def _read_columns(self, table: str) -> dict[str, str]:
        rows = self._con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
            "AND database_name = current_database() AND schema_name = current_schema() "
            "ORDER BY column_index",
            [table],
        ).fetchall()
        return dict(rows)

    def _fit_schema(self, table: str, frame_types: dict[str, str], nulls: set[str]) -> None:
        """Add the frame's new columns to ``table`` and widen columns whose types clash.

        Columns in ``nulls`` (no value in the frame) never change an existing column's type.
        """
        existing = self._columns(table)
        for column, frame_type in frame_types.items():
            if column not in existing:
                new_type = "VARCHAR" if frame_type == _NULL_TYPE else frame_type
                self._con.execute(
                    f"ALTER TABLE {_ident(table)} ADD COLUMN {_ident(column)} {new_type}"
                )
                existing[column] = new_type
                continue
            if column in nulls:
                continue
            target = _common_type(existing[column], frame_type)
            if target is None:
                continue
            if self._con.execute(
                f"SELECT count({_ident(column)}) FROM {_ident(table)}"
            ).fetchone()[0] == 0:
                target = "VARCHAR" if frame_type == _NULL_TYPE else frame_type
            self._con.execute(
                f"ALTER TABLE {_ident(table)} ALTER COLUMN {_ident(column)} TYPE {target}"
            )
            existing[column] = target

    def _insert(self, table: str, run_id: str, frame: pd.DataFrame) -> None:
        """Insert ``frame`` (without run_id) as rows of ``run_id`` into ``table``, set-wise."""
        if frame.shape[1] == 0:
            return
        view = f"_netdesign_{table}"
        self._con.register(view, frame)
        try:
            described = self._con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()
            nulls = {str(c) for c in frame.columns if not frame[c].notna().any()}
            types = {row[0]: row[1].strip('"').upper() if row[1].strip('"').upper() == _NULL_TYPE
                     else row[1] for row in described}
            self._fit_schema(table, types, nulls)
            if len(frame):
                self._con.execute(
                    f"INSERT INTO {_ident(table)} BY NAME "
                    f"SELECT ?::VARCHAR AS run_id, * FROM {view}",
                    [run_id],
                )
        finally:
            self._con.unregister(view)

    # -- writing ---------------------------------------------------------------------------------

    def write_run(
        self, record: RunRecord, results: Results | None, kpis: dict[str, float] | None
    ) -> None:
        """Store one run atomically, replacing any earlier run with the same ``run_id``.

        The record goes to ``runs`` (its fields are the truth for status, objective and times,
        also when ``results`` is given), ``results`` (None for a run that failed) to ``costs``,
        the Results tables and ``table_columns``, ``kpis`` (name → value) to ``kpis`` with units
        from :data:`netdesign.results.KPI_UNITS`. The run's ``finance`` rows are deleted too:
        write them with :meth:`write_finance` after this. A frame's index is not stored.

        ValueError, and nothing written, when the run's tables do not belong to the solution whose
        objective is stored: the cost lines must add up to the objective within
        :data:`COST_TOLERANCE` (relative), and the record's objective must be the results'.
        """
        _check_one_solution(record, results)
        frames = self._frames(record, results, kpis)
        with self._transaction():
            for table in TABLES:
                self._con.execute(f"DELETE FROM {_ident(table)} WHERE run_id = ?", [record.run_id])
            for table, frame in frames.items():
                self._insert(table, record.run_id, frame)

    def _frames(
        self, record: RunRecord, results: Results | None, kpis: dict[str, float] | None
    ) -> dict[str, pd.DataFrame]:
        """Every frame to insert, built before the transaction starts (no run_id column)."""
        if self.read_only:
            raise PermissionError(f"{self.path} is open read-only")
        row: dict[str, Any] = {}
        for f in fields(RunRecord):
            value = getattr(record, f.name)
            if f.name in JSON_FIELDS:
                row[f.name] = _to_json(value)
            elif _RUNS_SCHEMA[f.name] == "DOUBLE":
                row[f.name] = _number(value)
            else:
                row[f.name] = "" if value is None else str(value)
        row["has_results"] = results is not None
        runs = pd.DataFrame([row]).drop(columns="run_id")
        runs = runs.astype({c: float for c, t in _RUNS_SCHEMA.items() if t == "DOUBLE"})
        frames: dict[str, pd.DataFrame] = {"runs": runs}
        if kpis is not None:
            names = [str(k) for k in kpis]
            frames["kpis"] = pd.DataFrame(
                {
                    "name": pd.Series(names, dtype=object),
                    "value": pd.Series([_number(v) for v in kpis.values()], dtype=float),
                    "unit": pd.Series([KPI_UNITS.get(n, "") for n in names], dtype=object),
                }
            )
        if results is None:
            return frames
        frames["costs"] = pd.DataFrame(
            {
                "line": pd.Series([str(k) for k in results.costs.index], dtype=object),
                "value": pd.Series(results.costs.to_numpy(dtype=float), dtype=float),
            }
        )
        meta = []
        for table in RESULT_TABLES:
            frame = getattr(results, table)
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"Results.{table} is a {type(frame).__name__}, not a DataFrame")
            if "run_id" in frame.columns:
                raise ValueError(f"Results.{table} has a column named run_id (reserved)")
            if frame.columns.duplicated().any():
                raise ValueError(f"Results.{table} has duplicate column names")
            frames[table] = frame.reset_index(drop=True).rename(columns=str)
            meta += [
                (table, i, str(c), str(frame[c].dtype)) for i, c in enumerate(frame.columns)
            ]
        frames["table_columns"] = pd.DataFrame(
            meta, columns=["table_name", "position", "column_name", "dtype"]
        ).astype({"table_name": object, "position": "int32", "column_name": object,
                  "dtype": object})
        return frames

    def write_finance(self, run_id: str, finance: pd.DataFrame) -> None:
        """Replace the ``finance`` rows of a stored run (columns section, line, value).

        Atomic like :meth:`write_run`; ValueError when the run is not stored or a column is
        missing (other columns are ignored).
        """
        if self.read_only:
            raise PermissionError(f"{self.path} is open read-only")
        missing = {"section", "line", "value"} - set(finance.columns)
        if missing:
            raise ValueError(f"finance frame lacks column(s) {sorted(missing)}")
        frame = pd.DataFrame(
            {
                "section": finance["section"].astype(str).astype(object).to_numpy(),
                "line": finance["line"].astype(str).astype(object).to_numpy(),
                "value": pd.to_numeric(finance["value"]).astype(float).to_numpy(),
            }
        )
        with self._transaction():
            if not self._con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchall():
                raise ValueError(f"run {run_id!r} is not in {self.path}; write_run it first")
            self._con.execute("DELETE FROM finance WHERE run_id = ?", [run_id])
            self._insert("finance", run_id, frame)

    # -- reading ---------------------------------------------------------------------------------

    def _query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self._lock:
            return self._con.execute(sql, params or []).fetchdf()

    def finished(self) -> dict[str, str]:
        """input_hash → run_id of the runs whose status is in :data:`FINISHED` (the latest by
        finished_at when several share an input hash)."""
        return {input_hash: run_id for run_id, input_hash in self._finished_rows()}

    def finished_runs(self) -> set[tuple[str, str]]:
        """(run_id, input_hash) of every run whose status is in :data:`FINISHED`."""
        return set(self._finished_rows())

    def _finished_rows(self) -> list[tuple[str, str]]:
        placeholders = ", ".join("?" for _ in FINISHED)
        with self._lock:
            return self._con.execute(
                f"SELECT run_id, input_hash FROM runs WHERE status IN ({placeholders}) "
                "ORDER BY finished_at, run_id", list(FINISHED)).fetchall()

    def runs(self) -> pd.DataFrame:
        """One row per run, ordered by started_at then run_id; JSON columns decoded to Python
        values (dict/list)."""
        frame = self._query("SELECT * FROM runs ORDER BY started_at, run_id")
        for column in JSON_FIELDS:
            frame[column] = pd.Series(
                [json.loads(v) if isinstance(v, str) and v else None for v in frame[column]],
                index=frame.index,
                dtype=object,
            )
        return frame

    def record(self, run_id: str) -> RunRecord:
        """The :class:`RunRecord` of a stored run (KeyError when absent)."""
        frame = self._query("SELECT * FROM runs WHERE run_id = ?", [run_id])
        if frame.empty:
            raise KeyError(self._missing(run_id))
        row = frame.iloc[0]
        values: dict[str, Any] = {}
        for f in fields(RunRecord):
            value = row[f.name]
            if f.name in JSON_FIELDS:
                value = json.loads(value) if isinstance(value, str) and value else (
                    f.default_factory() if callable(f.default_factory) else None)
            elif _RUNS_SCHEMA[f.name] == "DOUBLE":
                value = None if pd.isna(value) else float(value)
                if value is None and f.name in ("build_seconds", "solve_seconds"):
                    value = math.nan
            else:
                value = "" if pd.isna(value) else str(value)
            values[f.name] = value
        return RunRecord(**values)

    def _missing(self, run_id: str) -> str:
        ids = self._query("SELECT run_id FROM runs ORDER BY started_at, run_id")["run_id"]
        return f"run {run_id!r} is not stored; stored runs: {', '.join(ids) or '(none)'}"

    def table(self, name: str) -> pd.DataFrame:
        """Every row of one table (any of :data:`TABLES`), all runs, run_id first."""
        if name not in SCHEMAS:
            raise ValueError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
        with self._lock:
            if name not in self._existing_tables():  # a read-only store of an empty study
                return pd.DataFrame({c: pd.Series(dtype=object) for c in SCHEMAS[name]})
            return self._con.execute(f"SELECT * FROM {_ident(name)}").fetchdf()

    def load_results(self, run_id: str) -> Results:
        """Rebuild the :class:`Results` of a stored run from its tables (``solver_log`` is not
        stored and comes back empty). KeyError when the run is absent or was stored without
        results (a failed run)."""
        record = self.record(run_id)
        with self._lock:
            has = self._con.execute(
                "SELECT has_results FROM runs WHERE run_id = ?", [run_id]
            ).fetchone()[0]
            if not has:
                raise KeyError(
                    f"run {run_id!r} was stored without results (status {record.status}"
                    + (f": {record.error}" if record.error else "")
                    + ")"
                )
            meta = self._con.execute(
                "SELECT table_name, column_name, dtype FROM table_columns WHERE run_id = ? "
                "ORDER BY table_name, position",
                [run_id],
            ).fetchall()
            costs = self._con.execute(
                "SELECT line, value FROM costs WHERE run_id = ?", [run_id]
            ).fetchdf()
            tables: dict[str, pd.DataFrame] = {}
            for table in RESULT_TABLES:
                columns = [(c, d) for t, c, d in meta if t == table]
                tables[table] = self._load_table(table, run_id, columns)
        return Results(
            status=record.status,
            objective=record.objective,
            bound=record.bound,
            gap=record.gap,
            solve_seconds=record.solve_seconds,
            build_seconds=record.build_seconds,
            costs=pd.Series(
                costs["value"].to_numpy(dtype=float), index=pd.Index(costs["line"].tolist())
            ),
            model_size=record.model_size,
            diagnosis=record.diagnosis,
            gap_total=record.gap_total,
            floor=record.floor,
            floor_parts=record.floor_parts or {},
            **tables,
        )

    def _load_table(self, table: str, run_id: str, columns: list[tuple[str, str]]) -> pd.DataFrame:
        if not columns:
            return pd.DataFrame()
        select = ", ".join(_ident(c) for c, _ in columns)
        frame = self._con.execute(
            f"SELECT {select} FROM {_ident(table)} WHERE run_id = ?", [run_id]
        ).fetchdf()
        return pd.DataFrame(
            {c: _restore(frame[c], dtype) for c, dtype in columns}, index=pd.RangeIndex(len(frame))
        )

