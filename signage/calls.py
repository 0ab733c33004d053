"""Which call events are new: de-duplicated, never stale, never history.

A call is *new* (highlighted on the wall, spoken, shown on the bar) exactly
once, and only while it is fresh:

- the same ``event_id`` again (QoS 1 redelivery, a reconnect) is a duplicate;
- an event whose ``at`` is older than ``CALL_EXPIRY_S``, or whose MQTT message
  expiry has run out, is stale: the wall redraws it from ``calls/recent``
  instead of announcing it;
- calls already listed in a retained ``calls/recent`` that happened before
  this node started are history: a node that just (re)started cannot know
  whether it spoke them, so it does not speak them again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from protocol.bus import CALL_EXPIRY_S, Deduper
from protocol.models import CallEntry, CallEvent, RecentCalls

log = logging.getLogger(__name__)

#: An event stamped further in the future than this means the clocks disagree.
CLOCK_SKEW_S = 5.0


@dataclass(frozen=True)
class Call:
    """One call as the screens need it (from a CallEvent or a calls/recent entry)."""

    event_id: str
    ticket: str
    window: str
    window_number: int
    queue: str
    kind: str
    at: datetime

    @classmethod
    def from_event(cls, event: CallEvent) -> "Call":
        return cls(event.event_id, event.ticket, event.window, event.window_number, event.queue,
                   event.kind, event.at)

    @classmethod
    def from_entry(cls, entry: CallEntry) -> "Call":
        return cls(entry.event_id, entry.ticket, entry.window, entry.window_number, entry.queue,
                   entry.kind, entry.at)


NEW, DUPLICATE, STALE = "new", "duplicate", "stale"


class CallGate:
    """Admits each call event once, while it is fresh.  Thread-safe."""

    def __init__(self, clock, *, expiry_s: float = CALL_EXPIRY_S, capacity: int = 4096):
        self.clock = clock
        self.expiry_s = expiry_s
        self.started_at = clock.now()
        self._seen = Deduper(capacity)

    def admit(self, event: CallEvent, mqtt_expiry: int | None = None) -> str:
        """NEW, DUPLICATE or STALE; an event is never NEW twice."""
        if self._seen.seen(event.event_id):
            return DUPLICATE
        if mqtt_expiry is not None and mqtt_expiry <= 0:
            return STALE
        age = (self.clock.now() - event.at).total_seconds()
        if age > self.expiry_s:
            log.info("call %s %s is %.0f s old: shown in the list, not announced", event.ticket,
                     event.event_id, age)
            return STALE
        if age < -CLOCK_SKEW_S:
            log.warning("call %s is stamped %.0f s in the future: check NTP on this node and the "
                        "backend", event.event_id, -age)
        return NEW

    def note_history(self, recent: RecentCalls) -> None:
        """Mark the calls of a calls/recent message made before this node started."""
        for entry in recent.calls:
            if entry.at < self.started_at:
                self._seen.seen(entry.event_id)
