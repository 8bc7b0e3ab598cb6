"""Forecasting the planning year from a demand history (``netdesign forecast``).

:func:`forecast_demand` turns the ``demand_history`` of validated model data into a
:class:`Forecast`: the planning year's ``demand`` table (annual units, orders per year and a
``demand_sd`` from the forecast error, with each row's provenance), the monthly ``demand_profile``
behind the seasonal peak, accuracy per series and by product, segment and region, and the
segmentation. :func:`with_forecast` puts it into a raw model (``solve`` and ``study`` do this
whenever a history is present and ``forecast.use_history`` is true).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from netdesign.data import ModelData
from netdesign.errors import ModelValidationError, Problem
from netdesign.files import write_atomic
from netdesign.forecast import accuracy as acc
from netdesign.forecast.plan import backtest_and_forecast, series_table
from netdesign.forecast.series import build_panel
from netdesign.io import RawModel
from netdesign.schema import LaunchSettings, Settings
from netdesign.segmentation import segment_products

__all__ = ["Forecast", "forecast_demand", "with_forecast"]

DEMAND_COLUMNS = ["customer", "product", "annual_units", "demand_sd", "orders_per_year"]
PROVENANCE = ["forecast_method", "forecast_level", "forecast_rmse_month", "history_months",
              "forecast_wape", "backtest_units", "backtest_abs_error", "backtest_error"]


@dataclass(frozen=True)
class Forecast:
    """What the forecast of a demand history produced (all tables are pandas frames).

    ``series``: one row per customer × product (choice, level, accuracy, forecast_sd).
    ``demand``: the planning-year demand table with provenance columns (``demand_sd`` at
    ``forecast.error_scale`` 1). ``profile``: product × calendar month share of the planning
    year. ``accuracy``: by product, segment, region and overall. ``segments``: per product.
    ``months``: product × month units, history (``actual``) and forecast (``forecast``).
    """

    series: pd.DataFrame
    demand: pd.DataFrame
    profile: pd.DataFrame
    accuracy: dict[str, pd.DataFrame]
    segments: pd.DataFrame
    months: pd.DataFrame
    kind: str
    planning_start: pd.Timestamp
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def planning_demand(self, error_scale: float = 1.0,
                        launches: list[LaunchSettings] = ()) -> pd.DataFrame:
        """The demand table with ``demand_sd`` scaled by ``error_scale`` (scenarios: +30 %) and a
        launched product's rows: its analogue's rows × scale (units, and σ so the error's CV
        stays the analogue's), orders per year as the analogue's, method ``launch:<analogue>``."""
        table = self.demand.copy()
        table["demand_sd"] = table["demand_sd"] * error_scale
        rows = [_launched(table, launch) for launch in launches]
        return pd.concat([table, *rows], ignore_index=True) if rows else table

    def planning_profile(self, launches: list[LaunchSettings] = ()) -> pd.DataFrame:
        """The monthly profile, a launched product taking its analogue's shares."""
        rows = [self.profile[self.profile["product"] == launch.analogue].assign(
            product=launch.product) for launch in launches]
        return pd.concat([self.profile, *rows], ignore_index=True) if rows else self.profile

    def summary(self) -> dict:
        overall = self.accuracy["overall"].iloc[0]
        levels = self.series["level"].value_counts().to_dict()
        return {
            "history": self.kind, "planning_start": self.planning_start.strftime("%Y-%m"),
            "series": len(self.series), "levels": levels,
            "methods": self.series["choice"].value_counts().to_dict(),
            "wape": float(overall["wape"]), "bias": float(overall["bias"]),
            "mase": float(overall["mase"]),
            "annual_units": float(self.demand["annual_units"].sum()),
            "accuracy_by_segment": _records(self.accuracy["segment"]),
            "segments": _records(self.segments[["product", "abc", "xyz", "lifecycle",
                                                "seasonal", "derived_segment", "segment"]]),
            "seconds": self.seconds,
        }

    def write(self, folder: str | Path) -> list[Path]:
        """CSV files: demand, demand_profile, forecast_series, accuracy_<by>, segments, months."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tables = {"demand": self.demand, "demand_profile": self.profile,
                  "forecast_series": self.series, "segments": self.segments,
                  "forecast_months": self.months,
                  **{f"accuracy_{k}": v for k, v in self.accuracy.items()}}
        paths = []
        for name, table in tables.items():
            path = folder / f"{name}.csv"
            paths.append(write_atomic(path, partial(table.to_csv, index=False)))
        return paths


def _launched(table: pd.DataFrame, launch: LaunchSettings) -> pd.DataFrame:
    rows = table[table["product"] == launch.analogue]
    if rows.empty:
        raise ValueError(f"forecast.launches: analogue {launch.analogue!r} has no forecast "
                         "(no demand history)")
    return rows.assign(product=launch.product, annual_units=rows["annual_units"] * launch.scale,
                       demand_sd=rows["demand_sd"] * launch.scale,
                       forecast_method=f"launch:{launch.analogue}",
                       forecast_level="analogue", history_months=0)


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def forecast_demand(data: ModelData) -> Forecast:
    """Backtest, choose, forecast and measure every series of ``data.demand_history``."""
    import time

    begin = time.perf_counter()
    panel = build_panel(data)
    errors, future = backtest_and_forecast(panel, data)
    series = series_table(panel, errors, future, data)
    keyed = errors.merge(series[["customer", "product", "region"]].assign(
        unique_id=series["customer"] + "|" + series["product"]), on="unique_id")
    national = panel.series.groupby(["product", "ds"], as_index=False)["y"].sum()
    segments = segment_products(national, _error_cv(series), data.products,
                                data.settings.segmentation)
    series = series.merge(segments[["product", "segment"]], on="product", how="left")
    keyed = keyed.merge(segments[["product", "segment"]], on="product", how="left")
    keyed = keyed.assign(series=keyed["unique_id"], actual=keyed["y"],
                         error=keyed["forecast"] - keyed["y"])
    metrics = series.assign(series=series["customer"] + "|" + series["product"]).set_index(
        "series")
    accuracy = {by: acc.summarise(keyed, metrics, [by]) for by in ("product", "segment",
                                                                     "region")}
    accuracy["overall"] = acc.summarise(keyed, metrics, [])
    planning_start = future["ds"].min()
    return Forecast(
        series=series, demand=_demand_table(series), profile=_profile(future),
        accuracy=accuracy, segments=segments, months=_months(national, future),
        kind=panel.kind, planning_start=planning_start,
        seconds=time.perf_counter() - begin)


def _error_cv(series: pd.DataFrame) -> pd.Series:
    """Per product: the units-weighted mean over its customer series of RMSE / mean monthly
    demand in the backtest (the coefficient of variation of the forecast error)."""
    mean = series["annual_units"] / 12.0
    cv = (series["rmse"] / mean.where(mean > 0)).replace(np.inf, np.nan)
    weight = series["annual_units"].where(cv.notna(), 0.0)
    total = weight.groupby(series["product"]).sum()
    return (cv.fillna(0.0) * weight).groupby(series["product"]).sum() / total.where(total > 0)


def _demand_table(series: pd.DataFrame) -> pd.DataFrame:
    """The planning-year demand rows (annual units > 0) with their provenance."""
    rows = series[series["annual_units"] > 0]
    return pd.DataFrame({
        "customer": rows["customer"], "product": rows["product"],
        "annual_units": rows["annual_units"].round(1),
        "demand_sd": rows["forecast_sd"].round(4),
        "orders_per_year": rows["orders_per_year"].round(1),
        "forecast_method": rows["choice"], "forecast_level": rows["level"],
        "forecast_rmse_month": rows["rmse"].round(3),
        "history_months": rows["history_months"],
        "forecast_wape": rows["wape"].round(4),
        "backtest_units": rows["backtest_units"].round(3),
        "backtest_abs_error": rows["backtest_abs_error"].round(3),
        "backtest_error": rows["backtest_error"].round(3),
    })[DEMAND_COLUMNS + PROVENANCE].reset_index(drop=True)


def _profile(future: pd.DataFrame) -> pd.DataFrame:
    """Product × calendar month share of the planning year's forecast units."""
    product = future["unique_id"].str.split("|").str[1]
    planning = future["ds"] < future["ds"].min() + pd.DateOffset(months=12)
    monthly = future[planning].groupby([product[planning], future.loc[planning, "ds"].dt.month])[
        "forecast"].sum()
    monthly.index.names = ["product", "month"]
    total = monthly.groupby(level="product").transform("sum")
    return (monthly / total.where(total > 0)).dropna().rename("share").reset_index()


def _months(national: pd.DataFrame, future: pd.DataFrame) -> pd.DataFrame:
    """Product × month: history units and forecast units (for the report's charts)."""
    product = future["unique_id"].str.split("|").str[1]
    ahead = future.groupby([product, future["ds"]])["forecast"].sum().rename("forecast")
    ahead.index.names = ["product", "ds"]
    past = national.set_index(["product", "ds"])["y"].rename("actual")
    return pd.concat([past, ahead], axis=1).reset_index().sort_values(["product", "ds"])


# -- into a model ----------------------------------------------------------------------------------

_CACHE: dict[str, Forecast] = {}


_DIGESTS: dict[int, tuple[pd.DataFrame, bytes]] = {}


def _digest(frame: pd.DataFrame) -> bytes:
    """A frame's content hash, once per frame object (a study hands every scenario the same
    history frame: ~1 s to hash on the demo)."""
    hit = _DIGESTS.get(id(frame))
    if hit is not None and hit[0] is frame:
        return hit[1]
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame.astype(str), index=True).to_numpy().tobytes())
    if len(_DIGESTS) >= 16:
        _DIGESTS.pop(next(iter(_DIGESTS)))
    _DIGESTS[id(frame)] = (frame, digest.digest())
    return _DIGESTS[id(frame)][1]


def _key(raw: RawModel, settings: Settings) -> str:
    """What a forecast depends on, from the raw cells: the history, the customers' regions, the
    products, the forecast and segmentation settings (not ``error_scale``) and days per year."""
    digest = hashlib.sha256()
    for name in ("demand_history", "customers", "products"):
        digest.update(_digest(raw.tables.get(name, pd.DataFrame())))
    digest.update(json.dumps([settings.forecast.model_dump(exclude={"error_scale", "launches"}),
                              settings.segmentation.model_dump(), settings.days_per_year],
                             sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _forecast_of(raw: RawModel, settings: Settings | None) -> Forecast:
    """The forecast of a raw model's history, once per history and settings in this process (a
    study applies every scenario to the same history, and validates it once)."""
    from netdesign.validate import validate

    key = _key(raw, settings) if settings is not None else None
    if key not in _CACHE:
        result = forecast_demand(validate(raw))  # every problem of the model, or the forecast
        if len(_CACHE) >= 4:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = result
    return _CACHE[key]


def _settings(values: dict) -> Settings | None:
    try:
        return Settings.model_validate(values)
    except ValidationError:
        return None  # validation reports it, with every other problem


def with_forecast(raw: RawModel) -> tuple[RawModel, Forecast | None]:
    """``raw`` with ``demand`` (and ``demand_profile``, unless one is given) replaced by the
    planning-year forecast of its ``demand_history``, which is then dropped; only the history
    dropped when ``forecast.use_history`` is false. Raises
    :class:`~netdesign.validate.ModelValidationError` with every problem of the model."""
    if "demand_history" not in raw.tables:
        return raw, None
    settings = _settings(raw.settings)
    tables = {k: v for k, v in raw.tables.items() if k != "demand_history"}
    errors = [e for e in raw.errors if e[0] != "demand_history"]
    if settings is not None and not settings.forecast.use_history:
        return RawModel(raw.source, raw.settings, tables, raw.files, errors), None
    result = _forecast_of(raw, settings)  # raises when the settings do not validate
    fc = settings.forecast if settings is not None else Settings.model_fields[
        "forecast"].default
    try:
        tables["demand"] = _cells(result.planning_demand(fc.error_scale, fc.launches))
    except ValueError as err:
        raise ModelValidationError(raw.source, [Problem("model.yaml", "-", "forecast.launches",
                                                        str(err), "a product with history")]
                                   ) from None
    if "demand_profile" not in raw.tables:
        tables["demand_profile"] = _cells(result.planning_profile(fc.launches))
    return RawModel(raw.source, raw.settings, tables, raw.files, errors), result


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as the raw text cells a reader would give (row numbers from 2, like a CSV)."""
    text = frame.astype(object).where(frame.notna(), "").map(
        lambda v: f"{v:.10g}" if isinstance(v, float) else str(v))
    text.index = range(2, 2 + len(text))
    return text
