"""The engine's repository on SQLite, inside the caller's transaction.

:class:`SqlRepo` implements :class:`backend.queue.repo.Repo`.  It speaks SQL
to SQLite's DB-API connection (:func:`backend.db.dbapi`) with statements
written once below: through SQLAlchemy Core a ticket took ~17 statements at
~50 µs of Python each, here ~5 µs.  The tables are declared (and migrated) in
:mod:`.tables`; values are stored exactly as those SQLAlchemy types store them
(:func:`~backend.db.db_time`, :func:`~backend.db.db_day`), so Core readers
(reports, admin pages) and this repository see the same rows.  Reads that one
operation repeats (the day marker, window statuses, service times, queue
figures) are remembered and kept current by the repository's own writes; the
request handlers share one repository across a batch's transaction
(``QueueService.batch_engine``), so twenty tickets read them once.
"""

from __future__ import annotations

import functools
from datetime import date

from sqlalchemy.engine import Connection

from backend.db import db_day, db_time, dbapi, py_day, py_time
from protocol.models import Window

from .catalog_view import CatalogCache
from .domain import (WAITING_STATES, Appointment, AuditEntry, CallRecord, Evaluation, QueueSnapshot, Ticket,
                     TicketState, WindowEvent, WindowRuntime, WindowStatus)
from .tables import WAITING_SQL, tickets, window_runtime

_WAITING = sorted(s.value for s in WAITING_STATES)
assert WAITING_SQL == f"state IN ({', '.join(repr(v) for v in _WAITING)})"
_TICKET_COLUMNS = ("id", "day", "origin_queue", "seq", "number", "queue", "item", "priority", "state", "window",
                   "target_window", "place_at", "issued_at", "called_at", "started_at", "finished_at",
                   "recalls", "appointment", "staff")
_RUNTIME_COLUMNS = ("window", "status", "staff", "staff_name", "staff_post", "ticket", "streak",
                    "awaiting_evaluation", "day", "updated_at")
assert set(_TICKET_COLUMNS) | {"priority_class"} == set(tickets.c.keys())
assert set(_RUNTIME_COLUMNS) == set(window_runtime.c.keys())


def _cols(names) -> str:
    return ", ".join(f'"{name}"' for name in names)


_T = f"SELECT {_cols(_TICKET_COLUMNS)} FROM tickets"
#: A line: waiting tickets of one day (the literal WAITING_SQL lets SQLite use the partial index).
_LINE = f"{WAITING_SQL} AND day = :day"
#: Call order within a line (domain.Ticket.order_key, ties on origin queue included).
_ORDER = "ORDER BY place_at, seq, origin_queue"


class _Q:
    """Every statement of the hot path, written once."""

    marker = "SELECT value FROM queue_meta WHERE key = 'day'"
    set_marker = ("INSERT INTO queue_meta (key, value) VALUES ('day', :value) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    # a new ticket's number and its place in the line, in one statement: the number must be the
    # next (else nothing changes, and add_ticket raises)
    take_number = ("INSERT INTO queue_counters (queue, day, last_seq, waiting, waiting_priority) "
                   "VALUES (:queue, :day, :seq, :waiting, :priority) "
                   "ON CONFLICT (queue, day) DO UPDATE SET last_seq = :seq, waiting = waiting + :waiting, "
                   "waiting_priority = waiting_priority + :priority WHERE last_seq = :seq - 1")
    snapshot = (
        "SELECT c.last_seq, c.waiting, c.waiting_priority, "
        "(SELECT number FROM calls WHERE queue = :queue AND day = :day AND kind = 'call' "
        "ORDER BY id DESC LIMIT 1), "
        "(SELECT reason FROM queue_suspensions WHERE queue = :queue) "
        "FROM (SELECT 1) LEFT JOIN queue_counters AS c ON c.queue = :queue AND c.day = :day")
    # (an upsert would check the inserted row's CHECK first, and -1 waiting fails it)
    shift = ("UPDATE queue_counters SET waiting = waiting + :waiting, waiting_priority = waiting_priority + :priority "
             "WHERE queue = :queue AND day = :day")
    add_counter = ("INSERT INTO queue_counters (queue, day, last_seq, waiting, waiting_priority) "
                   "VALUES (:queue, :day, 0, :waiting, :priority)")
    # the longest waiting: the earlier of the two class heads (place = issue time, kept on transfer)
    oldest = " UNION ALL ".join(
        f"SELECT * FROM ({_T} WHERE {_LINE} AND queue = :queue AND priority_class = {klass} {_ORDER} LIMIT 1)"
        for klass in (0, 1))
    before_row = "SELECT state, queue, day, priority_class FROM tickets WHERE id = ?"
    same_instant_after = (
        f"SELECT count(*) FROM tickets WHERE {_LINE} AND queue = :queue AND priority_class = :klass "
        "AND place_at = :place AND (seq > :seq OR (seq = :seq AND origin_queue > :origin))")
    ticket = f"{_T} WHERE id = ?"
    add_ticket = (f"INSERT INTO tickets ({_cols(_TICKET_COLUMNS)}, priority_class) "
                  f"VALUES ({', '.join(':' + c for c in _TICKET_COLUMNS)}, :priority_class)")
    save_ticket = (f"UPDATE tickets SET {', '.join(f'{chr(34)}{c}{chr(34)} = :{c}' for c in _TICKET_COLUMNS[1:])}, "
                   "priority_class = :priority_class WHERE id = :id")
    by_number = f"{_T} WHERE number = :number AND day = :day ORDER BY origin_queue"
    runtimes = f"SELECT {_cols(_RUNTIME_COLUMNS)} FROM window_runtime"
    save_window = (f"INSERT INTO window_runtime ({_cols(_RUNTIME_COLUMNS)}) "
                   f"VALUES ({', '.join(':' + c for c in _RUNTIME_COLUMNS)}) ON CONFLICT (\"window\") DO UPDATE SET "
                   + ", ".join(f'"{c}" = excluded."{c}"' for c in _RUNTIME_COLUMNS[1:]))
    # minutes from call to finish, computed by SQLite (parsing 40 timestamps in Python cost more)
    service = ("SELECT (julianday(finished_at) - julianday(called_at)) * 1440.0 FROM tickets "
               "WHERE queue = :queue AND state = 'done' AND called_at IS NOT NULL ORDER BY finished_at DESC "
               "LIMIT :limit")
    recent_calls = ('SELECT event_id, ticket, number, queue, "window", kind, day, at FROM calls '
                    "WHERE day = :day ORDER BY id DESC LIMIT :limit")
    ahead = (f"SELECT count(*) FROM tickets WHERE {_LINE} AND queue = :queue AND id != :id AND ("
             "priority_class < :klass OR (priority_class = :klass AND (place_at < :place OR (place_at = :place AND "
             "(seq < :seq OR (seq = :seq AND origin_queue < :origin))))))")
    suspension = "SELECT reason FROM queue_suspensions WHERE queue = ?"
    no_shows = ("SELECT number FROM tickets WHERE state = 'no_show' AND day = :day AND queue IN ({queues}) "
                "ORDER BY called_at DESC")
    stale = f"{_T} WHERE state IN ('called', 'transferred', 'waiting') AND day < :day"
    add_audit = ('INSERT INTO ticket_audit (ticket, number, from_state, to_state, "window", staff, reason, actor, '
                 "at) VALUES (:ticket, :number, :from_state, :to_state, :window, :staff, :reason, :actor, :at)")
    add_window_event = ('INSERT INTO window_events ("window", from_status, to_status, staff, reason, at) '
                        "VALUES (:window, :from_status, :to_status, :staff, :reason, :at)")
    add_call = ('INSERT INTO calls (event_id, ticket, number, queue, "window", kind, day, at) '
                "VALUES (:event_id, :ticket, :number, :queue, :window, :kind, :day, :at)")
    appointment = ("SELECT code, queue, day, item, created_at, checked_in_at, ticket FROM appointments "
                   "WHERE code = ?")
    save_appointment = ("INSERT INTO appointments (code, queue, day, item, created_at, checked_in_at, ticket) "
                        "VALUES (:code, :queue, :day, :item, :created_at, :checked_in_at, :ticket) "
                        "ON CONFLICT (code) DO UPDATE SET queue = excluded.queue, day = excluded.day, "
                        "item = excluded.item, created_at = excluded.created_at, "
                        "checked_in_at = excluded.checked_in_at, ticket = excluded.ticket")
    evaluation_of = ('SELECT id, ticket, number, day, queue, "window", level, at, item, staff, reasons, comment, '
                     "channel, followup_status FROM evaluations WHERE ticket = ?")
    add_evaluation = ('INSERT INTO evaluations (id, ticket, number, day, queue, item, "window", staff, level, '
                      "reasons, comment, channel, at, followup_status, followup_at) VALUES (:id, :ticket, :number, "
                      ":day, :queue, :item, :window, :staff, :level, :reasons, :comment, :channel, :at, "
                      ":followup_status, :followup_at)")
    staff_profile = "SELECT display_name, post FROM users WHERE username = ?"
    alerts = "SELECT id, payload FROM active_alerts"
    drop_alert = "DELETE FROM active_alerts WHERE id = ?"
    add_alert = "INSERT INTO active_alerts (id, payload) VALUES (?, ?)"


assert "'called'" in _Q.stale and TicketState.CALLED.value == "called" and TicketState.NO_SHOW.value == "no_show"


@functools.lru_cache(maxsize=256)
def _heads(queue_count: int) -> str:
    """One statement giving the first ticket of each line a window calls from.

    Parameters: ``:day``, ``:window`` and ``:q0`` … the window's queues.
    """
    heads = []
    for klass in (0, 1):
        for index in range(queue_count):
            heads.append(f"{_LINE} AND queue = :q{index} AND target_window IS NULL AND priority_class = {klass}")
        heads.append(f"{_LINE} AND target_window = :window AND priority_class = {klass}")
    return " UNION ALL ".join(f"SELECT * FROM ({_T} WHERE {where} {_ORDER} LIMIT 1)" for where in heads)


def _ticket(row) -> Ticket:
    (id_, day, origin, seq, number, queue, item, priority, state, window, target, place, issued, called, started,
     finished, recalls, appointment, staff) = row
    return Ticket(id=id_, day=py_day(day), origin_queue=origin, seq=seq, number=number, queue=queue, item=item,
                  priority=priority, state=TicketState(state), window=window, target_window=target,
                  place_at=py_time(place), issued_at=py_time(issued), called_at=py_time(called),
                  started_at=py_time(started), finished_at=py_time(finished), recalls=recalls,
                  appointment=appointment, staff=staff)


def _ticket_values(ticket: Ticket) -> dict:
    return dict(id=ticket.id, day=db_day(ticket.day), origin_queue=ticket.origin_queue, seq=ticket.seq,
                number=ticket.number, queue=ticket.queue, item=ticket.item, priority=ticket.priority,
                state=ticket.state.value, window=ticket.window, target_window=ticket.target_window,
                place_at=db_time(ticket.place_at), issued_at=db_time(ticket.issued_at),
                called_at=db_time(ticket.called_at), started_at=db_time(ticket.started_at),
                finished_at=db_time(ticket.finished_at), recalls=ticket.recalls, appointment=ticket.appointment,
                staff=ticket.staff, priority_class=0 if ticket.is_priority else 1)


def _runtime(row) -> WindowRuntime:
    window, status, staff, name, post, ticket, streak, awaiting, day, updated = row
    return WindowRuntime(window, WindowStatus(status), staff, name, post, ticket, streak, awaiting, py_day(day),
                         py_time(updated))


class SqlRepo:
    """:class:`~backend.queue.repo.Repo` on one open connection (the caller commits)."""

    def __init__(self, conn: Connection, catalog=None):
        self.conn = conn
        self.catalog = catalog if catalog is not None else CatalogCache().view(conn)
        self._db = dbapi(conn)
        self._memo: dict = {}
        self._loaded: dict[str, tuple[bool, str, date, bool]] = {}

    def _run(self, statement: str, params=()):
        return self._db.execute(statement, params)

    def _one(self, statement: str, params=()):
        return self._db.execute(statement, params).fetchone()

    def _remember(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def next_transaction(self) -> None:
        """Carried into the next transaction of the same connection, nothing having changed: what
        was remembered stays true; only how each ticket was read is dropped (it grows a ticket at a time)."""
        self._loaded.clear()

    def forget(self) -> None:
        """Drop everything remembered: the caller rolled back writes made through this repository."""
        self._memo.clear()
        self._loaded.clear()

    def _lines_changed(self, *queues: str) -> None:
        """Tickets of *queues* moved: who waits longest there is read again."""
        for key in [key for key in self._memo if key[0] == "oldest" and key[1] in queues]:
            del self._memo[key]

    def _adjust(self, queue: str, day: date, waiting: int, priority: int) -> None:
        """Keep a remembered snapshot as the database now has it (after the waiting counts moved)."""
        key = ("snapshot", queue, day)
        snap = self._memo.get(key)
        if snap is not None:
            self._memo[key] = snap.moved(waiting, priority)

    # -- the day and the counters ---------------------------------------------------
    def day_marker(self) -> date | None:
        def read() -> date | None:
            row = self._one(_Q.marker)
            return date.fromisoformat(row[0]) if row and row[0] else None
        return self._remember(("marker",), read)

    def set_day_marker(self, day: date) -> None:
        self._run(_Q.set_marker, {"value": day.isoformat()})
        self._memo[("marker",)] = day

    def next_seq(self, queue: str, day: date) -> int:
        """The number after the last one given out; :meth:`add_ticket` takes it in the database."""
        snap = self.snapshot(queue, day)
        seq = snap.issued + 1
        self._memo[("snapshot", queue, day)] = snap.with_issued(seq)
        return seq

    def snapshot(self, queue: str, day: date) -> QueueSnapshot:
        def read() -> QueueSnapshot:
            issued, waiting, priority, last_called, suspended = self._one(
                _Q.snapshot, {"queue": queue, "day": db_day(day)})
            return QueueSnapshot(issued or 0, waiting or 0, last_called, suspended, priority or 0)
        return self._remember(("snapshot", queue, day), read)

    def _shift(self, queue: str, day: date, waiting: int, priority: int) -> None:
        """Move the line's waiting counts (creating the day's row for a queue that got a transfer)."""
        params = {"queue": queue, "day": db_day(day), "waiting": waiting, "priority": priority}
        if self._run(_Q.shift, params).rowcount == 0:
            self._run(_Q.add_counter, params)
        self._adjust(queue, day, waiting, priority)

    def _track(self, ticket: Ticket) -> Ticket:
        """Remember how a ticket was read, so saving it can move the waiting counts."""
        self._loaded[ticket.id] = (ticket.state in WAITING_STATES, ticket.queue, ticket.day, ticket.is_priority)
        return ticket

    def issued_count(self, queue: str, day: date) -> int:
        return self.snapshot(queue, day).issued

    def waiting_count(self, queue: str, day: date) -> int:
        return self.snapshot(queue, day).waiting

    def last_called(self, queue: str, day: date) -> str | None:
        return self.snapshot(queue, day).last_called

    def suspension(self, queue: str) -> str | None:
        row = self._one(_Q.suspension, (queue,))
        return row[0] if row else None

    # -- tickets --------------------------------------------------------------------
    def add_ticket(self, ticket: Ticket) -> None:
        """Store a new ticket, taking its number (:meth:`next_seq`) and, in the same statement, its
        place in the waiting count of its line."""
        counted = ticket.state in WAITING_STATES and ticket.queue == ticket.origin_queue
        params = {"queue": ticket.origin_queue, "day": db_day(ticket.day), "seq": ticket.seq,
                  "waiting": int(counted), "priority": int(counted and ticket.is_priority)}
        if self._run(_Q.take_number, params).rowcount != 1:
            raise RuntimeError(f"{ticket.number}: {ticket.seq} is not the next number of "
                               f"{ticket.origin_queue} on {ticket.day}")
        self._run(_Q.add_ticket, _ticket_values(ticket))
        if counted:
            self._adjust(ticket.queue, ticket.day, 1, params["priority"])
        self._loaded[ticket.id] = (counted, ticket.queue, ticket.day, ticket.is_priority)
        self._moved(ticket)

    def save_ticket(self, ticket: Ticket) -> None:
        if ticket.id not in self._loaded:
            state, queue, day, klass = self._one(_Q.before_row, (ticket.id,))
            self._loaded[ticket.id] = (state in _WAITING, queue, py_day(day), klass == 0)
        self._run(_Q.save_ticket, _ticket_values(ticket))
        old_queue = self._loaded[ticket.id][1]
        for key in [key for key in self._memo if key[0] == "service" and key[1] in (old_queue, ticket.queue)]:
            del self._memo[key]   # a service may have ended
        self._moved(ticket)

    def _moved(self, ticket: Ticket) -> None:
        was_waiting, old_queue, day, was_priority = self._loaded[ticket.id]
        waiting = ticket.state in WAITING_STATES
        if was_waiting and (not waiting or old_queue != ticket.queue):
            self._shift(old_queue, day, -1, -int(was_priority))
        if waiting and (not was_waiting or old_queue != ticket.queue):
            self._shift(ticket.queue, ticket.day, 1, int(ticket.is_priority))
        self._lines_changed(old_queue, ticket.queue)
        self._track(ticket)

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        row = self._one(_Q.ticket, (ticket_id,))
        return self._track(_ticket(row)) if row else None

    def find_tickets(self, number: str, day: date) -> list[Ticket]:
        rows = self._run(_Q.by_number, {"number": number, "day": db_day(day)})
        return [self._track(_ticket(row)) for row in rows]

    def candidates(self, window: Window, day: date) -> list[Ticket]:
        """Only the head of each (queue, class) line and of the window's own transfers: enough to choose."""
        params = {"day": db_day(day), "window": window.id}
        params.update((f"q{index}", queue) for index, queue in enumerate(window.queues))
        return [self._track(_ticket(row)) for row in self._run(_heads(len(window.queues)), params)]

    def line(self, window: Window, day: date) -> list[Ticket]:
        """Every waiting ticket *window* may call (sort with ``domain.sorted_line``)."""
        marks = ", ".join("?" * len(window.queues)) or "NULL"
        rows = self._run(f"{_T} WHERE {WAITING_SQL} AND day = ? AND (target_window = ? OR "
                         f"(target_window IS NULL AND queue IN ({marks})))",
                         (db_day(day), window.id, *window.queues))
        return [self._track(_ticket(row)) for row in rows]

    def no_shows(self, window: Window, day: date) -> list[str]:
        """Today's no-show numbers of the window's queues, latest first (for 特呼)."""
        marks = ", ".join(f":q{index}" for index in range(len(window.queues))) or "NULL"
        params = {"day": db_day(day)}
        params.update((f"q{index}", queue) for index, queue in enumerate(window.queues))
        return [row[0] for row in self._run(_Q.no_shows.format(queues=marks), params)]

    def count_ahead(self, ticket: Ticket, *, just_issued: bool = False) -> int:
        """Waiting tickets of its queue that sort before it: (class, place, seq, origin queue).

        For a ticket *just issued* (the latest place in its class) this is the line's count
        minus the few tickets sharing its instant: one row and one short index seek, not a
        scan of the whole line.
        """
        klass = 0 if ticket.is_priority else 1
        params = dict(day=db_day(ticket.day), queue=ticket.queue, klass=klass, place=db_time(ticket.place_at),
                      seq=ticket.seq, origin=ticket.origin_queue)
        if just_issued:
            snap = self.snapshot(ticket.queue, ticket.day)
            in_line = snap.waiting_priority if klass == 0 else snap.waiting
            return max(0, in_line - 1 - self._one(_Q.same_instant_after, params)[0])
        return self._one(_Q.ahead, {"id": ticket.id, **params})[0]

    def oldest_waiting(self, queue: str, day: date) -> Ticket | None:
        """The longest-waiting ticket: the earlier of the two class heads (two index seeks)."""
        def read():
            heads = [_ticket(row) for row in self._run(_Q.oldest, {"queue": queue, "day": db_day(day)})]
            return self._track(min(heads, key=lambda t: (t.place_at, t.seq))) if heads else None
        return self._remember(("oldest", queue, day), read)

    def stale_tickets(self, day: date) -> list[Ticket]:
        return [self._track(_ticket(row)) for row in self._run(_Q.stale, {"day": db_day(day)})]

    def recent_service_minutes(self, queue: str, limit: int) -> list[float]:
        def read():
            return [row[0] for row in self._run(_Q.service, {"queue": queue, "limit": limit})]
        return self._remember(("service", queue, limit), read)

    # -- windows --------------------------------------------------------------------
    def get_window(self, window_id: str) -> WindowRuntime:
        runtime = self._runtimes().get(window_id)
        return WindowRuntime(**vars(runtime)) if runtime is not None else WindowRuntime(window_id)

    def save_window(self, runtime: WindowRuntime) -> None:
        row = (runtime.id, runtime.status.value, runtime.staff, runtime.staff_name, runtime.staff_post,
               runtime.ticket, runtime.streak, runtime.awaiting_evaluation, db_day(runtime.day),
               db_time(runtime.updated_at))
        self._run(_Q.save_window, dict(zip(_RUNTIME_COLUMNS, row)))
        runtimes = self._memo.get(("runtimes",))
        if runtimes is not None:   # as it would be read back
            runtimes[runtime.id] = _runtime(row)

    def window_runtimes(self) -> dict[str, WindowRuntime]:
        return {key: WindowRuntime(**vars(value)) for key, value in self._runtimes().items()}  # callers may change them

    def window_statuses(self) -> dict[str, WindowStatus]:
        return {key: value.status for key, value in self._runtimes().items()}

    def _runtimes(self) -> dict[str, WindowRuntime]:
        """Every window's runtime as read (shared: never changed in place)."""
        return self._remember(("runtimes",), lambda: {row[0]: _runtime(row) for row in self._run(_Q.runtimes)})

    # -- logs -----------------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        self._run(_Q.add_audit, dict(
            ticket=entry.ticket, number=entry.number, from_state=entry.from_state, to_state=entry.to_state,
            window=entry.window, staff=entry.staff, reason=entry.reason[:300], actor=entry.actor,
            at=db_time(entry.at)))

    def add_window_event(self, event: WindowEvent) -> None:
        self._run(_Q.add_window_event, dict(
            window=event.window, from_status=event.from_status, to_status=event.to_status, staff=event.staff,
            reason=event.reason[:300], at=db_time(event.at)))

    def add_call(self, call: CallRecord) -> None:
        self._memo.pop(("snapshot", call.queue, call.day), None)   # its last called number
        self._run(_Q.add_call, dict(
            event_id=call.event_id, ticket=call.ticket, number=call.number, queue=call.queue, window=call.window,
            kind=call.kind, day=db_day(call.day), at=db_time(call.at)))

    def recent_calls(self, day: date, limit: int) -> list[CallRecord]:
        rows = self._run(_Q.recent_calls, {"day": db_day(day), "limit": limit})
        return [CallRecord(event_id, ticket, number, queue, window, kind, py_day(day_), py_time(at))
                for event_id, ticket, number, queue, window, kind, day_, at in rows]

    # -- appointments and evaluations ------------------------------------------------
    def get_appointment(self, code: str) -> Appointment | None:
        row = self._one(_Q.appointment, (code,))
        if row is None:
            return None
        code, queue, day, item, created, checked_in, ticket = row
        return Appointment(code, queue, py_day(day), item, py_time(created), py_time(checked_in), ticket)

    def save_appointment(self, appointment: Appointment) -> None:
        self._run(_Q.save_appointment, dict(
            code=appointment.code, queue=appointment.queue, day=db_day(appointment.day), item=appointment.item,
            created_at=db_time(appointment.created_at), checked_in_at=db_time(appointment.checked_in_at),
            ticket=appointment.ticket))

    def evaluation_of(self, ticket_id: str) -> Evaluation | None:
        row = self._one(_Q.evaluation_of, (ticket_id,))
        if row is None:
            return None
        (id_, ticket, number, day, queue, window, level, at, item, staff, reasons, comment, channel,
         followup_status) = row
        return Evaluation(id=id_, ticket=ticket, number=number, day=py_day(day), queue=queue, window=window,
                          level=level, at=py_time(at), item=item, staff=staff,
                          reasons=tuple(r for r in reasons.split("、") if r), comment=comment, channel=channel,
                          followup_status=followup_status)

    def add_evaluation(self, evaluation: Evaluation) -> None:
        self._run(_Q.add_evaluation, dict(
            id=evaluation.id, ticket=evaluation.ticket, number=evaluation.number, day=db_day(evaluation.day),
            queue=evaluation.queue, item=evaluation.item, window=evaluation.window, staff=evaluation.staff,
            level=evaluation.level, reasons="、".join(evaluation.reasons), comment=evaluation.comment,
            channel=evaluation.channel, at=db_time(evaluation.at), followup_status=evaluation.followup_status,
            followup_at=db_time(evaluation.at) if evaluation.followup_status else None))

    def staff_profile(self, login: str) -> tuple[str, str] | None:
        row = self._one(_Q.staff_profile, (login,))
        return (row[0] or login, row[1] or "") if row else None

    # -- alerts (used by state.py) -----------------------------------------------------
    def active_alerts(self) -> dict[str, str]:
        return self._remember(("alerts",), lambda: dict(self._run(_Q.alerts).fetchall()))

    def set_alert(self, alert_id: str, payload: str | None) -> None:
        self._memo.pop(("alerts",), None)
        self._run(_Q.drop_alert, (alert_id,))
        if payload is not None:
            self._run(_Q.add_alert, (alert_id, payload))
