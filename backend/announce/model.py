"""What an announcement is and when a draft is acceptable (pure: no Flask, no database).

The text is untrusted and kept *literally*: Kivy markup, HTML, bidi and
zero-width characters are stored and published as typed, and every renderer
escapes them.  Only what no screen can show is refused: control characters
(except a line break), lone surrogates, empty or over-long text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

MAX_TEXT = 500
PRIORITIES = ("normal", "high")
TARGETS = ("wall", "bar", "kiosk")
TARGET_LABELS = {"wall": "综合屏 wall", "bar": "窗口条屏 bar", "kiosk": "自助机 kiosk"}
PRIORITY_LABELS = {"normal": "普通 normal", "high": "重要 high"}


@dataclass(frozen=True)
class Notice:
    """One stored announcement (公告)."""

    id: str
    text: str
    priority: str
    targets: tuple[str, ...]
    start: datetime
    end: datetime
    created_by: str
    created_at: datetime
    withdrawn: bool = False
    withdrawn_by: str = ""
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class Draft:
    """What an administrator asks for, before it is checked."""

    text: str
    priority: str
    targets: tuple[str, ...]
    start: datetime | None
    end: datetime | None


def normalise_text(text: str) -> str:
    """Line breaks as ``\\n`` and no surrounding blanks; nothing else is changed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def forbidden_characters(text: str) -> list[tuple[int, str]]:
    """(position, character) of every control character (but ``\\n``) and lone surrogate."""
    return [(pos, ch) for pos, ch in enumerate(text)
            if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cs")]


def invisible_characters(text: str) -> list[str]:
    """Format characters (zero-width, bidi overrides) as ``U+200B`` — allowed, but worth a warning."""
    seen: list[str] = []
    for ch in text:
        if unicodedata.category(ch) == "Cf":
            code = f"U+{ord(ch):04X}"
            if code not in seen:
                seen.append(code)
    return seen


def check_draft(draft: Draft, now: datetime) -> dict[str, list[str]]:
    """Problems by field name (``text``, ``priority``, ``targets``, ``start``, ``end``); empty when fine.

    Messages are in Chinese with the English in brackets, for the console and the API.
    """
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    text = normalise_text(draft.text)
    if not text:
        add("text", "请输入公告内容 (text is empty)")
    elif len(text) > MAX_TEXT:
        add("text", f"公告内容最多 {MAX_TEXT} 字，现为 {len(text)} 字 "
                    f"(at most {MAX_TEXT} characters, this has {len(text)})")
    bad = forbidden_characters(text)
    if bad:
        pos, ch = bad[0]
        add("text", f"公告内容含有控制字符 U+{ord(ch):04X}（第 {pos + 1} 个字符）"
                    f" (control character U+{ord(ch):04X} at position {pos + 1} is not allowed)")
    if draft.priority not in PRIORITIES:
        add("priority", f"优先级无效 (priority must be one of {', '.join(PRIORITIES)})")
    unknown = [t for t in draft.targets if t not in TARGETS]
    if unknown:
        add("targets", f"未知的屏幕类型 {', '.join(map(repr, unknown))} (targets are {', '.join(TARGETS)})")
    elif not draft.targets:
        add("targets", "请至少选择一种屏幕 (choose at least one target)")
    for name, value in (("start", draft.start), ("end", draft.end)):
        if value is None:
            add(name, "请填写时间 (a time is required)")
        elif value.tzinfo is None or value.utcoffset() is None:
            add(name, "时间须带时区 (the time needs a UTC offset)")
    if "start" not in errors and "end" not in errors:
        assert draft.start is not None and draft.end is not None
        if draft.end <= draft.start:
            add("end", "结束时间必须晚于开始时间 (end must be after start)")
        elif draft.end <= now:
            add("end", "结束时间已过 (end is already in the past)")
    return errors


def canonical_targets(targets) -> tuple[str, ...]:
    """Targets in the usual order, each once."""
    chosen = set(targets)
    return tuple(t for t in TARGETS if t in chosen)
