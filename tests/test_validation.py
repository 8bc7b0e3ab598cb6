"""Validation: a corpus of broken models, each a small change to the tiny valid model, with the
exact messages a person gets; and a property test that no mutation makes loading crash.

Row numbers in messages are CSV line numbers (header = line 1), ``-`` for a whole table or column.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ModelSpec, tiny_spec_data
from netdesign.data import ModelData
from netdesign.validate import ModelValidationError, Problem, load_model

# -- the corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    expected: list[str]
    mutate: Callable[[ModelSpec], object] = lambda spec: None
    edit: Callable[[Path], object] = lambda folder: None  # raw file edits after writing
    suppliers: bool = False


def _settings(**changes: object) -> Callable[[ModelSpec], None]:
    def mutate(spec: ModelSpec) -> None:
        for dotted, value in changes.items():
            *parents, leaf = dotted.split("__")
            target = spec.settings
            for part in parents:
                target = target.setdefault(part, {})
            if value is _DELETE:
                del target[leaf]
            else:
                target[leaf] = value

    return mutate


_DELETE = object()


def _replace_line(file: str, line: int, text: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / file
        lines = path.read_text().splitlines()
        lines[line - 1] = text
        path.write_text("\n".join(lines) + "\n")

    return edit


def _insert_lines(file: str, before: int, *texts: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / file
        lines = path.read_text().splitlines()
        lines[before - 1:before - 1] = list(texts)
        path.write_text("\n".join(lines) + "\n")

    return edit


def _write(file: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / file).write_text(text)


UNSERVED = "expected a path within the promise: a DC lane-mode"
LOCATION = ("expected a place in the offline gazetteer ('City, ST', 'City, CC', 'City, ST, CC' or "
            "a US ZIP code), or lat and lon")
TOP_SETTINGS = (
    "name, currency, circuity_factor, carrying_rate, fuel_index, co2_price, discount_rate, "
    "tax_rate, horizon_years, finance, days_per_year, service, sourcing, strategy, hybrid, "
    "inventory, facilities, unmet_demand, reductions, solver, forecast, segmentation, peak, "
    "extra_columns, extra_tables"
)

CASES = [
    Case(
        "missing required table",
        ["modes:-:-: table missing, expected a modes.csv file or a modes sheet"],
        lambda s: s.drop_table("modes"),
    ),
    Case(
        "missing required column",
        ["products:1:weight_kg: column missing, "
         "expected a column 'weight_kg' ([kg/unit] shipping weight); the header read is "
         "'product' | 'unit_value' | 'unit_price' | 'service_level'"],
        lambda s: s.drop_column("products", "weight_kg"),
    ),
    Case(
        "text in a number column",
        ["products:3:unit_price: found 'abc', expected a number"],
        lambda s: s.set("products", 3, "unit_price", "abc"),
    ),
    Case(
        "blank required field",
        ["demand:4:annual_units: blank, expected a value"],
        lambda s: s.set("demand", 4, "annual_units", ""),
    ),
    Case(
        "blank key",
        ["customers:3:customer: blank, expected a value",
         "demand:3:customer: unknown customer 'C2', expected an id listed in customers"],
        lambda s: s.set("customers", 3, "customer", "  "),
    ),
    Case(
        "negative value",
        ["facilities:2:fixed_cost: found -5, expected a number ≥ 0"],
        lambda s: s.set("facilities", 2, "fixed_cost", "-5"),
    ),
    Case(
        "latitude out of range",
        ["facilities:4:lat: found 95, expected a number from -90 to 90"],
        lambda s: s.set("facilities", 4, "lat", "95"),
    ),
    Case(
        "service level of 1",
        ["products:2:service_level: found 1, expected a number > 0 and < 1"],
        lambda s: s.set("products", 2, "service_level", "1"),
    ),
    Case(
        "fuel share above 1",
        ["modes:2:fuel_share: found 1.5, expected a number from 0 to 1"],
        lambda s: s.set("modes", 2, "fuel_share", "1.5"),
    ),
    Case(
        "max_days of 0",
        ["customers:2:max_days: found 0, expected a number > 0"],
        lambda s: s.set("customers", 2, "max_days", "0"),
    ),
    Case(
        "nan and inf are not numbers",
        ["products:2:unit_value: found nan, expected a number",
         "products:3:unit_price: found inf, expected a finite number"],
        lambda s: s.set("products", 2, "unit_value", "nan").set("products", 3, "unit_price", "inf"),
    ),
    Case(
        "duplicate key",
        ["customers:5:customer: duplicate key 'C2' (first at row 3), expected each key once"],
        lambda s: s.add_row("customers", customer="C2", location="Detroit, MI", region="MW"),
    ),
    Case(
        "duplicate two-column key",
        ["demand:5:product: duplicate key ('C2', 'A') (first at row 3), expected each key once"],
        lambda s: s.add_row("demand", customer="C2", product="A", annual_units="5"),
    ),
    Case(
        "demand for an unknown customer",
        ["demand:5:customer: unknown customer 'C9', expected an id listed in customers"],
        lambda s: s.add_row("demand", customer="C9", product="A", annual_units="5"),
    ),
    Case(
        "demand for an unknown product",
        ["demand:5:product: unknown product 'Z', expected an id listed in products"],
        lambda s: s.add_row("demand", customer="C1", product="Z", annual_units="5"),
    ),
    Case(
        "supply from an unknown supplier",
        ["supply:5:supplier: unknown supplier 'S_X', expected an id listed in suppliers"],
        lambda s: s.add_row("supply", supplier="S_X", product="B", unit_cost="1"),
        suppliers=True,
    ),
    Case(
        "option for an unknown facility",
        ["facility_options:2:facility: unknown facility 'DC_X', "
         "expected an id listed in facilities"],
        lambda s: s.add_row("facility_options", facility="DC_X", option="automation", capex="1"),
    ),
    Case(
        "lane with unknown mode and destination",
        ["lanes:2:mode: unknown mode 'ship', expected an id listed in modes",
         "lanes:2:destination: unknown id 'C7', expected a facility or customer id"],
        lambda s: s.add_row("lanes", origin="DC_ATL", destination="C7", mode="ship"),
    ),
    Case(
        "bad status literal",
        ["facilities:3:status: found 'open', "
         "expected one of 'existing', 'candidate', 'forced_open' or 'forced_closed'"],
        lambda s: s.set("facilities", 3, "status", "open"),
    ),
    Case(
        "bad legs value",
        ["modes:2:legs: found 'outbound;air', "
         "expected a ;-separated subset of inbound;transfer;outbound;direct"],
        lambda s: s.set("modes", 2, "legs", "outbound;air"),
    ),
    Case(
        "unknown setting",
        [f"model.yaml:-:colour: unknown setting, expected one of {TOP_SETTINGS}"],
        _settings(colour="red"),
    ),
    Case(
        "unknown nested setting",
        ["model.yaml:-:service.max_dayz: unknown setting (did you mean 'max_days'?), "
         "expected one of max_days, band"],
        _settings(service__max_dayz=3),
    ),
    Case(
        "bad setting values",
        ["model.yaml:-:horizon_years: found 2.5, expected a whole number",
         "model.yaml:-:sourcing: found 'single-ish', expected one of 'single' or 'multi'",
         "model.yaml:-:inventory.pooling: found 'maybe', expected true or false",
         "model.yaml:-:solver.threads: found 0, expected a number from 1 to 64"],
        _settings(horizon_years=2.5, sourcing="single-ish", inventory__pooling="maybe",
                  solver__threads=0),
    ),
    Case(
        "model name missing",
        ["model.yaml:-:name: blank, expected a value"],
        _settings(name=_DELETE),
    ),
    Case(
        "unreadable model.yaml",
        ["model.yaml:3:-: unreadable YAML (found character '\\t' that cannot start any "
         "token), expected 'key: value' lines, nested settings indented with spaces"],
        edit=_write("model.yaml", "name: tiny\nservice:\n\tmax_days: 3\n"),
    ),
    Case(
        "unknown city",
        [f"customers:3:location: unknown place 'Springfield, ZZ', {LOCATION}"],
        lambda s: s.set("customers", 3, "location", "Springfield, ZZ"),
    ),
    Case(
        "unknown ZIP code",
        [f"customers:4:location: unknown place '99999', {LOCATION}"],
        lambda s: s.set("customers", 4, "location", "99999"),
    ),
    Case(
        "no place at all",
        ["facilities:3:lat: blank lat/lon and no location, "
         "expected lat and lon, or a location ('City, ST' or ZIP)"],
        lambda s: s.set("facilities", 3, "location", ""),
    ),
    Case(
        "customer no DC reaches within its promise",
        ["demand:2:product: customer 'C1', product 'A' cannot be delivered within its "
         "0.5-day promise (the fastest path takes 1.96 days: promise 0.5 → 1.96 days), "
         f"{UNSERVED}"],
        lambda s: s.set("customers", 2, "max_days", "0.5"),
    ),
    Case(
        "no mode serves the outbound leg",
        [f"demand:{line}:product: customer '{c}', product '{p}' cannot be delivered at all (no "
         f"supply, open DC, lane or mode reaches it), {UNSERVED}"
         for line, c, p in ((2, "C1", "A"), (3, "C2", "A"), (4, "C3", "B"))],
        lambda s: s.set("modes", 2, "legs", "inbound;transfer"),
    ),
    Case(
        "total capacity below total demand",
        ["facilities:-:throughput_capacity: total 2,400 units/year over usable DCs, "
         "expected at least total demand 3,500 units/year"],
        lambda s: s.set("facilities", 2, "throughput_capacity", "1000")
        .set("facilities", 3, "throughput_capacity", "900")
        .set("facilities", 4, "throughput_capacity", "500"),
    ),
    Case(
        "forced-closed DC does not count as capacity",
        ["facilities:-:throughput_capacity: total 1,000 units/year over usable DCs, "
         "expected at least total demand 3,500 units/year"],
        lambda s: s.set("facilities", 2, "throughput_capacity", "1000")
        .set("facilities", 3, "throughput_capacity", "900")
        .set("facilities", 4, "throughput_capacity", "500")
        .set("facilities", 3, "status", "forced_closed")
        .set("facilities", 4, "status", "forced_closed"),
    ),
    Case(
        "product without a supply row",
        ["demand:4:product: product 'B' has no supply row, "
         "expected a supply row for every demanded product"],
        lambda s: s.drop_row("supply", 3),
        suppliers=True,
    ),
    Case(
        "supply capacity below demand",
        ["supply:-:capacity: product 'A' supply 2,010 units/year, "
         "expected at least its demand 3,000 units/year"],
        lambda s: s.set("supply", 2, "capacity", "10"),
        suppliers=True,
    ),
    Case(
        "suppliers without a supply table",
        ["supply:-:-: table missing or empty while suppliers are given, "
         "expected supply rows for the suppliers"],
        lambda s: s.drop_table("supply"),
        suppliers=True,
    ),
    Case(
        "blank lines keep CSV line numbers",
        ["demand:5:annual_units: found -2000, expected a number ≥ 0"],
        lambda s: s.set("demand", 3, "annual_units", "-2000"),
        edit=_insert_lines("demand.csv", 3, "", ",,,,"),
    ),
    Case(
        "unquoted comma in a place",
        ['customers:2:-: found 5 cells, expected 4 as in the header '
         '(quote text with commas, e.g. "Miami, FL")'],
        edit=_replace_line("customers.csv", 2, "C1,Miami, FL,SE,"),
    ),
    Case(
        "duplicate column",
        ["products:1:unit_value: duplicate column, expected each column once",
         "products:1:unit_price: column missing, "
         "expected a column 'unit_price' ([currency/unit] selling price (revenue)); the header "
         "read is 'product' | 'unit_value' | 'unit_value' | 'weight_kg' | 'service_level'"],
        edit=_replace_line("products.csv", 1,
                           "product,unit_value,unit_value,weight_kg,service_level"),
    ),
    Case(
        # one error per problem, all at once, in file order; a bad products row does not make
        # its product unknown to demand
        "several problems at once",
        ["model.yaml:-:carrying_rate: found -1, expected a number from 0 to 10",
         "products:3:unit_price: found 'abc', expected a number",
         "facilities:3:status: found 'open', "
         "expected one of 'existing', 'candidate', 'forced_open' or 'forced_closed'",
         f"customers:3:location: unknown place 'Springfield, ZZ', {LOCATION}",
         "demand:5:customer: unknown customer 'C9', expected an id listed in customers"],
        lambda s: (
            s.set("products", 3, "unit_price", "abc")
            .set("customers", 3, "location", "Springfield, ZZ")
            .set("facilities", 3, "status", "open")
            .add_row("demand", customer="C9", product="B", annual_units="5"),
            _settings(carrying_rate=-1)(s),
        ),
    ),
]


def _broken(case: Case, tmp_path: Path) -> Path:
    spec = tiny_spec_data(suppliers=case.suppliers)
    case.mutate(spec)
    folder = spec.write(tmp_path / "broken")
    case.edit(folder)
    return folder


def test_corpus_is_large_and_distinct():
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({tuple(c.expected) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_model_messages(case: Case, tmp_path: Path):
    with pytest.raises(ModelValidationError) as info:
        load_model(_broken(case, tmp_path))
    assert [str(p) for p in info.value.problems] == case.expected
    assert all(isinstance(p, Problem) for p in info.value.problems)
    for message in case.expected:  # the exception text lists every problem too
        assert f"  {message}" in str(info.value)


def test_valid_models_load(tiny_model: Path, tiny_model_with_suppliers: Path):
    data = load_model(tiny_model)
    assert isinstance(data, ModelData)
    assert list(data.customers.index) == [2, 3, 4]  # index = CSV line
    assert data.customers.set_index("customer").loc["C1", "lat"] == pytest.approx(25.77, abs=0.1)
    assert data.facilities.set_index("facility").loc["DC_DAL", "throughput_capacity"] == math.inf
    assert data.settings.service.max_days == 3
    with_suppliers = load_model(tiny_model_with_suppliers)
    assert with_suppliers.has_suppliers and not data.has_suppliers


def test_fixing_one_problem_leaves_the_others(tmp_path: Path):
    """A broken row is left out, not the whole table: other rows are still checked."""
    spec = tiny_spec_data()
    spec.set("demand", 2, "annual_units", "x").set("demand", 4, "annual_units", "-1")
    with pytest.raises(ModelValidationError) as info:
        load_model(spec.write(tmp_path / "m"))
    assert [(p.table, p.row, p.column) for p in info.value.problems] == [
        ("demand", 2, "annual_units"), ("demand", 4, "annual_units")]


def test_declared_extra_columns_are_kept(tmp_path: Path):
    spec = tiny_spec_data()
    spec.set("products", 2, "note", "fragile")
    spec.settings["extra_columns"] = {"products": ["note"]}
    data = load_model(spec.write(tmp_path / "m"))
    assert data.products.set_index("product").loc["A", "note"] == "fragile"


def test_unlimited_capacity_may_be_written_inf(tmp_path: Path):
    spec = tiny_spec_data()
    spec.set("facilities", 2, "throughput_capacity", "inf")
    data = load_model(spec.write(tmp_path / "m"))
    assert data.facilities["throughput_capacity"].iloc[0] == math.inf


# -- property test: any mutation loads or raises ModelValidationError ------------------------------

_TABLES = ["products", "facilities", "customers", "demand", "modes", "suppliers", "supply"]

_CELL = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e400", "-0", "0", "007", "02134",
                     "A", "C1", "DC_ATL", "S_LA", "truck", "Chicago, IL", "99999", "existing",
                     "direct", "outbound;", ";", "true", "None", "null", '"', "\n", "1,2"]),
)


@st.composite
def _mutations(draw: st.DrawFn) -> list[tuple]:
    ops = []
    for _ in range(draw(st.integers(1, 3))):
        table = draw(st.sampled_from(_TABLES))
        kind = draw(st.sampled_from(["cell", "cell", "cell", "dup", "del", "drop_col"]))
        line = draw(st.integers(2, 4))
        column = draw(st.integers(0, 20))
        value = draw(_CELL)
        ops.append((table, kind, line, column, value))
    return ops


def _apply(spec: ModelSpec, ops: list[tuple]) -> None:
    for table, kind, line, column, value in ops:
        rows = spec.tables.get(table)
        if not rows:
            continue
        line = FIRST_LINE + (line - FIRST_LINE) % len(rows)
        cols = spec.columns(table)
        col = cols[column % len(cols)]
        if kind == "cell":
            spec.set(table, line, col, value)
        elif kind == "dup":
            rows.append(dict(rows[line - FIRST_LINE]))
        elif kind == "del":
            spec.drop_row(table, line)
        else:
            spec.drop_column(table, col)


FIRST_LINE = 2


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=_mutations(), suppliers=st.booleans())
def test_mutations_load_or_raise_validation_error(
    tmp_path: Path, ops: list[tuple], suppliers: bool
):
    spec = tiny_spec_data(suppliers=suppliers)
    _apply(spec, ops)
    folder = spec.write(Path(tempfile.mkdtemp(dir=tmp_path)))
    try:
        data = load_model(folder)
    except ModelValidationError as err:
        assert err.problems
        for problem in err.problems:
            assert isinstance(problem.row, int) or problem.row == "-"
            assert str(problem)
        return
    assert isinstance(data, ModelData)
    for name in data.TABLE_NAMES:
        assert isinstance(data.table(name), pd.DataFrame)
