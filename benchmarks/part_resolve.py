"""Part 4: scenario re-solve — fuel_index 1.0 → 1.2 on the demo model, through the persistent
model (``NetworkModel.update`` + ``solve``, warm start) against a new ``NetworkModel`` built and
solved from scratch. Target: ≥ 5× faster, objectives equal within the MIP gap.
"""

from __future__ import annotations

from common import RESULTS, ROOT, WORK, load, run_worker, verdict, write_csv, write_json

TARGET = 5.0
FUEL = 1.2


def run(mode: str, say=print) -> list[dict]:
    if mode == "quick":
        folder = str(WORK / "net-60c-10dc-3p")
        made = run_worker("make_network", {"out": folder, "customers": 60, "dcs": 10,
                                           "products": 3})
        if made.get("error"):
            raise RuntimeError(made["error"])
        name = "quick network 60 customers"
    else:
        folder, name = str(ROOT / "models" / "us_retail"), "us_retail"
    res = run_worker("resolve", {"folder": folder, "fuel_index": FUEL}, timeout=3 * 3600)
    if res.get("error"):
        say(f"  {name}: failed: {res['error']}")
        return [{"part": "resolve", "name": f"{name} re-solve", "value": None, "unit": "",
                 "target": f"≥ {TARGET:g}×", "verdict": "MISS"}]
    warm, cold = res["warm"], res["cold"]
    ratio = res["cold_seconds"] / res["warm_seconds"]
    gap = res["mip_gap"]
    both = warm["objective"] is not None and cold["objective"] is not None
    rel = abs(warm["objective"] - cold["objective"]) / abs(cold["objective"]) if both else None
    ph = res["phases"]
    row = {"model": name, "columns": res["columns"], "rows": res["rows"],
           "nonzeros": res["nonzeros"], "fuel_index": FUEL, "mip_gap": gap,
           "time_limit": res["time_limit"], "threads": res["threads"],
           "base_build": ph["base_build"], "base_solve": ph["base_solve"],
           "warm_update": ph["warm_update"], "warm_solve": ph["warm_solve"],
           "cold_build": ph["cold_build"], "cold_solve": ph["cold_solve"],
           "warm_seconds": res["warm_seconds"], "cold_seconds": res["cold_seconds"],
           "ratio": ratio, "warm_objective": warm["objective"], "warm_gap": warm["gap"],
           "warm_status": warm["status"], "cold_objective": cold["objective"],
           "cold_gap": cold["gap"], "cold_status": cold["status"],
           "base_objective": res["base"]["objective"], "objective_rel_diff": rel,
           "changes": res["changes"], "peak_mb": res.get("peak_mb"),
           "cpu_seconds": res.get("cpu_seconds"), "load_avg": load(), "engine": res.get("engine"),
           "warm_kept_previous": warm.get("kept_previous")}
    say(f"  {name}: warm {row['warm_seconds']:.1f} s (update {row['warm_update']:.1f} + solve "
        f"{row['warm_solve']:.1f}) vs cold {row['cold_seconds']:.1f} s (build "
        f"{row['cold_build']:.1f} + solve {row['cold_solve']:.1f}) = {ratio:.1f}×; previous "
        f"solution {'kept (LP bound within the gap)' if row['warm_kept_previous'] else 'improved'}"
        f"; objectives "
        f"{warm['objective']} / {cold['objective']} (rel diff {rel}); load {row['load_avg']}")
    suffix = "_quick" if mode == "quick" else ""
    write_csv(RESULTS / f"resolve{suffix}.csv", [row])
    write_json(RESULTS / f"resolve{suffix}.json", {"row": row, "raw": res})
    return [
        {"part": "resolve", "name": f"{name} fuel {FUEL}: rebuild/re-solve time", "unit": "×",
         "value": ratio, "target": f"≥ {TARGET:g}×", "verdict": verdict(ratio >= TARGET)},
        {"part": "resolve", "name": f"{name} warm vs cold objective, relative difference",
         "unit": "", "value": rel, "target": f"≤ MIP gap {gap:g}",
         "verdict": verdict(rel is not None and rel <= gap + 1e-12)},
    ]
