"""The WAL is checkpointed on its own thread, and the writers' connection only as a backstop."""

from __future__ import annotations

import os

from backend.app import build
from backend.checkpointer import BACKSTOP_PAGES
from backend.core import Outcome
from backend.registry import Actor
from protocol.fakebus import FakeBroker, FakeBus
from protocol.models import Request

KIOSK = Actor("kiosk-1", "kiosk")


def _backend(settings, **overrides):
    settings = settings.__class__(hall=settings.hall, data_dir=settings.data_dir, **overrides)
    backend = build(settings, FakeBus(FakeBroker(), settings.hall, client_id="backend")).start()

    def write(ctx):   # a request that writes a page's worth
        ctx.conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS scratch (x)")
        ctx.conn.exec_driver_sql("INSERT INTO scratch VALUES (?)", ("x" * 4000,))
        return Outcome({})

    backend.executor.register("ticket.issue", write)
    return backend


def _issue(backend, count, start=0):
    for n in range(start, start + count):
        assert backend.executor.execute(KIOSK, Request(id=f"r-{n}", type="ticket.issue",
                                                       params={"queue": "q"})).ok


def test_the_thread_checkpoints_and_the_writer_only_as_a_backstop(settings):
    backend = _backend(settings, checkpoint_interval_s=0.01)   # started: a built backend has no thread
    try:
        _issue(backend, 50)
        raw = backend.executor._conn.connection.driver_connection
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES
        done = backend.checkpointer.checkpoints
        assert backend.checkpointer.wait_for(done + 2, timeout=30)   # the thread runs on its own
        in_wal, copied = backend.checkpointer.checkpoint_now()
        assert in_wal > 50 and copied == in_wal                       # every committed page is in the database
        wal = f"{settings.data_dir}/hall.db-wal"
        size = os.path.getsize(wal)
        _issue(backend, 20, start=50)                                 # the WAL is reused from its start
        assert os.path.getsize(wal) == size
    finally:
        backend.stop()
    assert not backend.checkpointer._thread.is_alive()


def test_without_the_thread_sqlite_checkpoints_in_the_commit(settings):
    backend = _backend(settings, checkpoint_interval_s=0)
    try:
        _issue(backend, 5)
        assert backend.checkpointer is None
        raw = backend.executor._conn.connection.driver_connection
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000   # SQLite's default
    finally:
        backend.stop()
