"""A scenario's change split into the decisions it contains (each DC opened or closed, each option
bought or dropped), so that "automation at Reno" shows what automation alone is worth.

Each decision is priced as the issue proposes: the scenario's design with and without it, the rest
held fixed, flows and inventory re-optimised at the scenario's numbers
(:meth:`netdesign.solve.NetworkModel.price_design`). The pricing model is the scenario's with its
forcings lifted (forced_open → candidate, forced_closed → existing, forced options → available):
a forcing is a constraint, not a number, and it would rule out the very design without the
decision. With R the reference design, S the scenario's, U the runs' objectives and C(·) a design
priced at the scenario's numbers, the lines are

* ``inputs``: C(R) − U_ref, what the scenario's changed numbers do to the reference design;
* one line per decision d: U_scen − C(S without d), the cost it adds with every other decision
  taken (negative: it saves);
* ``interactions``: U_scen − U_ref − the lines above, what the decisions do only together (and
  any decision that could not be priced), so that the lines add up to the total delta.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from netdesign.data import ModelData
from netdesign.results import Design, Results
from netdesign.solve import NetworkModel

ATTRIBUTION_COLUMNS = ("line", "facility", "option", "cost_delta", "priced")
"""Columns of :func:`attribute`: line (inputs | dc_open | dc_close | option | option_dropped |
interactions), facility, option, cost_delta [currency/year], priced (False: the design without the
decision is infeasible, its effect is left in interactions)."""

UNFORCED = {"forced_open": "candidate", "forced_closed": "existing"}


def unforced(data: ModelData) -> ModelData:
    """``data`` with forced DC states and forced options made free choices (numbers unchanged)."""
    facilities = data.facilities.assign(status=data.facilities["status"].replace(UNFORCED))
    options = data.facility_options
    if not options.empty:
        options = options.assign(status=options["status"].replace({"forced": "available"}))
    return dataclasses.replace(data, facilities=facilities, facility_options=options)


def without(design: Design, decision: tuple[str, str, str], reference: Design) -> Design:
    """``design`` with one decision undone, the rest held fixed: a DC opened is closed with its
    options and stock, a DC closed reopens with the reference's options and stock there, an
    option bought is dropped, an option dropped is bought back."""
    kind, facility, option = decision
    if kind == "dc_open":
        return Design(design.open - {facility},
                      frozenset(o for o in design.options if o[0] != facility),
                      frozenset(s for s in design.stocked if s[1] != facility))
    if kind == "dc_close":
        return Design(design.open | {facility},
                      design.options | {o for o in reference.options if o[0] == facility},
                      design.stocked | {s for s in reference.stocked if s[1] == facility})
    if kind == "option":
        return dataclasses.replace(design, options=design.options - {(facility, option)})
    if kind == "option_dropped":
        return dataclasses.replace(design, options=design.options | {(facility, option)})
    raise ValueError(f"unknown decision kind {kind!r}")


def decisions(reference: Design, scenario: Design) -> list[tuple[str, str, str]]:
    """(kind, facility, option) of every decision that differs; options at a DC opened or closed
    go with the DC."""
    out = [("dc_open", f, "") for f in sorted(scenario.open - reference.open)]
    out += [("dc_close", f, "") for f in sorted(reference.open - scenario.open)]
    both = scenario.open & reference.open
    out += [("option", f, o) for f, o in sorted(scenario.options - reference.options) if f in both]
    out += [("option_dropped", f, o) for f, o in sorted(reference.options - scenario.options)
            if f in both]
    return out


def attribute(reference: Results, scen_data: ModelData, scenario: Results, *,
              time_limit: float = 60.0, threads: int = 1) -> pd.DataFrame:
    """The total-cost delta scenario − reference split into inputs, decisions and interactions
    (module doc); the ``cost_delta`` column adds up to ``scenario.objective −
    reference.objective``. Builds one model of ``scen_data`` (forcings lifted) and prices one
    design per decision, plus the reference's."""
    ref_design, scen_design = Design.of(reference), Design.of(scenario)
    model = NetworkModel(unforced(scen_data))

    def price(design: Design) -> float:
        priced = model.price_design(design, bound=None, time_limit=time_limit, threads=threads)
        return math.nan if priced is None else float(priced.objective)

    rows = [("inputs", "", "", price(ref_design) - reference.objective)]
    for kind, facility, option in decisions(ref_design, scen_design):
        cost = price(without(scen_design, (kind, facility, option), ref_design))
        rows.append((kind, facility, option, scenario.objective - cost))
    frame = pd.DataFrame(rows, columns=["line", "facility", "option", "cost_delta"])
    frame["priced"] = frame["cost_delta"].notna()
    total = scenario.objective - reference.objective
    rest = total - float(frame["cost_delta"].fillna(0.0).sum())
    frame.loc[len(frame)] = ("interactions", "", "", rest, True)
    return frame[list(ATTRIBUTION_COLUMNS)]
