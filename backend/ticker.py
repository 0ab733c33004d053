"""A small thread that calls ``tick(now)`` when something is due.

``tick(now)`` does the work and returns when it next wants to run (or None);
the thread sleeps until then, at most *max_wait* seconds (so a clock jump is
caught up soon), and :meth:`Ticker.wake` makes it tick at once (after a change
that may move the next due time).  The thread runs only while ``alive()`` is
true (e.g. "the bus is connected") and ends by itself otherwise; call
:meth:`ensure_started` again when it becomes true.  Tests call ``tick(now)``
directly and never wait on this thread.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Callable

log = logging.getLogger(__name__)

Tick = Callable[[datetime], "datetime | None"]


class Ticker:
    def __init__(self, name: str, tick: Tick, clock: Callable[[], datetime], *,
                 alive: Callable[[], bool] = lambda: True, max_wait: float = 30.0, min_wait: float = 0.2):
        self.name = name
        self._tick = tick
        self._clock = clock
        self._alive = alive
        self.max_wait = max_wait
        self.min_wait = min_wait
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def ensure_started(self) -> None:
        """Start the thread unless it runs (or :meth:`stop` was called); wake it either way."""
        with self._lock:
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop for good (safe to call twice, and from the thread itself)."""
        with self._lock:
            self._stopped = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end (after :meth:`stop` or once not alive); True if it has."""
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return not self.running

    def _seconds_until(self, due: datetime | None, now: datetime) -> float:
        if due is None:
            return self.max_wait
        return min(self.max_wait, max(self.min_wait, (due - now).total_seconds()))

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopped or not self._alive():
                    self._thread = None
                    return
            now = self._clock()
            try:
                due = self._tick(now)
            except Exception:  # one failed tick must not end the timer
                log.exception("%s: tick failed", self.name)
                due = None
            self._wake.wait(self._seconds_until(due, now))
            self._wake.clear()
