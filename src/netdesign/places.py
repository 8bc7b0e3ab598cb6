"""Writing geocoded places back into a model (``netdesign geocode MODEL``).

Validation resolves every ``location`` whose lat/lon are blank (:mod:`netdesign.gazetteer`) and
keeps what it found in :attr:`ModelData.places`. :func:`write_places` fills those lat/lon cells
in the model's own files, so the coordinates can be checked, corrected and frozen:

* a CSV table is rewritten in the dialect it was read in (encoding, delimiter, decimal
  separator), with the format's column names, ``lat`` and ``lon`` added when missing;
* a workbook keeps every sheet, style and other cell: only the lat/lon cells are set (openpyxl);
* every file is written to a temporary file beside it and then moved over it, so an interrupted
  write leaves the old file.
"""

from __future__ import annotations

import codecs
import csv
from io import BytesIO, StringIO
from pathlib import Path

import pandas as pd

from netdesign.csvfile import Dialect
from netdesign.data import ModelData
from netdesign.files import write_atomic
from netdesign.io import number_columns, read_model

DIGITS = 6  # about 0.1 m


def write_places(model: str | Path, data: ModelData) -> dict[str, int]:
    """Write the lat/lon of ``data.places`` into the files of ``model``; file → places written."""
    places = data.places
    if places is None or places.empty:
        return {}
    raw = read_model(model)
    written: dict[str, int] = {}
    if Path(model).is_dir():
        for table, rows in places.groupby("table"):
            frame = _with_coordinates(raw.tables[table], rows)
            path = Path(model) / raw.files[table]
            _write_csv(path, frame, raw.dialects.get(table, Dialect()), table)
            written[path.name] = len(rows)
    else:
        written = _write_workbook(Path(model), raw.files, places)
    return written


def _with_coordinates(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("lat", "lon"):
        if column not in frame.columns:
            frame[column] = ""
    for row in rows.itertuples():
        frame.loc[row.row, "lat"] = f"{row.lat:.{DIGITS}f}"
        frame.loc[row.row, "lon"] = f"{row.lon:.{DIGITS}f}"
    return frame


def _write_csv(path: Path, frame: pd.DataFrame, dialect: Dialect, table: str) -> None:
    if dialect.decimal == ",":
        numbers = [c for c in number_columns(table) if c in frame.columns]
        frame[numbers] = frame[numbers].map(lambda v: str(v).replace(".", ","))
    buffer = StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\n")
    writer.writerow(frame.columns)
    writer.writerows(frame.astype(str).itertuples(index=False))
    text = buffer.getvalue()
    content = {"UTF-8 with BOM": lambda: text.encode("utf-8-sig"),
               "UTF-16 LE": lambda: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
               "UTF-16 BE": lambda: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
               "Windows-1252": lambda: text.encode("cp1252", errors="replace"),
               }.get(dialect.encoding, lambda: text.encode("utf-8"))()
    write_atomic(path, content)


def _write_workbook(book: Path, files: dict[str, str], places: pd.DataFrame) -> dict[str, int]:
    from openpyxl import load_workbook

    workbook = load_workbook(book)
    written: dict[str, int] = {}
    for table, rows in places.groupby("table"):
        sheet_name = files[table].removeprefix(f"{book.name}[").removesuffix("]")
        sheet = workbook[sheet_name]
        header = {str(c.value).strip().casefold(): c.column for c in sheet[1] if c.value}
        for column in ("lat", "lon"):
            if column not in header:
                header[column] = sheet.max_column + 1
                sheet.cell(row=1, column=header[column], value=column)
        for row in rows.itertuples():
            sheet.cell(row=row.row, column=header["lat"], value=round(row.lat, DIGITS))
            sheet.cell(row=row.row, column=header["lon"], value=round(row.lon, DIGITS))
        written[f"{book.name}[{sheet_name}]"] = len(rows)
    buffer = BytesIO()
    workbook.save(buffer)
    write_atomic(book, buffer.getvalue())
    return written


