"""Copying the WAL into the database file on a thread of its own (SQLite checkpoints).

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: at
a few thousand tickets a second that was one batch in fifty or so held 1-2 ms longer,
the tail of the ticket latency.  With a :class:`WalCheckpointer` running, the writers'
connection (the request executor's) checkpoints by itself only past
:data:`BACKSTOP_PAGES`, in case this thread is stuck, and this thread runs a PASSIVE
checkpoint every ``checkpoint_interval_s``: it never waits for the writer nor the
writer for it, and sqlite3 lets go of the GIL while it works, so it runs on the other
core while the requests go on.  The WAL is reused from its start at the first write
after a checkpoint that copied all of it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

#: The writers' own automatic checkpoint while this thread runs (pages of 4 KiB: 40 MB).
BACKSTOP_PAGES = 10_000


class WalCheckpointer:
    def __init__(self, engine: Engine, interval_s: float):
        self.engine = engine
        self.interval_s = interval_s
        self.checkpoints = 0
        self._done = threading.Condition()
        self._stop = threading.Event()
        self._lock = threading.Lock()   # one checkpoint at a time (the thread, or a caller's checkpoint_now)
        self._conn = None
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> "WalCheckpointer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def checkpoint_now(self) -> tuple[int, int]:
        """One PASSIVE checkpoint: (pages in the WAL, pages copied to the database)."""
        with self._lock:
            if self._conn is None:
                self._conn = self.engine.raw_connection()
            _busy, in_wal, copied = self._conn.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        with self._done:
            self.checkpoints += 1
            self._done.notify_all()
        return in_wal, copied

    def wait_for(self, count: int, timeout: float) -> bool:
        """Until *count* checkpoints were made (tests, diagnostics)."""
        with self._done:
            return self._done.wait_for(lambda: self.checkpoints >= count, timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.checkpoint_now()
            except sqlite3.Error as exc:   # the writers' backstop still checkpoints; try again next time
                log.warning("WAL checkpoint failed: %s", exc)
