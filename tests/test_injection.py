"""Names cannot run code: hostile text in every text field of a model and a scenario.

A tiny study is solved once with every text cell of every table, the model's name and currency,
and the scenario's name and description set to markup that would run in a browser (and start
with ``=``, ``+``, ``-`` or ``@``, which a spreadsheet would take for a formula).
"""

from __future__ import annotations

import typing
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from conftest import tiny_spec_data
from netdesign.report import write_report
from netdesign.schema import TABLES
from netdesign.study import run_study

MARKUP = "\"'></script><img src=x onerror=alert(1)>"
FORMULA_STARTS = "=+-@"
#: ids and references to them: renamed the same way in every table
IDS = ("product", "facility", "customer", "supplier", "mode", "option", "origin", "destination")
#: text columns whose values are a fixed vocabulary, not names
VOCABULARY = {("modes", "legs")}
PLACES = {"DC_ATL": (33.75, -84.39), "DC_CHI": (41.88, -87.63), "DC_DAL": (32.78, -96.80),
          "C1": (25.76, -80.19), "C2": (42.33, -83.05), "C3": (40.75, -73.99),
          "S_LA": (34.05, -118.24), "S_MEM": (35.15, -90.05)}


def hostile(text: str) -> str:
    """``text`` behind a formula start and markup: the same input always gives the same name."""
    return f"{FORMULA_STARTS[sum(map(ord, text)) % 4]}{text}{MARKUP}"


def text_fields(table: str) -> list[str]:
    """The free-text columns of a table (not numbers, not a fixed vocabulary)."""
    return [name for name, info in TABLES[table].model_fields.items()
            if str in (info.annotation, *typing.get_args(info.annotation))
            and (table, name) not in VOCABULARY]


def build(root: Path) -> tuple[Path, list[tuple[str, str]]]:
    """The hostile study and the (table, column) of every field made hostile."""
    spec = tiny_spec_data(suppliers=True)
    spec.settings.update(name=hostile("model"), currency=hostile("currency"))
    spec.tables["facility_options"] = [{"facility": "DC_CHI", "option": "mezzanine",
                                        "capex": "1000", "capacity_factor": "1.5",
                                        "status": "forced"}]
    spec.tables["lanes"] = [{"origin": "S_LA", "destination": "DC_DAL", "mode": "truck",
                             "cost_per_unit": "0.4"}]
    fields = []
    for table, rows in spec.tables.items():
        columns = text_fields(table)
        fields += [(table, column) for column in columns]
        for row in rows:
            place = next((row[c] for c in ("facility", "customer", "supplier") if c in row), "")
            if "location" in columns:
                row["lat"], row["lon"] = map(str, PLACES[place])
            for column in columns:
                row[column] = hostile(row[column] if column in IDS else row.get(column) or column)
    model = spec.write(root / "model")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    (scenarios / "hostile.yaml").write_text(yaml.safe_dump({
        "name": hostile("scenario"), "description": hostile("description"),
        "changes": [{"table": "facilities", "where": {"facility": hostile("DC_DAL")},
                     "set": {"status": "forced_open"}}]}))
    study = run_study(model, [scenarios], root / "study", workers=1)
    write_report(study, model=model)
    return study, fields


@pytest.fixture(scope="module")
def hostile_study(tmp_path_factory) -> tuple[Path, list[tuple[str, str]]]:
    return build(tmp_path_factory.mktemp("hostile"))


class Elements(HTMLParser):
    """Every element a browser would build from the page; the text and attribute values it
    would show (script bodies are data to the parser, never elements)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self.text += [value for _, value in attrs if value]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_every_text_field_is_shown_as_text_in_the_report(hostile_study):
    study, fields = hostile_study
    assert len(fields) >= 20  # every text column of the eight tables the model uses
    page = Elements()
    page.feed((study / "report.html").read_text(encoding="utf-8"))
    live = [(tag, attrs) for tag, attrs in page.tags
            if tag == "img" or any(name.startswith("on") for name, _ in attrs)]
    assert live == []
    shown = "\n".join(page.text)
    for name in ("model", "currency", "scenario", "description", "DC_ATL", "mezzanine"):
        assert hostile(name) in shown  # shown as the text it is, in content or an attribute


def test_no_workbook_cell_is_a_formula(hostile_study):
    study, _ = hostile_study
    book = load_workbook(study / "study.xlsx")
    as_text, values = [], []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = f"{sheet.title}!{cell.coordinate}"
                assert cell.data_type != "f", f"{where} is the formula {cell.value!r}"
                if isinstance(cell.value, str) and cell.value.startswith(tuple(FORMULA_STARTS)):
                    assert cell.data_type == "s" and cell.quotePrefix, where
                    as_text.append(cell.value)
                elif isinstance(cell.value, int | float):
                    values.append(cell.value)
    assert {hostile("scenario"), hostile("description"), hostile("model"),
            hostile("DC_ATL")} <= set(as_text)
    summary = book["summary"]
    header = [cell.value for cell in summary[1]]
    costs = [row[header.index("Total landed cost / yr")] for row in
             summary.iter_rows(min_row=2, max_row=3, values_only=True)]
    assert all(isinstance(cost, float) and cost > 0 for cost in costs)  # numbers stay numbers
