"""Pre-flight (issue 15): a model's size is estimated from its index before Pyomo builds it, and a
model whose estimated peak cannot fit is refused with its figures, before anything is built."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import tiny_spec_data
from netdesign.network import build_network
from netdesign.optimization import preflight
from netdesign.optimization.index import build_index
from netdesign.solve import NetworkModel
from netdesign.validate import load_model

DEMO = Path(__file__).resolve().parents[1] / "models" / "us_retail"


@pytest.mark.parametrize("suppliers", [False, True])
def test_the_estimate_bounds_the_built_model(tmp_path, suppliers):
    data = load_model(tiny_spec_data(suppliers=suppliers).write(tmp_path / "m"))
    built = NetworkModel(data)
    size, estimate = built.session.size, built.estimate
    # every variable is counted; fixed ones (unmet demand when not allowed, forced-open DCs)
    # are compiled out of the matrix, so the count is an upper bound by at most those
    assert size["columns"] <= estimate.columns <= size["columns"] + len(built.index.demand) \
        + len(built.index.facilities)
    assert estimate.integer_columns >= size["integer_columns"]
    assert estimate.nonzeros >= size["nonzeros"]


def test_on_the_demo_the_estimate_is_close_above(tmp_path):
    """Measured 2026-12-03 on the demo with its forecast: 91,079 columns estimated for 86,377
    built, 637,553 nonzeros for 579,016, a 1.64 GB peak for 1.66 GB measured (build + 60 s
    solve); with its demand table (here): 620,207 nonzeros for 498,870."""
    data = load_model(DEMO, forecast=False)
    ix = build_index(build_network(data), data)
    estimate = preflight.estimate(ix)
    built = NetworkModel(data)
    assert built.estimate == estimate
    size = built.session.size
    assert 1.0 <= estimate.columns / size["columns"] <= 1.1
    assert 1.0 <= estimate.nonzeros / size["nonzeros"] <= 1.3


def test_a_model_that_cannot_fit_is_refused_before_it_is_built(tmp_path):
    data = load_model(tiny_spec_data().write(tmp_path / "m"))
    tight = replace(data, settings=data.settings.model_copy(update={
        "solver": data.settings.solver.model_copy(update={"memory_limit_gb": 0.5})}))
    with pytest.raises(preflight.ModelTooLarge, match=r"too large to build here: .* columns .*"
                       r"solver.memory_limit_gb = 0.5; nothing was built.*nearest_dcs"):
        NetworkModel(tight)


def test_the_cli_refuses_with_exit_2_and_one_json_object(tmp_path):
    model = tiny_spec_data().write(tmp_path / "m")
    result = subprocess.run(
        [sys.executable, "-m", "netdesign", "solve", str(model), "--json",
         "--set", "solver.memory_limit_gb=0.5"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NETDESIGN_DEBUG": ""})
    assert result.returncode == 2, result.stderr
    payload = json.loads(result.stdout)
    assert payload["status"] == "input_error"
    assert "too large to build here" in payload["error"]
    assert "GB" in result.stderr


def test_workers_are_limited_to_the_models_that_fit():
    small = preflight.SizeEstimate(columns=10, integer_columns=1, nonzeros=70, peak_bytes=10**6)
    huge = replace(small, peak_bytes=10**15)
    assert preflight.workers_that_fit(small, 2) == 2
    assert preflight.workers_that_fit(huge, 2) == 1  # one that refuses, rather than none
    assert preflight.available_bytes() > 0
