"""Cells of an ``.xlsx`` workbook whose value a reader cannot trust.

A reader sees the value a spreadsheet saved with each formula. A workbook written by a program
(openpyxl, many exports) saves none, and the cell reads as blank. A merged range holds its value
in its first cell, and the others read as blank too. Both would quietly become a default. This
module finds them in the sheets' XML. A sheet without a formula or a merge is only scanned as
bytes, so a large sheet costs little.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from openpyxl.utils import coordinate_to_tuple, get_column_letter

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MAYBE = re.compile(rb"<(?:[\w.-]+:)?(?:f|mergeCell)\b")  # a formula or a merge, any prefix
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Untrusted:
    """A formula cell saved without its value (``formula`` set) or a merged range. openpyxl
    and many exports write a formula with an empty ``<v/>``; a text result of "" is ``t="str"``."""

    ref: str  # "D3" or "B3:B5"
    formula: str | None = None


def untrusted_cells(book: Path) -> dict[str, list[Untrusted]]:
    """Sheet name → its formula cells without a saved value and its merged ranges."""
    with zipfile.ZipFile(book) as archive:
        return {sheet: found for sheet, part in _sheet_parts(archive).items()
                if _maybe(archive, part) and (found := list(_scan(archive, part)))}


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the archive member holding its XML (through the package relationships)."""
    workbook = next((member for kind, member in _relationships(archive, "").values()
                     if kind.endswith("/officeDocument")), None)
    if workbook is None:
        raise KeyError("no workbook part in the package relationships")
    targets = _relationships(archive, workbook)
    root = ElementTree.fromstring(archive.read(workbook))
    return {sheet.get("name", ""): targets[rid][1] for sheet in root.iter(f"{MAIN}sheet")
            if (rid := sheet.get(RELATIONSHIP, "")) in targets}


def _relationships(archive: zipfile.ZipFile, source: str) -> dict[str, tuple[str, str]]:
    """Id → (type, archive member) of the relationships of the part ``source`` ("" for the
    package itself)."""
    folder, name = posixpath.split(source)
    root = ElementTree.fromstring(archive.read(posixpath.join(folder, "_rels", f"{name}.rels")))
    found = {}
    for rel in root:
        target = rel.get("Target", "")
        member = (target.lstrip("/") if target.startswith("/") else
                  posixpath.normpath(posixpath.join(folder, target)))
        found[rel.get("Id", "")] = (rel.get("Type", ""), member)
    return found


def _maybe(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet's XML holds a formula or merge element at all (a byte scan)."""
    tail = b""
    with archive.open(part) as xml:
        while chunk := xml.read(_CHUNK):
            if _MAYBE.search(tail + chunk):
                return True
            tail = chunk[-64:]
    return False


def _scan(archive: zipfile.ZipFile, part: str) -> Iterator[Untrusted]:
    row = column = 0  # where the cell is when it does not say (its "r" is optional)
    with archive.open(part) as xml:
        for event, element in ElementTree.iterparse(xml, events=("start", "end")):
            if event == "start":
                if element.tag == f"{MAIN}row":
                    row, column = int(element.get("r") or row + 1), 0
                continue
            if element.tag == f"{MAIN}c":
                ref = element.get("r")
                column = coordinate_to_tuple(ref)[1] if ref else column + 1
                formula, value = element.find(f"{MAIN}f"), element.find(f"{MAIN}v")
                saved = value is not None and (value.text or element.get("t") == "str")
                if formula is not None and not saved:  # "str" with no text: the formula's ""
                    yield Untrusted(ref or f"{get_column_letter(column)}{row}",
                                    f"={formula.text or ''}")
            elif element.tag == f"{MAIN}mergeCell" and element.get("ref"):
                yield Untrusted(element.get("ref", ""))
            elif element.tag == f"{MAIN}row":
                element.clear()
