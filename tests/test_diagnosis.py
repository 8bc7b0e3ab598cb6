"""Infeasible models that pass validation: ``solve`` says so and the diagnosis names the cause.

Each model is valid table by table (every customer has a DC within its promise, total capacity
covers total demand), but a rule makes it infeasible: the hub strategy with promises one DC cannot
keep, a facility count too small for the capacities, single sourcing of a customer larger than any
DC, a supplier that is the only source of a region and is short. The elastic diagnosis must name
the product, constraint, DC or supplier at fault, with the amount by which it has to give; removing
the cause makes the model feasible. The CLI exits 3 and prints the diagnosis.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from modelkit import Kit, generate_model
from netdesign.cli import app
from netdesign.diagnose import diagnose
from netdesign.validate import load_model


def hub_too_far() -> Kit:
    """Two DCs, each the only one within 2 days of its own customer; the hub rule wants one."""
    kit = Kit("hub too far", strategy="hub", service={"max_days": 2})
    kit.product("P", unit_value=10).product("Q", unit_value=10)
    kit.dc("A").dc("B").customer("C1").customer("C2")
    for c in ("C1", "C2"):
        kit.demand(c, "P", 100).demand(c, "Q", 100)
    return kit.lanes({("A", "C1"): (1.0, 1.0), ("A", "C2"): (1.0, 3.0),
                      ("B", "C2"): (1.0, 1.0), ("B", "C1"): (1.0, 3.0)})


def too_few_dcs() -> Kit:
    """250 units, three DCs of 100 each, at most two open."""
    kit = Kit("too few DCs", facilities={"max_open": 2})
    kit.product("P")
    for dc in ("A", "B", "C"):
        kit.dc(dc, throughput_capacity=100)
    kit.customer("C1").demand("C1", "P", 250)
    return kit.lanes({(dc, "C1"): 1.0 for dc in ("A", "B", "C")})


def big_customer(sourcing: str = "single") -> Kit:
    """C1 needs 150 units from one DC; each DC handles 100."""
    kit = Kit("big customer", sourcing=sourcing)
    kit.product("P")
    kit.dc("A", throughput_capacity=100).dc("B", throughput_capacity=100)
    kit.customer("C1").demand("C1", "P", 150).customer("C2").demand("C2", "P", 20)
    return kit.lanes({(dc, c): 1.0 for dc in ("A", "B") for c in ("C1", "C2")})


def short_supplier(capacity: float = 60) -> Kit:
    """CW is within its 2-day promise of W only, and W is reachable from S_W only (60 units)."""
    kit = Kit("short supplier", service={"max_days": 2})
    kit.product("P")
    kit.supplier("S_W").supplier("S_E")
    kit.supply("S_W", "P", 1.0, capacity=capacity).supply("S_E", "P", 1.0, capacity=1000)
    kit.dc("W").dc("E").customer("CW").customer("CE")
    kit.demand("CW", "P", 100).demand("CE", "P", 100)
    return kit.lanes({("S_W", "W"): 0.0, ("S_E", "E"): 0.0,
                      ("W", "CW"): (1.0, 1.0), ("E", "CE"): (1.0, 1.0),
                      ("E", "CW"): (1.0, 3.0), ("W", "CE"): (1.0, 3.0)})


def test_hub_strategy_with_promises_one_dc_cannot_keep(tmp_path):
    r = hub_too_far().solve(tmp_path)
    assert r.status == "infeasible" and not r.ok and r.objective is None
    assert sorted(r.diagnosis) == [
        "product P: cannot be served from a single DC (hub rule) within the promises; "
        "violation 1.00",
        "product Q: cannot be served from a single DC (hub rule) within the promises; "
        "violation 1.00",
    ]
    # regional stocking keeps both promises
    assert hub_too_far().set("strategy", "regional").solve(tmp_path).status == "optimal"


def test_facility_count_too_small_for_the_capacities(tmp_path):
    r = too_few_dcs().solve(tmp_path)
    assert r.status == "infeasible"
    assert r.diagnosis == ["facility count: the limit must move by 1.00 DCs"]
    assert too_few_dcs().set("facilities.max_open", 3).solve(tmp_path).status == "optimal"


def test_single_sourced_customer_larger_than_any_dc(tmp_path):
    r = big_customer().solve(tmp_path)
    assert r.status == "infeasible"
    [line] = r.diagnosis
    assert line in (f"DC {dc}: throughput capacity short by 50 units/year" for dc in ("A", "B"))
    # split between the two DCs, the same customer is served
    assert big_customer("multi").solve(tmp_path).status == "optimal"


def test_only_supplier_of_a_region_short(tmp_path):
    r = short_supplier().solve(tmp_path)
    assert r.status == "infeasible"
    # the supplier is named, not the customers it leaves unserved (unserved demand weighs more)
    assert r.diagnosis == ["supplier S_W (P): capacity short by 40 units/year"]
    assert short_supplier(capacity=100).solve(tmp_path).status == "optimal"


@pytest.mark.parametrize(("kit", "expected"), [
    (short_supplier, "supplier S_W (P): capacity short by 40 units/year"),
    (too_few_dcs, "facility count: the limit must move by 1.00 DCs"),
])
def test_cli_solve_exits_3_and_prints_the_diagnosis(tmp_path, kit, expected):
    folder = kit().folder(tmp_path)
    result = CliRunner().invoke(app, ["solve", str(folder)])
    assert result.exit_code == 3, result.output
    assert "infeasible" in result.output
    assert expected in result.output


def test_generated_model_short_of_regional_capacity_names_the_dcs(tmp_path):
    """A generated network (30 customers, 6 DCs) whose DCs have 75 % of their capacity is
    infeasible: the DCs within the customers' promises cannot carry their demand. The diagnosis
    names DC capacities, not customers. (With unserved demand costing as much per unit as missing
    capacity the elastic model tied, and blamed customer/product pairs for a DC's capacity.)"""
    import pandas as pd

    out = generate_model(tmp_path / "g", customers=30, dcs=6, existing=2, products=4, seed=7)
    facilities = pd.read_csv(out / "facilities.csv")
    facilities["throughput_capacity"] *= 0.75
    facilities.to_csv(out / "facilities.csv", index=False)
    lines = diagnose(load_model(out))
    assert lines, "expected an infeasible model"
    assert all(line.startswith("DC ") and "capacity short by" in line for line in lines), lines
