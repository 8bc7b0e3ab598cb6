"""Validation: every problem of a model in one pass, before any optimisation model is built.

Each problem reads ``table:row:column: what was found, what was expected`` where row is the CSV line
or sheet row (the header is row 1; ``-`` when the problem is about a whole table or column). Row
values are checked by the pydantic models of :mod:`netdesign.schema`; cross-table checks (keys,
references, geocoding) follow here, then what will be solved: in the network the model is built
from, every customer × product with demand has a path within its promise, the service band can
be met, and DC and supply capacity cover the demand they must carry.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from netdesign.data import ModelData
from netdesign.errors import ModelValidationError, Problem
from netdesign.formulas import capacity_raise
from netdesign.io import RawModel, read_model
from netdesign.names import did_you_mean
from netdesign.schema import (
    CONTROL,
    KEYS,
    LONG_TABLES,
    MAX_NUMBER,
    NO_CONTROL,
    REQUIRED_TABLES,
    TABLES,
    TOO_BIG,
    Settings,
)
from netdesign.settings_merge import merge_layer

if TYPE_CHECKING:
    from netdesign.network import Network


def load_model(path: str | Path, *, forecast: bool = True,
               settings: dict | None = None) -> ModelData:
    """Read and validate a model folder or workbook; raise :class:`ModelValidationError`.

    A ``demand_history`` is forecast into the planning year's ``demand`` (and ``demand_profile``)
    unless ``forecast`` or the setting ``forecast.use_history`` is false
    (:func:`netdesign.forecast.with_forecast`). ``settings`` (nested or dotted) are merged over
    model.yaml key by key (:mod:`netdesign.settings_merge`).
    """
    from netdesign.forecast import with_forecast

    raw = read_model(path)
    if settings:
        merged = copy.deepcopy(raw.settings)
        merge_layer(merged, settings, where="load_model(settings=…)")
        raw = replace(raw, settings=merged)
    if forecast:
        raw, _ = with_forecast(raw)
    return validate(raw)


def validate(raw: RawModel) -> ModelData:
    """Typed :class:`ModelData` from raw cells, or one error listing every problem."""
    problems = [Problem(*error) for error in raw.errors]
    unreadable = any(p.table == "model.yaml" for p in problems)
    settings = None if unreadable else _settings(raw.settings, problems)
    frames: dict[str, pd.DataFrame] = {}
    ids: dict[str, dict[str, set[str]]] = {}  # ids as written, also in rows that failed
    for name in TABLES:
        if name not in raw.tables:
            if name in REQUIRED_TABLES and name not in raw.files and not _forecast_replaces(
                    name, raw, settings) and not _direct_only(name, raw):
                # an unreadable file is reported already
                problems.append(Problem(name, "-", "-", "table missing",
                                        f"a {name}.csv file or a {name} sheet"))
            frames[name] = _empty(name)
            ids[name] = {} if name in REQUIRED_TABLES else {c: set() for c in _str_fields(name)}
            continue
        if not raw.headers.get(name) and not len(raw.tables[name].columns):  # an empty file
            if name in REQUIRED_TABLES and not _direct_only(name, raw):
                problems.append(Problem(name, "-", "-", f"{raw.files.get(name, name)} is empty",
                                        f"a header row, then the rows of {name}"))
            frames[name] = _empty(name)
            ids[name] = {c: set() for c in _str_fields(name)}
            continue
        unread = {p.row for p in problems if p.table == name and isinstance(p.row, int)}
        if name in LONG_TABLES:
            frames[name], ids[name] = _columns(name, raw.tables[name], problems, unread)
        else:
            frames[name], ids[name] = _rows(name, raw.tables[name], problems, unread,
                                            raw.headers.get(name))
    warnings: list[Problem] = []
    _keys(frames, problems, warnings)
    _references(frames, ids, problems)
    _history_calendar(frames, settings, problems)
    _profiles(frames, problems)
    places = _locations(frames, problems)
    _supply_pairing(frames, ids, problems)
    _something_to_decide(raw, frames, problems)
    if not problems and settings is not None:
        _solvable(frames, settings, problems, warnings)
    if problems or settings is None:
        raise ModelValidationError(raw.source, _in_file_order(problems))
    frames = {k: v.drop(columns="location", errors="ignore") if k != "lanes" else v
              for k, v in frames.items()}
    return ModelData(settings=settings, source=raw.source, **frames, places=places,
                     notes=tuple(raw.notes), warnings=tuple(_in_file_order(warnings)))


def _forecast_replaces(table: str, raw: RawModel, settings: Settings | None) -> bool:
    """A missing demand table is fine when the demand history will be forecast into one."""
    use = settings.forecast.use_history if settings is not None else True
    return table == "demand" and "demand_history" in raw.tables and use


def _direct_only(table: str, raw: RawModel) -> bool:
    """No DC is needed when suppliers deliver direct: facilities may be missing or empty with a
    supply table (reachability then asks for a direct lane to every customer)."""
    supply = raw.tables.get("supply")
    return table == "facilities" and supply is not None and not supply.empty


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Settings first, then tables in schema order; whole-table problems before rows."""
    order = {name: i for i, name in enumerate(["model.yaml", *TABLES])}
    return sorted(problems, key=lambda p: (order.get(p.table, len(order)),
                                           p.row if isinstance(p.row, int) else 0))


# -- settings and rows ---------------------------------------------------------------------------


def _settings(values: dict, problems: list[Problem]) -> Settings | None:
    try:
        return Settings.model_validate(values)
    except ValidationError as err:
        for e in err.errors():
            key = ".".join(str(p) for p in e["loc"])
            if e["type"] == "extra_forbidden":
                known = _known_settings(e["loc"])
                found = "unknown setting" + did_you_mean(str(e["loc"][-1]), known)
                problems.append(Problem("model.yaml", "-", key, found,
                                        f"one of {', '.join(known)}"))
                continue
            problems.append(Problem("model.yaml", "-", key, _found(e),
                                    _expected(e, _setting_field(e["loc"]))))
        return None


def _section(loc: tuple) -> Any:
    """The settings model holding the setting at ``loc`` (``Settings`` for a top-level key)."""
    model: Any = Settings
    for part in loc[:-1]:
        annotation = model.model_fields[part].annotation
        model = next((a for a in getattr(annotation, "__args__", ()) if a is not type(None)),
                     annotation)
    return model


def _known_settings(loc: tuple) -> list[str]:
    """The settings allowed next to an unknown one, e.g. ``service.max_dayz``."""
    return list(_section(loc).model_fields)


def _setting_field(loc: tuple) -> FieldInfo | None:
    """The schema field of the setting at ``loc``; None inside lists and tuples."""
    if not loc or not all(isinstance(part, str) for part in loc):
        return None
    try:
        return _section(loc).model_fields.get(loc[-1])
    except (AttributeError, KeyError):
        return None


def _found(error: dict) -> str:
    if error["type"] == "missing":
        return "blank"
    return f"found {_shown(error['input'])}"


def _shown(value: Any) -> str:
    """A cell as typed: numbers unquoted (CSV text or Excel number alike), text quoted."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return repr(value)
        return value.strip()
    return repr(value)


_EXPECTED = {
    "missing": "a value",
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_parsing": "true or false",
    "string_type": "text",
    "extra_forbidden": "a known setting",
    "finite_number": "a finite number",
}


def _expected(error: dict, field: FieldInfo | None = None) -> str:
    """What the schema wants instead, with both ends of a bounded field's range."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in _BOUND_ERRORS and field is not None:
        low, high = _bounds(field)
        if low is not None and high is not None:
            if (low[0], high[0]) == ("≥", "≤"):
                return f"a number from {low[1]:g} to {high[1]:g}"
            return f"a number {low[0]} {low[1]:g} and {high[0]} {high[1]:g}"
    if kind == "greater_than_equal":
        return f"a number ≥ {ctx['ge']:g}"
    if kind == "greater_than":
        return f"a number > {ctx['gt']:g}"
    if kind == "less_than_equal":
        return f"a number ≤ {ctx['le']:g}"
    if kind == "less_than":
        return f"a number < {ctx['lt']:g}"
    if kind == "literal_error":
        return f"one of {ctx['expected']}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"].lower()


_BOUND_ERRORS = ("greater_than_equal", "greater_than", "less_than_equal", "less_than")


def _bounds(field: FieldInfo) -> tuple[tuple[str, float] | None, tuple[str, float] | None]:
    """(words, number) of a field's lower and upper bound, e.g. ("≥", 1), ("≤", 366)."""
    low = high = None
    for meta in field.metadata:
        for attr, words in (("ge", "≥"), ("gt", ">")):
            if getattr(meta, attr, None) is not None:
                low = (words, float(getattr(meta, attr)))
        for attr, words in (("le", "≤"), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                high = (words, float(getattr(meta, attr)))
    return low, high


def _empty(name: str) -> pd.DataFrame:
    """No rows, every column, number columns typed float (so merges with it stay numeric)."""
    return pd.DataFrame({
        col: pd.Series(dtype=float if info.annotation in (float, float | None) else object)
        for col, info in TABLES[name].model_fields.items()
    })


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _str_fields(name: str) -> set[str]:
    return {
        f for f, info in TABLES[name].model_fields.items()
        if info.annotation in (str, str | None)
    }


def _rows(
    name: str, frame: pd.DataFrame, problems: list[Problem], unread: set[int] = frozenset(),
    header: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, set[str]]]:
    """Validate every row of one table except ``unread`` ones (reported by the reader).

    Returns the typed frame of the valid rows (index = source row) and, per text column present,
    the ids as written in every row, so one bad row does not make its id "unknown" elsewhere.
    """
    model = TABLES[name]
    frame = frame.rename(columns=lambda c: str(c).strip())
    missing = [
        col for col, info in model.model_fields.items()
        if info.is_required() and col not in frame.columns
    ]
    found = header if header is not None else [str(c) for c in frame.columns]
    shown = "; the header read is " + (" | ".join(repr(c) for c in found) if found else "empty")
    for col in missing:
        desc = model.model_fields[col].description or "a value"
        problems.append(Problem(name, 1, col, "column missing",
                                f"a column {col!r} ({desc}){shown}"))
    text_cols = _str_fields(name)
    records = []
    for row in frame.to_dict("records"):
        rec = {}
        for key, value in row.items():
            if _is_blank(value):
                continue
            if key in text_cols and isinstance(value, int | float) and not isinstance(value, bool):
                value = str(int(value)) if float(value).is_integer() else str(value)
            rec[key] = value
        records.append(rec)
    ids = {
        col: {str(r[col]).strip() for r in records if col in r}
        for col in text_cols if col in frame.columns
    }
    rows, index = [], []
    for position, rec in enumerate(records):
        if frame.index[position] in unread:
            continue
        try:
            rows.append(model.model_validate(rec))
        except ValidationError as err:
            for e in err.errors():
                column = str(e["loc"][0]) if e["loc"] else "-"
                if e["type"] == "missing" and column in missing:
                    continue
                found = "blank" if e["type"] == "missing" else f"found {_shown(e['input'])}"
                problems.append(Problem(name, int(frame.index[position]), column, found,
                                        _expected(e, model.model_fields.get(column))))
            continue
        index.append(frame.index[position])
    if not rows:
        return _empty(name), ids
    typed = pd.DataFrame([{**r.__dict__, **(r.model_extra or {})} for r in rows], index=index)
    numbers = [c for c, f in model.model_fields.items() if f.annotation in (float, float | None)]
    return typed.astype(dict.fromkeys(numbers, float)), ids  # blank optional numbers → NaN


# -- cross-table checks --------------------------------------------------------------------------


def _keys(frames: dict[str, pd.DataFrame], problems: list[Problem],
          warnings: list[Problem]) -> None:
    """Duplicate keys are problems; ids that differ only by letter case are warnings (they are
    distinct ids, which an export that changed case did not mean)."""
    for name, keys in KEYS.items():
        frame = frames[name]
        if frame.empty or not set(keys) <= set(frame.columns):
            continue
        if name in LONG_TABLES:
            _long_keys(name, frame, keys, problems)
            continue
        first_at: dict[tuple, int] = {}
        folded: dict[tuple, tuple] = {}
        for row, *key in frame[list(keys)].itertuples(name=None):
            key = tuple(key)
            shown = key[0] if len(key) == 1 else key
            if key in first_at:
                problems.append(Problem(
                    name, row, keys[-1], f"duplicate key {shown!r} (first at row {first_at[key]})",
                    "each key once",
                ))
                continue
            first_at[key] = row
            fold = tuple(str(k).casefold() for k in key)
            if fold in folded:
                other = folded[fold]
                warnings.append(Problem(
                    name, row, keys[-1], f"{shown!r} differs from "
                    f"{other[0] if len(other) == 1 else other!r} (row {first_at[other]}) only "
                    "by letter case", "ids that differ in more than case (these are distinct)"))
            else:
                folded[fold] = key


_REFERENCES = [
    ("demand", "customer", "customers", "customer"),
    ("demand", "product", "products", "product"),
    ("demand_history", "customer", "customers", "customer"),
    ("demand_history", "product", "products", "product"),
    ("demand_profile", "product", "products", "product"),
    ("supply", "supplier", "suppliers", "supplier"),
    ("supply", "product", "products", "product"),
    ("facility_options", "facility", "facilities", "facility"),
    ("lanes", "mode", "modes", "mode"),
]


def _references(
    frames: dict[str, pd.DataFrame], ids: dict[str, dict[str, set[str]]], problems: list[Problem]
) -> None:
    """Ids no row of the referenced table lists (skipped when that table or key column is
    missing: that is reported once already)."""
    for table, column, target, target_col in _REFERENCES:
        frame, known = frames[table], ids[target].get(target_col)
        if frame.empty or known is None:
            continue
        for row in frame.index[~frame[column].isin(known).to_numpy()]:
            value = str(frame.loc[row, column])
            problems.append(Problem(
                table, row, column, f"unknown {target_col} {value!r}"
                + did_you_mean(value, sorted(known)), f"an id listed in {target}",
            ))
    lanes = frames["lanes"]
    suppliers, facilities, customers = (ids["suppliers"].get("supplier"),
                                        ids["facilities"].get("facility"),
                                        ids["customers"].get("customer"))
    if lanes.empty or facilities is None:
        return
    for column, known, what in (("origin", suppliers, "a supplier or facility id"),
                                ("destination", customers, "a facility or customer id")):
        if known is None:
            continue
        for row in lanes.index[~lanes[column].isin(known | facilities).to_numpy()]:
            value = str(lanes.loc[row, column])
            problems.append(Problem("lanes", row, column, f"unknown id {value!r}"
                                    + did_you_mean(value, sorted(known | facilities)), what))


def _supply_pairing(
    frames: dict[str, pd.DataFrame], ids: dict[str, dict[str, set[str]]], problems: list[Problem]
) -> None:
    """With a supply table every demanded product needs at least one supplier."""
    demand, supplied = frames["demand"], ids["supply"].get("product")
    if supplied is None:  # a supply table without its product column: reported already
        return
    if not supplied:
        if not frames["suppliers"].empty:
            problems.append(Problem("supply", "-", "-", "table missing or empty while "
                                    "suppliers are given", "supply rows for the suppliers"))
        return
    unsupplied = sorted(set(demand["product"]) - supplied)
    for product in unsupplied:
        row = demand.index[(demand["product"] == product).to_numpy()][0]
        problems.append(Problem("demand", row, "product", f"product {product!r} has no supply row",
                                "a supply row for every demanded product"))


PLACE_EXPECTED = ("a place in the offline gazetteer ('City, ST', 'City, CC', 'City, ST, CC' or "
                  "a US ZIP code), or lat and lon")
PLACE_COLUMNS = ["table", "row", "id", "location", "country", "lat", "lon", "place", "source"]


def _locations(frames: dict[str, pd.DataFrame], problems: list[Problem]) -> pd.DataFrame:
    """Fill lat/lon from ``location`` (and ``country``) with the offline gazetteer; an unknown or
    ambiguous name is a problem. Returns what was resolved, one row per geocoded place."""
    from netdesign.gazetteer import AmbiguousPlace, GeocodeError, resolve

    resolved = []
    for name in ("suppliers", "facilities", "customers"):
        frame = frames[name]
        if frame.empty:
            continue
        key = KEYS[name][0]
        lat, lon = frame["lat"].astype(float).copy(), frame["lon"].astype(float).copy()
        loc = frame.get("location", pd.Series(None, index=frame.index))
        country = frame.get("country", pd.Series(None, index=frame.index))
        for row in frame.index[(lat.isna() | lon.isna()).to_numpy()]:
            place, within = loc.loc[row], country.loc[row]
            if _is_blank(place):
                problems.append(Problem(name, row, "lat", "blank lat/lon and no location",
                                        "lat and lon, or a location ('City, ST' or ZIP)"))
                continue
            within = None if _is_blank(within) else str(within)
            try:
                found = resolve(str(place), within)
            except AmbiguousPlace as err:
                problems.append(Problem(name, row, "location", str(err), "one place: write "
                                        "'City, ST, CC', fill the country column, or give "
                                        "lat and lon"))
                continue
            except GeocodeError as err:
                hint = f" (did you mean {' or '.join(map(repr, err.suggestions))}?)" if (
                    err.suggestions) else ""
                column = "country" if str(err).startswith("country ") else "location"
                reason = str(err) if column == "country" else f"unknown place {place!r}"
                problems.append(Problem(name, row, column, reason + hint, PLACE_EXPECTED))
                continue
            lat.loc[row], lon.loc[row] = found.lat, found.lon
            resolved.append((name, int(row), frame.at[row, key], str(place), within or "",
                             found.lat, found.lon, found.label(), found.source))
        frames[name] = frame.assign(lat=lat, lon=lon)
    return pd.DataFrame(resolved, columns=PLACE_COLUMNS)


def _something_to_decide(raw: RawModel, frames: dict[str, pd.DataFrame],
                         problems: list[Problem]) -> None:
    """Every required table has rows, and some demand is positive (else there is no network to
    design: a solve would have nothing to optimise)."""
    for name in REQUIRED_TABLES:
        table = raw.tables.get(name)
        if table is not None and table.empty and len(table.columns) and not _direct_only(name,
                                                                                         raw):
            problems.append(Problem(name, "-", "-", "no rows", f"at least one row ({name})"))
    demand = frames["demand"]
    table = raw.tables.get("demand")
    if table is not None and not table.empty and len(demand) == len(table) and float(
            demand["annual_units"].sum()) <= 0:
        problems.append(Problem("demand", "-", "annual_units", "total demand 0 units/year",
                                "some demand above 0 (nothing to deliver: nothing to decide)"))


def _solvable(frames: dict[str, pd.DataFrame], settings: Settings, problems: list[Problem],
              warnings: list[Problem]) -> None:
    """What the model will solve can satisfy every demand row: reachability, band, capacity.

    The network is the one the optimisation model is built from
    (:func:`netdesign.network.build_network`: lanes, modes, promises, forced-closed DCs and
    reductions applied), so a check here fails exactly where ``demand_satisfaction`` would.
    """
    from netdesign.network import build_network

    data = ModelData(settings=settings, **frames)
    network = build_network(data)
    served, fastest = _reach(network)
    rows = _demand_rows(frames["demand"], network.demand)
    allowed = settings.unmet_demand.allowed
    _unreachable(data, network, ~served, rows, warnings if allowed else problems)
    _band(settings, network, fastest, problems)
    if not allowed:
        _capacity(frames, network, problems)


def _reach(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Per demand row of ``network``: served by some path (supply → DC → customer, or direct),
    and the fastest delivering arc of such a path [days] (inf when none).

    A (product, DC) pair holds stock it can ship when an inbound arc (or a DC's own replenishment)
    arrives, or a transfer from such a pair; a demand row is served by a direct arc or by an
    outbound arc leaving such a pair.
    """
    flows = network.flows
    key = pd.MultiIndex.from_frame
    stocked = key(flows.loc[flows["leg"] == "inbound", ["product", "destination"]])
    transfers = flows[flows["leg"] == "transfer"]
    while not transfers.empty:
        reached = key(transfers[["product", "origin"]]).isin(stocked)
        more = key(transfers.loc[reached, ["product", "destination"]]).difference(stocked)
        if more.empty:
            break
        stocked = stocked.union(more)
    outbound = flows[flows["leg"] == "outbound"]
    delivering = pd.concat([
        outbound[key(outbound[["product", "origin"]]).isin(stocked)],
        flows[flows["leg"] == "direct"]])
    best = delivering.groupby(["product", "destination"])["transit_days"].min()
    demand = key(network.demand[["product", "customer"]])
    fastest = best.reindex(demand).to_numpy(dtype=float)
    fastest = np.where(np.isnan(fastest), np.inf, fastest)
    return np.isfinite(fastest), fastest


def _demand_rows(demand: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """The source row (CSV line) of each demand row of the network."""
    line = pd.Series(demand.index, index=pd.MultiIndex.from_frame(demand[["product", "customer"]]))
    return line.reindex(pd.MultiIndex.from_frame(rows[["product", "customer"]])).to_numpy()


#: how many customer × product pairs a reachability problem lists one by one
REACH_DETAILS = 20


def _unreachable(data: ModelData, network: Network, unserved: np.ndarray, rows: np.ndarray,
                 out: list[Problem]) -> None:
    """One problem per demand row no path serves within its promise, with the fastest path the
    promise would have to allow (as the infeasibility diagnosis says it, "promise 2 → 3.5
    days"); past :data:`REACH_DETAILS` rows, one line with the count."""
    if not unserved.any():
        return
    demand = network.demand[unserved]
    lifted = _unpromised(data)
    fastest = pd.Series(_reach(lifted)[1], index=pd.MultiIndex.from_frame(
        lifted.demand[["product", "customer"]]))
    where = ("a path within the promise: a DC (or direct) lane-mode that the product's supply "
             "reaches") if data.has_suppliers else "a path within the promise: a DC lane-mode"
    allowed = data.settings.unmet_demand.allowed
    for shown, (row, d) in enumerate(zip(rows[unserved], demand.itertuples(), strict=True)):
        if shown == REACH_DETAILS:
            out.append(Problem("demand", "-", "product",
                               f"{len(demand) - REACH_DETAILS} more customer × product pair(s) "
                               "cannot be delivered within the promise", where))
            break
        best = fastest.get((d.product, d.customer), np.inf)
        found = f"customer {d.customer!r}, product {d.product!r} cannot be delivered " + (
            f"within its {d.max_days:g}-day promise (the fastest path takes {best:.2f} days: "
            f"promise {d.max_days:g} → {math.ceil(best * 100) / 100:g} days)"
            if np.isfinite(best) else "at all (no supply, open DC, lane or mode reaches it)")
        if allowed:
            found += f"; all {d.annual_units:,.0f} units/year will be unmet"
        out.append(Problem("demand", row, "product", found, where))


def _unpromised(data: ModelData) -> Network:
    """The network of ``data`` with every promise lifted (for the fastest path there is).

    A band of share 0 keeps transit time in the dominance test, so the fastest mode of a lane is
    not dropped beside a cheaper slow one.
    """
    from netdesign.network import build_network
    from netdesign.schema import ServiceBand

    s = data.settings
    service = s.service.model_copy(update={"max_days": math.inf,
                                           "band": ServiceBand(days=1.0, share=0.0)})
    return build_network(data.evolve(settings=s.model_copy(update={"service": service}),
                                     customers=data.customers.assign(max_days=math.inf)))


def _band(settings: Settings, network: Network, fastest: np.ndarray,
          problems: list[Problem]) -> None:
    """The service band's share of demand can arrive within its days on some path."""
    band = settings.service.band
    if band is None or network.demand.empty:
        return
    units = network.demand["annual_units"].to_numpy(dtype=float)
    fast = fastest <= band.days + 1e-9
    total, within = float(units.sum()), float(units[fast].sum())
    if within >= band.share * total - 1e-6:
        return
    slow = network.demand[~fast].assign(days=fastest[~fast]).sort_values("annual_units",
                                                                         ascending=False)
    named = ", ".join(f"{d.customer}/{d.product} ({d.days:.2f} days)" if np.isfinite(d.days)
                      else f"{d.customer}/{d.product} (no path)"
                      for d in slow.head(5).itertuples())
    more = f" and {len(slow) - 5} more" if len(slow) > 5 else ""
    problems.append(Problem(
        "model.yaml", "-", "service.band",
        f"at most {within:,.0f} of {total:,.0f} units/year ({within / total:.1%}) can arrive "
        f"within {band.days:g} days; too slow on every path: {named}{more}",
        f"a share ≤ {math.floor(within / total * 1e4) / 1e4:g} for {band.days:g} days, or "
        "faster lanes to those customers"))


def _capacity(frames: dict[str, pd.DataFrame], network: Network, problems: list[Problem]) -> None:
    """DC throughput (with the best options) covers the demand no direct lane can serve; each
    product's supply covers its demand. (Not checked with unmet demand allowed: any shortfall is
    then served at its penalty.)"""
    fac, options = frames["facilities"], frames["facility_options"]
    flows, demand = network.flows, network.demand
    direct = pd.MultiIndex.from_frame(flows.loc[flows["leg"] == "direct",
                                                ["product", "destination"]])
    by_dc = ~pd.MultiIndex.from_frame(demand[["product", "customer"]]).isin(direct)
    need = float(demand.loc[by_dc, "annual_units"].sum())
    usable = fac[fac["status"] != "forced_closed"]
    factor = pd.Series(1.0, index=usable["facility"])
    if not options.empty:
        extra = 1.0 + capacity_raise(options, gains_only=True).groupby(options["facility"]).sum()
        factor = factor.mul(extra.reindex(factor.index).fillna(1.0))
    capacity = float((usable.set_index("facility")["throughput_capacity"] * factor).sum())
    if capacity < need - 1e-6:
        what = "total demand" if by_dc.all() else "the demand no direct lane serves"
        problems.append(Problem("facilities", "-", "throughput_capacity",
                                f"total {capacity:,.0f} units/year over usable DCs",
                                f"at least {what} {need:,.0f} units/year"))
    supply = frames["supply"]
    if supply.empty:
        return
    cap = supply.groupby("product")["capacity"].sum()
    for product, units in demand.groupby("product")["annual_units"].sum().items():
        if cap.get(product, 0.0) < units - 1e-6:
            problems.append(Problem("supply", "-", "capacity",
                                    f"product {product!r} supply {cap.get(product, 0.0):,.0f} "
                                    "units/year", f"at least its demand {units:,.0f} units/year"))


# -- long tables (demand history): the same checks, column by column -----------------------------


def _columns(
    name: str, frame: pd.DataFrame, problems: list[Problem], unread: set[int] = frozenset()
) -> tuple[pd.DataFrame, dict[str, set[str]]]:
    """:func:`_rows` for a long table, vectorised: the same problems in the same words.

    Text columns must not be blank, number columns must parse and keep the schema's bounds,
    ``period`` must be an ISO week or a month, one kind for the whole table.
    """
    from netdesign.forecast.calendar import period_kind, period_start

    model = TABLES[name]
    frame = frame.rename(columns=lambda c: str(c).strip())
    frame = frame.loc[~frame.index.isin(list(unread))]
    bad = pd.Series(False, index=frame.index)
    typed = pd.DataFrame(index=frame.index)
    for col, info in model.model_fields.items():
        if col not in frame.columns:
            if info.is_required():
                problems.append(Problem(name, 1, col, "column missing",
                                        f"a column {col!r} ({info.description})"))
                return _empty(name), {}
            typed[col] = np.nan
            continue
        cells = frame[col].astype(str).str.strip().where(frame[col].notna(), "")
        blank = cells == ""
        if info.is_required():
            _report(name, blank, col, "blank", "a value", problems, cells)
            bad |= blank
        if info.annotation in (float, float | None):
            numbers = pd.to_numeric(cells.where(~blank), errors="coerce")
            wrong = ~blank & (numbers.isna() | ~np.isfinite(numbers.fillna(0.0)))
            _report(name, wrong, col, None, "a number", problems, cells)
            big = ~blank & ~wrong & (numbers.abs() > MAX_NUMBER)
            _report(name, big, col, None, TOO_BIG, problems, cells)
            wrong |= big
            low = _bound(info, "ge")
            below = ~blank & ~wrong & (numbers < low) if low is not None else blank & False
            _report(name, below, col, None, f"a number ≥ {low:g}" if low is not None else "",
                    problems, cells)
            bad |= wrong | below
            typed[col] = numbers.astype(float)
        else:
            controlled = cells.str.contains(CONTROL.pattern, regex=True)
            _report(name, controlled, col, None, NO_CONTROL, problems, cells)
            bad |= controlled
            typed[col] = cells
    kind = period_kind(typed["period"])
    kinds = kind[kind != ""].value_counts()
    wanted = kinds.index[0] if len(kinds) else "week"
    example = "an ISO week like 2025-W07" if wanted == "week" else "a month like 2025-07"
    unknown = (kind == "") & (typed["period"] != "")
    _report(name, unknown, "period", None, "an ISO week like 2025-W07 or a month like 2025-07",
            problems, typed["period"])
    other = (kind != "") & (kind != wanted)
    _report(name, other, "period", None, f"{example}, as in the table's other rows", problems,
            typed["period"])
    bad |= unknown | other
    typed = typed.loc[~bad]
    typed["start"] = period_start(typed["period"], wanted)
    ids = {col: set(frame[col].astype(str).str.strip()) for col in _str_fields(name)
           if col in frame.columns}
    return typed, ids


def _bound(info: Any, which: str) -> float | None:
    for meta in info.metadata:
        if hasattr(meta, which):
            return float(getattr(meta, which))
    return None


def _report(name: str, mask: pd.Series, column: str, found: str | None, expected: str,
            problems: list[Problem], cells: pd.Series) -> None:
    for row in mask.index[mask.to_numpy()]:
        shown = found or f"found {_shown(cells.loc[row])}"
        problems.append(Problem(name, row, column, shown, expected))


def _long_keys(name: str, frame: pd.DataFrame, keys: tuple[str, ...],
               problems: list[Problem]) -> None:
    rows = pd.Series(frame.index, index=frame.index)
    first = rows.groupby([frame[k] for k in keys], sort=False).transform("first")
    for row in frame.index[frame.duplicated(list(keys)).to_numpy()]:
        key = tuple(frame.loc[row, list(keys)])
        problems.append(Problem(name, row, keys[-1],
                                f"duplicate key {key!r} (first at row {first.loc[row]})",
                                "each key once"))


def _history_calendar(frames: dict[str, pd.DataFrame], settings: Settings | None,
                      problems: list[Problem]) -> None:
    """No period missing between the first and the last; every product long enough for the
    forecasting method (``auto``: for the least demanding one, with one backtest origin)."""
    from netdesign.forecast.calendar import (
        history_kind,
        missing_periods,
        month_shares,
        months_span,
    )
    from netdesign.forecast.methods import required_months

    history = frames["demand_history"]
    if history.empty or "start" not in history.columns:
        return
    kind = history_kind(history)
    gaps = missing_periods(history["start"], kind)
    if gaps:
        shown = ", ".join(gaps[:6]) + (f" and {len(gaps) - 6} more" if len(gaps) > 6 else "")
        problems.append(Problem("demand_history", "-", "period",
                                f"no rows for {shown} (a gap in the calendar)",
                                "every period between the first and the last"))
        return
    if settings is None:
        return
    fc = settings.forecast
    need = required_months(fc.method, fc.backtest_months)
    months = month_shares(pd.DatetimeIndex(history["start"].unique()), kind)["month"]
    last = months.max()
    selling = history[history["units"] > 0]
    for product, first_start in selling.groupby("product")["start"].min().items():
        first = months[months >= first_start.to_period("M").to_timestamp()].min()
        span = months_span(first, last) if pd.notna(first) else 0
        if span < need:
            row = selling.index[(selling["product"] == product).to_numpy()][0]
            problems.append(Problem(
                "demand_history", row, "period",
                f"product {product!r} has {span} month(s) of history",
                f"at least {need} for forecast.method {fc.method} "
                f"(training + one backtest of {fc.backtest_months} months)"))


def _profiles(frames: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    """Each product's monthly shares add up to 1."""
    profile = frames["demand_profile"]
    if profile.empty:
        return
    for product, total in profile.groupby("product")["share"].sum().items():
        if abs(total - 1.0) > 1e-3:
            row = profile.index[(profile["product"] == product).to_numpy()][0]
            problems.append(Problem("demand_profile", row, "share",
                                    f"shares of {product!r} add up to {total:.4f}",
                                    "shares adding up to 1 over the product's months"))
