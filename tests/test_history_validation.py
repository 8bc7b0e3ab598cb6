"""The demand_history and demand_profile tables are validated like every other table: each
problem as table:row:column, all of them at once."""

from __future__ import annotations

import pytest

from modelkit import Kit
from netdesign.io import read_model
from netdesign.validate import ModelValidationError, validate


def weekly_kit(weeks: int = 70, start_year: int = 2024) -> Kit:
    kit = Kit("history check")
    kit.dc("A").customer("C1", region="R").lane("A", "C1", cost=1.0)
    kit.product("P", unit_value=1.0, unit_price=2.0)
    for w in range(weeks):
        year, week = start_year + w // 52, w % 52 + 1
        kit.add("demand_history", customer="C1", product="P", period=f"{year}-W{week:02d}",
                units=10, orders=2)
    return kit


def problems(kit: Kit, tmp_path) -> list[str]:
    with pytest.raises(ModelValidationError) as err:
        validate(read_model(kit.folder(tmp_path)))
    return [str(p) for p in err.value.problems]


def test_a_valid_history_replaces_the_missing_demand_table(tmp_path):
    data = validate(read_model(weekly_kit().folder(tmp_path)))
    assert len(data.demand_history) == 70 and data.demand.empty


def test_every_row_problem_is_named_by_table_row_and_column(tmp_path):
    kit = weekly_kit()
    rows = kit.tables["demand_history"]
    rows[0]["units"] = -3          # CSV line 2
    rows[1]["units"] = "many"      # line 3
    rows[2]["period"] = "2024-W60"  # line 4: no such ISO week
    rows[3]["orders"] = -1         # line 5
    rows[4]["customer"] = "C9"     # line 6: unknown
    rows[5]["product"] = "Q"       # line 7: unknown
    rows.append(dict(rows[10]))    # line 72: duplicate of line 12
    found = problems(kit, tmp_path)
    assert "demand_history:2:units: found -3, expected a number ≥ 0" in found
    assert "demand_history:3:units: found 'many', expected a number" in found
    assert ("demand_history:4:period: found '2024-W60', expected an ISO week like 2025-W07 or a "
            "month like 2025-07") in found
    assert "demand_history:5:orders: found -1, expected a number ≥ 0" in found
    assert ("demand_history:6:customer: unknown customer 'C9', expected an id listed in "
            "customers") in found
    assert "demand_history:7:product: unknown product 'Q', expected an id listed in products" in (
        found)
    assert any(p.startswith("demand_history:72:period: duplicate key ('C1', 'P', '2024-W11') "
                            "(first at row 12)") for p in found)


def test_weeks_and_months_do_not_mix(tmp_path):
    kit = weekly_kit()
    kit.tables["demand_history"][20]["period"] = "2024-05"
    found = problems(kit, tmp_path)
    assert ("demand_history:22:period: found '2024-05', expected an ISO week like 2025-W07, as "
            "in the table's other rows") in found


def test_a_gap_in_the_calendar_is_reported(tmp_path):
    kit = weekly_kit()
    del kit.tables["demand_history"][30:32]  # 2024-W31 and W32: no row at all
    found = problems(kit, tmp_path)
    assert found == ["demand_history:-:period: no rows for 2024-W31, 2024-W32 (a gap in the "
                     "calendar), expected every period between the first and the last"]


def test_history_too_short_for_the_method(tmp_path):
    kit = weekly_kit(weeks=70)  # 16 months
    kit.set("forecast.method", "ets")
    found = problems(kit, tmp_path)
    assert len(found) == 1 and found[0].startswith(
        "demand_history:2:period: product 'P' has 16 month(s) of history, expected at least 27 "
        "for forecast.method ets")
    kit = weekly_kit(weeks=20)  # 5 months: too short even for a moving average and a backtest
    assert problems(kit, tmp_path)[0].startswith(
        "demand_history:2:period: product 'P' has 5 month(s) of history, expected at least 6")


def test_profile_shares_add_up_to_one(tmp_path):
    kit = weekly_kit()
    for month in range(1, 13):
        kit.add("demand_profile", product="P", month=month, share=0.08)
    assert problems(kit, tmp_path) == [
        "demand_profile:2:share: shares of 'P' add up to 0.9600, expected shares adding up to 1 "
        "over the product's months"]
