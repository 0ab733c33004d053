"""How numbers and times read on the hall's screens (Chinese, short)."""

from __future__ import annotations

import math
from datetime import datetime

WEEKDAYS = "一二三四五六日"


def date_text(now: datetime) -> str:
    return f"{now.year}年{now.month}月{now.day}日 星期{WEEKDAYS[now.weekday()]}"


def time_text(now: datetime) -> str:
    return f"{now.hour:02d}:{now.minute:02d}:{now.second:02d}"


def wait_text(minutes: float | None, open_: bool = True) -> str:
    if not open_:
        return "暂停"
    if minutes is None:
        return "—"
    if minutes < 1:
        return "即到"
    return f"约{math.ceil(minutes)}分钟"


def promised_text(days: int) -> str:
    return "即办" if days == 0 else f"{days}个工作日"


def windows_text(numbers: list[int]) -> str:
    return "、".join(str(n) for n in sorted(numbers)) + "号" if numbers else "—"


def window_label(number: int) -> str:
    return f"{number}号窗口"
