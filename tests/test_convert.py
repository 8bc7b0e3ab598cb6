"""Converting a model folder to a workbook and back keeps every value, type and message."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from conftest import ModelSpec, tiny_spec_data
from netdesign.data import ModelData
from netdesign.io import convert, number_columns, read_model
from netdesign.validate import ModelValidationError, load_model


def _full_spec() -> ModelSpec:
    """The tiny model with suppliers, every optional table, text that looks like numbers."""
    spec = tiny_spec_data(suppliers=True)
    spec.settings.update(name="007", currency="EUR", solver={"threads": 1, "mip_gap": 0.005},
                         inventory={"pooling": False}, service={"max_days": 3.5})
    for line in (2, 3, 4):  # product A → "007": an id that must stay text
        spec.set("demand", line, "product", "007" if line < 4 else "B")
    spec.set("products", 2, "product", "007")
    spec.set("supply", 2, "product", "007").set("supply", 4, "product", "007")
    spec.set("customers", 3, "location", "02134")  # ZIP with a leading zero
    spec.set("customers", 2, "region", "1")  # a region label that looks like a number
    spec.set("products", 3, "note", "fragile")  # a declared extra column, kept as written
    spec.settings["extra_columns"] = {"products": ["note"]}
    spec.set("products", 2, "segment", "fast")
    spec.add_row("facility_options", facility="DC_CHI", option="automation", capex="250000",
                 life_years="12", annual_cost="-20000", capacity_factor="1.5",
                 handling_cost_factor="0.7")
    spec.add_row("lanes", origin="DC_ATL", destination="C1", mode="truck", cost_per_unit="0.8",
                 distance_km="", transit_days="1.5")
    return spec


@pytest.fixture
def full_model(tmp_path: Path) -> Path:
    return _full_spec().write(tmp_path / "full")


def _assert_same(left: ModelData, right: ModelData) -> None:
    assert left.settings == right.settings
    for name in ModelData.TABLE_NAMES:
        pd.testing.assert_frame_equal(left.table(name), right.table(name), obj=name)


def test_folder_to_workbook_to_folder(full_model: Path, tmp_path: Path):
    book = convert(full_model, tmp_path / "out" / "model.xlsx")
    assert book.exists()
    back = convert(book, tmp_path / "back")
    assert sorted(p.name for p in back.iterdir()) == sorted(p.name for p in full_model.iterdir())
    _assert_same(load_model(full_model), load_model(back))


def test_workbook_loads_directly(full_model: Path, tmp_path: Path):
    book = convert(full_model, tmp_path / "model.xlsx")
    from_folder, from_book = load_model(full_model), load_model(book)
    assert from_book.settings == from_folder.settings
    for name in ModelData.TABLE_NAMES:
        pd.testing.assert_frame_equal(from_folder.table(name), from_book.table(name), obj=name)


def test_text_stays_text(full_model: Path, tmp_path: Path):
    book = convert(full_model, tmp_path / "model.xlsx")
    sheets = openpyxl.load_workbook(book)
    products = sheets["products"]
    assert products["A2"].value == "007" and products["A2"].data_type == "s"
    assert products["B2"].value == 10 and products["B2"].data_type == "n"  # numbers stay numbers
    customers = {c.value: c.column_letter for c in sheets["customers"][1]}
    assert sheets["customers"][f"{customers['location']}3"].value == "02134"
    assert sheets["customers"][f"{customers['region']}2"].value == "1"
    settings = dict(sheets["model"].iter_rows(min_row=2, values_only=True))
    assert settings["service.max_days"] == "3.5" and settings["solver.threads"] == "1"
    data = load_model(book)
    assert data.settings.name == "007"
    assert "007" in set(data.products["product"]) and "007" in set(data.demand["product"])
    assert data.customers.set_index("customer").loc["C1", "region"] == "1"
    back = convert(book, tmp_path / "back")
    assert "007," in (back / "products.csv").read_text()
    assert "02134" in (back / "customers.csv").read_text()
    assert "name: '007'" in (back / "model.yaml").read_text()


def test_settings_round_trip(full_model: Path, tmp_path: Path):
    raw = read_model(full_model)
    back = read_model(convert(convert(full_model, tmp_path / "m.xlsx"), tmp_path / "back"))
    assert back.settings == raw.settings
    assert read_model(tmp_path / "m.xlsx").settings == raw.settings


def test_workbook_messages_use_sheet_rows(tmp_path: Path):
    spec = tiny_spec_data()
    spec.set("demand", 3, "annual_units", "-2000").set("facilities", 4, "status", "open")
    spec.add_row("demand", customer="C9", product="A", annual_units="5")
    folder = spec.write(tmp_path / "broken")
    book = convert(folder, tmp_path / "broken.xlsx")
    with pytest.raises(ModelValidationError) as from_folder:
        load_model(folder)
    with pytest.raises(ModelValidationError) as from_book:
        load_model(book)
    expected = [
        "facilities:4:status: found 'open', "
        "expected one of 'existing', 'candidate', 'forced_open' or 'forced_closed'",
        "demand:3:annual_units: found -2000, expected a number ≥ 0",
        "demand:5:customer: unknown customer 'C9', expected an id listed in customers",
    ]
    assert [str(p) for p in from_book.value.problems] == expected
    assert [str(p) for p in from_folder.value.problems] == expected


def test_workbook_blank_rows_keep_sheet_rows(tmp_path: Path):
    book = convert(tiny_spec_data().write(tmp_path / "m"), tmp_path / "m.xlsx")
    sheets = openpyxl.load_workbook(book)
    demand = sheets["demand"]
    demand.insert_rows(3)  # an empty row 3: C2 moves to sheet row 4
    demand["C4"] = -1
    sheets.save(book)
    with pytest.raises(ModelValidationError) as info:
        load_model(book)
    assert [str(p) for p in info.value.problems] == [
        "demand:4:annual_units: found -1, expected a number ≥ 0"]


def test_bad_workbook_settings_are_problems(tmp_path: Path):
    book = convert(tiny_spec_data().write(tmp_path / "m"), tmp_path / "m.xlsx")
    sheets = openpyxl.load_workbook(book)
    sheet = sheets["model"]
    sheet.append(["solver.threads", "{many"])  # not even valid YAML
    sheet.append(["colour", "red"])
    sheets.save(book)
    with pytest.raises(ModelValidationError) as info:
        load_model(book)
    messages = sorted(str(p) for p in info.value.problems)
    assert len(messages) == 2
    assert messages[0].startswith("model.yaml:-:colour: unknown setting, expected one of name, ")
    assert messages[1] == "model.yaml:-:solver.threads: found '{many', expected a whole number"


def test_convert_refuses_unreadable_rows(tmp_path: Path):
    folder = tiny_spec_data().write(tmp_path / "m")
    path = folder / "customers.csv"
    path.write_text(path.read_text().replace('C1,"Miami, FL",SE,', "C1,Miami, FL,SE,"))
    with pytest.raises(ModelValidationError, match=r"customers:2:-: found 5 cells"):
        convert(folder, tmp_path / "m.xlsx")
    assert not (tmp_path / "m.xlsx").exists()


def _formula_like_spec() -> ModelSpec:
    """The tiny model with ids, a region and the model's name starting like formulas."""
    spec = tiny_spec_data()
    spec.settings["name"] = "=HYPERLINK(\"http://x\",\"y\")"
    for new, old in (("=X1", "C1"), ("+X2", "C2"), ("-X3", "C3")):
        line = 2 + ["C1", "C2", "C3"].index(old)
        spec.set("customers", line, "customer", new).set("demand", line, "customer", new)
    spec.set("customers", 2, "region", "@SE")
    return spec


def test_workbook_writes_formula_like_text_as_text(tmp_path: Path):
    book = convert(_formula_like_spec().write(tmp_path / "model"), tmp_path / "model.xlsx")
    sheets = openpyxl.load_workbook(book)
    assert not [f"{ws.title}!{c.coordinate}" for ws in sheets for row in ws.iter_rows()
                for c in row if c.data_type == "f"]
    customers = sheets["customers"]
    assert [c.value for c in customers["A"][1:]] == ["=X1", "+X2", "-X3"]
    assert all(c.data_type == "s" and c.quotePrefix for c in customers["A"][1:])
    assert sheets["model"]["B2"].value == "=HYPERLINK(\"http://x\",\"y\")"
    assert isinstance(sheets["demand"]["C2"].value, int)  # numbers stay numbers


def test_formula_like_text_round_trips(tmp_path: Path):
    folder = _formula_like_spec().write(tmp_path / "model")
    back = convert(convert(folder, tmp_path / "model.xlsx"), tmp_path / "back")
    before, after = read_model(folder), read_model(back)
    assert after.errors == []
    assert after.settings == before.settings
    for name, frame in before.tables.items():  # text exactly as written; numbers as numbers
        text = [column for column in frame.columns if column not in number_columns(name)]
        assert after.tables[name][text].equals(frame[text]), name
    assert after.tables["customers"]["customer"].tolist() == ["=X1", "+X2", "-X3"]
    _assert_same(load_model(folder), load_model(back))


def _facilities_sheet(tmp_path: Path) -> tuple[Path, openpyxl.Workbook]:
    book = convert(tiny_spec_data().write(tmp_path / "m"), tmp_path / "m.xlsx")
    return book, openpyxl.load_workbook(book)


def _save_values(book: Path, saved: dict[str, str]) -> None:
    """Give formulas the value Excel would save with each (openpyxl saves an empty ``<v/>``)."""
    with zipfile.ZipFile(book) as archive:
        members = {item.filename: archive.read(item) for item in archive.infolist()}
    with zipfile.ZipFile(book, "w") as archive:
        for name, data in members.items():
            for formula, value in saved.items():
                data = data.replace(f"<f>{formula}</f><v />".encode(),
                                    f"<f>{formula}</f><v>{value}</v>".encode())
            archive.writestr(name, data)


def test_formula_without_a_saved_value_is_an_error(tmp_path: Path):
    book, sheets = _facilities_sheet(tmp_path)
    assert sheets["facilities"]["F1"].value == "fixed_cost"
    sheets["facilities"]["F2"] = "=1260000*1"
    sheets["model"].append(["days_per_year", "=365"])
    sheets.save(book)
    with pytest.raises(ModelValidationError) as info:
        load_model(book)
    expected = "a value: open and save the workbook in Excel (which saves each formula's value)"
    assert [str(p) for p in info.value.problems] == [  # in sheet order
        f"model.yaml:4:days_per_year: formula =365 in model!B4 has no saved value, "
        f"expected {expected}, or enter the value",
        f"facilities:2:fixed_cost: formula =1260000*1 in facilities!F2 has no saved value, "
        f"expected {expected}, or enter the value"]
    _save_values(book, {"1260000*1": "1260000", "365": "365"})  # as Excel saves them
    data = load_model(book)
    facilities = data.table("facilities").set_index("facility")
    assert facilities.loc["DC_ATL", "fixed_cost"] == 1_260_000
    assert data.settings.days_per_year == 365


def test_merged_cells_are_an_error(tmp_path: Path):
    book, sheets = _facilities_sheet(tmp_path)
    assert sheets["facilities"]["E1"].value == "status"
    sheets["facilities"].merge_cells("E2:E3")  # existing over candidate
    sheets.save(book)
    with pytest.raises(ModelValidationError) as info:
        load_model(book)
    assert [str(p) for p in info.value.problems] == [
        "facilities:2:status: merged cells facilities!E2:E3, expected one value in each cell: "
        "unmerge the cells and fill every one"]
