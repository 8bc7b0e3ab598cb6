"""The shipped demo model ``models/us_retail`` and its generator ``models/generate.py``."""

from __future__ import annotations

import gzip
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from netdesign.forecast import forecast_demand
from netdesign.geo import distance_matrix_km
from netdesign.io import read_model
from netdesign.validate import load_model, validate

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "models" / "us_retail"
FILES = ["model.yaml", "products.csv", "suppliers.csv", "supply.csv", "facilities.csv",
         "facility_options.csv", "customers.csv", "demand.csv", "modes.csv",
         "demand_history.csv.gz"]
HISTORY = "demand_history.csv.gz"
SLOW = os.environ.get("NETDESIGN_SLOW") == "1"


def _load_generator():
    spec = importlib.util.spec_from_file_location("netdesign_models_generate",
                                                  ROOT / "models" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _files(folder: Path) -> dict[str, bytes]:
    """File name → bytes (a .gz file's content, so zlib builds cannot differ)."""
    return {p.name: gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def demo():
    """The demo as typed: its demand table, without the history (checked by the tests below)."""
    raw = read_model(DEMO)
    del raw.tables["demand_history"]
    return validate(raw)


@pytest.fixture(scope="module")
def fresh_default(tmp_path_factory):
    out = tmp_path_factory.mktemp("default") / "us_retail"
    gen.generate(out=out, history=True)
    return out


def test_demo_validates_with_expected_size(demo):
    assert len(demo.customers) >= 300
    assert len(demo.facilities) >= 40
    assert 3 <= (demo.facilities["status"] == "existing").sum() <= 4
    assert 20 <= len(demo.products) <= 30
    assert set(demo.products["segment"]) == {"fast", "slow", "seasonal"}
    assert set(demo.modes["mode"]) == {"truck", "rail", "intermodal", "air", "ocean"}
    legs = demo.modes.set_index("mode")["legs"]
    assert legs["ocean"] == "inbound"
    assert set(demo.customers["region"]) == {"Northeast", "Midwest", "South", "West"}
    assert set(demo.customers["max_days"]) >= {1, 2, 3}
    assert demo.settings.name == "us_retail"
    assert demo.settings.service.max_days == 2
    # every existing DC has the two upgrades, no candidate has any
    existing = set(demo.facilities.loc[demo.facilities["status"] == "existing", "facility"])
    opts = demo.facility_options
    assert set(opts["facility"]) == existing
    assert set(opts["option"]) == {"automation", "expansion"}


def test_demo_capacity_story(demo):
    """5-8 DCs carry the demand; the existing DCs alone do not."""
    total = demo.demand["annual_units"].sum()
    cap = demo.facilities["throughput_capacity"]
    assert cap.sum() > total
    assert 5 <= total / cap.mean() <= 8
    existing = demo.facilities.loc[demo.facilities["status"] == "existing", "throughput_capacity"]
    assert existing.sum() < total


def test_demand_variance_proportional_to_mean(demo):
    """σ² = φ_p · daily mean (Daskin-Coullard-Shen 2002): φ constant within a product."""
    d = demo.demand.merge(demo.products[["product", "segment"]], on="product")
    d["phi"] = d["demand_sd"] ** 2 / (d["annual_units"] / 365.0)
    spread = d.groupby("product")["phi"].agg(lambda s: s.max() / s.min())
    assert (spread < 1.01).all()
    phi = d.groupby("segment")["phi"].median()
    assert phi["fast"] < phi["slow"] < phi["seasonal"]


def test_every_promise_is_truck_feasible(demo):
    """The promise is kept by a truck from the nearest DC, not only by air."""
    s = demo.settings
    truck = demo.modes.set_index("mode").loc["truck"]
    c, f = demo.customers, demo.facilities
    km = distance_matrix_km(c["lat"].to_numpy(), c["lon"].to_numpy(),
                            f["lat"].to_numpy(), f["lon"].to_numpy()).min(axis=1)
    days = km * s.circuity_factor / truck["speed_km_per_day"] + truck["handling_days"]
    assert (days <= c["max_days"].to_numpy() + 1e-9).all()


def test_shipped_folder_equals_fresh_generation(fresh_default):
    assert _files(DEMO) == _files(fresh_default), (
        "models/us_retail differs from `python models/generate.py`: regenerate and commit it"
    )


def test_generator_reproducible(tmp_path, fresh_default):
    gen.generate(out=tmp_path / "again", history=True)
    assert _files(tmp_path / "again") == _files(fresh_default)


def test_generator_seed_changes_output(tmp_path):
    small = {"customers": 30, "dcs": 6, "existing": 2, "products": 5}
    gen.generate(out=tmp_path / "a", seed=1, **small)
    gen.generate(out=tmp_path / "b", seed=1, **small)
    gen.generate(out=tmp_path / "c", seed=2, **small)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a")["demand.csv"] != _files(tmp_path / "c")["demand.csv"]


def test_scaling_flags_give_asked_counts(tmp_path):
    out = tmp_path / "scaled"
    gen.main(["--customers", "45", "--dcs", "9", "--existing", "3", "--products", "7",
              "--seed", "5", "--out", str(out), "--name", "scaled", "--no-history"])
    assert sorted(p.name for p in out.iterdir()) == sorted(set(FILES) - {HISTORY})
    data = load_model(out)
    assert data.settings.name == "scaled"
    assert len(data.customers) == 45
    assert len(data.facilities) == 9
    assert (data.facilities["status"] == "existing").sum() == 3
    assert len(data.facility_options) == 2 * 3
    assert len(data.products) == 7
    assert data.customers["customer"].is_unique
    assert set(data.demand["product"]) == set(data.products["product"])
    assert set(data.supply["product"]) == set(data.products["product"])
    per_product = data.supply.groupby("product").size()
    assert per_product.between(1, 3).all()


def test_more_zones_than_cities_adds_zip_towns(tmp_path):
    cities = len(gen._us_places())
    out = tmp_path / "zips"
    gen.generate(customers=cities + 25, dcs=12, existing=2, products=2, out=out)
    data = load_model(out)
    assert len(data.customers) == cities + 25
    assert data.customers["customer"].is_unique
    towns = data.customers[data.customers["max_days"] >= 4]
    assert len(towns) >= 25
    assert np.isfinite(data.customers[["lat", "lon"]].to_numpy()).all()


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError):
        gen.generate(dcs=3, existing=4, out=tmp_path / "x")


def _forecast_against_typed_demand(folder: Path):
    data = validate(read_model(folder))
    forecast = forecast_demand(data)
    typed = data.demand.groupby("product")["annual_units"].sum()
    planned = forecast.demand.groupby("product")["annual_units"].sum()
    return forecast, data, (planned / typed).reindex(typed.index)


def test_history_forecasts_the_typed_demand_on_a_small_network(tmp_path):
    """The generator's history is built so that its 2026 expectation is demand.csv: the forecast
    of it lands within 8 % per product and 3 % in total on a 40-zone, 6-product network."""
    out = tmp_path / "small"
    gen.generate(customers=40, dcs=6, existing=2, products=6, out=out, history=True)
    forecast, data, ratio = _forecast_against_typed_demand(out)
    assert ratio.between(0.92, 1.08).all(), ratio
    total = forecast.demand["annual_units"].sum() / data.demand["annual_units"].sum()
    assert total == pytest.approx(1.0, abs=0.03)
    assert set(forecast.segments["derived_segment"]) <= {"fast", "slow", "seasonal"}


@pytest.mark.slow
@pytest.mark.skipif(not SLOW, reason="forecasts the whole demo (~30 s): set NETDESIGN_SLOW=1")
def test_demo_history_forecasts_the_typed_demand():
    """The stated tolerance (models/README.md): the planning-year forecast of the shipped history
    is within 1 % of demand.csv in total, 4 % for every product but the end-of-life one, 8 % for
    that one (whose −25 %/year decline the chosen methods follow only in part); the derived
    segments are the typed ones; the new and the end-of-life product are recognised."""
    forecast, data, ratio = _forecast_against_typed_demand(DEMO)
    assert ratio.drop("P09_monitor").between(0.96, 1.04).all(), ratio
    assert ratio["P09_monitor"] == pytest.approx(1.0, abs=0.08)
    total = forecast.demand["annual_units"].sum() / data.demand["annual_units"].sum()
    assert total == pytest.approx(1.0, abs=0.01)
    segments = forecast.segments.set_index("product")
    assert (segments["derived_segment"] == segments["given_segment"]).all()
    assert segments.loc["P19_mattress", "lifecycle"] == "new"
    assert segments.loc["P09_monitor", "lifecycle"] == "declining"
