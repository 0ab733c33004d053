"""Which call the wall highlights (flashes) now: every call gets its turn.

Calls that arrive together are queued, never overwritten: each is
highlighted for at least ``min_turn_s``; the last one in line keeps the full
``hold_s``.  A recall of a number still waiting for its turn does not queue it
twice.  A call that waited longer than ``max_wait_s`` (the call expiry) is not
highlighted any more: it stays in the list of recent calls, but it is not
shown as new.  Pure: times are passed in (monotonic seconds).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from protocol.bus import CALL_EXPIRY_S

from .calls import Call

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    call: Call
    started: float


class HighlightQueue:
    def __init__(self, *, hold_s: float = 8.0, min_turn_s: float = 3.0, flash_period_s: float = 0.5,
                 capacity: int = 64, max_wait_s: float = CALL_EXPIRY_S):
        self.hold_s = hold_s
        self.min_turn_s = min(min_turn_s, hold_s)
        self.flash_period_s = flash_period_s
        self.max_wait_s = max_wait_s
        self.expired = 0
        self._pending: deque[tuple[Call, float]] = deque()
        self._capacity = capacity
        self._turn: Turn | None = None

    def push(self, call: Call, now: float) -> None:
        for index, (waiting, pushed) in enumerate(self._pending):
            if (waiting.ticket, waiting.window) == (call.ticket, call.window):
                self._pending[index] = (call, now)
                return
        self._pending.append((call, now))
        if len(self._pending) > self._capacity:
            dropped, _ = self._pending.popleft()
            log.warning("more than %d calls waiting for the highlight; %s skipped (still listed)",
                        self._capacity, dropped.ticket)
        self._advance(now)

    def _turn_end(self) -> float:
        assert self._turn is not None
        length = self.min_turn_s if self._pending else self.hold_s
        return self._turn.started + length

    def _advance(self, now: float) -> None:
        if self._turn is not None and now < self._turn_end():
            return
        while self._pending and now - self._pending[0][1] > self.max_wait_s:
            self._pending.popleft()
            self.expired += 1
        # Each call's turn starts when it is actually shown, however late the tick.
        self._turn = Turn(self._pending.popleft()[0], now) if self._pending else None

    def current(self, now: float) -> Call | None:
        """The highlighted call now (None when nothing is highlighted)."""
        self._advance(now)
        return self._turn.call if self._turn else None

    def flash_on(self, now: float) -> bool:
        """The flash phase of the current turn (on first, then alternating)."""
        if self.current(now) is None:
            return False
        assert self._turn is not None
        return int((now - self._turn.started) / self.flash_period_s) % 2 == 0

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def clear(self) -> None:
        self._pending.clear()
        self._turn = None
