"""Reading and writing model sources: a folder (``model.yaml`` + one CSV per table) or a workbook.

Readers return a :class:`RawModel` of untyped cells; :mod:`netdesign.validate` turns it into typed,
checked :class:`~netdesign.data.ModelData`. Row numbers are those a person sees: the CSV line or the
sheet row (the header is row 1).
"""

from __future__ import annotations

import csv
import gzip
import math
import re
from dataclasses import dataclass, field
from io import StringIO
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
    # (table, row, column, found, expected) of what could not be read, reported by validation
    errors: list[tuple[str, int | str, str, str, str]] = field(default_factory=list)


def read_model(path: str | Path) -> RawModel:
    """Read a model folder or ``.xlsx`` workbook without interpreting any value."""
    path = Path(path)
    if path.is_dir():
        return _read_folder(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(path)
    raise FileNotFoundError(f"{path}: expected a model folder or an .xlsx workbook")


def _read_folder(folder: Path) -> RawModel:
    errors: list[tuple[str, int | str, str, str, str]] = []
    settings_file = folder / "model.yaml"
    settings: Any = {}
    if settings_file.exists():
        try:
            settings = yaml.safe_load(settings_file.read_text()) or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            errors.append(("model.yaml", mark.line + 1 if mark else "-", "-",
                           f"unreadable YAML ({getattr(err, 'problem', None) or err})",
                           "'key: value' lines, nested settings indented with spaces"))
            settings = {}
        if not isinstance(settings, dict):
            errors.append(("model.yaml", "-", "-", f"found {settings!r}",
                           "'key: value' lines, e.g. 'name: my model'"))
            settings = {}
    tables, files = {}, {}
    for name in TABLES:
        path = folder / f"{name}.csv"
        if not path.exists() and (folder / f"{name}.csv.gz").exists():
            path = folder / f"{name}.csv.gz"  # a long table (demand_history) may come gzipped
        if path.exists():
            tables[name] = _read_csv(path, name, errors)
            files[name] = path.name
    return RawModel(folder, settings, tables, files, errors)


def _read_csv(path: Path, name: str, errors: list) -> pd.DataFrame:
    """Cells as text, index = the line a row starts on; blank lines and blank rows are skipped.

    Reads UTF-8 (with or without BOM) or, failing that, Windows-1252 (Excel's "CSV" on Windows);
    a ``.gz`` file is decompressed first.
    """
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(StringIO(text, newline=""), skipinitialspace=True)
    header: list[str] | None = None
    rows, lines, start = [], [], 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip() for cell in record]
            for i, col in enumerate(header):
                if col and col in header[:i]:
                    errors.append((name, line, col, "duplicate column", "each column once"))
            continue
        if len(record) > len(header):
            # kept, cut to the header, for its ids only: validation skips rows with errors
            errors.append((name, line, "-", f"found {len(record)} cells",
                           f"{len(header)} as in the header (quote text with commas, "
                           'e.g. "Miami, FL")'))
        rows.append((record + [""] * len(header))[: len(header)])
        lines.append(line)
    if header is None:
        return pd.DataFrame()
    frame = pd.DataFrame(rows, columns=header, index=lines, dtype=object)
    keep = [bool(col) and col not in header[:i] for i, col in enumerate(header)]
    return frame.loc[:, keep]


def _read_workbook(book: Path) -> RawModel:
    sheets = pd.read_excel(book, sheet_name=None, dtype=object, engine="openpyxl")
    settings: dict[str, Any] = {}
    if SETTINGS_SHEET in sheets:
        for key, value, *_ in sheets[SETTINGS_SHEET].iloc[:, :2].itertuples(index=False):
            if isinstance(key, str) and key.strip() and not _is_blank(value):
                _set_dotted(settings, key.strip(), _yaml_scalar(value))
    tables, files = {}, {}
    for name in TABLES:
        if name in sheets:
            frame = sheets[name].map(lambda v: "" if _is_blank(v) else v)
            frame.index = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
            tables[name] = _drop_blank_rows(frame)
            files[name] = f"{book.name}[{name}]"
    return RawModel(book, settings, tables, files)


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty lines and rows of empty cells are not rows; the others keep their row numbers."""
    blank = frame.map(lambda v: _is_blank(v) or (isinstance(v, str) and not v.strip()))
    return frame[~blank.all(axis=1).to_numpy()]


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _yaml_scalar(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        return value  # validation reports it as found text


def _set_dotted(target: dict, dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
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
    if not math.isfinite(number) or re.match(r"[+-]?0\d", value.strip()):
        return value  # keep "inf", ZIP codes like "02134" and ids like "007" as text
    return int(number) if number.is_integer() and "." not in value and "e" not in value else number


def _text_columns(table: str) -> set[str]:
    """Id, name and place columns: written as text even when they look like numbers."""
    if table not in TABLES:
        return set()
    return {
        name for name, info in TABLES[table].model_fields.items()
        if info.annotation not in (float, int, float | None, int | None)
    }


def _setting_cell(value: Any) -> Any:
    """A setting as a cell the reader parses back to the same value ("007" stays text)."""
    if isinstance(value, str) and _yaml_scalar(value) == value:
        return value
    return yaml.safe_dump(value).strip().removesuffix("\n...").strip()


def write_workbook(raw: RawModel, book: Path) -> None:
    """Write a model as one sheet per table plus a ``model`` sheet of dotted settings."""
    book.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        flat = _flatten(raw.settings)
        pd.DataFrame({"setting": list(flat), "value": [_setting_cell(v) for v in flat.values()]}
                     ).to_excel(writer, sheet_name=SETTINGS_SHEET, index=False)
        for name, frame in raw.tables.items():
            text = _text_columns(name)
            typed = frame.apply(lambda col, text=text: col if col.name in text else col.map(_cell))
            typed.to_excel(writer, sheet_name=name, index=False)
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
    if raw.errors:  # a row that could not be read would be cut or lost in the copy
        from netdesign.validate import ModelValidationError, Problem

        raise ModelValidationError(raw.source, [Problem(*error) for error in raw.errors])
    target = Path(target)
    if target.suffix.lower() == ".xlsx":
        write_workbook(raw, target)
    else:
        write_folder(raw, target)
    return target
