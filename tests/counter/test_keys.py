"""What the keys mean (pure logic, no GPIO, no bus)."""

from __future__ import annotations

from datetime import datetime, timezone

from counter.keys import Ask, EvaluatorLogic, KeypadLogic, Lamp
from protocol.models import WindowState

REASONS = ("服务态度", "服务效率", "服务水平", "办事指南不准确", "多次跑动")


def state(status="open", awaiting=None) -> WindowState:
    return WindowState(id="w1", number=1, name="1号窗口", status=status, awaiting_evaluation=awaiting,
                       updated_at=datetime(2024, 5, 6, tzinfo=timezone.utc))


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_keypad_keys():
    keypad = KeypadLogic("w1", "未到场")
    assert keypad.press("next") == Ask("window.call_next", {"window": "w1"})
    assert keypad.press("skip") == Ask("window.skip", {"window": "w1", "reason": "未到场"})
    assert keypad.press("pause").type == "window.resume"  # state unknown: open the window
    keypad.on_window_state(state("open"))
    assert keypad.press("pause").type == "window.pause"
    keypad.on_window_state(state("paused"))
    assert keypad.press("pause").type == "window.resume"
    assert keypad.press("bogus") is None


def test_evaluator_rates_the_finished_ticket_once():
    ev = EvaluatorLogic("w1", REASONS, 15, FakeClock())
    assert ev.on_window_state(state()) == Lamp.OFF
    assert ev.press("satisfied") is None  # nothing to rate
    assert ev.on_window_state(state(awaiting="t1")) == Lamp.ON
    ask = ev.press("very_satisfied")
    assert ask == Ask("evaluation.submit", {"window": "w1", "ticket_id": "t1", "level": 5, "reasons": []})
    assert ev.lamp() == Lamp.OFF and ev.press("basic") is None  # one rating per ticket


def test_a_poor_rating_waits_for_a_reason_key():
    clock = FakeClock()
    ev = EvaluatorLogic("w1", REASONS, 15, clock)
    ev.on_window_state(state(awaiting="t1"))
    assert ev.press("very_unsatisfied") is None and ev.lamp() == Lamp.BLINK
    ask = ev.press("satisfied")  # key 2 = the second reason
    assert ask.params["level"] == 1 and ask.params["reasons"] == ["服务效率"]


def test_no_reason_no_rating():
    clock = FakeClock()
    ev = EvaluatorLogic("w1", REASONS, 15, clock)
    ev.on_window_state(state(awaiting="t1"))
    ev.press("unsatisfied")
    clock.t += 16
    assert ev.tick() == Lamp.ON  # the prompt expired, nothing was sent; the visitor may rate again
    assert ev.press("basic").params["level"] == 3


def test_the_next_ticket_cancels_a_pending_reason_and_a_failed_rating_can_be_retried():
    ev = EvaluatorLogic("w1", REASONS, 15, FakeClock())
    ev.on_window_state(state(awaiting="t1"))
    ev.press("unsatisfied")
    assert ev.on_window_state(state(awaiting=None)) == Lamp.OFF
    assert ev.press("very_satisfied") is None
    ev.on_window_state(state(awaiting="t2"))
    ev.press("satisfied")
    ev.failed("t2", retry=True)
    assert ev.lamp() == Lamp.ON and ev.press("satisfied").params["ticket_id"] == "t2"
