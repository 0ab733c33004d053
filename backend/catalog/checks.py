"""Checks between catalog entries: unique ids and codes, references, hours.

Pure: works on ``{section: [(index in file, entry), ...]}`` so that each
problem names the entry's place in the file (``items[12].queue``).  An entry is
a validated model, or the raw mapping of one that failed validation: its
references are still checked, and references *to* it are not reported twice.
"""

from __future__ import annotations

from typing import Any

from protocol.codec import MAX_PAYLOAD_BYTES, encode
from protocol.models.catalog import Item, Queue

from .model import ImportProblem

def _get(entry: Any, field: str, default: Any = None) -> Any:
    if isinstance(entry, dict):
        value = entry.get(field, default)
    else:
        value = getattr(entry, field, default)
    return value if isinstance(value, (str, int, tuple, list)) and not isinstance(value, bool) else default


def _ids(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


_DAYS = {1: "Monday", 2: "Tuesday", 3: "Wednesday", 4: "Thursday", 5: "Friday", 6: "Saturday", 7: "Sunday"}


def _unique(entries: list[tuple[int, Any]], section: str, field: str, source: str,
            lines: dict[str, int]) -> list[ImportProblem]:
    problems, seen = [], {}
    for index, value in entries:
        key = _get(value, field)
        if key is None or isinstance(key, (list, tuple)):
            continue
        if key in seen:
            where = f"{section}[{index}]"
            problems.append(ImportProblem(source, where, field, f"{field} {key!r} is already used by "
                                          f"{section}[{seen[key]}]; each {field} must be unique",
                                          lines.get(f"{where}.{field}")))
        else:
            seen[key] = index
    return problems


def _hours(index: int, queue: Queue, source: str, lines: dict[str, int]) -> list[ImportProblem]:
    problems = []
    for day in range(1, 8):
        periods = sorted((p.start, p.end, n) for n, p in enumerate(queue.hours) if day in p.days)
        for (start_a, end_a, a), (start_b, _end_b, b) in zip(periods, periods[1:]):
            if start_b < end_a:
                where = f"queues[{index}].hours[{b}]"
                problems.append(ImportProblem(source, where, "start",
                                              f"{start_b} starts before hours[{a}] ({start_a}-{end_a}) ends "
                                              f"on {_DAYS[day]}: periods of one day must not overlap",
                                              lines.get(where)))
                return problems
    for n, period in enumerate(queue.hours):
        if len(set(period.days)) != len(period.days):
            where = f"queues[{index}].hours[{n}]"
            problems.append(ImportProblem(source, where, "days", "a weekday is listed twice", lines.get(where)))
    return problems


def cross_check(sections: dict[str, list[tuple[int, Any]]], source: str,
                lines: dict[str, int] | None = None) -> list[ImportProblem]:
    """Every problem between entries: duplicates, unknown references, overlapping hours."""
    lines = lines or {}
    problems: list[ImportProblem] = []
    for section in ("departments", "queues", "windows", "items"):
        problems += _unique(sections.get(section, []), section, "id", source, lines)
    problems += _unique(sections.get("queues", []), "queues", "prefix", source, lines)
    problems += _unique(sections.get("windows", []), "windows", "number", source, lines)
    problems += _unique(sections.get("items", []), "items", "code", source, lines)

    def ids(section: str) -> set[str]:
        return {i for _, e in sections.get(section, []) if isinstance(i := _get(e, "id"), str)}

    departments, queues = ids("departments"), ids("queues")
    windows = {_get(w, "id"): _ids(_get(w, "queues", ())) for _, w in sections.get("windows", [])}
    served = {q for window_queues in windows.values() for q in window_queues}

    def problem(where: str, field: str, message: str) -> None:
        problems.append(ImportProblem(source, where, field, message,
                                      lines.get(f"{where}.{field}") or lines.get(where)))

    for index, queue in sections.get("queues", []):
        if isinstance(queue, Queue):
            problems.extend(_hours(index, queue, source, lines))
    for index, window in sections.get("windows", []):
        listed = _ids(_get(window, "queues", ()))
        for n, queue_id in enumerate(listed):
            if queue_id not in queues:
                problem(f"windows[{index}]", f"queues[{n}]", f"unknown queue {queue_id!r}: no queue has this id")
            if listed.index(queue_id) != n:
                problem(f"windows[{index}]", f"queues[{n}]", f"queue {queue_id!r} is listed twice")
    used_queues: dict[str, int] = {}
    for index, item in sections.get("items", []):
        where = f"items[{index}]"
        department, queue = _get(item, "department"), _get(item, "queue")
        if isinstance(department, str) and department not in departments:
            problem(where, "department", f"unknown department {department!r}: no department has this id")
        if isinstance(queue, str) and queue not in queues:
            problem(where, "queue", f"unknown queue {queue!r}: no queue has this id")
        elif isinstance(queue, str):
            used_queues.setdefault(queue, index)
        for n, window_id in enumerate(_ids(_get(item, "windows", ()))):
            if window_id not in windows:
                problem(where, f"windows[{n}]", f"unknown window {window_id!r}: no window has this id")
            elif queue in queues and queue not in windows[window_id]:
                problem(where, f"windows[{n}]", f"window {window_id!r} does not serve queue {queue!r} "
                        "(this item's queue): add the queue to that window or list another window")
        if isinstance(item, Item):
            size = len(encode(item))
            if size > MAX_PAYLOAD_BYTES:
                problem(where, "", f"the guide is {size} bytes, more than the {MAX_PAYLOAD_BYTES} bytes one MQTT "
                        "message may carry: shorten the texts")
        promised, statutory = _get(item, "promised_days"), _get(item, "statutory_days")
        if isinstance(item, dict) and isinstance(promised, int) and isinstance(statutory, int) \
                and promised > statutory:
            problem(where, "promised_days", f"promised_days ({promised}) must not exceed statutory_days "
                    f"({statutory})")
    for queue_id, index in used_queues.items():
        if queue_id in queues and queue_id not in served:
            problem(f"items[{index}]", "queue", f"no window serves queue {queue_id!r}, so its tickets "
                    "would never be called: add it to a window's queues")
    return problems
