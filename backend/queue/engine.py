"""The queue engine: every ticket and window operation, applied to a repository.

Pure: the engine talks to a :class:`Repo` (SQL in :mod:`backend.queue.store`,
in memory in :mod:`backend.queue.memory`) and a :class:`~.domain.Catalog`.
Each operation checks its preconditions, raises :class:`ProtocolError` with a
stable code when refused (the caller rolls the transaction back), records
every transition in the audit log and returns a :class:`~.domain.Change`
naming the queues and windows whose published state changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Callable

from protocol import ProtocolError, new_id as _new_id
from protocol.models import EVALUATION_LEVELS, POOR_LEVELS, Queue, WaitEstimate, Window

from .domain import (AT_WINDOW, FOLLOWUP_PENDING, STATE_ZH, AuditEntry, CallRecord, Change, Evaluation, Ticket,
                     TicketState, WindowEvent, WindowRuntime, WindowStatus, check_transition, choose_next,
                     format_number, local_day)
from .repo import Repo
from .rules import Availability, availability, estimate_wait, per_ticket_minutes

S = TicketState


@dataclass(frozen=True)
class Who:
    """Who asks: the requesting device or console (``actor``) and the staff login if known."""

    actor: str = ""
    staff: str = ""


def _reason_required(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ProtocolError("reason_required", f"{what} needs a reason", f"{what}需要填写原因")
    return reason


class QueueEngine:
    """The hall's queue rules over one repository (one transaction)."""

    def __init__(self, repo: Repo, rules, tz: tzinfo, new_id: Callable[[], str] = _new_id):
        self.repo = repo
        self.catalog = repo.catalog
        self.rules = rules
        self.tz = tz
        self.new_id = new_id

    # -- the day ----------------------------------------------------------------------
    def today(self, now: datetime) -> date:
        return local_day(now, self.tz)

    def rollover(self, now: datetime) -> Change:
        """At the first operation of a local day: close yesterday's lines and windows.

        Waiting tickets of earlier days are cancelled, tickets left called become
        no-shows, idle windows go back to closed.  Every queue's and window's
        state is republished (numbers and counts restart).
        """
        today = self.today(now)
        marker = self.repo.day_marker()
        if marker is not None and marker >= today:
            return Change()
        change = Change(calls_changed=True)
        change.queues.update(q.id for q in self.catalog.queues())
        change.windows.update(w.id for w in self.catalog.windows())
        for ticket in self.repo.stale_tickets(today):
            to = S.NO_SHOW if ticket.state == S.CALLED else S.CANCELLED
            self._move(ticket, to, now, Who("system"), reason="日终清号 (end of day)")
            if to == S.NO_SHOW and ticket.window:
                runtime = self.repo.get_window(ticket.window)
                if runtime.ticket == ticket.id:
                    runtime.ticket = None
                    self.repo.save_window(runtime)
        for runtime in self.repo.window_runtimes().values():
            if runtime.day is not None and runtime.day < today:
                if runtime.ticket is None:  # a service running past midnight keeps its window open
                    self._set_status(runtime, WindowStatus.CLOSED, now, Who("system"), "日终 (end of day)")
                runtime.streak = 0
                runtime.awaiting_evaluation = None
                runtime.day = today
                self.repo.save_window(runtime)
        self.repo.set_day_marker(today)
        return change

    # -- taking a number --------------------------------------------------------------
    def availability(self, queue: Queue, now: datetime, *, ignore_quota: bool = False) -> Availability:
        snap = self.repo.snapshot(queue.id, self.today(now))
        return availability(queue, now.astimezone(self.tz), snap.issued, suspended=snap.suspended is not None,
                            suspended_reason=snap.suspended or "", ignore_quota=ignore_quota,
                            ignore_hours=self.rules.ignore_hours)

    def issue(self, now: datetime, who: Who, *, item: str | None = None, queue: str | None = None,
              priority: str = "normal") -> Change:
        """取号.  An item of kind 急办件 gives an ``urgent`` ticket unless another priority is asked."""
        change = self.rollover(now)
        item_obj = None
        if item is not None:
            item_obj = self.catalog.item(item)
            if item_obj is None:
                raise ProtocolError("unknown_item", f"no item {item!r} in the catalog")
            queue = item_obj.queue
            if item_obj.kind == "急办件" and priority == "normal":
                priority = "urgent"
        queue_obj = self._queue(queue)
        self.availability(queue_obj, now).raise_unless_accepting()
        ticket = self._new_ticket(queue_obj, now, who, item=item, priority=priority)
        change.queues.add(queue_obj.id)
        change.ticket = ticket
        change.only_added = not change.windows  # no rollover came with it
        return change

    def check_in(self, now: datetime, who: Who, code: str) -> Change:
        """预约签到: the appointment's code becomes a ticket with the appointment priority."""
        change = self.rollover(now)
        appointment = self.repo.get_appointment(code)
        if appointment is None:
            raise ProtocolError("unknown_appointment", f"no appointment with code {code!r}")
        if appointment.checked_in_at is not None:
            raise ProtocolError("already_checked_in", f"appointment {code} was checked in at "
                                f"{appointment.checked_in_at.isoformat()}")
        today = self.today(now)
        if appointment.day != today:
            raise ProtocolError("appointment_not_today", f"appointment {code} is for {appointment.day}, not {today}",
                                f"该预约日期为{appointment.day.isoformat()}，不是今天")
        queue_obj = self._queue(appointment.queue)
        self.availability(queue_obj, now, ignore_quota=True).raise_unless_accepting()
        ticket = self._new_ticket(queue_obj, now, who, item=appointment.item,
                                  priority=self.rules.appointment_priority, appointment=code)
        appointment.checked_in_at = now
        appointment.ticket = ticket.id
        self.repo.save_appointment(appointment)
        change.queues.add(queue_obj.id)
        change.ticket = ticket
        change.only_added = not change.windows
        return change

    def _new_ticket(self, queue: Queue, now: datetime, who: Who, *, item: str | None, priority: str,
                    appointment: str | None = None) -> Ticket:
        day = self.today(now)
        seq = self.repo.next_seq(queue.id, day)
        ticket = Ticket(id=self.new_id(), day=day, origin_queue=queue.id, seq=seq,
                        number=format_number(queue.prefix, seq), queue=queue.id, priority=priority,
                        issued_at=now, place_at=now, item=item, appointment=appointment)
        self.repo.add_ticket(ticket)
        reason = "" if priority == "normal" else f"priority {priority}"
        self.repo.add_audit(AuditEntry(ticket.id, ticket.number, None, S.WAITING.value, now,
                                       reason=reason, actor=who.actor))
        return ticket

    # -- estimates --------------------------------------------------------------------
    def estimate(self, queue_id: str, ahead: int) -> WaitEstimate:
        """Wait for someone with *ahead* tickets before them in *queue_id* (rules.py formula)."""
        serving = self.catalog.serving(queue_id)
        statuses = self.repo.window_statuses()
        open_count = sum(1 for w in serving if statuses.get(w.id) == WindowStatus.OPEN)
        per = per_ticket_minutes(self.repo.recent_service_minutes(queue_id, self.rules.recent_services),
                                 self.rules.default_service_min)
        return estimate_wait(ahead, per, open_count, len(serving))

    # -- windows ----------------------------------------------------------------------
    def _queue(self, queue_id: str | None) -> Queue:
        queue = self.catalog.queue(queue_id) if queue_id else None
        if queue is None:
            raise ProtocolError("unknown_queue", f"no queue {queue_id!r} in the catalog")
        return queue

    def _window(self, window_id: str, now: datetime, who: Who) -> tuple[Window, WindowRuntime, Change]:
        window = self.catalog.window(window_id)
        if window is None:
            raise ProtocolError("unknown_window", f"no window {window_id!r} in the catalog")
        change = self.rollover(now)
        runtime = self.repo.get_window(window.id)
        runtime.day = self.today(now)
        runtime.updated_at = now
        if who.staff and who.staff != runtime.staff:
            name, post = self.repo.staff_profile(who.staff) or (who.staff, "")
            self.repo.add_window_event(WindowEvent(window.id, runtime.status.value, runtime.status.value, now,
                                                   who.staff, "staff sign-in (挂牌上岗)"))
            runtime.staff, runtime.staff_name, runtime.staff_post = who.staff, name, post
        change.windows.add(window.id)
        change.queues.update(window.queues)
        return window, runtime, change

    def _set_status(self, runtime: WindowRuntime, status: WindowStatus, now: datetime, who: Who,
                    reason: str = "") -> None:
        if runtime.status != status:
            self.repo.add_window_event(WindowEvent(runtime.id, runtime.status.value, status.value, now,
                                                   who.staff or runtime.staff, reason))
            runtime.status = status

    def _current(self, window: Window, runtime: WindowRuntime, allowed: frozenset[TicketState]) -> Ticket:
        ticket = self.repo.get_ticket(runtime.ticket) if runtime.ticket else None
        if ticket is None:
            if runtime.status == WindowStatus.CLOSED:
                raise ProtocolError("window_closed", f"window {window.id} is not open")
            raise ProtocolError("invalid_state", f"window {window.id} has no ticket called",
                                f"{window.number}号窗口当前没有呼叫中的号码")
        if ticket.state not in allowed:
            wanted = "、".join(STATE_ZH[state] for state in sorted(allowed))
            raise ProtocolError("invalid_state", f"{ticket.number} at window {window.id} is {ticket.state.value}, "
                                f"not {' or '.join(sorted(s.value for s in allowed))}",
                                f"{ticket.number} 号当前为“{STATE_ZH[ticket.state]}”，此操作需要“{wanted}”")
        return ticket

    def _ready_to_call(self, window: Window, runtime: WindowRuntime, now: datetime, who: Who) -> None:
        if runtime.status == WindowStatus.PAUSED:
            raise ProtocolError("window_paused", f"window {window.id} is paused; resume it first",
                                f"{window.number}号窗口已暂停服务，请先恢复")
        if runtime.ticket is not None:
            current = self.repo.get_ticket(runtime.ticket)
            number = current.number if current else runtime.ticket
            raise ProtocolError("invalid_state", f"window {window.id} still has {number}; finish, skip or "
                                "transfer it first", f"请先办结、过号或转移当前号码 {number}")
        self._set_status(runtime, WindowStatus.OPEN, now, who, "opened by a call")
        runtime.awaiting_evaluation = None

    def _move(self, ticket: Ticket, to: TicketState, now: datetime, who: Who, *, window: str | None = None,
              reason: str = "") -> None:
        check_transition(ticket, to)
        self.repo.add_audit(AuditEntry(ticket.id, ticket.number, ticket.state.value, to.value, now,
                                       window=window or ticket.window, staff=who.staff, reason=reason,
                                       actor=who.actor))
        ticket.state = to
        self.repo.save_ticket(ticket)

    def _call(self, window: Window, runtime: WindowRuntime, ticket: Ticket, now: datetime, who: Who,
              change: Change, reason: str = "") -> None:
        staff = who.staff or runtime.staff
        ticket.called_at, ticket.window, ticket.staff, ticket.recalls = now, window.id, staff, 0
        ticket.started_at = ticket.finished_at = None
        self._move(ticket, S.CALLED, now, Who(who.actor, staff), window=window.id, reason=reason)
        runtime.ticket = ticket.id
        self.repo.save_window(runtime)
        self._announce(window, ticket, "call", now, change)

    def _announce(self, window: Window, ticket: Ticket, kind: str, now: datetime, change: Change) -> None:
        call = CallRecord(self.new_id(), ticket.id, ticket.number, ticket.queue, window.id, kind,
                          self.today(now), now)
        self.repo.add_call(call)
        change.call, change.ticket, change.calls_changed = call, ticket, True
        change.queues.add(ticket.queue)

    def call_next(self, now: datetime, who: Who, window_id: str) -> Change:
        """叫号: the next ticket by the call-order rule (domain.py)."""
        window, runtime, change = self._window(window_id, now, who)
        self._ready_to_call(window, runtime, now, who)
        choice = choose_next(window, self.repo.candidates(window, self.today(now)), runtime.streak,
                             self.rules.max_priority_in_row)
        if choice is None:
            raise ProtocolError("nothing_waiting", f"nothing waiting for window {window.id}")
        runtime.streak = choice.streak
        self._call(window, runtime, choice.ticket, now, who, change)
        return change

    def call_number(self, now: datetime, who: Who, window_id: str, number: str, reason: str) -> Change:
        """特呼: call one number out of order (also a no-show who came back). Needs a reason."""
        window, runtime, change = self._window(window_id, now, who)
        reason = _reason_required(reason, "特呼")
        tickets = self.repo.find_tickets(number, self.today(now))
        if not tickets:
            raise ProtocolError("unknown_ticket", f"no ticket {number} today", f"今天没有 {number} 号")
        mine = [t for t in tickets if t.target_window == window.id or
                (t.target_window is None and t.queue in window.queues)]
        if not mine:
            raise ProtocolError("not_permitted", f"window {window.id} does not serve {number}",
                                f"{window.number}号窗口不办理 {number} 号的业务")
        ticket = mine[0]
        if ticket.state in AT_WINDOW:
            raise ProtocolError("invalid_state", f"{number} is already at window {ticket.window}",
                                f"{number} 号已在窗口办理")
        check_transition(ticket, S.CALLED)
        self._ready_to_call(window, runtime, now, who)
        self._call(window, runtime, ticket, now, who, change, reason=f"特呼: {reason}")
        return change

    def recall(self, now: datetime, who: Who, window_id: str) -> Change:
        """重呼; once ``recall_limit`` recalls were made, one more makes the ticket a no-show."""
        window, runtime, change = self._window(window_id, now, who)
        ticket = self._current(window, runtime, frozenset({S.CALLED}))
        who = Who(who.actor, who.staff or runtime.staff)
        change.ticket = ticket
        if ticket.recalls >= self.rules.recall_limit:
            self._move(ticket, S.NO_SHOW, now, who,
                       reason=f"recall limit: called {ticket.recalls + 1} times (重呼{ticket.recalls}次未到)")
            runtime.ticket = None
            self.repo.save_window(runtime)
            change.queues.add(ticket.queue)
            return change
        ticket.recalls += 1
        self._move(ticket, S.CALLED, now, who, reason=f"recall {ticket.recalls}")
        self.repo.save_window(runtime)
        self._announce(window, ticket, "recall", now, change)
        return change

    def skip(self, now: datetime, who: Who, window_id: str, reason: str) -> Change:
        """过号: the called visitor did not come. Needs a reason."""
        window, runtime, change = self._window(window_id, now, who)
        reason = _reason_required(reason, "过号")
        ticket = self._current(window, runtime, frozenset({S.CALLED}))
        self._move(ticket, S.NO_SHOW, now, Who(who.actor, who.staff or runtime.staff), reason=reason)
        runtime.ticket = None
        self.repo.save_window(runtime)
        change.ticket = ticket
        change.queues.add(ticket.queue)
        return change

    def start(self, now: datetime, who: Who, window_id: str) -> Change:
        """开始办理: the visitor is at the counter."""
        window, runtime, change = self._window(window_id, now, who)
        ticket = self._current(window, runtime, frozenset({S.CALLED}))
        ticket.started_at = now
        self._move(ticket, S.SERVING, now, Who(who.actor, who.staff or runtime.staff))
        self.repo.save_window(runtime)
        change.ticket = ticket
        return change

    def finish(self, now: datetime, who: Who, window_id: str) -> Change:
        """办结: from serving, or straight from called (a keypad has no start key)."""
        window, runtime, change = self._window(window_id, now, who)
        ticket = self._current(window, runtime, AT_WINDOW)
        ticket.finished_at = now
        self._move(ticket, S.DONE, now, Who(who.actor, who.staff or runtime.staff))
        runtime.ticket = None
        runtime.awaiting_evaluation = ticket.id
        self.repo.save_window(runtime)
        change.ticket = ticket
        change.queues.add(ticket.queue)
        return change

    def transfer(self, now: datetime, who: Who, window_id: str, reason: str, *, to_queue: str | None = None,
                 to_window: str | None = None) -> Change:
        """转移: the ticket keeps its number and its place (its original issue time) in the new line."""
        window, runtime, change = self._window(window_id, now, who)
        reason = _reason_required(reason, "转移")
        ticket = self._current(window, runtime, AT_WINDOW)
        if (to_queue is None) == (to_window is None):
            raise ProtocolError("invalid_request", "give exactly one of to_queue or to_window")
        if to_window is not None:
            target = self.catalog.window(to_window)
            if target is None:
                raise ProtocolError("unknown_window", f"no window {to_window!r} in the catalog")
            if target.id == window.id:
                raise ProtocolError("invalid_request", "a ticket cannot be transferred to its own window",
                                    "不能转移到本窗口")
            where = f"window {target.id}"
        else:
            target_queue = self._queue(to_queue)
            where = f"queue {target_queue.id}"
        old_queue = ticket.queue
        self._move(ticket, S.TRANSFERRED, now, Who(who.actor, who.staff or runtime.staff),
                   reason=f"{reason} -> {where}")
        if to_window is not None:
            ticket.target_window = to_window
        else:
            ticket.queue, ticket.target_window = to_queue, None
        ticket.window = None
        ticket.called_at = ticket.started_at = None
        ticket.recalls = 0
        self.repo.save_ticket(ticket)
        runtime.ticket = None
        self.repo.save_window(runtime)
        change.ticket = ticket
        change.queues.update({old_queue, ticket.queue})
        return change

    def pause(self, now: datetime, who: Who, window_id: str, reason: str = "") -> Change:
        """暂停: only with no ticket at the window; a paused window is called by nobody."""
        window, runtime, change = self._window(window_id, now, who)
        if runtime.ticket is not None:
            current = self.repo.get_ticket(runtime.ticket)
            number = current.number if current else runtime.ticket
            raise ProtocolError("invalid_state", f"window {window.id} still has {number}",
                                f"请先办结、过号或转移当前号码 {number}")
        self._set_status(runtime, WindowStatus.PAUSED, now, who, reason)
        self.repo.save_window(runtime)
        return change

    def resume(self, now: datetime, who: Who, window_id: str) -> Change:
        """恢复 / 开始受理: opens a paused or closed window."""
        window, runtime, change = self._window(window_id, now, who)
        self._set_status(runtime, WindowStatus.OPEN, now, who, "resume")
        self.repo.save_window(runtime)
        return change

    # -- evaluation -------------------------------------------------------------------
    def evaluate(self, now: datetime, who: Who, window_id: str, level: int, reasons: tuple[str, ...] = (),
                 comment: str = "", ticket_id: str | None = None) -> tuple[Change, Evaluation]:
        """好差评 of the ticket the window just finished (``awaiting_evaluation``); one per ticket."""
        window, runtime, change = self._window(window_id, now, Who(who.actor))
        if level not in EVALUATION_LEVELS:
            raise ProtocolError("invalid_request", f"level must be one of {sorted(EVALUATION_LEVELS)}")
        if level in POOR_LEVELS and not reasons:
            raise ProtocolError("reason_required", f"level {level} needs at least one reason",
                                "不满意评价请至少选择一项原因")
        target = ticket_id or runtime.awaiting_evaluation
        if target is not None and self.repo.evaluation_of(target) is not None:
            raise ProtocolError("already_evaluated", f"ticket {target} has already been rated")
        if target is None or target != runtime.awaiting_evaluation:
            raise ProtocolError("nothing_to_evaluate", f"window {window.id} has no finished service to rate"
                                + (f" for ticket {ticket_id}" if ticket_id else ""))
        ticket = self.repo.get_ticket(target)
        if ticket is None:
            raise ProtocolError("unknown_ticket", f"no ticket {target}")
        evaluation = Evaluation(id=self.new_id(), ticket=ticket.id, number=ticket.number, day=ticket.day,
                                queue=ticket.queue, window=window.id, level=level, at=now, item=ticket.item,
                                staff=ticket.staff, reasons=tuple(reasons), comment=comment.strip(),
                                channel=who.actor,
                                followup_status=FOLLOWUP_PENDING if level in POOR_LEVELS else "")
        self.repo.add_evaluation(evaluation)
        runtime.awaiting_evaluation = None
        self.repo.save_window(runtime)
        change.queues.clear()
        return change, evaluation
