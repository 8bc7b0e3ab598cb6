"""The study report: ``report.html`` is complete and self-contained, ``study.xlsx`` is formatted.

A tiny study (the ``tiny`` model with suppliers; a forced new DC, a fuel sweep, a fixed-network
run and a scenario that fails validation) is solved once per module and reported on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from conftest import tiny_spec_data
from netdesign.report import geo, load_study, write_report
from netdesign.report.workbook import SHEETS
from netdesign.store import ResultsStore
from netdesign.study import run_study

SECTIONS = ("summary", "maps", "costs", "kpis", "finance", "inventory", "service", "trust")

SCENARIOS = {
    "open_dallas.yaml": """
name: open_dallas
description: "Open the Dallas candidate next to Atlanta"
mode: reoptimize
changes:
  - {table: facilities, where: {facility: DC_DAL}, set: {status: forced_open}}
""",
    "fuel.yaml": """
name: fuel
description: "Diesel sensitivity"
mode: reoptimize
sweep: {settings.fuel_index: [1.25, 1.5]}
""",
    "fuel_fixed.yaml": """
name: fuel_fixed
description: "Diesel +30 % on today's network"
mode: fixed_network
settings: {fuel_index: 1.3}
""",
    "broken.yaml": """
name: broken
description: "Close the only fast DC (cannot keep the promise)"
mode: reoptimize
changes:
  - {table: facilities, where: {facility: DC_ATL}, set: {status: forced_closed}}
  - {table: facilities, where: {facility: DC_CHI}, set: {status: forced_closed}}
  - {table: facilities, where: {facility: DC_DAL}, set: {status: forced_closed}}
""",
}


def build_study(root: Path) -> tuple[Path, dict[str, int]]:
    """Solve the tiny study into ``root/study``, write the report; return the folder and the
    number of open DCs of every solved run (from the results store)."""
    model = tiny_spec_data(suppliers=True).write(root / "model")
    folder = root / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in SCENARIOS.items():
        (folder / name).write_text(text.lstrip())
    study = run_study(model, [folder], root / "study", workers=1)
    write_report(study, model=model)
    with ResultsStore(study / "results.duckdb", read_only=True) as store:
        runs = store.runs()
        fac = store.table("facilities")
    solved = runs.loc[runs["status"].isin(["optimal", "time_limit"]), "run_id"]
    open_dcs = {r: int(fac.loc[(fac["run_id"] == r) & fac["open"].astype(bool)].shape[0])
                for r in solved}
    return study, open_dcs


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    return build_study(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page(study) -> str:
    return (study[0] / "report.html").read_text(encoding="utf-8")


def _without_scripts(text: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.S | re.I)


def test_study_has_the_runs_the_report_needs(study):
    _, open_dcs = study
    assert {"baseline", "open_dallas", "fuel_fixed"} <= set(open_dcs)
    assert any(r.startswith("fuel[fuel_index=") for r in open_dcs)
    assert "broken" not in open_dcs
    assert open_dcs["open_dallas"] == open_dcs["baseline"] + 1


def test_every_section_has_an_id_and_a_heading(page):
    for sid in SECTIONS:
        match = re.search(rf'<section id="{sid}">\s*<h2>([^<]+)</h2>', page)
        assert match, f"section {sid} missing or without heading"
        assert match.group(1).strip()


def test_html_loads_nothing_from_outside(page):
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I), "scripts must be inline"
    assert not re.search(r"<link\b", page, re.I), "no stylesheets or icons by link"
    markup = _without_scripts(page)
    for attr in re.findall(r"""\b(?:src|href|action|poster|data)\s*=\s*["']?([^"'\s>]+)""",
                           markup, re.I):
        assert not re.match(r"(?:https?:)?//", attr), f"external resource {attr}"
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", markup), "no external CSS url()"
    assert "@import" not in markup
    # plotly.js is inlined once, and no figure needs map tiles or the topojson that geo traces
    # fetch from a CDN by default
    assert page.count("Plotly.newPlot(") == page.count('class="plotly-graph-div"') > 0
    assert page.count("* plotly.js v") == 1  # the banner of the one inlined bundle
    for traces, layout in _figures(page):
        assert {t.get("type", "scatter") for t in traces}.isdisjoint(TILE_OR_GEO_TRACES)
        assert not any(k.startswith(("geo", "mapbox", "map")) for k in layout)


TILE_OR_GEO_TRACES = {"scattergeo", "choropleth", "scattermapbox", "choroplethmapbox",
                      "densitymapbox", "scattermap", "choroplethmap", "densitymap"}


def _figures(page: str):
    """(traces, layout) of every Plotly.newPlot call in the page."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*", page):
        traces, end = decoder.raw_decode(page, match.end())
        layout_start = page.index("{", end)
        layout, _ = decoder.raw_decode(page, layout_start)
        yield traces, layout


def _map_traces(page: str, run_id: str) -> list[dict]:
    """The trace list passed to Plotly.newPlot for the map of ``run_id``."""
    box = page.index(f'data-run="{run_id}"')
    call = page.index("Plotly.newPlot(", box)
    start = page.index("[", call)
    traces, _ = json.JSONDecoder().raw_decode(page[start:])
    return traces


def test_maps_show_the_open_dcs_of_every_run(study, page):
    _, open_dcs = study
    for run_id, count in open_dcs.items():
        assert re.search(rf'data-run="{re.escape(run_id)}" data-open-dcs="{count}"', page)
        traces = _map_traces(page, run_id)
        names = [t.get("name", "") for t in traces]
        drawn = sum(len(t["x"]) for t in traces if t.get("name", "").startswith("DC open"))
        assert drawn == count, (run_id, names)
        assert "Suppliers" in names
        assert any(n.startswith("Customers") for n in names)
        assert any(n.endswith("lanes") for n in names)
        assert traces[0]["name"] == "states" and len(traces[0]["x"]) > 1000
    new = _map_traces(page, "open_dallas")
    assert next(t for t in new if t.get("name") == "DC open (new)")["meta"] == {
        "facilities": ["DC_DAL"]}


def test_summary_costs_kpis_finance_content(study, page):
    folder, _ = study
    data = load_study(folder)
    base_cost = data.objective("baseline")
    summary = page[page.index('<section id="summary">'):page.index('<section id="maps">')]
    assert "Baseline total landed cost" in summary
    # every scenario of the tiny study costs more than the baseline, and the page says so
    assert "No scenario improves on the baseline" in summary
    assert f"{base_cost:,.0f}" in summary  # full amount with thousands separators, in the table
    for run in ("open_dallas", "fuel_fixed", "broken"):
        assert run in summary
    assert "error" in summary  # the failed scenario is listed with its status
    costs = page[page.index('<section id="costs">'):page.index('<section id="kpis">')]
    assert '"type":"waterfall"' in costs
    assert costs.count('data-group="waterfall"') == len(data.scenarios) >= 3
    kpis = page[page.index('<section id="kpis">'):page.index('<section id="finance">')]
    assert "Inventory turns" in kpis and "Fill rate" in kpis and "sensitivity to fuel_index" in kpis
    finance = page[page.index('<section id="finance">'):page.index('<section id="inventory">')]
    for word in ("EBIT", "Capital charge", "Economic profit", "Inventory value", "NPV", "IRR",
                 "Payback", "Residual value", "Tax saved on closing costs"):
        assert word in finance
    trust = page[page.index('<section id="trust">'):]
    assert "fuel_index" in trust and "forced_open" in trust and "Gap" in trust


def test_report_without_model_explains_the_missing_map(study, tmp_path):
    folder, _ = study
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "results.duckdb").write_bytes((folder / "results.duckdb").read_bytes())
    html_path, book = write_report(copy)
    text = html_path.read_text()
    assert "No map:" in text and "data-open-dcs" not in text
    assert book.exists()
    (copy / "study.json").write_text(json.dumps({"model": str(folder.parent / "model")}))
    html_path, _ = write_report(copy)
    assert 'data-open-dcs="' in html_path.read_text()


def test_workbook_sheets_and_formats(study):
    folder, open_dcs = study
    book = load_workbook(folder / "study.xlsx")
    assert book.sheetnames == list(SHEETS)
    for ws in book.worksheets:
        assert ws.freeze_panes in ("A2", "B2"), ws.title
        assert all(cell.font.bold for cell in ws[1] if cell.value is not None), ws.title
        assert ws.column_dimensions["A"].width >= 10, ws.title
    summary = book["summary"]
    header = [c.value for c in summary[1]]
    runs = [r[0] for r in summary.iter_rows(min_row=2, max_col=1, values_only=True)]
    assert runs[0] == "baseline" and "broken" in runs
    cost = summary.cell(row=2, column=header.index("Total landed cost / yr") + 1)
    assert isinstance(cost.value, float) and "#,##0" in cost.number_format
    assert "$" in cost.number_format
    pnl = book["pnl"]
    lines = [r[0] for r in pnl.iter_rows(min_row=2, max_col=1, values_only=True)]
    assert lines[0] == "Revenue" and lines[-1] == "Economic profit"
    assert lines.index("EBIT") < lines.index("Capital charge") < lines.index("Economic profit")
    for line in ("EBIT", "Economic profit"):
        assert pnl.cell(row=lines.index(line) + 2, column=1).font.bold
    assert not pnl.cell(row=lines.index("Capital charge") + 2, column=1).font.bold
    wc = book["working_capital"]
    wc_lines = [r[0] for r in wc.iter_rows(min_row=2, max_col=1, values_only=True)]
    assert "DIO (days)" in wc_lines and "Inventory turns" in wc_lines
    case = book["capex_case"]
    case_lines = [r[0] for r in case.iter_rows(min_row=2, max_col=1, values_only=True)]
    assert "NPV" in case_lines and any(str(x).startswith("Cash flows: open_dallas")
                                       for x in case_lines)
    irr_row = case_lines.index("IRR") + 2
    assert case.cell(row=irr_row, column=2).number_format == "0.0%"
    kpis = book["kpis"]
    fill = [r for r in kpis.iter_rows(min_row=2, values_only=False) if r[0].value == "Fill rate"]
    assert fill and fill[0][2].number_format == "0.0%"
    fac = book["facilities"]
    fac_header = [c.value for c in fac[1]]
    assert fac_header[:2] == ["run_id", "facility"]
    assert fac.max_row - 1 == 3 * len(open_dcs)
    flows = book["flows"]
    flow_header = [c.value for c in flows[1]]
    freight = flows.cell(row=2, column=flow_header.index("freight") + 1)
    assert "#,##0.00" in freight.number_format
    assert flows.auto_filter.ref


def test_baseline_only_study_renders_every_section(tmp_path):
    model = tiny_spec_data(suppliers=True).write(tmp_path / "model")
    study = run_study(model, [], tmp_path / "study", workers=1)
    html_path, book = write_report(study, model=model)
    text = html_path.read_text()
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text
    assert text.count("data-open-dcs=") == 1
    assert "This study has no sweep" in text
    assert load_workbook(book).sheetnames == list(SHEETS)


def test_shipped_state_outlines():
    states = geo.states()
    assert len(states) == 51 and {"CA", "TX", "NY", "DC", "AK", "HI"} <= {s["code"] for s in states}
    assert "Census" in geo.source() and "public domain" in geo.source()
    x, y = geo.project([37.5], [-96.0])
    assert abs(x[0]) < 1e-6 and abs(y[0]) < 1e-6  # the projection's origin
    xs, _ = geo.outline_xy(np.array([40.0]), np.array([-100.0]))
    assert None in xs and len(xs) > 5000
