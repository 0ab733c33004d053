"""The counter node on gpiozero's MockFactory, against a backend: on a FakeBus, and on the real broker."""

from __future__ import annotations

import itertools
import queue
import time

import pytest
import sqlalchemy as sa

from backend.app import build
from backend.queue.tables import evaluations
from counter.app import main
from counter.node import CounterNode
from counter.settings import CounterSettings
from hallcore.errors import ConfigError
from protocol.fakebus import FakeBroker, FakeBus

from ..queue.conftest import HALL, Hall, load_hall, make_settings
from ..queue.hall import Clock
from .conftest import press

KEYPAD = {"next": 5, "recall": 6, "skip": 13, "pause": 19, "finish": 26}
EVAL = {"very_satisfied": 17, "satisfied": 27, "basic": 22, "unsatisfied": 23, "very_unsatisfied": 24}
LED = 20


def wait_for(condition, timeout: float = 5.0) -> None:
    """Bounded wait for a condition another thread makes true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def fake_hall(tmp_path):
    clock, broker = Clock(), FakeBroker()
    backend = build(make_settings(tmp_path), FakeBus(broker, HALL, client_id="backend"), clock=clock)
    load_hall(backend)
    backend.start()
    yield Hall(backend, broker, clock)
    backend.stop()


def stepping_clock(step: float = 1.0):
    """A clock that moves *step* seconds per reading: every key press is a fresh press, however fast."""
    ticks = itertools.count()
    return lambda: next(ticks) * step


def node_for(device: str, role: str, bus, factory, replies: queue.Queue, clock=None, **settings):
    clock = clock or (stepping_clock() if role == "keypad" else time.monotonic)
    config = CounterSettings(hall=HALL, device=device, role=role, window="w1", debounce_s=0.05, **settings)
    return CounterNode(config, bus, pin_factory=factory, clock=clock,
                       on_reply=lambda ask, reply: replies.put((ask, reply)), tick_s=0.05)


def test_keypad_and_evaluator_on_a_fake_bus(fake_hall, mock_factory):
    replies: queue.Queue = queue.Queue()
    keys = node_for("keypad-1", "keypad", FakeBus(fake_hall.broker, HALL, device="keypad-1"), mock_factory,
                    replies).start()
    rater = node_for("eval-1", "evaluator", FakeBus(fake_hall.broker, HALL, device="eval-1"), mock_factory,
                     replies).start()
    try:
        fake_hall.ok("kiosk-1", "ticket.issue", queue="qa")
        press(mock_factory, KEYPAD["pause"])  # closed window: the toggle opens it
        assert replies.get(timeout=5)[1].result["window"]["status"] == "open"
        press(mock_factory, KEYPAD["next"])
        assert replies.get(timeout=5)[1].result["ticket"] == "A001"
        press(mock_factory, KEYPAD["skip"])
        ask, reply = replies.get(timeout=5)
        assert reply.ok and ask.params["reason"] == "未到场"
        assert not mock_factory.pin(LED).state  # nothing to rate after a no-show
        fake_hall.ok("kiosk-1", "ticket.issue", queue="qa")
        press(mock_factory, KEYPAD["next"])
        replies.get(timeout=5)
        press(mock_factory, KEYPAD["finish"])
        replies.get(timeout=5)
        assert mock_factory.pin(LED).state  # lit: a rating is expected
        press(mock_factory, EVAL["very_satisfied"])
        ask, reply = replies.get(timeout=5)
        assert reply.ok and reply.result["label"] == "非常满意"
        assert not mock_factory.pin(LED).state
        press(mock_factory, KEYPAD["pause"])
        assert replies.get(timeout=5)[1].result["window"]["status"] == "paused"
    finally:
        keys.stop()
        rater.stop()


def test_bouncing_contact_presses_once(fake_hall, mock_factory):
    replies: queue.Queue = queue.Queue()
    now = [0.0]
    keys = node_for("keypad-1", "keypad", FakeBus(fake_hall.broker, HALL, device="keypad-1"), mock_factory,
                    replies, clock=lambda: now[0]).start()
    try:
        for _ in range(3):  # three closures within 10 ms: one press
            press(mock_factory, KEYPAD["pause"])
            now[0] += 0.005
        now[0] += 1
        press(mock_factory, KEYPAD["pause"])
        assert replies.get(timeout=5)[0].type == "window.resume"
        assert replies.get(timeout=5)[0].type == "window.pause"
        assert replies.empty()
    finally:
        keys.stop()


def test_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="role"):
        CounterSettings(device="x", window="1", role="wall").check()
    with pytest.raises(ConfigError, match="window"):
        CounterSettings(device="x", role="keypad").check()
    with pytest.raises(ConfigError, match="poor_reasons"):
        CounterSettings(device="x", window="1", poor_reasons=("好",) * 5).check()
    path = tmp_path / "keypad.toml"
    path.write_text('hall = "test"\ndevice = "k"\nrole = "keypad"\nwindow = ""\n', encoding="utf-8")
    assert main(["--config", str(path)]) == 2


@pytest.mark.broker
def test_keypad_and_evaluator_over_the_real_broker(broker, tmp_path, mock_factory):
    from protocol.client import MqttBus

    clock = Clock()
    backend_bus = MqttBus(broker.settings("backend"), HALL, client_id="backend")
    backend = build(make_settings(tmp_path), backend_bus, clock=clock)
    load_hall(backend)
    backend.start()
    assert backend_bus.wait_connected(10)
    hall = Hall(backend, None, clock)
    replies: queue.Queue = queue.Queue()
    keypad_bus = MqttBus(broker.settings("keypad-1"), HALL, device="keypad-1")
    eval_bus = MqttBus(broker.settings("eval-1"), HALL, device="eval-1")
    keys = node_for("keypad-1", "keypad", keypad_bus, mock_factory, replies).start()
    rater = node_for("eval-1", "evaluator", eval_bus, mock_factory, replies).start()
    try:
        assert keypad_bus.wait_connected(10) and eval_bus.wait_connected(10)
        hall.ok("kiosk-1", "ticket.issue", queue="qa")
        press(mock_factory, KEYPAD["pause"])
        assert replies.get(timeout=10)[1].ok
        wait_for(lambda: keys.logic.status == "open")  # the retained window state came back
        press(mock_factory, KEYPAD["next"])
        assert replies.get(timeout=10)[1].result["ticket"] == "A001"
        press(mock_factory, KEYPAD["finish"])
        assert replies.get(timeout=10)[1].ok
        wait_for(lambda: mock_factory.pin(LED).state)  # the evaluator's lamp asks for a rating
        press(mock_factory, EVAL["unsatisfied"])  # poor: the lamp blinks for a reason key
        wait_for(lambda: rater.logic.lamp() == "blink")
        press(mock_factory, EVAL["very_satisfied"])  # key 1 = 服务态度
        ask, reply = replies.get(timeout=10)
        assert reply.ok and ask.params == {"window": "w1", "ticket_id": ask.params["ticket_id"], "level": 2,
                                           "reasons": ["服务态度"]}
        with backend.engine.connect() as conn:
            row = conn.execute(sa.select(evaluations)).one()
        assert (row.level, row.reasons, row.followup_status, row.channel) == (2, "服务态度", "待回访", "eval-1")
        wait_for(lambda: not mock_factory.pin(LED).state)
        # a keypad bound to w1 cannot command w2, whatever its settings say
        keys.logic.window = "w2"
        press(mock_factory, KEYPAD["next"])
        assert replies.get(timeout=10)[1].error.code == "not_permitted"
    finally:
        keys.stop()
        rater.stop()
        backend.stop()
