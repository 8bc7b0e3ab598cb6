"""The model-format reference, rendered as Markdown from :mod:`netdesign.schema`.

``format_reference()`` is what README.md holds between the ``<!-- format:start -->`` and
``<!-- format:end -->`` markers (a test keeps the two equal); ``python -m netdesign.docs`` rewrites
that part of README.md after a schema change.
"""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from netdesign.schema import KEYS, REQUIRED_TABLES, TABLES, Settings

START, END = "<!-- format:start -->", "<!-- format:end -->"

INTRO = """\
A model is a folder holding `model.yaml` (the settings) and one CSV file per table, or an `.xlsx`
workbook with one sheet per table plus a `model` sheet of dotted settings (column A `setting`, e.g.
`service.max_days`, column B `value`). `netdesign convert` turns one form into the other. The first
row of every table is the header; columns may come in any order. Column, file and sheet names
match without regard to letter case (`Customer`, `Customers.csv`; a note says so). A column or
table that the format does not know is an error naming the closest known one, unless
`extra_columns` or `extra_tables` in `model.yaml` lists it (kept, not used). CSV files may be
UTF-8 (with or without BOM), UTF-16 or Windows-1252, separated by commas, semicolons, tabs or
pipes, with decimal points or (not comma-separated) decimal commas: what is detected is noted.
Every place (supplier, facility, customer) has either `lat`/`lon` or a `location`: "City, ST"
(US), "City, CC" (ISO country code or name), "City, ST, CC", or a US ZIP code (ZIP+4 and a lost
leading zero are read), geocoded from offline data (GeoNames, USPS); the optional `country`
column narrows it, an ambiguous name is an error listing the candidates, and
`netdesign geocode MODEL` writes the resolved lat/lon back. A blank cell takes the column's
default; a column without a default is required. Messages point at `table:row:column`, where row
is the CSV line or sheet row (the header is row 1).
"""

ROWS: dict[str, str] = {
    "products": "one row per product or product family",
    "suppliers": "one row per supplier, plant or import port",
    "supply": "one row per supplier × product it can ship",
    "facilities": "one row per existing or candidate distribution centre (DC)",
    "facility_options": "one row per DC × upgrade (automation, racking, expansion)",
    "customers": "one row per demand zone",
    "demand": "one row per customer × product",
    "modes": "one row per transport mode",
    "lanes": "one row per origin × destination × mode whose cost, distance or time is known",
    "demand_history": "one row per customer × product × period: the shape of an ERP sales "
    "export",
    "demand_profile": "one row per product × calendar month",
}

NOTES: dict[str, str] = {
    "suppliers": "Optional, with `supply`: without them every DC is its own source (it is "
    "replenished after `replenish_lead_time_days`).",
    "supply": "Required when `suppliers` is given; every demanded product needs a supply row.",
    "facility_options": "Optional.",
    "lanes": "Optional: overrides the geodesic distance × circuity, the transit time "
    "(distance / speed + handling days) or the rate of one lane-mode.",
    "demand_history": "Optional; may be gzipped (`demand_history.csv.gz`). With it (and "
    "`forecast.use_history`), `demand` and `demand_profile` are the planning year's forecast "
    "(`netdesign forecast`): the demand table may then be left out. Periods are ISO weeks or "
    "months, one kind per table, with no period missing between the first and the last; a "
    "week's units are spread over its days into calendar months. A period with no row for a "
    "customer × product is a period without sales.",
    "demand_profile": "Optional: each product's share of its annual units per month (they add "
    "up to 1); from the forecast when a history is given. With it, every month's throughput at a "
    "DC is held to that month's part of its annual capacity (`peak.*`).",
}


def format_reference() -> str:
    """Markdown reference of every table and of ``model.yaml``, from the schema."""
    parts = [INTRO]
    required = ", ".join(f"`{t}`" for t in REQUIRED_TABLES)
    optional = ", ".join(f"`{t}`" for t in TABLES if t not in REQUIRED_TABLES)
    parts.append(f"Required tables: {required}. Optional tables: {optional}.\n")
    for name, model in TABLES.items():
        keys = ", ".join(f"`{k}`" for k in KEYS[name])
        status = "required" if name in REQUIRED_TABLES else "optional"
        lines = [
            f"### {name}",
            "",
            f"{ROWS[name][0].upper()}{ROWS[name][1:]} (`{name}.csv` or sheet `{name}`, {status}; "
            f"key: {keys}). {NOTES.get(name, '')}".rstrip(),
            "",
            "| column | required | default | unit | values | description |",
            "|---|---|---|---|---|---|",
        ]
        for column, info in model.model_fields.items():
            unit, text = _unit(info)
            lines.append(_row(
                f"`{column}`", "yes" if info.is_required() else "", _default(info), unit,
                _values(info), text,
            ))
        parts.append("\n".join(lines) + "\n")
    lines = [
        "### model.yaml",
        "",
        "Settings of the whole model; nested settings are YAML mappings (`service: {max_days: 3}`)"
        " or, in a workbook, dotted names (`service.max_days`). Only `name` is required.",
        "",
        "| setting | default | unit | values | description |",
        "|---|---|---|---|---|",
    ]
    for dotted, info, parent in _settings(Settings):
        unit, text = _unit(info)
        default = _default(info)
        if info.is_required():
            default = f"(required with `{parent}`)" if parent else "(required)"
        lines.append(_row(f"`{dotted}`", default, unit, _values(info), text))
    parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _settings(
    model: type[BaseModel], prefix: str = "", parent: str = ""
) -> list[tuple[str, FieldInfo, str]]:
    """Leaf settings (dotted name, field, optional group it belongs to), groups expanded."""
    out = []
    for name, info in model.model_fields.items():
        nested = _nested_model(info.annotation)
        if nested is None:
            out.append((f"{prefix}{name}", info, parent))
            continue
        optional = info.default is None and not parent
        out.extend(_settings(nested, f"{prefix}{name}.", f"{prefix}{name}" if optional else parent))
    return out


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _unit(info: FieldInfo) -> tuple[str, str]:
    """``[unit] text`` → (unit, text); unit ``-`` (no unit) is shown blank."""
    text = (info.description or "").strip()
    if text.startswith("[") and "]" in text:
        unit, _, rest = text[1:].partition("]")
        return ("" if unit == "-" else unit), rest.strip()
    return "", text


def _default(info: FieldInfo) -> str:
    value = info.default
    if value is PydanticUndefined or value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "unlimited" if math.isinf(value) else f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{v:g}" for v in value) + "]"
    return str(value)


def _values(info: FieldInfo) -> str:
    """The type and range of a column, e.g. ``number ≥ 0`` or ``single, multi``."""
    annotation = info.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if get_origin(annotation) is Literal:
        return ", ".join(str(a) for a in get_args(annotation))
    if get_origin(annotation) is dict:
        return "table: list of columns"
    if get_origin(annotation) is list:
        return "list of names"
    if get_origin(annotation) is tuple:
        return f"a list of {len(get_args(annotation))} ascending numbers"
    kind = {float: "number", int: "whole number", bool: "true or false", str: "text"}.get(
        annotation, "text"
    )
    bounds = []
    for meta in info.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if isinstance(meta, annotated_types.BaseMetadata) and hasattr(meta, attr):
                bounds.append(f"{sign} {getattr(meta, attr):g}")
    return f"{kind} {', '.join(bounds)}".strip()


def _row(*cells: str) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def update_readme(readme: str | Path) -> bool:
    """Replace the text between the format markers of ``readme``; True when it changed."""
    path = Path(readme)
    text = path.read_text()
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"{path}: markers {START} and {END} not found")
    new = f"{head}{START}\n\n{format_reference()}\n{END}{tail}"
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    readme = sys.argv[1] if len(sys.argv) > 1 else "README.md"
    print(f"{readme}: {'updated' if update_readme(readme) else 'up to date'}")
