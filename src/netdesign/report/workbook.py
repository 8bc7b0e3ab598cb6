"""``study.xlsx`` for finance users: summary, pnl, working_capital, capex_case, kpis, facilities,
flows. Every sheet has a bold, frozen header row, fitted column widths, an autofilter and number
formats (currency with thousands separators, percentages, days)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from netdesign import kpis
from netdesign.files import write_atomic
from netdesign.finance import PNL_ORDER, PNL_TOTALS
from netdesign.io import text_cells
from netdesign.report import fmt
from netdesign.report.load import StudyData, study_date

SHEETS = ("summary", "pnl", "working_capital", "capex_case", "kpis", "facilities", "flows")
HEADER_FILL = PatternFill("solid", fgColor="1E3A8A")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TOTAL_FONT = Font(bold=True)
TOTAL_BORDER = Border(top=Side(style="thin", color="9CA3AF"))
INT = "#,##0"
DEC2 = "#,##0.00"
PCT = "0.0%"
DAYS = "0.0"
SUMMARY_HEADERS = {
    "run": "Run", "description": "Description", "status": "Status",
    "gap": "Gap (controllable)", "gap_total": "Gap (total)", "floor": "Floor / yr",
    "total_landed_cost": "Total landed cost / yr", "delta_vs_baseline": "Δ vs baseline / yr",
    "delta_low": "Δ certified low", "delta_high": "Δ certified high",
    "delta_pct": "Δ %", "verdict": "Δ verdict", "ebit": "EBIT / yr", "ebit_delta": "EBIT Δ / yr",
    "economic_profit": "Economic profit / yr", "economic_profit_delta": "Economic profit Δ / yr",
    "economic_profit_low": "Economic profit Δ low",
    "economic_profit_high": "Economic profit Δ high",
    "cash_released": "Cash released", "capex": "CapEx", "npv": "NPV", "npv_low": "NPV low",
    "npv_high": "NPV high", "irr": "IRR", "payback_months": "Payback (months)",
    "open_dcs": "Open DCs",
}
CASH_FLOW_LABELS = {"capex": "CapEx", "closing": "Closing costs",
                    "closing_tax_shield": "Tax saved on closing costs",
                    "working_capital": "Working-capital release",
                    "after_tax_savings": "After-tax savings",
                    "tax_shield": "Depreciation tax shield",
                    "residual_value": "Residual value (after tax)",
                    "net": "Net cash flow", "cumulative": "Cumulative",
                    "discounted_cumulative": "Discounted cumulative",
                    "depreciation": "Tax depreciation (memo, not cash)"}


def money_format(currency: str, digits: int = 0) -> str:
    """An Excel number format with the currency's symbol; each of its characters is escaped
    (``\\$``), so a currency from model.yaml is shown, never read as format codes."""
    sym = "".join(f"\\{char}" for char in fmt.symbol(currency).strip())
    body = "#,##0" + ("." + "0" * digits if digits else "")
    return f"{sym}{body};[Red]-{sym}{body}"


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
    return value


def _sheet(book: Workbook, name: str, frame: pd.DataFrame, formats: dict[str, str],
           totals: set[int] | None = None, widths: dict[str, int] | None = None) -> None:
    ws = book.create_sheet(name)
    columns = [str(c) for c in frame.columns]
    ws.append(columns)
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    for row in frame.itertuples(index=False):
        ws.append([_clean(v) for v in row])
    for j, column in enumerate(columns, start=1):
        number_format = formats.get(column)
        longest = len(column)
        for i in range(2, ws.max_row + 1):
            cell = ws.cell(row=i, column=j)
            if number_format and isinstance(cell.value, int | float) \
                    and not isinstance(cell.value, bool):
                cell.number_format = number_format
                shown = len(f"{cell.value:,.0f}") + 3
            else:
                shown = len(str(cell.value)) if cell.value is not None else 0
            longest = max(longest, shown)
        width = (widths or {}).get(column) or min(max(10, longest + 2), 60)
        ws.column_dimensions[get_column_letter(j)].width = width
    for index in totals or ():
        for cell in ws[index + 2]:
            cell.font = TOTAL_FONT
            cell.border = TOTAL_BORDER
    ws.freeze_panes = "B2" if name in ("pnl", "working_capital", "capex_case", "kpis") else "A2"
    if ws.max_row > 1:
        ws.auto_filter.ref = ws.dimensions
    ws.sheet_view.zoomScale = 100


def _wide(data: StudyData, section: str, order: tuple[str, ...]) -> pd.DataFrame:
    runs = data.solved
    series = {r: data.finance(r, section) for r in runs}
    lines = [line for line in order if any(line in s.index for s in series.values())]
    lines += sorted({line for s in series.values() for line in s.index} - set(lines))
    frame = pd.DataFrame({"line": [fmt.label(line) for line in lines], "key": lines})
    for r in runs:
        frame[r] = [series[r].get(line, math.nan) for line in lines]
    return frame


def _verdict(certified: dict) -> str:
    """The total-cost delta's certified verdict: higher, lower, or not significant."""
    if "total_cost_delta_significant" not in certified:
        return ""
    if certified["total_cost_delta_significant"] < 0.5:
        return "not significant at this gap"
    return "cost higher" if certified["total_cost_delta_low"] > 0 else "cost lower"


def write_workbook(data: StudyData, path: Path) -> Path:
    from netdesign.report.html import Page

    page = Page(data)
    cur = data.currency
    money = money_format(cur)
    book = Workbook()
    book.remove(book.active)

    # summary
    base = data.baseline if data.baseline in data.solved else None
    base_cost = data.objective(base) if base else math.nan
    rows = []
    for run_id in data.runs["run_id"]:
        solved = run_id in data.solved
        cost = data.objective(run_id) if solved else math.nan
        case = data.finance(run_id, "capex_case")
        certified = page.certified(run_id)
        row = data.run(run_id)
        rows.append({
            "run": run_id,
            "description": data.description(run_id),
            "status": str(row["status"]),
            "gap": row.get("gap", math.nan),
            "gap_total": row.get("gap_total", math.nan),
            "floor": row.get("floor", math.nan),
            "total_landed_cost": cost,
            "delta_vs_baseline": cost - base_cost if run_id != base else math.nan,
            "delta_low": certified.get("total_cost_delta_low", math.nan),
            "delta_high": certified.get("total_cost_delta_high", math.nan),
            "delta_pct": (cost - base_cost) / base_cost if run_id != base and base_cost else
            math.nan,
            "verdict": _verdict(certified) if run_id != base and solved else "",
            "economic_profit_low": certified.get("economic_profit_delta_low", math.nan),
            "economic_profit_high": certified.get("economic_profit_delta_high", math.nan),
            "npv_low": certified.get("npv_low", math.nan),
            "npv_high": certified.get("npv_high", math.nan),
            "ebit": data.finance(run_id, "pnl").get("ebit", math.nan),
            "ebit_delta": data.finance(run_id, "pnl_delta").get("ebit", math.nan)
            if run_id != base else math.nan,
            "economic_profit": data.finance(run_id, "pnl").get("economic_profit", math.nan),
            "economic_profit_delta": data.finance(run_id, "pnl_delta").get(
                "economic_profit", math.nan) if run_id != base else math.nan,
            "cash_released": data.finance(run_id, "working_capital_delta").get(
                "cash_released", math.nan) if run_id != base else math.nan,
            "capex": case.get("capex", math.nan),
            "npv": case.get("npv", math.nan),
            "irr": case.get("irr", math.nan),
            "payback_months": case.get("payback_months", math.nan),
            "open_dcs": len(data.open_dcs(run_id)) if solved else None,
        })
    summary = pd.DataFrame(rows).rename(columns=SUMMARY_HEADERS)
    best = page.best()
    best = best if best and page.beats_baseline(best) else None
    _sheet(book, "summary", summary, {
        "Gap (controllable)": "0.00%", "Gap (total)": "0.000%", "Floor / yr": money,
        "Total landed cost / yr": money, "Δ vs baseline / yr": money, "Δ certified low": money,
        "Δ certified high": money, "Δ %": "0.00%", "EBIT / yr": money, "EBIT Δ / yr": money,
        "Economic profit / yr": money, "Economic profit Δ / yr": money,
        "Economic profit Δ low": money, "Economic profit Δ high": money,
        "Cash released": money, "CapEx": money,
        "NPV": money, "NPV low": money, "NPV high": money, "IRR": PCT, "Payback (months)": "0",
        "Open DCs": "0"},
        widths={"Description": 50})
    ws = book["summary"]
    info = [("Study", data.name), ("Date", study_date(data)), ("Currency", cur),
            ("Best scenario (highest economic profit, certified)", best or "none certified "
             "better than "
             "the baseline at the runs' gaps"),
            ("Source", str(data.folder / "results.duckdb"))]
    start = ws.max_row + 2
    for i, (key, value) in enumerate(info):
        ws.cell(row=start + i, column=1, value=key).font = TOTAL_FONT
        ws.cell(row=start + i, column=2, value=value)

    # pnl / working capital: one column per run, then deltas of each scenario
    pnl = _wide(data, "pnl", PNL_ORDER)
    totals = {i for i, key in enumerate(pnl["key"]) if key in PNL_TOTALS}
    pnl = pnl.drop(columns="key").rename(columns={"line": "Line"})
    _sheet(book, "pnl", pnl, {r: money for r in data.solved}, totals=totals,
           widths={"Line": 30})
    wc = _wide(data, "working_capital", page.WC_ORDER)
    formats = {r: money for r in data.solved}
    _sheet(book, "working_capital", wc.drop(columns="key").rename(columns={"line": "Line"}),
           formats, widths={"Line": 26})
    ws = book["working_capital"]
    for i, key in enumerate(wc["key"], start=2):
        for j in range(2, ws.max_column + 1):
            cell = ws.cell(row=i, column=j)
            if key == "dio":
                cell.number_format = DAYS
            elif key == "turns":
                cell.number_format = DEC2
            elif key == "inventory_value":
                cell.font = TOTAL_FONT

    # CapEx case: summary lines, then cash flows per scenario below
    scen = data.scenarios
    cases = {r: data.finance(r, "capex_case") for r in scen}
    lines = list(page.CASE_ORDER)
    case = pd.DataFrame({"Line": [fmt.label("closing_one_time" if x == "closing" else x)
                                  for x in lines]})
    for r in scen:
        case[r] = [cases[r].get(x, math.nan) for x in lines]
    _sheet(book, "capex_case", case, {r: money for r in scen}, widths={"Line": 40})
    ws = book["capex_case"]
    for i, key in enumerate(lines, start=2):
        for j in range(2, ws.max_column + 1):
            cell = ws.cell(row=i, column=j)
            if key == "irr":
                cell.number_format = PCT
            elif key.endswith("payback_months"):
                cell.number_format = "0.0"
            if key == "npv":
                cell.font = TOTAL_FONT
    row = ws.max_row + 2
    for r in scen:
        fin = data.of("finance", r)
        flows = fin[fin["section"].str.startswith("cash_flow_")]
        if flows.empty:
            continue
        table = flows.assign(column=flows["section"].str.removeprefix("cash_flow_")).pivot(
            index="column", columns="line", values="value")
        years = sorted(table.columns, key=lambda y: int(str(y).removeprefix("year_")))
        ws.cell(row=row, column=1, value=f"Cash flows: {r}").font = TOTAL_FONT
        row += 1
        ws.cell(row=row, column=1, value="Line").font = TOTAL_FONT
        for j, year in enumerate(years, start=2):
            cell = ws.cell(row=row, column=j, value=f"Year {str(year).removeprefix('year_')}")
            cell.font = TOTAL_FONT
        row += 1
        for column, text in CASH_FLOW_LABELS.items():
            if column not in table.index:
                continue
            ws.cell(row=row, column=1, value=text)
            for j, year in enumerate(years, start=2):
                cell = ws.cell(row=row, column=j, value=_clean(float(table.at[column, year])))
                cell.number_format = money
                if column == "net":
                    cell.font = TOTAL_FONT
            row += 1
        row += 1
    for j in range(2, max(ws.max_column, 2) + 1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, 16)

    # kpis: one row per KPI, a column per run
    units = page.units()
    names = [n for n in kpis.LABELS if n in units] + sorted(set(units) - set(kpis.LABELS))
    kp = pd.DataFrame({"KPI": [fmt.label(n) for n in names],
                       "Unit": [units[n].replace("currency", cur or "currency") for n in names]})
    for r in data.solved:
        values = data.kpis(r)
        kp[r] = [values.get(n, math.nan) for n in names]
    _sheet(book, "kpis", kp, {r: DEC2 for r in data.solved}, widths={"KPI": 32})
    ws = book["kpis"]
    for i, n in enumerate(names, start=2):
        unit = units[n]
        number_format = (PCT if unit == "share" else money if n == "total_cost" else
                         money_format(cur, 2) if unit.startswith("currency") else
                         INT if unit in ("count", "units/year") else DEC2)
        for j in range(3, ws.max_column + 1):
            ws.cell(row=i, column=j).number_format = number_format

    # facilities and flows: long tables with run_id
    fac = data.tables["facilities"]
    fac = fac[fac["run_id"].isin(data.solved)] if not fac.empty else fac
    _sheet(book, "facilities", fac.reset_index(drop=True), {
        "throughput": INT, "throughput_capacity": INT, "utilisation": PCT, "inventory": INT})
    flows = data.tables["flows"]
    flows = flows[flows["run_id"].isin(data.solved)] if not flows.empty else flows
    flows = flows.drop(columns=[c for c in ("flow_index",) if c in flows.columns])
    _sheet(book, "flows", flows.reset_index(drop=True), {
        "units": INT, "distance_km": INT, "transit_days": DAYS, "freight": money_format(cur, 2),
        "co2_kg": INT, "unit_value": money_format(cur, 2)})
    _forecast_sheets(book, data)
    for sheet in book.worksheets:
        text_cells(sheet)
    return write_atomic(path, book.save)


def _forecast_sheets(book: Workbook, data: StudyData) -> None:
    """When demand came from a history: its backtest accuracy and the segmentation."""
    forecast = data.extra.get("forecast") or {}
    if not forecast:
        return
    accuracy = pd.concat([forecast["accuracy_segment"],
                          forecast["accuracy_overall"].assign(segment="all")])
    _sheet(book, "forecast_accuracy", accuracy.reset_index(drop=True),
           {c: "0.0%" for c in ("wape", "bias", "mape")})
    _sheet(book, "segments", forecast["segments"].reset_index(drop=True), {})
