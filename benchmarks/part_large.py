"""Part 3: a large generated network (models/generate.py, pooling on, 5 modes), and the scale
curve over the number of customers.

``large``: generate(customers=2000, dcs=100, products=50) — size, build time, time to a 1 % gap
(time limit 600 s), peak memory. Targets: ≤ 1 % gap within 10 min, ≤ 8 GB. The exact model first,
then the same network with the approximate k-nearest-DC reduction (its error: ``part_approx``).
``scale``: customers 250 … 4000 at SCALE_DCS DCs and SCALE_PRODUCTS products (the full 100 × 50
of ``large`` reaches ~3M flow columns at 2 000 customers already) → ``results/scale.csv`` + PNG.
"""

from __future__ import annotations

from common import RESULTS, WORK, load, run_worker, verdict, write_csv, write_json

LARGE = {"customers": 2000, "dcs": 100, "products": 50}
QUICK_LARGE = {"customers": 300, "dcs": 40, "products": 20}
SCALE_CUSTOMERS = [250, 500, 1000, 2000, 4000]
QUICK_SCALE = [100, 200]
SCALE_DCS, SCALE_PRODUCTS = 50, 10
TIME_LIMIT, GAP, MAX_GB = 600.0, 0.01, 8.0
ADDRESS_CAP_GB = 22.0  # the worker's address-space cap (at most; less when less is available)
THREADS = 1  # one core each: the cap part runs beside it on the other (HiGHS's B&B is serial)
NEAREST_K = 4  # the approximate variant of ``large``: each customer served by its 4 nearest DCs


def _network(shape: dict) -> str:
    folder = str(WORK / f"net-{shape['customers']}c-{shape['dcs']}dc-{shape['products']}p")
    made = run_worker("make_network", {"out": folder, **shape})
    if made.get("error"):
        raise RuntimeError(f"generate {shape}: {made['error']}")
    return folder


def _solve(folder: str, time_limit: float, nearest_dcs: int | None = None) -> dict:
    from part_generation import available_mb

    cap = round(min(ADDRESS_CAP_GB, max(available_mb() - 1500, 1000) / 1024), 1)
    res = run_worker("network_solve", {"folder": folder, "time_limit": time_limit,
                                       "mip_gap": GAP, "max_gb": cap, "threads": THREADS,
                                       "nearest_dcs": nearest_dcs},
                     timeout=time_limit * 3 + 7200)
    res["address_cap_gb"] = cap
    return res


def _row(name: str, shape: dict, res: dict) -> dict:
    ph = res.get("phases", {})
    gap = res.get("gap")
    within = gap is not None and gap <= GAP + 1e-12
    return {"instance": name, **shape, "columns": res.get("columns"), "rows": res.get("rows"),
            "nonzeros": res.get("nonzeros"), "integer_columns": res.get("integer_columns"),
            "flow_arcs": res.get("flow_arcs"), "segments": res.get("segments"),
            "load_seconds": ph.get("load"), "build_seconds": res.get("build_seconds"),
            "network_seconds": ph.get("network"), "index_seconds": ph.get("index"),
            "pyomo_seconds": ph.get("pyomo"), "compile_seconds": ph.get("compile"),
            "pass_seconds": ph.get("pass"), "solve_seconds": res.get("solve_seconds"),
            "time_to_gap": res.get("solve_seconds") if within else None,
            "status": res.get("status"), "gap": gap, "objective": res.get("objective"),
            "bound": res.get("bound"), "threads": res.get("threads"),
            "build_peak_mb": res.get("build_peak_mb"), "peak_mb": res.get("peak_mb"),
            "cpu_seconds": res.get("cpu_seconds"), "wall_seconds": res.get("wall_seconds"),
            "address_cap_gb": res.get("address_cap_gb"), "load_avg": load(),
            "engine": res.get("engine"), "error": res.get("error")}


def run(mode: str, say=print) -> list[dict]:
    return run_large(mode, say)


def run_large(mode: str, say=print) -> list[dict]:
    """The network with the approximate k-nearest-DC reduction, then the exact model (last: it
    needs the most memory)."""
    shape = QUICK_LARGE if mode == "quick" else LARGE
    limit = 120.0 if mode == "quick" else TIME_LIMIT
    folder = _network(shape)
    rows, figures = [], []
    for name, k in ((f"large nearest-{NEAREST_K}", NEAREST_K), ("large", None)):
        res = _solve(folder, limit, nearest_dcs=k)
        row = _row(name, shape, res)
        row["nearest_dcs"] = k
        if k is None:
            ref = run_worker("gen_direct", {"folder": folder, "sign": False}, timeout=7200)
            row.update(direct_build_seconds=ref.get("build_seconds"),
                       direct_peak_mb=ref.get("peak_mb"), direct_columns=ref.get("columns"),
                       direct_error=ref.get("error"))
            if row["columns"] is None and ref.get("columns"):  # Pyomo side died: size from direct
                row.update({c: ref.get(c) for c in ("columns", "rows", "nonzeros",
                                                    "integer_columns")})
        say(f"  {name} {shape}: {_n(row['columns'])} columns, {_n(row['rows'])} rows, "
            f"{_n(row['nonzeros'])} nz; build {_f(row['build_seconds'])} s, solve "
            f"{_f(row['solve_seconds'])} s, status {row['status']}, gap {_pct(row['gap'])}, "
            f"peak {_f(row['peak_mb'])} MB{'; ' + row['error'] if row['error'] else ''}")
        rows.append((row, res.get("trace")))
        figures += _large_figures(name, shape, row, limit)
    out = "large_quick" if mode == "quick" else "large"
    write_csv(RESULTS / f"{out}.csv", [r for r, _ in rows])
    write_json(RESULTS / f"{out}.json", {"rows": [{"row": r, "trace": t} for r, t in rows]})
    return figures


def _large_figures(name: str, shape: dict, row: dict, limit: float) -> list[dict]:
    peak = row["peak_mb"]
    return [
        {"part": "large", "name": f"{name} {shape} size", "value": f"{_n(row['columns'])} cols "
         f"/ {_n(row['rows'])} rows / {_n(row['nonzeros'])} nz", "unit": "",
         "target": "(reported)", "verdict": "-"},
        {"part": "large", "name": f"{name} build seconds", "value": row["build_seconds"],
         "unit": "s", "target": "(reported)", "verdict": "-"},
        {"part": "large", "name": f"{name} time to 1 % gap", "value": row["time_to_gap"],
         "unit": "s", "target": f"≤ 1 % gap within {limit:.0f} s",
         "verdict": verdict(row["time_to_gap"] is not None and row["time_to_gap"] <= limit + 5)},
        {"part": "large", "name": f"{name} peak memory", "value": peak, "unit": "MB",
         "target": f"≤ {MAX_GB:g} GB",
         "verdict": verdict(peak is not None and not row["error"] and peak <= MAX_GB * 1024)},
    ]


def run_scale(mode: str, say=print) -> list[dict]:
    customers = QUICK_SCALE if mode == "quick" else SCALE_CUSTOMERS
    limit = 60.0 if mode == "quick" else TIME_LIMIT
    rows = []
    for n in customers:
        shape = {"customers": n, "dcs": SCALE_DCS, "products": SCALE_PRODUCTS}
        res = _solve(_network(shape), limit)
        row = _row(f"scale-{n}", shape, res)
        rows.append(row)
        say(f"  {n:5d} customers: {_n(row['columns'])} cols, {_n(row['rows'])} rows, "
            f"{_n(row['nonzeros'])} nz; build {_f(row['build_seconds'])} s, solve "
            f"{_f(row['solve_seconds'])} s, gap {_pct(row['gap'])}, peak {_f(row['peak_mb'])} MB,"
            f" load {row['load_avg']}")
    name = "scale_quick" if mode == "quick" else "scale"
    write_csv(RESULTS / f"{name}.csv", rows)
    plot(rows, RESULTS / f"{name}.png", limit)
    out = []
    for row in rows:
        ok = row["gap"] is not None and row["gap"] <= GAP + 1e-12
        out.append({"part": "scale", "name": f"{row['customers']} customers: build / solve s, gap",
                    "value": f"{_f(row['build_seconds'])} / {_f(row['solve_seconds'])} s, "
                    f"{_pct(row['gap'])}", "unit": "", "target": f"≤ 1 % gap within {limit:.0f} s",
                    "verdict": verdict(ok)})
    return out


def plot(rows: list[dict], path, limit: float = TIME_LIMIT) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    ok = [r for r in rows if r.get("columns")]
    if not ok:
        return False
    x = [r["customers"] for r in ok]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(x, [r["columns"] for r in ok], "o-", label="columns")
    ax1.plot(x, [r["rows"] for r in ok], "s-", label="rows")
    ax1.plot(x, [r["nonzeros"] for r in ok], "^-", label="nonzeros")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("customers")
    ax1.set_title(f"model size ({SCALE_DCS} DCs, {SCALE_PRODUCTS} products)")
    ax1.legend()
    ax2.plot(x, [r["build_seconds"] or float("nan") for r in ok], "o-", label="build (s)")
    ax2.plot(x, [r["solve_seconds"] or float("nan") for r in ok], "s-", label="solve (s)")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("customers")
    ax2.set_title(f"seconds (solve to 1 % gap, limit {limit:.0f} s)")
    for r in ok:
        if r["gap"] is not None:
            ax2.annotate(f"gap {100 * r['gap']:.2g}%", (r["customers"], r["solve_seconds"] or 1),
                         fontsize=7, textcoords="offset points", xytext=(4, -10))
    ax2.legend()
    for ax in (ax1, ax2):
        ax.set_xticks(x, [f"{v:,}" for v in x], minor=False)
        ax.set_xticks([], minor=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _n(x) -> str:
    return "-" if x is None else f"{x:,}"


def _f(x) -> str:
    return "-" if x is None else f"{x:,.1f}"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f} %"
