"""Rebuilding the catalog from retained messages, and knowing when it is whole.

A node subscribes to ``catalog/#``; the index lists every item id with a
content hash, so the mirror is *complete* exactly when it holds every listed
item with a matching hash.  The mirror persists to one JSON file so a kiosk
that reboots while the network is down still has its last complete catalog.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Callable

from .bus import Inbound
from .codec import decode, decode_optional
from .errors import ProtocolError
from .models import CatalogIndex, Item, item_hash
from .topics import Topics

log = logging.getLogger(__name__)


class CatalogMirror:
    """The catalog as one node sees it; thread-safe; no paho, no Kivy."""

    def __init__(self, topics: Topics, on_change: Callable[["CatalogMirror"], None] | None = None):
        self.topics = topics
        self.index: CatalogIndex | None = None
        self._items: dict[str, Item] = {}
        self._hashes: dict[str, str] = {}
        self._lock = threading.RLock()
        self._on_change = on_change

    # -- feeding ---------------------------------------------------------------
    def subscribe(self, bus) -> None:
        bus.subscribe(self.topics.catalog_all(), self.handle)

    def handle(self, message: Inbound) -> None:
        parsed = self.topics.parse(message.topic)
        if parsed is None:
            return
        try:
            if parsed.name == "catalog_index":
                index = decode_optional(CatalogIndex, message.payload)
                with self._lock:
                    self.index = index
                    self._prune()
            elif parsed.name == "catalog_item":
                item_id = parsed.ids["item"]
                item = decode_optional(Item, message.payload)
                with self._lock:
                    if item is None:
                        self._items.pop(item_id, None)
                        self._hashes.pop(item_id, None)
                    elif item.id != item_id:
                        log.warning("item on %s carries id %s; ignored", message.topic, item.id)
                        return
                    else:
                        self._items[item_id] = item
                        self._hashes[item_id] = item_hash(item)
            else:
                return
        except ProtocolError as exc:
            log.warning("ignoring bad catalog message on %s: %s", message.topic, exc)
            return
        if self._on_change is not None:
            self._on_change(self)

    def _prune(self) -> None:
        """Drop items the index no longer lists (deleted while we were away)."""
        if self.index is None:
            return
        listed = {entry.id for entry in self.index.items}
        for item_id in list(self._items):
            if item_id not in listed:
                self._items.pop(item_id)
                self._hashes.pop(item_id, None)

    # -- reading ---------------------------------------------------------------
    @property
    def version(self) -> int | None:
        return self.index.version if self.index else None

    def missing(self) -> list[str]:
        """Ids the index lists that we lack or hold with a different hash."""
        with self._lock:
            if self.index is None:
                return []
            return [e.id for e in self.index.items if self._hashes.get(e.id) != e.hash]

    @property
    def complete(self) -> bool:
        with self._lock:
            return self.index is not None and not self.missing()

    def items(self) -> list[Item]:
        """Items in index order (only those we hold)."""
        with self._lock:
            if self.index is None:
                return list(self._items.values())
            return [self._items[e.id] for e in self.index.items if e.id in self._items]

    def item(self, item_id: str) -> Item | None:
        with self._lock:
            return self._items.get(item_id)

    def department_names(self) -> dict[str, str]:
        with self._lock:
            return {d.id: d.name for d in self.index.departments} if self.index else {}

    # -- persistence -----------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the mirror atomically (only a complete catalog is worth keeping)."""
        with self._lock:
            if not self.complete:
                return
            data = {
                "index": self.index.model_dump(mode="json"),
                "items": [item.model_dump(mode="json") for item in self.items()],
            }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def load(self, path: str | os.PathLike) -> bool:
        """Load a saved catalog; False (and a log line) if it is missing or unreadable."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            index = decode(CatalogIndex, json.dumps(data["index"]))
            items = [decode(Item, json.dumps(raw)) for raw in data["items"]]
        except FileNotFoundError:
            return False
        except (OSError, ValueError, KeyError, TypeError, ProtocolError) as exc:
            log.warning("cannot load the saved catalog %s: %s", path, exc)
            return False
        with self._lock:
            self.index = index
            self._items = {item.id: item for item in items}
            self._hashes = {item.id: item_hash(item) for item in items}
        if self._on_change is not None:
            self._on_change(self)
        return True
