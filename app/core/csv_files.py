"""CSV files that open cleanly in Excel and cannot smuggle formulas into it; every export uses these.

UTF-8 with a byte-order mark (Excel otherwise reads accents as Latin-1), CRLF line ends, numbers
with a dot and no thousands separator. Text that starts like a formula (= + - @, tab, carriage
return) gets a leading apostrophe (OWASP's CSV injection advice); numbers stay numbers, so a
negative gain is still a number in the spreadsheet.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import TextIO

from flask import Response

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """One cell as text: None empty, booleans 1/0, numbers plain, text defused if it could start a formula."""
    kind = type(cell)  # the common cases first: exports write millions of cells
    if kind is str:
        return "'" + cell if cell.startswith(FORMULA_START) else cell
    if kind is int:
        return str(cell)
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, (int, float)):
        return _number(cell)
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def write_csv(stream: TextIO, header: Sequence[object], rows: Iterable[Sequence[object]]) -> int:
    """Write the file to a text stream row by row (big exports never hold a table); returns the row count."""
    stream.write(BOM)
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
        count += 1
    return count


def to_csv(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """The whole file as text: the byte-order mark, the header, then each row, every cell neutralised."""
    out = io.StringIO()
    write_csv(out, header, rows)
    return out.getvalue()


def csv_response(filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]) -> Response:
    """A download of the file; never cached, since exports hold people's records."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "export.csv"
    response = Response(to_csv(header, rows), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["Cache-Control"] = "no-store"
    return response
