"""Monthly series of a demand history: customer × product, and product × region aggregates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from netdesign.data import ModelData
from netdesign.forecast.calendar import history_kind, monthly


@dataclass(frozen=True)
class Panel:
    """Monthly series in statsforecast's long form (unique_id, ds, y) plus their keys.

    ``series``: one row per customer × product × month from the product's first selling month to
    the last month of the history (zeros where nothing sold), with region and orders.
    ``aggregates``: the product × region sums. ``kind``: the history's grain (week | month).
    """

    series: pd.DataFrame
    aggregates: pd.DataFrame
    kind: str
    last: pd.Timestamp


def build_panel(data: ModelData) -> Panel:
    history = data.demand_history
    kind = history_kind(history)
    totals = monthly(history, kind)
    last = totals["month"].max()
    first = totals[totals["units"] > 0].groupby("product")["month"].min()
    parts = []
    for product, start in first.items():
        months = pd.date_range(start, last, freq="MS")
        customers = totals.loc[totals["product"] == product, "customer"].unique()
        parts.append(pd.DataFrame({"customer": np.repeat(customers, len(months)),
                                   "product": product,
                                   "ds": np.tile(months, len(customers))}))
    grid = pd.concat(parts, ignore_index=True)
    series = grid.merge(totals.rename(columns={"month": "ds"}), how="left",
                        on=["customer", "product", "ds"])
    series["y"] = series.pop("units").fillna(0.0)
    known = series.groupby(["customer", "product"])["orders"].transform(lambda o: o.notna().any())
    series["orders"] = series["orders"].where(~known, series["orders"].fillna(0.0))
    region = data.customers.set_index("customer")["region"].fillna("").astype(str)
    series["region"] = series["customer"].map(region).fillna("")
    series["unique_id"] = series["customer"] + "|" + series["product"]
    series["agg_id"] = series["product"] + "|" + series["region"]
    aggregates = (series.groupby(["agg_id", "product", "region", "ds"], as_index=False)["y"].sum()
                  .rename(columns={"agg_id": "unique_id"}))
    return Panel(series.sort_values(["unique_id", "ds"], ignore_index=True),
                 aggregates.sort_values(["unique_id", "ds"], ignore_index=True), kind, last)


def window_sums(series: pd.DataFrame, end: pd.Timestamp, months: int = 12) -> pd.Series:
    """Units per series over the ``months`` months up to ``end`` (included)."""
    start = end - pd.DateOffset(months=months - 1)
    inside = series[(series["ds"] >= start) & (series["ds"] <= end)]
    return inside.groupby("unique_id")["y"].sum()


def shares(series: pd.DataFrame, end: pd.Timestamp, months: int = 12) -> pd.Series:
    """Top-down proportions: each customer's share of its product × region over the last
    ``months`` months up to ``end`` ("proportions of the historical averages", Gross & Sohl
    1990, in Hyndman & Athanasopoulos, FPP 3rd ed., §11.2); equal shares where the aggregate
    sold nothing in that window."""
    own = window_sums(series, end, months)
    keys = series.drop_duplicates("unique_id").set_index("unique_id")["agg_id"]
    agg = own.groupby(keys.reindex(own.index)).transform("sum")
    count = own.groupby(keys.reindex(own.index)).transform("size")
    return (own / agg).where(agg > 0, 1.0 / count)
