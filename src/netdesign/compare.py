"""Scenarios side by side: KPIs and cost lines of every solved run, absolute and vs. the baseline.

:func:`compare` reads a study's ``results.duckdb`` (read-only, so not while the study that writes
it is still running); :func:`comparison_table` renders it for a terminal (a chosen subset of KPIs,
or cost lines grouped as in the P&L, to stay readable at 120 columns); :func:`write_comparison`
writes every KPI and every cost line to CSV.

Only runs with a solution (status optimal or time_limit, with an objective) are in the KPI and
cost frames; runs that failed, were infeasible or unbounded are listed in ``runs`` with their
status (and as a status-only row in the terminal table). Deltas are scenario minus baseline, so a
cost going down is negative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rich import box
from rich.table import Table
from rich.text import Text

from netdesign.kpis import KPIS, UNITS
from netdesign.results import COST_LINES
from netdesign.store import SOLVED, ResultsStore

RUN_COLUMNS = ("run_id", "scenario", "mode", "status", "gap", "solve_seconds", "objective")

TERMINAL_KPIS = (
    "total_cost",
    "logistics_cost_pct_revenue",
    "cost_per_unit",
    "inventory_turns",
    "fill_rate",
    "avg_delivery_days",
    "share_within_2d",
    "dc_utilisation",
    "open_dcs",
    "co2_per_unit",
)
"""The KPIs :func:`comparison_table` shows (the CSV has all of them)."""

LABELS = {
    "total_cost": "Total cost",
    "logistics_cost_pct_revenue": "Logistics\n% rev.",
    "cost_per_order": "Cost/order",
    "cost_per_unit": "Cost/unit",
    "inventory_turns": "Turns",
    "dio": "DIO",
    "carrying_cost_pct_inventory": "Carrying %",
    "fill_rate": "Fill rate",
    "stockout_rate": "Stockout",
    "avg_delivery_days": "Delivery",
    "share_within_1d": "≤1 day",
    "share_within_2d": "≤2 days",
    "share_within_3d": "≤3 days",
    "dc_utilisation": "DC util.",
    "transfer_volume": "Transfers",
    "co2_per_unit": "CO2",
    "open_dcs": "Open DCs",
}

COST_GROUPS: dict[str, tuple[str, ...]] = {
    "cogs": ("purchase",),
    "freight": ("freight_inbound", "freight_transfer", "freight_outbound", "freight_direct"),
    "handling": ("handling",),
    "warehousing": ("facility_fixed", "option_opex"),
    "capital": ("facility_capex", "option_capex"),
    "closing": ("closing",),
    "carrying": ("carrying_cycle", "carrying_safety", "carrying_pipeline"),
    "co2": ("co2",),
    "unmet": ("unmet_penalty",),
}
"""Terminal columns of the cost view (P&L grouping, freight legs together); lines outside these
groups show as ``other``. Groups that are zero in every run are left out."""

COST_LABELS = {"cogs": "COGS", "co2": "CO2", **{n: n.capitalize() for n in (
    "freight", "handling", "warehousing", "capital", "closing", "carrying", "unmet", "other",
    "total")}}

LOWER_IS_BETTER = {
    "total_cost", "logistics_cost_pct_revenue", "cost_per_order", "cost_per_unit", "dio",
    "carrying_cost_pct_inventory", "stockout_rate", "avg_delivery_days", "co2_per_unit",
}
HIGHER_IS_BETTER = {"inventory_turns", "fill_rate", "share_within_1d", "share_within_2d",
                    "share_within_3d"}


@dataclass(frozen=True)
class Comparison:
    """KPIs and costs of the solved runs (rows: run_id, baseline first) and every run's status.

    ``units`` maps KPI name → unit (``currency`` in a unit is ``currency``, e.g. USD).
    """

    baseline: str
    kpis: pd.DataFrame
    kpi_deltas: pd.DataFrame
    costs: pd.DataFrame
    cost_deltas: pd.DataFrame
    runs: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    currency: str = ""


def _resolve_baseline(runs: pd.DataFrame, baseline: str) -> str:
    """The run id of the baseline: a run id, or the name of a scenario with a single run."""
    ids = runs["run_id"].tolist()
    if baseline in ids:
        return baseline
    matches = runs.loc[runs["scenario"] == baseline, "run_id"].tolist()
    if len(matches) == 1:
        return matches[0]
    available = ", ".join(ids) or "(none)"
    if matches:
        raise ValueError(
            f"baseline {baseline!r} names scenario with several runs ({', '.join(matches)}); "
            f"pick one run id. Available run ids: {available}"
        )
    raise ValueError(f"baseline run {baseline!r} not found; available run ids: {available}")


def _wide(long: pd.DataFrame, key: str, order: list[str], first: list[str]) -> pd.DataFrame:
    """Long (run_id, key, value) rows → index run_id (in ``order``), one column per key."""
    long = long[long["run_id"].isin(order)]
    seen = list(dict.fromkeys(long[key].tolist()))
    columns = [c for c in first if c in seen] + [c for c in seen if c not in first]
    if long.empty:
        wide = pd.DataFrame(index=pd.Index(order), columns=columns, dtype=float)
    else:
        wide = long.pivot(index="run_id", columns=key, values="value")
        wide = wide.reindex(index=order, columns=columns).astype(float)
    wide.index.name = "run_id"
    wide.columns.name = None
    return wide


def compare(study_dir: str | Path, baseline: str = "baseline") -> Comparison:
    """Read ``study_dir/results.duckdb`` and line the runs up against ``baseline``.

    ``baseline`` is a run id (or a scenario with a single run). ValueError naming the available
    run ids when it is missing, or when the baseline run has no solution.
    """
    path = Path(study_dir) / "results.duckdb"
    if not path.exists():
        raise FileNotFoundError(f"no results database at {path}; run the study first")
    with ResultsStore(path, read_only=True) as store:
        runs = store.runs()
        kpis_long = store.table("kpis")
        costs_long = store.table("costs")
    base = _resolve_baseline(runs, baseline)
    runs = pd.concat([runs[runs["run_id"] == base], runs[runs["run_id"] != base]])
    runs = runs.reset_index(drop=True)
    solved = runs["status"].isin(SOLVED) & runs["objective"].notna() & runs["has_results"]
    base_row = runs.iloc[0]
    if not solved.iloc[0]:
        error = f": {base_row['error']}" if base_row["error"] else ""
        raise ValueError(f"baseline run {base!r} has no solution (status {base_row['status']}"
                         f"{error})")
    order = runs.loc[solved, "run_id"].tolist()

    kpis = _wide(kpis_long, "name", order, list(KPIS))
    costs = _wide(costs_long, "line", order, list(COST_LINES)).fillna(0.0)
    costs["total"] = costs.sum(axis=1)
    units = {name: UNITS.get(name, "") for name in kpis.columns}
    stored = kpis_long[kpis_long["run_id"].isin(order)].drop_duplicates("name")
    units.update({n: u for n, u in zip(stored["name"], stored["unit"], strict=True)
                  if isinstance(u, str) and u})
    settings = base_row["settings"] if isinstance(base_row["settings"], dict) else {}
    currency = settings.get("currency", "")
    return Comparison(
        baseline=base,
        kpis=kpis,
        kpi_deltas=kpis - kpis.loc[base],
        costs=costs,
        cost_deltas=costs - costs.loc[base],
        runs=runs[list(RUN_COLUMNS)].copy(),
        units=units,
        currency=currency if isinstance(currency, str) else "",
    )


# ---------------------------------------------------------------------------------------------
# Terminal table
# ---------------------------------------------------------------------------------------------


def _compact(x: float) -> str:
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:.2f}B"
    if a >= 1e6:
        return f"{x / 1e6:.2f}M"
    if a >= 1e3:
        return f"{x / 1e3:.2f}k"
    return f"{x:.0f}" if a >= 100 else f"{x:.2f}"


def _decimals(reference: float) -> int:
    a = abs(reference)
    return 0 if a >= 1000 else 1 if a >= 100 else 2 if a >= 1 or a == 0 else 3


def format_value(value: float | None, unit: str, delta: bool = False,
                 reference: float | None = None) -> str:
    """A number for the terminal: shares and percentages as % (their deltas in pp), money and
    volumes per year compact (k, M, B), counts whole, other numbers with decimals by magnitude
    (of ``reference`` if given: a delta gets the decimals of its value); deltas signed."""
    if value is None or math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if unit == "share" or unit.startswith("%"):
        text = f"{value * 100 if unit == 'share' else value:.1f}"
        suffix = "pp" if delta else "%"
    elif unit == "count":
        text, suffix = f"{value:.0f}", ""
    elif unit in ("currency", "units") or (unit.endswith("/year") and unit != "1/year"):
        text, suffix = _compact(value), ""
    else:
        ref = value if reference is None or not math.isfinite(reference) else reference
        text, suffix = f"{value:,.{_decimals(ref)}f}", ""
    if delta:
        if not any(ch in "123456789" for ch in text):
            return "±0"
        if value > 0:
            text = "+" + text
    return text + suffix


_UNIT_LABELS = {"share": "%", "count": "", "kg CO2/unit": "kg/unit", "currency/order": "cur/order"}


def _unit_label(unit: str, currency: str) -> str:
    label = _UNIT_LABELS.get(unit, unit)
    return label.replace("currency", currency or "cur").replace("cur/", f"{currency or 'cur'}/")\
        .replace("/year", "/yr")


def _cell(value: float, delta: float, unit: str, direction: int, is_base: bool) -> Text:
    """``value`` over ``(Δ)``; the Δ green when better, red when worse (``direction`` +1: higher
    is better, -1: lower is better, 0: neither)."""
    text = Text(format_value(value, unit))
    if is_base or pd.isna(value):
        return text
    shown = format_value(delta, unit, delta=True, reference=value)
    style = ""
    if direction and math.isfinite(delta) and shown != "±0":
        style = "green" if delta * direction > 0 else "red"
    text.append("\n(")
    text.append(shown, style=style)
    text.append(")")
    return text


def _cost_view(c: Comparison) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = [col for col in c.costs.columns if col != "total"]
    grouped, deltas = {}, {}
    known = {line for parts in COST_GROUPS.values() for line in parts}
    groups = dict(COST_GROUPS)
    groups["other"] = tuple(line for line in lines if line not in known)
    for name, parts in groups.items():
        present = [p for p in parts if p in lines]
        if not present or not (c.costs[present].abs().sum(axis=1) > 0).any():
            continue
        grouped[name] = c.costs[present].sum(axis=1)
        deltas[name] = c.cost_deltas[present].sum(axis=1)
    grouped["total"], deltas["total"] = c.costs["total"], c.cost_deltas["total"]
    return pd.DataFrame(grouped, index=c.costs.index), pd.DataFrame(deltas, index=c.costs.index)


def comparison_table(c: Comparison, what: str = "kpis") -> Table:
    """A rich table, scenarios as rows: the :data:`TERMINAL_KPIS` (``what="kpis"``) or the cost
    lines grouped as :data:`COST_GROUPS` (``what="costs"``), each cell ``value (Δ)``."""
    if what == "kpis":
        names = [k for k in TERMINAL_KPIS if k in c.kpis.columns] or list(c.kpis.columns[:10])
        values, deltas = c.kpis[names], c.kpi_deltas[names]
        units = {n: c.units.get(n, UNITS.get(n, "")) for n in names}
        labels = {n: LABELS.get(n, n) for n in names}
        direction = {n: -1 if n in LOWER_IS_BETTER else 1 if n in HIGHER_IS_BETTER else 0
                     for n in names}
        title = "KPIs"
    elif what == "costs":
        values, deltas = _cost_view(c)
        names = list(values.columns)
        units = dict.fromkeys(names, "currency/year")
        labels = {n: COST_LABELS.get(n, n) for n in names}
        direction = dict.fromkeys(names, -1)
        title = "Costs"
    else:
        raise ValueError(f"what must be 'kpis' or 'costs', not {what!r}")
    table = Table(
        title=f"{title} vs. baseline {c.baseline!r}",
        caption="value (Δ vs. baseline); green better, red worse; pp = percentage points",
        box=box.SIMPLE_HEAD,
        padding=(0, 0, 0, 1),
        pad_edge=False,
        header_style="bold",
    )
    table.add_column("Run", min_width=12, max_width=20, overflow="fold")
    for name in names:
        unit = _unit_label(units[name], c.currency)
        header = f"{labels[name]}\n{unit}" if unit else labels[name]
        table.add_column(header, justify="right")
    gaps = c.runs.set_index("run_id")
    for run_id, status in zip(c.runs["run_id"], c.runs["status"], strict=True):
        label = Text(str(run_id), style="bold" if run_id == c.baseline else "")
        if run_id not in values.index:
            label.append(f"\n{status}, no solution", style="red")
            table.add_row(label, *[""] * len(names))
            continue
        gap = gaps.at[run_id, "gap"]
        if status == "time_limit":
            label.append(f"\ntime limit, gap {gap:.2%}" if pd.notna(gap) else "\ntime limit",
                         style="yellow")
        cells = [
            _cell(values.at[run_id, n], deltas.at[run_id, n], units[n], direction[n],
                  run_id == c.baseline)
            for n in names
        ]
        table.add_row(label, *cells)
    return table


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def _interleave(values: pd.DataFrame, deltas: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for column in values.columns:
        out[column] = values[column]
        out[f"{column}_delta"] = deltas[column]
    frame = pd.DataFrame(out, index=values.index)
    frame.index.name = "run_id"
    return frame


def write_comparison(c: Comparison, out_dir: str | Path) -> list[Path]:
    """Write ``comparison_kpis.csv`` and ``comparison_costs.csv`` into ``out_dir``.

    One row per solved run (baseline first), column run_id, then for every KPI (every cost line
    and total) its value and ``<name>_delta`` (scenario − baseline). Values unrounded, nan empty.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "comparison_kpis.csv", out / "comparison_costs.csv"]
    _interleave(c.kpis, c.kpi_deltas).to_csv(paths[0])
    _interleave(c.costs, c.cost_deltas).to_csv(paths[1])
    return paths
