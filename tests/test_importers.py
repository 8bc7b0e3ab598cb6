"""Benchmark importers: public files → ordinary model folders that load_model accepts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from netdesign import load_model
from netdesign.bench import default_folder, instance_source, published_optima
from netdesign.importers import (
    BenchmarkFormatError,
    import_orlib,
    import_sscflp,
    read_delmaire,
    read_holmberg,
    read_orlib,
)

ORLIB = default_folder("orlib")
HOLMBERG = default_folder("sscflp")
needs_orlib = pytest.mark.skipif(not ORLIB.is_dir(), reason=f"{ORLIB} not available")
needs_holmberg = pytest.mark.skipif(not HOLMBERG.is_dir(), reason=f"{HOLMBERG} not available")


def _lane_cost(folder: Path, facility: str, customer: str) -> float:
    """The cost of serving all of a customer's demand from a facility, as the model sees it."""
    lanes = pd.read_csv(folder / "lanes.csv")
    demand = pd.read_csv(folder / "demand.csv").set_index("customer")["annual_units"]
    row = lanes[(lanes["origin"] == facility) & (lanes["destination"] == customer)]
    assert len(row) == 1
    return float(row["cost_per_unit"].iloc[0]) * float(demand[customer])


# -- OR-Library ----------------------------------------------------------------------------------


@needs_orlib
def test_cap41_counts_and_costs(tmp_path):
    folder = import_orlib(ORLIB / "cap41.txt", tmp_path / "cap41")
    data = load_model(folder)
    assert len(data.facilities) == 16
    assert len(data.customers) == 50
    assert len(data.products) == 1
    assert data.demand["annual_units"].sum() == pytest.approx(58268)
    assert len(data.lanes) == 16 * 50
    fac = data.facilities.set_index("facility")
    assert fac.loc["F001", "throughput_capacity"] == 5000
    assert fac.loc["F001", "fixed_cost"] == 7500
    assert fac.loc["F011", "fixed_cost"] == 0  # the file's only zero fixed cost
    assert set(fac["status"]) == {"candidate"}
    demand = data.demand.set_index("customer")["annual_units"]
    assert demand["C0001"] == 146 and demand["C0002"] == 87 and demand["C0050"] == 222
    # c_ij as printed in the raw file (cost of serving ALL of customer j's demand from i)
    for facility, customer, raw in [
        ("F001", "C0001", 6739.725), ("F016", "C0001", 6051.7),
        ("F001", "C0002", 3204.8625), ("F016", "C0002", 2838.375),
        ("F001", "C0050", 7095.675), ("F016", "C0050", 7448.1),
    ]:
        assert _lane_cost(folder, facility, customer) == pytest.approx(raw, rel=1e-14)
    s = data.settings
    assert s.sourcing == "multi" and s.strategy == "free"
    assert s.inventory.pooling is False and s.carrying_rate == 0 and s.co2_price == 0
    assert s.solver.mip_gap == 0 and s.solver.time_limit == 600
    assert s.name == "cap41"


@needs_orlib
def test_orlib_every_cost_round_trips(tmp_path):
    """cost_per_unit read back from the CSV × demand gives every c_ij to float precision."""
    inst = read_orlib(ORLIB / "cap131.txt")
    folder = import_orlib(ORLIB / "cap131.txt", tmp_path / "m")
    data = load_model(folder)
    lanes = data.lanes.merge(data.demand, left_on="destination", right_on="customer")
    i = lanes["origin"].str[1:].astype(int) - 1
    j = lanes["destination"].str[1:].astype(int) - 1
    back = lanes["cost_per_unit"].to_numpy() * lanes["annual_units"].to_numpy()
    np.testing.assert_allclose(back, inst.costs[i, j], rtol=1e-15, atol=0)


@needs_orlib
def test_capa_requires_capacity(tmp_path):
    with pytest.raises(BenchmarkFormatError, match=r"capa\.txt.*capacity="):
        import_orlib(ORLIB / "capa.txt", tmp_path / "a")
    assert not (tmp_path / "a" / "model.yaml").exists()


@needs_orlib
def test_capa_with_capacity_loads(tmp_path):
    folder = import_orlib(ORLIB / "capb.txt", tmp_path / "b", capacity=6000)
    data = load_model(folder)
    assert len(data.facilities) == 100 and len(data.customers) == 1000
    assert set(data.facilities["throughput_capacity"]) == {6000}
    assert data.settings.name == "capb capacity 6000"
    assert len(data.lanes) == 100_000


@needs_orlib
def test_orlib_uncapacitated_and_single(tmp_path):
    folder = import_orlib(ORLIB / "cap71.txt", tmp_path / "u", uncapacitated=True)
    data = load_model(folder)
    assert np.isinf(data.facilities["throughput_capacity"]).all()
    folder = import_sscflp(ORLIB / "cap71.txt", tmp_path / "s", "orlib")
    assert load_model(folder).settings.sourcing == "single"


@needs_orlib
def test_instance_names_map_to_files():
    optima = published_optima("orlib")
    assert len(optima) == 37 + 12
    assert optima["cap41"] == 1040444.375
    assert optima["capa-8000"] == 19240822.449
    assert optima["capc-7250"] == 11505767.394
    assert instance_source("orlib", ORLIB, "capb-7000") == (ORLIB / "capb.txt", 7000.0)


# -- Holmberg ------------------------------------------------------------------------------------


@needs_holmberg
def test_p1_counts_and_costs(tmp_path):
    folder = import_sscflp(HOLMBERG / "p1", tmp_path / "p1")
    data = load_model(folder)
    assert data.settings.sourcing == "single"
    assert len(data.facilities) == 10 and len(data.customers) == 50
    assert data.demand["annual_units"].sum() == 1456
    assert data.facilities["throughput_capacity"].sum() == 2533
    fac = data.facilities.set_index("facility")
    assert (fac.loc["F001", "throughput_capacity"], fac.loc["F001", "fixed_cost"]) == (258, 366)
    demand = data.demand.set_index("customer")["annual_units"]
    assert (demand["C0001"], demand["C0002"], demand["C0050"]) == (49, 29, 49)
    for facility, customer, raw in [
        ("F001", "C0001", 260), ("F001", "C0002", 239), ("F001", "C0050", 68),
        ("F010", "C0001", 567), ("F010", "C0050", 673),
    ]:
        assert _lane_cost(folder, facility, customer) == pytest.approx(raw, rel=1e-14)


@needs_holmberg
def test_holmberg_files_all_parse():
    """Every file parses to exactly m·n costs: NUL padding and the stray bytes after it ignored."""
    optima = published_optima("sscflp")
    assert len(optima) == 71 and optima["p1"] == 8848 and optima["p71"] == 25540
    for name in optima:
        inst = read_holmberg(HOLMBERG / name)
        assert inst.costs.shape == (inst.n_facilities, inst.n_customers)
        assert (inst.demands > 0).all()


# -- synthetic files: NUL bytes, truncation, zero demand, Delmaire layout -------------------------

# m=2 facilities, n=3 customers
CAPS, FIXED, DEMANDS = [10, 12], [100, 90], [4, 5, 3]
COSTS = [[8, 15, 6], [12, 5, 9]]  # COSTS[i][j]: all of customer j from facility i


def _holmberg_text() -> str:
    lines = ["2 3", *(f"{c} {f}" for c, f in zip(CAPS, FIXED, strict=True)),
             " ".join(map(str, DEMANDS)), *(" ".join(map(str, r)) for r in COSTS)]
    return "\r\n".join(lines) + "\r\n"


def _delmaire_text() -> str:
    rows = [" ".join(f"{COSTS[i][j]:.2f}" for i in range(2)) for j in range(3)]
    return "\n".join(["   3   2", *rows, " ".join(f"{d:.2f}" for d in DEMANDS),
                      " ".join(f"{f:.2f}" for f in FIXED), " ".join(f"{c:.2f}" for c in CAPS)])


def _orlib_text(demands=DEMANDS) -> str:
    lines = ["2 3", *(f" {c} {f}." for c, f in zip(CAPS, FIXED, strict=True))]
    for j, d in enumerate(demands):
        lines.append(f"{d}\n " + " ".join(f"{COSTS[i][j]}." for i in range(2)))
    return "\n".join(lines) + "\n"


def test_nul_padding_and_trailing_bytes_ignored(tmp_path):
    raw = _holmberg_text().encode() + b"\0" * 64 + b"239. 336. garbage\r\n" + b"\0" * 7
    (tmp_path / "p").write_bytes(raw)
    inst = read_holmberg(tmp_path / "p")
    np.testing.assert_array_equal(inst.costs, COSTS)
    np.testing.assert_array_equal(inst.demands, DEMANDS)
    load_model(import_sscflp(tmp_path / "p", tmp_path / "m"))


def test_truncated_file_names_file_and_token(tmp_path):
    text = _holmberg_text().split()
    (tmp_path / "cut").write_text(" ".join(text[:-2]))
    with pytest.raises(BenchmarkFormatError) as err:
        read_holmberg(tmp_path / "cut")
    msg = str(err.value)
    assert str(tmp_path / "cut") in msg
    assert f"token {len(text) - 1}" in msg
    assert "cost of customer 2 from facility 2" in msg and "truncated" in msg
    # a NUL byte in the middle also ends the data
    (tmp_path / "nul").write_bytes(_holmberg_text().encode()[:20] + b"\0" + b"1 2 3 4 5 6 7 8")
    with pytest.raises(BenchmarkFormatError, match="NUL byte"):
        read_holmberg(tmp_path / "nul")


def test_bad_and_extra_tokens(tmp_path):
    (tmp_path / "bad").write_text(_holmberg_text().replace("100", "1x0"))
    with pytest.raises(BenchmarkFormatError, match=r"token 4: expected the fixed cost of facil"):
        read_holmberg(tmp_path / "bad")
    (tmp_path / "extra").write_text(_holmberg_text() + " 7 8\n")
    with pytest.raises(BenchmarkFormatError, match=r"2 token\(s\) after"):
        read_holmberg(tmp_path / "extra")


def test_delmaire_layout_gives_same_model_as_holmberg(tmp_path):
    (tmp_path / "h").write_text(_holmberg_text())
    (tmp_path / "d").write_text(_delmaire_text())
    (tmp_path / "o.txt").write_text(_orlib_text())
    a = import_sscflp(tmp_path / "h", tmp_path / "ha")
    b = import_sscflp(tmp_path / "d", tmp_path / "da", "delmaire")
    c = import_sscflp(tmp_path / "o.txt", tmp_path / "oa", "orlib")
    for table in ("facilities", "customers", "demand", "lanes", "modes", "products"):
        ref = (a / f"{table}.csv").read_text()
        assert (b / f"{table}.csv").read_text() == ref, table
        assert (c / f"{table}.csv").read_text() == ref, table
    inst = read_delmaire(tmp_path / "d")
    np.testing.assert_array_equal(inst.capacities, CAPS)
    np.testing.assert_array_equal(inst.fixed_costs, FIXED)
    for folder in (a, b, c):
        assert load_model(folder).settings.sourcing == "single"


def test_zero_demand_customer_skipped(tmp_path):
    (tmp_path / "z.txt").write_text(_orlib_text([4, 0, 3]))
    folder = import_orlib(tmp_path / "z.txt", tmp_path / "m")
    data = load_model(folder)
    assert list(data.customers["customer"]) == ["C0001", "C0003"]
    assert set(data.lanes["destination"]) == {"C0001", "C0003"}
    name = data.settings.name
    assert "1 zero-demand customer(s) skipped: C0002" in name
    assert "not modelled" in name  # its file costs are not zero: say what is lost
    assert _lane_cost(folder, "F002", "C0003") == 9


def test_existing_model_folder_needs_overwrite(tmp_path):
    (tmp_path / "h").write_text(_holmberg_text())
    out = import_sscflp(tmp_path / "h", tmp_path / "m")
    (out / "suppliers.csv").write_text("supplier,lat,lon\nS,0,0\n")
    with pytest.raises(FileExistsError, match="overwrite"):
        import_sscflp(tmp_path / "h", out)
    import_sscflp(tmp_path / "h", out, overwrite=True)
    assert not (out / "suppliers.csv").exists()
    settings = yaml.safe_load((out / "model.yaml").read_text())
    assert settings["sourcing"] == "single" and settings["name"] == "h"


def test_unknown_format_and_capacity_misuse(tmp_path):
    (tmp_path / "h").write_text(_holmberg_text())
    with pytest.raises(ValueError, match="unknown SSCFLP format"):
        import_sscflp(tmp_path / "h", tmp_path / "x", "beasley")
    with pytest.raises(ValueError, match="orlib format only"):
        import_sscflp(tmp_path / "h", tmp_path / "x", capacity=5)
    assert math.isnan(read_orlib(_write(tmp_path / "c.txt", _orlib_text().replace(
        " 10 100.", " capacity 100."))).capacities[0])


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
