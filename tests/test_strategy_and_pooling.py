"""Product-to-node strategies (hub, regional, hybrid, free) and risk-pooled safety stock.

Strategies are checked on the flows: the number of DCs a product leaves from, and whether any
transfer moves it. Pooling is checked on a case computed by hand: two customers with a DC next to
each, where the pooled safety stock √(σ₁² + σ₂²) < σ₁ + σ₂ of one central DC is worth more than
the extra freight, so pooling changes the number of open DCs.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from modelkit import Kit, units
from netdesign.network import build_network, z_value
from netdesign.optimization.safety_stock import (
    breakpoints,
    chord_ratio,
    max_relative_error,
    pooled_safety_stock,
    safety_stock,
)
from netdesign.solve import solve

REL = 1e-6


def approx(value: float) -> object:
    return pytest.approx(value, rel=REL, abs=1e-6)


def outbound_origins(results, product: str) -> set[str]:
    f = results.flows
    return set(f.loc[(f["leg"] == "outbound") & (f["product"] == product), "origin"])


# -- strategies ------------------------------------------------------------------------------------


def three_region_kit(strategy: str) -> Kit:
    """Three DCs, each next to one customer (lane 1, others 3); P is a fast mover, Q a slow one."""
    kit = Kit(f"strategy {strategy}", strategy=strategy)
    kit.product("P", unit_value=10, segment="fast").product("Q", unit_value=10, segment="slow")
    for i in (1, 2, 3):
        kit.dc(f"D{i}").customer(f"C{i}")
        kit.demand(f"C{i}", "P", 100).demand(f"C{i}", "Q", 100)
    for i in (1, 2, 3):
        for j in (1, 2, 3):
            kit.lane(f"D{i}", f"C{j}", 1.0 if i == j else 3.0)
    return kit


def test_free_strategy_stocks_both_products_regionally(tmp_path):
    r = three_region_kit("free").solve(tmp_path)
    assert outbound_origins(r, "P") == outbound_origins(r, "Q") == {"D1", "D2", "D3"}
    assert set(r.strategy["strategy"]) == {"regional"}
    assert r.costs["freight_outbound"] == approx(600)


def test_hub_strategy_stocks_every_product_at_exactly_one_dc(tmp_path):
    r = three_region_kit("hub").solve(tmp_path)
    for product in ("P", "Q"):
        assert len(outbound_origins(r, product)) == 1, product
    assert r.strategy["stocking_points"].tolist() == [1, 1]
    assert set(r.strategy["strategy"]) == {"hub"}
    assert r.costs["freight_outbound"] == approx(2 * (100 * 1 + 200 * 3))


def test_hybrid_strategy_hubs_slow_movers_only(tmp_path):
    r = three_region_kit("hybrid").solve(tmp_path)
    assert outbound_origins(r, "P") == {"D1", "D2", "D3"}  # fast: regional
    assert len(outbound_origins(r, "Q")) == 1  # slow: one DC
    s = r.strategy.set_index("product")["strategy"]
    assert s["P"] == "regional" and s["Q"] == "hub"
    assert r.costs["freight_outbound"] == approx(300 * 1 + (100 * 1 + 200 * 3))


def test_hybrid_without_segments_uses_the_pareto_share(tmp_path):
    """No segment column: the products making up `hybrid.fast_share` of units are fast."""
    kit = three_region_kit("hybrid")
    for row in kit.tables["products"]:
        row.pop("segment")
    for row in kit.tables["demand"]:
        if row["product"] == "P":
            row["annual_units"] = 400  # P is 80 % of units: the fast mover
    r = kit.set("hybrid.fast_share", 0.8).solve(tmp_path)
    assert outbound_origins(r, "P") == {"D1", "D2", "D3"}
    assert len(outbound_origins(r, "Q")) == 1


def tiered_kit(strategy: str = "free") -> Kit:
    """T only reaches hub H cheaply (S → R costs 10, H → R transfer 1): free uses a transfer.
    U is demanded only near H (a hub product); V has its own supplier next to both DCs."""
    kit = Kit(f"tiers {strategy}", strategy=strategy)
    for p in ("T", "U", "V"):
        kit.product(p, unit_value=10)
    kit.supplier("S").supply("S", "T", 1.0).supply("S", "U", 1.0)
    kit.supplier("S2").supply("S2", "V", 1.0)
    kit.dc("H").dc("R").customer("C1").customer("C2")
    kit.demand("C1", "T", 100).demand("C2", "T", 100).demand("C1", "U", 50)
    kit.demand("C1", "V", 70).demand("C2", "V", 30)
    return kit.lanes({
        ("S", "H"): 1.0, ("S", "R"): 10.0, ("S2", "H"): 1.0, ("S2", "R"): 1.0, ("H", "R"): 1.0,
        ("H", "C1"): 1.0, ("H", "C2"): 10.0, ("R", "C1"): 10.0, ("R", "C2"): 1.0,
    })


def test_free_strategy_reports_hub_regional_and_tiered_from_the_flows(tmp_path):
    r = tiered_kit().solve(tmp_path)
    reported = r.strategy.set_index("product")
    assert reported["strategy"].to_dict() == {"T": "tiered", "U": "hub", "V": "regional"}
    check_strategy_table(r)
    assert units(r, leg="transfer", product="T") == approx(100)


def check_strategy_table(r) -> None:
    """Stocking points are the DCs a product leaves (outbound or transfer); transfers: tiered."""
    f = r.flows
    transferred = set(f.loc[f["leg"] == "transfer", "product"])
    for product, row in r.strategy.set_index("product").iterrows():
        ships = f[(f["product"] == product) & f["leg"].isin(["outbound", "transfer"])]
        points = set(ships["origin"])
        assert row["stocking_points"] == len(points)
        assert row["facilities"] == ";".join(sorted(points))
        expected = ("none" if not points else "tiered" if product in transferred else
                    "hub" if len(points) == 1 else "regional")
        assert row["strategy"] == expected


def test_a_hub_feeding_one_regional_dc_is_tiered_with_two_stocking_points(tmp_path):
    """T demanded only next to R: it reaches R through H, so it is stocked at both (H holds the
    stock it transfers), not a hub at R."""
    r = tiered_kit().drop("demand", "C1", "T").solve(tmp_path)
    assert units(r, leg="outbound", product="T") == approx(units(r, leg="outbound", origin="R",
                                                                 product="T"))
    row = r.strategy.set_index("product").loc["T"]
    assert (row["strategy"], row["stocking_points"], row["facilities"]) == ("tiered", 2, "H;R")
    assert set(r.inventory.loc[r.inventory["product"] == "T", "facility"]) == {"H", "R"}
    check_strategy_table(r)


def test_regional_strategy_moves_nothing_between_dcs(tmp_path):
    r = tiered_kit("regional").solve(tmp_path)
    assert units(r, leg="transfer") == 0.0
    assert "tiered" not in set(r.strategy["strategy"])
    # T for C2: either bought into R at 10 + 1, or shipped from H at 1 + 10: 11/unit both ways
    free = tiered_kit("free").solve(tmp_path)
    assert r.objective - free.objective == approx(100 * (11 - 3))


# -- risk pooling: a case by hand ------------------------------------------------------------------

D = 10_000.0  # units/year at each customer
SIGMA = 100.0  # units/day, standard deviation of daily demand at each customer
LEAD, LEAD_SD, INBOUND_DAYS, REVIEW = 5.0, 2.0, 2.0, 7.0
P_DAYS = LEAD + INBOUND_DAYS + REVIEW  # protection interval: 14 days
VALUE, RATE, LEVEL = 1000.0, 0.25, 0.95


def hand_safety_stock(variances: list[float], annual_units: float) -> float:
    """z · sqrt(P · Σσ² + d̄² · σ_L²), d̄ the DC's mean daily demand (Silver, Pyke & Thomas)."""
    z = NormalDist().inv_cdf(LEVEL)
    daily = annual_units / 365.0
    return z * math.sqrt(P_DAYS * sum(variances) + daily**2 * LEAD_SD**2)


def pooling_kit(pooling: bool) -> Kit:
    """Two customers, a DC next to each (lane 1) and 6 to the other one; DCs cost 10,000/yr."""
    kit = Kit(f"pooling {pooling}", carrying_rate=RATE)
    kit.set("inventory.pooling", pooling).set("inventory.review_period_days", REVIEW)
    kit.product("P", unit_value=VALUE, unit_price=2 * VALUE, service_level=LEVEL)
    kit.supplier("S").supply("S", "P", VALUE, lead_time_days=LEAD, lead_time_sd_days=LEAD_SD)
    for i in (1, 2):
        kit.dc(f"D{i}", fixed_cost=10_000).customer(f"C{i}")
        kit.demand(f"C{i}", "P", D, demand_sd=SIGMA)
        kit.lane("S", f"D{i}", 0.0, days=INBOUND_DAYS)
    return kit.lanes({("D1", "C1"): 1.0, ("D2", "C2"): 1.0, ("D1", "C2"): 6.0,
                      ("D2", "C1"): 6.0})


def test_hand_computed_pooling_case_is_what_the_numbers_say():
    """Two DCs save 5 × 10,000 freight − 10,000 fixed = 40,000/yr; one DC saves the carrying
    cost of (2 · SS(σ²) − SS(2σ²)) units of safety stock, about 88,800/yr."""
    two = 2 * hand_safety_stock([SIGMA**2], D)
    one = hand_safety_stock([SIGMA**2, SIGMA**2], 2 * D)
    saving = (two - one) * VALUE * RATE
    assert one < two
    assert 80_000 < saving < 95_000
    assert 5 * D - 10_000 == 40_000 < saving


def test_pooling_closes_a_dc_and_the_safety_stock_is_the_closed_form(tmp_path):
    r = pooling_kit(True).solve(tmp_path)
    assert len(r.open_facilities) == 1
    [hub] = r.open_facilities
    inv = r.inventory.set_index("facility")
    expected = hand_safety_stock([SIGMA**2, SIGMA**2], 2 * D)
    assert inv.at[hub, "throughput"] == approx(2 * D)
    assert inv.at[hub, "safety_exact"] == pytest.approx(expected, rel=1e-6)
    eps = 0.03  # inventory.pwl_max_error default
    assert expected * (1 - eps) - 1e-6 <= inv.at[hub, "safety"] <= expected * (1 + 1e-9)
    assert r.costs["carrying_safety"] == approx(RATE * VALUE * inv.at[hub, "safety"])


def test_without_pooling_two_dcs_each_carry_their_own_safety_stock(tmp_path):
    r = pooling_kit(False).solve(tmp_path)
    assert r.open_facilities == ["D1", "D2"]
    inv = r.inventory.set_index("facility")
    each = hand_safety_stock([SIGMA**2], D)
    for dc in ("D1", "D2"):
        assert inv.at[dc, "safety"] == pytest.approx(each, rel=1e-6)
        assert inv.at[dc, "safety_exact"] == pytest.approx(each, rel=1e-6)
    pooled = pooling_kit(True).solve(tmp_path)
    # pooling is worth (2·SS(σ²) − SS(2σ²))·h − 40,000 to the objective (up to the PWL error)
    gain = (2 * each - hand_safety_stock([SIGMA**2, SIGMA**2], 2 * D)) * RATE * VALUE - 40_000
    assert r.objective - pooled.objective == pytest.approx(gain, rel=0.03)


@pytest.mark.parametrize("eps", [0.01, 0.03, 0.1])
def test_pooled_safety_stock_between_breakpoints_stays_within_the_pwl_bound(tmp_path, eps):
    """One DC serving three customers with σ² ∝ mean (so d̄ follows from the pooled variance):
    the model's safety stock lies on a chord, at most ε below the closed form."""
    kit = Kit("three customers", carrying_rate=RATE)
    kit.set("inventory.pwl_max_error", eps)
    kit.product("P", unit_value=VALUE, service_level=LEVEL)
    kit.supplier("S").supply("S", "P", VALUE, lead_time_days=LEAD, lead_time_sd_days=LEAD_SD)
    kit.dc("D1").lane("S", "D1", 0.0, days=INBOUND_DAYS)
    annual = {"C1": 7_000.0, "C2": 19_000.0, "C3": 41_000.0}
    phi = 30.0  # σ² = φ · mean daily demand
    for c, d in annual.items():
        kit.customer(c).demand(c, "P", d, demand_sd=math.sqrt(phi * d / 365)).lane("D1", c, 1.0)
    r = kit.solve(tmp_path)
    inv = r.inventory.set_index("facility")
    expected = hand_safety_stock([phi * d / 365 for d in annual.values()], sum(annual.values()))
    assert inv.at["D1", "safety_exact"] == pytest.approx(expected, rel=1e-6)
    relative_gap = (expected - inv.at["D1", "safety"]) / expected
    assert -1e-9 <= relative_gap <= eps + 1e-9


# -- the PWL approximation -------------------------------------------------------------------------


@pytest.mark.parametrize("eps", [0.001, 0.005, 0.01, 0.03, 0.1, 0.3])
@pytest.mark.parametrize(("v_min", "v_max"), [(1.0, 2.0), (3.0, 5e4), (1e-3, 1e6)])
def test_breakpoints_keep_the_relative_error_bound(eps, v_min, v_max):
    points = breakpoints(v_min, v_max, eps)
    assert points[0] == 0.0 and points[1] == pytest.approx(v_min) and points[-1] == v_max
    assert np.all(np.diff(points) > 0)
    ratios = points[2:] / points[1:-1]
    assert np.all(ratios <= chord_ratio(eps) * (1 + 1e-12))
    for lead_sd in (0.0, 3.0):  # √V alone, and the full g(V) with lead-time variability
        g = lambda v, sd=lead_sd: pooled_safety_stock(v, 1.645, 14.0, 0.5 * 365, sd)  # noqa: E731
        assert max_relative_error(points, g, samples=400) <= eps * (1 + 1e-9)


@pytest.mark.parametrize("eps", [0.005, 0.03, 0.2])
def test_chord_ratio_is_tight_for_the_square_root(eps):
    """On [1, r] the chord of √V is furthest below at √r, by exactly ε: the bound is not slack."""
    r = chord_ratio(eps)
    worst = 1 - 2 * r**0.25 / (math.sqrt(r) + 1)
    assert worst == pytest.approx(eps, rel=1e-9)
    assert max_relative_error(np.array([0.0, 1.0, r]), np.sqrt, samples=2001) == pytest.approx(
        eps, rel=1e-4)


# -- the closed form against textbooks and stockpyl ------------------------------------------------


def test_safety_stock_with_lead_time_variability_textbook_example():
    """Chopra & Meindl, *Supply Chain Management* (Example 12-5 "impact of lead time uncertainty",
    Dell): D = 2,500/day, σ_D = 500, L = 7 days, s_L = 7 days, CSL 0.90 → σ_L = 17,550 and
    ss = 22,491 units; with s_L = 0 the same example gives ss = 1,695 units."""
    z = z_value(0.90)
    assert math.sqrt(7 * 500**2 + 2500**2 * 7**2) == pytest.approx(17_550, abs=1)
    assert safety_stock(z, 7, 500**2, 2500, 7) == pytest.approx(22_491, abs=1)
    assert safety_stock(z, 7, 500**2, 2500, 0) == pytest.approx(1_695, abs=1)


def test_safety_stock_matches_stockpyl_base_stock():
    """stockpyl's normal newsvendor with lead time L: S* = μ(L+1) + z σ √(L+1), z = Φ⁻¹(p/(p+h)).
    Its documented Example 4.3 (Snyder & Shen, *Fundamentals of Supply Chain Theory*):
    h = 0.18, p = 0.70, μ = 50, σ = 8 → S* = 56.60."""
    newsvendor = pytest.importorskip("stockpyl.newsvendor")
    base, _ = newsvendor.newsvendor_normal(0.18, 0.70, 50, 8)
    assert base == pytest.approx(56.60, abs=0.01)
    for h, p, mu, sigma, lead in [(0.18, 0.70, 50, 8, 0), (1.0, 9.0, 120, 30, 4), (2, 3, 10, 5, 9)]:
        base, _ = newsvendor.newsvendor_normal(h, p, mu, sigma, lead_time=lead)
        z = z_value(p / (p + h))
        ours = safety_stock(z, lead + 1, sigma**2, mu, 0.0)
        assert ours == pytest.approx(base - mu * (lead + 1), rel=1e-9)


def test_pooled_form_equals_the_closed_form_when_variance_is_proportional_to_mean():
    """g(V) with d̄ = V / (ρ·days) is the closed form when every customer has the same ρ."""
    rho, days, z, p_days, sd_l = 0.4, 365.0, 1.8, 12.0, 2.5
    annual = np.array([1000.0, 5000.0, 12_000.0])
    variances = rho * annual  # σ² per unit of annual demand = ρ
    v = variances.sum()
    exact = safety_stock(z, p_days, v, annual.sum() / days, sd_l)
    assert pooled_safety_stock(np.array([v]), z, p_days, rho * days, sd_l)[0] == pytest.approx(
        exact, rel=1e-12)


def test_a_dc_lead_time_comes_from_its_cheapest_replenishment_purchase_included(tmp_path):
    """D2 can be fed directly (0.5/unit, 4 days) or by a transfer from D1 (0 + 1/unit, 2 + 1 days).
    Landed at D2, direct costs 1000.5 and the transfer path 1001: D2's planning lead time is the
    supplier's 5 days + 4 days in transit (σ_L = 2), not the transfer's 1 day. (The transfer arc is
    kept by the reductions: it is faster, so not dominated; it stays unused, handling at D1 costs
    5/unit more.)"""
    kit = pooling_kit(False)
    for dc in ("D1", "D2"):
        kit.update("facilities", dc, handling_cost=5.0)
    kit.update("lanes", "S", "D2", "road", cost_per_unit=0.5, transit_days=4.0)
    kit.lane("D1", "D2", 1.0, days=1.0)
    data = kit.load(tmp_path)
    net = build_network(data)
    assert ((net.flows["leg"] == "transfer") & (net.flows["destination"] == "D2")).any()
    stock = net.stock.set_index(["product", "facility"])
    assert stock.at[("P", "D2"), "lead_time"] == pytest.approx(LEAD + 4.0)
    assert stock.at[("P", "D2"), "lead_time_sd"] == pytest.approx(LEAD_SD)
    assert stock.at[("P", "D1"), "lead_time"] == pytest.approx(LEAD + INBOUND_DAYS)
    r = solve(data, mip_gap=0)
    assert r.open_facilities == ["D1", "D2"] and units(r, leg="transfer") == 0.0
    z = NormalDist().inv_cdf(LEVEL)
    expected = z * math.sqrt((LEAD + 4.0 + REVIEW) * SIGMA**2 + (D / 365) ** 2 * LEAD_SD**2)
    inv = r.inventory.set_index("facility")
    assert inv.at["D2", "safety"] == pytest.approx(expected, rel=1e-6)
