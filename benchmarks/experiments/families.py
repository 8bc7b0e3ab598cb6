"""Experiment: seconds of each step of the engine's Pyomo build (parameters, variables, every
constraint family, costs), then the compile, on one model folder.

    .venv/bin/python benchmarks/experiments/families.py /tmp/netdesign-bench/gen-100x1000
"""

from __future__ import annotations

import sys
import time

import netdesign.optimization.model as model_mod
from netdesign.optimization import components, constraints, costs
from netdesign.optimization.highs import Compiled
from netdesign.validate import load_model

seconds: dict[str, float] = {}


def timed(module, name):
    fn = getattr(module, name)

    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0

    setattr(module, name, wrapper)


if __name__ == "__main__":
    data = load_model(sys.argv[1])
    model_mod.build_model(load_model(sys.argv[2]) if len(sys.argv) > 2 else data)  # warm-up
    seconds.clear()
    for name in ("add_parameters", "add_variables"):
        timed(model_mod, name)
    timed(model_mod, "add_costs")
    for name in dir(constraints):
        fn = getattr(constraints, name)
        if callable(fn) and getattr(fn, "__module__", "") == constraints.__name__ and not (
                name.startswith("_")) and name not in ("hub_products", "linear",
                                                        "stock_or_open", "variance_weight"):
            timed(constraints, name)
    t0 = time.perf_counter()
    m, ix = model_mod.build_model(data)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    c = Compiled.of(m)
    compile_s = time.perf_counter() - t0
    for name, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
        comp = getattr(m, name, None)
        print(f"{name:24s} {s:7.2f} s")
    print(f"{'build_model total':24s} {build:7.2f} s   compile {compile_s:.2f} s   "
          f"{len(c.columns)} cols {len(c.rows)} rows {c.matrix.nnz} nz")
    del components, costs
