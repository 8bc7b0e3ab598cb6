"""Attribution: a scenario's cost delta split into its decisions, each priced with and without it
(the rest held fixed), adding up to the total delta."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import _rows, tiny_spec_data
from netdesign.attribution import attribute, decisions, unforced, without
from netdesign.formulas import crf
from netdesign.io import read_model
from netdesign.results import Design
from netdesign.scenario import BASELINE, apply_scenario
from netdesign.solve import solve


def _data(root: Path):
    spec = tiny_spec_data()
    spec.tables["facility_options"] = _rows(
        "facility,option,capex,life_years,annual_cost,capacity_factor,handling_cost_factor",
        "DC_ATL,automation,20000,10,500,1,0.2",
    )
    return apply_scenario(read_model(spec.write(root / "model")), BASELINE).data


def _fixed(data, design: Design):
    """``data`` with ``design`` imposed through the input statuses alone (every DC forced open
    or closed, every option forced or excluded): an independent way to price a design."""
    fac = data.facilities.assign(status=[
        "forced_open" if f in design.open else "forced_closed" for f in data.facilities["facility"]
    ])
    opts = data.facility_options.assign(status=[
        "forced" if (f, o) in design.options else "excluded"
        for f, o in zip(data.facility_options["facility"], data.facility_options["option"],
                        strict=True)
    ])
    return dataclasses.replace(data, facilities=fac, facility_options=opts)


def test_attribution_adds_up_and_prices_each_decision_alone(tmp_path):
    data = _data(tmp_path)
    reference = solve(data)
    assert Design.of(reference).open == {"DC_ATL"} and not Design.of(reference).options
    # The scenario forces a new DC at Dallas and automation at Atlanta: two decisions in one case.
    scen_data = dataclasses.replace(
        data,
        facilities=data.facilities.assign(status=data.facilities["status"].mask(
            data.facilities["facility"] == "DC_DAL", "forced_open")),
        facility_options=data.facility_options.assign(status="forced"),
    )
    scenario = solve(scen_data)
    design = Design.of(scenario)
    assert decisions(Design.of(reference), design) == [
        ("dc_open", "DC_DAL", ""), ("option", "DC_ATL", "automation")]

    frame = attribute(reference, scen_data, scenario)
    assert frame["line"].tolist() == ["inputs", "dc_open", "option", "interactions"]
    assert frame["priced"].all()
    assert frame["cost_delta"].sum() == pytest.approx(scenario.objective - reference.objective)
    lines = frame.set_index("line")["cost_delta"]
    assert lines["inputs"] == pytest.approx(0.0, abs=1e-6)  # same numbers, only forcings differ
    # Each decision against the scenario's design without it, priced independently.
    for kind, facility, option in (("dc_open", "DC_DAL", ""), ("option", "DC_ATL", "automation")):
        other = solve(_fixed(unforced(scen_data), without(design, (kind, facility, option),
                                                           Design.of(reference))))
        assert lines[kind] == pytest.approx(scenario.objective - other.objective, rel=1e-6)
    # Dallas only adds cost here (nothing is stocked there). Automation alone, by hand: its
    # annuity 20 000 · CRF(8 %, 10) + 500 opex − handling 0.8 × 0.5 on the 3 500 units at Atlanta.
    assert lines["dc_open"] > 0
    assert lines["option"] == pytest.approx(20_000 * crf(0.08, 10) + 500 - 0.8 * 0.5 * 3_500,
                                            rel=1e-6)


def test_without_undoes_one_decision():
    reference = Design(frozenset({"A", "B"}), frozenset({("B", "x")}),
                       frozenset({("p", "A"), ("p", "B")}))
    scenario = Design(frozenset({"A", "C"}), frozenset({("A", "y"), ("C", "z")}),
                      frozenset({("p", "A"), ("p", "C")}))
    assert decisions(reference, scenario) == [("dc_open", "C", ""), ("dc_close", "B", ""),
                                              ("option", "A", "y")]
    assert without(scenario, ("dc_open", "C", ""), reference) == Design(
        frozenset({"A"}), frozenset({("A", "y")}), frozenset({("p", "A")}))
    assert without(scenario, ("dc_close", "B", ""), reference) == Design(
        frozenset({"A", "B", "C"}), frozenset({("A", "y"), ("B", "x"), ("C", "z")}),
        frozenset({("p", "A"), ("p", "B"), ("p", "C")}))
    assert without(scenario, ("option", "A", "y"), reference).options == {("C", "z")}
