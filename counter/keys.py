"""What each key means: pure logic, no GPIO and no bus (the node wires both).

:class:`KeypadLogic` turns a key into a request; :class:`EvaluatorLogic` turns
the visitor's keys into at most one rating per finished ticket and says what
the lamp should do.  Both learn the window's state from its retained
``windows/{w}/state``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

from protocol.models import POOR_LEVELS, WindowState

#: Evaluator keys, best to worst, and their 好差评 level.
EVALUATOR_KEYS: dict[str, int] = {"very_satisfied": 5, "satisfied": 4, "basic": 3, "unsatisfied": 2,
                                  "very_unsatisfied": 1}
KEYPAD_KEYS = ("next", "recall", "skip", "pause", "finish")


@dataclass(frozen=True)
class Ask:
    """A request to send: its type and params."""

    type: str
    params: dict = field(default_factory=dict)


class KeypadLogic:
    """next, recall, skip (with the configured reason), pause/resume (one toggle key), finish."""

    def __init__(self, window: str, skip_reason: str):
        self.window = window
        self.skip_reason = skip_reason
        self.status: str | None = None

    def on_window_state(self, state: WindowState | None) -> None:
        self.status = state.status if state is not None else None

    def press(self, key: str) -> Ask | None:
        params = {"window": self.window}
        if key == "next":
            return Ask("window.call_next", params)
        if key == "recall":
            return Ask("window.recall", params)
        if key == "skip":
            return Ask("window.skip", {**params, "reason": self.skip_reason})
        if key == "finish":
            return Ask("window.finish", params)
        if key == "pause":  # open -> pause; paused, closed or not yet known -> resume
            return Ask("window.pause" if self.status == "open" else "window.resume", params)
        return None


class Lamp:
    OFF, ON, BLINK = "off", "on", "blink"


class EvaluatorLogic:
    """One rating per finished ticket; a poor level waits for a reason key.

    The lamp is on while the window's ``awaiting_evaluation`` names a ticket
    not yet rated here, blinks while a reason is expected, and is off
    otherwise.  A poor rating never goes out without a reason: if no reason
    key comes within *reason_timeout_s*, nothing is sent and the lamp is on
    again (the visitor may rate once more).
    """

    def __init__(self, window: str, poor_reasons: tuple[str, ...], reason_timeout_s: float,
                 clock: Callable[[], float]):
        self.window = window
        self.poor_reasons = poor_reasons
        self.reason_timeout_s = reason_timeout_s
        self.clock = clock
        self.awaiting: str | None = None
        self._sent: set[str] = set()
        self._reason_for: tuple[int, str, float] | None = None   # (level, ticket, deadline)
        self._lock = threading.Lock()

    def on_window_state(self, state: WindowState | None) -> str:
        with self._lock:
            awaiting = state.awaiting_evaluation if state is not None else None
            if awaiting != self.awaiting:
                self.awaiting = awaiting
                self._reason_for = None
            return self._lamp()

    def press(self, key: str) -> Ask | None:
        """The request a key sends now (or None), and the lamp follows from :meth:`lamp`."""
        index = list(EVALUATOR_KEYS).index(key)
        with self._lock:
            self._expire()
            if self._reason_for is not None:
                level, ticket, _ = self._reason_for
                self._reason_for = None
                return self._rate(level, ticket, (self.poor_reasons[index],))
            ticket = self.awaiting
            if ticket is None or ticket in self._sent:
                return None
            level = EVALUATOR_KEYS[key]
            if level in POOR_LEVELS:
                self._reason_for = (level, ticket, self.clock() + self.reason_timeout_s)
                return None
            return self._rate(level, ticket, ())

    def _rate(self, level: int, ticket: str, reasons: tuple[str, ...]) -> Ask:
        self._sent.add(ticket)
        return Ask("evaluation.submit", {"window": self.window, "ticket_id": ticket, "level": level,
                                         "reasons": list(reasons)})

    def failed(self, ticket: str, retry: bool) -> None:
        """The rating of *ticket* did not get through; *retry* lets the visitor rate it again."""
        with self._lock:
            if retry:
                self._sent.discard(ticket)

    def tick(self) -> str:
        """Let a reason prompt expire; returns the lamp state."""
        with self._lock:
            self._expire()
            return self._lamp()

    def lamp(self) -> str:
        with self._lock:
            return self._lamp()

    def _expire(self) -> None:
        if self._reason_for is not None and self.clock() >= self._reason_for[2]:
            self._reason_for = None

    def _lamp(self) -> str:
        if self._reason_for is not None:
            return Lamp.BLINK
        if self.awaiting is not None and self.awaiting not in self._sent:
            return Lamp.ON
        return Lamp.OFF
