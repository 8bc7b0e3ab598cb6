"""Scenario changes that change nothing: found after a scenario is applied, said as warnings.

A what-if whose change reaches no cost and no constraint runs, and reports the baseline's numbers
as its own: fuel +20 % when every mode's ``fuel_share`` is 0, a CO2 price when no mode has an
emission factor. :func:`mark_no_effect` adds a ``warning`` to each such entry of a change log
(stored with the run, printed by the CLI). The rules follow the cost lines of
:mod:`netdesign.optimization.costs`:

* freight's fuel part is (fuel index − 1) × fuel_share × base rate: the fuel index matters only
  where some fuel_share > 0, and fuel_share only where the fuel index ≠ 1;
* CO2 cost is price × kg CO2 (emission factor × tonne-km): the price matters only where some
  emission factor and weight are > 0, an emission factor only where the price > 0;
* carrying cost is rate × unit value × stock: the rate matters only where some unit value > 0;
* the unmet-demand penalty only where unmet demand is allowed, ``hybrid.fast_share`` only under
  the hybrid strategy without a ``segment`` column, ``inventory.pwl_max_error`` only with pooling;
* a change whose every cell keeps its value (a scale of 1, a value set to what it was), or a
  setting set to the value in force, changes nothing either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from netdesign.data import ModelData
from netdesign.schema import TABLES, Settings


def _positive(data: ModelData, table: str, column: str) -> bool:
    frame = data.table(table)
    return bool(len(frame)) and bool((frame[column].astype(float) > 0).any())


def _no_fuel_share(data: ModelData) -> str | None:
    if not _positive(data, "modes", "fuel_share"):
        return "every mode's fuel_share is 0, so no freight rate depends on fuel"
    return None


def _no_emissions(data: ModelData) -> str | None:
    if not _positive(data, "modes", "co2_kg_per_tonne_km"):
        return "every mode's co2_kg_per_tonne_km is 0, so there are no emissions to price"
    if not _positive(data, "products", "weight_kg"):
        return "every product's weight_kg is 0, so no shipment emits CO2"
    return None


def _no_inventory_value(data: ModelData) -> str | None:
    if not _positive(data, "products", "unit_value"):
        return "every product's unit_value is 0, so stock carries no cost"
    return None


def _no_unmet(data: ModelData) -> str | None:
    if not data.settings.unmet_demand.allowed:
        return "unmet_demand.allowed is false, so the penalty is never paid"
    return None


def _not_hybrid(data: ModelData) -> str | None:
    if data.settings.strategy != "hybrid":
        return f"it applies to the hybrid strategy only (strategy is {data.settings.strategy})"
    if data.products["segment"].notna().any():
        return "the products' segment column decides the fast movers, not fast_share"
    return None


def _no_pooling(data: ModelData) -> str | None:
    if not data.settings.inventory.pooling:
        return "inventory.pooling is false, so no piecewise approximation is made"
    return None


def _fuel_index_one(data: ModelData) -> str | None:
    if data.settings.fuel_index == 1:
        return "fuel_index is 1, so the fuel part of a rate costs what the base rate says"
    return None


def _no_co2_price(data: ModelData) -> str | None:
    if data.settings.co2_price == 0:
        return "co2_price is 0, so emissions cost nothing"
    return None


#: setting → why changing it reaches no cost or constraint in ``data`` (None: it does)
SETTING_RULES: dict[str, Callable[[ModelData], str | None]] = {
    "fuel_index": _no_fuel_share,
    "co2_price": _no_emissions,
    "carrying_rate": _no_inventory_value,
    "unmet_demand.penalty_factor": _no_unmet,
    "hybrid.fast_share": _not_hybrid,
    "inventory.pwl_max_error": _no_pooling,
}
#: (table, column) → the same, for table changes
COLUMN_RULES: dict[tuple[str, str], Callable[[ModelData], str | None]] = {
    ("modes", "fuel_share"): _fuel_index_one,
    ("modes", "co2_kg_per_tonne_km"): _no_co2_price,
}


def mark_no_effect(log: list[dict[str, Any]], data: ModelData) -> list[dict[str, Any]]:
    """Add ``warning`` to every change-log entry that changes nothing in ``data``."""
    for entry in log:
        reason = entry.get("warning") or _reason(entry, data)
        if reason:
            entry["warning"] = f"changes nothing: {reason}"
    return log


def _reason(entry: dict[str, Any], data: ModelData) -> str | None:
    if entry["table"] == "model.yaml":  # a setting, or a section of them ({unmet_demand: {..}})
        new = _leaves(entry["column"], entry["new"])
        old = _leaves(entry["column"], entry["old"])
        reasons = [_setting_reason(key, old.get(key), value, data) for key, value in new.items()]
        return "; ".join(r for r in reasons if r) if reasons and all(reasons) else None
    column = entry["column"]
    if column != "(rows)" and column not in TABLES[entry["table"]].model_fields:
        return f"column {column!r} is not read by the model (an extra column)"
    rule = COLUMN_RULES.get((entry["table"], column))
    return rule(data) if rule else None


def _leaves(prefix: str, value: Any) -> dict[str, Any]:
    """``{service: {max_days: 3}}`` → ``{"service.max_days": 3}`` (a scalar: itself)."""
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, inner in value.items():
        out.update(_leaves(f"{prefix}.{key}", inner))
    return out


def _setting_reason(key: str, old: Any, new: Any, data: ModelData) -> str | None:
    old = old if old is not None else _default(key)
    if old is not None and _same(old, new):
        return f"{key} is already {new!r}"
    rule = SETTING_RULES.get(key)
    return rule(data) if rule else None


def _default(dotted: str) -> Any:
    """The schema default of a dotted setting, or None."""
    model: type[BaseModel] = Settings
    *parents, leaf = dotted.split(".")
    for part in parents:
        field = model.model_fields.get(part)
        nested = getattr(field, "annotation", None)
        if not (isinstance(nested, type) and issubclass(nested, BaseModel)):
            return None
        model = nested
    field = model.model_fields.get(leaf)
    return None if field is None or field.is_required() else field.get_default(
        call_default_factory=True)


def _same(a: Any, b: Any) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return a == b
