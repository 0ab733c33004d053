"""The catalog as the queue engine reads it: through ``backend.catalog.store`` (the catalog
package's functions), cached per catalog version."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Connection

from protocol.models import Item, Queue, Window

from .domain import windows_serving


class CatalogCache:
    """The catalog's queues, windows and items, reloaded only when the catalog version changes.

    The version is read in the caller's transaction, so the view is consistent
    with it; one cache serves one database (keep it on the service, not global).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._version: int | None = None
        self._queues: dict[str, Queue] = {}
        self._windows: dict[str, Window] = {}
        self._by_number: list[Window] = []
        self._serving: dict[str, tuple[Window, ...]] = {}
        self._items: dict[str, Item | None] = {}
        self._last: tuple[object, DbCatalog] | None = None   # (transaction, its view)

    def view(self, conn: Connection) -> "DbCatalog":
        """The catalog as of *conn*'s transaction (its version is read once per transaction:
        a batch of requests shares one)."""
        from backend.catalog import store  # the catalog package owns these tables

        transaction = conn.get_transaction()
        last = self._last
        if last is not None and transaction is not None and last[0] is transaction:
            return last[1]
        version = store.catalog_version(conn)
        with self._lock:
            if version != self._version:
                self._queues = {q.id: q for q in store.list_queues(conn)}
                self._windows = {w.id: w for w in store.list_windows(conn)}
                self._by_number = sorted(self._windows.values(), key=lambda w: w.number)
                self._serving = {q: windows_serving(self._by_number, q) for q in self._queues}
                self._items = {}
                self._version = version
            view = DbCatalog(conn, version, self._queues, self._windows, self._items, self._lock,
                             self._by_number, self._serving)
        if transaction is not None:
            self._last = (transaction, view)
        return view


class DbCatalog:
    """One transaction's view of the catalog (see :class:`CatalogCache`)."""

    def __init__(self, conn: Connection, version: int, queues: dict, windows: dict, items: dict, lock,
                 by_number: list[Window], serving: dict[str, tuple[Window, ...]]):
        self._conn, self.version = conn, version
        self._queues, self._windows, self._items, self._lock = queues, windows, items, lock
        self._by_number, self._serving = by_number, serving

    def queue(self, queue_id: str) -> Queue | None:
        return self._queues.get(queue_id)

    def window(self, window_id: str) -> Window | None:
        return self._windows.get(window_id)

    def item(self, item_id: str) -> Item | None:
        with self._lock:
            if item_id in self._items:
                return self._items[item_id]
        from backend.catalog import store

        item = store.get_item(self._conn, item_id)
        with self._lock:
            if len(self._items) < 5000:
                self._items[item_id] = item
        return item

    def queues(self) -> list[Queue]:
        return list(self._queues.values())

    def windows(self) -> list[Window]:
        return list(self._by_number)

    def serving(self, queue_id: str) -> tuple[Window, ...]:
        return self._serving.get(queue_id, ())
