"""The console's forms: which fields each entry has, turning posted text into an entry, and back.

Pure (no Flask): the views pass ``request.form`` in and get ``(entry or None,
{field: [messages]})`` out, so every message lands next to its field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from protocol.models.catalog import ITEM_KINDS, Department, Item, Queue, Window

from .fileformat import check_entry
from .lines import format_lines, parse_lines
from .model import Catalog, ImportProblem


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    widget: str = "text"          # text, textarea, number, select, checkboxes
    help: str = ""
    required: bool = False
    rows: int = 4


MATERIALS_HELP = ("一行一项 one per line: 名称 | 形式 | 份数 | 必需/可选 | 备注 | 样表 "
                  "(name | form | copies | mandatory | notes | sample form); 形式 form: 原件, 复印件, 原件及复印件, "
                  "电子件; a literal | is written \\|")
LINES_HELP = "一行一条 one per line"

ITEM_FIELDS = (
    Field("id", "事项ID Item id", help="letters, digits, '-', '_', '.'; also the MQTT topic level; fixed once created",
          required=True),
    Field("code", "事项编码 Code", required=True),
    Field("name", "事项名称 Name", required=True),
    Field("short_name", "屏幕简称 Short name", help="for screens; up to 40 characters"),
    Field("department", "实施主体 Department", "select", required=True),
    Field("kind", "办件类型 Kind (七件制)", "select", required=True),
    Field("queue", "队列 Queue", "select", required=True),
    Field("windows", "办理窗口 Windows", "checkboxes", help="only windows that serve the item's queue"),
    Field("legal_basis", "办理依据 Legal basis", "textarea", LINES_HELP),
    Field("conditions", "办理条件 Conditions", "textarea", LINES_HELP),
    Field("materials", "申请材料 Materials", "textarea", MATERIALS_HELP, rows=8),
    Field("steps", "办理程序 Steps", "textarea", LINES_HELP, rows=6),
    Field("statutory_days", "法定时限（工作日）Statutory days", "number", "empty if the law sets none"),
    Field("promised_days", "承诺时限（工作日）Promised days", "number", "0 = done on the spot; at most the statutory days"),
    Field("fees", "收费 Fees", "textarea", "一行一项 one per line: 名称 | 金额 | 依据 (name | amount | basis); empty = free",
          rows=3),
    Field("fee_note", "收费说明 Fee note"),
    Field("consult_phone", "咨询电话 Consultation phone"),
    Field("supervise_phone", "监督电话 Supervision phone"),
    Field("location", "办理地点 Location"),
    Field("hours", "办理时间 Hours"),
    Field("online_url", "网上办理 Online link"),
    Field("forms", "表格下载 Forms", "textarea", "一行一项 one per line: 名称 | 链接 (name | url)", rows=3),
    Field("keywords", "搜索关键词 Keywords", help="separated by ; or ，"),
    Field("notes", "备注 Notes", "textarea", rows=3),
)
DEPARTMENT_FIELDS = (
    Field("id", "部门ID Id", required=True, help="letters, digits, '-', '_', '.'; fixed once created"),
    Field("name", "部门名称 Name", required=True), Field("short_name", "简称 Short name"),
    Field("phone", "电话 Phone"),
)
QUEUE_FIELDS = (
    Field("id", "队列ID Id", required=True, help="fixed once created"),
    Field("prefix", "号码前缀 Prefix", required=True, help="one or two capital letters, e.g. A"),
    Field("name", "名称 Name", required=True),
    Field("hours", "办理时段 Hours", "textarea", "一行一段 one period per line: 09:00-12:00 1-5 "
          "(weekdays 1 = Monday … 7 = Sunday; default 1-5)", rows=4),
    Field("daily_quota", "每日限额 Daily quota", "number", "empty = no limit"),
)
WINDOW_FIELDS = (
    Field("id", "窗口ID Id", required=True, help="fixed once created"),
    Field("number", "窗口号 Number", "number", required=True), Field("name", "名称 Name", required=True),
    Field("queues", "服务队列 Queues served", help="queue ids in priority order, e.g. A, H"),
    Field("location", "位置 Location"),
)
FIELDS = {"items": ITEM_FIELDS, "departments": DEPARTMENT_FIELDS, "queues": QUEUE_FIELDS, "windows": WINDOW_FIELDS}
MODELS = {"items": Item, "departments": Department, "queues": Queue, "windows": Window}
_TIME_LINE = re.compile(r"^(\d{1,2}:\d{2})\s*[-–~至到]\s*(\d{1,2}:\d{2})(?:\s+(.+))?$")


def options(section: str, catalog: Catalog) -> dict[str, list[tuple[str, str]]]:
    """Choices for the select and checkbox fields."""
    if section != "items":
        return {}
    return {"department": [(d.id, f"{d.name} ({d.id})") for d in catalog.departments],
            "kind": [(k, k) for k in ITEM_KINDS],
            "queue": [(q.id, f"{q.prefix} {q.name}") for q in catalog.queues],
            "windows": [(w.id, f"{w.number}号 {w.name} ({', '.join(w.queues)})") for w in catalog.windows]}


def _days(text: str) -> list[int] | None:
    days: list[int] = []
    for token in re.split(r"[,，\s]+", text.strip()):
        if re.fullmatch(r"[1-7]-[1-7]", token):
            start, end = int(token[0]), int(token[2])
            if end < start:
                return None
            days.extend(range(start, end + 1))
        elif re.fullmatch(r"[1-7]", token):
            days.append(int(token))
        elif token:
            return None
    return days


def _hours(text: str, errors: dict[str, list[str]]) -> list[dict]:
    periods = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _TIME_LINE.match(line.strip())
        days = _days(match.group(3) or "1-5") if match else None
        if match is None or days is None:
            errors.setdefault("hours", []).append(f"line {number}: write a period like 09:00-12:00 1-5")
            continue
        start, end = (t.zfill(5) for t in match.group(1, 2))
        periods.append({"start": start, "end": end, "days": days})
    return periods


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(text: str, field: str, errors: dict[str, list[str]], empty: Any) -> Any:
    text = text.strip()
    if not text:
        return empty
    if not re.fullmatch(r"\d{1,5}", text):
        errors.setdefault(field, []).append(f"'{text}' is not a whole number")
        return empty
    return int(text)


def parse_form(section: str, form: Mapping[str, Any], windows: list[str] | None = None) -> tuple[Any, dict[str, list[str]]]:
    """(the entry, or None; messages by field) from a posted form (*windows*: the checked boxes)."""
    errors: dict[str, list[str]] = {}
    text = {f.name: str(form.get(f.name, "") or "") for f in FIELDS[section]}
    data: dict[str, Any] = {}
    for field in FIELDS[section]:
        value = text[field.name]
        if field.required and not value.strip():
            errors.setdefault(field.name, []).append("必填 required")
        if field.name in ("legal_basis", "conditions", "steps"):
            data[field.name] = _lines(value)
        elif field.name in ("materials", "fees", "forms"):
            entries, problems = parse_lines(value, field.name)
            data[field.name] = entries
            for number, column, message in problems:
                errors.setdefault(field.name, []).append(f"line {number}{' ' + column if column else ''}: {message}")
        elif field.name == "keywords":
            data[field.name] = [k.strip() for k in re.split(r"[;；,，、]", value) if k.strip()]
        elif field.name == "windows" and section == "items":
            data[field.name] = list(windows or [])
        elif field.name == "queues":
            data[field.name] = [q for q in re.split(r"[,，;；\s]+", value) if q]
        elif field.name == "hours" and section == "queues":
            data[field.name] = _hours(value, errors)
        elif field.widget == "number":
            empty = 0 if field.name == "promised_days" else None
            data[field.name] = _number(value, field.name, errors, empty)
        else:
            data[field.name] = value.strip()
    if section == "windows" and data.get("number") is None:
        data.pop("number")
    entry, problems = check_entry(MODELS[section], data, "form", section[:-1])
    add_problems(errors, problems, section)
    return (entry if not errors else None), errors


def add_problems(errors: dict[str, list[str]], problems: list[ImportProblem], section: str) -> None:
    """Put each problem under its top-level field: ``item.materials[2]`` + ``copies`` → materials, 'line 3 copies: …'."""
    names = {f.name for f in FIELDS[section]}
    for problem in problems:
        full = ".".join(part for part in (problem.where, problem.field) if part)
        path = full.split(".", 1)[1] if "." in full else ""   # drop the entry's own name ("item")
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        if top not in names:
            top, detail = "", path
        else:
            detail = path[len(top):].lstrip(".")
        match = re.match(r"\[(\d+)\]\.?(.*)", detail)
        if match:
            detail = f"line {int(match.group(1)) + 1}{' ' + match.group(2) if match.group(2) else ''}"
        message = f"{detail}: {problem.message}" if detail else problem.message
        if "必填 required" in errors.get(top, []) and problem.message in ("must not be empty", "is required but missing"):
            continue
        if message not in errors.get(top, []):
            errors.setdefault(top, []).append(message)


def form_values(section: str, entry: Any | None) -> dict[str, Any]:
    """The text each field shows for an existing entry (the inverse of :func:`parse_form`)."""
    if entry is None:
        return {"promised_days": "0"} if section == "items" else {}
    values: dict[str, Any] = {}
    for field in FIELDS[section]:
        value = getattr(entry, field.name)
        if field.name in ("materials", "fees", "forms"):
            values[field.name] = format_lines(value, field.name)
        elif field.name in ("legal_basis", "conditions", "steps"):
            values[field.name] = "\n".join(value)
        elif field.name == "keywords":
            values[field.name] = "; ".join(value)
        elif field.name == "windows" and section == "items":
            values[field.name] = list(value)
        elif field.name == "queues":
            values[field.name] = ", ".join(value)
        elif field.name == "hours" and section == "queues":
            values[field.name] = "\n".join(f"{p.start}-{p.end} {_days_text(p.days)}" for p in value)
        else:
            values[field.name] = "" if value is None else str(value)
    return values


def _days_text(days: tuple[int, ...]) -> str:
    if days and list(days) == list(range(days[0], days[-1] + 1)) and len(days) > 1:
        return f"{days[0]}-{days[-1]}"
    return ",".join(str(d) for d in days)


__all__ = ["Field", "FIELDS", "MODELS", "options", "parse_form", "form_values", "add_problems"]
