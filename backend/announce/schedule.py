"""When announcements show (pure: no Flask, no database, no clock of its own).

An announcement shows from its start (inclusive) to its end (exclusive),
unless it was withdrawn.  Anything with ``start``, ``end`` and ``withdrawn``
attributes works, e.g. :class:`backend.announce.model.Notice`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Literal, Protocol, Sequence, TypeVar

Phase = Literal["scheduled", "active", "ended", "withdrawn"]


class Scheduled(Protocol):
    start: datetime
    end: datetime
    withdrawn: bool


S = TypeVar("S", bound=Scheduled)


def phase(item: Scheduled, t: datetime) -> Phase:
    """Where *item* stands at *t*."""
    if item.withdrawn:
        return "withdrawn"
    if t < item.start:
        return "scheduled"
    if t < item.end:
        return "active"
    return "ended"


def _order(item) -> tuple:
    """High priority first, then the earlier start, then the id (a stable order for screens)."""
    return (0 if getattr(item, "priority", "normal") == "high" else 1, item.start, str(getattr(item, "id", "")))


def active_at(items: Iterable[S], t: datetime) -> list[S]:
    """The items showing at *t*, in display order."""
    return sorted((item for item in items if phase(item, t) == "active"), key=_order)


def next_change(items: Iterable[Scheduled], t: datetime) -> datetime | None:
    """The first start or end strictly after *t* (None when nothing will change)."""
    moments = [moment for item in items if not item.withdrawn
               for moment in (item.start, item.end) if moment > t]
    return min(moments, default=None)


def split_by_phase(items: Sequence[S], t: datetime) -> dict[Phase, list[S]]:
    """For the console: active and scheduled ones in display order, ended/withdrawn newest first."""
    groups: dict[Phase, list[S]] = {"active": [], "scheduled": [], "ended": [], "withdrawn": []}
    for item in items:
        groups[phase(item, t)].append(item)
    groups["active"].sort(key=_order)
    groups["scheduled"].sort(key=lambda i: (i.start, _order(i)))
    groups["ended"].sort(key=lambda i: i.end, reverse=True)
    groups["withdrawn"].sort(key=lambda i: i.end, reverse=True)
    return groups
