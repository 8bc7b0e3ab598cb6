"""Markdown tables of the stored results, written into README.md between the result markers.

    .venv/bin/python benchmarks/report.py          # rewrite the tables in README.md
    .venv/bin/python benchmarks/report.py --print  # print them instead
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from common import HERE, RESULTS, read_json

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _rows(name: str) -> list[dict]:
    path = RESULTS / name
    if not path.exists():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


def _num(value, digits: int = 3, pct: bool = False) -> str:
    if value in (None, "", "None"):
        return "–"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if pct:
        return f"{100 * x:.2f} %"
    if abs(x) >= 1e5:
        return f"{x:,.0f}"
    return f"{x:,.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"


def _table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def generation() -> str:
    rows = _rows("generation.csv")
    if not rows:
        return "_not measured yet_"
    body = []
    for r in rows:
        body.append([
            r["instance"], _num(r["columns"]), _num(r["rows"]), _num(r["nonzeros"]),
            _num(r.get("pyomo_network")), _num(r.get("pyomo_index")),
            _num(r.get("pyomo_components")), _num(r.get("pyomo_compile")),
            _num(r.get("pyomo_pass")), _num(r.get("pyomo_seconds")),
            _num(r.get("direct_assemble")), _num(r.get("direct_pass")),
            _num(r.get("direct_seconds")), _num(r.get("ratio_model")),
            _num(r.get("ratio_total")), _num(r.get("pyomo_peak_mb")),
            _num(r.get("direct_peak_mb")), _num(r.get("memory_ratio")),
            {"True": "yes", "False": "NO"}.get(r.get("same_matrix"), "–"),
        ])
    head = ["instance", "columns", "rows", "nonzeros", "network s", "index s", "Pyomo components s",
            "compile s", "passModel s", "**Pyomo total s**", "direct assemble s",
            "direct passModel s", "**direct total s**", "**ratio (model phases)**",
            "ratio (end to end)", "Pyomo peak MB", "direct peak MB", "**memory ratio**",
            "same matrix"]
    notes = [r for r in rows if r.get("pyomo_error")]
    extra = "".join(f"\n\n{r['instance']}: Pyomo side — {r['pyomo_error']}" for r in notes)
    load = "; ".join(f"{r['instance']} {r.get('load_avg', '')}" for r in rows)
    return _table(head, body) + extra + f"\n\nLoad averages at the end of each row: {load}."


def cap() -> str:
    store = RESULTS / "cap_runs.jsonl"
    if not store.exists():
        return "_not measured yet_"
    rows: dict = {}
    for line in store.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            rows[(r["instance"], r["variant"])] = r
    from part_cap import INSTANCES, LEVERS

    body = []
    for inst in INSTANCES:
        e, p = rows.get((inst, "engine")), rows.get((inst, "plain"))
        if not e and not p:
            continue
        e, p = e or {}, p or {}
        ratio = (e["total_seconds"] / p["total_seconds"] if e.get("total_seconds")
                 and p.get("total_seconds") else None)
        body.append([
            inst, _num(e.get("published") or p.get("published"), 12),
            _status(e), _num(e.get("total_seconds")), _num(e.get("cpu_seconds")),
            _status(p), _num(p.get("total_seconds")), _num(p.get("cpu_seconds")),
            _num(ratio), _load(e), _load(p),
        ])
    out = _table(["instance", "published optimum", "engine result", "engine s", "engine CPU s",
                  "plain result", "plain s", "plain CPU s", "engine/plain", "load (engine)",
                  "load (plain)"], body)
    lever_rows = []
    for inst in INSTANCES:
        base = rows.get((inst, "plain"))
        for lev in LEVERS:
            r = rows.get((inst, lev))
            if not r:
                continue
            speed = (base["total_seconds"] / r["total_seconds"] if base and
                     base.get("total_seconds") and r.get("total_seconds") else None)
            lever_rows.append([inst, f"plain + {lev}", _status(r), _num(r.get("total_seconds")),
                               _num(r.get("start_seconds")),
                               _num(r.get("start_objective"), 10), _num(speed), _load(r)])
    if lever_rows:
        out += "\n\nLevers on the plain formulation (speed-up = plain s / lever s):\n\n" + _table(
            ["instance", "variant", "result", "s", "start heuristic s", "start objective",
             "speed-up", "load"], lever_rows)
    engines = sorted({str(r.get("engine")) for r in rows.values()})
    return out + f"\n\nEngine version(s): {', '.join(engines)}."


def _status(r: dict) -> str:
    if not r:
        return "–"
    if r.get("error"):
        return "error"
    if r.get("status") == "optimal" and r.get("match"):
        return "optimal ✓"
    if r.get("status") == "optimal":
        return "optimal ✗ (differs)"
    gap = r.get("gap")
    found = "optimum found" if r.get("match") else "incumbent"
    gap_txt = f"gap {100 * gap:.2f} %" if isinstance(gap, float) and gap < 1e9 else "no bound"
    return f"{r.get('status')} ({found}, {gap_txt})"


def _load(r: dict) -> str:
    la = r.get("load_after") or r.get("load_before")
    return f"{la[0]:.1f}" if la else "–"


def large() -> str:
    rows = _rows("large.csv")
    if not rows:
        return "_not measured yet_"
    body = [[f"{r['instance']}: {r['customers']} customers, {r['dcs']} DCs, {r['products']} "
             f"products", _num(r["columns"]), _num(r["rows"]), _num(r["nonzeros"]),
             _num(r["integer_columns"]), _num(r["build_seconds"]), _num(r["solve_seconds"]),
             r["status"] or "–", _num(r["gap"], pct=True), _num(r["peak_mb"]),
             r.get("error") or ""] for r in rows]
    return _table(["model", "columns", "rows", "nonzeros", "binaries", "build s", "solve s",
                   "status", "gap", "peak MB", "note"], body)


def scale() -> str:
    rows = _rows("scale.csv")
    if not rows:
        return "_not measured yet_"
    body = [[r["customers"], _num(r["columns"]), _num(r["rows"]), _num(r["nonzeros"]),
             _num(r["integer_columns"]), _num(r["build_seconds"]), _num(r["solve_seconds"]),
             r["status"] or "–", _num(r["gap"], pct=True), _num(r["peak_mb"]),
             _num(r.get("load_avg", "").strip("[]").split(",")[0])] for r in rows]
    return _table(["customers", "columns", "rows", "nonzeros", "binaries", "build s", "solve s",
                   "status", "gap", "peak MB", "load"], body) + "\n\n![scale](results/scale.png)"


def resolve() -> str:
    rows = _rows("resolve.csv")
    if not rows:
        return "_not measured yet_"
    r = rows[0]
    body = [[r["model"], _num(r["columns"]), f"{_num(r['warm_update'])} + "
             f"{_num(r['warm_solve'])} = **{_num(r['warm_seconds'])}**",
             f"{_num(r['cold_build'])} + {_num(r['cold_solve'])} = **{_num(r['cold_seconds'])}**",
             f"**{_num(r['ratio'])}×**", _num(r["warm_objective"], 12),
             _num(r["cold_objective"], 12), _num(r["objective_rel_diff"]),
             _num(r["mip_gap"])]]
    return _table(["model", "columns", "re-solve s (update + solve)", "rebuild s (build + solve)",
                   "ratio", "re-solve objective", "rebuild objective", "rel. diff", "MIP gap"],
                  body)


def approx() -> str:
    rows = _rows("approx.csv")
    if not rows:
        return "_not measured yet_"
    body = [[r["nearest_dcs"] or "exact", _num(r["columns"]), _num(r["solve_seconds"]),
             r["status"] or "–", _num(r["gap"], pct=True),
             _num(r.get("objective_vs_exact"), pct=True), _num(r.get("error_bound"), pct=True)]
            for r in rows]
    return _table(["nearest DCs", "columns", "solve s", "status", "gap", "objective vs exact",
                   "error ≤"], body)


def machine_line() -> str:
    s = read_json(RESULTS / "summary.json") or {}
    parts = s.get("parts", {})
    lines = []
    for part, info in parts.items():
        m = info.get("machine", {})
        lines.append(f"- {part} ({info.get('mode')}): {m.get('date')}, {m.get('cpu')}, "
                     f"{m.get('cores')} cores, {m.get('ram_gb')} GB, load {m.get('load_avg')}, "
                     f"engine {m.get('engine', m.get('commit'))}; pyomo {m.get('pyomo')}, "
                     f"highspy {m.get('highspy')}, numpy {m.get('numpy')}, "
                     f"pandas {m.get('pandas')}")
    return "\n".join(lines)


def render() -> str:
    return "\n\n".join([
        "### Runs\n\n" + machine_line(),
        "### 1. Generation: Pyomo route vs direct highspy build\n\n" + generation(),
        "### 2. OR-Library capa/capb/capc: engine vs plain strong formulation\n\n" + cap(),
        "### 3. Large generated network\n\n" + large(),
        "### 3b. Scale curve\n\n" + scale(),
        "### 4. Scenario re-solve\n\n" + resolve(),
        "### 5. Approximate k-nearest-DC reduction on the demo\n\n" + approx(),
    ])


def write_readme() -> None:
    path = HERE / "README.md"
    text = path.read_text() if path.exists() else f"{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n\n{render()}\n\n{END}{tail}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if "--print" in sys.argv:
        print(render())
    else:
        write_readme()
