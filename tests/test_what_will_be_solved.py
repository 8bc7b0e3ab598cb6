"""Validation of what will be solved (issue 11, items 12–15): a model that validates can be built
and solved, and a model that cannot be solved is stopped by validation with a message naming the
file, row and column; valid models are not refused.

* numeric extremes are out of each field's documented range, not a crash deep in HiGHS or the
  finance step;
* control characters in an id or a name are refused where they are written;
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelkit import Kit
from netdesign.validate import ModelValidationError, load_model

#: the documented cap of solver.threads (netdesign.schema.MAX_THREADS)
MAX_THREADS = 64


def small() -> Kit:
    """One product, two DCs, one customer: the smallest model every check below edits."""
    kit = Kit("small", service={"max_days": 2})
    kit.product("P", unit_value=10, unit_price=20)
    kit.dc("A").dc("B").customer("C1").demand("C1", "P", 100)
    return kit.lanes({("A", "C1"): 1.0, ("B", "C1"): 2.0})


def problems(folder: Path) -> list[str]:
    with pytest.raises(ModelValidationError) as info:
        load_model(folder)
    return [str(p) for p in info.value.problems]


# -- item 13: numeric ranges -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("days_per_year: 1e-300", "model.yaml:-:days_per_year: found 1e-300, expected a number from "
     "1 to 366"),
    ("horizon_years: 1000000000000", "model.yaml:-:horizon_years: found 1000000000000, expected "
     "a number from 1 to 100"),
    ("solver: {threads: 100000}", f"model.yaml:-:solver.threads: found 100000, expected a number "
     f"from 1 to {MAX_THREADS}"),
    ("peak: {capacity_factor: 1.0e+308}", "model.yaml:-:peak.capacity_factor: found 1e+308, "
     "expected a number > 0 and ≤ 12"),
])
def test_numeric_extremes_in_settings_are_out_of_range(tmp_path: Path, text: str, expected: str):
    folder = small().folder(tmp_path)
    settings = yaml.safe_load((folder / "model.yaml").read_text())
    settings.pop("solver")
    settings.update(yaml.safe_load(text))
    (folder / "model.yaml").write_text(yaml.safe_dump(settings))
    assert problems(folder) == [expected]


def test_capacity_factor_of_an_option_is_out_of_range(tmp_path: Path):
    kit = small().option("A", "automation", capacity_factor=1e308)
    assert problems(kit.folder(tmp_path)) == [
        "facility_options:2:capacity_factor: found 1e+308, expected a number from 0 to 100"]


def test_threads_at_the_cap_validate(tmp_path: Path):
    assert small().set("solver.threads", MAX_THREADS).load(tmp_path).settings.solver.threads == (
        MAX_THREADS)


# -- control characters in ids and names -----------------------------------------------------------


@pytest.mark.parametrize("char", ["\x01", "\x1f", "\x7f", "\t"])
def test_control_characters_in_ids_name_table_row_column(tmp_path: Path, char: str):
    kit = small()
    kit.update("customers", "C1", customer=f"C{char}1")
    kit.update("demand", "C1", "P", customer=f"C{char}1")
    kit.update("lanes", "A", "C1", "road", destination=f"C{char}1")
    kit.update("lanes", "B", "C1", "road", destination=f"C{char}1")
    shown = repr(f"C{char}1")
    expected = "expected text without control characters (U+0000–U+001F, U+007F)"
    assert problems(kit.folder(tmp_path)) == [
        f"customers:2:customer: found {shown}, {expected}",
        f"demand:2:customer: found {shown}, {expected}",
        f"lanes:2:destination: found {shown}, {expected}",
        f"lanes:3:destination: found {shown}, {expected}",
    ]


def test_control_characters_in_the_model_name(tmp_path: Path):
    assert problems(small().set("name", "net\x07design").folder(tmp_path)) == [
        "model.yaml:-:name: found 'net\\x07design', expected text without control characters "
        "(U+0000–U+001F, U+007F)"]


def test_control_characters_in_a_demand_history(tmp_path: Path):
    kit = small().drop("demand", "C1", "P")
    for month in range(1, 25):
        kit.add("demand_history", customer="C1", product="P", period=f"{2023 + (month - 1) // 12}-"
                f"{(month - 1) % 12 + 1:02d}", units=10)
    kit.tables["demand_history"][3]["product"] = "P\x1b"
    assert problems(kit.folder(tmp_path)) == [  # the row is left out: its month is a gap
        "demand_history:-:period: no rows for 2023-04 (a gap in the calendar), expected every "
        "period between the first and the last",
        "demand_history:5:product: found 'P\\x1b', expected text without control characters "
        "(U+0000–U+001F, U+007F)"]
