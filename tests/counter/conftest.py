"""gpiozero's MockFactory for one test, and a backend for the counter node to talk to."""

from __future__ import annotations

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory


@pytest.fixture
def mock_factory():
    """MockFactory for one test; the previous factory comes back after."""
    previous = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = previous


def press(factory: MockFactory, pin: int) -> None:
    """A key press: the contact closes to GND (the pin is pulled up), then opens."""
    factory.pin(pin).drive_low()
    factory.pin(pin).drive_high()
