"""Reading and writing model sources: a folder (``model.yaml`` + one CSV per table) or a workbook.

Readers return a :class:`RawModel` of untyped cells; :mod:`netdesign.validate` turns it into typed,
checked :class:`~netdesign.data.ModelData`. Row numbers are those a person sees: the CSV line or the
sheet row (the header is row 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from netdesign.schema import TABLES

SETTINGS_SHEET = "model"
FIRST_DATA_ROW = 2  # header is row 1 in both CSV and Excel


@dataclass(frozen=True)
class RawModel:
    """Untyped cells as read, before validation."""

    source: Path
    settings: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    files: dict[str, str] = field(default_factory=dict)  # table → file or sheet name for messages


def read_model(path: str | Path) -> RawModel:
    """Read a model folder or ``.xlsx`` workbook without interpreting any value."""
    path = Path(path)
    if path.is_dir():
        return _read_folder(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(path)
    raise FileNotFoundError(f"{path}: expected a model folder or an .xlsx workbook")


def _read_folder(folder: Path) -> RawModel:
    settings_file = folder / "model.yaml"
    settings = {}
    if settings_file.exists():
        settings = yaml.safe_load(settings_file.read_text()) or {}
    tables, files = {}, {}
    for name in TABLES:
        csv = folder / f"{name}.csv"
        if csv.exists():
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False, skipinitialspace=True)
            frame.index = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
            tables[name] = frame
            files[name] = csv.name
    return RawModel(folder, settings, tables, files)


def _read_workbook(book: Path) -> RawModel:
    sheets = pd.read_excel(book, sheet_name=None, dtype=object, engine="openpyxl")
    settings: dict[str, Any] = {}
    if SETTINGS_SHEET in sheets:
        for key, value in sheets[SETTINGS_SHEET].iloc[:, :2].itertuples(index=False):
            if isinstance(key, str) and key.strip() and not _is_blank(value):
                _set_dotted(settings, key.strip(), _yaml_scalar(value))
    tables, files = {}, {}
    for name in TABLES:
        if name in sheets:
            frame = sheets[name].map(lambda v: "" if _is_blank(v) else v)
            frame.index = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
            tables[name] = frame
            files[name] = f"{book.name}[{name}]"
    return RawModel(book, settings, tables, files)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _yaml_scalar(value: Any) -> Any:
    return yaml.safe_load(value) if isinstance(value, str) else value


def _set_dotted(target: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _flatten(settings: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _cell(value: Any) -> Any:
    """A CSV text cell as the typed value an analyst expects in Excel (numbers stay numbers)."""
    if not isinstance(value, str) or value == "":
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number) or value.strip().lstrip("+-").startswith("0") and "." not in value:
        return value  # keep "inf", ZIP codes like "02134" and ids like "007" as text
    return int(number) if number.is_integer() and "." not in value and "e" not in value else number


def write_workbook(raw: RawModel, book: Path) -> None:
    """Write a model as one sheet per table plus a ``model`` sheet of dotted settings."""
    book.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        flat = _flatten(raw.settings)
        pd.DataFrame({"setting": list(flat), "value": [yaml.safe_dump(v).strip().removesuffix(
            "\n...").strip() if not isinstance(v, str) else v for v in flat.values()]}).to_excel(
            writer, sheet_name=SETTINGS_SHEET, index=False
        )
        for name, frame in raw.tables.items():
            frame.map(_cell).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "A2"
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column[:200])
                sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 40)


def _text(value: Any) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_folder(raw: RawModel, folder: Path) -> None:
    """Write a model as ``model.yaml`` plus one CSV per table."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.yaml").write_text(yaml.safe_dump(raw.settings, sort_keys=False))
    for name, frame in raw.tables.items():
        frame.map(_text).to_csv(folder / f"{name}.csv", index=False)


def convert(source: str | Path, target: str | Path) -> Path:
    """Folder → workbook when ``target`` ends in .xlsx, otherwise workbook/folder → folder."""
    raw = read_model(source)
    target = Path(target)
    if target.suffix.lower() == ".xlsx":
        write_workbook(raw, target)
    else:
        write_folder(raw, target)
    return target
