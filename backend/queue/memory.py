"""An in-memory catalog and repository: the engine without a database.

Shipped as ordinary code (like gpiozero's MockFactory) for the property tests
and for trying rules out at a prompt.  It keeps copies, as a database does, so
an object the engine forgot to save is a visible bug here too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date

from protocol.models import Item, Queue, Window

from .domain import (WAITING_STATES, Appointment, AuditEntry, CallRecord, Evaluation, QueueSnapshot, Ticket,
                     TicketState, WindowEvent, WindowRuntime, WindowStatus, windows_serving)


class StaticCatalog:
    """A catalog from protocol objects (tests, and the engine before the catalog tables exist)."""

    def __init__(self, queues: list[Queue], windows: list[Window], items: list[Item] = ()):
        self._queues = {q.id: q for q in queues}
        self._windows = {w.id: w for w in windows}
        self._items = {i.id: i for i in items}

    def queue(self, queue_id: str) -> Queue | None:
        return self._queues.get(queue_id)

    def item(self, item_id: str) -> Item | None:
        return self._items.get(item_id)

    def window(self, window_id: str) -> Window | None:
        return self._windows.get(window_id)

    def queues(self) -> list[Queue]:
        return list(self._queues.values())

    def windows(self) -> list[Window]:
        return sorted(self._windows.values(), key=lambda w: w.number)

    def serving(self, queue_id: str) -> tuple[Window, ...]:
        return windows_serving(self.windows(), queue_id)


def _place(ticket: Ticket) -> tuple:
    return (0 if ticket.is_priority else 1, ticket.place_at, ticket.seq, ticket.origin_queue)


@dataclass
class MemoryRepo:
    catalog: StaticCatalog
    marker: date | None = None
    counters: dict[tuple[str, date], int] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    windows: dict[str, WindowRuntime] = field(default_factory=dict)
    suspended: dict[str, str] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    window_events: list[WindowEvent] = field(default_factory=list)
    calls: list[CallRecord] = field(default_factory=list)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    staff: dict[str, tuple[str, str]] = field(default_factory=dict)
    alerts: dict[str, str] = field(default_factory=dict)

    def copy_all(self) -> "MemoryRepo":
        """A deep copy: take one before an operation to roll back when it fails."""
        return copy.deepcopy(self)

    def day_marker(self) -> date | None:
        return self.marker

    def set_day_marker(self, day: date) -> None:
        self.marker = day

    def next_seq(self, queue: str, day: date) -> int:
        self.counters[(queue, day)] = self.counters.get((queue, day), 0) + 1
        return self.counters[(queue, day)]

    def issued_count(self, queue: str, day: date) -> int:
        return self.counters.get((queue, day), 0)

    def snapshot(self, queue: str, day: date) -> QueueSnapshot:
        priority = sum(1 for t in self._waiting(day) if t.queue == queue and t.is_priority)
        return QueueSnapshot(self.issued_count(queue, day), self.waiting_count(queue, day),
                             self.last_called(queue, day), self.suspension(queue), priority)

    def add_ticket(self, ticket: Ticket) -> None:
        if ticket.id in self.tickets:
            raise ValueError(f"duplicate ticket id {ticket.id}")
        if any((t.origin_queue, t.day, t.seq) == (ticket.origin_queue, ticket.day, ticket.seq)
               for t in self.tickets.values()):
            raise ValueError(f"duplicate number {ticket.number} on {ticket.day}")
        self.tickets[ticket.id] = copy.copy(ticket)

    def save_ticket(self, ticket: Ticket) -> None:
        self.tickets[ticket.id] = copy.copy(ticket)

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        ticket = self.tickets.get(ticket_id)
        return copy.copy(ticket) if ticket else None

    def find_tickets(self, number: str, day: date) -> list[Ticket]:
        return sorted((copy.copy(t) for t in self.tickets.values() if t.number == number and t.day == day),
                      key=lambda t: t.origin_queue)

    def _waiting(self, day: date):
        return (t for t in self.tickets.values() if t.state in WAITING_STATES and t.day == day)

    def candidates(self, window: Window, day: date) -> list[Ticket]:
        return [copy.copy(t) for t in self._waiting(day)
                if t.target_window == window.id or (t.target_window is None and t.queue in window.queues)]

    def waiting_count(self, queue: str, day: date) -> int:
        return sum(1 for t in self._waiting(day) if t.queue == queue)

    def count_ahead(self, ticket: Ticket, *, just_issued: bool = False) -> int:
        mine = _place(ticket)
        return sum(1 for t in self._waiting(ticket.day)
                   if t.queue == ticket.queue and t.id != ticket.id and _place(t) < mine)

    def oldest_waiting(self, queue: str, day: date) -> Ticket | None:
        line = [t for t in self._waiting(day) if t.queue == queue]
        return copy.copy(min(line, key=lambda t: (t.issued_at, t.seq))) if line else None

    def stale_tickets(self, day: date) -> list[Ticket]:
        states = WAITING_STATES | {TicketState.CALLED}
        return [copy.copy(t) for t in self.tickets.values() if t.day < day and t.state in states]

    def recent_service_minutes(self, queue: str, limit: int) -> list[float]:
        done = [t for t in self.tickets.values()
                if t.queue == queue and t.state == TicketState.DONE and t.called_at and t.finished_at]
        done.sort(key=lambda t: t.finished_at, reverse=True)
        return [(t.finished_at - t.called_at).total_seconds() / 60 for t in done[:limit]]

    def get_window(self, window_id: str) -> WindowRuntime:
        runtime = self.windows.get(window_id)
        return copy.copy(runtime) if runtime else WindowRuntime(window_id)

    def save_window(self, runtime: WindowRuntime) -> None:
        self.windows[runtime.id] = copy.copy(runtime)

    def window_runtimes(self) -> dict[str, WindowRuntime]:
        return {key: copy.copy(value) for key, value in self.windows.items()}

    def window_statuses(self) -> dict[str, WindowStatus]:
        return {key: value.status for key, value in self.windows.items()}

    def suspension(self, queue: str) -> str | None:
        return self.suspended.get(queue)

    def add_audit(self, entry: AuditEntry) -> None:
        self.audit.append(entry)

    def add_window_event(self, event: WindowEvent) -> None:
        self.window_events.append(event)

    def add_call(self, call: CallRecord) -> None:
        self.calls.append(call)

    def recent_calls(self, day: date, limit: int) -> list[CallRecord]:
        return [c for c in reversed(self.calls) if c.day == day][:limit]

    def last_called(self, queue: str, day: date) -> str | None:
        for call in reversed(self.calls):
            if call.queue == queue and call.day == day and call.kind == "call":
                return call.number
        return None

    def get_appointment(self, code: str) -> Appointment | None:
        appointment = self.appointments.get(code)
        return copy.copy(appointment) if appointment else None

    def save_appointment(self, appointment: Appointment) -> None:
        self.appointments[appointment.code] = copy.copy(appointment)

    def evaluation_of(self, ticket_id: str) -> Evaluation | None:
        return self.evaluations.get(ticket_id)

    def add_evaluation(self, evaluation: Evaluation) -> None:
        if evaluation.ticket in self.evaluations:
            raise ValueError(f"ticket {evaluation.ticket} already rated")
        self.evaluations[evaluation.ticket] = evaluation

    def staff_profile(self, login: str) -> tuple[str, str] | None:
        return self.staff.get(login)

    def active_alerts(self) -> dict[str, str]:
        return dict(self.alerts)

    def set_alert(self, alert_id: str, payload: str | None) -> None:
        self.alerts.pop(alert_id, None)
        if payload is not None:
            self.alerts[alert_id] = payload
