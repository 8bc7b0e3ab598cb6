"""Approximate k-nearest-DC reduction: off by default, never lowers the optimum, exact at k=all."""

from __future__ import annotations

import pytest

from conftest import tiny_spec_data
from netdesign import load_model, solve


def with_nearest(data, k):
    reductions = data.settings.reductions.model_copy(update={"nearest_dcs": k})
    solver = data.settings.solver.model_copy(update={"mip_gap": 0.0})
    return data.evolve(settings=data.settings.model_copy(
        update={"reductions": reductions, "solver": solver}))


def test_nearest_dcs_bounds_the_exact_optimum(tmp_path):
    data = load_model(tiny_spec_data(suppliers=True).write(tmp_path / "m"))
    assert data.settings.reductions.nearest_dcs is None
    exact = solve(with_nearest(data, None))
    everything = solve(with_nearest(data, len(data.facilities)))
    nearest = solve(with_nearest(data, 1))
    assert everything.objective == pytest.approx(exact.objective, rel=1e-9)
    assert nearest.objective >= exact.objective * (1 - 1e-9)
    assert nearest.model_size["flow_arcs"] < exact.model_size["flow_arcs"]
