"""Drive an engine through a list of operations, one transaction each, and check the invariants."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from backend.db import load_tables, make_engine
from backend.queue.domain import AT_WINDOW, TRANSITIONS, WAITING_STATES, Appointment, TicketState, queue_rank
from backend.queue.engine import QueueEngine, Who
from backend.queue.memory import MemoryRepo
from backend.queue.store import SqlRepo
from protocol import ProtocolError

from .hall import TZ, Clock, catalog, rules

QUEUE_IDS = ("qa", "qb", "qc")
WINDOW_IDS = ("w1", "w2", "w3")
PRIORITIES = ("normal", "normal", "normal", "elderly", "green", "disabled")
APPOINTMENTS = ("APPT0001", "APPT0002", "APPT0003")


class MemoryTx:
    """Transactions over a MemoryRepo: a snapshot before, restored when the operation fails."""

    def __init__(self, rule_overrides: dict):
        counter = iter(range(1, 10**9))
        self.repo = MemoryRepo(catalog())
        self.engine = QueueEngine(self.repo, rules(**rule_overrides), TZ, new_id=lambda: f"id{next(counter):06d}")

    def run(self, fn):
        saved = self.repo.copy_all()
        try:
            return fn(self.engine)
        except ProtocolError:
            self.engine.repo = self.repo = saved
            raise

    def tickets(self):
        return list(self.repo.tickets.values())

    def runtimes(self):
        return self.repo.window_runtimes()

    def audit(self):
        return list(self.repo.audit)

    def counters(self):
        return dict(self.repo.counters)

    def waiting_counters(self):
        return {}  # the memory repository counts, it keeps nothing

    def close(self):
        pass


class SqlTx:
    """Transactions over SqlRepo on an in-memory SQLite database: a savepoint per operation."""

    def __init__(self, rule_overrides: dict):
        counter = iter(range(1, 10**9))
        self.db = make_engine("sqlite://")
        load_tables().create_all(self.db)
        self.conn = self.db.connect()
        self.tx = self.conn.begin()
        self.repo = SqlRepo(self.conn, catalog())
        self.engine = QueueEngine(self.repo, rules(**rule_overrides), TZ, new_id=lambda: f"id{next(counter):06d}")

    def run(self, fn):
        # a fresh repository per operation, as each request gets one in the backend
        self.engine.repo = self.repo = SqlRepo(self.conn, self.repo.catalog)
        savepoint = self.conn.begin_nested()
        try:
            result = fn(self.engine)
        except ProtocolError:
            savepoint.rollback()
            raise
        else:
            savepoint.commit()
        finally:  # what the failed operation remembered is gone with its savepoint
            self.engine.repo = self.repo = SqlRepo(self.conn, self.repo.catalog)
        return result

    def tickets(self):
        from backend.db import dbapi
        from backend.queue.store import _T, _ticket
        return [_ticket(row) for row in dbapi(self.conn).execute(_T)]

    def runtimes(self):
        return self.repo.window_runtimes()

    def audit(self):
        from backend.queue.domain import AuditEntry
        from backend.queue.tables import ticket_audit
        rows = self.conn.execute(sa.select(ticket_audit).order_by(ticket_audit.c.id))
        return [AuditEntry(r.ticket, r.number, r.from_state, r.to_state, r.at, r.window, r.staff, r.reason, r.actor)
                for r in rows]

    def counters(self):
        from backend.queue.tables import queue_counters
        return {(r.queue, r.day): r.last_seq for r in self.conn.execute(sa.select(queue_counters))
                if r.last_seq}

    def waiting_counters(self):
        from backend.queue.tables import queue_counters
        return {(r.queue, r.day): (r.waiting, r.waiting_priority)
                for r in self.conn.execute(sa.select(queue_counters))}

    def close(self):
        self.tx.rollback()
        self.conn.close()
        self.db.dispose()


@dataclass
class Harness:
    tx: MemoryTx | SqlTx
    clock: Clock = field(default_factory=Clock)
    max_in_row: int = 3
    log: list = field(default_factory=list)
    check_every: int = 1
    streaks: dict = field(default_factory=lambda: defaultdict(int))
    day = None

    def setup(self, opened=()):
        today = self.clock().date()
        for code in APPOINTMENTS:
            self.tx.run(lambda e, code=code: e.repo.save_appointment(
                Appointment(code, "qc", today, created_at=self.clock())))
        for window_id in sorted(opened):
            self.apply(("resume", window_id))

    def apply(self, op: tuple) -> object:
        kind, *args = op
        now = self.clock()
        if self.day != now.date():
            self.day = now.date()
            self.streaks.clear()
        who = Who("console:alice", "alice")
        if kind == "advance":
            self.clock.advance(minutes=args[0])
            return "ok"
        calls = {
            "issue": lambda e: e.issue(now, Who("kiosk"), queue=args[0], priority=args[1]),
            "checkin": lambda e: e.check_in(now, Who("kiosk"), args[0]),
            "call_next": lambda e: self._call_next(e, now, who, args[0]),
            "recall": lambda e: e.recall(now, who, args[0]),
            "skip": lambda e: e.skip(now, who, args[0], "未到场"),
            "call_number": lambda e: e.call_number(now, who, args[0], self._number(args[1]), "返回"),
            "transfer": lambda e: e.transfer(now, who, args[0], "转办", **args[1]),
            "start": lambda e: e.start(now, who, args[0]),
            "finish": lambda e: e.finish(now, who, args[0]),
            "pause": lambda e: e.pause(now, who, args[0], "暂离"),
            "resume": lambda e: e.resume(now, who, args[0]),
            "evaluate": lambda e: e.evaluate(now, Who("eval"), args[0], args[1], ("服务效率",) if args[1] < 3 else ()),
        }
        if kind == "finish_and_rate":
            outcome = self.apply(("finish", args[0]))
            return (outcome, self.apply(("evaluate", *args)))
        try:
            change = self.tx.run(calls[kind])
        except ProtocolError as exc:
            outcome = ("error", exc.code)
        else:
            if isinstance(change, tuple):
                change = change[0]
            ticket = change.ticket
            outcome = ("ok", ticket.number if ticket else None, ticket.state.value if ticket else None)
            if kind in ("issue", "checkin"):  # the quick count for a new ticket is the full count
                repo = self.tx.engine.repo
                assert repo.count_ahead(ticket, just_issued=True) == repo.count_ahead(ticket)
        self.log.append((op, outcome))
        if len(self.log) % self.check_every == 0:
            self.check()
        return outcome

    def _number(self, index: int) -> str:
        tickets = sorted(self.tx.tickets(), key=lambda t: (t.day, t.issued_at, t.origin_queue, t.seq))
        today = [t for t in tickets if t.day == self.clock().date()]
        return today[index % len(today)].number if today else "A999"

    def _call_next(self, engine, now, who, window_id):
        """call_next, checking the call-order rule against the line as it was."""
        window = engine.catalog.window(window_id)
        line = [t for t in engine.repo.candidates(window, engine.today(now))]
        everything = [t for t in self.tx.tickets() if t.state in WAITING_STATES and t.day == engine.today(now)
                      and queue_rank(window, t) is not None]
        change = engine.call_next(now, who, window_id)
        picked = change.ticket
        normal_waiting = any(not t.is_priority for t in everything)
        streak = self.streaks[window_id]
        if picked.is_priority:
            self.streaks[window_id] += 1
            # no ordinary ticket starves beyond the rule
            assert not normal_waiting or streak < self.max_in_row, (streak, picked.number)
        else:
            self.streaks[window_id] = 0
            # priority first unless the cap was reached
            assert not any(t.is_priority for t in everything) or streak >= self.max_in_row
        # within its class and rank, the earliest place goes first
        rank = queue_rank(window, picked)
        same = [t for t in everything if t.is_priority == picked.is_priority and queue_rank(window, t) == rank]
        assert min(t.order_key(rank) for t in same) == picked.order_key(rank)
        assert line  # the repository offered candidates
        return change

    # -- invariants ------------------------------------------------------------------
    def check(self) -> None:
        tickets = self.tx.tickets()
        by_id = {t.id: t for t in tickets}
        # numbers unique and contiguous per queue per day, matching the counter
        seqs = defaultdict(list)
        for t in tickets:
            seqs[(t.origin_queue, t.day)].append(t.seq)
            assert t.number.endswith(f"{t.seq:03d}")
        counters = self.tx.counters()
        for key, values in seqs.items():
            assert sorted(values) == list(range(1, len(values) + 1)), key
            assert counters[key] == len(values), key
        # at most one window per ticket; a ticket at a window is that window's current ticket
        runtimes = self.tx.runtimes()
        current = [r.ticket for r in runtimes.values() if r.ticket]
        assert len(current) == len(set(current))
        for window_id, runtime in runtimes.items():
            if runtime.ticket:
                t = by_id[runtime.ticket]
                assert t.state in AT_WINDOW and t.window == window_id
        for t in tickets:
            if t.state in AT_WINDOW:
                assert runtimes[t.window].ticket == t.id
        # the audit log tells each ticket's whole story, through legal transitions only
        last = {}
        for entry in self.tx.audit():
            previous = last.get(entry.ticket)
            assert entry.from_state == previous
            if previous is not None:
                assert TicketState(entry.to_state) in TRANSITIONS[TicketState(previous)]
            last[entry.ticket] = entry.to_state
        assert last == {t.id: t.state.value for t in tickets}
        # the lines' kept counts are the counts
        for (queue, day), counts in self.tx.waiting_counters().items():
            line = [t for t in tickets if t.queue == queue and t.day == day and t.state in WAITING_STATES]
            assert counts == (len(line), sum(1 for t in line if t.is_priority)), (queue, day)
        # waits are never negative
        engine = self.tx.engine
        for queue_id in QUEUE_IDS:
            waiting = engine.repo.waiting_count(queue_id, engine.today(self.clock()))
            wait = engine.estimate(queue_id, waiting)
            assert wait.minutes is None or wait.minutes >= 0
        for t in tickets:
            if t.state in WAITING_STATES:
                ahead = engine.repo.count_ahead(t)
                assert 0 <= ahead < max(1, len(tickets))
                assert engine.estimate(t.queue, ahead).minutes >= 0

    def states(self) -> dict:
        return {(t.day, t.number, t.origin_queue): (t.state.value, t.queue, t.window)
                for t in self.tx.tickets()}


def fresh(kind: str, max_in_row: int = 3, opened=(), **overrides) -> Harness:
    tx = (MemoryTx if kind == "memory" else SqlTx)({"max_priority_in_row": max_in_row, **overrides})
    harness = Harness(tx, max_in_row=max_in_row, check_every=1 if kind == "memory" else 10)
    harness.setup(opened)
    return harness


__all__ = ["Harness", "fresh", "QUEUE_IDS", "WINDOW_IDS", "PRIORITIES", "APPOINTMENTS", "timedelta"]
