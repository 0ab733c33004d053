"""The engine's repository over SQLAlchemy Core, inside the caller's transaction.

:class:`SqlRepo` implements :class:`backend.queue.repo.Repo`.  Statements are
built once, at import, with bind parameters (building a Core expression costs
more than running it on SQLite), and reads that one operation repeats
(window statuses, service times, queue figures) are remembered until the
repository writes.
"""

from __future__ import annotations

import functools
from datetime import date

import sqlalchemy as sa
from sqlalchemy import bindparam as p
from sqlalchemy.engine import Connection

from backend.db import metadata
from protocol.models import Window

from .catalog_view import CatalogCache
from .domain import (WAITING_STATES, Appointment, AuditEntry, CallRecord, Evaluation, QueueSnapshot, Ticket,
                     TicketState, WindowEvent, WindowRuntime, WindowStatus)
from .tables import (WAITING_SQL, active_alerts, appointments, calls, evaluations, queue_counters, queue_meta,
                     queue_suspensions, ticket_audit, tickets, window_events, window_runtime)

_WAITING = sorted(s.value for s in WAITING_STATES)
assert WAITING_SQL == f"state IN ({', '.join(repr(v) for v in _WAITING)})"
_TICKET_COLUMNS = ("id", "day", "origin_queue", "seq", "number", "queue", "item", "priority", "state", "window",
                   "target_window", "place_at", "issued_at", "called_at", "started_at", "finished_at",
                   "recalls", "appointment", "staff")
t, c, k, w = tickets.c, queue_counters.c, calls.c, window_runtime.c
_waiting = sa.and_(sa.text(f"tickets.{WAITING_SQL}"), t.day == p("day"))


class _Q:
    """Every statement of the hot path, built once."""

    marker = sa.select(queue_meta.c.value).where(queue_meta.c.key == "day")
    set_marker = queue_meta.update().where(queue_meta.c.key == "day").values(value=p("b_value"))
    bump = (queue_counters.update().where(c.queue == p("b_queue"), c.day == p("b_day"))
            .values(last_seq=c.last_seq + 1).returning(c.last_seq))
    counts = sa.select(c.last_seq, c.waiting, c.waiting_priority).where(
        c.queue == p("queue"), c.day == p("day")).subquery()
    snapshot = sa.select(
        sa.select(counts.c.last_seq).scalar_subquery().label("issued"),
        sa.select(counts.c.waiting).scalar_subquery().label("waiting"),
        sa.select(counts.c.waiting_priority).scalar_subquery().label("waiting_priority"),
        sa.select(k.number).where(k.queue == p("queue"), k.day == p("day"), k.kind == "call")
        .order_by(k.id.desc()).limit(1).scalar_subquery().label("last_called"),
        sa.select(queue_suspensions.c.reason).where(queue_suspensions.c.queue == p("queue"))
        .scalar_subquery().label("suspended"),
    )
    # the longest waiting: the earlier of the two class heads (place = issue time, kept on transfer)
    oldest = sa.union_all(*[
        sa.select(tickets).where(_waiting, t.queue == p("queue"),
                                                                  t.priority_class == klass)
        .order_by(t.place_at, t.seq, t.origin_queue).limit(1).subquery().select() for klass in (0, 1)])
    shift = (queue_counters.update().where(c.queue == p("b_queue"), c.day == p("b_day"))
             .values(waiting=c.waiting + p("b_waiting"), waiting_priority=c.waiting_priority + p("b_priority")))
    before_row = sa.select(t.state, t.queue, t.day, t.priority_class).where(t.id == p("id"))
    same_instant_after = sa.select(sa.func.count()).select_from(tickets).where(
        _waiting, t.queue == p("queue"), t.priority_class == p("klass"), t.place_at == p("place"),
        sa.or_(t.seq > p("seq"), sa.and_(t.seq == p("seq"), t.origin_queue > p("origin"))))
    ticket = sa.select(tickets).where(t.id == p("id"))
    save_ticket = tickets.update().where(t.id == p("ticket_id"))
    by_number = sa.select(tickets).where(t.number == p("number"), t.day == p("day")).order_by(t.origin_queue)
    runtimes = sa.select(window_runtime)
    save_window = window_runtime.update().where(w.window == p("window_id"))
    service = sa.select(t.called_at, t.finished_at).where(
        t.queue == p("queue"), t.state == TicketState.DONE.value, t.called_at.is_not(None)).order_by(
        t.finished_at.desc()).limit(p("limit"))
    recent_calls = sa.select(calls).where(k.day == p("day")).order_by(k.id.desc()).limit(p("limit"))
    ahead = sa.select(sa.func.count()).select_from(tickets).where(
        _waiting, t.queue == p("queue"), t.id != p("id"), sa.or_(
            t.priority_class < p("klass"), sa.and_(t.priority_class == p("klass"), sa.or_(
                t.place_at < p("place"), sa.and_(t.place_at == p("place"), sa.or_(
                    t.seq < p("seq"), sa.and_(t.seq == p("seq"), t.origin_queue < p("origin"))))))))


@functools.lru_cache(maxsize=256)
def _heads(window_id: str, queues: tuple[str, ...]):
    """One statement giving the first ticket of each line a window calls from."""
    heads = []
    for klass in (0, 1):
        for queue in queues:
            heads.append(sa.select(tickets).where(_waiting, t.queue == queue, t.target_window.is_(None),
                                                  t.priority_class == klass))
        heads.append(sa.select(tickets).where(_waiting, t.target_window == window_id, t.priority_class == klass))
    # the same order as domain.Ticket.order_key within a line, ties on origin queue included
    return sa.union_all(*[head.order_by(t.place_at, t.seq, t.origin_queue).limit(1).subquery().select()
                          for head in heads])


def _ticket(row) -> Ticket:
    values = {name: getattr(row, name) for name in _TICKET_COLUMNS}
    values["state"] = TicketState(values["state"])
    return Ticket(**values)


def _ticket_values(ticket: Ticket) -> dict:
    values = {name: getattr(ticket, name) for name in _TICKET_COLUMNS}
    values["state"] = ticket.state.value
    values["priority_class"] = 0 if ticket.is_priority else 1
    return values


def _runtime(row) -> WindowRuntime:
    return WindowRuntime(row.window, WindowStatus(row.status), row.staff, row.staff_name, row.staff_post,
                         row.ticket, row.streak, row.awaiting_evaluation, row.day, row.updated_at)


class SqlRepo:
    """:class:`~backend.queue.repo.Repo` on one open connection (the caller commits)."""

    def __init__(self, conn: Connection, catalog=None):
        self.conn = conn
        self.catalog = catalog if catalog is not None else CatalogCache().view(conn)
        self._memo: dict = {}
        self._loaded: dict[str, tuple[bool, str, date, bool]] = {}

    def _run(self, statement, **params):
        return self.conn.execute(statement, params)

    def _remember(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _changed(self) -> None:
        self._memo.clear()

    # -- the day and the counters ---------------------------------------------------
    def day_marker(self) -> date | None:
        value = self._run(_Q.marker).scalar()
        return date.fromisoformat(value) if value else None

    def set_day_marker(self, day: date) -> None:
        if self._run(_Q.set_marker, b_value=day.isoformat()).rowcount == 0:
            self.conn.execute(queue_meta.insert().values(key="day", value=day.isoformat()))

    def next_seq(self, queue: str, day: date) -> int:
        self._changed()
        seq = self._run(_Q.bump, b_queue=queue, b_day=day).scalar()
        if seq is None:
            self.conn.execute(queue_counters.insert().values(queue=queue, day=day, last_seq=1))
            seq = 1
        return seq

    def snapshot(self, queue: str, day: date) -> QueueSnapshot:
        def read() -> QueueSnapshot:
            row = self._run(_Q.snapshot, queue=queue, day=day).one()
            return QueueSnapshot(row.issued or 0, row.waiting or 0, row.last_called, row.suspended,
                                 row.waiting_priority or 0)
        return self._remember(("snapshot", queue, day), read)

    def _shift(self, queue: str, day: date, waiting: int, priority: int) -> None:
        """Move the line's waiting counts (creating the day's row for a queue that got a transfer)."""
        if self._run(_Q.shift, b_queue=queue, b_day=day, b_waiting=waiting, b_priority=priority).rowcount == 0:
            self.conn.execute(queue_counters.insert(), dict(queue=queue, day=day, last_seq=0, waiting=waiting,
                                                            waiting_priority=priority))

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
        row = self.conn.execute(sa.select(queue_suspensions.c.reason).where(queue_suspensions.c.queue == queue))
        return row.scalar()

    # -- tickets --------------------------------------------------------------------
    def add_ticket(self, ticket: Ticket) -> None:
        self._changed()
        self.conn.execute(tickets.insert(), _ticket_values(ticket))
        self._loaded[ticket.id] = (False, ticket.queue, ticket.day, ticket.is_priority)
        self._moved(ticket)

    def save_ticket(self, ticket: Ticket) -> None:
        self._changed()
        if ticket.id not in self._loaded:
            row = self._run(_Q.before_row, id=ticket.id).one()
            self._loaded[ticket.id] = (row.state in _WAITING, row.queue, row.day, row.priority_class == 0)
        self._run(_Q.save_ticket, ticket_id=ticket.id, **_ticket_values(ticket))
        self._moved(ticket)

    def _moved(self, ticket: Ticket) -> None:
        was_waiting, old_queue, day, was_priority = self._loaded[ticket.id]
        waiting = ticket.state in WAITING_STATES
        if was_waiting and (not waiting or old_queue != ticket.queue):
            self._shift(old_queue, day, -1, -int(was_priority))
        if waiting and (not was_waiting or old_queue != ticket.queue):
            self._shift(ticket.queue, ticket.day, 1, int(ticket.is_priority))
        self._track(ticket)

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        row = self._run(_Q.ticket, id=ticket_id).first()
        return self._track(_ticket(row)) if row else None

    def find_tickets(self, number: str, day: date) -> list[Ticket]:
        return [self._track(_ticket(row)) for row in self._run(_Q.by_number, number=number, day=day)]

    def candidates(self, window: Window, day: date) -> list[Ticket]:
        """Only the head of each (queue, class) line and of the window's own transfers: enough to choose."""
        return [self._track(_ticket(row)) for row in self._run(_heads(window.id, window.queues), day=day)]

    def line(self, window: Window, day: date) -> list[Ticket]:
        """Every waiting ticket *window* may call (sort with ``domain.sorted_line``)."""
        mine = sa.or_(t.target_window == window.id, sa.and_(t.target_window.is_(None), t.queue.in_(window.queues)))
        return [self._track(_ticket(row)) for row in self._run(sa.select(tickets).where(_waiting, mine), day=day)]

    def no_shows(self, window: Window, day: date) -> list[str]:
        """Today's no-show numbers of the window's queues, latest first (for 特呼)."""
        rows = self.conn.execute(sa.select(t.number).where(
            t.state == TicketState.NO_SHOW.value, t.day == day, t.queue.in_(window.queues))
            .order_by(t.called_at.desc()))
        return [row.number for row in rows]

    def count_ahead(self, ticket: Ticket, *, just_issued: bool = False) -> int:
        """Waiting tickets of its queue that sort before it: (class, place, seq, origin queue).

        For a ticket *just issued* (the latest place in its class) this is the line's count
        minus the few tickets sharing its instant: one row and one short index seek, not a
        scan of the whole line.
        """
        klass = 0 if ticket.is_priority else 1
        params = dict(day=ticket.day, queue=ticket.queue, klass=klass, place=ticket.place_at, seq=ticket.seq,
                      origin=ticket.origin_queue)
        if just_issued:
            snap = self.snapshot(ticket.queue, ticket.day)
            in_line = snap.waiting_priority if klass == 0 else snap.waiting
            return max(0, in_line - 1 - self._run(_Q.same_instant_after, **params).scalar())
        return self._run(_Q.ahead, id=ticket.id, **params).scalar()

    def oldest_waiting(self, queue: str, day: date) -> Ticket | None:
        """The longest-waiting ticket: the earlier of the two class heads (two index seeks)."""
        def read():
            rows = list(self._run(_Q.oldest, queue=queue, day=day))
            return self._track(_ticket(min(rows, key=lambda r: (r.place_at, r.seq)))) if rows else None
        return self._remember(("oldest", queue, day), read)

    def stale_tickets(self, day: date) -> list[Ticket]:
        rows = self.conn.execute(sa.select(tickets).where(
            t.state.in_(_WAITING + [TicketState.CALLED.value]), t.day < day))
        return [self._track(_ticket(row)) for row in rows]

    def recent_service_minutes(self, queue: str, limit: int) -> list[float]:
        def read():
            rows = self._run(_Q.service, queue=queue, limit=limit)
            return [(row.finished_at - row.called_at).total_seconds() / 60 for row in rows]
        return self._remember(("service", queue, limit), read)

    # -- windows --------------------------------------------------------------------
    def get_window(self, window_id: str) -> WindowRuntime:
        runtime = self.window_runtimes().get(window_id)
        return runtime if runtime is not None else WindowRuntime(window_id)

    def save_window(self, runtime: WindowRuntime) -> None:
        self._changed()
        values = dict(status=runtime.status.value, staff=runtime.staff, staff_name=runtime.staff_name,
                      staff_post=runtime.staff_post, ticket=runtime.ticket, streak=runtime.streak,
                      awaiting_evaluation=runtime.awaiting_evaluation, day=runtime.day,
                      updated_at=runtime.updated_at)
        if self._run(_Q.save_window, window_id=runtime.id, **values).rowcount == 0:
            self.conn.execute(window_runtime.insert(), {"window": runtime.id, **values})

    def window_runtimes(self) -> dict[str, WindowRuntime]:
        runtimes = self._remember("runtimes", lambda: {row.window: _runtime(row) for row in self._run(_Q.runtimes)})
        return {key: WindowRuntime(**vars(value)) for key, value in runtimes.items()}  # callers may change them

    # -- logs -----------------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        self.conn.execute(ticket_audit.insert(), dict(
            ticket=entry.ticket, number=entry.number, from_state=entry.from_state, to_state=entry.to_state,
            window=entry.window, staff=entry.staff, reason=entry.reason[:300], actor=entry.actor, at=entry.at))

    def add_window_event(self, event: WindowEvent) -> None:
        self.conn.execute(window_events.insert(), dict(
            window=event.window, from_status=event.from_status, to_status=event.to_status, staff=event.staff,
            reason=event.reason[:300], at=event.at))

    def add_call(self, call: CallRecord) -> None:
        self._changed()
        self.conn.execute(calls.insert(), dict(
            event_id=call.event_id, ticket=call.ticket, number=call.number, queue=call.queue, window=call.window,
            kind=call.kind, day=call.day, at=call.at))

    def recent_calls(self, day: date, limit: int) -> list[CallRecord]:
        rows = self._run(_Q.recent_calls, day=day, limit=limit)
        return [CallRecord(r.event_id, r.ticket, r.number, r.queue, r.window, r.kind, r.day, r.at) for r in rows]

    # -- appointments and evaluations ------------------------------------------------
    def get_appointment(self, code: str) -> Appointment | None:
        row = self.conn.execute(sa.select(appointments).where(appointments.c.code == code)).first()
        return Appointment(row.code, row.queue, row.day, row.item, row.created_at, row.checked_in_at,
                           row.ticket) if row else None

    def save_appointment(self, appointment: Appointment) -> None:
        values = dict(queue=appointment.queue, day=appointment.day, item=appointment.item,
                      created_at=appointment.created_at, checked_in_at=appointment.checked_in_at,
                      ticket=appointment.ticket)
        if self.conn.execute(appointments.update().where(appointments.c.code == appointment.code)
                             .values(**values)).rowcount == 0:
            self.conn.execute(appointments.insert().values(code=appointment.code, **values))

    def evaluation_of(self, ticket_id: str) -> Evaluation | None:
        row = self.conn.execute(sa.select(evaluations).where(evaluations.c.ticket == ticket_id)).first()
        return evaluation_from_row(row) if row else None

    def add_evaluation(self, evaluation: Evaluation) -> None:
        self.conn.execute(evaluations.insert().values(
            id=evaluation.id, ticket=evaluation.ticket, number=evaluation.number, day=evaluation.day,
            queue=evaluation.queue, item=evaluation.item, window=evaluation.window, staff=evaluation.staff,
            level=evaluation.level, reasons="、".join(evaluation.reasons), comment=evaluation.comment,
            channel=evaluation.channel, at=evaluation.at, followup_status=evaluation.followup_status,
            followup_at=evaluation.at if evaluation.followup_status else None))

    def staff_profile(self, login: str) -> tuple[str, str] | None:
        users = metadata.tables.get("users")
        if users is None:
            return None
        row = self.conn.execute(sa.select(users.c.display_name, users.c.post).where(users.c.username == login)).first()
        return (row.display_name or login, row.post or "") if row else None

    # -- alerts (used by state.py) -----------------------------------------------------
    def active_alerts(self) -> dict[str, str]:
        return self._remember("alerts", lambda: {row.id: row.payload
                                                 for row in self.conn.execute(sa.select(active_alerts))})

    def set_alert(self, alert_id: str, payload: str | None) -> None:
        self._memo.pop("alerts", None)
        self.conn.execute(active_alerts.delete().where(active_alerts.c.id == alert_id))
        if payload is not None:
            self.conn.execute(active_alerts.insert().values(id=alert_id, payload=payload))


def evaluation_from_row(row) -> Evaluation:
    return Evaluation(id=row.id, ticket=row.ticket, number=row.number, day=row.day, queue=row.queue,
                      window=row.window, level=row.level, at=row.at, item=row.item, staff=row.staff,
                      reasons=tuple(r for r in row.reasons.split("、") if r), comment=row.comment,
                      channel=row.channel, followup_status=row.followup_status)
