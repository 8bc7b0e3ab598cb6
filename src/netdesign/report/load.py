"""Everything the report shows, read once from a study folder.

The solution tables come from ``DIR/results.duckdb`` (:class:`~netdesign.store.ResultsStore`, read
only). The stored results hold no coordinates, so the map needs the model the study started from;
:func:`find_model` looks for it in this order:

1. the ``model`` argument of :func:`load_study` / :func:`netdesign.report.write_report`;
2. ``DIR/study.json`` with a ``"model"`` key (a path, absolute or relative to DIR);
3. ``models/<name>`` (``name`` from the stored settings) under the current directory or DIR's
   parent, accepted only if that model's name matches and it knows every stored facility.

Without a model the report still renders; the map section says why it has no map.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from netdesign.results import SOLVED

TABLES = ("costs", "kpis", "facilities", "flows", "inventory", "assignments", "service",
          "strategy", "unmet", "finance")


@dataclass
class Locations:
    """Coordinates of every node the map draws, from the study's model."""

    facilities: pd.DataFrame  # facility, lat, lon, label
    customers: pd.DataFrame  # customer, lat, lon, label, region
    suppliers: pd.DataFrame  # supplier, lat, lon, label
    source: str = ""

    def coords(self) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        for frame, key in ((self.suppliers, "supplier"), (self.facilities, "facility"),
                           (self.customers, "customer")):
            for name, lat, lon in zip(frame[key], frame["lat"], frame["lon"], strict=True):
                out[str(name)] = (float(lat), float(lon))
        return out


@dataclass
class StudyData:
    """The study as plain frames (every table keyed by run_id)."""

    folder: Path
    runs: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    baseline: str | None
    name: str
    currency: str
    locations: Locations | None = None
    location_note: str = ""
    created: str = ""
    extra: dict = field(default_factory=dict)

    # -- run lists -------------------------------------------------------------------------------

    @property
    def solved(self) -> list[str]:
        """Run ids with a solution (a time-limited run without an incumbent has none), baseline
        first, then in stored order."""
        runs = self.runs
        ok = (runs["status"].isin(SOLVED) & runs["has_results"].fillna(False).astype(bool)
              & runs["objective"].notna())
        ids = runs.loc[ok, "run_id"].tolist()
        if self.baseline in ids:
            ids.remove(self.baseline)
            ids.insert(0, self.baseline)
        return ids

    @property
    def scenarios(self) -> list[str]:
        """Solved runs other than the baseline."""
        return [r for r in self.solved if r != self.baseline]

    def run(self, run_id: str) -> pd.Series:
        return self.runs.set_index("run_id").loc[run_id]

    def description(self, run_id: str) -> str:
        return str(self.run(run_id).get("description") or "")

    # -- per-run slices --------------------------------------------------------------------------

    def of(self, table: str, run_id: str) -> pd.DataFrame:
        frame = self.tables[table]
        if frame.empty or "run_id" not in frame:
            return frame.iloc[0:0]
        return frame[frame["run_id"] == run_id].drop(columns="run_id").reset_index(drop=True)

    def costs(self, run_id: str) -> pd.Series:
        rows = self.of("costs", run_id)
        return pd.Series(rows["value"].to_numpy(dtype=float), index=rows["line"].tolist())

    def kpis(self, run_id: str) -> pd.Series:
        rows = self.of("kpis", run_id)
        return pd.Series(rows["value"].to_numpy(dtype=float), index=rows["name"].tolist())

    def finance(self, run_id: str, section: str) -> pd.Series:
        rows = self.of("finance", run_id)
        rows = rows[rows["section"] == section]
        return pd.Series(rows["value"].to_numpy(dtype=float), index=rows["line"].tolist())

    def objective(self, run_id: str) -> float:
        value = self.run(run_id).get("objective")
        return math.nan if value is None or pd.isna(value) else float(value)

    def open_dcs(self, run_id: str) -> list[str]:
        fac = self.of("facilities", run_id)
        if fac.empty:
            return []
        return fac.loc[fac["open"].astype(bool), "facility"].tolist()

    def sweep_groups(self) -> dict[str, list[str]]:
        """Scenario name → its solved runs that have a sweep point (only names with ≥ 1 run)."""
        groups: dict[str, list[str]] = {}
        for run_id in self.scenarios:
            point = self.run(run_id).get("point")
            if isinstance(point, dict) and point:
                groups.setdefault(str(self.run(run_id)["scenario"]), []).append(run_id)
        return groups


def _read_store(path: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    from netdesign.store import ResultsStore

    with ResultsStore(path, read_only=True) as store:
        runs = store.runs()
        tables = {name: store.table(name) for name in TABLES}
    return runs, tables


def _settings(runs: pd.DataFrame, baseline: str | None) -> dict:
    ordered = runs
    if baseline is not None:
        ordered = pd.concat([runs[runs["run_id"] == baseline], runs[runs["run_id"] != baseline]])
    for value in ordered["settings"]:
        if isinstance(value, dict) and value:
            return value
    return {}


def load_study(study_dir: str | Path, model: str | Path | None = None) -> StudyData:
    """Read the study in ``study_dir`` (FileNotFoundError without ``results.duckdb``)."""
    folder = Path(study_dir)
    runs, tables = _read_store(folder / "results.duckdb")
    runs = order_runs(runs)
    baseline = "baseline" if (runs["run_id"] == "baseline").any() else None
    settings = _settings(runs, baseline)
    name = str(settings.get("name") or folder.resolve().name)
    currency = str(settings.get("currency") or "")
    started = [s for s in runs["started_at"].tolist() if isinstance(s, str) and s]
    created = min(started) if started else ""
    data = StudyData(folder, runs, tables, baseline, name, currency, created=created,
                     extra={"settings": settings, "forecast": read_forecast(folder)})
    path, note = find_model(folder, model, name, tables["facilities"])
    if path is not None:
        try:
            data.locations = read_locations(path)
        except Exception as err:  # the map is optional; everything else still renders
            note = f"could not read the model at {path}: {err}"
    data.location_note = note
    return data


FORECAST_TABLES = ("forecast_months", "accuracy_segment", "accuracy_overall", "segments",
                   "forecast_series")


def read_forecast(folder: Path) -> dict[str, pd.DataFrame]:
    """The forecast tables a study wrote to ``DIR/forecast`` (empty when demand was typed)."""
    base = folder / "forecast"
    if not all((base / f"{name}.csv").exists() for name in FORECAST_TABLES):
        return {}
    tables = {name: pd.read_csv(base / f"{name}.csv") for name in FORECAST_TABLES}
    tables["forecast_months"]["ds"] = pd.to_datetime(tables["forecast_months"]["ds"])
    return tables


def order_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Baseline first, then scenarios in the order they were first started, the points of a
    sweep together and sorted by their values."""
    if runs.empty:
        return runs
    first: dict[str, int] = {}
    for i, name in enumerate(runs["scenario"].astype(str)):
        first.setdefault(name, i)

    def point_key(point) -> tuple:
        if not isinstance(point, dict):
            return ()
        return tuple((k, float(v)) if isinstance(v, int | float) else (k, 0.0)
                     for k, v in sorted(point.items()))

    keys = [(0 if run_id == "baseline" else 1, first[str(name)], point_key(point), str(run_id))
            for run_id, name, point in zip(runs["run_id"], runs["scenario"], runs["point"],
                                           strict=True)]
    order = sorted(range(len(runs)), key=lambda i: keys[i])
    return runs.iloc[order].reset_index(drop=True)


def find_model(folder: Path, model: str | Path | None, name: str,
               facilities: pd.DataFrame) -> tuple[Path | None, str]:
    """The model folder/workbook the study came from, or None and the reason (module doc)."""
    if model is not None:
        return Path(model), ""
    meta = folder / "study.json"
    if meta.exists():
        try:
            hint = json.loads(meta.read_text()).get("model")
        except (ValueError, AttributeError):
            hint = None
        if hint:
            path = Path(hint) if Path(hint).is_absolute() else folder / hint
            if path.exists():
                return path, ""
    known = set(facilities["facility"].astype(str)) if not facilities.empty else set()
    for base in (Path.cwd(), folder.resolve().parent):
        candidate = base / "models" / name
        if (candidate / "model.yaml").exists() and _matches(candidate, name, known):
            return candidate, ""
    return None, ("the study does not record which model it started from, so no coordinates "
                  "are known: pass model=… to write_report (or put {\"model\": PATH} in "
                  "study.json)")


def _matches(path: Path, name: str, facilities: set[str]) -> bool:
    try:
        from netdesign.io import read_model

        raw = read_model(path)
    except Exception:
        return False
    names = set(raw.tables["facilities"]["facility"].astype(str)) if "facilities" in raw.tables \
        else set()
    return str(raw.settings.get("name", "")) == name and facilities <= names


def read_locations(model: str | Path) -> Locations:
    """Coordinates (geocoded where the model gives a place name) of every node of a model."""
    from netdesign.validate import load_model

    data = load_model(model)

    def frame(table: pd.DataFrame, key: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
        if table.empty:
            return pd.DataFrame(columns=[key, "lat", "lon", "label", *extra])
        label = (table["location"].fillna("").astype(str) if "location" in table
                 else pd.Series([""] * len(table), index=table.index))
        out = pd.DataFrame({
            key: table[key].astype(str).to_numpy(),
            "lat": table["lat"].astype(float).to_numpy(),
            "lon": table["lon"].astype(float).to_numpy(),
            "label": [lab or key_ for lab, key_ in zip(label, table[key].astype(str),
                                                        strict=True)],
        })
        for column in extra:
            out[column] = table[column].astype(str).to_numpy() if column in table else ""
        return out[np.isfinite(out["lat"]) & np.isfinite(out["lon"])].reset_index(drop=True)

    return Locations(
        facilities=frame(data.facilities, "facility"),
        customers=frame(data.customers, "customer", ("region",)),
        suppliers=frame(data.suppliers, "supplier"),
        source=str(model),
    )


def study_date(data: StudyData) -> str:
    """The study's date as '22 Nov 2026' (from the first run's start), or today."""
    try:
        when = datetime.fromisoformat(data.created) if data.created else datetime.now()
    except ValueError:
        when = datetime.now()
    return when.strftime("%d %b %Y").lstrip("0")
