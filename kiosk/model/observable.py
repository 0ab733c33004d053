"""A tiny observable: listeners are told *what* changed ("catalog", "visit", ...).

Listeners run on the thread that made the change (a bus worker, the request
runner or the UI thread); a Kivy listener must hop to the main thread itself.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)

Listener = Callable[[str], None]


class Observable:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()

    def listen(self, listener: Listener) -> Listener:
        with self._listeners_lock:
            self._listeners.append(listener)
        return listener

    def unlisten(self, listener: Listener) -> None:
        with self._listeners_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def emit(self, what: str) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(what)
            except Exception:  # a broken screen must not stop the model
                log.exception("listener %r failed on %s", listener, what)
