"""Number-taking (取号) as a small state machine: one request id per press.

::

    idle ──press──▶ sending ──reply ok──▶ issued ──(printed / not printed)
                       │
                       └──error / timeout──▶ failed ──retry──▶ sending (same id after a timeout)

- A press while *sending* is ignored (a double tap sends nothing more).
- A ticket exists only when the backend said so: :meth:`TicketDesk.succeed`
  is the only way to *issued*.
- After a timeout nobody knows whether the backend issued a ticket, so the
  request is kept and the next press for the same thing re-sends the *same*
  id (the backend answers a repeated id with the original ticket).  After a
  definite refusal (queue closed, quota used ...) the next press is a new
  request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum

from protocol import new_id
from protocol.models import CheckIn, IssueTicket, Request, TicketInfo

#: Outcomes after which the backend may or may not have issued a ticket.
UNCERTAIN = frozenset({"timeout"})


class DeskState(str, Enum):
    IDLE = "idle"
    SENDING = "sending"
    ISSUED = "issued"
    FAILED = "failed"


@dataclass(frozen=True)
class Failure:
    code: str
    message_zh: str = ""

    @property
    def retryable(self) -> bool:
        return self.code in UNCERTAIN


class TicketDesk:
    """Thread-safe: presses come from the UI or GPIO, outcomes from the request runner."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = DeskState.IDLE
        self.request: Request | None = None      # the request in flight or awaiting a retry
        self.ticket: TicketInfo | None = None
        self.failure: Failure | None = None
        self.printed: bool | None = None         # None = not tried yet

    def begin(self, params: IssueTicket | CheckIn) -> Request | None:
        """A press: the request to send, or None when one is already in flight."""
        kind = "ticket.checkin" if isinstance(params, CheckIn) else "ticket.issue"
        with self._lock:
            if self.state is DeskState.SENDING:
                return None
            pending = self.request
            if pending is None or pending.type != kind or pending.params != params:
                pending = Request(id=new_id("k-"), type=kind, params=params)
            self.request = pending
            self.state = DeskState.SENDING
            self.ticket = None
            self.failure = None
            self.printed = None
            return pending

    def retry(self) -> Request | None:
        """Re-send the kept request (same id); None if there is nothing to retry."""
        with self._lock:
            if self.state is not DeskState.FAILED or self.request is None:
                return None
            self.state = DeskState.SENDING
            self.failure = None
            return self.request

    def succeed(self, request_id: str, ticket: TicketInfo) -> bool:
        with self._lock:
            if self.request is None or self.request.id != request_id:
                return False  # a stale reply (the visitor left); the id was dropped
            self.state = DeskState.ISSUED
            self.ticket = ticket
            self.request = None
            return True

    def fail(self, request_id: str, failure: Failure) -> bool:
        with self._lock:
            if self.request is None or self.request.id != request_id:
                return False
            self.state = DeskState.FAILED
            self.failure = failure
            if not failure.retryable:
                self.request = None
            return True

    def mark_printed(self, printed: bool) -> None:
        with self._lock:
            self.printed = printed

    @property
    def can_retry(self) -> bool:
        with self._lock:
            return self.state is DeskState.FAILED and self.request is not None

    @property
    def busy(self) -> bool:
        return self.state is DeskState.SENDING

    def reset(self, *, keep_uncertain: bool = False) -> bool:
        """Forget the visit's ticket; refused (False) while a request is in flight.

        *keep_uncertain* keeps a timed-out request so that the same visitor's
        next press re-sends its id (going Home); the idle timeout drops it, as
        the next visitor must not receive a ticket issued minutes ago.
        """
        with self._lock:
            if self.state is DeskState.SENDING:
                return False
            if not (keep_uncertain and self.failure is not None and self.failure.retryable):
                self.request = None
            self.state = DeskState.IDLE
            self.ticket = None
            self.failure = None
            self.printed = None
            return True
