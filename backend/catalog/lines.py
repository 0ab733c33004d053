"""One-per-line text for lists of parts, as typed in the console and in CSV cells.

::

    materials   name | form | copies | mandatory | notes | sample form
                营业执照副本 | 原件及复印件 | 1 | 必需 | 加盖公章
    fees        name | amount | basis
                护照工本费 | 120元/本 | 发改价格〔2019〕914号
    forms       name | url
                申请表 | https://zwfw.hall.example/forms/a.docx

Trailing columns may be left out (form 原件, copies 1, mandatory 必需).  A
literal ``|`` inside a column is written ``\\|`` and a backslash ``\\\\``.
Parsing is pure and gives plain-word errors naming the line and the column.
"""

from __future__ import annotations

from typing import Any

from protocol.models.catalog import MATERIAL_FORMS, Fee, Form, Material

TRUE_WORDS = frozenset({"必需", "必须", "必交", "是", "yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"可选", "选交", "非必需", "否", "no", "n", "false", "0"})
MATERIAL_COLUMNS = ("name", "form", "copies", "mandatory", "notes", "sample_form")
FEE_COLUMNS = ("name", "amount", "basis")
FORM_COLUMNS = ("name", "url")


def split_columns(line: str, sep: str = "|") -> list[str]:
    """Split on unescaped *sep*; strip each column."""
    columns, current, escaped = [], [], False
    for ch in line:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            columns.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if escaped:
        current.append("\\")
    columns.append("".join(current).strip())
    return columns


def escape(value: str, sep: str = "|") -> str:
    return value.replace("\\", "\\\\").replace(sep, "\\" + sep).replace("\n", " ")


def join_columns(values: list[str], sep: str = "|") -> str:
    while len(values) > 1 and values[-1] == "":
        values = values[:-1]
    return f" {sep} ".join(escape(v, sep) for v in values)


def _material(columns: list[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    data: dict[str, Any] = {"name": columns[0]}
    errors: list[tuple[str, str]] = []
    if len(columns) > 1 and columns[1]:
        if columns[1] not in MATERIAL_FORMS:
            errors.append(("form", f"'{columns[1]}' is not a form; use one of: {', '.join(MATERIAL_FORMS)}"))
        data["form"] = columns[1]
    if len(columns) > 2 and columns[2]:
        if not columns[2].isdigit():
            errors.append(("copies", f"'{columns[2]}' is not a number of copies"))
        else:
            data["copies"] = int(columns[2])
    if len(columns) > 3 and columns[3]:
        word = columns[3].casefold()
        if word in TRUE_WORDS:
            data["mandatory"] = True
        elif word in FALSE_WORDS:
            data["mandatory"] = False
        else:
            errors.append(("mandatory", f"'{columns[3]}' must be 必需 or 可选 (yes / no)"))
    if len(columns) > 4:
        data["notes"] = columns[4]
    if len(columns) > 5:
        data["sample_form"] = columns[5]
    return data, errors


def parse_lines(text: str, kind: str) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    """Parse *text* (one entry a line; blank lines skipped) as ``materials``, ``fees`` or ``forms``.

    Returns (entries as mappings, errors as (line number, column, message)).
    Values are checked against the part's model; the caller validates the item.
    """
    columns_for = {"materials": MATERIAL_COLUMNS, "fees": FEE_COLUMNS, "forms": FORM_COLUMNS}[kind]
    model = {"materials": Material, "fees": Fee, "forms": Form}[kind]
    entries: list[dict[str, Any]] = []
    errors: list[tuple[int, str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        columns = split_columns(line)
        if len(columns) > len(columns_for):
            errors.append((number, "", f"has {len(columns)} columns; at most {len(columns_for)}: "
                                       f"{' | '.join(columns_for)} (write a literal | as \\|)"))
            continue
        if not columns[0]:
            errors.append((number, "name", "the name (first column) is empty"))
            continue
        found: list[tuple[str, str]] = []
        if kind == "materials":
            data, found = _material(columns)
            errors.extend((number, column, message) for column, message in found)
            for column, _message in found:  # check the other columns all the same
                data.pop(column, None)
        else:
            data = {name: value for name, value in zip(columns_for, columns) if value or name == "name"}
            if kind == "fees" and not data.get("amount"):
                errors.append((number, "amount", "the amount (second column) is empty, e.g. 120元/本"))
                continue
        from .fileformat import check_entry  # the same plain words as a file import

        part, problems = check_entry(model, data, "", "")
        errors.extend((number, p.field, p.message) for p in problems)
        if part is not None and not found:
            entries.append(data)
    return entries, errors


def format_lines(parts: tuple, kind: str) -> str:
    """The one-per-line text of materials, fees or forms (the inverse of :func:`parse_lines`)."""
    out = []
    for part in parts:
        if kind == "materials":
            out.append(join_columns([part.name, part.form, str(part.copies), "必需" if part.mandatory else "可选",
                                     part.notes, part.sample_form]))
        elif kind == "fees":
            out.append(join_columns([part.name, part.amount, part.basis]))
        else:
            out.append(join_columns([part.name, part.url]))
    return "\n".join(out)


__all__ = ["split_columns", "join_columns", "parse_lines", "format_lines"]
