"""Periods of a demand history: ISO weeks ("2025-W07") or months ("2025-07"), and the months the
forecast works in.

Forecasting runs on calendar months whatever the history's grain: seasonal ETS needs a season of
at most 24 periods (statsforecast, like R's ``forecast::ets``), and the seasonal peak is a month.
A week's units are spread evenly over its seven days and summed per calendar month, so a month
holds the same number of days every year (a 4-or-5-week month would not). A month the calendar
covers for only part of its days (the first and last of a weekly history) is scaled up to the
whole month when at least half of it is covered and left out otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEK_FORMAT = "%G-W%V-%u"  # ISO year, ISO week, weekday (1 = Monday)
MONTH_FORMAT = "%Y-%m"
#: a month of a weekly history counts when at least this share of its days is covered
MIN_MONTH_COVERAGE = 0.5


def history_kind(history: pd.DataFrame) -> str:
    """"week" or "month": the grain of a validated history (one kind per table)."""
    return "week" if history["period"].astype(str).str.contains("W").any() else "month"


def period_kind(periods: pd.Series) -> pd.Series:
    """"week", "month" or "" (not a period) for each label (parsed once per distinct label)."""
    unique = pd.Series(periods.astype(str).str.strip().unique())
    kind = pd.Series("", index=unique.index, dtype=object)
    kind[unique.str.fullmatch(r"\d{4}-W\d{2}") & _starts(unique, "week").notna()] = "week"
    kind[unique.str.fullmatch(r"\d{4}-\d{2}") & _starts(unique, "month").notna()] = "month"
    return periods.astype(str).str.strip().map(dict(zip(unique, kind, strict=True)))


def period_start(periods: pd.Series, kind: str) -> pd.Series:
    """First day of each period (Monday of an ISO week, the 1st of a month); NaT if invalid."""
    text = periods.astype(str).str.strip()
    unique = pd.Series(text.unique())
    return text.map(dict(zip(unique, _starts(unique, kind), strict=True)))


def _starts(text: pd.Series, kind: str) -> pd.Series:
    if kind == "week":
        return pd.to_datetime(text + "-1", format=WEEK_FORMAT, errors="coerce")
    return pd.to_datetime(text, format=MONTH_FORMAT, errors="coerce")


def label(starts: pd.Series | pd.DatetimeIndex, kind: str) -> list[str]:
    """Period labels of period start days."""
    starts = pd.DatetimeIndex(starts)
    if kind == "week":
        iso = starts.isocalendar()
        return [f"{y}-W{w:02d}" for y, w in zip(iso["year"], iso["week"], strict=True)]
    return list(starts.strftime(MONTH_FORMAT))


def calendar(first: pd.Timestamp, last: pd.Timestamp, kind: str) -> pd.DatetimeIndex:
    """Every period start from ``first`` to ``last``."""
    return pd.date_range(first, last, freq="W-MON" if kind == "week" else "MS")


def missing_periods(starts: pd.Series, kind: str) -> list[str]:
    """Labels of the periods between the first and the last that no row lists."""
    present = pd.DatetimeIndex(starts.dropna().unique())
    if present.empty:
        return []
    full = calendar(present.min(), present.max(), kind)
    return label(full.difference(present), kind)


def month_shares(starts: pd.DatetimeIndex, kind: str) -> pd.DataFrame:
    """How each period's units fall into months: period start, month start, share of the period.

    A month is one period of a monthly history; an ISO week's seven days split over one or two
    months. Months covered for less than ``MIN_MONTH_COVERAGE`` of their days are left out and
    the others are scaled to their whole length (``share`` includes that scaling).
    """
    starts = pd.DatetimeIndex(starts).unique().sort_values()
    if kind == "month":
        return pd.DataFrame({"start": starts, "month": starts, "share": 1.0})
    days = pd.DataFrame({"start": np.repeat(starts, 7)})
    days["day"] = days["start"] + pd.to_timedelta(np.tile(np.arange(7), len(starts)), unit="D")
    days["month"] = days["day"].dt.to_period("M").dt.to_timestamp()
    parts = days.groupby(["start", "month"]).size().rename("days").reset_index()
    covered = parts.groupby("month")["days"].sum()
    coverage = covered / covered.index.days_in_month
    parts["share"] = parts["days"] / 7.0 / parts["month"].map(coverage)
    kept = parts["month"].map(coverage) >= MIN_MONTH_COVERAGE
    return parts.loc[kept, ["start", "month", "share"]].reset_index(drop=True)


def monthly(history: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Customer × product × month totals of units (and orders where known) from history rows.

    ``history`` has customer, product, units, orders and ``start`` (the period start day).
    """
    shares = month_shares(pd.DatetimeIndex(history["start"].unique()), kind)
    rows = history.merge(shares, on="start")
    rows["units"] = rows["units"] * rows["share"]
    rows["orders"] = rows["orders"] * rows["share"]
    grouped = rows.groupby(["customer", "product", "month"], sort=True)
    out = grouped["units"].sum().to_frame()
    out["orders"] = grouped["orders"].sum(min_count=1)
    return out.reset_index()


def months_span(first: pd.Timestamp, last: pd.Timestamp) -> int:
    """Number of calendar months from ``first`` to ``last``, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1
