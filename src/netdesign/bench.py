"""Benchmarks: solve public instances with the normal engine and compare with published optima.

Two sets (see ``shared/benchmarks/README.md`` beside the checkout for the files):

* ``orlib`` — OR-Library cap41…cap134 and capa/capb/capc (each of the last three at its four
  capacities, named ``capa-8000`` …), split allocation (``sourcing: multi``); optima from
  ``capopt.txt``.
* ``sscflp`` — Holmberg, Rönnqvist & Yuan p1…p71, single sourcing; optimum of pk on line k of
  ``os``.

Each instance is imported with :mod:`netdesign.importers` into a temporary model folder, loaded
with :func:`netdesign.load_model` and solved with :func:`netdesign.solve.solve`.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from netdesign.importers import import_orlib, import_sscflp

KINDS = ("orlib", "sscflp")


def _default_root() -> Path:
    """NETDESIGN_BENCHMARKS, else ``shared/benchmarks`` beside the repository checkout."""
    if "NETDESIGN_BENCHMARKS" in os.environ:
        return Path(os.environ["NETDESIGN_BENCHMARKS"])
    beside = Path(__file__).resolve().parents[3] / "shared" / "benchmarks"
    return beside if beside.exists() else Path("/work/shared/benchmarks")


DEFAULT_ROOT = _default_root()
SUBFOLDER = {"orlib": "orlib_cap", "sscflp": "sscflp_holmberg"}
OPTIMA_FILE = {"orlib": "capopt.txt", "sscflp": "os"}
MATCH_RTOL = 1e-6
COLUMNS = [
    "instance", "published", "ours", "rel_diff", "status", "seconds", "gap",
    "bound", "total_seconds", "note",
]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CAPOPT_LINE = re.compile(
    rf"^\s*(?P<name>[A-Za-z]\w*)?\s+(?P<value>{_NUMBER})\s*"
    rf"(?:\(\s*capacity\s+(?P<cap>{_NUMBER})\s*\))?\s*$"
)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown benchmark kind {kind!r}; expected one of {KINDS}")
    return kind


def default_folder(kind: str) -> Path:
    """The shared copy of a benchmark set (override the root with env NETDESIGN_BENCHMARKS)."""
    return DEFAULT_ROOT / SUBFOLDER[_kind(kind)]


def published_optima(kind: str, folder: str | Path | None = None) -> dict[str, float]:
    """Instance name → published optimal objective, in file order.

    ``orlib`` reads ``capopt.txt``: one ``name value`` line per instance; capa/capb/capc have four
    lines each, the first ``capa value (capacity 8000)`` and the next three ``value (capacity N)``
    without a name; they become ``capa-8000`` … Lines that are not of these shapes (the header and
    the closing note) are ignored. ``sscflp`` reads ``os``: the optimum of instance pk on line k.
    """
    folder = Path(folder) if folder is not None else default_folder(kind)
    path = folder / OPTIMA_FILE[_kind(kind)]
    lines = path.read_text().splitlines()
    optima: dict[str, float] = {}
    if kind == "sscflp":
        for k, line in enumerate(lines, start=1):
            if line.strip():
                optima[f"p{k}"] = float(line.split()[0])
        return optima
    current = None
    for line in lines:
        match = _CAPOPT_LINE.match(line)
        if not match:
            current = None
            continue
        name, value, cap = match["name"], float(match["value"]), match["cap"]
        if name is None and (current is None or cap is None):
            raise ValueError(f"{path}: a value without an instance name: {line.strip()!r}")
        base = name or current
        if cap is not None:
            current = base
            optima[f"{base}-{_cap_text(float(cap))}"] = value
        else:
            current = None
            optima[base] = value
    return optima


def _cap_text(cap: float) -> str:
    return str(int(cap)) if cap.is_integer() else repr(cap)


def instance_source(kind: str, folder: str | Path, name: str) -> tuple[Path, float | None]:
    """The file of an instance and, for ``capa-8000``-style names, its capacity."""
    folder = Path(folder)
    capacity = None
    base = name
    if kind == "orlib":
        match = re.fullmatch(rf"(?P<base>.+)-(?P<cap>{_NUMBER})", name)
        if match:
            base, capacity = match["base"], float(match["cap"])
        candidates = [folder / f"{base}.txt", folder / base]
    else:
        candidates = [folder / base, folder / f"{base}.txt"]
    for path in candidates:
        if path.is_file():
            return path, capacity
    raise FileNotFoundError(f"{folder}: no file for instance {name!r}")


def import_instance(kind: str, folder: str | Path, name: str, out_dir: str | Path) -> Path:
    """Import one named benchmark instance into ``out_dir`` the way the benchmark runs it."""
    path, capacity = instance_source(_kind(kind), folder, name)
    if kind == "orlib":
        return import_orlib(path, out_dir, capacity=capacity, sourcing="multi", overwrite=True)
    return import_sscflp(path, out_dir, "holmberg", overwrite=True)


def run_benchmarks(
    kind: str,
    folder: str | Path | None = None,
    instances: Iterable[str] | None = None,
    time_limit: float = 600,
    on_result: Callable[[dict], None] | None = None,
    *,
    mip_gap: float | None = None,
    threads: int | None = None,
    tol: float = MATCH_RTOL,
) -> pd.DataFrame:
    """Solve benchmark instances and compare each objective with its published optimum.

    ``folder`` holds the instance files and the optima file (default: the shared copy).
    ``instances`` selects names (default: every instance with a published optimum, in file order).
    ``mip_gap`` None uses the imported model's gap (0). ``on_result`` gets each row (a dict) as soon
    as its instance is done. An instance whose import, load or solve raises gets status ``error``
    and the message in ``note``; the run goes on.

    Columns: instance, published, ours (objective or NaN), rel_diff (|ours − published| /
    |published|), status, seconds (solver), gap, bound, total_seconds (import + load + build +
    solve), note (``match`` when rel_diff ≤ tol, else why not).
    """
    # Pyomo and HiGHS (netdesign.solve) load only when instances are solved: the optima and
    # summary helpers of this module, used by the bench tests and tables, import without them
    from netdesign.solve import solve
    from netdesign.validate import load_model

    folder = Path(folder) if folder is not None else default_folder(kind)
    optima = published_optima(kind, folder)
    names = list(optima) if instances is None else list(instances)
    unknown = [n for n in names if n not in optima]
    if unknown:
        raise ValueError(f"no published optimum for {unknown}; known: {', '.join(optima)}")
    rows = []
    for name in names:
        start = time.perf_counter()
        row = {c: math.nan for c in COLUMNS}
        row.update(instance=name, published=optima[name], status="error", note="")
        try:
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
                model = import_instance(kind, folder, name, Path(tmp) / name)
                data = load_model(model)
            result = solve(data, time_limit=time_limit, mip_gap=mip_gap, threads=threads)
            row.update(status=result.status, seconds=result.solve_seconds, gap=result.gap,
                       bound=result.bound)
            if result.objective is not None:
                row["ours"] = float(result.objective)
                row["rel_diff"] = abs(row["ours"] - row["published"]) / abs(row["published"])
                row["note"] = "match" if row["rel_diff"] <= tol else "objective differs"
            else:
                row["note"] = "no objective"
        except Exception as err:  # one bad instance must not end the sweep
            row["note"] = f"{type(err).__name__}: {err}"
        row["total_seconds"] = time.perf_counter() - start
        rows.append(row)
        if on_result is not None:
            on_result(dict(row))
    return pd.DataFrame(rows, columns=COLUMNS)


def summarize(table: pd.DataFrame, tol: float = MATCH_RTOL) -> dict:
    """n instances, n matched within ``tol``, max rel diff, solver and total seconds."""
    rel = pd.to_numeric(table["rel_diff"], errors="coerce")
    return {
        "instances": len(table),
        "matched": int((rel <= tol).sum()),
        "tol": tol,
        "max_rel_diff": float(rel.max()) if rel.notna().any() else math.nan,
        "solve_seconds": float(pd.to_numeric(table["seconds"], errors="coerce").sum()),
        "total_seconds": float(pd.to_numeric(table["total_seconds"], errors="coerce").sum()),
        "statuses": table["status"].value_counts().to_dict(),
    }


def summary_line(table: pd.DataFrame, tol: float = MATCH_RTOL) -> str:
    s = summarize(table, tol)
    statuses = ", ".join(f"{k} {v}" for k, v in s["statuses"].items())
    return (
        f"{s['instances']} instances, {s['matched']} matched to {tol:g}, max rel diff "
        f"{s['max_rel_diff']:.2e}, {s['solve_seconds']:.1f} s solving, "
        f"{s['total_seconds']:.1f} s total ({statuses})"
    )


def print_benchmarks(table: pd.DataFrame, console=None, tol: float = MATCH_RTOL,
                     title: str = "benchmarks") -> str:
    """Print the table with rich, then the summary line; return the summary line."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(emoji=False)
    out = Table(title=title)
    for col, justify in (("instance", "left"), ("published", "right"), ("ours", "right"),
                         ("rel diff", "right"), ("status", "left"), ("seconds", "right"),
                         ("gap", "right"), ("note", "left")):
        out.add_column(col, justify=justify)
    for row in table.to_dict("records"):
        ok = _num_ok(row["rel_diff"]) and row["rel_diff"] <= tol
        style = "green" if ok else "red"
        out.add_row(
            str(row["instance"]),
            _fmt(row["published"], ",.3f"),
            _fmt(row["ours"], ",.3f"),
            f"[{style}]{_fmt(row['rel_diff'], '.1e')}[/]",
            str(row["status"]),
            _fmt(row["seconds"], ".1f"),
            _fmt(row["gap"], ".1e"),
            str(row.get("note", "")),
        )
    console.print(out)
    line = summary_line(table, tol)
    console.print(line)
    return line


def _num_ok(value) -> bool:
    return isinstance(value, int | float) and not math.isnan(value)


def _fmt(value, spec: str) -> str:
    return format(value, spec) if _num_ok(value) else "-"


__all__ = [
    "default_folder",
    "import_instance",
    "instance_source",
    "print_benchmarks",
    "published_optima",
    "run_benchmarks",
    "summarize",
    "summary_line",
]
