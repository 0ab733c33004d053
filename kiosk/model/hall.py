"""What the kiosk knows about the hall: the catalog (with search), queues and announcements.

Fed by bus handlers (any thread); read by the screens.  Building the search
index takes a noticeable time for a few hundred items (about 0.4 s on a PC,
more on a Pi), so the node rebuilds it on its job thread once a new catalog
is complete (:meth:`HallState.rebuild_index`) and searches meanwhile use the
previous index.  Without a node (``rebuild_in_search``) a search after a
change rebuilds it first.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Callable

from hallcore.search import Hit, SearchIndex
from protocol.bus import Inbound
from protocol.codec import decode_optional
from protocol.errors import ProtocolError
from protocol.mirror import CatalogMirror
from protocol.models import Announcement, Announcements, Department, Item, QueueState
from protocol.topics import Topics

log = logging.getLogger(__name__)


class HallState:
    def __init__(self, topics: Topics, on_change: Callable[[str], None]):
        self.topics = topics
        self._on_change = on_change
        self.mirror = CatalogMirror(topics, on_change=lambda _mirror: self._catalog_changed())
        self._lock = threading.RLock()
        self._index: SearchIndex | None = None
        self._stale = True
        self._changes = 0
        self.rebuild_in_search = True
        self._queues: dict[str, QueueState] = {}
        self._announcements: tuple[Announcement, ...] = ()

    # -- feeding (bus worker thread) -------------------------------------------------
    def _catalog_changed(self) -> None:
        with self._lock:
            self._stale = True
            self._changes += 1
        self._on_change("catalog")

    def rebuild_index(self) -> None:
        """Build the search index from the catalog as it is now (slow: not on the UI thread)."""
        with self._lock:
            changes = self._changes
        index = SearchIndex(self.mirror.items(), self.mirror.department_names())
        with self._lock:
            self._index = index
            self._stale = self._changes != changes
        self._on_change("index")

    def handle_queue(self, message: Inbound) -> None:
        parsed = self.topics.parse(message.topic)
        if parsed is None or parsed.name != "queue_state":
            return
        try:
            state = decode_optional(QueueState, message.payload)
        except ProtocolError as exc:
            log.warning("ignoring a bad queue state on %s: %s", message.topic, exc)
            return
        with self._lock:
            if state is None:
                self._queues.pop(parsed.ids["q"], None)
            else:
                self._queues[state.id] = state
        self._on_change("queues")

    def handle_announcements(self, message: Inbound) -> None:
        try:
            payload = decode_optional(Announcements, message.payload)
        except ProtocolError as exc:
            log.warning("ignoring bad announcements: %s", exc)
            return
        with self._lock:
            self._announcements = payload.items if payload else ()
        self._on_change("announcements")

    # -- reading ---------------------------------------------------------------------
    @property
    def hall_name(self) -> str:
        index = self.mirror.index
        return index.hall_name if index else ""

    @property
    def version(self) -> int | None:
        return self.mirror.version

    def items(self) -> list[Item]:
        return self.mirror.items()

    def item(self, item_id: str | None) -> Item | None:
        return self.mirror.item(item_id) if item_id else None

    def search(self, query: str, department: str | None = None, limit: int = 30) -> list[Hit]:
        with self._lock:
            rebuild = self._index is None or (self._stale and self.rebuild_in_search)
        if rebuild:
            self.rebuild_index()
        with self._lock:
            index = self._index
        return index.search(query, department=department, limit=limit)

    def departments(self) -> list[Department]:
        """Departments that have at least one item, in index order."""
        index = self.mirror.index
        if index is None:
            return []
        used = {item.department for item in self.mirror.items()}
        return [d for d in index.departments if d.id in used]

    def department_name(self, department_id: str) -> str:
        return self.mirror.department_names().get(department_id, department_id)

    def department_short(self, department_id: str) -> str:
        index = self.mirror.index
        for dept in index.departments if index else ():
            if dept.id == department_id:
                return dept.short_name or dept.name
        return department_id

    def window_numbers(self, item: Item) -> list[int]:
        index = self.mirror.index
        by_id = {w.id: w for w in index.windows} if index else {}
        return [by_id[w].number for w in item.windows if w in by_id]

    def window_lines(self, item: Item) -> list[str]:
        """"3号窗口 市场监管局综合受理" for each window of the item (its id if unknown)."""
        index = self.mirror.index
        by_id = {w.id: w for w in index.windows} if index else {}
        lines = []
        for window_id in item.windows:
            window = by_id.get(window_id)
            if window is None:
                lines.append(window_id)
            else:
                where = f"（{window.location}）" if window.location else ""
                lines.append(f"{window.label(' ')}{where}")
        return lines

    def queue_name(self, queue_id: str) -> str:
        state = self.queue(queue_id)
        if state is not None:
            return state.name
        index = self.mirror.index
        for queue in index.queues if index else ():
            if queue.id == queue_id:
                return queue.name
        return queue_id

    def queue(self, queue_id: str) -> QueueState | None:
        with self._lock:
            return self._queues.get(queue_id)

    def announcements(self, now: datetime) -> list[Announcement]:
        """Active announcements meant for kiosks, high priority first."""
        with self._lock:
            items = self._announcements
        active = [a for a in items if "kiosk" in a.targets and a.start <= now < a.end]
        return sorted(active, key=lambda a: a.priority != "high")
