"""The benchmark tools measure what they claim to.

* ``benchmarks/direct.py`` builds, from the engine's ModelIndex arrays with numpy/scipy only, the
  same matrix, bounds, costs and integrality as the Pyomo route (``NetworkModel``): compared
  entry by entry (columns by name, rows up to order and sign) over every constraint family, and
  through the order-free signature the generation benchmark compares across processes.
* ``benchmarks/cflp.py``'s plain CFLP reaches the engine's optimum, and its heuristic start is a
  feasible solution.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "models"))

import cflp  # noqa: E402
import direct  # noqa: E402

from netdesign.importers import write_instance  # noqa: E402
from netdesign.solve import NetworkModel  # noqa: E402
from netdesign.validate import load_model  # noqa: E402


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    from generate import generate

    out = tmp_path_factory.mktemp("net")
    generate(customers=25, dcs=6, existing=2, products=4, seed=7, out=out, name="tiny")
    return load_model(out)


def _settings(data, **changes):
    values = data.settings.model_dump()
    for key, value in changes.items():
        *parents, leaf = key.split(".")
        node = values
        for part in parents:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        node[leaf] = value
    return data.evolve(settings=type(data.settings).model_validate(values))


def _check(data):
    nm = NetworkModel(data)
    model = direct.build_direct(nm.index)
    pyomo_side = direct.canonical_pyomo(nm.session.compiled)
    direct_side = direct.canonical_direct(model)
    assert direct.compare(pyomo_side, direct_side) == []
    assert direct.same_signature(direct.signature(pyomo_side), direct.signature(direct_side))
    h = direct.to_highs(model)
    assert (h.getNumCol(), h.getNumRow()) == model.matrix.shape[::-1]
    return nm, model


VARIANTS = {
    "demo settings (pooling, options, supply)": {},
    "no pooling": {"inventory.pooling": False},
    "single sourcing, unmet allowed": {"sourcing": "single", "unmet_demand.allowed": True},
    "hub": {"strategy": "hub"},
    "hybrid": {"strategy": "hybrid"},
    "regional": {"strategy": "regional"},
    "counts and service band": {"facilities.min_open": 2, "facilities.max_open": 4,
                                "service.band": {"days": 1.0, "share": 0.5}},
    "prices": {"fuel_index": 1.2, "co2_price": 80.0, "carrying_rate": 0.3},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_direct_build_is_the_pyomo_model(network, variant):
    _check(_settings(network, **VARIANTS[variant]))


def test_direct_build_with_forced_statuses(network):
    fac = network.facilities.copy()
    fac.loc[fac.index[0], "status"] = "forced_open"
    fac.loc[fac.index[-1], "status"] = "forced_closed"
    opts = network.facility_options.copy()
    if len(opts) >= 2:
        opts.loc[opts.index[0], "status"] = "forced"
        opts.loc[opts.index[1], "status"] = "excluded"
    _check(network.evolve(facilities=fac, facility_options=opts))


def test_signature_sees_a_changed_coefficient(network):
    _, model = _check(network)
    before = direct.signature(direct.canonical_direct(model))
    model.matrix.data[7] *= 1.001
    after = direct.signature(direct.canonical_direct(model))
    assert before["rows_digest"] != after["rows_digest"]
    model.matrix.data[7] /= 1.001
    model.cost[3] += 1.0
    assert direct.signature(direct.canonical_direct(model))["columns_digest"] != before[
        "columns_digest"]


@pytest.mark.parametrize("sourcing", ["multi", "single"])
def test_direct_build_of_an_imported_cflp(tmp_path, sourcing):
    inst = cflp.generate_instance(6, 40, seed=3)
    data = load_model(write_instance(inst, tmp_path / "cflp", sourcing=sourcing))
    nm, model = _check(data)
    assert model.size["columns"] == nm.size["columns"]


def test_plain_cflp_matches_the_engine_and_the_start_is_feasible(tmp_path):
    inst = cflp.generate_instance(8, 60, seed=5, capacity_ratio=2.0)
    data = load_model(write_instance(inst, tmp_path / "cflp"))
    engine = NetworkModel(data).solve(time_limit=60, mip_gap=0.0, threads=1)
    for text in ("plain", "cover+start", "units"):
        plain = cflp.solve_plain(inst, cflp.Levers.parse(text), time_limit=60)
        assert plain["status"] == "optimal"
        assert plain["objective"] == pytest.approx(engine.objective, rel=1e-6), text
    values, objective, _ = cflp.heuristic_start(inst, cflp.Levers())
    m, n = inst.n_facilities, inst.n_customers
    y, x = values[:m], values[m:].reshape(m, n)
    assert np.allclose(x.sum(axis=0), 1.0, atol=1e-7)
    assert np.all((x * inst.demands).sum(axis=1) <= inst.capacities * y + 1e-6)
    assert np.all(x <= y[:, None] + 1e-9)
    assert objective == pytest.approx(inst.fixed_costs @ y + (inst.costs * x).sum(), rel=1e-9)
    assert objective >= engine.objective * (1 - 1e-9)


def test_levers_parse():
    lev = cflp.Levers.parse("cover+start+presolve=off+symmetry=false+mip_heuristic_effort=0.2")
    assert lev.cover and lev.start and not lev.units
    assert lev.options == {"presolve": "off", "mip_detect_symmetry": False,
                           "mip_heuristic_effort": 0.2}
    with pytest.raises(ValueError):
        cflp.Levers.parse("magic")
