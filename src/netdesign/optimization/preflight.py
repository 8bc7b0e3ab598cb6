"""Pre-flight: the size and peak memory of a model, estimated from its index before Pyomo builds
it, and a refusal (before anything is built) when that peak cannot fit.

Columns are counted exactly from the index (one per variable of
:func:`~netdesign.optimization.components.add_variables`). Nonzeros and memory are estimated
from measurements of the engine (``benchmarks/results``: ``scale.csv``, ``large.csv``,
``large_run1_nearest8.csv``, the demo; 2026-11-22 and 2026-12-03):

- nonzeros per column lay between 5.1 and 6.9 on twelve models from 18,811 to 3,005,375
  columns, so :data:`NONZEROS_PER_COLUMN` = 7 bounds them;
- the peak resident set of build + solve (both formulations live in HiGHS, Pyomo's model
  resident) lay between 0.75 and 1.3 KB per nonzero above 1 GB from 1M nonzeros up
  (6.2M → 6.2 GB, 6.5M → 4.9 GB, 3.6M → 4.2 GB; the exact large network, 20.2M nonzeros, built
  at 15.1 GB and HiGHS could not solve it within a 19.9 GB cap). One outlier ran above it: a
  2.07M-nonzero model whose 468 s branch-and-bound tree took 4.1 GB.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from netdesign.errors import InputError
from netdesign.optimization.index import ModelIndex

NONZEROS_PER_COLUMN = 7.0
BASE_BYTES = 1.0e9  # interpreter, pandas/Pyomo/HiGHS libraries and the model data
BYTES_PER_NONZERO = 1.0e3  # Pyomo's model, its compiled matrix and two HiGHS instances


class ModelTooLarge(InputError):
    """The estimated peak memory of a model exceeds what the machine (or the setting) allows."""


@dataclass(frozen=True)
class SizeEstimate:
    """What a model will be, estimated before it is built."""

    columns: int
    integer_columns: int
    nonzeros: int
    peak_bytes: int

    def describe(self) -> str:
        return (f"{self.columns:,} columns ({self.integer_columns:,} integer), about "
                f"{self.nonzeros / 1e6:.1f}M nonzeros, peak about {_gb(self.peak_bytes)}")


def estimate(ix: ModelIndex, *, segments: bool = True) -> SizeEstimate:
    """Columns of the model over ``ix`` (exact), nonzeros and peak memory (bounds measured on
    the engine, see the module docstring)."""
    n_segments = len(ix.segments) if segments else 0
    continuous = len(ix.flows) + len(ix.demand) + len(ix.pairs) + len(ix.options) + n_segments
    integer = (len(ix.facilities) + len(ix.options) + (len(ix.pairs) if ix.use_stock else 0)
               + len(ix.assign_pairs) + n_segments)
    columns = continuous + integer
    nonzeros = math.ceil(NONZEROS_PER_COLUMN * columns)
    return SizeEstimate(columns, integer, nonzeros, int(BASE_BYTES + BYTES_PER_NONZERO * nonzeros))


def available_bytes() -> int | None:
    """Memory this process may reach: the kernel's ``MemAvailable``, lowered to the cgroup's
    ``memory.max`` headroom (v2) and to the address-space limit (``RLIMIT_AS``) headroom where
    those are set, plus what the process holds already (the estimate counts the whole
    process); None when unknown."""
    known = [value for value in (_meminfo_available(), _cgroup_headroom(), _address_headroom())
             if value is not None]
    return min(known) + _resident_bytes() if known else None


def workers_that_fit(size: SizeEstimate, workers: int) -> int:
    """How many of ``workers`` new processes, each building a model of ``size``, fit in the
    memory free now (at least 1: a worker that cannot fit refuses its runs by
    :func:`check_fits` rather than being killed)."""
    known = [value for value in (_meminfo_available(), _cgroup_headroom()) if value is not None]
    if not known:  # (a worker's own address-space limit is checked where it builds)
        return workers
    return max(1, min(workers, int(min(known) // size.peak_bytes)))


def check_fits(size: SizeEstimate, *, limit_gb: float | None, source: str) -> None:
    """ModelTooLarge when ``size`` cannot fit in ``limit_gb`` (``solver.memory_limit_gb``;
    None: the memory available now), with the figures and what to do about it."""
    limit = limit_gb * 1e9 if limit_gb is not None else available_bytes()
    if limit is None or size.peak_bytes <= limit:
        return
    where = (f"solver.memory_limit_gb = {limit_gb:g}" if limit_gb is not None
             else f"{_gb(limit)} available on this machine")
    raise ModelTooLarge(
        f"{source}: the model is too large to build here: {size.describe()}, {where}; nothing "
        "was built. Make it smaller: serve each customer from its k nearest DCs "
        "(reductions.nearest_dcs: 4, approximate), drop candidate DCs or modes that cannot "
        "win, aggregate customers into 3-digit ZIP zones or products into families; or run "
        "it on a machine with more memory (set solver.memory_limit_gb to overrule the check)")


def _gb(value: float) -> str:
    return f"{value / 1e9:.1f} GB"


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_headroom() -> int | None:
    try:
        relative = Path("/proc/self/cgroup").read_text().strip().split("::", 1)[1]
        folder = Path("/sys/fs/cgroup") / relative.lstrip("/")
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((folder / "memory.current").read_text())
    except (OSError, ValueError, IndexError):
        return None


def _address_headroom() -> int | None:
    import resource

    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit == resource.RLIM_INFINITY:
        return None
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return limit - pages * os.sysconf("SC_PAGE_SIZE")


def _resident_bytes() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
