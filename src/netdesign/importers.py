"""Importers: public facility-location benchmark files → ordinary model folders.

Each importer writes a normal model (``model.yaml`` plus CSVs) that :func:`netdesign.load_model`
reads and the normal engine solves; there is no benchmark-only model. The mapping is the same for
every format:

* one product ``P`` (unit value, price and weight 0, so inventory and weight-based costs vanish);
* facilities ``F001…`` in file order: candidates with the file's fixed cost and capacity as
  ``throughput_capacity`` (``inf`` when uncapacitated), all at lat/lon 0; with no supply table each
  DC is its own (free, instant) source;
* customers ``C0001…`` in file order (ids keep the file's numbering, so customers skipped for
  zero demand leave a gap), with their demand as ``annual_units`` and a generous promise;
* one mode ``lane`` (outbound only, zero rates) and an explicit ``lanes`` row for every
  facility-customer pair whose ``cost_per_unit`` is the file's cost of serving *all* of the
  customer's demand divided by that demand, with distance and transit 0.

The model's objective is then Σ fixed_cost·open + Σ cost_per_unit·units, the benchmark objective.

Formats (every file is read as a stream of whitespace-separated tokens; line breaks carry no
meaning; reading stops at the first NUL byte):

* ``orlib`` — OR-Library cap41…cap134, capa/b/c (Beasley): ``m n``; m × ``capacity fixed_cost``;
  then per customer j: ``demand_j`` and m costs ``c_1j … c_mj``. In capa/b/c the capacity field is
  the literal word ``capacity``: the capacity must then be given (Beasley 1988 uses one value for
  every facility in each of four variants).
* ``holmberg`` — Holmberg, Rönnqvist & Yuan (1999) p1…p71: ``m n``; m × ``capacity fixed_cost``;
  n demands; then m rows of n costs (row i, column j: assigning all of customer j to facility i).
* ``delmaire`` — Delmaire, Díaz, Fernández & Ortega (1999) instances as distributed by Díaz &
  Fernández (57 files, 10–30 facilities × 20–90 customers): ``n m`` (customers first); then n
  rows of m costs (row j, column i: assigning all of customer j to facility i); n demands; m fixed
  costs; m capacities.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from netdesign.files import write_atomic
from netdesign.schema import TABLES

PRODUCT = "P"
MODE = "lane"
PROMISE_DAYS = 1000.0  # every lane has transit 0: any promise works; large, so it never binds
MODE_SPEED_KM_PER_DAY = 1.0e6
SOLVER_TIME_LIMIT = 600.0
COST_CHECK_RTOL = 1e-12  # cost_per_unit × demand must give back the file's cost to float precision
SSCFLP_FORMATS = ("holmberg", "delmaire", "orlib")


class BenchmarkFormatError(ValueError):
    """A benchmark file that does not match its format (names the file and the token position)."""


@dataclass(frozen=True)
class Instance:
    """A capacitated facility location instance as read from a file.

    ``capacities`` is NaN where the file has the literal word ``capacity``. ``costs[i, j]`` is the
    cost of serving all of customer j's demand from facility i.
    """

    name: str
    source: Path
    capacities: np.ndarray  # (m,)
    fixed_costs: np.ndarray  # (m,)
    demands: np.ndarray  # (n,)
    costs: np.ndarray  # (m, n)

    @property
    def n_facilities(self) -> int:
        return len(self.fixed_costs)

    @property
    def n_customers(self) -> int:
        return len(self.demands)


# -- tokens --------------------------------------------------------------------------------------


class _Tokens:
    """Whitespace-separated tokens of a file up to its first NUL byte, read one at a time."""

    def __init__(self, path: Path):
        self.path = path
        raw = path.read_bytes()
        cut = raw.find(b"\0")
        self.nul_at = cut if cut >= 0 else None
        text = (raw if cut < 0 else raw[:cut]).decode("latin-1")
        self.tokens = text.split()
        self.pos = 0

    def _fail(self, what: str) -> BenchmarkFormatError:
        where = f"{self.path}: token {self.pos + 1}"
        if self.pos >= len(self.tokens):
            end = "end of file" if self.nul_at is None else f"a NUL byte at offset {self.nul_at}"
            return BenchmarkFormatError(
                f"{where}: expected {what}, found {end} (the file is truncated: it has "
                f"{len(self.tokens)} tokens)"
            )
        return BenchmarkFormatError(f"{where}: expected {what}, found {self.tokens[self.pos]!r}")

    def number(self, what: str, *, allow_word: str | None = None) -> float:
        """The next token as a finite number ≥ 0 (NaN for ``allow_word``)."""
        if self.pos >= len(self.tokens):
            raise self._fail(what)
        token = self.tokens[self.pos]
        if allow_word is not None and token.lower() == allow_word:
            self.pos += 1
            return math.nan
        try:
            value = float(token)
        except ValueError:
            raise self._fail(what) from None
        if not math.isfinite(value) or value < 0:
            raise self._fail(f"{what} (a finite number ≥ 0)")
        self.pos += 1
        return value

    def count(self, what: str) -> int:
        value = self.number(what)
        if not value.is_integer() or value < 1:
            self.pos -= 1
            raise self._fail(f"{what} (a whole number ≥ 1)")
        return int(value)

    def numbers(self, k: int, what: str) -> np.ndarray:
        """The next ``k`` numbers; ``what`` may contain ``{}`` for the 1-based item number."""
        return np.array([self.number(what.format(i + 1)) for i in range(k)], dtype=float)

    def finish(self) -> None:
        """Raise when tokens are left over: the file does not have this format's shape."""
        left = len(self.tokens) - self.pos
        if left:
            raise BenchmarkFormatError(
                f"{self.path}: token {self.pos + 1}: {left} token(s) after the last value the "
                f"format expects (next {self.tokens[self.pos]!r}); wrong format or damaged file?"
            )


# -- readers -------------------------------------------------------------------------------------


def read_orlib(file: str | Path) -> Instance:
    """An OR-Library ``cap*`` file (capacities NaN where the file says ``capacity``)."""
    tok = _Tokens(Path(file))
    m = tok.count("the number of facilities m")
    n = tok.count("the number of customers n")
    caps, fixed = np.empty(m), np.empty(m)
    for i in range(m):
        caps[i] = tok.number(f"the capacity of facility {i + 1}", allow_word="capacity")
        fixed[i] = tok.number(f"the fixed cost of facility {i + 1}")
    demands, costs = np.empty(n), np.empty((m, n))
    for j in range(n):
        demands[j] = tok.number(f"the demand of customer {j + 1}")
        for i in range(m):
            costs[i, j] = tok.number(f"the cost of customer {j + 1} from facility {i + 1}")
    tok.finish()
    return Instance(_stem(file), Path(file), caps, fixed, demands, costs)


def read_holmberg(file: str | Path) -> Instance:
    """A Holmberg, Rönnqvist & Yuan SSCFLP file."""
    tok = _Tokens(Path(file))
    m = tok.count("the number of facilities m")
    n = tok.count("the number of customers n")
    caps, fixed = np.empty(m), np.empty(m)
    for i in range(m):
        caps[i] = tok.number(f"the capacity of facility {i + 1}")
        fixed[i] = tok.number(f"the fixed cost of facility {i + 1}")
    demands = tok.numbers(n, "the demand of customer {}")
    costs = np.empty((m, n))
    for i in range(m):
        for j in range(n):
            costs[i, j] = tok.number(f"the cost of customer {j + 1} from facility {i + 1}")
    tok.finish()
    return Instance(_stem(file), Path(file), caps, fixed, demands, costs)


def read_delmaire(file: str | Path) -> Instance:
    """A Delmaire et al. SSCFLP file in the Díaz & Fernández layout (customers first)."""
    tok = _Tokens(Path(file))
    n = tok.count("the number of customers n")
    m = tok.count("the number of facilities m")
    costs = np.empty((m, n))
    for j in range(n):
        for i in range(m):
            costs[i, j] = tok.number(f"the cost of customer {j + 1} from facility {i + 1}")
    demands = tok.numbers(n, "the demand of customer {}")
    fixed = tok.numbers(m, "the fixed cost of facility {}")
    caps = tok.numbers(m, "the capacity of facility {}")
    tok.finish()
    return Instance(_stem(file), Path(file), caps, fixed, demands, costs)


def _stem(file: str | Path) -> str:
    path = Path(file)
    return path.stem if path.suffix.lower() == ".txt" else path.name


# -- importers -----------------------------------------------------------------------------------


def import_orlib(
    file: str | Path,
    out_dir: str | Path,
    capacity: float | None = None,
    sourcing: str = "multi",
    uncapacitated: bool = False,
    *,
    overwrite: bool = False,
) -> Path:
    """Write an OR-Library ``cap*`` file as a model folder; return the folder.

    ``capacity`` sets every facility's capacity (required for capa/capb/capc, whose files have the
    word ``capacity`` instead of a number; for the other files it overrides the file's values).
    ``uncapacitated`` drops capacities (the OR-Library UFLP reading of cap71–74, 101–104, 131–134
    and capa/b/c). ``sourcing`` is ``multi`` (split allocation, as the published optima) or
    ``single``. ``overwrite`` allows writing into a folder that already holds a model.
    """
    inst = read_orlib(file)
    if not uncapacitated and capacity is None and np.isnan(inst.capacities).any():
        raise BenchmarkFormatError(
            f"{inst.source}: the capacity field is the word 'capacity' (capa/capb/capc): give the "
            "facility capacity, e.g. capacity=8000 (capa: 8000/10000/12000/14000, capb: "
            "5000/6000/7000/8000, capc: 5000/5750/6500/7250), or uncapacitated=True"
        )
    return write_instance(
        inst, out_dir, sourcing=sourcing, capacity=capacity, uncapacitated=uncapacitated,
        overwrite=overwrite,
    )


def import_sscflp(
    file: str | Path,
    out_dir: str | Path,
    format: str = "holmberg",
    *,
    capacity: float | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a single-source CFLP file (``holmberg``, ``delmaire`` or ``orlib``) as a model folder.

    The model has ``sourcing: single``. ``capacity`` only applies to the ``orlib`` format (see
    :func:`import_orlib`).
    """
    if format == "orlib":
        return import_orlib(file, out_dir, capacity=capacity, sourcing="single",
                            overwrite=overwrite)
    if capacity is not None:
        raise ValueError(f"capacity= applies to the orlib format only, not {format!r}")
    readers = {"holmberg": read_holmberg, "delmaire": read_delmaire}
    if format not in readers:
        raise ValueError(f"unknown SSCFLP format {format!r}; expected one of {SSCFLP_FORMATS}")
    inst = readers[format](file)
    return write_instance(inst, out_dir, sourcing="single", overwrite=overwrite)


def write_instance(
    inst: Instance,
    out_dir: str | Path,
    *,
    sourcing: str = "multi",
    capacity: float | None = None,
    uncapacitated: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write an :class:`Instance` as an ordinary model folder (see the module docstring)."""
    if sourcing not in ("single", "multi"):
        raise ValueError(f"sourcing must be 'single' or 'multi', not {sourcing!r}")
    if capacity is not None and not (capacity > 0):
        raise ValueError(f"capacity must be a number > 0, not {capacity!r}")
    out = Path(out_dir)
    _prepare(out, overwrite)
    m, n = inst.n_facilities, inst.n_customers
    if uncapacitated:
        caps = np.full(m, math.inf)
    elif capacity is not None:
        caps = np.full(m, float(capacity))
    else:
        caps = inst.capacities
        if np.isnan(caps).any():
            raise BenchmarkFormatError(f"{inst.source}: facility capacities missing; give capacity")
    fac_ids = [f"F{i + 1:0{max(3, len(str(m)))}d}" for i in range(m)]
    cus_ids = [f"C{j + 1:0{max(4, len(str(n)))}d}" for j in range(n)]

    active = np.flatnonzero(inst.demands > 0)
    skipped = [cus_ids[j] for j in np.flatnonzero(inst.demands <= 0)]
    per_unit = inst.costs[:, active] / inst.demands[active]
    _check_costs(inst, per_unit, active)

    name = inst.name
    if capacity is not None and not uncapacitated:
        name += f" capacity {_num(float(capacity))}"
    if uncapacitated:
        name += " uncapacitated"
    if skipped:
        lost = float(inst.costs[:, inst.demands <= 0].min(axis=0).sum())
        shown = ", ".join(skipped[:5]) + (", …" if len(skipped) > 5 else "")
        name += f" ({len(skipped)} zero-demand customer(s) skipped: {shown}"
        if lost:
            name += f"; their assignment costs, at least {_num(lost)}, are not modelled"
        name += ")"

    settings = {
        "name": name,
        "carrying_rate": 0,
        "co2_price": 0,
        "service": {"max_days": PROMISE_DAYS},
        "sourcing": sourcing,
        "strategy": "free",
        "inventory": {"pooling": False},
        "solver": {"time_limit": SOLVER_TIME_LIMIT, "mip_gap": 0},
    }
    write_atomic(out / "model.yaml", yaml.safe_dump(settings, sort_keys=False, allow_unicode=True))
    _write_csv(out / "products.csv", ["product", "unit_value", "unit_price", "weight_kg"],
               [[PRODUCT, 0, 0, 0]])
    _write_csv(
        out / "facilities.csv",
        ["facility", "lat", "lon", "status", "fixed_cost", "throughput_capacity"],
        ([fac_ids[i], 0, 0, "candidate", _num(inst.fixed_costs[i]), _num(caps[i])]
         for i in range(m)),
    )
    _write_csv(out / "customers.csv", ["customer", "lat", "lon", "max_days"],
               ([cus_ids[j], 0, 0, _num(PROMISE_DAYS)] for j in active))
    _write_csv(out / "demand.csv", ["customer", "product", "annual_units", "demand_sd"],
               ([cus_ids[j], PRODUCT, _num(inst.demands[j]), 0] for j in active))
    _write_csv(
        out / "modes.csv",
        ["mode", "legs", "cost_per_kg_km", "cost_per_unit_fixed", "speed_km_per_day",
         "handling_days"],
        [[MODE, "outbound", 0, 0, _num(MODE_SPEED_KM_PER_DAY), 0]],
    )
    _write_csv(
        out / "lanes.csv",
        ["origin", "destination", "mode", "cost_per_unit", "distance_km", "transit_days"],
        ([fac_ids[i], cus_ids[j], MODE, _num(per_unit[i, k]), 0, 0]
         for i in range(m) for k, j in enumerate(active)),
    )
    return out


def _check_costs(inst: Instance, per_unit: np.ndarray, active: np.ndarray) -> None:
    """cost_per_unit × demand must give back every c_ij to float precision (after the CSV trip)."""
    written = np.array([float(_num(v)) for v in per_unit.ravel()]).reshape(per_unit.shape)
    back = written * inst.demands[active]
    target = inst.costs[:, active]
    err = np.abs(back - target) / np.maximum(np.abs(target), 1.0)
    if err.size and err.max() > COST_CHECK_RTOL:
        i, k = np.unravel_index(int(err.argmax()), err.shape)
        raise AssertionError(
            f"{inst.source}: cost_per_unit × demand = {back[i, k]!r} for facility {i + 1}, "
            f"customer {active[k] + 1}, file has {target[i, k]!r}"
        )


def _num(value: float) -> str:
    """A number as CSV text that reads back as exactly the same float."""
    value = float(value)
    if math.isinf(value):
        return "inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    def write(target: Path) -> None:
        with target.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    write_atomic(path, write)


def _prepare(out: Path, overwrite: bool) -> None:
    """Create ``out``; refuse to mix with an existing model unless ``overwrite`` (then drop it)."""
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not a folder")
    model_files = [out / "model.yaml", *(out / f"{t}.csv" for t in TABLES)]
    existing = [p for p in model_files if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{out}: already holds a model ({', '.join(p.name for p in existing)}); "
            "pass overwrite=True or use an empty folder"
        )
    for path in existing:
        path.unlink()
    out.mkdir(parents=True, exist_ok=True)


__all__ = [
    "BenchmarkFormatError",
    "Instance",
    "import_orlib",
    "import_sscflp",
    "read_delmaire",
    "read_holmberg",
    "read_orlib",
    "write_instance",
]
