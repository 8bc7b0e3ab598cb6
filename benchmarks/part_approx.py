"""Part 5: the approximate k-nearest-DC reduction (``reductions: {nearest_dcs: k}``, off by
default), its error measured on the demo model ``models/us_retail``.

The exact model and the model whose customers are served only by their k nearest DCs are solved to
the same gap. The reduction only removes arcs, so its optimum is never below the exact optimum;
from the solved runs its error is at most (objective_k − bound_exact) / bound_exact, an upper
bound on how much dearer the approximate design is than the exact optimum. The plain objective
difference (which the two runs' gaps blur) is reported beside it.
"""

from __future__ import annotations

from common import RESULTS, ROOT, load, run_worker, write_csv

KS = (3, 8)
QUICK_KS = (3,)
GAP, TIME_LIMIT = 0.005, 300.0


def run(mode: str, say=print) -> list[dict]:
    folder = str(ROOT / "models" / "us_retail")
    limit = 60.0 if mode == "quick" else TIME_LIMIT
    runs = {}
    for k in (None, *(QUICK_KS if mode == "quick" else KS)):
        res = run_worker("network_solve", {"folder": folder, "time_limit": limit,
                                           "mip_gap": GAP, "nearest_dcs": k}, timeout=3 * 3600)
        runs[k] = res
        say(f"  nearest_dcs={k}: {res.get('columns')} columns, {res.get('status')}, objective "
            f"{res.get('objective')}, bound {res.get('bound')}, gap {res.get('gap')}, "
            f"{res.get('solve_seconds')} s")
    exact = runs[None]
    rows, figures = [], []
    for k, res in runs.items():
        row = {"nearest_dcs": k, "columns": res.get("columns"), "rows": res.get("rows"),
               "nonzeros": res.get("nonzeros"), "build_seconds": res.get("build_seconds"),
               "solve_seconds": res.get("solve_seconds"), "status": res.get("status"),
               "objective": res.get("objective"), "bound": res.get("bound"),
               "gap": res.get("gap"), "mip_gap": GAP, "time_limit": limit, "load_avg": load(),
               "engine": res.get("engine"), "error": res.get("error")}
        if k is not None and row["objective"] and exact.get("bound") and exact.get("objective"):
            row["error_bound"] = (row["objective"] - exact["bound"]) / exact["bound"]
            row["objective_vs_exact"] = (row["objective"] - exact["objective"]) / exact["objective"]
            row["column_share"] = row["columns"] / exact["columns"]
            figures.append({
                "part": "approx", "name": f"nearest_dcs={k}: columns / solve s / error bound",
                "value": f"{100 * row['column_share']:.0f} % / {row['solve_seconds']:.0f} s vs "
                f"{exact['solve_seconds']:.0f} s / ≤ {100 * row['error_bound']:.2f} % "
                f"(objective {100 * row['objective_vs_exact']:+.2f} % vs exact)",
                "unit": "", "target": "(reported: approximate, off by default)", "verdict": "-"})
        rows.append(row)
    write_csv(RESULTS / ("approx_quick.csv" if mode == "quick" else "approx.csv"), rows)
    return figures
