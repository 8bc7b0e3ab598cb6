"""Shared fixtures: a tiny valid model, written as a folder, that tests copy and break on purpose.

``tiny_model`` is the folder of the plain model (2 products; 3 DCs: one existing, two candidates;
3 customers; one truck mode; no suppliers, so every DC is its own source).
``tiny_model_with_suppliers`` adds two suppliers and a supply table. ``tiny_spec`` and
``tiny_spec_with_suppliers`` give the same models as an editable :class:`ModelSpec` (rows as dicts
of CSV text) for tests that change a table before writing it with ``spec.write(folder)``;
``tiny_spec_data()`` builds one outside a fixture (``from conftest import tiny_spec_data``).
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

FIRST_DATA_LINE = 2  # CSV header is line 1


@dataclass
class ModelSpec:
    """A model as plain data: ``settings`` (model.yaml), ``tables`` (name → rows of text cells)."""

    settings: dict
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def copy(self) -> ModelSpec:
        return copy.deepcopy(self)

    def columns(self, table: str) -> list[str]:
        cols: dict[str, None] = {}
        for row in self.tables[table]:
            cols.update(dict.fromkeys(row))
        return list(cols)

    def set(self, table: str, line: int, column: str, value: str) -> ModelSpec:
        """Set one cell; ``line`` is the CSV line number (first data row = 2)."""
        rows = self.tables[table]
        if column not in self.columns(table):
            for row in rows:
                row.setdefault(column, "")
        rows[line - FIRST_DATA_LINE][column] = value
        return self

    def add_row(self, table: str, **cells: str) -> ModelSpec:
        self.tables.setdefault(table, []).append({k: str(v) for k, v in cells.items()})
        return self

    def drop_row(self, table: str, line: int) -> ModelSpec:
        del self.tables[table][line - FIRST_DATA_LINE]
        return self

    def drop_column(self, table: str, column: str) -> ModelSpec:
        for row in self.tables[table]:
            row.pop(column, None)
        return self

    def drop_table(self, table: str) -> ModelSpec:
        del self.tables[table]
        return self

    def write(self, folder: Path) -> Path:
        """Write ``model.yaml`` and one CSV per table into ``folder``; return the folder."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.yaml").write_text(yaml.safe_dump(self.settings, sort_keys=False))
        for name, rows in self.tables.items():
            cols = self.columns(name)
            with (folder / f"{name}.csv").open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=cols, restval="")
                writer.writeheader()
                writer.writerows(rows)
        return folder


def _rows(header: str, *lines: str) -> list[dict[str, str]]:
    return list(csv.DictReader([header, *lines]))


def tiny_spec_data(suppliers: bool = False) -> ModelSpec:
    """A fresh copy of the tiny valid model (optionally with suppliers and supply)."""
    spec = ModelSpec(
        settings={"name": "tiny", "service": {"max_days": 3}},
        tables={
            "products": _rows(
                "product,unit_value,unit_price,weight_kg,service_level",
                "A,10,20,1,0.95",
                "B,5,9,2,0.9",
            ),
            "facilities": _rows(
                "facility,location,lat,lon,status,fixed_cost,capex,throughput_capacity,"
                "handling_cost",
                'DC_ATL,"Atlanta, GA",,,existing,100000,0,1000000,0.5',
                'DC_CHI,"Chicago, IL",,,candidate,120000,500000,1000000,0.5',
                "DC_DAL,,32.78,-96.80,candidate,90000,400000,,0.4",
            ),
            "customers": _rows(
                "customer,location,region,max_days",
                'C1,"Miami, FL",SE,',
                'C2,"Detroit, MI",MW,',
                "C3,10001,NE,4",
            ),
            "demand": _rows(
                "customer,product,annual_units,demand_sd,orders_per_year",
                "C1,A,1000,5,52",
                "C2,A,2000,8,52",
                "C3,B,500,3,12",
            ),
            "modes": _rows(
                "mode,legs,cost_per_kg_km,cost_per_unit_fixed,speed_km_per_day,handling_days,"
                "fuel_share,co2_kg_per_tonne_km",
                "truck,inbound;transfer;outbound,0.0002,0.5,800,0.5,0.3,0.1",
            ),
        },
    )
    if suppliers:
        spec.tables["suppliers"] = _rows(
            "supplier,location,lat,lon",
            'S_LA,"Los Angeles, CA",,',
            "S_MEM,,35.15,-90.05",
        )
        spec.tables["supply"] = _rows(
            "supplier,product,unit_cost,capacity,lead_time_days,lead_time_sd_days",
            "S_LA,A,6,,14,3",
            "S_LA,B,3,10000,14,3",
            "S_MEM,A,7,2000,5,1",
        )
    return spec


@pytest.fixture
def tiny_spec() -> ModelSpec:
    return tiny_spec_data()


@pytest.fixture
def tiny_spec_with_suppliers() -> ModelSpec:
    return tiny_spec_data(suppliers=True)


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    """Folder of the tiny valid model (no suppliers)."""
    return tiny_spec_data().write(tmp_path / "tiny")


@pytest.fixture
def tiny_model_with_suppliers(tmp_path: Path) -> Path:
    """Folder of the tiny valid model with two suppliers and a supply table."""
    return tiny_spec_data(suppliers=True).write(tmp_path / "tiny_suppliers")
