"""One measurement in a fresh process: ``python benchmarks/worker.py TASK '{json args}'``.

Prints ``RESULT {json}`` (see :mod:`common`); the peak resident set it reports (``peak_mb``) is
this process's, so each side of a comparison is measured alone. ``base_mb`` is the resident set
right after the imports, before any work.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Timer, emit, peak_mb, reset_peak, rss_mb

TASKS = {}


def task(fn):
    TASKS[fn.__name__] = fn
    return fn


# -- OR-Library capa/b/c -------------------------------------------------------------------------


@task
def orlib_engine(name: str, time_limit: float = 600, threads: int = 1,
                 folder: str | None = None) -> dict:
    """import → load_model → NetworkModel → solve, as netdesign.bench.run_benchmarks does."""
    from netdesign.bench import default_folder, import_instance
    from netdesign.solve import NetworkModel
    from netdesign.validate import load_model

    t = Timer()
    folder = folder or str(default_folder("orlib"))
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        with t("import"):
            path = import_instance("orlib", folder, name, Path(tmp) / name)
        with t("load"):
            data = load_model(path)
    with t("build"):
        nm = NetworkModel(data)
    with t("solve"):
        res = nm.solve(time_limit=time_limit, mip_gap=0.0, threads=threads,
                       log_path=_log_path(f"cap-{name}-engine"))
    return {"objective": res.objective, "bound": res.bound, "gap": res.gap, "status": res.status,
            "solve_seconds": t.seconds["solve"], "build_seconds": t.seconds["build"],
            "prep_seconds": t.seconds["import"] + t.seconds["load"],
            "total_seconds": sum(t.seconds.values()), **nm.size,
            "nodes": _nodes(res.solver_log)}


@task
def orlib_plain(name: str, levers: str = "plain", time_limit: float = 600, threads: int = 1,
                folder: str | None = None) -> dict:
    from cflp import Levers, solve_plain, with_capacity

    from netdesign.bench import default_folder, instance_source
    from netdesign.importers import read_orlib

    folder = folder or str(default_folder("orlib"))
    path, capacity = instance_source("orlib", folder, name)
    inst = with_capacity(read_orlib(path), capacity)
    return solve_plain(inst, Levers.parse(levers), time_limit=time_limit, threads=threads,
                       log_path=_log_path(f"cap-{name}-{levers}"))


def _log_path(stem: str) -> Path:
    from common import WORK

    folder = WORK / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (stem.replace("/", "_").replace("=", "_") + ".log")


def _nodes(log: str) -> int | None:
    for line in log.splitlines():
        if line.strip().startswith("Nodes") and line.split()[-1].isdigit():
            return int(line.split()[-1])
    return None


# -- generation: Pyomo route vs direct highspy build ----------------------------------------------


@task
def gen_pyomo(folder: str, sign: bool = True, max_gb: float | None = None) -> dict:
    """load_model, then NetworkModel(data) with its phases timed: network (build_network),
    index (build_index), pyomo (the model components), compile (LinearStandardFormCompiler),
    pass (highspy passModel). ``max_gb`` caps the address space (a MemoryError, not the OOM
    killer, when the machine has too little memory for it)."""
    _cap_memory(max_gb)
    from netdesign.solve import NetworkModel

    t = Timer()
    data, memory = _load_then_reset_peak(folder, t)
    _time_engine_phases(t)
    with t("total"):
        nm = NetworkModel(data)
    phases = dict(t.seconds)
    phases["pyomo"] = nm.generate_seconds - phases["network"] - phases["index"]
    out = {"phases": phases, "build_seconds": phases["total"],
           "model_seconds": phases["total"] - phases["network"] - phases["index"],
           "peak_mb": peak_mb(), **memory, **nm.size}
    if sign:
        import direct

        t0 = time.perf_counter()
        out["signature"] = direct.signature(direct.canonical_pyomo(nm.session.compiled))
        out["signature_seconds"] = time.perf_counter() - t0
    return out


@task
def gen_direct(folder: str, sign: bool = True) -> dict:
    """load_model, build_network, build_index, then direct.build_direct + passModel."""
    import direct

    from netdesign.network import build_network
    from netdesign.optimization.index import build_index

    t = Timer()
    data, memory = _load_then_reset_peak(folder, t)
    with t("total"):
        with t("network"):
            network = build_network(data)
        with t("index"):
            ix = build_index(network, data)
        with t("assemble"):
            dm = direct.build_direct(ix)
        with t("pass"):
            h = direct.to_highs(dm)
    phases = dict(t.seconds)
    out = {"phases": phases, "build_seconds": phases["total"],
           "model_seconds": phases["assemble"] + phases["pass"], "peak_mb": peak_mb(),
           **memory, **dm.size,
           "highs_columns": h.getNumCol()}
    if sign:
        t0 = time.perf_counter()
        out["signature"] = direct.signature(direct.canonical_direct(dm))
        out["signature_seconds"] = time.perf_counter() - t0
    return out


@task
def make_cflp(facilities: int, customers: int, out: str, seed: int = 0) -> dict:
    """Write an OR-Library-like generated CFLP as a model folder (once)."""
    from cflp import generate_instance

    from netdesign.importers import write_instance

    if (Path(out) / "model.yaml").exists():
        return {"folder": out, "cached": True}
    t0 = time.perf_counter()
    write_instance(generate_instance(facilities, customers, seed), out, overwrite=True)
    return {"folder": out, "cached": False, "seconds": time.perf_counter() - t0}


def _cap_memory(max_gb: float | None) -> None:
    if max_gb:
        import resource

        limit = int(max_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _load_then_reset_peak(folder: str, t: Timer):
    """Load the model folder (phase ``load``), then collect garbage and reset the peak resident
    set, so that the build's peak is measured from here; returns the data and memory facts."""
    import gc

    from netdesign.validate import load_model

    with t("load"):
        data = load_model(folder)
    load_peak = peak_mb()
    gc.collect()
    memory = {"after_load_mb": rss_mb(), "load_peak_mb": load_peak, "peak_reset": reset_peak()}
    return data, memory


def _time_engine_phases(t: Timer) -> None:
    """Time the engine's build phases (network, index, compile, pass) into ``t`` by wrapping
    the functions NetworkModel calls (this worker process only)."""
    import netdesign.optimization.highs as highs_mod
    import netdesign.optimization.model as model_mod

    for attr, phase in (("build_network", "network"), ("build_index", "index")):
        setattr(model_mod, attr, _timed(getattr(model_mod, attr), t, phase))
    compiled_of = highs_mod.Compiled.of
    highs_mod.Compiled.of = classmethod(_timed(compiled_of.__func__, t, "compile"))
    highs_mod.HighsSession._pass = _timed(highs_mod.HighsSession._pass, t, "pass")


def _timed(fn, timer: Timer, phase: str):
    def wrapper(*args, **kwargs):
        with timer(phase):
            return fn(*args, **kwargs)

    return wrapper


# -- generated networks: build and solve; scenario re-solve --------------------------------------


@task
def make_network(out: str, customers: int, dcs: int, products: int, seed: int = 2026) -> dict:
    """models/generate.py's generate(...) into ``out`` (once)."""
    if (Path(out) / "model.yaml").exists():
        return {"folder": out, "cached": True}
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
    from generate import generate

    t0 = time.perf_counter()
    generate(customers=customers, dcs=dcs, products=products, seed=seed, out=out,
             name=Path(out).name)
    return {"folder": out, "cached": False, "seconds": time.perf_counter() - t0}


@task
def network_solve(folder: str, time_limit: float = 600, mip_gap: float = 0.01,
                  threads: int | None = None, max_gb: float | None = None,
                  solve: bool = True, nearest_dcs: int | None = None) -> dict:
    """load → NetworkModel (phases) → solve to ``mip_gap``; progress of the gap over time.
    ``nearest_dcs``: turn on the approximate k-nearest-DC reduction."""
    _cap_memory(max_gb)
    from netdesign.solve import NetworkModel
    from netdesign.validate import load_model

    t = Timer()
    out: dict = {"threads": threads}
    try:
        with t("load"):
            data = load_model(folder)
        if nearest_dcs is not None:
            reductions = data.settings.reductions.model_copy(update={"nearest_dcs": nearest_dcs})
            data = data.evolve(settings=data.settings.model_copy(
                update={"reductions": reductions}))
        out["threads"] = threads or data.settings.solver.threads
        _time_engine_phases(t)
        with t("build"):
            nm = NetworkModel(data)
        out.update(nm.size)
        out["segments"] = len(nm.index.segments)
        out["build_peak_mb"] = peak_mb()
        phases = dict(t.seconds)
        phases["pyomo"] = nm.generate_seconds - phases["network"] - phases["index"]
        out["phases"] = phases
        out["build_seconds"] = phases["build"]
        if solve:
            trace: list[dict] = []
            with t("solve"):
                res = nm.solve(time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                               progress=trace.append)
            first = next((p["elapsed"] for p in trace if p["gap"] <= mip_gap + 1e-12), None)
            out.update(status=res.status, objective=res.objective, bound=res.bound, gap=res.gap,
                       solve_seconds=t.seconds["solve"], first_within_gap=first,
                       trace=[{k: p[k] for k in ("phase", "elapsed", "incumbent", "bound",
                                                 "gap")} for p in trace][-40:])
    except MemoryError:
        out["error"] = f"MemoryError: above the {max_gb} GB address-space cap"
        out["phases"] = dict(t.seconds)
    return out


@task
def resolve(folder: str, fuel_index: float = 1.2, time_limit: float | None = None,
            mip_gap: float | None = None, threads: int | None = None) -> dict:
    """Baseline solve, then fuel_index → new value: persistent update + warm solve, against a
    new NetworkModel built and solved from scratch."""
    from netdesign.solve import NetworkModel
    from netdesign.validate import load_model

    data = load_model(folder)
    new = data.evolve(settings=data.settings.model_copy(update={"fuel_index": fuel_index}))
    opts = {"time_limit": time_limit, "mip_gap": mip_gap, "threads": threads}
    t = Timer()
    with t("base_build"):
        nm = NetworkModel(data)
    with t("base_solve"):
        base = nm.solve(**opts)
    with t("warm_update"):
        changes = nm.update(new)
    with t("warm_solve"):
        warm = nm.solve(**opts)
    with t("cold_build"):
        cold_model = NetworkModel(new)
    with t("cold_solve"):
        cold = cold_model.solve(**opts)
    sec = t.seconds
    return {
        "phases": sec, **nm.size, "changes": changes,
        "mip_gap": mip_gap if mip_gap is not None else data.settings.solver.mip_gap,
        "time_limit": time_limit if time_limit is not None else data.settings.solver.time_limit,
        "threads": threads or data.settings.solver.threads,
        "base": _res(base), "warm": _res(warm), "cold": _res(cold),
        "warm_seconds": sec["warm_update"] + sec["warm_solve"],
        "cold_seconds": sec["cold_build"] + sec["cold_solve"],
    }


def _res(r) -> dict:
    return {"status": r.status, "objective": r.objective, "bound": r.bound, "gap": r.gap,
            "solve_seconds": r.solve_seconds,
            "kept_previous": "no MIP search is run" in (r.solver_log or "")}


# -- decision-grade levers on the demo -----------------------------------------------------------

#: the thresholds a lever is timed to, as shares of the controllable cost
THRESHOLDS = (0.01, 0.005, 0.001)


@task
def lever(folder: str, lever: str, mip_gap: float, time_limit: float = 600.0,
          threads: int = 1, fuel_index: float | None = None) -> dict:
    """One lever on the demo baseline, to ``mip_gap`` of the controllable cost; the certified gap
    over time (best exact incumbent against best bound) and the seconds to each threshold.

    Levers: ``plain`` (HiGHS on the exact model, its objective less the floor), ``cuts`` (+ the
    product-linking cuts at the root), ``start`` (+ the LP-support start), ``engine`` (the
    search: design relaxation bound + exact flows), ``engine_parallel`` (HiGHS parallel=on, 2
    threads), ``engine_heuristics`` (mip_heuristic_effort 0.3), ``resolve`` (the engine re-solving
    at ``fuel_index`` from the baseline's solution on the persistent model)."""
    from netdesign.optimization.search import Search
    from netdesign.solve import NetworkModel
    from netdesign.validate import load_model

    data = load_model(folder)
    t = Timer()
    with t("build"):
        nm = NetworkModel(data)
    options = {"engine_parallel": {"parallel": "on"},
               "engine_heuristics": {"mip_heuristic_effort": 0.3}}.get(lever, {})
    if lever == "engine_parallel":
        threads = 2
    for session in (nm.exact.session, nm.design.session):
        for name, value in options.items():
            session.highs.setOptionValue(name, value)
    if lever == "resolve":
        nm.solve(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        nm.update(data.evolve(settings=data.settings.model_copy(
            update={"fuel_index": fuel_index or 1.2})))
    trace: list[dict] = []
    floor = nm.session.floor
    best = {"incumbent": float("inf"), "bound": -float("inf")}
    begin = time.perf_counter()

    def record(event: dict) -> None:
        phase = event["phase"]
        exact_incumbent = not phase.startswith(("design", "start", "root"))
        if exact_incumbent and event["incumbent"] < best["incumbent"]:
            best["incumbent"] = event["incumbent"]
        if not phase.startswith(("start", "exact")) and event["bound"] > best["bound"]:
            best["bound"] = event["bound"]
        trace.append({"elapsed": time.perf_counter() - begin, **best})

    search = Search(nm.exact, nm.design, nm.index, time_limit=time_limit, mip_gap=mip_gap,
                    threads=threads, seed=0, progress=record)
    with t("solve"):
        if lever in ("plain", "cuts", "start"):
            result = _exact_lever(search, lever)
        else:
            result = search.run()
    record({"phase": "final", "incumbent": result.objective or float("inf"),
            "bound": result.bound if result.bound is not None else -float("inf")})
    reached = {}
    for share in THRESHOLDS:
        hit = next((p["elapsed"] for p in trace if p["incumbent"] < float("inf") and
                    (p["incumbent"] - p["bound"]) / max(p["incumbent"] - floor, 1e-9) <= share),
                   None)
        reached[f"seconds_to_{share:g}"] = hit
    return {"lever": lever, "mip_gap": mip_gap, "threads": threads, **nm.size,
            "build_seconds": t.seconds["build"], "solve_seconds": t.seconds["solve"],
            "status": result.status, "objective": result.objective, "bound": result.bound,
            "floor": floor, "gap": result.gap, "gap_total": result.gap_total, **reached,
            "stages": [line for line in result.log.splitlines()
                       if line.startswith("netdesign:") or line.startswith("== netdesign")]}


def _exact_lever(search, lever: str):
    """The exact MIP without the design relaxation: plain, + root cuts, + the LP-support start."""
    if lever != "plain":
        root = search.root_bound()
        if lever == "start":
            search.lp_support_start(root)
            search._priced("MIP start")
        search.exact.linking.add(search.exact.linking.missing(search.design.linking.added))
    if lever != "start":
        search.exact.session.last_values = None
    outcome = search._mip(search.exact, "search", search.clock.left(), search.mip_gap)
    return search._final(outcome if outcome.values is not None else None,
                         bound=outcome.bound)


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    name, args = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    base = rss_mb()
    start = time.perf_counter()
    result = TASKS[name](**args)
    result.setdefault("peak_mb", peak_mb())
    import resource

    use = resource.getrusage(resource.RUSAGE_SELF)
    import netdesign

    result.update(base_mb=base, worker_seconds=time.perf_counter() - start,
                  cpu_seconds=use.ru_utime + use.ru_stime, netdesign_path=netdesign.__file__)
    emit(result)


if __name__ == "__main__":
    main()
