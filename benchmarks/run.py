"""The netdesign benchmark suite: ``make bench`` (= ``.venv/bin/python benchmarks/run.py``).

    run.py                      generation, cap (capa-8000, capb-8000), large, scale, resolve,
                                approx
    run.py --quick              a fast smoke run of every part (small sizes, short limits)
    run.py --only generation    one part: generation | cap | large | scale | resolve | approx |
                                levers
    run.py --only cap --full    all 12 capa/b/c variants, engine + plain, then the levers
    run.py --only cap --full --no-levers
    run.py --fresh              re-measure what the cap store already holds

Every figure is printed with its target and PASS / MISS; results go to ``benchmarks/results``
(CSV per part, ``summary.json`` with the machine, package versions, date and load).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, engine_version, freeze_engine, load, machine, read_json, write_json

PARTS = ("generation", "cap", "large", "scale", "resolve", "approx", "levers")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", choices=PARTS, action="append",
                    help="run only this part (repeatable)")
    ap.add_argument("--quick", action="store_true",
                    help="fast smoke run: small sizes, short limits")
    ap.add_argument("--full", action="store_true", help="cap: all 12 instances (+ levers)")
    ap.add_argument("--levers", action=argparse.BooleanOptionalAction, default=None,
                    help="cap: also measure the levers (default: with --full)")
    ap.add_argument("--fresh", action="store_true", help="cap: ignore stored runs")
    ap.add_argument("--snapshot", action="store_true",
                    help="measure HEAD's src/ frozen at the start (others may edit src/ meanwhile)")
    args = ap.parse_args(argv)
    if args.snapshot:
        print(f"engine: snapshot of {freeze_engine()}")
    parts = args.only or list(PARTS)
    mode = "quick" if args.quick else ("full" if args.full else "default")
    info = machine()
    info["engine"] = engine_version()
    print(f"netdesign benchmarks — {info['date']}, {info['cpu']}, {info['cores']} cores, "
          f"{info['ram_gb']} GB, load {info['load_avg']}")
    print("  " + ", ".join(f"{k} {info[k]}" for k in ("pyomo", "highspy", "numpy", "pandas",
                                                     "scipy")))
    figures: list[dict] = []
    for part in parts:
        print(f"\n== {part} ({mode}) ==", flush=True)
        start = time.perf_counter()
        module = __import__(f"part_{part}")
        if part == "cap":
            got = module.run(mode, fresh=args.fresh, levers=args.levers)
        else:
            got = module.run(mode)
        figures.extend(got)
        print(f"  ({part}: {time.perf_counter() - start:.0f} s, load {load()})")
    print("\n== figures ==")
    for f in figures:
        value = f["value"]
        shown = "-" if value is None else (f"{value:,.3g}" if isinstance(value, float) else value)
        print(f"  [{f['verdict']:4s}] {f['part']:10s} {f['name']}: {shown} {f.get('unit', '')}"
              f"   (target {f['target']})")
    summary = read_json(RESULTS / "summary.json") or {}
    summary.setdefault("parts", {})
    for part in parts:
        summary["parts"][part] = {"machine": info, "mode": mode,
                                  "figures": [f for f in figures if f["part"] == part]}
    summary["last_run"] = info
    write_json(RESULTS / "summary.json", summary)
    import report

    report.write_readme()
    return 0


if __name__ == "__main__":
    sys.exit(main())
