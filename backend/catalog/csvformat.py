"""The item table as CSV, for spreadsheets (Excel, WPS, LibreOffice).

One row per item, one column per field (header row = field names, any order;
only ``id code name department kind queue`` are required).  Cells holding
lists:

- ``windows``, ``keywords``: separated by ``;`` (``w01; w02``)
- ``legal_basis``, ``conditions``, ``steps``: one entry per line in the cell
- ``materials``, ``fees``, ``forms``: one entry per line in the
  ``name | form | copies | mandatory | notes | sample form`` syntax of
  :mod:`backend.catalog.lines`
- ``statutory_days``: empty for none

A CSV import replaces the items only; departments, queues and windows stay as
they are in the database (import the YAML file to change those).  Exports
start with a UTF-8 byte order mark so that Excel shows the Chinese correctly.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from protocol.models.catalog import Item

from .fileformat import check_entry, decode_text
from .checks import cross_check
from .lines import escape, format_lines, parse_lines, split_columns
from .model import Catalog, ImportProblem

COLUMNS = ("id", "code", "name", "short_name", "department", "kind", "queue", "windows", "legal_basis",
           "conditions", "materials", "steps", "statutory_days", "promised_days", "fees", "fee_note",
           "consult_phone", "supervise_phone", "location", "hours", "online_url", "forms", "keywords", "notes")
REQUIRED = ("id", "code", "name", "department", "kind", "queue")
_SEMICOLON = ("windows", "keywords")
_PER_LINE = ("legal_basis", "conditions", "steps")
_PARTS = ("materials", "fees", "forms")


def _row_data(row: dict[str, str], source: str, where: str) -> tuple[dict[str, Any], list[ImportProblem]]:
    data: dict[str, Any] = {}
    problems: list[ImportProblem] = []
    for column, cell in row.items():
        cell = (cell or "").replace("\r\n", "\n").strip()
        if column in _SEMICOLON:
            data[column] = [v for v in split_columns(cell, ";") if v]
        elif column in _PER_LINE:
            data[column] = [line.strip() for line in cell.split("\n") if line.strip()]
        elif column in _PARTS:
            entries, errors = parse_lines(cell, column)
            data[column] = entries
            for number, part, message in errors:
                problems.append(ImportProblem(source, where, column,
                                              f"line {number}{' (' + part + ')' if part else ''}: {message}"))
        elif column in ("statutory_days", "promised_days"):
            if cell == "":
                data[column] = None if column == "statutory_days" else 0
            elif cell.isdigit():
                data[column] = int(cell)
            else:
                problems.append(ImportProblem(source, where, column, f"'{cell}' is not a whole number of days"))
        else:
            data[column] = cell
    return data, problems


def validate_items_csv(raw: bytes | str, source_name: str, base: Catalog) -> tuple[Catalog | None, list[ImportProblem]]:
    """Read an item table; the result is *base* with its items replaced, or every problem found."""
    text, problems = decode_text(raw, source_name)
    if text is None:
        return None, problems
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown:
        problems.append(ImportProblem(source_name, "row 1", "", f"unknown column(s): {', '.join(unknown)} "
                                      f"(known: {', '.join(COLUMNS)})"))
    if missing:
        problems.append(ImportProblem(source_name, "row 1", "", f"missing column(s): {', '.join(missing)}"))
    if problems:
        return None, problems
    entries: list[tuple[int, Any]] = []
    where_of: dict[str, str] = {}
    try:
        for number, row in enumerate(reader, start=2):
            if None in row:
                problems.append(ImportProblem(source_name, f"row {number}", "", "has more cells than the header"))
                continue
            if not any((cell or "").strip() for cell in row.values()):
                continue
            where = f"row {number}"
            data, found = _row_data(row, source_name, where)
            problems.extend(found)
            item, found = check_entry(Item, data, source_name, where)
            problems.extend(_rows(found, where))
            index = len(entries)
            where_of[f"items[{index}]"] = where
            entries.append((index, item if item is not None else data))
    except csv.Error as exc:
        return None, [ImportProblem(source_name, f"row {reader.line_num}", "", f"this is not valid CSV: {exc}")]
    sections = {"departments": list(enumerate(base.departments)), "queues": list(enumerate(base.queues)),
                "windows": list(enumerate(base.windows)), "items": entries}
    for problem in cross_check(sections, source_name):
        head, _, rest = problem.where.partition("]")
        row = where_of.get(head + "]", problem.where)
        field = f"{rest.lstrip('.')}.{problem.field}".strip(".") if rest else problem.field
        message = re.sub(r"items\[\d+\]", lambda m: where_of.get(m.group(0), m.group(0)), problem.message)
        problems.append(ImportProblem(source_name, row, field, message))
    if problems:
        return None, problems
    return base.model_copy(update={"items": tuple(item for _, item in entries)}), []


def _rows(problems: list[ImportProblem], where: str) -> list[ImportProblem]:
    """'row 5.materials[1]' reads badly: make it 'row 5', field 'materials[1].copies'."""
    out = []
    for p in problems:
        rest = p.where[len(where):].lstrip(".")
        field = f"{rest}.{p.field}" if rest and p.field else (rest or p.field)
        out.append(ImportProblem(p.file, where, field, p.message))
    return out


def _cell(item: Item, column: str) -> str:
    value = getattr(item, column)
    if column in _SEMICOLON:
        return "; ".join(escape(v, ";") for v in value)
    if column in _PER_LINE:
        return "\n".join(v.replace("\n", " ") for v in value)
    if column in _PARTS:
        return format_lines(value, column)
    if value is None:
        return ""
    return str(value)


def export_items_csv(catalog: Catalog) -> str:
    """The item table (canonical: fixed columns, catalog order, CRLF rows, UTF-8 BOM)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in catalog.items:
        writer.writerow([_cell(item, column) for column in COLUMNS])
    return "\ufeff" + out.getvalue()


__all__ = ["COLUMNS", "validate_items_csv", "export_items_csv"]
