"""Business hours, the daily quota, and the estimated wait: pure functions.

* A queue with no periods is open around the clock.  Otherwise it accepts
  tickets when the local time lies in one of its periods on that weekday.
  No period on today's weekday: ``queue_closed`` (今日不办理); periods today
  but not now: ``outside_hours``; a suspended queue: ``queue_closed``.
* The daily quota counts every number the queue gave out today (appointment
  check-ins included); when used up, ``quota_exhausted``.  Check-ins are not
  refused by the quota: their slot was granted when the appointment was made.
* Estimated wait = ahead × per-ticket minutes ÷ windows, where per-ticket
  minutes is the mean call-to-finish time of the queue's last N finished
  tickets (the default from settings before any), and windows is the number
  of open windows serving the queue (or, when none is open yet, the number of
  windows that serve it).  Never negative; ``None`` when no window serves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from protocol import ProtocolError
from protocol.models import Queue, WaitEstimate

from .domain import MAX_SEQ


@dataclass(frozen=True)
class Availability:
    """Whether a queue gives out tickets now, and why not."""

    open: bool                 # not suspended and open on this weekday
    accepting: bool            # a ticket can be taken right now
    code: str = ""             # error code when not accepting
    reason: str = ""           # English, for the log
    reason_zh: str = ""        # Chinese, for the kiosk
    quota_left: int | None = None

    def raise_unless_accepting(self) -> None:
        if not self.accepting:
            raise ProtocolError(self.code, self.reason, self.reason_zh)


def hours_text(queue: Queue, weekday: int) -> str:
    """'08:30-12:00, 13:30-17:00' for the periods on *weekday* (1 = Monday)."""
    return ", ".join(f"{p.start}-{p.end}" for p in queue.hours if weekday in p.days)


def availability(queue: Queue, local_now: datetime, issued_today: int, *, suspended: bool = False,
                 suspended_reason: str = "", ignore_quota: bool = False, ignore_hours: bool = False) -> Availability:
    """Can *queue* give out a ticket at *local_now* (the hall's local time)?"""
    quota_left = None if queue.daily_quota is None else max(0, queue.daily_quota - issued_today)
    if suspended:
        why = suspended_reason or "暂停取号"
        return Availability(False, False, "queue_closed", f"queue {queue.id} is suspended: {why}",
                            f"{queue.name}暂停取号：{why}", quota_left)
    if queue.hours and not ignore_hours:
        weekday = local_now.isoweekday()
        today = [p for p in queue.hours if weekday in p.days]
        if not today:
            return Availability(False, False, "queue_closed", f"queue {queue.id} is closed on weekday {weekday}",
                                f"今日不办理{queue.name}业务", quota_left)
        clock = local_now.strftime("%H:%M")
        if not any(p.start <= clock < p.end for p in today):
            hours = hours_text(queue, weekday)
            return Availability(True, False, "outside_hours",
                                f"queue {queue.id} gives tickets {hours}; it is {clock}",
                                f"当前不在取号时间内，{queue.name}取号时间：{hours}", quota_left)
    if issued_today >= MAX_SEQ or (not ignore_quota and quota_left == 0):
        return Availability(True, False, "quota_exhausted",
                            f"queue {queue.id} has given out all {queue.daily_quota or MAX_SEQ} numbers today",
                            f"今日{queue.name}号已取完，请明天再来或网上办理", quota_left)
    return Availability(True, True, quota_left=quota_left)


def per_ticket_minutes(recent_minutes: list[float], default: float) -> float:
    """Mean of the recent service times (negative clock glitches ignored), else *default*."""
    values = [m for m in recent_minutes if m >= 0]
    if not values:
        return max(0.0, default)
    return sum(values) / len(values)


def _fmt(minutes: float) -> str:
    return f"{minutes:.0f}" if minutes >= 1 else f"{minutes:.1f}"


def estimate_wait(ahead: int, per_ticket_min: float, open_windows: int, serving_windows: int) -> WaitEstimate:
    """The estimate and its basis ("5 ahead, ~4 min each, 2 windows" / "前面5人，每人约4分钟，2个窗口")."""
    ahead = max(0, ahead)
    per = round(max(0.0, per_ticket_min), 1)
    if serving_windows <= 0:
        return WaitEstimate(minutes=None, ahead=ahead, per_ticket_min=per, windows=0,
                            basis=f"{ahead} ahead; no window serves this queue",
                            basis_zh=f"前面{ahead}人，暂无窗口办理该业务")
    windows = open_windows if open_windows > 0 else serving_windows
    minutes = round(ahead * per / windows, 1)
    plural = "window" if windows == 1 else "windows"
    basis = f"{ahead} ahead, ~{_fmt(per)} min each, {windows} {plural}"
    basis_zh = f"前面{ahead}人，每人约{_fmt(per)}分钟，{windows}个窗口"
    if open_windows <= 0:
        basis += " (not open yet)"
        basis_zh += "（尚未开始办理）"
    return WaitEstimate(minutes=max(0.0, minutes), ahead=ahead, per_ticket_min=per, windows=windows,
                        basis=basis, basis_zh=basis_zh)
