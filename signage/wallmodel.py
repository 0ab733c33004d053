"""What the LED wall (综合屏) shows at any moment: a pure model, no Kivy.

The node feeds it decoded state from any thread (``set_queue``, ``set_recent``,
``set_announcements``, ``set_catalog``, ``call``); the screen asks for a
:class:`WallView` on the Kivy thread a few times a second and draws it.  The
clock is injected, so tests move time by hand.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from protocol.bus import CALL_EXPIRY_S
from protocol.models import Announcements, QueueState, RecentCalls

from . import announce, texts
from .calls import Call
from .highlight import HighlightQueue
from .paging import Pager

DEFAULT_HALL_NAME = "政务服务中心"


@dataclass(frozen=True)
class CallRow:
    ticket: str
    window_number: int
    recall: bool = False

    @property
    def text(self) -> str:
        return f"{self.ticket} 请到{self.window_number}号窗口"


@dataclass(frozen=True)
class QueueRow:
    prefix: str
    name: str
    serving: str
    waiting: int
    wait: str
    open: bool


@dataclass(frozen=True)
class ItemRow:
    name: str
    department: str
    kind: str
    promised: str
    windows: str


@dataclass(frozen=True)
class WallView:
    hall_name: str
    date_text: str
    time_text: str
    current: CallRow | None        # the big panel: the highlighted call, else the latest
    highlighted: bool              # current is having its turn (flashing)
    flash_on: bool
    waiting_turns: int             # calls queued for the highlight after this one
    recent: tuple[CallRow, ...]    # earlier calls, newest first
    queues: tuple[QueueRow, ...]
    queue_page: int
    queue_pages: int
    items: tuple[ItemRow, ...]
    item_page: int
    item_pages: int
    item_count: int
    marquee: tuple[announce.Segment, ...]
    online: bool


def _row(call: Call) -> CallRow:
    return CallRow(call.ticket, call.window_number, call.kind == "recall")


class WallModel:
    def __init__(self, clock, *, hall_name: str = "", idle_message: str = "", hold_s: float = 8.0,
                 min_turn_s: float = 3.0, page_s: float = 10.0, recent_rows: int = 6,
                 queue_rows: int = 6, item_rows: int = 8, expiry_s: float = CALL_EXPIRY_S):
        self.clock = clock
        self.hall_name = hall_name
        self.idle_message = idle_message
        self.recent_rows = recent_rows
        self.expiry_s = expiry_s
        self.highlight = HighlightQueue(hold_s=hold_s, min_turn_s=min_turn_s)
        self.item_pager = Pager(page_s, item_rows)
        self.queue_pager = Pager(page_s, queue_rows)
        self._lock = threading.RLock()
        self._queues: dict[str, QueueState] = {}
        self._retained: tuple[Call, ...] = ()
        self._live: deque[Call] = deque(maxlen=32)
        self._announcements: Announcements | None = None
        self._marquee: tuple[announce.Segment, ...] | None = None
        self._marquee_until: datetime | None = None
        self._mirror = None
        self._items: tuple[ItemRow, ...] = ()
        self._queue_order: dict[str, int] = {}
        self._catalog_hall = ""
        self._catalog_dirty = False
        self.online = False
        #: A probe for the bus connection (the node sets it to ``bus.connected.is_set``).
        self.connected = None

    # -- feeding (any thread) -------------------------------------------------------
    def set_queue(self, queue_id: str, state: QueueState | None) -> None:
        with self._lock:
            if state is None:
                self._queues.pop(queue_id, None)
            else:
                self._queues[queue_id] = state

    def set_recent(self, recent: RecentCalls | None) -> None:
        now = self.clock.now()
        with self._lock:
            calls = tuple(Call.from_entry(e) for e in recent.calls) if recent else ()
            ids = {c.event_id for c in calls}
            kept = [c for c in self._live
                    if c.event_id not in ids and (now - c.at).total_seconds() < 2 * self.expiry_s]
            self._live.clear()
            self._live.extend(kept)
            self._retained = calls

    def set_announcements(self, announcements: Announcements | None) -> None:
        with self._lock:
            self._announcements = announcements
            self._marquee = None

    def set_catalog(self, mirror) -> None:
        """Take a :class:`protocol.mirror.CatalogMirror`; rows are rebuilt at the next view."""
        with self._lock:
            self._mirror = mirror
            self._catalog_dirty = True

    def call(self, call: Call) -> None:
        """A new call (already admitted by the CallGate): list it and queue its highlight."""
        with self._lock:
            self._live.appendleft(call)
            self.highlight.push(call, self.clock.monotonic())

    def set_online(self, online: bool) -> None:
        self.online = online

    # -- reading (the screen's thread) ------------------------------------------------
    def view(self) -> WallView:
        now, mono = self.clock.now(), self.clock.monotonic()
        with self._lock:
            if self._catalog_dirty:
                self._rebuild_catalog()
            calls = self._merged_calls()
            spot = self.highlight.current(mono)
            current = spot or (calls[0] if calls else None)
            earlier = tuple(_row(c) for c in calls if current is None or c.event_id != current.event_id)
            queues, q_page, q_pages = self.queue_pager.slice(self._queue_rows(), mono)
            items, i_page, i_pages = self.item_pager.slice(self._items, mono)
            return WallView(
                hall_name=self.hall_name or self._catalog_hall or DEFAULT_HALL_NAME,
                date_text=texts.date_text(now), time_text=texts.time_text(now),
                current=_row(current) if current else None,
                highlighted=spot is not None, flash_on=self.highlight.flash_on(mono),
                waiting_turns=self.highlight.waiting,
                recent=earlier[:self.recent_rows],
                queues=queues, queue_page=q_page, queue_pages=q_pages,
                items=items, item_page=i_page, item_pages=i_pages, item_count=len(self._items),
                marquee=self._marquee_now(now),
                online=self.connected() if self.connected is not None else self.online,
            )

    def _merged_calls(self) -> list[Call]:
        """Retained and live calls, newest first; a recall replaces the earlier call of that number."""
        by_id = {c.event_id: c for c in self._retained}
        for call in self._live:
            by_id.setdefault(call.event_id, call)
        calls, seen = [], set()
        for call in sorted(by_id.values(), key=lambda c: c.at, reverse=True):
            if (call.ticket, call.window) not in seen:
                seen.add((call.ticket, call.window))
                calls.append(call)
        return calls[:self.recent_rows + 1]

    def _queue_rows(self) -> list[QueueRow]:
        order = self._queue_order
        states = sorted(self._queues.values(), key=lambda q: (order.get(q.id, len(order)), q.prefix, q.id))
        return [QueueRow(q.prefix, q.name, q.last_called or "—", q.waiting,
                         texts.wait_text(q.wait.minutes, q.open), q.open) for q in states]

    def _marquee_now(self, now: datetime) -> tuple[announce.Segment, ...]:
        if self._marquee is None or (self._marquee_until is not None and now >= self._marquee_until):
            shown = announce.active(self._announcements, "wall", now)
            self._marquee = announce.marquee(shown, self.idle_message)
            self._marquee_until = announce.next_change(self._announcements, now)
        return self._marquee

    def _rebuild_catalog(self) -> None:
        self._catalog_dirty = False
        mirror = self._mirror
        index = mirror.index if mirror is not None else None
        if index is None:
            self._items = ()
            return
        self._catalog_hall = index.hall_name
        self._queue_order = {q.id: n for n, q in enumerate(index.queues)}
        departments = {d.id: (n, d.short_name or d.name) for n, d in enumerate(index.departments)}
        windows = {w.id: w.number for w in index.windows}
        rows = []
        for item in mirror.items():
            order, department = departments.get(item.department, (len(departments), item.department))
            numbers = [windows[w] for w in item.windows if w in windows]
            rows.append((order, item.display_name, ItemRow(
                item.display_name, department, item.kind, texts.promised_text(item.promised_days),
                texts.windows_text(numbers))))
        rows.sort(key=lambda r: (r[0], r[1]))
        self._items = tuple(r[2] for r in rows)
