"""Small helpers several test packages share: mock GPIO pins, a settable clock, bounded waits."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from protocol import ProtocolError, new_id
from protocol.models import Request


@pytest.fixture
def mock_factory():
    """gpiozero's MockFactory for one test; the previous factory comes back after."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    previous = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = previous


class SettableClock:
    """An injectable wall clock: ``clock()`` is now; ``advance(minutes=...)`` moves it."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def wait_until(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    """Bounded wait on a condition another thread makes true (a real broker's delivery)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def call_until_answered(bus, kind: str, params: dict, timeout: float = 60.0) -> dict:
    """Send one request and re-send it with the same id until answered, as the nodes do
    across a broker restart; a refusal is raised at once."""
    request = Request(id=new_id("t-"), type=kind, params=params)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return bus.call(request, timeout=3)
        except ProtocolError as exc:
            if exc.code != "timeout" or time.monotonic() > deadline:
                raise
            bus.connected.wait(1)
