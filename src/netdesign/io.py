"""Reading and writing model sources: a folder (``model.yaml`` + one CSV per table) or a workbook.

Readers return a :class:`RawModel` of untyped cells; :mod:`netdesign.validate` turns it into typed,
checked :class:`~netdesign.data.ModelData`. Row numbers are those a person sees: the CSV line or the
sheet row (the header is row 1).
"""

from __future__ import annotations

import gzip
import logging
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from netdesign import yamlfile
from netdesign.csvfile import (
    CsvError,
    Dialect,
    UnreadableText,
    decimal_comma,
    decode,
    from_decimal_comma,
    records,
    sniff_delimiter,
)
from netdesign.errors import ModelValidationError, Problem
from netdesign.files import write_atomic
from netdesign.names import did_you_mean, same_name
from netdesign.schema import TABLES
from netdesign.xlsxfile import Untrusted, untrusted_cells

SETTINGS_SHEET = "model"
SETTINGS_FILES = ("model.yaml", "model.yml")
FIRST_DATA_ROW = 2  # header is row 1 in both CSV and Excel
TABLE_FILES = ", ".join(f"{name}.csv" for name in TABLES)
#: how a cell starts that a spreadsheet may take for a formula (OWASP, "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

log = logging.getLogger("netdesign.io")

Error = tuple[str, int | str, str, str, str]  # (table, row, column, found, expected)


@dataclass(frozen=True)
class RawModel:
    """Untyped cells as read, before validation; column names are the format's (any letter case
    and declared extra columns read, unknown columns reported in ``errors`` and left out)."""

    source: Path
    settings: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    files: dict[str, str] = field(default_factory=dict)  # table → file or sheet name for messages
    # (table, row, column, found, expected) of what could not be read, reported by validation
    errors: list[Error] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how files were read (dialect, name case)
    dialects: dict[str, Dialect] = field(default_factory=dict)  # table → its CSV's dialect
    headers: dict[str, list[str]] = field(default_factory=dict)  # table → header cells as found


def read_model(path: str | Path) -> RawModel:
    """Read a model folder or ``.xlsx`` workbook without interpreting any value.

    Raises :class:`FileNotFoundError` when nothing is there and
    :class:`~netdesign.errors.ModelValidationError` when the path is no model at all (a plain
    file, a workbook that cannot be opened).
    """
    path = Path(path)
    if path.is_dir():
        return _read_folder(path)
    if not path.exists():
        raise FileNotFoundError(2, "no such model folder or workbook", str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(path)
    raise ModelValidationError(path, [Problem(
        path.name, "-", "-", "a file that is neither a model folder nor an .xlsx workbook",
        "a folder holding model.yaml and one CSV file per table, or an .xlsx workbook")])


def _note(notes: list[str], text: str) -> None:
    log.info(text)
    notes.append(text)


def _read_folder(folder: Path) -> RawModel:
    errors: list[Error] = []
    notes: list[str] = []
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as err:
        raise ModelValidationError(folder, [Problem(folder.name, "-", "-",
                                                    f"cannot list the folder ({err.strerror})",
                                                    "a readable model folder")]) from None
    settings = _read_settings(entries, errors, notes)
    extra = settings.get("extra_columns") if isinstance(settings.get("extra_columns"), dict) else {}
    tables, files, dialects, headers = {}, {}, {}, {}
    for name, path in _table_files(entries, _names(settings.get("extra_tables")), errors,
                                   notes).items():
        read = _read_csv(path, name, _names(extra.get(name)), errors, notes)
        files[name] = path.name
        if read is not None:
            tables[name], dialects[name], headers[name] = read
    return RawModel(folder, settings, tables, files, errors, notes, _one_decimal(dialects),
                    headers)


def _one_decimal(dialects: dict[str, Dialect]) -> dict[str, Dialect]:
    """A file of whole numbers cannot tell its decimal separator: it is taken to be the one the
    model's other files use (when they agree), so a write-back (``netdesign geocode``) keeps the
    export's style."""
    said = {d.decimal for d in dialects.values() if d.decimal_known}
    if len(said) != 1:
        return dialects
    decimal = said.pop()
    return {name: d if d.decimal_known or d.delimiter == "," else replace(d, decimal=decimal)
            for name, d in dialects.items()}


def _names(value: Any) -> list[str]:
    """A list of names from a setting as written (anything else: none; validation reports it)."""
    return [str(v) for v in value] if isinstance(value, list) else []


def _read_settings(entries: list[Path], errors: list[Error], notes: list[str]) -> dict:
    found = [p for p in entries if p.name.casefold() in SETTINGS_FILES and p.is_file()]
    if not found:
        return {}
    settings_file = found[0]
    if settings_file.name not in SETTINGS_FILES:
        _note(notes, f"{settings_file.name} read as model.yaml")
    try:
        text = decode(yamlfile.read_bytes(settings_file))[0]
        settings = yamlfile.load(text) or {}
    except (OSError, UnreadableText) as err:
        errors.append(("model.yaml", "-", "-", f"cannot read {settings_file.name} ({err})",
                       "a text file of 'key: value' lines"))
        return {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        errors.append(("model.yaml", mark.line + 1 if mark else "-", "-",
                       f"unreadable YAML ({getattr(err, 'problem', None) or err})",
                       "'key: value' lines, nested settings indented with spaces"))
        return {}
    if not isinstance(settings, dict):
        errors.append(("model.yaml", "-", "-", f"found {settings!r}",
                       "'key: value' lines, e.g. 'name: my model'"))
        return {}
    return settings


def _table_files(entries: list[Path], extra_tables: list[str], errors: list[Error],
                 notes: list[str]) -> dict[str, Path]:
    """Table name → its CSV file; names match in any letter case, unknown CSV files are errors
    (unless listed in ``extra_tables`` or empty), a table's file in another format too."""
    files: dict[str, Path] = {}
    for path in entries:
        stem, suffix = path.stem, path.suffix.lower()
        if path.name.lower().endswith(".csv.gz"):  # a long table (demand_history) gzipped
            stem, suffix = path.name[:-len(".csv.gz")], ".csv"
        name = stem if stem in TABLES else same_name(stem, TABLES)
        if suffix != ".csv":
            if name and suffix in (".tsv", ".txt", ".xlsx", ".xls", ".json"):
                errors.append((name, "-", "-", f"table file {path.name!r} is not a .csv",
                               f"{name}.csv (any delimiter)"))
            continue
        if name is None:
            listed = same_name(stem, extra_tables) is not None
            if listed or _empty_file(path):
                _note(notes, f"{path.name} not read ({'in extra_tables' if listed else 'empty'})")
                continue
            errors.append((path.name, "-", "-", "unknown table file"
                           + did_you_mean(path.name, [f"{t}.csv" for t in TABLES]),
                           f"one of {TABLE_FILES}, or a name listed under extra_tables in "
                           "model.yaml"))
            continue
        if name in files:
            errors.append((name, "-", "-", f"two files for one table: {files[name].name} and "
                           f"{path.name}", "one file per table"))
            continue
        if stem != name:
            _note(notes, f"{path.name} read as table {name}")
        files[name] = path
    return files


def _empty_file(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size == 0
    except OSError:
        return False


def _read_csv(path: Path, name: str, extra: list[str], errors: list[Error],
              notes: list[str]) -> tuple[pd.DataFrame, Dialect, list[str]] | None:
    """Cells as text, index = the line a row starts on; blank lines and blank rows are skipped.

    The encoding, delimiter and decimal separator are detected (:mod:`netdesign.csvfile`); a
    file that cannot be read at all is one error and None.
    """
    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
        text, encoding = decode(data)
    except (gzip.BadGzipFile, EOFError) as err:
        errors.append((name, "-", "-", f"{path.name} is not a readable gzip file ({err})",
                       "a CSV file, or one compressed with gzip"))
        return None
    except IsADirectoryError:
        errors.append((name, "-", "-", f"{path.name} is a folder", "a CSV file"))
        return None
    except OSError as err:
        errors.append((name, "-", "-", f"cannot read {path.name} ({err.strerror})",
                       "a readable CSV file"))
        return None
    except UnreadableText as err:
        errors.append((name, "-", "-", f"{path.name} is not text: {err}",
                       "a CSV file in UTF-8, UTF-16 or Windows-1252"))
        return None
    delimiter = sniff_delimiter(text)
    try:
        lines = [(line, rec) for line, rec in records(text, delimiter)
                 if any(cell.strip() for cell in rec)]
    except CsvError as err:
        errors.append((name, err.line, "-", f"unreadable CSV ({err.reason})",
                       "cells of at most 1,000,000 characters, quotes closed"))
        return None
    if not lines:
        _note(notes, f"{path.name} is empty: no rows")
        return pd.DataFrame(), Dialect(encoding, delimiter), []
    header = [cell.strip() for cell in lines[0][1]]
    rows, index = [], []
    for line, record in lines[1:]:
        if len(record) > len(header):
            # kept, cut to the header, for its ids only: validation skips rows with errors
            hint = ' (quote text with commas, e.g. "Miami, FL")' if delimiter == "," else ""
            errors.append((name, line, "-", f"found {len(record)} cells",
                           f"{len(header)} as in the header{hint}"))
        rows.append((record + [""] * len(header))[: len(header)])
        index.append(line)
    frame = pd.DataFrame(rows, columns=range(len(header)), index=index, dtype=object)
    frame = canonical_columns(frame, header, name, extra, errors, notes, path.name)
    decimal = _decimal(frame, name, delimiter)
    dialect = Dialect(encoding, delimiter, decimal or ".", decimal is not None)
    if dialect.decimal == ",":
        numbers = [c for c in number_columns(name) if c in frame.columns]
        frame[numbers] = frame[numbers].map(from_decimal_comma)
    if not dialect.usual:
        _note(notes, f"{path.name} read as {dialect.describe()}")
    return frame, dialect, header


def number_columns(table: str) -> list[str]:
    return [col for col, info in TABLES[table].model_fields.items()
            if info.annotation in (float, int, float | None, int | None)]


def _decimal(frame: pd.DataFrame, table: str, delimiter: str) -> str | None:
    """``,`` when the number columns of a not comma-separated file use decimal commas, ``.``
    when they use points, None when no number tells (whole numbers only)."""
    if delimiter == ",":
        return "."
    cells = (cell for col in number_columns(table) if col in frame.columns
             for cell in frame[col] if isinstance(cell, str))
    found = decimal_comma(cells)
    return None if found is None else "," if found else "."


def canonical_columns(frame: pd.DataFrame, header: list[Any], table: str, extra: list[str],
                      errors: list[Error], notes: list[str], where: str) -> pd.DataFrame:
    """``frame`` (columns by position) with the format's column names.

    A header differing from a known column only by letter case is read as it (with a note);
    columns listed in ``extra`` are kept as they are; an unknown, duplicate or blank-but-filled
    header is an error and its column is left out.
    """
    known = list(TABLES[table].model_fields)
    names: dict[int, str] = {}
    for position, raw_name in enumerate(header):
        text = "" if _is_blank(raw_name) else str(raw_name).strip()
        column = frame.iloc[:, position]
        if not text:
            filled = column.map(lambda v: not _is_blank(v) and str(v).strip() != "")
            if filled.any():
                errors.append((table, 1, f"column {position + 1}", "no header above "
                               f"{int(filled.sum())} filled cell(s)", "a column name"))
            continue
        name = text if text in known or text in extra else (
            same_name(text, known) or same_name(text, extra))
        if name is None:
            errors.append((table, 1, text, "unknown column" + did_you_mean(text, known),
                           f"a column of {table} (see the format reference), or the name "
                           f"listed under extra_columns.{table} in model.yaml"))
            continue
        if name in names.values():
            errors.append((table, 1, name, "duplicate column", "each column once"))
            continue
        if name != text:
            _note(notes, f"{where}: column {text!r} read as {name!r}")
        names[position] = name
    frame = frame.iloc[:, list(names)]
    frame.columns = list(names.values())
    return frame


def _read_workbook(book: Path) -> RawModel:
    try:
        sheets = pd.read_excel(book, sheet_name=None, dtype=object, engine="openpyxl",
                               header=None)
        untrusted = untrusted_cells(book)
    except Exception as err:
        reason = f"{type(err).__name__}: {err}".strip().rstrip(":")
        raise ModelValidationError(book, [Problem(
            book.name, "-", "-", f"not a readable .xlsx workbook ({reason})",
            "a workbook saved by Excel, LibreOffice or netdesign convert")]) from None
    errors: list[Error] = []
    notes: list[str] = []
    settings_name = SETTINGS_SHEET if SETTINGS_SHEET in sheets else same_name(
        SETTINGS_SHEET, sheets)
    settings: dict[str, Any] = {}
    if settings_name is not None:
        frame = sheets[settings_name]
        start = 1 if len(frame) and str(frame.iat[0, 0]).strip().casefold() == "setting" else 0
        for key, value, *_ in frame.iloc[start:, :2].itertuples(index=False):
            if isinstance(key, str) and key.strip() and not _is_blank(value):
                _set_dotted(settings, key.strip(), _yaml_scalar(value))
    extra = settings.get("extra_columns") if isinstance(settings.get("extra_columns"), dict) else {}
    extra_tables = _names(settings.get("extra_tables"))
    tables, files, headers = {}, {}, {}
    read: dict[str, str] = {}  # sheet → the table read from it
    for sheet, frame in sheets.items():
        if sheet == settings_name:
            continue
        name = sheet if sheet in TABLES else same_name(str(sheet), TABLES)
        if name is None or name in tables:
            _unknown_sheet(str(sheet), frame, name, extra_tables, errors, notes)
            continue
        if name != sheet:
            _note(notes, f"{book.name}: sheet {sheet!r} read as table {name}")
        tables[name] = _sheet_table(frame, name, _names(extra.get(name)), errors, notes,
                                    f"{book.name}[{sheet}]")
        files[name] = f"{book.name}[{sheet}]"
        headers[name] = [_text(v) for v in frame.iloc[0]] if len(frame) else []
        read[sheet] = name
    if settings_name is not None:
        read[settings_name] = "model.yaml"
    for sheet, table in read.items():
        errors += _untrusted_errors(sheet, table, sheets[sheet], untrusted.get(sheet, []))
    return RawModel(book, settings, tables, files, errors, notes, headers=headers)


def _untrusted_errors(sheet: str, table: str, frame: pd.DataFrame,
                      cells: list[Untrusted]) -> list[Error]:
    """A formula without a saved value, or a merged range, of a sheet that was read: an error
    at its first cell (named by its header, or its setting on the model sheet)."""
    errors: list[Error] = []
    for cell in cells:
        column, row = range_boundaries(cell.ref)[:2]
        at = (row - 1, 0) if table == "model.yaml" else (0, column - 1)
        inside = at[0] < frame.shape[0] and at[1] < frame.shape[1]
        label = (_text(frame.iat[at]) if inside else "") or get_column_letter(column)
        if cell.formula is not None:
            errors.append((table, row, label, f"formula {cell.formula} in {sheet}!{cell.ref} "
                           "has no saved value", "a value: open and save the workbook in Excel "
                           "(which saves each formula's value), or enter the value"))
        else:
            errors.append((table, row, label, f"merged cells {sheet}!{cell.ref}",
                           "one value in each cell: unmerge the cells and fill every one"))
    return errors


def _unknown_sheet(sheet: str, frame: pd.DataFrame, name: str | None, extra_tables: list[str],
                   errors: list[Error], notes: list[str]) -> None:
    if name is not None:
        errors.append((name, "-", "-", f"two sheets for one table (second: {sheet!r})",
                       "one sheet per table"))
    elif same_name(sheet, extra_tables) or frame.empty or frame.map(_is_blank).all().all():
        _note(notes, f"sheet {sheet!r} not read (listed in extra_tables or empty)")
    else:
        errors.append((sheet, "-", "-", "unknown sheet" + did_you_mean(sheet, TABLES),
                       f"a sheet per table ({', '.join(TABLES)}), the model sheet, or a name "
                       "listed under extra_tables"))


def _sheet_table(frame: pd.DataFrame, name: str, extra: list[str], errors: list[Error],
                 notes: list[str], where: str) -> pd.DataFrame:
    """A sheet read without a header: row 1 is the header, the rest keep their sheet rows."""
    frame = frame.map(lambda v: "" if _is_blank(v) else v)
    if frame.empty:
        return pd.DataFrame()
    header = list(frame.iloc[0])
    body = frame.iloc[1:]
    body.index = range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(body))
    body = canonical_columns(body, header, name, extra, errors, notes, where)
    return _drop_blank_rows(body)


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
        return yamlfile.load(value)
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


def text_cells(sheet: Worksheet) -> None:
    """Text that starts like a formula (:data:`FORMULA_STARTS`) is stored as text, with Excel's
    quote prefix so editing the cell keeps it text: no spreadsheet evaluates it. Numbers stay
    numbers."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True


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
        for sheet in writer.sheets.values():
            text_cells(sheet)


def _text(value: Any) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_folder(raw: RawModel, folder: Path) -> None:
    """Write a model as ``model.yaml`` plus one CSV per table, each file whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "model.yaml", yaml.safe_dump(raw.settings, sort_keys=False))
    for name, frame in raw.tables.items():
        text = frame.map(_text)
        write_atomic(folder / f"{name}.csv", lambda path, t=text: t.to_csv(path, index=False))


def convert(source: str | Path, target: str | Path) -> Path:
    """Folder → workbook when ``target`` ends in .xlsx, otherwise workbook/folder → folder."""
    raw = read_model(source)
    if raw.errors:  # a row that could not be read would be cut or lost in the copy
        raise ModelValidationError(raw.source, [Problem(*error) for error in raw.errors])
    target = Path(target)
    if target.suffix.lower() == ".xlsx":
        write_workbook(raw, target)
    else:
        write_folder(raw, target)
    return target
