"""Small hand-checkable models written from Python data, so a test reads as a little story.

A :class:`Kit` holds a model as plain rows (one dict per CSV row) plus ``model.yaml`` settings, and
writes them into a folder the ordinary loader reads (``load_model``), so every test goes through
the same validation as a user's model::

    kit = Kit("two DCs")
    kit.product("P", unit_value=100)
    kit.dc("A", fixed_cost=1_000).dc("B", fixed_cost=2_000)
    kit.customer("C1").demand("C1", "P", 100)
    kit.lane("A", "C1", cost=1.0).lane("B", "C1", cost=2.0)
    results = kit.solve(tmp_path)

Conventions that keep the numbers hand-computable:

* places get distinct made-up coordinates unless ``lat``/``lon`` are given;
* the default mode ``road`` serves every leg but only on explicit ``lanes`` rows (its ``max_km``
  is 0, so no geographic arc exists): each lane's cost per unit, distance and transit days are the
  ones written in the test;
* ``carrying_rate`` is 0 unless a test sets it (inventory costs only where a test is about them);
* HiGHS runs on one thread (small models; the test suite may run beside other work);
* :meth:`Kit.solve` asks for a proven optimum (``mip_gap`` 0) so hand-computed optima compare
  exactly.
"""

from __future__ import annotations

import copy
import csv
import itertools
import math
import sys
from pathlib import Path
from typing import Any

import yaml

from netdesign.data import ModelData
from netdesign.results import Results
from netdesign.schema import KEYS, TABLES
from netdesign.solve import solve
from netdesign.validate import load_model

#: a mode that exists only on explicit lanes rows (max_km 0): every arc is written in the test
LANES_ONLY_MODE = {
    "mode": "road",
    "legs": "inbound;transfer;outbound;direct",
    "cost_per_kg_km": 0.0,
    "cost_per_unit_fixed": 0.0,
    "speed_km_per_day": 1000.0,
    "handling_days": 0.0,
    "fuel_share": 0.0,
    "co2_kg_per_tonne_km": 0.0,
    "min_km": 0.0,
    "max_km": 0.0,
}

_written = itertools.count()


class Kit:
    """A model as Python rows; ``write``/``load``/``solve`` turn it into the real thing."""

    def __init__(self, name: str = "kit", **settings: Any):
        self.settings: dict[str, Any] = {"name": name, "carrying_rate": 0.0,
                                         "solver": {"threads": 1}}
        for key, value in settings.items():
            self.set(key, value)
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self._places = itertools.count()

    # -- settings ----------------------------------------------------------------------------------

    def set(self, dotted: str, value: Any) -> Kit:
        """Set one setting, e.g. ``kit.set("inventory.pooling", False)``."""
        *parents, leaf = dotted.split(".")
        target = self.settings
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
        return self

    # -- rows --------------------------------------------------------------------------------------

    def _place(self, cols: dict[str, Any]) -> dict[str, Any]:
        if "lat" not in cols and "location" not in cols:
            i = next(self._places)
            cols = {"lat": 30.0 + 0.7 * (i // 12), "lon": -110.0 + 0.7 * (i % 12), **cols}
        return cols

    def add(self, table: str, **cols: Any) -> Kit:
        self.tables[table].append(cols)
        return self

    def product(self, product: str, unit_value: float = 0.0, unit_price: float = 0.0,
                weight_kg: float = 1.0, **cols: Any) -> Kit:
        return self.add("products", product=product, unit_value=unit_value,
                        unit_price=unit_price, weight_kg=weight_kg, **cols)

    def supplier(self, supplier: str, **cols: Any) -> Kit:
        return self.add("suppliers", supplier=supplier, **self._place(cols))

    def supply(self, supplier: str, product: str, unit_cost: float, **cols: Any) -> Kit:
        return self.add("supply", supplier=supplier, product=product, unit_cost=unit_cost, **cols)

    def dc(self, facility: str, status: str = "candidate", **cols: Any) -> Kit:
        return self.add("facilities", facility=facility, status=status, **self._place(cols))

    def option(self, facility: str, option: str, **cols: Any) -> Kit:
        return self.add("facility_options", facility=facility, option=option, **cols)

    def customer(self, customer: str, **cols: Any) -> Kit:
        return self.add("customers", customer=customer, **self._place(cols))

    def demand(self, customer: str, product: str, annual_units: float, **cols: Any) -> Kit:
        return self.add("demand", customer=customer, product=product, annual_units=annual_units,
                        **cols)

    def mode(self, mode: str, legs: str = "inbound;transfer;outbound;direct", **cols: Any) -> Kit:
        return self.add("modes", **{**LANES_ONLY_MODE, "mode": mode, "legs": legs, **cols})

    def lane(self, origin: str, destination: str, cost: float | None, days: float = 1.0,
             km: float = 100.0, mode: str = "road") -> Kit:
        """One explicit lane-mode: ``cost`` per unit (None: the mode's rate × km × weight)."""
        return self.add("lanes", origin=origin, destination=destination, mode=mode,
                        cost_per_unit=cost, distance_km=km, transit_days=days)

    def lanes(self, costs: dict[tuple[str, str], float | tuple], **defaults: Any) -> Kit:
        """Several lanes: ``{(origin, destination): cost}`` or ``{...: (cost, days)}``."""
        for (origin, destination), value in costs.items():
            cost, days = value if isinstance(value, tuple) else (value, defaults.get("days", 1.0))
            self.lane(origin, destination, cost, days=days,
                      **{k: v for k, v in defaults.items() if k != "days"})
        return self

    def row(self, table: str, *key: str) -> dict[str, Any]:
        """The row of ``table`` with this key (e.g. ``kit.row("facilities", "A")``), to edit."""
        names = KEYS[table]
        for row in self.tables[table]:
            if tuple(str(row.get(k)) for k in names) == key:
                return row
        raise KeyError(f"{table}: no row {key}")

    def update(self, table: str, *key: str, **cols: Any) -> Kit:
        self.row(table, *key).update(cols)
        return self

    def drop(self, table: str, *key: str) -> Kit:
        self.tables[table].remove(self.row(table, *key))
        return self

    def copy(self) -> Kit:
        return copy.deepcopy(self)

    # -- files, data, results ----------------------------------------------------------------------

    def write(self, folder: Path) -> Path:
        """``model.yaml`` plus one CSV per non-empty table (the road mode when none is given)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.yaml").write_text(yaml.safe_dump(self.settings, sort_keys=False))
        tables = dict(self.tables)
        if not tables["modes"]:
            tables["modes"] = [dict(LANES_ONLY_MODE)]
        for name, rows in tables.items():
            if not rows:
                continue
            columns = list(dict.fromkeys(c for row in rows for c in row))
            with (folder / f"{name}.csv").open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns, restval="")
                writer.writeheader()
                writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
        return folder

    def folder(self, tmp_path: Path) -> Path:
        """A fresh folder under ``tmp_path`` (variants of one kit never overwrite each other)."""
        slug = "".join(ch if ch.isalnum() else "_" for ch in self.settings["name"])
        return self.write(tmp_path / f"{slug}_{next(_written)}")

    def load(self, tmp_path: Path) -> ModelData:
        return load_model(self.folder(tmp_path))

    def solve(self, tmp_path: Path, time_limit: float = 30.0, mip_gap: float = 0.0) -> Results:
        return solve(self.load(tmp_path), time_limit=time_limit, mip_gap=mip_gap)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isinf(value) and value > 0):
        return ""  # blank: the column's default (a capacity: unlimited)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- the demo generator ----------------------------------------------------------------------------


def generate_model(out: Path, **options: Any) -> Path:
    """Write a model with ``models/generate.py`` (``generate(out=out, **options)``)."""
    models = str(Path(__file__).resolve().parents[1] / "models")
    sys.path.insert(0, models)
    try:
        from generate import generate
    finally:
        sys.path.remove(models)
    generate(out=out, **options)
    return out


# -- reading results -------------------------------------------------------------------------------


def units(results: Results, **where: str) -> float:
    """Units on the flows matching ``where`` (e.g. ``leg="outbound", origin="A"``)."""
    flows = results.flows
    if flows.empty:
        return 0.0
    mask = True
    for column, value in where.items():
        mask = mask & (flows[column] == value)
    return float(flows.loc[mask, "units"].sum()) if mask is not True else float(
        flows["units"].sum())


def shipped_by(results: Results, customer: str, product: str | None = None) -> dict[str, float]:
    """Origin → units delivered to ``customer`` (outbound and direct), optionally one product."""
    a = results.assignments
    rows = a[(a["customer"] == customer) & ((a["product"] == product) if product else True)]
    return rows.groupby("facility")["units"].sum().to_dict()


def is_open(results: Results, facility: str) -> bool:
    fac = results.facilities.set_index("facility")
    return bool(fac.at[facility, "open"])
