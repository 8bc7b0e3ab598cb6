"""Shared plumbing of the benchmark suite: machine facts, isolated worker processes, result files.

Every measurement that needs its own memory figure runs in a fresh Python process
(``benchmarks/worker.py TASK JSON``) so that the peak resident set (``VmHWM``) belongs to that one
measurement. The worker prints one ``RESULT {json}`` line; :func:`run_worker` returns it as a dict
(with ``error`` set when the process failed).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PYTHON = sys.executable
WORK = Path(os.environ.get("NETDESIGN_BENCH_WORK", "/tmp/netdesign-bench"))


# -- machine and process facts -------------------------------------------------------------------


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return float("nan")


def load() -> list[float]:
    """1, 5 and 15 minute load averages (other people's jobs share this machine)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("pyomo", "highspy", "numpy", "pandas", "scipy", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "-"
    return out


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "-"


def machine() -> dict:
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "ram_gb": ram_gb(),
        "platform": platform.platform(),
        "load_avg": load(),
        "commit": git_commit(),
        **versions(),
    }


def _status_mb(field: str) -> float | None:
    """A ``kB`` field of /proc/self/status (e.g. VmHWM, VmRSS) in MB; None where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mb() -> float:
    """Peak resident set of this process so far (VmHWM), MB."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Reset VmHWM to the current resident set (Linux ≥ 4.0); False when not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_mb() -> float:
    """Current resident set of this process (VmRSS), MB; NaN where unavailable."""
    rss = _status_mb("VmRSS")
    return float("nan") if rss is None else rss


class Timer:
    """Named phases: ``with t("build"): ...``; ``t.seconds`` maps phase → seconds."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        timer = self

        class _Phase:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                timer.seconds[name] = timer.seconds.get(name, 0.0) + time.perf_counter() - (
                    self.start)

        return _Phase()


# -- worker processes ----------------------------------------------------------------------------


#: the engine source the workers import: None = the working tree (the editable install), else a
#: frozen copy of a commit made by :func:`freeze_engine` (long runs stay on one engine version)
ENGINE: dict = {"src": None, "commit": None}


def engine_version() -> str:
    """The commit the workers run, + ``-dirty`` when the working tree's src/ has changes."""
    if ENGINE["commit"]:
        return ENGINE["commit"] + " (snapshot)"
    try:
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "-"
    return git_commit() + ("-dirty" if dirty else "")


def freeze_engine() -> str:
    """Export HEAD's src/ to WORK/engine-<commit> and make the workers import it from there."""
    commit = git_commit()
    dest = WORK / f"engine-{commit}"
    if not (dest / "src" / "netdesign").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "src"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    ENGINE.update(src=str(dest / "src"), commit=commit)
    return commit


def run_worker(task: str, args: dict, timeout: float | None = None,
               log: Path | None = None) -> dict:
    """Run ``worker.py task args`` in a fresh interpreter; its RESULT dict (+ wall seconds)."""
    start = time.perf_counter()
    cmd = [PYTHON, str(HERE / "worker.py"), task, json.dumps(args)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if ENGINE["src"]:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [ENGINE["src"],
                                                          env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout} s", "wall_seconds": time.perf_counter() - start}
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as handle:
            handle.write(f"$ {task} {json.dumps(args)}\n{proc.stderr[-4000:]}\n")
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
    if result is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        result = {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result["wall_seconds"] = time.perf_counter() - start
    result["engine"] = engine_version()
    return result


def emit(result: dict) -> None:
    """Worker side: print the result line the parent reads."""
    print("RESULT " + json.dumps(result, default=_jsonable), flush=True)


def _jsonable(value):
    try:
        import numpy as np

        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:
        pass
    if isinstance(value, Path):
        return str(value)
    return str(value)


# -- result files --------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = columns or list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})


def _cell(value):
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.10g}"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return "" if value is None else value


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=_jsonable) + "\n")


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "MISS")
