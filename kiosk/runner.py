"""Where slow work runs: requests to the backend and the printer, one job at a time, in order.

Never the UI thread (a request may wait seconds) and never the bus worker
(the reply arrives on it).  Tests pass :class:`InlineRunner`, which runs each
job at once on the caller's thread, so nothing needs waiting for.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

log = logging.getLogger(__name__)

Job = Callable[[], None]


class ThreadRunner:
    def __init__(self, name: str = "kiosk-jobs"):
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def start(self) -> "ThreadRunner":
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def submit(self, job: Job) -> None:
        self._jobs.put(job)

    def stop(self, timeout: float = 10.0) -> None:
        if self._started and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:  # one failed job must not stop number-taking
                log.exception("kiosk job %r failed", job)


class InlineRunner:
    """Runs every job at once on the submitting thread (tests, and a kiosk without threads)."""

    def start(self) -> "InlineRunner":
        return self

    def submit(self, job: Job) -> None:
        try:
            job()
        except Exception:
            log.exception("kiosk job %r failed", job)

    def stop(self, timeout: float = 0) -> None:
        pass
