"""Part 2: OR-Library capa/capb/capc (split allocation) — the engine against the plain strong
formulation built straight in highspy, and the solver levers tried on the plain one.

Every (instance, variant) is one worker process; its row goes to ``results/cap_runs.jsonl``
(the latest row per key wins), so an interrupted ``--full`` run resumes where it stopped
(``--fresh`` re-runs everything). ``results/cap.csv`` is the table of all recorded rows.
"""

from __future__ import annotations

import json
import time

from common import RESULTS, WORK, load, run_worker, verdict, write_csv

INSTANCES = [f"capa-{c}" for c in (8000, 10000, 12000, 14000)] + [
    f"capb-{c}" for c in (5000, 6000, 7000, 8000)] + [
    f"capc-{c}" for c in (5000, 5750, 6500, 7250)]
DEFAULT = ["capa-8000", "capb-8000"]
QUICK = ["capa-8000"]
VARIANTS = ["engine", "plain"]
LEVERS = ["cover", "start", "cover+start", "symmetry=false", "presolve=off", "units"]
#: the levers run on one instance of each family; ``cover`` (the main one) on all twelve
LEVER_INSTANCES = ["capa-8000", "capb-8000", "capc-7250"]
ALL_INSTANCE_LEVERS = ["cover"]
STORE = RESULTS / "cap_runs.jsonl"
PAUSE = WORK / "pause-cap"  # touch it to stop a long run between two measurements
RTOL = 1e-6
TIME_LIMIT = 600.0
THREADS = 1


def published() -> dict[str, float]:
    from netdesign.bench import published_optima

    return published_optima("orlib")


def stored() -> dict[tuple[str, str], dict]:
    rows: dict[tuple[str, str], dict] = {}
    if STORE.exists():
        for line in STORE.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                rows[(row["instance"], row["variant"])] = row
    return rows


def measure(instance: str, variant: str, time_limit: float, optimum: float) -> dict:
    args = {"name": instance, "time_limit": time_limit, "threads": THREADS}
    load_before = load()
    if variant == "engine":
        res = run_worker("orlib_engine", args, timeout=time_limit * 3 + 600)
    else:
        res = run_worker("orlib_plain", {**args, "levers": variant}, timeout=time_limit * 3 + 600)
    obj = res.get("objective")
    rel = abs(obj - optimum) / abs(optimum) if obj is not None else None
    row = {"instance": instance, "variant": variant, "published": optimum, "objective": obj,
           "rel_diff": rel, "match": rel is not None and rel <= RTOL,
           "status": res.get("status", "error"), "gap": res.get("gap"),
           "solve_seconds": res.get("solve_seconds"), "total_seconds": res.get("total_seconds"),
           "build_seconds": res.get("build_seconds"), "start_seconds": res.get("start_seconds"),
           "start_objective": res.get("start_objective"), "nodes": res.get("nodes"),
           "columns": res.get("columns"), "rows": res.get("rows"), "nonzeros": res.get("nonzeros"),
           "peak_mb": res.get("peak_mb"), "cpu_seconds": res.get("cpu_seconds"),
           "wall_seconds": res.get("wall_seconds"), "time_limit": time_limit, "threads": THREADS,
           "load_before": load_before, "load_after": load(),
           "date": time.strftime("%Y-%m-%d %H:%M"), "engine": res.get("engine"),
           "error": res.get("error")}
    STORE.parent.mkdir(parents=True, exist_ok=True)
    with STORE.open("a") as handle:
        handle.write(json.dumps(row) + "\n")
    return row


def run(mode: str, fresh: bool = False, levers: bool | None = None, say=print) -> list[dict]:
    """mode: quick | default | full. Returns figures (name, value, target, verdict)."""
    instances = {"quick": QUICK, "default": DEFAULT, "full": INSTANCES}[mode]
    time_limit = 120.0 if mode == "quick" else TIME_LIMIT
    variants = VARIANTS + (LEVERS if (levers if levers is not None else mode == "full") else [])
    optima = published()
    done = {} if fresh else stored()
    # engine and plain for every instance first, then the levers (the long tail): in --full
    # mode every lever on LEVER_INSTANCES and the ALL_INSTANCE_LEVERS on all twelve
    levers_on = [v for v in variants if v not in VARIANTS]
    plan = [(i, v) for i in instances for v in VARIANTS]
    plan += [(i, v) for v in levers_on for i in instances
             if i in LEVER_INSTANCES or v in ALL_INSTANCE_LEVERS or mode != "full"]
    for instance, variant in plan:
        if PAUSE.exists():
            say(f"  paused ({PAUSE} exists): the store keeps what is done")
            return figures(stored(), instances, time_limit)
        old = done.get((instance, variant))
        if old and not old.get("error") and old.get("time_limit") == time_limit:
            continue
        row = measure(instance, variant, time_limit, optima[instance])
        say(f"  {instance:11s} {variant:18s} {row['status']:10s} "
            f"{_s(row['total_seconds'])} s  obj {row['objective']}  "
            f"match {row['match']}  load {row['load_after']}")
    rows = stored()
    write_csv(RESULTS / "cap.csv", sorted(rows.values(), key=lambda r: (
        INSTANCES.index(r["instance"]) if r["instance"] in INSTANCES else 99,
        ([*VARIANTS, *LEVERS].index(r["variant"]) if r["variant"] in [*VARIANTS, *LEVERS]
         else 99))))
    return figures(rows, instances, time_limit)


def figures(rows: dict, instances: list[str], time_limit: float) -> list[dict]:
    out = []
    for inst in instances:
        eng, plain = rows.get((inst, "engine")), rows.get((inst, "plain"))
        if not eng or not plain:
            continue
        ratio = (eng["total_seconds"] / plain["total_seconds"]
                 if eng.get("total_seconds") and plain.get("total_seconds") else None)
        for side, row in (("engine", eng), ("plain", plain)):
            opt = row["status"] == "optimal" and row["match"]
            out.append({"part": "cap", "name": f"{inst} {side} seconds to optimality",
                        "value": row["total_seconds"], "unit": "s",
                        "target": f"optimal ≤ {time_limit:.0f} s, published optimum",
                        "verdict": verdict(opt and (row["total_seconds"] or 1e9) <= time_limit
                                           + 60)})
        out.append({"part": "cap", "name": f"{inst} engine/plain time ratio", "value": ratio,
                    "unit": "×", "target": "(reported)", "verdict": "-"})
    pairs = [(rows[(i, "engine")], rows[(i, "plain")]) for i in instances
             if (i, "engine") in rows and (i, "plain") in rows]
    if pairs:
        engine = sum(e["total_seconds"] or time_limit for e, _ in pairs)
        plain = sum(p["total_seconds"] or time_limit for _, p in pairs)
        stopped = sum(p["status"] != "optimal" for _, p in pairs)
        out.append({"part": "cap", "name": f"total engine / plain seconds over {len(pairs)} "
                    f"instances ({stopped} plain runs stopped at the limit: their time is a lower "
                    f"bound)", "value": engine / plain, "unit": "×", "target": "≤ 0.5×",
                    "verdict": verdict(engine / plain <= 0.5)})
    return out


def _s(x) -> str:
    return "-" if x is None else f"{x:7.1f}"


def table(rows: dict) -> list[dict]:
    """Engine vs plain side by side, one row per instance."""
    out = []
    for inst in INSTANCES:
        eng, plain = rows.get((inst, "engine")), rows.get((inst, "plain"))
        if not eng and not plain:
            continue
        row = {"instance": inst}
        for side, r in (("engine", eng), ("plain", plain)):
            r = r or {}
            row[f"{side}_status"] = r.get("status")
            row[f"{side}_seconds"] = r.get("total_seconds")
            row[f"{side}_match"] = r.get("match")
        if eng and plain and eng.get("total_seconds") and plain.get("total_seconds"):
            row["ratio"] = eng["total_seconds"] / plain["total_seconds"]
        out.append(row)
    return out
