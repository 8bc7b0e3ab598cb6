"""Models as ERP exports and spreadsheets write them, and files that are not what they claim.

* CSV dialects: semicolon, tab or pipe; decimal commas; UTF-8 with BOM, UTF-16, Windows-1252 —
  each variant of the tiny model loads to the same tables as the plain one, and says what it read;
* names: headers and file names in another letter case are read (with a note); unknown columns
  and table files are errors naming the closest known name; ids that differ only by case warn;
* file-level failures (a text file called .xlsx, a folder called demand.csv, a cell of 1 MB, a
  header-only or all-zero demand table, binary bytes) are one clear problem each;
* property tests: whole files replaced by random bytes, truncated or re-encoded, and row-level
  mutations, loaded and then solved through the CLI: every outcome is a model or a validation
  error, and every solve exits 0, 2, 3 or 4, never with an internal error.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ModelSpec, tiny_spec_data
from netdesign.cli import app
from netdesign.data import ModelData
from netdesign.validate import ModelValidationError, load_model
from test_validation import _apply, _mutations

WIDE = {"COLUMNS": "250"}


def _problems(folder: Path) -> list[str]:
    with pytest.raises(ModelValidationError) as info:
        load_model(folder)
    return [str(p) for p in info.value.problems]


def _assert_same_tables(left: ModelData, right: ModelData) -> None:
    assert left.settings == right.settings
    for name in ModelData.TABLE_NAMES:
        pd.testing.assert_frame_equal(left.table(name), right.table(name), obj=name)


# -- CSV dialects ----------------------------------------------------------------------------------


def _spec() -> ModelSpec:
    """The tiny model with an accented region (so the encoding matters) and a large capacity."""
    spec = tiny_spec_data(suppliers=True)
    spec.set("customers", 3, "region", "Montréal-Nord")
    spec.set("facilities", 2, "throughput_capacity", "1234567.5")
    return spec


def number_columns(table: str) -> list[str]:
    """The columns the schema declares numeric (written with the export's decimal)."""
    from netdesign.schema import TABLES

    return [c for c, f in TABLES[table].model_fields.items()
            if f.annotation in (float, int, float | None, int | None)]


def write_dialect(spec: ModelSpec, folder: Path, delimiter: str, encoding: str,
                  decimal: str = ".", thousands: bool = False) -> Path:
    """``spec`` as an export would write it: every CSV in one delimiter, encoding, decimal."""
    spec.write(folder)
    for name in spec.tables:
        rows = list(csv.reader(io.StringIO((folder / f"{name}.csv").read_text())))
        numeric = {i for i, c in enumerate(rows[0]) if c in number_columns(name)}
        if decimal == ",":
            rows = [rows[0]] + [[_comma(c, thousands) if i in numeric else c
                                 for i, c in enumerate(r)] for r in rows[1:]]
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        data = out.getvalue().encode(encoding.removesuffix("-bom"))
        if encoding == "utf-8-bom":
            data = codecs.BOM_UTF8 + data
        (folder / f"{name}.csv").write_bytes(data)
    return folder


def _comma(cell: str, thousands: bool) -> str:
    try:
        number = float(cell)
    except ValueError:
        return cell
    if thousands and abs(number) >= 1000:
        whole, _, frac = f"{number:,.2f}".partition(".")
        return whole.replace(",", ".") + "," + frac
    return cell.replace(".", ",")


#: (delimiter, encoding, decimal, thousands separators, what the notes say of customers.csv —
#: the one file with an accent — and of facilities.csv, ASCII but with decimals)
DIALECTS = [
    (";", "cp1252", ",", True, "Windows-1252, semicolon-separated",
     "ASCII, semicolon-separated, decimal comma"),
    ("\t", "utf-16", ".", False, "UTF-16 LE, tab-separated", "UTF-16 LE, tab-separated"),
    (",", "utf-8-bom", ".", False, "UTF-8 with BOM, comma-separated",
     "UTF-8 with BOM, comma-separated"),
    ("|", "utf-16-be", ",", False, "UTF-16 BE, pipe-separated",
     "UTF-16 BE, pipe-separated, decimal comma"),
    (";", "utf-8", ",", False, "UTF-8, semicolon-separated",
     "ASCII, semicolon-separated, decimal comma"),
]


@pytest.mark.parametrize(("delimiter", "encoding", "decimal", "thousands", "customers",
                          "facilities"), DIALECTS, ids=[d[4] for d in DIALECTS])
def test_export_dialects_load_like_the_plain_model(tmp_path: Path, delimiter: str,
                                                   encoding: str, decimal: str,
                                                   thousands: bool, customers: str,
                                                   facilities: str):
    plain = load_model(_spec().write(tmp_path / "plain"))
    folder = write_dialect(_spec(), tmp_path / "export", delimiter, encoding, decimal, thousands)
    data = load_model(folder)
    _assert_same_tables(plain, data)
    assert data.customers.set_index("customer").at["C2", "region"] == "Montréal-Nord"
    assert f"customers.csv read as {customers}" in data.notes
    assert f"facilities.csv read as {facilities}" in data.notes


def test_semicolons_with_decimal_commas_are_not_told_to_quote_commas(tmp_path: Path):
    """Before: every row was "found 4 cells, expected 1 ... (quote text with commas)"."""
    spec = _spec()
    for line in range(2, 2 + 50):
        spec.add_row("products", product=f"X{line}", unit_value="1.5", unit_price="2.25",
                     weight_kg="0.5")
    data = load_model(write_dialect(spec, tmp_path / "m", ";", "utf-8", ","))
    assert data.products.set_index("product").at["X10", "unit_price"] == 2.25


def test_missing_column_shows_the_header_that_was_read(tmp_path: Path):
    folder = _spec().write(tmp_path / "m")
    path = folder / "demand.csv"
    path.write_text(path.read_text().replace(",", ":"))  # a delimiter no export uses
    problems = _problems(folder)
    header = "'customer:product:annual_units:demand_sd:orders_per_year'"
    assert (f"demand:1:customer: column missing, expected a column 'customer' ([-] customer id "
            f"(customers.customer)); the header read is {header}") in problems


def test_a_comma_file_with_an_unquoted_comma_still_gets_the_quoting_advice(tmp_path: Path):
    folder = _spec().write(tmp_path / "m")
    path = folder / "customers.csv"
    path.write_text(path.read_text().replace('"Miami, FL"', "Miami, FL"))
    assert ('customers:2:-: found 5 cells, expected 4 as in the header (quote text with commas, '
            'e.g. "Miami, FL")') in _problems(folder)


# -- names -----------------------------------------------------------------------------------------


def test_headers_and_file_names_match_in_any_letter_case(tmp_path: Path):
    folder = _spec().write(tmp_path / "m")
    (folder / "customers.csv").rename(folder / "Customers.csv")
    path = folder / "Customers.csv"
    path.write_text(path.read_text().replace("customer,location", "Customer,Location", 1))
    data = load_model(folder)
    assert list(data.customers["customer"]) == ["C1", "C2", "C3"]
    assert "Customers.csv read as table customers" in data.notes
    assert "Customers.csv: column 'Customer' read as 'customer'" in data.notes
    result = CliRunner().invoke(app, ["validate", str(folder)], env=WIDE)
    assert result.exit_code == 0 and "note: Customers.csv read as table customers" in (
        result.stderr)


def test_demand_sd_and_handling_cost_in_other_case_are_read(tmp_path: Path):
    """Before: ``Demand_SD`` gave no safety stock and ``Handling_Cost`` handling of $0."""
    folder = _spec().write(tmp_path / "m")
    for file, old, new in (("demand.csv", "demand_sd", "Demand_SD"),
                           ("facilities.csv", "handling_cost", "Handling_Cost")):
        path = folder / file
        path.write_text(path.read_text().replace(old, new, 1))
    data = load_model(folder)
    assert list(data.demand["demand_sd"]) == [5.0, 8.0, 3.0]
    assert list(data.facilities["handling_cost"]) == [0.5, 0.5, 0.4]


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    ("facilities.csv", "fixed_cost", "fixedcost",
     "facilities:1:fixedcost: unknown column (did you mean 'fixed_cost'?)"),
    ("facilities.csv", "throughput_capacity", "throughput_cap",
     "facilities:1:throughput_cap: unknown column (did you mean 'throughput_capacity'?)"),
    ("demand.csv", "demand_sd", "demand_std",
     "demand:1:demand_std: unknown column (did you mean 'demand_sd'?)"),
    ("customers.csv", "max_days", "max days",
     "customers:1:max days: unknown column (did you mean 'max_days'?)"),
])
def test_misspelled_columns_are_errors_naming_the_known_one(tmp_path: Path, file: str, old: str,
                                                            new: str, expected: str):
    """Before: each became its default (fixed cost 0, unlimited capacity, no safety stock)."""
    folder = _spec().write(tmp_path / "m")
    path = folder / file
    path.write_text(path.read_text().replace(old, new, 1))
    table = file.removesuffix(".csv")
    assert [p for p in _problems(folder) if p.startswith(f"{table}:1:")] == [
        f"{expected}, expected a column of {table} (see the format reference), or the name "
        f"listed under extra_columns.{table} in model.yaml"]


def test_unknown_table_file_is_an_error_naming_the_known_one(tmp_path: Path):
    """Before: a ``facility_option.csv`` dropped every upgrade and validated as OK."""
    spec = _spec()
    spec.add_row("facility_options", facility="DC_CHI", option="automation", capex="1")
    folder = spec.write(tmp_path / "m")
    (folder / "facility_options.csv").rename(folder / "facility_option.csv")
    [problem] = _problems(folder)
    assert problem.startswith("facility_option.csv:-:-: unknown table file (did you mean "
                              "'facility_options.csv'?), expected one of products.csv, ")


def test_extra_tables_and_columns_may_be_declared(tmp_path: Path):
    spec = _spec()
    spec.settings.update(extra_tables=["notes"], extra_columns={"customers": ["sales_rep"]})
    spec.set("customers", 2, "sales_rep", "Ann")
    folder = spec.write(tmp_path / "m")
    (folder / "notes.csv").write_text("anything,at all\n1,2\n")
    data = load_model(folder)
    assert data.customers.set_index("customer").at["C1", "sales_rep"] == "Ann"
    assert "notes.csv not read (in extra_tables)" in data.notes


def test_ids_that_differ_only_by_case_are_warnings(tmp_path: Path):
    spec = _spec()
    spec.add_row("customers", customer="c1", location="Miami, FL", region="SE")
    spec.add_row("facilities", facility="dc_atl", lat="33.7", lon="-84.4")
    folder = spec.write(tmp_path / "m")
    data = load_model(folder)
    assert [str(w) for w in data.warnings] == [
        "facilities:5:facility: 'dc_atl' differs from 'DC_ATL' (row 2) only by letter case, "
        "expected ids that differ in more than case (these are distinct)",
        "customers:5:customer: 'c1' differs from 'C1' (row 2) only by letter case, expected "
        "ids that differ in more than case (these are distinct)",
    ]
    result = CliRunner().invoke(app, ["validate", str(folder)], env=WIDE)
    assert result.exit_code == 0
    assert "warning: customers:5:customer: 'c1' differs from 'C1'" in result.stderr
    assert "(2 warning(s))" in result.stdout


def test_a_reference_in_another_case_suggests_the_id(tmp_path: Path):
    spec = _spec()
    spec.set("demand", 2, "customer", "c1")
    problems = _problems(spec.write(tmp_path / "m"))
    assert ("demand:2:customer: unknown customer 'c1' (did you mean 'C1'?), expected an id "
            "listed in customers") in problems


# -- file-level failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"this is not a workbook\n", b"PK\x03\x04garbage"],
                         ids=["empty", "text", "broken zip"])
def test_a_file_named_xlsx_that_is_no_workbook(tmp_path: Path, content: bytes):
    book = tmp_path / "model.xlsx"
    book.write_bytes(content)
    [problem] = _problems(book)
    assert problem.startswith("model.xlsx:-:-: not a readable .xlsx workbook (")
    result = CliRunner().invoke(app, ["validate", str(book)], env=WIDE)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_truncated_workbook(tmp_path: Path):
    from netdesign.io import convert

    book = convert(_spec().write(tmp_path / "m"), tmp_path / "m.xlsx")
    book.write_bytes(book.read_bytes()[: book.stat().st_size // 2])
    [problem] = _problems(book)
    assert problem.startswith("m.xlsx:-:-: not a readable .xlsx workbook (")


def test_a_folder_named_demand_csv(tmp_path: Path):
    spec = _spec()
    folder = spec.drop_table("demand").write(tmp_path / "m")
    (folder / "demand.csv").mkdir()
    assert _problems(folder) == ["demand:-:-: demand.csv is a folder, expected a CSV file"]


def test_binary_bytes_in_a_table_file(tmp_path: Path):
    folder = _spec().write(tmp_path / "m")
    (folder / "products.csv").write_bytes(bytes(range(256)) * 4)
    assert _problems(folder) == [
        "products:-:-: products.csv is not text: binary data (NUL bytes), not text, expected a "
        "CSV file in UTF-8, UTF-16 or Windows-1252"]


def test_a_cell_over_the_csv_field_limit(tmp_path: Path):
    """Before: ``_csv.Error: field larger than field limit (131072)``. A cell up to 1,000,000
    characters is read; a longer one is one problem with its line."""
    spec = _spec()
    spec.settings["extra_columns"] = {"products": ["description"]}
    spec.set("products", 2, "description", "x" * 200_000)
    assert len(load_model(spec.write(tmp_path / "ok")).products["description"].iat[0]) == 200_000
    spec.set("products", 3, "description", "y" * 1_100_000)
    assert _problems(spec.write(tmp_path / "long")) == [
        "products:3:-: unreadable CSV (field larger than field limit (1000000)), expected cells "
        "of at most 1,000,000 characters, quotes closed"]


def test_header_only_and_all_zero_demand_are_problems_not_solve_crashes(tmp_path: Path):
    """Before: validate said OK, then solve raised ValueError."""
    header_only = _spec().write(tmp_path / "header")
    (header_only / "demand.csv").write_text("customer,product,annual_units\n")
    assert _problems(header_only) == ["demand:-:-: no rows, expected at least one row (demand)"]
    (header_only / "demand.csv").write_bytes(codecs.BOM_UTF8)  # nothing but a BOM
    assert _problems(header_only) == [
        "demand:-:-: demand.csv is empty, expected a header row, then the rows of demand"]
    zero = _spec()
    for line in (2, 3, 4):
        zero.set("demand", line, "annual_units", "0")
    folder = zero.write(tmp_path / "zero")
    assert _problems(folder) == [
        "demand:-:annual_units: total demand 0 units/year, expected some demand above 0 "
        "(nothing to deliver: nothing to decide)"]
    result = CliRunner().invoke(app, ["solve", str(folder)], env=WIDE)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_model_path_that_is_a_plain_file(tmp_path: Path):
    """Before: ``solve /etc/passwd --scenario ...`` raised FileNotFoundError."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nsettings: {fuel_index: 1.1}\n")
    plain = tmp_path / "passwd"
    plain.write_text("root:x:0:0:root:/root:/bin/bash\n")
    result = CliRunner().invoke(app, ["solve", str(plain), "--scenario", str(scenario)],
                                env=WIDE)
    assert result.exit_code == 2
    assert "passwd:-:-: a file that is neither a model folder nor an .xlsx workbook" in (
        result.stderr)


# -- property tests: whole files, and solve --------------------------------------------------------

_FILES = ["model.yaml", "products.csv", "facilities.csv", "customers.csv", "demand.csv",
          "modes.csv", "supply.csv"]


@st.composite
def _file_damage(draw: st.DrawFn) -> tuple[str, str, object]:
    file = draw(st.sampled_from(_FILES))
    kind = draw(st.sampled_from(["bytes", "truncate", "encode", "text", "empty", "dialect"]))
    if kind == "bytes":
        return file, kind, draw(st.binary(max_size=300))
    if kind == "truncate":
        return file, kind, draw(st.floats(0.0, 1.0))
    if kind == "encode":
        return file, kind, draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "cp1252",
                                                 "utf-8-sig", "latin-1", "cp437"]))
    if kind == "text":
        return file, kind, draw(st.text(max_size=200))
    if kind == "dialect":
        return file, kind, draw(st.sampled_from([";", "\t", "|", ":"]))
    return file, kind, None


def _damage(folder: Path, file: str, kind: str, arg: object) -> None:
    path = folder / file
    original = path.read_bytes() if path.exists() else b""
    if kind == "bytes":
        path.write_bytes(arg)
    elif kind == "truncate":
        path.write_bytes(original[: int(len(original) * arg)])
    elif kind == "encode":
        path.write_bytes(original.decode("utf-8").replace("S_LA", "S_LÅ").encode(arg))
    elif kind == "text":
        path.write_text(arg, encoding="utf-8", errors="surrogatepass")
    elif kind == "dialect":
        path.write_text(original.decode().replace(",", arg))
    else:
        path.write_bytes(b"")


def _outcome_is_clean(folder: Path) -> None:
    """Loading gives a model or one ModelValidationError; solving it through the CLI ends in one
    JSON object and exit 0, 2, 3 or 4 — or 1 with status ``error`` when HiGHS itself gives up
    on numbers far outside any real range (1e20 costs: the numeric-range checks of the
    data-safety issue), never an exception."""
    try:
        data = load_model(folder)
    except ModelValidationError as err:
        assert err.problems and all(str(p) for p in err.problems)
        return
    assert isinstance(data, ModelData)
    result = CliRunner().invoke(app, ["solve", str(folder), "--time-limit", "10", "--json"],
                                env=WIDE)
    payload = json.loads(result.stdout)
    assert result.exit_code == payload["exit_code"], result.output
    assert result.exit_code in (0, 2, 3, 4) or payload["status"] == "error", result.output
    assert ("internal error" not in result.output and result.exception is None) or isinstance(
        result.exception, SystemExit), result.output


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=st.lists(_file_damage(), min_size=1, max_size=2))
def test_damaged_files_load_or_raise_and_solve_cleanly(tmp_path: Path, damage: list):
    folder = tiny_spec_data(suppliers=True).write(Path(tempfile.mkdtemp(dir=tmp_path)))
    for file, kind, arg in damage:
        try:
            _damage(folder, file, kind, arg)
        except (UnicodeError, ValueError):  # text that has no form in that encoding
            continue
    _outcome_is_clean(folder)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_mutations(), suppliers=st.booleans())
def test_mutated_rows_load_or_raise_and_solve_cleanly(tmp_path: Path, ops: list,
                                                      suppliers: bool):
    spec = tiny_spec_data(suppliers=suppliers)
    _apply(spec, ops)
    _outcome_is_clean(spec.write(Path(tempfile.mkdtemp(dir=tmp_path))))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(0.0, 1.0), flips=st.lists(st.integers(0, 10**6), max_size=5))
def test_damaged_workbooks_load_or_raise(tmp_path: Path, cut: float, flips: list[int]):
    from netdesign.io import convert

    work = Path(tempfile.mkdtemp(dir=tmp_path))
    book = convert(tiny_spec_data().write(work / "m"), work / "m.xlsx")
    data = bytearray(book.read_bytes())
    for position in flips:
        data[position % len(data)] ^= 0xFF
    book.write_bytes(bytes(data[: max(1, int(len(data) * cut))] if cut < 1 else data))
    _outcome_is_clean(book)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.text(max_size=200),
    st.sampled_from([
        "name: s\nsettings: {fuel_index: -1}\n", "name: s\nchanges: [{table: nope}]\n",
        "name: s\nchanges:\n  - {table: demand, where: {customer: C9}, scale: {annual_units: 2}}\n",
        "name: s\nsweep: {settings.fuel_index: [1, 2]}\nmode: fixed_network\n",
        "name: s\nsettings: {service: 3}\n", "[1, 2\n", "name: [a]\n", "- a\n- b\n",
        "name: s\nchanges:\n  - {table: modes, where: {mode: truck}, set: {legs: air}}\n",
    ])), sets=st.lists(st.sampled_from(["fuel_index=[", "solver.threads=0", "x=1", "=",
                                        "fuel_index=1.1", "service.max_days=abc"]),
                       max_size=2))
def test_any_scenario_file_and_set_ends_cleanly(tmp_path: Path, text: str, sets: list[str]):
    """Scenario files and --set values as a fuzzer writes them, through ``solve --scenario``."""
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    model = tiny_spec_data().write(work / "m")
    scenario = work / "s.yaml"
    scenario.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    argv = ["solve", str(model), "--scenario", str(scenario), "--json", "--time-limit", "10"]
    for item in sets:
        argv += ["--set", item]
    result = CliRunner().invoke(app, argv, env=WIDE)
    payload = json.loads(result.stdout)
    assert result.exit_code == payload["exit_code"] and result.exit_code in (0, 2, 3, 4), (
        result.output)
