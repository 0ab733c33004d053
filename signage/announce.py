"""Which announcements (公告) a screen shows now, and the marquee's content.

Pure.  An announcement is shown from ``start`` to ``end`` on the screens its
``targets`` name ("wall", "bar").  High priority first, then by start time.
The text is untrusted: renderers escape it (the wall with
``kivy.utils.escape_markup``); here it is only normalised to one line and cut
into chunks short enough for one label texture each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from protocol.models import Announcement, Announcements

_SPACE = re.compile(r"\s+")
#: Characters per marquee chunk: at 60 px a chunk stays under a 4096 px texture.
CHUNK_CHARS = 40
SEPARATOR = "　　◆　　"


@dataclass(frozen=True)
class Segment:
    """A piece of marquee text: shown in sequence, seamlessly."""

    text: str
    high: bool = False


def one_line(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def active(announcements: Announcements | None, target: str, now: datetime) -> tuple[Announcement, ...]:
    if announcements is None:
        return ()
    shown = [a for a in announcements.items if target in a.targets and a.start <= now < a.end]
    shown.sort(key=lambda a: (a.priority != "high", a.start, a.id))
    return tuple(shown)


def next_change(announcements: Announcements | None, now: datetime) -> datetime | None:
    """The next start or end after *now* (when the active set may change)."""
    if announcements is None:
        return None
    times = [t for a in announcements.items for t in (a.start, a.end) if t > now]
    return min(times, default=None)


def marquee(items: tuple[Announcement, ...], idle: str, chunk: int = CHUNK_CHARS) -> tuple[Segment, ...]:
    """The marquee's segments: each announcement, separated, in chunks; *idle* when none."""
    if not items:
        return tuple(_chunks(one_line(idle) + SEPARATOR, False, chunk)) if idle.strip() else ()
    segments: list[Segment] = []
    for announcement in items:
        high = announcement.priority == "high"
        text = ("【重要】" if high else "") + one_line(announcement.text)
        segments.extend(_chunks(text + SEPARATOR, high, chunk))
    return tuple(segments)


def _chunks(text: str, high: bool, size: int):
    for start in range(0, len(text), size):
        yield Segment(text[start:start + size], high)
