"""Each constraint family forbids what it must, on models small enough to solve by hand.

Every test tells one story: the forbidden thing does not happen, and removing its cause (a
capacity, a status, a setting) makes it happen, with the cost lines computed by hand. Lanes are
explicit (see :mod:`modelkit`), so a lane's cost is the number written in the test.
"""

from __future__ import annotations

import pytest

from modelkit import Kit, shipped_by, units
from netdesign.formulas import crf
from netdesign.solve import NetworkModel
from netdesign.validate import ModelValidationError

REL = 1e-6


def approx(value: float) -> object:
    return pytest.approx(value, rel=REL, abs=1e-6)


def served_units(results, customer: str, product: str = "P") -> float:
    return sum(shipped_by(results, customer, product).values())


# -- demand satisfaction ---------------------------------------------------------------------------


def one_dc_two_customers() -> Kit:
    """DC A; C1 costs 1/unit to serve, C2 costs 5/unit; the product sells for 3 (worth 0)."""
    kit = Kit("demand")
    kit.product("P", unit_value=0, unit_price=3)
    kit.dc("A")
    kit.customer("C1").customer("C2")
    kit.demand("C1", "P", 100).demand("C2", "P", 100)
    return kit.lanes({("A", "C1"): 1.0, ("A", "C2"): 5.0})


def test_all_demand_is_served_even_at_a_loss(tmp_path):
    r = one_dc_two_customers().solve(tmp_path)
    assert r.status == "optimal"
    assert served_units(r, "C1") == approx(100)
    assert served_units(r, "C2") == approx(100)
    assert r.unmet.empty
    assert r.costs["freight_outbound"] == approx(100 * 1 + 100 * 5)
    assert r.objective == approx(600)


def test_unmet_demand_at_the_penalty_when_allowed(tmp_path):
    kit = one_dc_two_customers().set("unmet_demand.allowed", True)
    r = kit.solve(tmp_path)
    # serving C2 costs 5/unit, leaving it unserved 3/unit (penalty = 1 × max(price 3, value 0))
    assert served_units(r, "C1") == approx(100)
    assert served_units(r, "C2") == approx(0)
    assert r.unmet.to_dict("records") == [{"product": "P", "customer": "C2", "units": approx(100)}]
    assert r.costs["unmet_penalty"] == approx(300)
    assert r.objective == approx(100 + 300)
    # a penalty of 2 × 3 = 6 > 5 makes serving C2 worth it again
    kit.set("unmet_demand.penalty_factor", 2.0)
    r = kit.solve(tmp_path)
    assert r.unmet.empty and served_units(r, "C2") == approx(100)
    assert r.costs["unmet_penalty"] == approx(0)


# -- flow balance ----------------------------------------------------------------------------------


def tiered_kit() -> Kit:
    """S reaches hub H cheaply and R dearly; the cheap way into R is S → H → R (a transfer)."""
    kit = Kit("tiered")
    kit.product("P", unit_value=0).product("Q", unit_value=0)
    kit.supplier("S").supply("S", "P", 2.0).supply("S", "Q", 3.0)
    kit.dc("H").dc("R")
    kit.customer("C1").customer("C2")
    for p, (d1, d2) in {"P": (100, 80), "Q": (40, 60)}.items():
        kit.demand("C1", p, d1).demand("C2", p, d2)
    return kit.lanes({
        ("S", "H"): 1.0, ("S", "R"): 10.0, ("H", "R"): 1.0,
        ("H", "C1"): 1.0, ("H", "C2"): 10.0, ("R", "C1"): 10.0, ("R", "C2"): 1.0,
    })


def test_flow_balance_at_every_dc_and_product(tmp_path):
    r = tiered_kit().solve(tmp_path)
    f = r.flows
    for (product, dc), _ in f.groupby(["product", "destination"]):
        if dc not in ("H", "R"):
            continue
        inflow = units(r, product=product, destination=dc)
        outflow = f.loc[(f["product"] == product) & (f["origin"] == dc), "units"].sum()
        assert inflow == approx(outflow), (product, dc)
    # the transfer is used: R receives only from H, and H buys for both
    assert units(r, leg="transfer", origin="H", destination="R", product="P") == approx(80)
    assert units(r, leg="transfer", origin="H", destination="R", product="Q") == approx(60)
    assert units(r, leg="inbound", destination="H") == approx(100 + 80 + 40 + 60)
    assert units(r, leg="inbound", destination="R") == approx(0)
    # purchase 2·180 + 3·100; inbound 280·1, transfer 140·1, outbound 280·1
    assert r.costs["purchase"] == approx(660)
    assert r.costs[["freight_inbound", "freight_transfer", "freight_outbound"]].tolist() == [
        approx(280), approx(140), approx(280)]


# -- open / closed / forced ------------------------------------------------------------------------


def two_dc_kit(**a_cols) -> Kit:
    """A: dear to open (1000), cheap lanes (1); B: cheap to open (10), dearer lanes (2)."""
    kit = Kit("open or not")
    kit.product("P", unit_value=0)
    kit.dc("A", fixed_cost=1000, **a_cols).dc("B", fixed_cost=10)
    kit.customer("C1").demand("C1", "P", 100)
    return kit.lanes({("A", "C1"): 1.0, ("B", "C1"): 2.0})


def test_closed_dc_ships_nothing(tmp_path):
    r = two_dc_kit().solve(tmp_path)
    assert r.open_facilities == ["B"]  # 10 + 200 < 1000 + 100
    assert units(r, origin="A") == 0.0
    assert r.costs["facility_fixed"] == approx(10)
    # A worth opening once it is cheap to run: it takes the flow
    r = two_dc_kit().update("facilities", "A", fixed_cost=0).solve(tmp_path)
    assert r.open_facilities == ["A"]
    assert units(r, leg="outbound", origin="A") == approx(100)


def test_forced_closed_dc_is_never_used(tmp_path):
    kit = two_dc_kit().update("facilities", "A", fixed_cost=0)
    kit.update("facilities", "A", status="forced_closed")
    r = kit.solve(tmp_path)
    fac = r.facilities.set_index("facility")
    assert not fac.at["A", "open"] and fac.at["A", "change"] == "forced_closed"
    assert units(r, origin="A") == 0.0 and units(r, destination="A") == 0.0
    assert r.open_facilities == ["B"]


def test_forced_open_dc_is_always_open(tmp_path):
    kit = two_dc_kit().update("facilities", "A", fixed_cost=0)
    assert kit.solve(tmp_path).open_facilities == ["A"]  # B is not needed...
    kit.update("facilities", "B", status="forced_open")
    r = kit.solve(tmp_path)
    assert set(r.open_facilities) == {"A", "B"}  # ...but forced open it is, and paid for
    assert r.costs["facility_fixed"] == approx(10)
    assert units(r, origin="B") == 0.0  # A's lanes stay cheaper
    fac = r.facilities.set_index("facility")
    assert fac.at["B", "change"] == "opened"


# -- stocking --------------------------------------------------------------------------------------


def test_a_product_not_stocked_at_a_dc_never_leaves_it(tmp_path):
    """Hub strategy (stocking decisions exist): pin stock[P, A] = 0 in the built model and A still
    ships Q but no P; unpinned, A ships both."""
    kit = Kit("stocking", strategy="hub")
    kit.product("P", unit_value=10).product("Q", unit_value=10)
    kit.dc("A").dc("B")
    kit.customer("C1").demand("C1", "P", 100).demand("C1", "Q", 50)
    kit.lanes({("A", "C1"): 1.0, ("B", "C1"): 2.0})
    nm = NetworkModel(kit.load(tmp_path))
    r = nm.solve(mip_gap=0)
    assert units(r, leg="outbound", origin="A", product="P") == approx(100)
    pairs = nm.index.pairs
    k = int(pairs.index[(pairs["product"] == "P") & (pairs["facility"] == "A")][0])
    nm.model.stock[k].fix(0)
    nm.session.update()
    r = nm.solve(mip_gap=0)
    assert units(r, leg="outbound", origin="A", product="P") == 0.0
    assert units(r, leg="outbound", origin="B", product="P") == approx(100)
    assert units(r, leg="outbound", origin="A", product="Q") == approx(50)
    assert r.costs["freight_outbound"] == approx(100 * 2 + 50 * 1)


# -- capacities ------------------------------------------------------------------------------------


def capacity_kit(**a_cols) -> Kit:
    """A: free to open, lanes at 1; B: 50 to open, lanes at 2; three customers of 100 units."""
    kit = Kit("capacity")
    kit.product("P", unit_value=10)
    kit.dc("A", **a_cols).dc("B", fixed_cost=50)
    for c in ("C1", "C2", "C3"):
        kit.customer(c).demand(c, "P", 100)
        kit.lane("A", c, 1.0).lane("B", c, 2.0)
    return kit


def test_throughput_capacity_forces_a_second_dc(tmp_path):
    r = capacity_kit().solve(tmp_path)
    assert r.open_facilities == ["A"]
    assert units(r, leg="outbound", origin="A") == approx(300)
    r = capacity_kit(throughput_capacity=150).solve(tmp_path)
    assert r.open_facilities == ["A", "B"]
    assert units(r, leg="outbound", origin="A") == approx(150)
    assert units(r, leg="outbound", origin="B") == approx(150)
    fac = r.facilities.set_index("facility")
    assert fac.at["A", "utilisation"] == approx(1.0)
    assert r.costs["freight_outbound"] == approx(150 * 1 + 150 * 2)


def test_storage_capacity_limits_cycle_stock(tmp_path):
    """Cycle stock = throughput × R / (2 · 365) = 300 × 7 / 730; A may hold half of that."""
    full_cycle = 300 * 7 / 730
    r = capacity_kit(storage_capacity=full_cycle / 2).solve(tmp_path)
    assert r.open_facilities == ["A", "B"]
    assert units(r, leg="outbound", origin="A") == approx(150)
    inv = r.inventory.set_index("facility")
    assert inv.at["A", "cycle"] + inv.at["A", "safety"] <= full_cycle / 2 + 1e-6
    assert inv.at["A", "cycle"] == approx(full_cycle / 2)
    r = capacity_kit(storage_capacity=full_cycle).solve(tmp_path)
    assert r.open_facilities == ["A"]


def supplier_kit(s1_capacity: float | None) -> Kit:
    """S1 sells at 1 but may be capped; S2 sells at 2 without limit; one DC, one customer."""
    kit = Kit("suppliers")
    kit.product("P", unit_value=5)
    kit.supplier("S1").supplier("S2")
    kit.supply("S1", "P", 1.0, capacity=s1_capacity).supply("S2", "P", 2.0)
    kit.dc("A").customer("C1").demand("C1", "P", 300)
    return kit.lanes({("S1", "A"): 0.0, ("S2", "A"): 0.0, ("A", "C1"): 1.0})


def test_supplier_capacity_forces_a_dearer_supplier(tmp_path):
    r = supplier_kit(None).solve(tmp_path)
    assert units(r, origin="S1") == approx(300) and units(r, origin="S2") == 0.0
    assert r.costs["purchase"] == approx(300)
    r = supplier_kit(120).solve(tmp_path)
    assert units(r, origin="S1") == approx(120)
    assert units(r, origin="S2") == approx(180)
    assert r.costs["purchase"] == approx(120 * 1 + 180 * 2)


# -- facility options ------------------------------------------------------------------------------


def test_expansion_is_bought_only_when_capacity_binds(tmp_path):
    """A holds 200 units (300 with expansion: 1000 capex over 10 years ≈ 149/yr); B costs 500."""
    kit = Kit("expansion")
    kit.product("P", unit_value=10)
    kit.dc("A", throughput_capacity=200).dc("B", fixed_cost=500)
    kit.option("A", "expansion", capex=1000, life_years=10, capacity_factor=1.5)
    kit.customer("C1").lanes({("A", "C1"): 1.0, ("B", "C1"): 1.0})
    small = kit.copy().demand("C1", "P", 200)
    r = small.solve(tmp_path)
    assert r.open_facilities == ["A"]
    assert r.facilities.set_index("facility").at["A", "options"] == ""
    assert r.costs["option_capex"] == approx(0)
    big = kit.copy().demand("C1", "P", 300)
    r = big.solve(tmp_path)
    fac = r.facilities.set_index("facility")
    assert r.open_facilities == ["A"] and fac.at["A", "options"] == "expansion"
    assert fac.at["A", "throughput_capacity"] == approx(300)
    assert fac.at["A", "throughput"] == approx(300)
    assert r.costs["option_capex"] == approx(1000 * crf(0.08, 10))


@pytest.mark.parametrize(("capex", "bought"), [(2000, True), (5000, False)])
def test_automation_is_bought_when_handling_savings_beat_its_annual_capex(tmp_path, capex, bought):
    """1000 units handled at 1.0/unit; automation halves it (saves 500/yr) for capex × CRF(8 %, 10)
    = 298/yr (bought) or 745/yr (not bought)."""
    kit = Kit("automation")
    kit.product("P", unit_value=10)
    kit.dc("A", handling_cost=1.0)
    kit.option("A", "automation", capex=capex, life_years=10, handling_cost_factor=0.5,
               annual_cost=0)
    kit.customer("C1").demand("C1", "P", 1000).lane("A", "C1", 1.0)
    r = kit.solve(tmp_path)
    options = r.facilities.set_index("facility").at["A", "options"]
    assert (options == "automation") is bought
    assert r.costs["handling"] == approx(1000 * 1.0 * (0.5 if bought else 1.0))
    assert r.costs["option_capex"] == approx(capex * crf(0.08, 10) if bought else 0.0)
    assert r.objective == approx(1000 * 10 + 1000 + min(500 + capex * crf(0.08, 10), 1000))


def test_automation_with_a_handling_cost_increase_charges_the_factor(tmp_path):
    """A factor above 1 (e.g. a premium service) costs (η − 1)·c·T on top when it is forced in."""
    kit = Kit("premium handling")
    kit.product("P", unit_value=10)
    kit.dc("A", handling_cost=2.0, throughput_capacity=1000)
    # the option is the only way to reach the demand: capacity ×1.5, handling ×1.25
    kit.option("A", "premium", capex=0, capacity_factor=1.5, handling_cost_factor=1.25)
    kit.customer("C1").demand("C1", "P", 1200).lane("A", "C1", 1.0)
    r = kit.solve(tmp_path)
    assert r.facilities.set_index("facility").at["A", "options"] == "premium"
    assert r.costs["handling"] == approx(1200 * 2.0 * 1.25)


# -- single sourcing -------------------------------------------------------------------------------


def sourcing_kit(sourcing: str) -> Kit:
    """A (160 units) is cheaper for C3 than B (220): with multi sourcing C3 is split."""
    kit = Kit(f"{sourcing} sourcing", sourcing=sourcing)
    kit.product("P1", unit_value=10).product("P2", unit_value=10)
    kit.dc("A", throughput_capacity=160).dc("B", throughput_capacity=220)
    for c in ("C1", "C2", "C3"):
        kit.customer(c)
    kit.demand("C1", "P1", 100).demand("C2", "P1", 100)
    kit.demand("C3", "P1", 50).demand("C3", "P2", 50)
    return kit.lanes({("A", "C1"): 1.0, ("A", "C2"): 5.0, ("A", "C3"): 1.0,
                      ("B", "C1"): 5.0, ("B", "C2"): 1.0, ("B", "C3"): 2.0})


def test_single_sourcing_serves_each_customer_from_one_dc(tmp_path):
    multi = sourcing_kit("multi").solve(tmp_path)
    assert set(shipped_by(multi, "C3")) == {"A", "B"}
    assert sum(shipped_by(multi, "C3", "P1").values()) + sum(
        shipped_by(multi, "C3", "P2").values()) == approx(100)
    assert shipped_by(multi, "C3")["A"] == approx(60)  # A's spare capacity
    assert multi.costs["freight_outbound"] == approx(100 * 1 + 100 * 1 + 60 * 1 + 40 * 2)
    single = sourcing_kit("single").solve(tmp_path)
    for c in ("C1", "C2", "C3"):
        assert len(shipped_by(single, c)) == 1, c
    assert shipped_by(single, "C3") == {"B": approx(100)}
    assert single.assignments["share"].tolist() == [approx(1.0)] * len(single.assignments)
    assert single.costs["freight_outbound"] == approx(100 * 1 + 100 * 1 + 100 * 2)


# -- facility counts -------------------------------------------------------------------------------


def three_dc_kit(fixed: float) -> Kit:
    """Each customer has its own DC (lane 1) and the others are far (lane 10)."""
    kit = Kit("counts")
    kit.product("P", unit_value=0)
    for i in (1, 2, 3):
        kit.dc(f"D{i}", fixed_cost=fixed).customer(f"C{i}").demand(f"C{i}", "P", 100)
    for i in (1, 2, 3):
        for j in (1, 2, 3):
            kit.lane(f"D{i}", f"C{j}", 1.0 if i == j else 10.0)
    return kit


def test_facility_count_max_and_min(tmp_path):
    assert len(three_dc_kit(10).solve(tmp_path).open_facilities) == 3
    r = three_dc_kit(10).set("facilities.max_open", 2).solve(tmp_path)
    assert len(r.open_facilities) == 2
    assert r.objective == approx(2 * 10 + 200 * 1 + 100 * 10)
    assert len(three_dc_kit(5000).solve(tmp_path).open_facilities) == 1
    r = three_dc_kit(5000).set("facilities.min_open", 2).solve(tmp_path)
    assert len(r.open_facilities) == 2


# -- service ---------------------------------------------------------------------------------------


def promise_kit(c2_days: float) -> Kit:
    """A is cheap but 4 days from C2; B is dearer and 1 day away."""
    kit = Kit("promise", service={"max_days": 5})
    kit.product("P", unit_value=0)
    kit.dc("A").dc("B")
    kit.customer("C1").customer("C2", max_days=c2_days)
    kit.demand("C1", "P", 100).demand("C2", "P", 100)
    return kit.lanes({("A", "C1"): (1.0, 1.0), ("A", "C2"): (1.0, 4.0),
                      ("B", "C2"): (3.0, 1.0)})


def test_no_dc_beyond_the_promise_serves_the_customer(tmp_path):
    r = promise_kit(3).solve(tmp_path)
    assert shipped_by(r, "C2") == {"B": approx(100)}
    s = r.service.set_index("customer")
    assert s.at["C2", "delivery_days"] <= s.at["C2", "max_days"]
    r = promise_kit(5).solve(tmp_path)
    assert shipped_by(r, "C2") == {"A": approx(100)}


def test_a_customer_no_dc_reaches_within_its_promise_fails_validation(tmp_path):
    kit = promise_kit(3).drop("lanes", "B", "C2", "road")
    with pytest.raises(ModelValidationError) as err:
        kit.load(tmp_path)
    [problem] = err.value.problems
    assert (problem.table, problem.row, problem.column) == ("demand", 3, "product")
    assert ("customer 'C2', product 'P' cannot be delivered within its 3-day promise (the fastest "
            "path takes 4.00 days" in problem.found)


def test_service_band_share_within_days(tmp_path):
    """A delivers in 2 days at 1/unit, B in 1 day at 2/unit; ≥ 60 % must arrive within 1 day."""
    kit = Kit("band")
    kit.product("P", unit_value=0)
    kit.dc("A").dc("B")
    for c in ("C1", "C2"):
        kit.customer(c).demand(c, "P", 100)
        kit.lane("A", c, 1.0, days=2.0).lane("B", c, 2.0, days=1.0)
    r = kit.solve(tmp_path)
    assert units(r, origin="B") == 0.0
    r = kit.set("service.band", {"days": 1, "share": 0.6}).solve(tmp_path)
    fast = r.flows[(r.flows["leg"] == "outbound") & (r.flows["transit_days"] <= 1)]
    assert fast["units"].sum() == approx(0.6 * 200)
    assert r.objective == approx(80 * 1 + 120 * 2)


# -- closing and capex -----------------------------------------------------------------------------


@pytest.mark.parametrize(("closing_cost", "closes"), [(2000, True), (5000, False)])
def test_closing_an_existing_dc_costs_its_annualised_closing_cost(tmp_path, closing_cost, closes):
    """Keep E (1000/yr) or close it and open N (500/yr + closing × CRF(8 %, 10 years))."""
    kit = Kit("closing", horizon_years=10)
    kit.product("P", unit_value=0)
    kit.dc("E", status="existing", fixed_cost=1000, closing_cost=closing_cost)
    kit.dc("N", fixed_cost=500)
    kit.customer("C1").demand("C1", "P", 100).lanes({("E", "C1"): 1.0, ("N", "C1"): 1.0})
    r = kit.solve(tmp_path)
    annual = closing_cost * crf(0.08, 10)
    fac = r.facilities.set_index("facility")
    assert fac.at["E", "change"] == ("closed" if closes else "kept")
    assert r.costs["closing"] == approx(annual if closes else 0.0)
    assert r.objective == approx(100 + min(500 + annual, 1000))


def test_a_forced_closure_costs_the_same_closing_cost_as_a_chosen_one(tmp_path):
    kit = Kit("forced closing", horizon_years=10)
    kit.product("P", unit_value=0)
    kit.dc("E", status="existing", fixed_cost=5000, closing_cost=5000).dc("N", fixed_cost=500)
    kit.customer("C1").demand("C1", "P", 100).lanes({("E", "C1"): 1.0, ("N", "C1"): 1.0})
    chosen = kit.solve(tmp_path)
    assert chosen.facilities.set_index("facility").at["E", "change"] == "closed"
    forced = kit.update("facilities", "E", status="forced_closed").solve(tmp_path)
    assert forced.costs["closing"] == approx(chosen.costs["closing"]) == approx(
        5000 * crf(0.08, 10))
    assert forced.objective == approx(chosen.objective)


def test_candidate_capex_is_annualised_with_the_capital_recovery_factor(tmp_path):
    kit = Kit("capex", discount_rate=0.08)
    kit.product("P", unit_value=0)
    kit.dc("E", status="existing", capex=50_000, throughput_capacity=100)
    kit.dc("N", capex=100_000, capex_life_years=20)
    kit.customer("C1").demand("C1", "P", 150).lanes({("E", "C1"): 1.0, ("N", "C1"): 1.0})
    r = kit.solve(tmp_path)
    assert r.open_facilities == ["E", "N"]
    assert crf(0.08, 20) == pytest.approx(0.10185, abs=5e-6)  # (A/P, 8 %, 20) interest tables
    assert r.costs["facility_capex"] == approx(100_000 * crf(0.08, 20))  # E's capex is sunk


def test_handling_factor_applies_to_all_throughput_when_two_options_raise_capacity(tmp_path):
    """Automation (×1.3 capacity, ×0.5 handling) and expansion (×1.5) together lift A to 180
    units; 170 are handled, all at the automated rate: 170 × 2.0 × 0.5 (not 130 of them)."""
    kit = Kit("two options")
    kit.product("P", unit_value=10)
    kit.dc("A", handling_cost=2.0, throughput_capacity=100).dc("B", fixed_cost=10_000)
    kit.option("A", "automation", capex=0, capacity_factor=1.3, handling_cost_factor=0.5)
    kit.option("A", "expansion", capex=0, capacity_factor=1.5)
    kit.customer("C1").demand("C1", "P", 170).lanes({("A", "C1"): 1.0, ("B", "C1"): 1.0})
    r = kit.solve(tmp_path)
    fac = r.facilities.set_index("facility")
    assert r.open_facilities == ["A"] and fac.at["A", "options"] == "automation;expansion"
    assert fac.at["A", "throughput_capacity"] == approx(180)
    assert r.costs["handling"] == approx(170 * 2.0 * 0.5)


def test_an_option_not_bought_adds_no_handling_cost(tmp_path):
    """A premium-handling option (×1.25) that is not bought costs nothing, also when the
    expansion lifts throughput above A's base capacity."""
    kit = Kit("option not bought")
    kit.product("P", unit_value=10)
    kit.dc("A", handling_cost=2.0, throughput_capacity=100).dc("B", fixed_cost=10_000)
    kit.option("A", "premium", capex=1_000_000, handling_cost_factor=1.25)
    kit.option("A", "expansion", capex=0, capacity_factor=1.5)
    kit.customer("C1").demand("C1", "P", 140).lanes({("A", "C1"): 1.0, ("B", "C1"): 1.0})
    r = kit.solve(tmp_path)
    assert r.facilities.set_index("facility").at["A", "options"] == "expansion"
    assert r.costs["handling"] == approx(140 * 2.0)


def test_linear_terms_leave_out_zero_coefficients_and_keep_positions():
    import numpy as np
    import pyomo.environ as pyo

    from netdesign.optimization.components import linear

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(5))
    expr = linear(m.x, np.array([4, 1, 3]), np.array([0.0, 2.5, -1.0]))
    assert [(float(t.args[0]), t.args[1].index()) for t in expr.args] == [(2.5, 1), (-1.0, 3)]
    assert [t.args[1].index() for t in linear(m.x, np.array([2, 0]), 1.0).args] == [2, 0]
    assert linear(m.x, np.array([0, 1]), 0.0) == 0.0
    assert linear(m.x, np.array([0, 1]), np.zeros(2)) == 0.0
