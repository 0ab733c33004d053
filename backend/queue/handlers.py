"""The queue engine's request handlers, its republish provider and its alert monitor.

``install(backend)`` (listed in ``backend.app.INSTALLERS``) registers a handler
for ``ticket.issue``, ``ticket.checkin``, the nine ``window.*`` operations and
``evaluation.submit`` on the executor, which already checked permission and
idempotency and holds the transaction; each handler runs the engine on that
transaction and returns the publications computed in it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from backend.core import COMMITS, Context, Outcome
from backend.publisher import Publication
from protocol.models import EVALUATION_LEVELS, EvaluationResult, TicketResult, WindowResult

from ..db import dbapi, write_transaction
from .domain import Change
from .engine import QueueEngine, Who
from .state import StateBuilder
from .store import CatalogCache, SqlRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Batch:
    """A transaction of the executor's and the repository its requests share."""

    transaction: object
    repo: SqlRepo
    version: int        # PRAGMA data_version when it began
    commits: int        # the connection's commits before it (``backend.core.COMMITS``)


@dataclass
class QueueService:
    """Makes an engine and a state builder for one connection (handlers, console, provider)."""

    settings: object
    topics: object
    catalog_factory: Callable[[Connection], object] | None = None
    clock: Callable[[], datetime] | None = None

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.settings.timezone)
        self.catalog_cache = CatalogCache()
        self._seen_version: int | None = None
        self._seen_ids: tuple[set[str], set[str]] = (set(), set())
        self._batch: _Batch | None = None   # the repository of the executor's last transaction

    def catalog(self, conn: Connection):
        return self.catalog_factory(conn) if self.catalog_factory else self.catalog_cache.view(conn)

    def engine(self, conn: Connection) -> QueueEngine:
        return QueueEngine(SqlRepo(conn, self.catalog(conn)), self.settings.queue, self.tz)

    @contextlib.contextmanager
    def batch_engine(self, conn: Connection) -> Iterator[QueueEngine]:
        """An engine on the repository that the requests of one transaction share (what one
        read, the next need not read again: the day, the windows, a line's figures).

        The executor runs each request in a savepoint; when the block fails, its writes are
        rolled back, and so is what the repository remembered.  The next transaction of the
        executor keeps the repository when nothing can have changed since (:meth:`_carried`)."""
        transaction = conn.get_transaction()
        batch = self._batch
        if batch is None or transaction is None or batch.transaction is not transaction:
            batch = self._carried(conn, transaction, batch)
        try:
            yield QueueEngine(batch.repo, self.settings.queue, self.tz)
        except BaseException:
            batch.repo.forget()
            raise

    def _carried(self, conn: Connection, transaction, last: "_Batch | None") -> "_Batch":
        """The repository for a new transaction: the last one's, still knowing what it read, if
        that transaction committed on this same connection, no transaction came between, and no
        other connection committed since (SQLite's ``data_version``, which only other connections'
        commits change: another process, the consoles, the ticker, a catalog import); else a new one.

        Every write of the executor's transactions goes through this repository (the queue
        handlers are its only ones), so what it remembers is what the database holds."""
        version = dbapi(conn).execute("PRAGMA data_version").fetchone()[0]
        commits = conn.info.get(COMMITS, 0)
        if last is not None and last.repo.conn is conn and last.version == version \
                and last.commits + 1 == commits:
            repo = last.repo
            repo.next_transaction()
        else:
            repo = SqlRepo(conn, self.catalog(conn))
        batch = _Batch(transaction, repo, version, commits)
        self._batch = batch if transaction is not None else None
        return batch

    def builder(self, engine: QueueEngine) -> StateBuilder:
        return StateBuilder(engine, self.settings, self.topics, self.tz)

    def provider(self, conn: Connection):
        """Every retained queue/window/calls/alert topic, from the database."""
        engine = self.engine(conn)
        self._remember_catalog(engine)
        return self.builder(engine).everything(self.now())

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(self.tz)

    def _remember_catalog(self, engine: QueueEngine) -> tuple[set[str], set[str]]:
        """Note the catalog version just published; returns the queues and windows it had before."""
        before = self._seen_ids
        self._seen_version = getattr(engine.catalog, "version", None)
        self._seen_ids = ({q.id for q in engine.catalog.queues()}, {w.id for w in engine.catalog.windows()})
        return before

    def catalog_changes(self, conn: Connection, now: datetime) -> list[Publication]:
        """After a catalog change (a window serving other queues, a queue removed): every state
        again, and an empty retained payload for the queues and windows that are gone."""
        engine = self.engine(conn)
        if getattr(engine.catalog, "version", None) == self._seen_version:
            return []
        old_queues, old_windows = self._remember_catalog(engine)
        queues, windows = self._seen_ids
        pubs = self.builder(engine).publications(Change(queues=set(queues), windows=set(windows),
                                                        calls_changed=True), now)
        pubs += [Publication(self.topics.queue_state(q), None) for q in sorted(old_queues - queues)]
        pubs += [Publication(self.topics.window_state(w), None) for w in sorted(old_windows - windows)]
        return pubs

    def tick(self, conn: Connection, now: datetime) -> list[Publication]:
        """The periodic check: roll the day over, raise or clear time-based warnings."""
        engine = self.engine(conn)
        builder = self.builder(engine)
        pubs = builder.publications(engine.rollover(now), now)
        queues = {q.id for q in engine.catalog.queues()}
        windows = {w.id for w in engine.catalog.windows()}
        return pubs + builder.refresh_alerts(queues, windows, now)


def run_change(engine, publisher, service: QueueService,
               change: Callable[[Connection, QueueEngine], Change]) -> None:
    """Run an operator's change (suspend a queue, ...) in one transaction; publish its states after commit."""
    lock = publisher.lock if publisher is not None else contextlib.nullcontext()
    with lock:
        with write_transaction(engine) as conn:
            queue_engine = service.engine(conn)
            pubs = service.builder(queue_engine).publications(change(conn, queue_engine), service.now())
        if publisher is not None:
            publisher.publish(pubs)


def _who(ctx: Context) -> Who:
    # Only the counter console vouches for a staff member; a device cannot claim one.
    return Who(ctx.actor.id, ctx.actor.staff if ctx.actor.role == "console" else "")


def _window_result(builder: StateBuilder, ctx: Context, change: Change) -> WindowResult:
    state = builder.window_state(ctx.window, ctx.now)
    return WindowResult(window=state, ticket=change.ticket.number if change.ticket else None)


@dataclass
class QueueRefresh:
    """The queue and window states a batch of requests changed (``core.Refresh``)."""

    service: QueueService
    queues: set[str]
    windows: set[str]
    calls_changed: bool
    only_added: bool
    now: datetime
    key: str = "queue"

    @classmethod
    def of(cls, service: QueueService, change: Change, now: datetime) -> "QueueRefresh":
        return cls(service, set(change.queues), set(change.windows), change.calls_changed, change.only_added, now)

    def merge(self, later: "QueueRefresh") -> "QueueRefresh":
        return QueueRefresh(self.service, self.queues | later.queues, self.windows | later.windows,
                            self.calls_changed or later.calls_changed, self.only_added and later.only_added,
                            later.now)

    def publications(self, conn: Connection) -> list[Publication]:
        change = Change(queues=self.queues, windows=self.windows, calls_changed=self.calls_changed,
                        only_added=self.only_added)
        with self.service.batch_engine(conn) as engine:   # what the requests read is remembered
            return self.service.builder(engine).publications(change, self.now)


def make_handlers(service: QueueService) -> dict[str, Callable[[Context], Outcome]]:
    def run(ctx: Context, op: Callable[[QueueEngine, Who], Change], result) -> Outcome:
        with service.batch_engine(ctx.conn) as engine:
            builder = service.builder(engine)
            change = op(engine, _who(ctx))
            # the call event now, in order; the states once for the whole batch
            return Outcome(result(builder, ctx, change), builder.events(change),
                           QueueRefresh.of(service, change, ctx.now))

    def ticket(builder, ctx, change):
        return TicketResult(ticket=builder.ticket_info(change.ticket))

    def window_op(method: str, *args: Callable[[Context], object]):
        def handler(ctx: Context) -> Outcome:
            def op(engine, who):
                return getattr(engine, method)(ctx.now, who, ctx.window, *(arg(ctx) for arg in args))
            return run(ctx, op, _window_result)
        return handler

    def issue(ctx: Context) -> Outcome:
        p = ctx.params
        return run(ctx, lambda e, who: e.issue(ctx.now, who, item=p.item, queue=p.queue, priority=p.priority),
                   ticket)

    def checkin(ctx: Context) -> Outcome:
        return run(ctx, lambda e, who: e.check_in(ctx.now, who, ctx.params.code), ticket)

    def transfer(ctx: Context) -> Outcome:
        p = ctx.params
        return run(ctx, lambda e, who: e.transfer(ctx.now, who, ctx.window, p.reason, to_queue=p.to_queue,
                                                   to_window=p.to_window), _window_result)

    def evaluate(ctx: Context) -> Outcome:
        p = ctx.params
        with service.batch_engine(ctx.conn) as engine:
            builder = service.builder(engine)
            change, evaluation = engine.evaluate(ctx.now, _who(ctx), ctx.window, p.level, p.reasons, p.comment,
                                                 p.ticket_id)
            return Outcome(EvaluationResult(evaluation_id=evaluation.id, ticket_id=evaluation.ticket,
                                            level=evaluation.level, label=EVALUATION_LEVELS[evaluation.level]),
                           builder.publications(change, ctx.now))

    reason = lambda ctx: ctx.params.reason  # noqa: E731
    return {
        "ticket.issue": issue,
        "ticket.checkin": checkin,
        "window.call_next": window_op("call_next"),
        "window.recall": window_op("recall"),
        "window.skip": window_op("skip", reason),
        "window.call_number": window_op("call_number", lambda ctx: ctx.params.ticket, reason),
        "window.transfer": transfer,
        "window.start": window_op("start"),
        "window.finish": window_op("finish"),
        "window.pause": window_op("pause", reason),
        "window.resume": window_op("resume"),
        "evaluation.submit": evaluate,
    }


class AlertMonitor:
    """Day rollover and time-based warnings, at most every *interval* seconds.

    The backend's runner calls :meth:`maybe_check` every few seconds
    (``Backend.periodic``); tests call :meth:`check_now` with their own clock.
    """

    def __init__(self, backend, service: QueueService, interval: float):
        self.backend = backend
        self.service = service
        self.interval = interval
        self._last: float | None = None

    def maybe_check(self, monotonic: Callable[[], float] = time.monotonic) -> int:
        """Follow a catalog change at once; the time-based check every *interval* seconds."""
        sent = self._run(self.service.catalog_changes)
        now = monotonic()
        if self.interval > 0 and (self._last is None or now - self._last >= self.interval):
            self._last = now
            sent += self.check_now()
        return sent

    def check_now(self) -> int:
        """Run the time-based check at once; returns the number of messages published."""
        return self._run(self.service.tick)

    def _run(self, step: Callable[[Connection, datetime], list[Publication]]) -> int:
        backend = self.backend
        with backend.publisher.lock:
            with write_transaction(backend.engine) as conn:
                pubs = step(conn, backend.executor.clock())
            backend.publisher.publish(pubs)
        return len(pubs)


def install(backend, *, catalog_factory: Callable[[Connection], object] | None = None) -> QueueService:
    """Register the queue engine on *backend* (see ``backend.app.INSTALLERS``)."""
    service = QueueService(backend.settings, backend.executor.topics, catalog_factory, backend.executor.clock)
    for kind, handler in make_handlers(service).items():
        backend.executor.register(kind, handler)
    backend.publisher.add_provider(service.provider)
    monitor = AlertMonitor(backend, service, backend.settings.queue.check_interval_s)
    backend.periodic.append(monitor.maybe_check)
    backend.publisher.services["queue"] = service
    backend.queue_service = service
    backend.publisher.services["queue_monitor"] = monitor
    return service
