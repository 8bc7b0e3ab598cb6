"""Scenarios side by side: KPIs, cost lines and P&L of every solved run, absolute and vs. the
baseline.

:func:`compare` reads a study's ``results.duckdb`` (read-only, so not while the study that writes
it is still running); :func:`comparison_table` renders it for a terminal (a chosen subset of KPIs,
cost lines grouped by kind, or the P&L's EBIT, capital charge and economic profit, to stay
readable at 120 columns); :func:`write_comparison` writes every KPI, every cost line and every
P&L line to CSV.

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
from rich.console import Group
from rich.table import Table
from rich.text import Text

from netdesign.certify import Bounds, cost_delta
from netdesign.files import write_atomic
from netdesign.finance import PNL_HIGHER_IS_BETTER, PNL_ORDER
from netdesign.kpis import KPIS, LABELS, UNITS, better
from netdesign.results import COST_LINES, SOLVED
from netdesign.store import ResultsStore

RUN_COLUMNS = ("run_id", "scenario", "mode", "status", "gap", "gap_total", "solve_seconds",
               "objective", "bound", "floor")
"""``gap`` is on the controllable cost (objective − floor), ``gap_total`` on the total."""

INTERVAL_COLUMNS = ("delta", "low", "high", "significant", "verdict")
"""Columns of :attr:`Comparison.intervals`: the total-cost delta vs the baseline and the
interval the two runs' bounds certify (:func:`netdesign.certify.cost_delta`)."""

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
"""Terminal columns of the cost view (the objective's cost lines by kind, freight legs together;
``capital`` is the CapEx annuity, ``carrying`` all of inventory carrying: the P&L view splits
them at EBIT, :func:`netdesign.finance.pnl`); lines outside these groups show as ``other``.
Groups that are zero in every run are left out."""

TERMINAL_PNL = ("revenue", "ebit", "capital_charge", "closing", "economic_profit")
"""The P&L lines :func:`comparison_table` shows (the CSV has all of them)."""

PNL_LABELS = {"revenue": "Revenue", "ebit": "EBIT", "capital_charge": "Capital\ncharge",
              "closing": "Closing\n(annual.)", "economic_profit": "Economic\nprofit"}
COST_LABELS = {"cogs": "COGS", "co2": "CO2", **{n: n.capitalize() for n in (
    "freight", "handling", "warehousing", "capital", "closing", "carrying", "unmet", "other",
    "total")}}


@dataclass(frozen=True)
class Comparison:
    """KPIs and costs of the solved runs (rows: run_id, baseline first) and every run's status.

    ``units`` maps KPI name → unit (``currency`` in a unit is ``currency``, e.g. USD). ``pnl``
    holds the stored P&L lines (:data:`netdesign.finance.PNL_ORDER`), no columns when the study
    has no finance rows.
    """

    baseline: str
    kpis: pd.DataFrame
    kpi_deltas: pd.DataFrame
    costs: pd.DataFrame
    cost_deltas: pd.DataFrame
    runs: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    currency: str = ""
    intervals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(INTERVAL_COLUMNS)))
    pnl: pd.DataFrame = field(default_factory=pd.DataFrame)
    pnl_deltas: pd.DataFrame = field(default_factory=pd.DataFrame)


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
        finance_long = store.table("finance")
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
    pnl = _wide(finance_long[finance_long["section"] == "pnl"], "line", order, list(PNL_ORDER))
    units = {name: UNITS.get(name, "") for name in kpis.columns}
    stored = kpis_long[kpis_long["run_id"].isin(order)].drop_duplicates("name")
    units.update({n: u for n, u in zip(stored["name"], stored["unit"], strict=True)
                  if isinstance(u, str) and u})
    settings = base_row["settings"] if isinstance(base_row["settings"], dict) else {}
    currency = settings.get("currency", "")
    for column in RUN_COLUMNS:  # a study stored before these columns existed
        if column not in runs:
            runs[column] = math.nan
    return Comparison(
        baseline=base,
        kpis=kpis,
        kpi_deltas=kpis - kpis.loc[base],
        costs=costs,
        cost_deltas=costs - costs.loc[base],
        runs=runs[list(RUN_COLUMNS)].copy(),
        units=units,
        currency=currency if isinstance(currency, str) else "",
        intervals=certified_intervals(runs, base, order),
        pnl=pnl,
        pnl_deltas=pnl - pnl.loc[base],
    )


def certified_intervals(runs: pd.DataFrame, baseline: str, order: list[str]) -> pd.DataFrame:
    """Total-cost delta of every solved run vs ``baseline`` with its certified interval
    (index run_id, :data:`INTERVAL_COLUMNS`); a run without a bound has an infinite interval."""
    by_id = runs.set_index("run_id")

    def bounds(run_id: str) -> Bounds:
        row = by_id.loc[run_id]
        bound = row["bound"] if pd.notna(row["bound"]) else -math.inf
        return Bounds(float(row["objective"]), float(bound))

    reference = bounds(baseline)
    rows = {}
    for run_id in order:
        interval = cost_delta(bounds(run_id), reference)
        rows[run_id] = (interval.point, interval.low, interval.high, interval.significant,
                        "baseline" if run_id == baseline else interval.verdict)
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(INTERVAL_COLUMNS))
    frame.index.name = "run_id"
    return frame.astype({"significant": bool})


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


RUN_WIDTH = 20
"""Widest the run column gets (longer run ids wrap)."""


def comparison_table(c: Comparison, what: str = "kpis", width: int = 120) -> Group:
    """Rich tables, scenarios as rows, no wider than ``width`` and no number cut short:

    * ``summary``: each run's status, gap on the controllable cost and on the total, total cost,
      and its delta vs the baseline with the interval the bounds certify;
    * ``kpis``: the :data:`TERMINAL_KPIS`, each cell ``value (Δ)``;
    * ``costs``: the cost lines grouped as :data:`COST_GROUPS`, each cell ``value (Δ)``;
    * ``pnl``: the :data:`TERMINAL_PNL` lines, each cell ``value (Δ)`` (economic profit, like total
      cost, coloured only where the bounds certify the total-cost delta).

    KPIs and costs that do not fit side by side continue in further tables (the run column is
    repeated). A delta the bounds do not certify is never shown as better or worse.
    """
    if what == "summary":
        return Group(_summary_table(c))
    if what == "kpis":
        names = [k for k in TERMINAL_KPIS if k in c.kpis.columns] or list(c.kpis.columns[:10])
        values, deltas = c.kpis[names], c.kpi_deltas[names]
        units = {n: c.units.get(n, UNITS.get(n, "")) for n in names}
        labels = {n: LABELS[n].short if n in LABELS else n for n in names}
        direction = {n: better(n) for n in names}
        title = "KPIs"
    elif what == "costs":
        values, deltas = _cost_view(c)
        names = list(values.columns)
        units = dict.fromkeys(names, "currency/year")
        labels = {n: COST_LABELS.get(n, n) for n in names}
        direction = dict.fromkeys(names, -1)
        title = "Costs"
    elif what == "pnl":
        names = [n for n in TERMINAL_PNL if n in c.pnl.columns]
        if not names:
            return Group(Text("No P&L: the study has no finance rows (the baseline needs a "
                              "solution)."))
        values, deltas = c.pnl[names], c.pnl_deltas[names]
        units = dict.fromkeys(names, "currency/year")
        labels = {n: PNL_LABELS[n] for n in names}
        direction = {n: 1 if n in PNL_HIGHER_IS_BETTER else -1 for n in names}
        title = "P&L"
    else:
        raise ValueError(f"what must be 'summary', 'kpis', 'costs' or 'pnl', not {what!r}")
    uncertain = set(c.intervals.index[~c.intervals["significant"]]) if len(c.intervals) else set()
    columns = {}
    for name in names:
        unit = _unit_label(units[name], c.currency)
        header = f"{labels[name]}\n{unit}" if unit else labels[name]
        dimmed = name in ("total_cost", "total", "economic_profit")
        columns[name] = (header, {
            run_id: _cell(values.at[run_id, name], deltas.at[run_id, name], units[name],
                          0 if dimmed and run_id in uncertain else direction[name],
                          run_id == c.baseline)
            for run_id in values.index})
    tables = []
    for chunk in _chunks(columns, c, width):
        part = "" if len(tables) == 0 else " (continued)"
        table = _frame(f"{title} vs. baseline {c.baseline!r}{part}",
                       "value (Δ vs. baseline); green better, red worse (total cost: only where "
                       "the bounds certify it); pp = percentage points")
        for name in chunk:
            table.add_column(Text(columns[name][0]), justify="right", no_wrap=True)
        for run_id, label in _run_labels(c):
            cells = [columns[n][1].get(run_id, "") for n in chunk]
            table.add_row(label, *cells)
        tables.append(table)
    return Group(*tables)


def _frame(title: str, caption: str) -> Table:
    """A comparison table; title, caption and headers are plain text, never console markup."""
    table = Table(title=Text(title, style="table.title"), caption=Text(caption,
                  style="table.caption"), box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1),
                  pad_edge=False, header_style="bold")
    table.add_column("Run", min_width=8, max_width=RUN_WIDTH, overflow="fold")
    return table


def _run_labels(c: Comparison) -> list[tuple[str, Text]]:
    """(run id, label) of every run: the baseline bold, a run without a solution or stopped by
    the time limit says so under its id."""
    labels = []
    gaps = c.runs.set_index("run_id")
    for run_id, status in zip(c.runs["run_id"], c.runs["status"], strict=True):
        label = Text(str(run_id), style="bold" if run_id == c.baseline else "")
        if run_id not in c.costs.index:
            label.append(f"\n{status}, no solution", style="red")
        elif status == "time_limit":
            gap = gaps.at[run_id, "gap"]
            label.append(f"\ntime limit, gap {gap:.2%}" if pd.notna(gap) else "\ntime limit",
                         style="yellow")
        labels.append((run_id, label))
    return labels


def _width(text: str | Text) -> int:
    return max((Text(line).cell_len for line in str(text).splitlines()), default=0)


def _chunks(columns: dict[str, tuple[str, dict]], c: Comparison, width: int) -> list[list[str]]:
    """Column names packed into tables no wider than ``width`` (each column as wide as its
    widest header or cell line, plus one space of padding)."""
    run = min(max(_width(label) for _, label in _run_labels(c)), RUN_WIDTH)
    chunks: list[list[str]] = [[]]
    used = run
    for name, (header, cells) in columns.items():
        need = 1 + max([_width(header)] + [_width(cell) for cell in cells.values()])
        if chunks[-1] and used + need > width:
            chunks.append([])
            used = run
        chunks[-1].append(name)
        used += need
    return chunks


def _summary_table(c: Comparison) -> Table:
    """Status, both gaps, total cost and the certified delta of every run."""
    table = _frame(f"Runs vs. baseline {c.baseline!r}",
                   "gap: of the cost the network controls (total cost − floor) and of the total; "
                   "Δ: this run − baseline, [certified interval]; n.s. = not significant at "
                   "this gap")
    for header in ("Gap", "of total", f"Total\n{c.currency or 'cur'}/yr", "Δ total cost\n"
                   "[certified]", "Verdict"):
        table.add_column(Text(header), justify="right", no_wrap=True)
    runs = c.runs.set_index("run_id")
    for run_id, label in _run_labels(c):
        if run_id not in c.costs.index:
            table.add_row(label, "", "", "", "", "")
            continue
        row = runs.loc[run_id]
        cells = [_pct(row["gap"]), _pct(row["gap_total"]), _compact(row["objective"])]
        if run_id == c.baseline:
            cells += ["reference", ""]
        else:
            iv = c.intervals.loc[run_id]
            low, high = _signed(iv["low"]), _signed(iv["high"])
            style = "" if not iv["significant"] else ("red" if iv["low"] > 0 else "green")
            cells += [Text(f"{_signed(iv['delta'])}\n[{low}, {high}]"),
                      Text("n.s." if not iv["significant"] else iv["verdict"], style=style)]
        table.add_row(label, *cells)
    return table


def _pct(value: float) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.2%}"


def _signed(value: float) -> str:
    if value is None or pd.isna(value) or not math.isfinite(value):
        return "–∞" if value is not None and value < 0 else "∞"
    text = _compact(value)
    return text if text.startswith("-") else "+" + text


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
    """Write ``comparison_kpis.csv``, ``comparison_costs.csv`` and, when the study has finance
    rows, ``comparison_pnl.csv`` into ``out_dir``.

    One row per solved run (baseline first), column run_id, then for every KPI (every cost line
    and total, every P&L line) its value and ``<name>_delta`` (scenario − baseline). Values
    unrounded, nan empty.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "comparison_kpis.csv", out / "comparison_costs.csv"]
    write_atomic(paths[0], _interleave(c.kpis, c.kpi_deltas).to_csv)
    write_atomic(paths[1], _interleave(c.costs, c.cost_deltas).to_csv)
    if len(c.pnl.columns):
        paths.append(out / "comparison_pnl.csv")
        write_atomic(paths[2], _interleave(c.pnl, c.pnl_deltas).to_csv)
    return paths
