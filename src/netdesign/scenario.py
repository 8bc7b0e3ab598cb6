"""Scenario files: what-if changes applied to a model, with a priority order, collisions and a log.

A scenario is a YAML file (safe-loaded, never evaluated)::

    name: fuel_up_20
    description: Diesel +20 %
    model: ../models/us_retail        # folder or workbook, relative to this file
    mode: reoptimize                  # or fixed_network: keep the baseline design, re-flow only
    settings: {fuel_index: 1.2}       # any model.yaml key; dotted keys for nested ones
    changes:                          # table edits, applied in order
      - {table: demand, where: {region: West}, scale: {annual_units: 0.85}}
      - {table: facilities, where: {facility: DC_ATL}, set: {status: forced_closed}}
      - {table: facilities, add: [{facility: DC_BOI, location: "Boise, ID", ...}]}
    sweep: {settings.fuel_index: [1.0, 1.1, 1.2]}   # optional grid: one run per point
    probability: 0.25                 # optional weight in a robust design (netdesign.robust);
                                      # a sweep file's probability is split equally over its points

**Priority** (later wins): model.yaml < scenario ``settings`` < sweep point < ``changes`` <
command-line ``--set``. Settings merge key by key (:mod:`netdesign.settings_merge`):
``settings: {service: {max_days: 4}}`` keeps the model's service band. A setting written at two
levels is an override (logged); written twice at one level (``service.max_days`` and
``service: {max_days: …}``) it is a collision, and an unknown setting is an error naming the file
and key. Two ``changes`` that write the same cell of the same row are a collision too. ``where``
filters on column equality (a list means any of); on ``demand`` and ``supply`` rows it may also
use columns of the customer, product or supplier the row refers to (e.g. ``region``).
``set`` writes a value, ``scale`` multiplies a number, ``add`` adds a number (a mapping) or appends
rows (a list of rows). Every applied change is logged: source, table, column, rows touched,
old → new. Changes are applied to the raw cells, then the whole model is validated again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from netdesign import yamlfile
from netdesign.data import ModelData
from netdesign.effects import mark_no_effect
from netdesign.errors import ScenarioError
from netdesign.io import RawModel
from netdesign.schema import TABLES
from netdesign.settings_merge import merge_layer
from netdesign.validate import validate

_RELATED = {"customer": "customers", "product": "products", "supplier": "suppliers",
            "facility": "facilities"}


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid")
    table: str
    where: dict[str, Any] = Field(default_factory=dict)
    set: dict[str, Any] | None = None
    scale: dict[str, float] | None = None
    add: dict[str, float] | list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one_operation(self) -> Change:
        ops = [op for op in ("set", "scale", "add") if getattr(self, op) is not None]
        if len(ops) != 1:
            raise ValueError(f"exactly one of set, scale, add per change (found {ops or 'none'})")
        return self


class ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    model: str | None = None
    mode: Literal["reoptimize", "fixed_network"] = "reoptimize"
    settings: dict[str, Any] = Field(default_factory=dict)
    changes: list[Change] = Field(default_factory=list)
    sweep: dict[str, list[Any]] = Field(default_factory=dict)
    probability: float | None = Field(None, ge=0, le=1)


@dataclass(frozen=True)
class Scenario:
    """One run's recipe: a scenario file at one sweep point (or the baseline)."""

    name: str
    description: str = ""
    mode: str = "reoptimize"
    settings: dict[str, Any] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    point: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    model: Path | None = None
    #: weight in a robust design (:mod:`netdesign.robust`); None when the file gives none
    probability: float | None = None

    @property
    def run_id(self) -> str:
        if not self.point:
            return self.name
        inner = ",".join(f"{k.split('.')[-1]}={v}" for k, v in self.point.items())
        return f"{self.name}[{inner}]"


BASELINE = Scenario(name="baseline", description="the model as it is")


def load_scenarios(path: str | Path) -> list[Scenario]:
    """All runs of one scenario file: one per sweep point (the grid's cartesian product)."""
    path = Path(path)
    try:
        raw = yamlfile.load(yamlfile.read_bytes(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ScenarioError(f"{path}: cannot read YAML: {err}") from None
    try:
        spec = ScenarioFile.model_validate(raw or {})
    except ValidationError as err:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or '-'}: {e['msg']}"
                            for e in err.errors())
        raise ScenarioError(f"{path}: {reasons}") from None
    for key in spec.sweep:
        if not key.startswith("settings."):
            raise ScenarioError(f"{path}: sweep key {key!r}: only 'settings.<key>' can be swept")
    model = (path.parent / spec.model).resolve() if spec.model else None
    base = dict(name=spec.name, description=spec.description, mode=spec.mode,
                settings=spec.settings, changes=tuple(spec.changes), source=str(path), model=model)
    if not spec.sweep:
        return [Scenario(**base, probability=spec.probability)]
    keys = list(spec.sweep)
    points = list(itertools.product(*(spec.sweep[k] for k in keys)))
    share = None if spec.probability is None else spec.probability / max(len(points), 1)
    return [Scenario(**base, point=dict(zip(keys, values, strict=True)), probability=share)
            for values in points]


def discover(paths: list[str | Path]) -> list[Path]:
    """Scenario files from files and folders (``*.yaml``/``*.yml`` in a folder, sorted)."""
    found: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found += sorted(p for p in item.iterdir() if p.suffix in (".yaml", ".yml"))
        elif item.exists():
            found.append(item)
        else:
            raise ScenarioError(f"{item}: no such scenario file or folder")
    return found


def parse_set(items: list[str]) -> dict[str, Any]:
    """``key=value`` command-line overrides; values are parsed as YAML scalars."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {item!r}: expected key=value")
        try:
            out[key.strip()] = yamlfile.load(value)
        except yaml.YAMLError as err:
            raise ScenarioError(f"--set {item!r}: the value is not a YAML scalar ({err})") from None
    return out


# -- applying --------------------------------------------------------------------------------------


@dataclass
class AppliedScenario:
    data: ModelData
    raw: RawModel
    log: list[dict[str, Any]]
    input_hash: str
    forecast: Any = None  # the netdesign.forecast.Forecast behind demand, if from a history


def apply_scenario(raw: RawModel, scenario: Scenario, overrides: dict[str, Any] | None = None,
                   design_key: str = "") -> AppliedScenario:
    """Apply a scenario to raw model cells in priority order, validate, hash the inputs.

    A demand history is forecast (with the scenario's settings) before the table changes, so a
    change to ``demand`` (growth by region or segment, ``demand_sd`` × 1.3) acts on the forecast.
    """
    from netdesign.forecast import with_forecast

    log: list[dict[str, Any]] = []
    settings = json.loads(json.dumps(raw.settings))
    where = scenario.source or scenario.name
    _merge_settings(settings, scenario.settings, "settings", where, "settings.", log)
    _merge_settings(settings, _strip(scenario.point), "sweep", where, "sweep.settings.", log)
    forecast_settings = json.loads(json.dumps(settings))  # --set forecast.* reaches it too
    forecast_overrides = {k: v for k, v in (overrides or {}).items()
                          if k.split(".")[0] == "forecast"}
    _merge_settings(forecast_settings, forecast_overrides, "--set", "command line", "--set ", [])
    staged, forecast = with_forecast(replace(raw, settings=forecast_settings))
    tables = {name: frame.copy() for name, frame in staged.tables.items()}
    written: dict[tuple[str, int, str], int] = {}
    for number, change in enumerate(scenario.changes, start=1):
        _apply_change(tables, change, number, written, log, where)
    _merge_settings(settings, overrides or {}, "--set", "command line", "--set ", log)
    new_raw = replace(raw, settings=settings, tables=tables)
    data = validate(new_raw)
    mark_no_effect(log, data)
    return AppliedScenario(data, new_raw, log, input_hash(new_raw, scenario.mode, design_key),
                           forecast)


def _strip(point: dict[str, Any]) -> dict[str, Any]:
    return {k.removeprefix("settings."): v for k, v in point.items()}


def _merge_settings(settings: dict, layer: dict[str, Any], level: str, where: str,
                    key_prefix: str, log: list) -> None:
    """Merge one settings layer key by key (:mod:`netdesign.settings_merge`), logging each key."""
    for key, old, new in merge_layer(settings, layer, where=where, key_prefix=key_prefix):
        log.append({"source": level, "table": "model.yaml", "column": key, "rows": 1,
                    "old": old, "new": new})


def _apply_change(tables: dict[str, pd.DataFrame], change: Change, number: int,
                  written: dict, log: list, where: str) -> None:
    label = f"{where}: changes[{number}]"
    if change.table not in TABLES:
        raise ScenarioError(f"{label}: unknown table {change.table!r}; tables are "
                            f"{', '.join(TABLES)}")
    frame = tables.get(change.table, pd.DataFrame(columns=list(TABLES[change.table].model_fields)))
    if isinstance(change.add, list):
        rows = pd.DataFrame([{k: _text(v) for k, v in row.items()} for row in change.add])
        unknown = set(rows.columns) - set(TABLES[change.table].model_fields) - set(frame.columns)
        if unknown:
            raise ScenarioError(f"{label}: unknown column(s) {sorted(unknown)} for table "
                                f"{change.table!r}")
        start = (frame.index.max() + 1) if len(frame) else 2
        rows.index = range(start, start + len(rows))
        tables[change.table] = pd.concat([frame, rows]).fillna("")
        log.append({"source": f"changes[{number}]", "table": change.table, "column": "(rows)",
                    "rows": len(rows), "old": None, "new": f"{len(rows)} row(s) added"})
        return
    mask = _where(tables, change.table, frame, change.where, label)
    op, values = next((op, getattr(change, op)) for op in ("set", "scale", "add")
                      if getattr(change, op) is not None)
    for column, value in values.items():
        if column not in frame.columns and column not in TABLES[change.table].model_fields:
            raise ScenarioError(f"{label}: unknown column {column!r} in table {change.table!r}")
        if column not in frame.columns:
            frame[column] = ""
        for row in frame.index[mask]:
            cell = (change.table, int(row), column)
            if cell in written:
                raise ScenarioError(f"{label}: collides with changes[{written[cell]}]: both write "
                                    f"{change.table} row {row} column {column!r}")
            written[cell] = number
        old = frame.loc[mask, column]
        new = old.map(lambda cell, c=column, v=value: _operate(
            op, cell, v, change.table, c, label))
        frame.loc[mask, column] = new
        entry = {"source": f"changes[{number}]", "table": change.table, "column": column,
                 "rows": int(mask.sum()), "old": _summary(old), "new": _summary(new),
                 "operation": f"{op} {value}", "where": change.where}
        if _unchanged(change.table, column, old, new):
            entry["warning"] = f"every touched cell keeps its value ({op} {value})"
        log.append(entry)
    tables[change.table] = frame


def _where(tables: dict[str, pd.DataFrame], table: str, frame: pd.DataFrame, where: dict,
           label: str) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, wanted in where.items():
        options = {_text(v) for v in (wanted if isinstance(wanted, list) else [wanted])}
        values = _column(tables, table, frame, column, label)
        mask &= values.isin(options)
    if not mask.any():
        raise ScenarioError(f"{label}: where {where} matches no row of {table}")
    return mask


def _column(tables: dict[str, pd.DataFrame], table: str, frame: pd.DataFrame, column: str,
            label: str) -> pd.Series:
    if column in frame.columns:
        return frame[column].map(_text)
    for key, other in _RELATED.items():
        if key in frame.columns and other != table and column in tables.get(other, {}):
            lookup = tables[other].set_index(key)[column].map(_text)
            return frame[key].map(lookup)
    raise ScenarioError(f"{label}: unknown column {column!r} in where for table {table!r}")


def _operate(op: str, cell: Any, value: Any, table: str, column: str, label: str) -> str:
    if op == "set":
        return _text(value)
    number = _number(cell, table, column, label)
    result = number * float(value) if op == "scale" else number + float(value)
    return _text(result)


def _number(cell: Any, table: str, column: str, label: str) -> float:
    if cell == "" or cell is None:
        default = TABLES[table].model_fields[column].default
        if isinstance(default, int | float):
            return float(default)
        raise ScenarioError(f"{label}: {table}.{column} is blank and has no numeric default")
    try:
        return float(cell)
    except (TypeError, ValueError):
        raise ScenarioError(f"{label}: {table}.{column} value {cell!r} is not a number") from None


def _unchanged(table: str, column: str, old: pd.Series, new: pd.Series) -> bool:
    """Every cell holds the same value after the change (a blank cell is its default)."""
    default = TABLES[table].model_fields[column].default if (
        column in TABLES[table].model_fields) else None

    def value(cell: Any) -> Any:
        cell = default if cell in ("", None) else cell
        try:
            return float(cell)
        except (TypeError, ValueError):
            return cell

    return all(value(a) == value(b) for a, b in zip(old, new, strict=True))


def _text(value: Any) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return repr(value) if not value.is_integer() else str(int(value))
    return "" if value is None else str(value)


def _summary(series: pd.Series) -> Any:
    if len(series) == 1:
        return series.iloc[0]
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().all():
        return f"sum {numbers.sum():,.6g} over {len(series)} rows"
    return f"{series.nunique()} distinct values over {len(series)} rows"


def input_hash(raw: RawModel, mode: str, design_key: str = "") -> str:
    """SHA-256 of everything a run depends on: settings, every table's cells, mode and design."""
    digest = hashlib.sha256()
    digest.update(json.dumps(raw.settings, sort_keys=True, default=str).encode())
    for name in sorted(raw.tables):
        digest.update(name.encode())
        digest.update(raw.tables[name].to_csv(index=False).encode())
    digest.update(mode.encode())
    digest.update(design_key.encode())
    return digest.hexdigest()[:16]

