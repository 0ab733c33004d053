"""What one window bar (条屏) shows, from the window's state and its latest call (pure).

- calling: the window's ticket is "called", or a call event for it is newer
  than the window state and younger than ``hold_s``: ``A012 请到3号窗口``;
- paused: the staff name and 暂停服务 (closed: the window and 暂停服务);
- otherwise (挂牌上岗): the window, the staff name and post, and the idle text,
  or the bar announcement that is on now.
"""

from __future__ import annotations

from datetime import datetime

from hardware.ledbar import BarMode, BarState
from protocol.models import Announcements, WindowState

from . import announce
from .calls import Call
from .texts import window_label

#: Longest announcement a one-line bar scrolls through.
BAR_TEXT_MAX = 60


def bar_state(label: str, window: WindowState | None, call: Call | None, now: datetime, *,
              hold_s: float = 30.0, idle_text: str = "欢迎办理",
              announcements: Announcements | None = None) -> BarState:
    if window is not None and window.status != "open":
        staff = window.staff_name if window.status == "paused" else ""
        return BarState(label, BarMode.PAUSED, staff_name=staff)
    ticket = None
    if window is not None and window.serving is not None and window.serving.state == "called":
        ticket = window.serving.number
    if call is not None and (now - call.at).total_seconds() < hold_s \
            and (window is None or window.updated_at <= call.at):
        ticket = call.ticket
    if ticket:
        return BarState(label, BarMode.CALLING, ticket_number=ticket)
    shown = announce.active(announcements, "bar", now)
    text = announce.one_line(shown[0].text)[:BAR_TEXT_MAX] if shown else idle_text
    staff_name = window.staff_name if window else ""
    staff_post = window.staff_post if window else ""
    return BarState(label, BarMode.IDLE, staff_name=staff_name, staff_post=staff_post, idle_text=text)


def label_for(window_id: str, number: int | None) -> str:
    return window_label(number) if number else window_id or "本窗口"
