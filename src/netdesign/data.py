"""Validated, typed model inputs. Read-only: scenarios derive new instances, never mutate one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from netdesign.errors import Problem
from netdesign.schema import Settings


@dataclass(frozen=True)
class ModelData:
    """Every table of a model after validation, with defaults filled and locations geocoded.

    Each frame's index is the source row number (CSV line or sheet row), so later checks can still
    point a person at the row. ``suppliers``, ``supply``, ``facility_options``, ``lanes``,
    ``demand_history`` and ``demand_profile`` may be empty frames. A forecast
    (:mod:`netdesign.forecast`) turns a demand history into ``demand`` and ``demand_profile``.
    """

    settings: Settings
    products: pd.DataFrame
    suppliers: pd.DataFrame
    supply: pd.DataFrame
    facilities: pd.DataFrame
    facility_options: pd.DataFrame
    customers: pd.DataFrame
    demand: pd.DataFrame
    modes: pd.DataFrame
    lanes: pd.DataFrame
    demand_history: pd.DataFrame = field(default_factory=pd.DataFrame)
    demand_profile: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: Path | None = None
    #: places geocoded from ``location``: table, row, id, location, country, lat, lon, place, source
    places: pd.DataFrame | None = None
    #: how the files were read (detected CSV dialects, names matched in another letter case)
    notes: tuple[str, ...] = ()
    #: findings that do not stop a run (e.g. ids that differ only by letter case)
    warnings: tuple[Problem, ...] = ()

    TABLE_NAMES = (
        "products",
        "suppliers",
        "supply",
        "facilities",
        "facility_options",
        "customers",
        "demand",
        "modes",
        "lanes",
        "demand_history",
        "demand_profile",
    )

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.TABLE_NAMES:
            raise KeyError(f"unknown table {name!r}; tables are {', '.join(self.TABLE_NAMES)}")
        return getattr(self, name)

    def evolve(self, settings: Settings | None = None, **tables: pd.DataFrame) -> ModelData:
        """A copy with some tables or the settings replaced."""
        return replace(self, settings=settings or self.settings, **tables)

    @property
    def has_suppliers(self) -> bool:
        return not self.supply.empty
