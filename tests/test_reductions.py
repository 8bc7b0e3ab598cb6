"""Exact reductions: the reduced network has the same optimum as the full one.

``build_network`` drops dominated lane-mode arcs (:func:`netdesign.network.remove_dominated`) and
transfers that direct replenishment always beats (:func:`remove_dominated_transfers`). The full
network is built by replacing both with the identity; both models are solved to a proven optimum
and must agree. The instances are small but not tidy: geographic lanes, several modes with
different rates, speeds, fuel shares and emissions, suppliers with lead-time variability, pooled
safety stock, and transfers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelkit import Kit
from netdesign import network
from netdesign.network import build_network
from netdesign.solve import solve

MODES = [
    # mode, legs, €/kg·km, €/unit, km/day, handling days, fuel share, kg CO2/t·km, min km
    ("truck", "inbound;transfer;outbound;direct", 0.00012, 0.25, 800, 0.5, 0.3, 0.08, 0),
    ("rail", "inbound;transfer", 0.00004, 0.40, 450, 2.0, 0.2, 0.02, 300),
    ("intermodal", "inbound;transfer", 0.00005, 0.30, 550, 1.5, 0.25, 0.03, 500),
    ("air", "inbound;transfer;outbound", 0.0015, 1.50, 5000, 1.0, 0.4, 1.0, 300),
    ("parcel", "outbound;direct", 0.0002, 0.05, 900, 0.5, 0.2, 0.1, 0),
]


def random_instance(seed: int, *, dcs: int = 3, customers: int = 5, products: int = 2,
                    band: bool = False, co2_price: float = 0.0, fuel_index: float = 1.0,
                    tiered: bool = False, pooling: bool = True, direct: bool = False) -> Kit:
    """A small geographic network (continental US box) drawn from ``seed``.

    ``tiered``: the suppliers sit next to D0, rail and intermodal may only carry transfers and
    promises are 2 days, so several DCs open and the far ones are fed by transfers from D0.
    ``direct``: truck and parcel may also ship supplier → customer.
    """
    rng = np.random.default_rng(seed)
    kit = Kit(f"random {seed}", carrying_rate=0.25, co2_price=co2_price, fuel_index=fuel_index,
              service={"max_days": 2 if tiered else 4})
    kit.set("inventory.pooling", pooling)
    if band:
        kit.set("service.band", {"days": 2, "share": 0.5})
    for mode, legs, rate, fixed, speed, hdays, fuel, co2, min_km in MODES:
        if tiered and mode in ("rail", "intermodal"):
            legs = "transfer"
        if not direct:
            legs = legs.replace(";direct", "").replace("direct", "") or "outbound"
        kit.mode(mode, legs=legs, cost_per_kg_km=rate, cost_per_unit_fixed=fixed,
                 speed_km_per_day=speed, handling_days=hdays, fuel_share=fuel,
                 co2_kg_per_tonne_km=co2, min_km=min_km, max_km=None)

    def where() -> dict[str, float]:
        return {"lat": round(float(rng.uniform(30, 46)), 3),
                "lon": round(float(rng.uniform(-120, -75)), 3)}

    hub = where()

    for p in range(products):
        kit.product(f"P{p}", unit_value=round(float(rng.uniform(20, 400)), 1),
                    unit_price=500, weight_kg=round(float(rng.uniform(0.5, 20)), 2),
                    service_level=0.95)
    for s in range(2):
        kit.supplier(f"S{s}", **({"lat": hub["lat"] + 0.3 * s, "lon": hub["lon"] - 0.3}
                                 if tiered else where()))
        for p in range(products):
            kit.supply(f"S{s}", f"P{p}", round(float(rng.uniform(5, 9)), 2),
                       lead_time_days=round(float(rng.uniform(3, 20)), 1),
                       lead_time_sd_days=round(float(rng.uniform(0, 4)), 1))
    for j in range(dcs):
        kit.dc(f"D{j}", fixed_cost=round(float(rng.uniform(2e4, 8e4))),
               handling_cost=round(float(rng.uniform(0.2, 1.0)), 2),
               throughput_capacity=None if j else 60_000, **(hub if tiered and j == 0
                                                              else where()))
    for c in range(customers):
        kit.customer(f"C{c}", **where())
        for p in range(products):
            units = round(float(rng.uniform(5_000, 30_000)))
            kit.demand(f"C{c}", f"P{p}", units, demand_sd=round(float(rng.uniform(5, 60)), 1))
    return kit


INSTANCES = {
    "four DCs, three products": {"seed": 2, "dcs": 4, "products": 3, "customers": 4},
    "service band": {"seed": 3, "band": True},
    "fuel and CO2 priced, direct shipping": {"seed": 4, "co2_price": 80.0, "fuel_index": 1.4,
                                             "direct": True},
    "tiered": {"seed": 7, "dcs": 4, "customers": 6, "tiered": True},
    "tiered, no pooling": {"seed": 8, "dcs": 4, "customers": 6, "tiered": True, "pooling": False},
}


def unreduced(monkeypatch) -> None:
    monkeypatch.setattr(network, "remove_dominated", lambda arcs, keys, days, timed: arcs)
    monkeypatch.setattr(network, "remove_dominated_transfers",
                        lambda transfer, inbound, days: transfer)


@pytest.mark.parametrize("name", list(INSTANCES))
def test_reduced_and_full_network_have_the_same_optimum(tmp_path, monkeypatch, name):
    data = random_instance(**INSTANCES[name]).load(tmp_path)
    reduced_net = build_network(data)
    reduced = solve(data, mip_gap=0, time_limit=60)
    with monkeypatch.context() as patch:
        unreduced(patch)
        full_net = build_network(data)
        full = solve(data, mip_gap=0, time_limit=60)
    assert reduced.status == full.status == "optimal"
    assert len(full_net.flows) > len(reduced_net.flows)
    assert reduced.objective == pytest.approx(full.objective, rel=1e-6)
    assert sorted(reduced.open_facilities) == sorted(full.open_facilities)


def test_reduction_counters_count_what_was_removed(tmp_path, monkeypatch):
    data = random_instance(**INSTANCES["tiered"]).load(tmp_path)
    reduced = build_network(data)
    counts = reduced.reductions
    assert counts["inbound_removed_as_dominated"] > 0  # truck/air on one supplier-DC lane
    assert counts["outbound_removed_as_dominated"] > 0  # truck/parcel/air on one DC-customer lane
    assert counts["transfer_removed_as_dominated"] > 0  # rail/intermodal/truck/air
    assert counts["transfer_removed_as_dominated_by_inbound"] > 0
    assert counts["outbound_removed_by_service"] > 0  # 2-day promise, continental distances
    with monkeypatch.context() as patch:
        unreduced(patch)
        full = build_network(data)
    removed = sum(v for k, v in counts.items() if "removed_as_dominated" in k)
    assert len(full.flows) - len(reduced.flows) == removed
    assert full.reductions["inbound_removed_as_dominated"] == 0


def test_dominated_arcs_are_dominated_by_a_kept_arc(tmp_path):
    """Every removed lane-mode has a kept mode on the same lane that is no dearer at any fuel
    index, CO2 price and carrying rate ≤ 1 (checked at the corners of that box)."""
    data = random_instance(2, dcs=4, products=3).load(tmp_path)
    kept = build_network(data).flows
    days = data.settings.days_per_year
    with pytest.MonkeyPatch.context() as patch:
        unreduced(patch)
        everything = build_network(data).flows
    key = ["leg", "product", "origin", "destination"]
    merged = everything.merge(kept[[*key, "mode"]].assign(kept=True), on=[*key, "mode"],
                              how="left")
    removed = merged[merged["kept"].isna() & merged["leg"].isin(["inbound", "outbound"])]
    assert len(removed) > 0
    kept_by_lane = kept.groupby(key)

    def cost(rows: pd.DataFrame, fuel: float, co2: float, carry: float) -> np.ndarray:
        return (rows["freight"] + (fuel - 1) * rows["freight_fuel"] + co2 / 1000 * rows["co2_kg"]
                + carry * rows["unit_value"] * rows["transit_days"] / days).to_numpy()

    for _, arc in removed.iterrows():
        rivals = kept_by_lane.get_group(tuple(arc[key]))
        one = arc.to_frame().T.astype({c: float for c in ("freight", "freight_fuel", "co2_kg",
                                                           "unit_value", "transit_days")})
        ok = np.ones(len(rivals), dtype=bool)
        for fuel in (0.0, 3.0):
            for co2 in (0.0, 500.0):
                for carry in (0.0, 1.0):
                    ok &= cost(rivals, fuel, co2, carry) <= cost(one, fuel, co2, carry)[0] + 1e-9
        assert ok.any(), arc.to_dict()
