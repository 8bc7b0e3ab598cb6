"""Validation of what will be solved (issue 11, items 12–15): a model that validates can be built
and solved, and a model that cannot be solved is stopped by validation with a message naming the
file, row and column; valid models are not refused.

* numeric extremes are out of each field's documented range, not a crash deep in HiGHS or the
  finance step;
* control characters in an id or a name are refused where they are written;
* every customer × product with demand has a supply → (DC →) customer path within its promise
  in the network the model is built from, also after a scenario's changes, and the service band
  can be met; the message names the pair and the promise that would serve it, as the
  infeasibility diagnosis does;
* direct-only supply and allowed unmet demand are not refused by the DC-capacity check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelkit import Kit, units
from netdesign.io import read_model
from netdesign.scenario import apply_scenario, load_scenarios
from netdesign.solve import solve
from netdesign.validate import ModelValidationError, load_model

#: the documented cap of solver.threads (netdesign.schema.MAX_THREADS)
MAX_THREADS = 64


def small() -> Kit:
    """One product, two DCs, one customer: the smallest model every check below edits."""
    kit = Kit("small", service={"max_days": 2})
    kit.product("P", unit_value=10, unit_price=20)
    kit.dc("A").dc("B").customer("C1").demand("C1", "P", 100)
    return kit.lanes({("A", "C1"): 1.0, ("B", "C1"): 2.0})


def problems(folder: Path) -> list[str]:
    with pytest.raises(ModelValidationError) as info:
        load_model(folder)
    return [str(p) for p in info.value.problems]


# -- item 13: numeric ranges -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("days_per_year: 1e-300", "model.yaml:-:days_per_year: found 1e-300, expected a number from "
     "1 to 366"),
    ("horizon_years: 1000000000000", "model.yaml:-:horizon_years: found 1000000000000, expected "
     "a number from 1 to 100"),
    ("solver: {threads: 100000}", f"model.yaml:-:solver.threads: found 100000, expected a number "
     f"from 1 to {MAX_THREADS}"),
    ("peak: {capacity_factor: 1.0e+308}", "model.yaml:-:peak.capacity_factor: found 1e+308, "
     "expected a number > 0 and ≤ 12"),
])
def test_numeric_extremes_in_settings_are_out_of_range(tmp_path: Path, text: str, expected: str):
    folder = small().folder(tmp_path)
    settings = yaml.safe_load((folder / "model.yaml").read_text())
    settings.pop("solver")
    settings.update(yaml.safe_load(text))
    (folder / "model.yaml").write_text(yaml.safe_dump(settings))
    assert problems(folder) == [expected]


def test_capacity_factor_of_an_option_is_out_of_range(tmp_path: Path):
    kit = small().option("A", "automation", capacity_factor=1e308)
    assert problems(kit.folder(tmp_path)) == [
        "facility_options:2:capacity_factor: found 1e+308, expected a number from 0 to 100"]


def test_huge_numbers_in_tables_are_refused_where_written(tmp_path: Path):
    """A table cell above 1e15 in size overflowed the model's sums; inf stays "unlimited"."""
    kit = small()
    kit.update("demand", "C1", "P", annual_units=1e308)
    kit.update("facilities", "A", fixed_cost=2e15, throughput_capacity=float("inf"))
    expected = "expected a number of magnitude ≤ 1e+15 (blank or inf for unlimited, where allowed)"
    assert problems(kit.folder(tmp_path)) == [
        f"facilities:2:fixed_cost: found 2000000000000000.0, {expected}",
        f"demand:2:annual_units: found 1e+308, {expected}"]


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("fuel_index", 1e308, "a number from 0 to 100"),
    ("carrying_rate", 1e308, "a number from 0 to 10"),
    ("discount_rate", 1e9, "a number from 0 to 1"),
    ("solver.time_limit", 1e300, "a number > 0 and ≤ 1e+07"),
])
def test_other_settings_have_ranges(tmp_path: Path, setting: str, value: float, expected: str):
    assert problems(small().set(setting, value).folder(tmp_path)) == [
        f"model.yaml:-:{setting}: found {value!r}, expected {expected}"]


def test_threads_at_the_cap_validate(tmp_path: Path):
    assert small().set("solver.threads", MAX_THREADS).load(tmp_path).settings.solver.threads == (
        MAX_THREADS)


# -- control characters in ids and names -----------------------------------------------------------


@pytest.mark.parametrize("char", ["\x01", "\x1f", "\x7f", "\t"])
def test_control_characters_in_ids_name_table_row_column(tmp_path: Path, char: str):
    kit = small()
    kit.update("customers", "C1", customer=f"C{char}1")
    kit.update("demand", "C1", "P", customer=f"C{char}1")
    kit.update("lanes", "A", "C1", "road", destination=f"C{char}1")
    kit.update("lanes", "B", "C1", "road", destination=f"C{char}1")
    shown = repr(f"C{char}1")
    expected = "expected text without control characters (U+0000–U+001F, U+007F)"
    assert problems(kit.folder(tmp_path)) == [
        f"customers:2:customer: found {shown}, {expected}",
        f"demand:2:customer: found {shown}, {expected}",
        f"lanes:2:destination: found {shown}, {expected}",
        f"lanes:3:destination: found {shown}, {expected}",
    ]


def test_control_characters_in_the_model_name(tmp_path: Path):
    assert problems(small().set("name", "net\x07design").folder(tmp_path)) == [
        "model.yaml:-:name: found 'net\\x07design', expected text without control characters "
        "(U+0000–U+001F, U+007F)"]


def test_control_characters_in_a_demand_history(tmp_path: Path):
    kit = small().drop("demand", "C1", "P")
    for month in range(1, 25):
        kit.add("demand_history", customer="C1", product="P", period=f"{2023 + (month - 1) // 12}-"
                f"{(month - 1) % 12 + 1:02d}", units=10)
    kit.tables["demand_history"][3]["product"] = "P\x1b"
    assert problems(kit.folder(tmp_path)) == [  # the row is left out: its month is a gap
        "demand_history:-:period: no rows for 2023-04 (a gap in the calendar), expected every "
        "period between the first and the last",
        "demand_history:5:product: found 'P\\x1b', expected text without control characters "
        "(U+0000–U+001F, U+007F)"]


# -- item 12: reachability per customer × product, after scenario changes --------------------------

REACH = ("expected a path within the promise: a DC (or direct) lane-mode that the product's "
         "supply reaches")


def two_suppliers() -> Kit:
    """C1 wants P and Q within 2 days. Only A receives P (from SP); both A and B receive Q and
    both are within the promise. Closing A leaves C1 with a DC within its promise (B), but not
    for P: the per-customer check passed it and the solver died in demand_satisfaction."""
    kit = Kit("two suppliers", service={"max_days": 2})
    kit.product("P").product("Q")
    kit.supplier("SP").supplier("SQ").supply("SP", "P", 1.0).supply("SQ", "Q", 1.0)
    kit.dc("A").dc("B").customer("C1")
    kit.demand("C1", "P", 100).demand("C1", "Q", 100)
    return kit.lanes({("SP", "A"): 0.0, ("SQ", "A"): 0.0, ("SQ", "B"): 0.0,
                      ("A", "C1"): (1.0, 1.0), ("B", "C1"): (1.0, 1.5), ("SP", "C1"): (5.0, 3.0)})


def close_a(folder: Path, tmp_path: Path):
    path = tmp_path / "close_a.yaml"
    path.write_text(yaml.safe_dump({"name": "close_a", "changes": [
        {"table": "facilities", "where": {"facility": "A"}, "set": {"status": "forced_closed"}}]}))
    return apply_scenario(read_model(folder), load_scenarios(path)[0])


def test_a_scenario_closing_the_only_supplied_dc_names_customer_and_product(tmp_path: Path):
    folder = two_suppliers().folder(tmp_path)
    assert load_model(folder).demand.shape[0] == 2  # the model itself is fine
    with pytest.raises(ModelValidationError) as info:
        close_a(folder, tmp_path)
    assert [str(p) for p in info.value.problems] == [
        "demand:2:product: customer 'C1', product 'P' cannot be delivered within its 2-day "
        f"promise (the fastest path takes 3.00 days: promise 2 → 3 days), {REACH}"]


def test_the_named_change_makes_the_scenario_solvable(tmp_path: Path):
    kit = two_suppliers()
    kit.update("customers", "C1", max_days=3)
    run = close_a(kit.folder(tmp_path), tmp_path)
    assert solve(run.data, time_limit=30, mip_gap=0).status == "optimal"


def test_a_product_no_supplier_reaches_at_all(tmp_path: Path):
    kit = two_suppliers().drop("lanes", "SP", "C1", "road").drop("lanes", "SP", "A", "road")
    assert problems(kit.folder(tmp_path)) == [
        "demand:2:product: customer 'C1', product 'P' cannot be delivered at all (no supply, "
        f"open DC, lane or mode reaches it), {REACH}"]


def test_an_impossible_service_band_names_the_slow_pairs(tmp_path: Path):
    kit = two_suppliers().set("service.band", {"days": 0.5, "share": 0.9})
    assert problems(kit.folder(tmp_path)) == [
        "model.yaml:-:service.band: at most 0 of 200 units/year (0.0%) can arrive within 0.5 "
        "days; too slow on every path: C1/P (1.00 days), C1/Q (1.00 days), expected a share ≤ 0 "
        "for 0.5 days, or faster lanes to those customers"]
    ok = two_suppliers().set("service.band", {"days": 1.0, "share": 0.9})
    assert ok.solve(tmp_path).status == "optimal"


def test_unreachable_demand_with_unmet_allowed_is_a_warning_and_goes_unmet(tmp_path: Path):
    kit = two_suppliers().drop("lanes", "SP", "C1", "road").drop("lanes", "SP", "A", "road")
    kit.set("unmet_demand.allowed", True).update("products", "Q", unit_price=50)
    data = kit.load(tmp_path)
    assert [str(w) for w in data.warnings] == [
        "demand:2:product: customer 'C1', product 'P' cannot be delivered at all (no supply, "
        f"open DC, lane or mode reaches it); all 100 units/year will be unmet, {REACH}"]
    results = solve(data, time_limit=30, mip_gap=0)
    assert results.status == "optimal"
    assert results.unmet.set_index("product")["units"].to_dict() == {"P": 100.0}


# -- item 14: valid models the validator refused ---------------------------------------------------


def direct_only(dcs: bool = True) -> Kit:
    """A supplier delivers to the customer direct; the only DC (if any) has no capacity."""
    kit = Kit("direct only")
    kit.product("P", unit_value=10, unit_price=20).supplier("S").supply("S", "P", 2.0)
    if dcs:
        kit.dc("A", throughput_capacity=0).lane("S", "A", 0.0).lane("A", "C1", 0.5)
    kit.customer("C1").demand("C1", "P", 100)
    return kit.lane("S", "C1", 1.0)


@pytest.mark.parametrize("dcs", [True, False], ids=["zero-capacity DC", "no facilities table"])
def test_direct_only_supply_validates_and_solves(tmp_path: Path, dcs: bool):
    results = direct_only(dcs).solve(tmp_path)
    assert results.status == "optimal"
    assert results.objective == pytest.approx(100 * (2.0 + 1.0))
    assert units(results, leg="direct") == pytest.approx(100)


def test_unmet_demand_allowed_validates_below_dc_capacity(tmp_path: Path):
    kit = small().set("unmet_demand.allowed", True)
    kit.update("facilities", "A", throughput_capacity=30)
    kit.update("facilities", "B", throughput_capacity=20)
    results = kit.solve(tmp_path)
    assert results.status == "optimal"
    assert results.unmet["units"].sum() == pytest.approx(50)


# -- item 15: a time limit too short for any incumbent says so -------------------------------------

DEMO = Path(__file__).resolve().parents[1] / "models" / "us_retail"


def test_a_time_limit_without_incumbent_says_so_and_suggests_one():
    """The issue's case: 1 s on the demo. Its LP relaxation alone takes longer, so no stage finds
    a solution; the run says so (this is the one test that solves the demo, for about 3 s)."""
    results = solve(load_model(DEMO, forecast=False), time_limit=1.0, threads=1)
    assert results.status == "time_limit" and results.objective is None
    size = results.model_size
    assert results.diagnosis == [
        "no incumbent was found within the time limit of 1 s (the LP relaxation did not finish "
        f"in that time; the model has {size['columns']:,} columns, "
        f"{size['integer_columns']:,} of them integer, and {size['rows']:,} rows): try a time "
        "limit of at least 30 s (--time-limit or solver.time_limit)"]


@pytest.mark.parametrize(("limit", "lp_seconds", "suggested"), [
    (1.0, None, 30), (5.0, None, 100), (2.0, 0.3, 30), (10.0, 4.2, 90)])
def test_the_suggested_limit_follows_the_lp_time(limit: float, lp_seconds: float | None,
                                                 suggested: int):
    from netdesign.solve import no_incumbent

    size = {"columns": 10, "integer_columns": 2, "rows": 5}
    (line,) = no_incumbent(limit, lp_seconds, size)
    assert line.endswith(f"try a time limit of at least {suggested} s (--time-limit or "
                         "solver.time_limit)")
    assert ("did not finish" in line) == (lp_seconds is None)
