"""Independent recomputation of a solution from its result tables and the model inputs.

:func:`check_solution` does not look inside the optimisation model: it reads ``Results.flows``,
``facilities``, ``inventory`` and ``unmet`` and the input tables, and re-derives feasibility (flow
balance, demand, capacities, service promises, closed DCs) and every cost line (freight from units
× the lane or mode rate at the fuel index, handling from throughput × handling cost × option
factors, fixed/capex/closing from the facilities table, carrying from inventory × value × rate,
CO2 from units × emission factor × km × weight). Every line must match ``Results.costs`` and the
lines must sum to the objective, both to 1e-6 relative.

It runs on the tiny fixture models, on a small demo-like model with every feature switched on
(suppliers with lead-time variability, four modes, an explicit lane, options, an existing DC with
a closing cost, candidates with CapEx, fuel index and CO2 price) and on a scaled-down model of
``models/generate.py``. The persistent re-solve (``NetworkModel.update``, ``fix_design``) is
checked here too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelkit import Kit, generate_model
from netdesign.data import ModelData
from netdesign.formulas import crf
from netdesign.geo import geodesic_km
from netdesign.results import Design, Results
from netdesign.solve import NetworkModel, solve
from netdesign.validate import load_model

REL = 1e-6
OWN = "own"  # replenishment arcs of a DC that is its own source (no supply table)


def close(a: float, b: float, rel: float = REL, scale: float = 1.0) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), scale)


# -- the recomputation -----------------------------------------------------------------------------


def _places(data: ModelData) -> pd.DataFrame:
    parts = [data.suppliers.rename(columns={"supplier": "id"}),
             data.facilities.rename(columns={"facility": "id"}),
             data.customers.rename(columns={"customer": "id"})]
    return pd.concat([p[["id", "lat", "lon"]] for p in parts if not p.empty]).set_index("id")


def per_unit_terms(data: ModelData, flows: pd.DataFrame) -> pd.DataFrame:
    """Per-unit base freight, fuel part, CO2 kg and transit days of every result flow, from the
    lanes and modes tables (geodesic × circuity where no lane row gives the distance)."""
    s = data.settings
    places = _places(data)
    modes = data.modes.set_index("mode")
    lanes = (data.lanes.set_index(["origin", "destination", "mode"]) if not data.lanes.empty
             else None)
    weight = data.products.set_index("product")["weight_kg"]
    rows = []
    for f in flows.itertuples(index=False):
        if f.mode == OWN:
            assert f.origin == f.destination and f.leg == "inbound"
            rows.append((0.0, 0.0, 0.0, 0.0, 0.0))
            continue
        m = modes.loc[f.mode]
        assert f.leg in m["legs"].split(";"), (f.leg, f.mode)
        lane = None
        if lanes is not None and (f.origin, f.destination, f.mode) in lanes.index:
            lane = lanes.loc[(f.origin, f.destination, f.mode)]
        km = lane["distance_km"] if lane is not None and pd.notna(lane["distance_km"]) else None
        if km is None:
            a, b = places.loc[f.origin], places.loc[f.destination]
            km = geodesic_km((a["lat"], a["lon"]), (b["lat"], b["lon"])) * s.circuity_factor
            # the engine's Lambert distance is within 0.5 % of the exact geodesic
            assert abs(f.distance_km - km) <= 0.005 * km, (f.origin, f.destination)
            km = f.distance_km
        else:
            assert f.distance_km == pytest.approx(km)
        if lane is None:  # a lanes row may go outside the mode's window, the geography may not
            assert m["min_km"] <= km <= m["max_km"], (f.origin, f.destination, f.mode)
        w = weight[f.product]
        base = (lane["cost_per_unit"] if lane is not None and pd.notna(lane["cost_per_unit"])
                else m["cost_per_unit_fixed"] + m["cost_per_kg_km"] * km * w)
        days = (lane["transit_days"] if lane is not None and pd.notna(lane["transit_days"])
                else km / m["speed_km_per_day"] + m["handling_days"])
        rows.append((base, base * m["fuel_share"], m["co2_kg_per_tonne_km"] * km / 1000 * w,
                     days, m["fuel_share"]))
    return pd.DataFrame(rows, columns=["base", "fuel", "co2", "days", "fuel_share"],
                        index=flows.index)


def check_solution(data: ModelData, r: Results, proportional_variance: bool = False) -> pd.Series:
    """Assert feasibility and recompute every cost line; returns the recomputed lines.

    ``proportional_variance``: the model's σ² is proportional to mean demand within a product
    (up to the rounding of its demand_sd column), so the pooled safety stock must lie within the
    PWL error bound below the closed form wherever a DC carries at least one whole customer.
    """
    assert r.ok, r.status
    s = data.settings
    f = r.flows
    assert (f["units"] > 0).all()
    terms = per_unit_terms(data, f)
    assert np.allclose(f["transit_days"], terms["days"], rtol=1e-9, atol=1e-9)
    fac = data.facilities.set_index("facility")
    res_fac = r.facilities.set_index("facility")
    is_open = res_fac["open"]
    scale = float(data.demand["annual_units"].sum())

    # flow balance at every DC and product
    into = f[f["leg"].isin(["inbound", "transfer"])].groupby(["product", "destination"])["units"]
    out_of = f[f["leg"].isin(["outbound", "transfer"])].groupby(["product", "origin"])["units"]
    into, out_of = into.sum(), out_of.sum()
    for key in set(into.index) | set(out_of.index):
        assert close(into.get(key, 0.0), out_of.get(key, 0.0), scale=scale), key

    # every customer's demand is delivered (or unmet, where allowed)
    delivered = f[f["leg"].isin(["outbound", "direct"])].groupby(["product", "destination"])[
        "units"].sum()
    unmet = (r.unmet.set_index(["product", "customer"])["units"] if not r.unmet.empty
             else pd.Series(dtype=float))
    if not s.unmet_demand.allowed:
        assert unmet.empty
    for d in data.demand.itertuples(index=False):
        got = delivered.get((d.product, d.customer), 0.0) + unmet.get((d.product, d.customer), 0.0)
        assert close(got, d.annual_units, scale=scale), (d.customer, d.product)

    # closed DCs ship and receive nothing; options only at open DCs
    for dc, opened in is_open.items():
        if not opened:
            assert not ((f["origin"] == dc) | (f["destination"] == dc)).any(), dc
            assert res_fac.at[dc, "options"] == "", dc
        if fac.at[dc, "status"] == "forced_open":
            assert opened
        if fac.at[dc, "status"] == "forced_closed":
            assert not opened

    # throughput from the flows, against the capacity raised by the options bought
    shipped = f[f["leg"].isin(["outbound", "transfer"])]
    throughput = shipped.groupby("origin")["units"].sum().reindex(fac.index, fill_value=0.0)
    assert np.allclose(res_fac["throughput"].reindex(fac.index), throughput, rtol=1e-9, atol=1e-6)
    opts = data.facility_options
    bought = {(dc, o) for dc, text in res_fac["options"].items() for o in str(text).split(";") if o}
    chosen = (opts[[(row.facility, row.option) in bought for row in opts.itertuples()]]
              if not opts.empty else opts)
    assert len(chosen) == len(bought)
    raise_by = (chosen.assign(extra=chosen["capacity_factor"] - 1).groupby("facility")["extra"]
                .sum().reindex(fac.index, fill_value=0.0) if not chosen.empty
                else pd.Series(0.0, index=fac.index))
    capacity = fac["throughput_capacity"] * (1 + raise_by)
    finite = np.isfinite(capacity)
    assert (throughput[finite] <= capacity[finite] * (1 + REL) + 1e-6).all()
    inv = r.inventory
    held = (inv["cycle"] + inv["safety"]).groupby(inv["facility"]).sum()
    storage = fac["storage_capacity"] * (1 + raise_by)
    for dc in fac.index[np.isfinite(storage)]:
        assert held.get(dc, 0.0) <= storage[dc] * (1 + REL) + 1e-6, dc

    # supplier capacities
    from_supplier = f[f["leg"].isin(["inbound", "direct"]) & (f["mode"] != OWN)]
    bought_units = from_supplier.groupby(["origin", "product"])["units"].sum()
    for row in data.supply.itertuples(index=False):
        assert bought_units.get((row.supplier, row.product), 0.0) <= row.capacity * (1 + REL) + 1e-6

    # service promises
    promise = data.customers.set_index("customer")["max_days"].fillna(s.service.max_days)
    delivering = f[f["leg"].isin(["outbound", "direct"])]
    assert (delivering["transit_days"].to_numpy()
            <= promise.reindex(delivering["destination"]).to_numpy() + 1e-9).all()
    if s.service.band is not None:
        fast = delivering.loc[delivering["transit_days"] <= s.service.band.days + 1e-9, "units"]
        assert fast.sum() >= s.service.band.share * scale * (1 - REL)

    # cost lines
    lines = pd.Series(0.0, index=r.costs.index)
    unit_cost = data.supply.set_index(["supplier", "product"])["unit_cost"]
    value = data.products.set_index("product")["unit_value"]
    purchase = sum(units * unit_cost[(o, p)] for o, p, units in zip(
        from_supplier["origin"], from_supplier["product"], from_supplier["units"], strict=True))
    own = f[f["mode"] == OWN]
    lines["purchase"] = purchase + float((own["units"] * own["product"].map(value)).sum())
    freight = f["units"] * (terms["base"] + (s.fuel_index - 1) * terms["fuel"])
    assert np.allclose(freight, f["freight"], rtol=1e-9, atol=1e-9)
    for leg in ("inbound", "transfer", "outbound", "direct"):
        lines[f"freight_{leg}"] = float(freight[f["leg"] == leg].sum())
    factor = pd.Series(1.0, index=fac.index)
    for row in chosen.itertuples(index=False):
        factor[row.facility] += row.handling_cost_factor - 1
    lines["handling"] = float((throughput * fac["handling_cost"] * factor).sum())
    opened = is_open.reindex(fac.index).to_numpy()
    lines["facility_fixed"] = float(fac["fixed_cost"][opened].sum())
    candidate = (fac["status"] != "existing").to_numpy()
    lines["facility_capex"] = sum(
        row.capex * crf(s.discount_rate, row.capex_life_years)
        for row, o, c in zip(fac.itertuples(), opened, candidate, strict=True) if o and c)
    lines["option_capex"] = sum(row.capex * crf(s.discount_rate, row.life_years)
                                for row in chosen.itertuples())
    lines["option_opex"] = float(chosen["annual_cost"].sum()) if not chosen.empty else 0.0
    # an existing DC closed by the model, or one a scenario closed (forced_closed)
    closed = (((fac["status"] == "existing").to_numpy() & ~opened)
              | (fac["status"] == "forced_closed").to_numpy())
    lines["closing"] = float(fac["closing_cost"][closed].sum()) * crf(
        s.discount_rate, s.horizon_years)
    half_cycle = s.inventory.review_period_days / (2 * s.days_per_year)
    stocked = inv[inv["throughput"] > 0]
    assert np.allclose(stocked["cycle"], stocked["throughput"] * half_cycle, rtol=1e-9)
    thr = shipped.groupby(["product", "origin"])["units"].sum()
    lines["carrying_cycle"] = s.carrying_rate * half_cycle * float(
        sum(units * value[p] for (p, _), units in thr.items()))
    lines["carrying_safety"] = s.carrying_rate * float((inv["safety"] * inv["product"].map(value))
                                                       .sum())
    assert (inv["safety"] >= -1e-9).all()
    if proportional_variance and s.inventory.pooling:
        smallest = data.demand.groupby("product")["annual_units"].min()
        whole = inv[inv["throughput"] >= inv["product"].map(smallest)]
        gap = (whole["safety_exact"] - whole["safety"]) / whole["safety_exact"]
        assert len(whole) and gap.between(-1e-3, s.inventory.pwl_max_error + 1e-3).all(), gap
    pipeline = f["units"] * terms["days"] / s.days_per_year * f["product"].map(value)
    assert close(float((inv["pipeline"] * inv["unit_value"]).sum()), float(pipeline.sum()),
                 scale=1.0)
    lines["carrying_pipeline"] = s.carrying_rate * float(pipeline.sum())
    lines["co2"] = s.co2_price / 1000 * float((f["units"] * terms["co2"]).sum())
    if not r.unmet.empty:
        prices = data.products.set_index("product")
        penalty = np.maximum(prices["unit_price"], prices["unit_value"]) * (
            s.unmet_demand.penalty_factor)
        lines["unmet_penalty"] = float((r.unmet["units"] * r.unmet["product"].map(penalty)).sum())
    scale_cost = abs(r.objective)
    for line, expected in lines.items():
        assert close(float(r.costs[line]), float(expected), scale=1e-6 * scale_cost), (
            line, r.costs[line], expected)
    assert close(float(r.costs.sum()), r.objective)
    assert close(float(lines.sum()), r.objective)
    return lines


# -- models ----------------------------------------------------------------------------------------


def mini_retail() -> Kit:
    """A demo-like model with every feature on, small enough to solve to optimality in a second."""
    kit = Kit("mini retail", carrying_rate=0.22, fuel_index=1.1, co2_price=50.0,
              service={"max_days": 3})
    for mode, legs, rate, fixed, speed, hdays, fuel, co2, min_km in [
        ("truck", "inbound;transfer;outbound", 0.00009, 0.2, 800, 0.5, 0.3, 0.08, 0),
        ("rail", "inbound;transfer", 0.00003, 0.35, 400, 2.0, 0.2, 0.02, 500),
        ("air", "inbound;transfer", 0.0012, 1.5, 5000, 1.0, 0.4, 1.0, 400),
        ("parcel", "outbound", 0.0002, 0.1, 900, 0.5, 0.2, 0.1, 0),
        ("ltl", "direct", 0.00015, 1.0, 700, 0.5, 0.3, 0.1, 0),
    ]:
        kit.mode(mode, legs=legs, cost_per_kg_km=rate, cost_per_unit_fixed=fixed,
                 speed_km_per_day=speed, handling_days=hdays, fuel_share=fuel,
                 co2_kg_per_tonne_km=co2, min_km=min_km, max_km=None)
    for product, value, price, kg, level, segment in [
        ("detergent", 10.1, 15.1, 3.4, 0.977, "fast"), ("blender", 112, 178, 4.31, 0.915, "slow"),
        ("drill", 98.9, 160, 3.05, 0.922, "slow"),
    ]:
        kit.product(product, unit_value=value, unit_price=price, weight_kg=kg,
                    service_level=level, segment=segment)
    kit.supplier("PORT_LA", lat=33.767, lon=-118.189)
    kit.supplier("PLANT_TUPELO", lat=34.258, lon=-88.703)
    kit.supply("PORT_LA", "blender", 102.9, lead_time_days=40, lead_time_sd_days=8.8)
    kit.supply("PORT_LA", "drill", 90.0, lead_time_days=38, lead_time_sd_days=8.0, capacity=40_000)
    kit.supply("PORT_LA", "detergent", 9.8, lead_time_days=35, lead_time_sd_days=6.0)
    kit.supply("PLANT_TUPELO", "detergent", 10.2, lead_time_days=10, lead_time_sd_days=2.2,
               capacity=300_000)
    kit.supply("PLANT_TUPELO", "drill", 92.0, lead_time_days=6, lead_time_sd_days=1.0)
    kit.dc("DC_ATL", status="existing", lat=33.749, lon=-84.388, fixed_cost=20_000,
           closing_cost=400_000, throughput_capacity=300_000, storage_capacity=20_000,
           handling_cost=0.7)
    kit.option("DC_ATL", "automation", capex=200_000, life_years=10, annual_cost=10_000,
               capacity_factor=1.3, handling_cost_factor=0.6)
    kit.option("DC_ATL", "expansion", capex=300_000, life_years=20, annual_cost=20_000,
               capacity_factor=1.5)
    kit.dc("DC_DAL", lat=32.783, lon=-96.807, fixed_cost=150_000, capex=1_500_000,
           throughput_capacity=250_000, handling_cost=0.45)
    kit.dc("DC_ONT", lat=34.063, lon=-117.651, fixed_cost=180_000, capex=2_000_000,
           throughput_capacity=250_000, handling_cost=0.9)
    kit.dc("DC_HBG", lat=40.274, lon=-76.884, fixed_cost=170_000, capex=1_800_000,
           capex_life_years=25, throughput_capacity=250_000, handling_cost=0.66)
    customers = {"NYC": (40.714, -74.006, 2, 1.6), "LA": (34.052, -118.244, 2, 1.2),
                 "CHI": (41.85, -87.65, 3, 1.0), "HOU": (29.763, -95.363, 2, 0.9),
                 "MIA": (25.774, -80.194, 3, 0.6), "DEN": (39.739, -104.985, 3, 0.5)}
    base = {"detergent": (90_000, 2.0), "blender": (7_000, 9.0), "drill": (5_000, 6.0)}
    for c, (lat, lon, days, size) in customers.items():
        kit.customer(c, lat=lat, lon=lon, max_days=days)
        for p, (units, phi) in base.items():
            d = round(units * size)
            kit.demand(c, p, d, demand_sd=round((phi * d / 365) ** 0.5, 3))
    kit.add("lanes", origin="PLANT_TUPELO", destination="DC_ATL", mode="rail",
            cost_per_unit=0.15, transit_days=2.5)
    return kit


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> ModelData:
    return mini_retail().load(tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="module")
def mini_results(mini) -> Results:
    return solve(mini, mip_gap=0, time_limit=60)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> ModelData:
    """30 customers, 6 DCs, 4 products, DC capacities doubled: at this size the generator's DCs
    within the metros' short promises lack capacity (see test_diagnosis), which is not what this
    test is about."""
    out = generate_model(tmp_path_factory.mktemp("generated") / "g30", customers=30, dcs=6,
                         existing=2, products=4, seed=3)
    data = load_model(out)
    fac = data.facilities
    return data.evolve(
        settings=data.settings.model_copy(update={
            "solver": data.settings.solver.model_copy(update={"threads": 1})}),
        facilities=fac.assign(throughput_capacity=2 * fac["throughput_capacity"],
                              storage_capacity=2 * fac["storage_capacity"]))


# -- checks ----------------------------------------------------------------------------------------


def test_tiny_model_solution_recomputes(tiny_model):
    data = load_model(tiny_model)
    check_solution(data, solve(data, mip_gap=0))


def test_tiny_model_with_suppliers_solution_recomputes(tiny_model_with_suppliers):
    data = load_model(tiny_model_with_suppliers)
    check_solution(data, solve(data, mip_gap=0))


def test_demo_like_model_solution_recomputes(mini, mini_results):
    r = mini_results
    assert r.status == "optimal"
    lines = check_solution(mini, r, proportional_variance=True)
    # the features the model is meant to exercise are in the solution
    legs_modes = set(zip(r.flows["leg"], r.flows["mode"], strict=True))
    assert {("direct", "ltl"), ("outbound", "parcel")} <= legs_modes
    assert ("inbound", "rail") in legs_modes
    assert (r.facilities["options"] != "").any()
    for line in ("purchase", "freight_inbound", "freight_outbound", "freight_direct", "handling",
                 "facility_fixed", "facility_capex", "option_capex", "carrying_cycle",
                 "carrying_safety", "carrying_pipeline", "co2"):
        assert lines[line] > 0, line


def test_demo_like_model_with_unmet_demand_and_a_band_recomputes(tmp_path):
    kit = mini_retail().set("unmet_demand.allowed", True).set("unmet_demand.penalty_factor", 0.7)
    kit.set("service.band", {"days": 1, "share": 0.3}).set("inventory.pooling", False)
    data = kit.load(tmp_path)
    r = solve(data, mip_gap=0, time_limit=60)
    lines = check_solution(data, r)
    assert lines["unmet_penalty"] > 0


def test_generated_model_solution_recomputes(generated):
    r = solve(generated, time_limit=60)
    assert r.status in ("optimal", "time_limit") and r.ok
    check_solution(generated, r, proportional_variance=True)
    assert len(r.open_facilities) >= 2


# -- persistent re-solve ---------------------------------------------------------------------------


def with_settings(data: ModelData, **changes) -> ModelData:
    return data.evolve(settings=data.settings.model_copy(update=changes))


def test_update_to_a_new_fuel_index_equals_a_fresh_solve(mini):
    model = NetworkModel(mini)
    model.solve(mip_gap=0)
    dearer = with_settings(mini, fuel_index=1.2)
    changes = model.update(dearer)
    assert changes.get("rebuilt", 0) == 0 and changes["costs"] > 0
    warm = model.solve(mip_gap=0)
    fresh = solve(dearer, mip_gap=0)
    assert warm.objective == pytest.approx(fresh.objective, rel=1e-6)
    check_solution(dearer, warm)


def test_a_re_solve_keeps_the_previous_solution_only_when_the_lp_bound_proves_it(mini, tmp_path):
    """With a loose gap the fuel re-solve keeps the baseline design (priced at the new fuel
    index, certified by the warm LP bound); with gap 0 and a fractional LP it searches."""
    model = NetworkModel(mini)
    base = model.solve(mip_gap=0)
    dearer = with_settings(mini, fuel_index=1.2)
    model.update(dearer)
    kept = model.solve(mip_gap=0.5, log_path=tmp_path / "kept.log")
    assert "no MIP search is run" in kept.solver_log
    assert (tmp_path / "kept.log").read_text() == kept.solver_log
    assert kept.status == "optimal" and kept.bound <= kept.objective
    assert kept.gap <= 0.5 and set(kept.open_facilities) == set(base.open_facilities)
    assert kept.objective > base.objective
    check_solution(dearer, kept)
    relaxed_gap = (kept.objective - kept.bound) / kept.objective
    assert relaxed_gap > 1e-6, "the mini model's LP relaxation is integral: the test needs a gap"
    searched = model.solve(mip_gap=0)
    assert "no MIP search is run" not in searched.solver_log
    assert searched.objective == pytest.approx(solve(dearer, mip_gap=0).objective, rel=1e-6)


def test_a_first_solve_keeps_its_mip_start_only_within_the_gap(mini, mini_results):
    """A loose gap: the LP-support MIP start is proven within it by the LP bound and kept; the
    answer is still a checked solution no better than the optimum."""
    loose = solve(mini, mip_gap=0.5)
    assert "the MIP start costs" in loose.solver_log and "no MIP search is run" in loose.solver_log
    assert loose.bound <= mini_results.objective + 1e-6 <= loose.objective + 2e-6
    assert (loose.objective - loose.bound) / (loose.objective - loose.floor) == pytest.approx(
        loose.gap)
    assert (loose.objective - loose.bound) / loose.objective == pytest.approx(loose.gap_total)
    check_solution(mini, loose)
    assert "no MIP search is run" not in mini_results.solver_log


def test_a_re_solve_does_not_keep_a_solution_the_new_numbers_make_infeasible(mini):
    model = NetworkModel(mini)
    base = model.solve(mip_gap=0)
    dallas = base.facilities.set_index("facility").loc["DC_DAL"]
    assert dallas["open"] and dallas["throughput"] > 120_000
    smaller = mini.evolve(facilities=mini.facilities.assign(
        throughput_capacity=mini.facilities["throughput_capacity"].where(
            mini.facilities["facility"] != "DC_DAL", 100_000.0)))
    model.update(smaller)
    again = model.solve(mip_gap=0.5)
    assert "no MIP search is run" not in again.solver_log
    check_solution(smaller, again)


def test_fixed_network_freight_change_is_the_fuel_share_of_baseline_freight(mini):
    """Keep the design at fuel index 1.0, re-flow at 1.2: with the same flows, freight on each leg
    and mode rises by Σ fuel_share × 0.2 × baseline freight (fuel share from modes.csv)."""
    base_data = with_settings(mini, fuel_index=1.0)
    model = NetworkModel(base_data)
    base = model.solve(mip_gap=0)
    model.fix_design(Design.of(base))
    dearer = with_settings(mini, fuel_index=1.2)
    model.update(dearer)
    again = model.solve(mip_gap=0)
    assert set(again.open_facilities) == set(base.open_facilities)
    assert again.facilities["options"].tolist() == base.facilities["options"].tolist()
    key = ["leg", "product", "origin", "destination", "mode"]
    same = base.flows.merge(again.flows, on=key, suffixes=("_base", "_new"), how="outer")
    assert np.allclose(same["units_base"], same["units_new"], rtol=1e-7), "flows moved"
    share = mini.modes.set_index("mode")["fuel_share"].reindex(base.flows["mode"]).fillna(0.0)
    expected = (base.flows.assign(extra=share.to_numpy() * 0.2 * base.flows["freight"])
                .groupby(["leg", "mode"])["extra"].sum())
    change = (again.flows.groupby(["leg", "mode"])["freight"].sum()
              - base.flows.groupby(["leg", "mode"])["freight"].sum())
    assert np.allclose(change.reindex(expected.index), expected, rtol=1e-9, atol=1e-6)
    total = sum(again.costs[f"freight_{leg}"] - base.costs[f"freight_{leg}"]
                for leg in ("inbound", "transfer", "outbound", "direct"))
    assert total == pytest.approx(expected.sum(), rel=1e-9)
    check_solution(dearer, again)


def test_update_of_a_capacity_with_options_equals_a_fresh_solve(tmp_path):
    """The option-handling bound follows the throughput capacity parameter of a re-solve."""
    kit = Kit("capacity re-solve")
    kit.product("P", unit_value=10)
    kit.dc("A", handling_cost=2.0, throughput_capacity=100).dc("B", handling_cost=3.0)
    kit.option("A", "automation", capex=0, capacity_factor=1.3, handling_cost_factor=0.5)
    kit.option("A", "expansion", capex=0, capacity_factor=1.5)
    kit.customer("C1").demand("C1", "P", 250).lanes({("A", "C1"): 1.0, ("B", "C1"): 1.0})
    data = kit.load(tmp_path)
    model = NetworkModel(data)
    check_solution(data, model.solve(mip_gap=0))
    bigger = data.evolve(facilities=data.facilities.assign(
        throughput_capacity=data.facilities["throughput_capacity"].where(
            data.facilities["facility"] != "A", 120.0)))
    model.update(bigger)
    warm = model.solve(mip_gap=0)
    check_solution(bigger, warm)
    assert warm.costs["handling"] == pytest.approx(216 * 2.0 * 0.5 + 34 * 3.0)
    assert warm.objective == pytest.approx(solve(bigger, mip_gap=0).objective, rel=1e-9)
