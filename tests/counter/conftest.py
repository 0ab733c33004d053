"""gpiozero's MockFactory for one test, and a backend for the counter node to talk to."""

from __future__ import annotations

from gpiozero.pins.mock import MockFactory


def press(factory: MockFactory, pin: int) -> None:
    """A key press: the contact closes to GND (the pin is pulled up), then opens."""
    factory.pin(pin).drive_low()
    factory.pin(pin).drive_high()
