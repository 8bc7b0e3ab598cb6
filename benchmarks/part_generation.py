"""Part 1: model generation — the engine's Pyomo route (``NetworkModel(data)``) against a direct
numpy/scipy → highspy build of the same matrix (:mod:`direct`), each side in its own process.

Instances: OR-Library-like generated CFLPs (:func:`cflp.generate_instance`) imported as ordinary
model folders with :func:`netdesign.importers.write_instance` — 100 facilities × 1 000 / 6 000 /
15 000 / 30 000 customers ≈ 100k / 600k / 1.5M / 3M columns — and the demo model
``models/us_retail`` (every constraint family but single sourcing; a check that the direct build
covers them). The Pyomo side is skipped when its peak, extrapolated from the previous size, would
not fit in the memory available (the machine is shared), and runs under an address-space cap.
"""

from __future__ import annotations

from pathlib import Path

from common import RESULTS, ROOT, WORK, load, run_worker, verdict, write_csv, write_json

SIZES = {  # name: (facilities, customers)
    "cflp-100k": (100, 1000),
    "cflp-600k": (100, 6000),
    "cflp-1.5M": (100, 15000),
    "cflp-3M": (100, 30000),
}
QUICK = {"cflp-10k": (20, 500)}
TARGET_RATIO, STRETCH_RATIO, TARGET_MEMORY = 10.0, 5.0, 3.0
MEMORY_FACTOR = 1.2  # refuse a Pyomo run whose extrapolated peak exceeds available RAM / this


def available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def run(mode: str, say=print) -> list[dict]:
    sizes = QUICK if mode == "quick" else SIZES
    cases = [(name, fc) for name, fc in sizes.items()]
    if mode != "quick":
        cases.append(("us_retail", None))
    rows, figures = [], []
    per_column_mb = None  # Pyomo peak MB per column, from the previous size
    for name, fc in cases:
        if fc is None:
            folder = str(ROOT / "models" / "us_retail")
        else:
            folder = str(WORK / f"gen-{fc[0]}x{fc[1]}")
            made = run_worker("make_cflp", {"facilities": fc[0], "customers": fc[1],
                                            "out": folder})
            if made.get("error"):
                say(f"  {name}: could not write the instance: {made['error']}")
                continue
        direct = run_worker("gen_direct", {"folder": folder})
        if direct.get("error"):
            say(f"  {name}: direct build failed: {direct['error']}")
            continue
        columns = direct["columns"]
        need = per_column_mb * columns * MEMORY_FACTOR if per_column_mb else 0.0
        if need > available_mb():
            say(f"  {name}: Pyomo side skipped: needs ~{need:,.0f} MB, "
                f"{available_mb():,.0f} MB available")
            pyomo = {"error": f"skipped: extrapolated peak {need:,.0f} MB > available"}
        else:
            cap_gb = max(available_mb() - 2500, 1000) / 1024
            pyomo = run_worker("gen_pyomo", {"folder": folder, "max_gb": round(cap_gb, 1)})
        row = _row(name, direct, pyomo)
        rows.append(row)
        if not pyomo.get("error") and fc is not None:
            per_column_mb = pyomo["peak_mb"] / pyomo["columns"]
        say(f"  {name}: {columns:,} columns, {direct['rows']:,} rows, {direct['nonzeros']:,} nz; "
            f"pyomo {_f(row['pyomo_seconds'])} s (model {_f(row['pyomo_model_seconds'])}), "
            f"direct {_f(row['direct_seconds'])} s (model {_f(row['direct_model_seconds'])}); "
            f"ratio {_f(row['ratio_model'])}× model / {_f(row['ratio_total'])}× end-to-end; "
            f"memory {_f(row['pyomo_peak_mb'])} / {_f(row['direct_peak_mb'])} MB "
            f"= {_f(row['memory_ratio'])}×; same matrix {row['same_matrix']}; load {load()}")
        figures += _figures(name, row)
    write_csv(RESULTS / ("generation_quick.csv" if mode == "quick" else "generation.csv"), rows)
    write_json(RESULTS / ("generation_quick.json" if mode == "quick" else "generation.json"),
               {"rows": rows})
    return figures


def _row(name: str, d: dict, p: dict) -> dict:
    row = {"instance": name, "columns": d.get("columns"), "rows": d.get("rows"),
           "nonzeros": d.get("nonzeros"), "integer_columns": d.get("integer_columns"),
           "load_avg": load(), "engine": d.get("engine")}
    dp = d.get("phases", {})
    row.update({
        "direct_seconds": d.get("build_seconds"), "direct_model_seconds": d.get("model_seconds"),
        "direct_network": dp.get("network"), "direct_index": dp.get("index"),
        "direct_assemble": dp.get("assemble"), "direct_pass": dp.get("pass"),
        "direct_peak_mb": d.get("peak_mb"), "direct_after_load_mb": d.get("after_load_mb"),
        "load_seconds": dp.get("load"),
    })
    if p.get("error"):
        row["pyomo_error"] = p["error"]
        return {**row, "same_matrix": None, "ratio_model": None, "ratio_total": None,
                "memory_ratio": None, "pyomo_seconds": None, "pyomo_model_seconds": None,
                "pyomo_peak_mb": None}
    pp = p["phases"]
    row.update({
        "pyomo_seconds": p["build_seconds"], "pyomo_model_seconds": p["model_seconds"],
        "pyomo_network": pp.get("network"), "pyomo_index": pp.get("index"),
        "pyomo_components": pp.get("pyomo"), "pyomo_compile": pp.get("compile"),
        "pyomo_pass": pp.get("pass"), "pyomo_peak_mb": p["peak_mb"],
        "pyomo_after_load_mb": p.get("after_load_mb"),
    })
    import direct as direct_mod

    row["same_matrix"] = bool(direct_mod.same_signature(p["signature"], d["signature"]))
    row["pyomo_shape"] = f"{p['columns']}x{p['rows']}/{p['nonzeros']}"
    row["ratio_model"] = p["model_seconds"] / d["model_seconds"]
    row["ratio_total"] = p["build_seconds"] / d["build_seconds"]
    row["memory_ratio"] = p["peak_mb"] / d["peak_mb"]
    pm = p["peak_mb"] - p["after_load_mb"]
    dm = d["peak_mb"] - d["after_load_mb"]
    row["memory_ratio_increment"] = pm / dm if dm > 0 else None
    return row


def _figures(name: str, row: dict) -> list[dict]:
    out = [{"part": "generation", "name": f"{name} same matrix (rows, columns, nonzeros, "
            "entries)", "value": row["same_matrix"], "unit": "", "target": "identical",
            "verdict": verdict(row["same_matrix"])}]
    if row["ratio_model"] is None:
        return out
    formal = name == "cflp-600k"
    out += [
        {"part": "generation", "name": f"{name} Pyomo/direct time, model phases", "unit": "×",
         "value": row["ratio_model"], "target": f"≤ {TARGET_RATIO:g}× (stretch ≤ "
         f"{STRETCH_RATIO:g}×){' — the formal target' if formal else ''}",
         "verdict": verdict(row["ratio_model"] <= TARGET_RATIO)
         + (" (stretch met)" if row["ratio_model"] <= STRETCH_RATIO else "")},
        {"part": "generation", "name": f"{name} Pyomo/direct time, end to end from ModelData",
         "unit": "×", "value": row["ratio_total"], "target": f"≤ {TARGET_RATIO:g}×",
         "verdict": verdict(row["ratio_total"] <= TARGET_RATIO)},
        {"part": "generation", "name": f"{name} Pyomo/direct peak memory", "unit": "×",
         "value": row["memory_ratio"], "target": f"≤ {TARGET_MEMORY:g}×",
         "verdict": verdict(row["memory_ratio"] <= TARGET_MEMORY)},
    ]
    return out


def _f(x) -> str:
    return "-" if x is None else f"{x:,.2f}"
