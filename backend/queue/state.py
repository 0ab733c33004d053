"""Published state built from the repository: queue and window states, calls, alerts.

Computed inside the transaction that made the change, so what goes out is
exactly what was committed; the publisher sends it after the commit, in commit
order.  :meth:`StateBuilder.everything` is the republish provider's content.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, tzinfo

from backend.publisher import Publication
from protocol import CALL_EXPIRY_S, Topics
from protocol.codec import encode
from protocol.models import (Alert, CallEntry, CallEvent, QueueState, RecentCalls, TicketInfo, TicketRef,
                             WindowState)

from .domain import AT_WINDOW, CallRecord, Change, Ticket
from .engine import QueueEngine



#: The early warnings the queue engine raises.
ALERT_KINDS = frozenset({"long_queue", "long_wait", "long_service"})


def alert_id(kind: str, subject: str) -> str:
    """``long_wait.<queue>``; hashed when it would not fit one topic level."""
    value = f"{kind}.{subject}"
    if len(value) > 64:
        value = f"{kind}.{hashlib.sha256(subject.encode()).hexdigest()[:16]}"
    return value


class StateBuilder:
    def __init__(self, engine: QueueEngine, settings, topics: Topics, tz: tzinfo):
        self.engine = engine
        self.repo = engine.repo
        self.catalog = engine.catalog
        self.settings = settings
        self.rules = settings.queue
        self.topics = topics
        self.tz = tz

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    # -- payloads ---------------------------------------------------------------------
    def queue_state(self, queue_id: str, now: datetime) -> QueueState | None:
        queue = self.catalog.queue(queue_id)
        if queue is None:
            return None
        snap = self.repo.snapshot(queue.id, self.engine.today(now))
        avail = self.engine.availability(queue, now)
        return QueueState(
            id=queue.id, prefix=queue.prefix, name=queue.name, open=avail.open, accepting=avail.accepting,
            reason=avail.reason_zh[:200], waiting=snap.waiting, last_called=snap.last_called,
            issued_today=snap.issued, quota_left=avail.quota_left,
            wait=self.engine.estimate(queue.id, snap.waiting), updated_at=self.local(now))

    def ticket_ref(self, ticket: Ticket) -> TicketRef:
        since = ticket.started_at if ticket.state.value == "serving" else ticket.called_at
        return TicketRef(id=ticket.id, number=ticket.number, queue=ticket.queue, item=ticket.item,
                         state=ticket.state.value, since=self.local(since or ticket.issued_at))

    def window_state(self, window_id: str, now: datetime) -> WindowState | None:
        window = self.catalog.window(window_id)
        if window is None:
            return None
        runtime = self.repo.get_window(window.id)
        ticket = self.repo.get_ticket(runtime.ticket) if runtime.ticket else None
        serving = self.ticket_ref(ticket) if ticket is not None and ticket.state in AT_WINDOW else None
        return WindowState(
            id=window.id, number=window.number, name=window.name, status=runtime.status.value,
            staff_name=runtime.staff_name, staff_post=runtime.staff_post, serving=serving, queues=window.queues,
            awaiting_evaluation=runtime.awaiting_evaluation,
            updated_at=self.local(runtime.updated_at or now))

    def recent_calls(self, now: datetime) -> RecentCalls:
        entries = []
        for call in self.repo.recent_calls(self.engine.today(now), self.settings.recent_calls):
            window = self.catalog.window(call.window)
            entries.append(CallEntry(ticket=call.number, window=call.window,
                                     window_number=window.number if window else 0, queue=call.queue,
                                     kind=call.kind, at=self.local(call.at), event_id=call.event_id))
        return RecentCalls(calls=tuple(entries), updated_at=self.local(now))

    def call_event(self, call: CallRecord) -> CallEvent:
        window = self.catalog.window(call.window)
        return CallEvent(event_id=call.event_id, kind=call.kind, ticket=call.number, ticket_id=call.ticket,
                         queue=call.queue, window=call.window, window_number=window.number if window else 0,
                         window_name=window.name if window else call.window, at=self.local(call.at))

    def ticket_info(self, ticket: Ticket) -> TicketInfo:
        """The reply to ticket.issue / ticket.checkin (*ticket* was just issued)."""
        queue = self.catalog.queue(ticket.queue)
        item = self.catalog.item(ticket.item) if ticket.item else None
        ahead = self.repo.count_ahead(ticket, just_issued=True)
        windows = tuple(w.number for w in self.catalog.serving(ticket.queue))
        url = f"{self.settings.public_url.rstrip('/')}/t/{ticket.id}" if self.settings.public_url else ""
        return TicketInfo(id=ticket.id, number=ticket.number, queue=ticket.queue,
                          queue_name=queue.name if queue else ticket.queue, item=ticket.item,
                          item_name=item.display_name if item else "", priority=ticket.priority,
                          issued_at=self.local(ticket.issued_at), ahead=ahead,
                          wait=self.engine.estimate(ticket.queue, ahead), windows=windows, status_url=url)

    # -- early warnings ---------------------------------------------------------------
    def _wanted_alerts(self, queues: set[str], windows: set[str], now: datetime,
                       kinds: frozenset[str] = ALERT_KINDS) -> dict[str, Alert]:
        rules, day, wanted = self.rules, self.engine.today(now), {}
        for queue_id in sorted(queues):
            queue = self.catalog.queue(queue_id)
            if queue is None:
                continue
            snap = self.repo.snapshot(queue_id, day)
            waiting = snap.waiting
            if "long_queue" in kinds and rules.long_queue > 0 and waiting >= rules.long_queue:
                key = alert_id("long_queue", queue_id)
                wanted[key] = Alert(id=key, kind="long_queue", since=self.local(now), subject=queue_id,
                                    message=f"{waiting} waiting in queue {queue.prefix} ({queue_id})",
                                    message_zh=f"{queue.name}等候人数已达{waiting}人",
                                    details={"queue": queue_id, "waiting": waiting, "threshold": rules.long_queue})
            check = waiting and rules.long_wait_min > 0 and "long_wait" in kinds
            oldest = self.repo.oldest_waiting(queue_id, day) if check else None
            limit = timedelta(minutes=rules.long_wait_min)
            if oldest is not None and now - oldest.issued_at >= limit:
                key = alert_id("long_wait", queue_id)
                minutes = int((now - oldest.issued_at).total_seconds() // 60)
                wanted[key] = Alert(id=key, kind="long_wait", since=self.local(oldest.issued_at + limit),
                                    subject=queue_id, message=f"{oldest.number} has waited {minutes} min",
                                    message_zh=f"{queue.name} {oldest.number} 号已等候{minutes}分钟",
                                    details={"queue": queue_id, "ticket": oldest.number,
                                             "threshold_min": rules.long_wait_min})
        for window_id in sorted(windows) if "long_service" in kinds else ():
            window = self.catalog.window(window_id)
            runtime = self.repo.get_window(window_id)
            ticket = self.repo.get_ticket(runtime.ticket) if runtime.ticket else None
            limit = timedelta(minutes=rules.long_service_min)
            if window is None or ticket is None or ticket.called_at is None or rules.long_service_min <= 0:
                continue
            if now - ticket.called_at >= limit:
                key = alert_id("long_service", window_id)
                minutes = int((now - ticket.called_at).total_seconds() // 60)
                wanted[key] = Alert(id=key, kind="long_service", since=self.local(ticket.called_at + limit),
                                    subject=window_id,
                                    message=f"window {window.number} has served {ticket.number} for {minutes} min",
                                    message_zh=f"{window.number}号窗口办理 {ticket.number} 号已{minutes}分钟",
                                    details={"window": window_id, "ticket": ticket.number,
                                             "threshold_min": rules.long_service_min})
        return wanted

    def refresh_alerts(self, queues: set[str], windows: set[str], now: datetime,
                       kinds: frozenset[str] = ALERT_KINDS) -> list[Publication]:
        """Raise new warnings and clear resolved ones for these subjects; each is published once."""
        wanted = self._wanted_alerts(queues, windows, now, kinds)
        subjects = {alert_id(k, q) for q in queues for k in ("long_queue", "long_wait") if k in kinds}
        subjects |= {alert_id("long_service", w) for w in windows if "long_service" in kinds}
        pubs = []
        for key in sorted(set(self.repo.active_alerts()) & subjects - set(wanted)):
            self.repo.set_alert(key, None)
            pubs.append(Publication(self.topics.alert(key), None))
        active = self.repo.active_alerts()
        for key, alert in wanted.items():
            if key not in active:
                self.repo.set_alert(key, encode(alert).decode("utf-8"))
                pubs.append(Publication(self.topics.alert(key), alert))
        return pubs

    # -- what to publish --------------------------------------------------------------
    def events(self, change: Change) -> list[Publication]:
        """The call event, if the change made one (it drives the voice)."""
        if change.call is None:
            return []
        return [Publication(self.topics.call_event(), self.call_event(change.call), retain=False,
                            expiry=CALL_EXPIRY_S)]

    def publications(self, change: Change, now: datetime, *, alerts: bool = True) -> list[Publication]:
        """The call event first (it drives the voice), then the retained states it changed."""
        pubs = self.events(change)
        for window_id in sorted(change.windows):
            state = self.window_state(window_id, now)
            if state is not None:
                pubs.append(Publication(self.topics.window_state(window_id), state))
        for queue_id in sorted(change.queues):
            state = self.queue_state(queue_id, now)
            if state is not None:
                pubs.append(Publication(self.topics.queue_state(queue_id), state))
        if change.calls_changed:
            pubs.append(Publication(self.topics.calls_recent(), self.recent_calls(now)))
        if alerts and hasattr(self.repo, "active_alerts"):
            kinds = frozenset({"long_queue"}) if change.only_added else ALERT_KINDS
            pubs.extend(self.refresh_alerts(change.queues, change.windows, now, kinds))
        return pubs

    def everything(self, now: datetime) -> list[Publication]:
        """Every retained queue topic (the republish provider): states, recent calls, raised alerts."""
        change = Change(queues={q.id for q in self.catalog.queues()},
                        windows={w.id for w in self.catalog.windows()}, calls_changed=True)
        pubs = self.publications(change, now, alerts=False)
        for key, payload in sorted(self.repo.active_alerts().items()):
            pubs.append(Publication(self.topics.alert(key), Alert.model_validate_json(payload)))
        return pubs

