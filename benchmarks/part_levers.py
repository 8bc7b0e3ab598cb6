"""Part 7: decision-grade levers — what brings the demo baseline within 1 %, 0.5 % and 0.1 % of
its controllable cost (total − floor) fastest.

Each lever runs in a fresh worker on ``models/us_retail`` (one thread unless the lever is about
threads) and records the certified gap over time: the best *exact* incumbent against the best
valid bound, (incumbent − bound) / (incumbent − floor). The exact-MIP levers (plain HiGHS, + the
product-linking cuts, + the LP-support start) are timed from one run at 0.1 %; the search levers
(the engine: design-relaxation bound + exact flows; HiGHS parallel on 2 threads; a higher
heuristic effort; the fuel re-solve warm from the baseline) are run once per threshold, since the
engine stops at the gap it is asked for.
"""

from __future__ import annotations

from common import RESULTS, ROOT, load, run_worker, verdict, write_csv, write_json

EXACT_LEVERS = ("plain", "cuts", "start")
SEARCH_LEVERS = ("engine", "engine_parallel", "engine_heuristics", "resolve")
THRESHOLDS = (0.01, 0.005, 0.001)
TIME_LIMIT = 600.0


def run(mode: str, say=print) -> list[dict]:
    folder = str(ROOT / "models" / "us_retail")
    limit = 60.0 if mode == "quick" else TIME_LIMIT
    exact = EXACT_LEVERS[:1] if mode == "quick" else EXACT_LEVERS
    search = SEARCH_LEVERS[:1] if mode == "quick" else SEARCH_LEVERS
    thresholds = THRESHOLDS[:1] if mode == "quick" else THRESHOLDS
    rows = []
    for lever in exact:
        res = run_worker("lever", {"folder": folder, "lever": lever, "mip_gap": min(thresholds),
                                   "time_limit": limit}, timeout=3 * limit + 600)
        rows.append(_row(lever, res, {t: res.get(f"seconds_to_{t:g}") for t in thresholds}))
        say(_line(rows[-1], thresholds))
    for lever in search:
        reached, last = {}, {}
        for share in thresholds:
            res = run_worker("lever", {"folder": folder, "lever": lever, "mip_gap": share,
                                       "time_limit": limit}, timeout=3 * limit + 600)
            done = res.get("gap") is not None and res["gap"] <= share + 1e-12
            reached[share] = res.get("solve_seconds") if done else None
            last = res
        rows.append(_row(lever, last, reached))
        say(_line(rows[-1], thresholds))
    suffix = "_quick" if mode == "quick" else ""
    write_csv(RESULTS / f"levers{suffix}.csv", [{k: v for k, v in r.items() if k != "stages"}
                                                for r in rows])
    write_json(RESULTS / f"levers{suffix}.json", {"rows": rows})
    engine = next((r for r in rows if r["lever"] == "engine"), None)
    plain = next((r for r in rows if r["lever"] == "plain"), None)
    half = engine.get("seconds_to_0.005") if engine else None
    return [
        {"part": "levers", "name": "demo baseline to 0.5 % of controllable cost, engine",
         "value": half, "unit": "s", "target": f"≤ {limit:g} s (and below plain HiGHS)",
         "verdict": verdict(half is not None and (plain is None or plain.get(
             "seconds_to_0.005") is None or half <= plain["seconds_to_0.005"]))},
    ]


def _row(lever: str, res: dict, reached: dict) -> dict:
    row = {"lever": lever, "columns": res.get("columns"), "rows": res.get("rows"),
           "integer_columns": res.get("integer_columns"), "threads": res.get("threads"),
           "build_seconds": res.get("build_seconds"), "status": res.get("status"),
           "objective": res.get("objective"), "bound": res.get("bound"),
           "floor": res.get("floor"), "gap": res.get("gap"), "gap_total": res.get("gap_total"),
           "load_avg": load(), "engine": res.get("engine"), "error": res.get("error"),
           "stages": res.get("stages")}
    row.update({f"seconds_to_{t:g}": s for t, s in reached.items()})
    return row


def _line(row: dict, thresholds) -> str:
    times = ", ".join(f"{100 * t:g} %: " + (f"{row[f'seconds_to_{t:g}']:.0f} s"
                                           if row.get(f"seconds_to_{t:g}") is not None
                                           else "not reached") for t in thresholds)
    gap = row.get("gap")
    return (f"  {row['lever']:18s} {times}; last gap "
            f"{'-' if gap is None else f'{100 * gap:.2f} %'} ({row.get('status')}), "
            f"load {row['load_avg']}" + (f"; error {row['error']}" if row.get("error") else ""))
