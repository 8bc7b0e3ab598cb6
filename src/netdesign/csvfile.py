"""CSV files as ERP, WMS and spreadsheet exports write them: the encoding, the delimiter and the
decimal separator are detected, not assumed, and what was detected is said.

* **Encoding.** A byte-order mark decides (UTF-8, UTF-16 LE/BE); UTF-16 without one is recognised
  by its NUL bytes; otherwise the text is UTF-8 if it decodes as such, else Windows-1252 (what
  Excel's "CSV" writes on Western-European Windows). The candidates are few and known, so the
  order of strict decodes is exact where a statistical detector would guess on a short file.
* **Delimiter.** Comma, semicolon, tab or pipe: the one that splits the header into the most
  cells and the first rows into as many cells as the header (the usual sniffing rule of
  :class:`csv.Sniffer`, restricted to these four so that a comma inside a place name or a decimal
  comma never wins over a semicolon that splits every line).
* **Decimal separator.** With ``;``, tab or ``|`` as delimiter, numbers such as ``1,5`` or
  ``1.234,5`` are read with a decimal comma; :func:`decimal_comma` looks only at the columns the
  schema declares numeric.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import StringIO

DELIMITERS = (",", ";", "\t", "|")
#: longest cell read (csv's own default is 131,072 characters); longer is reported, not read
MAX_CELL = 1_000_000
_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_COMMA_NUMBER = re.compile(r"^[+-]?(\d+|[1-9]\d{0,2}(\.\d{3})+)(,\d+)?$")
_HAS_DECIMAL_COMMA = re.compile(r"^[+-]?\d[\d.]*,\d+$")
_DOT_NUMBER = re.compile(r"^[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Dialect:
    """How one CSV file is written."""

    encoding: str = "UTF-8"
    delimiter: str = ","
    decimal: str = "."
    decimal_known: bool = False  # some number showed the separator (else "." is assumed)

    @property
    def usual(self) -> bool:
        return self.encoding in ("UTF-8", "ASCII") and self.delimiter == "," and self.decimal == "."

    def describe(self) -> str:
        """``UTF-16 LE, semicolon-separated, decimal comma``."""
        parts = [self.encoding, f"{_NAMES[self.delimiter]}-separated"]
        if self.decimal == ",":
            parts.append("decimal comma")
        return ", ".join(parts)


class UnreadableText(ValueError):
    """Bytes that are not text in any encoding an export uses (e.g. a binary file)."""


class CsvError(ValueError):
    """A record the csv module cannot read; ``line`` is where it starts."""

    def __init__(self, line: int, reason: str):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


def decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and the name of its encoding (see the module docstring)."""
    for bom, codec, name in ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
                             (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE"),
                             (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE")):
        if data.startswith(bom):
            return _strict(data, codec, name), name
    if data[:2000].count(b"\0") > len(data[:2000]) // 4:  # UTF-16 without a BOM
        even_nuls = data[0:2000:2].count(b"\0")
        codec, name = ("utf-16-be", "UTF-16 BE") if even_nuls > data[1:2000:2].count(b"\0") else (
            "utf-16-le", "UTF-16 LE")
        return _strict(data, codec, name), name
    if b"\0" in data:
        raise UnreadableText("binary data (NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "Windows-1252"
    return text, "ASCII" if text.isascii() else "UTF-8"


def _strict(data: bytes, codec: str, name: str) -> str:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as err:
        raise UnreadableText(f"not valid {name} text ({err.reason} at byte {err.start})") from None
    if "\0" in text:
        raise UnreadableText(f"binary data in {name} text (NUL characters)")
    return text


def sniff_delimiter(text: str, sample_lines: int = 50) -> str:
    """The delimiter that splits the header most and the following lines consistently."""
    lines = [line for line in text.splitlines() if line.strip()][:sample_lines]
    if not lines:
        return ","
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            with _cell_limit():
                rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:  # e.g. a cell past the limit: records() reports it with its line
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(len(row) == width for row in rows[1:])
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) for every record; raises :class:`CsvError` for a
    record that cannot be read (a cell over :data:`MAX_CELL` characters, a stray quote)."""
    with _cell_limit():
        reader = csv.reader(StringIO(text, newline=""), delimiter=delimiter,
                            skipinitialspace=True)
        start = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                raise CsvError(start, str(err)) from None
            line, start = start, reader.line_num + 1
            yield line, record


@contextlib.contextmanager
def _cell_limit() -> Iterator[None]:
    previous = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def decimal_comma(cells: Iterable[str]) -> bool | None:
    """True when the numbers among ``cells`` are written with a decimal comma: some cell has one
    (``1,5``, ``1.234,5``) and none is a plain dot-decimal number (``0.95``); False when one is;
    None when no cell tells (whole numbers only)."""
    seen_comma = False
    for cell in cells:
        cell = cell.strip()
        if _DOT_NUMBER.match(cell) and not _COMMA_NUMBER.match(cell):
            return False
        seen_comma = seen_comma or bool(_HAS_DECIMAL_COMMA.match(cell))
    return True if seen_comma else None


def from_decimal_comma(cell: str) -> str:
    """``1.234,5`` → ``1234.5``; a cell that is no comma-decimal number is left as it is."""
    text = cell.strip()
    if not _COMMA_NUMBER.match(text):
        return cell
    return text.replace(".", "").replace(",", ".")
