"""Soak: a hall issuing and calling for minutes while the broker restarts (``make soak``).

Kiosk and keypad retry with the same request id until they get a reply, as
the nodes do; the wall listens with a persistent session. At the end: the
numbers are contiguous, every call reached the wall exactly once after
de-duplication by event id, and nothing was lost across the restarts.
SOAK_SECONDS (default 120), SOAK_RESTART_EVERY (default 20) and SOAK_RATE (tickets a second, each
issued, called and finished; default 40, a very busy hall) tune it.  The rate is capped because a
queue gives at most 9,999 numbers a day: unpaced, the backend now serves that many in a minute.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from backend.queue.domain import MAX_SEQ
from protocol import Deduper, decode
from protocol.client import MqttBus
from protocol.models import CallEvent
from tests.support.fixtures import call_until_answered
from tests.support.hall import start_backend

pytestmark = [pytest.mark.soak, pytest.mark.broker]


def test_issue_and_call_through_broker_restarts(own_broker, tmp_path):
    seconds = float(os.environ.get("SOAK_SECONDS", "120"))
    restart_every = float(os.environ.get("SOAK_RESTART_EVERY", "20"))
    rate = float(os.environ.get("SOAK_RATE", "40"))
    assert seconds * rate < MAX_SEQ, f"{seconds:g} s at {rate:g}/s would use up queue A's numbers for the day"
    backend = start_backend(own_broker, tmp_path)
    kiosk = MqttBus(own_broker.settings("kiosk-1"), own_broker.hall, device="kiosk-1").start()
    keypad = MqttBus(own_broker.settings("keypad-1"), own_broker.hall, device="keypad-1").start()
    wall = MqttBus(own_broker.settings("wall-1"), own_broker.hall, device="wall-1")
    seen_events: list[str] = []
    shown: list[str] = []
    dedup = Deduper()
    lock = threading.Lock()

    def on_call(message) -> None:
        event = decode(CallEvent, message.payload)
        with lock:
            seen_events.append(event.event_id)
            if not dedup.seen(event.event_id):
                shown.append(event.ticket)

    wall.subscribe(wall.topics.call_event(), on_call)
    wall.start()
    for bus in (kiosk, keypad, wall):
        assert bus.wait_connected(10)
    issued, called, restarts = [], [], 0
    start = time.monotonic()
    end = start + seconds
    next_restart = start + restart_every
    try:
        while time.monotonic() < end:
            ahead = start + len(issued) / rate - time.monotonic()
            if ahead > 0:   # pacing, not waiting for anything
                time.sleep(ahead)
            ticket = call_until_answered(kiosk, "ticket.issue", {"queue": "A"})
            issued.append(ticket["ticket"]["number"])
            result = call_until_answered(keypad, "window.call_next", {})
            called.append(result["ticket"])
            call_until_answered(keypad, "window.finish", {})
            if time.monotonic() > next_restart:
                own_broker.restart()
                restarts += 1
                next_restart = time.monotonic() + restart_every
        final = time.monotonic() + 30
        while time.monotonic() < final:
            with lock:
                if len(shown) >= len(called):
                    break
            time.sleep(0.1)
    finally:
        for bus in (kiosk, keypad, wall):
            bus.stop()
        backend.stop()
    assert restarts >= 1 or seconds < restart_every
    assert issued == [f"A{n:03d}" for n in range(1, len(issued) + 1)]  # contiguous, nothing repeated
    assert called == issued
    with lock:
        assert sorted(shown) == sorted(called), f"{len(shown)} shown of {len(called)} called"
        assert len(shown) == len(set(shown))
    print(f"soak: {len(issued)} tickets, {restarts} broker restarts, {len(seen_events) - len(shown)} duplicate "
          "deliveries removed by event id")
