"""The physical take-a-number button and the status lamp, on gpiozero's MockFactory."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.gpio import KioskGpio
from kiosk.settings import GpioSettings


@pytest.fixture
def pins():
    factory = MockFactory()          # passed in, never set as gpiozero's global factory
    yield factory
    factory.close()


def test_the_button_takes_one_number_per_press_with_debounce(node, backend, pins, clock):
    gpio = KioskGpio(node, GpioSettings(take_pin=16, take_item="GA-003", debounce_s=0.3, status_led_pin=20),
                     clock=clock, pin_factory=pins)
    try:
        pin = pins.pin(16)
        pin.drive_low()
        pin.drive_high()
        pin.drive_low()                 # contact bounce: same instant
        pin.drive_high()
        assert len(backend.requests) == 1 and node.model.desk.ticket.number == "B001"
        clock.advance(3)
        node.model.go_home()
        pin.drive_low()
        pin.drive_high()
        assert backend.issued_numbers() == ["B001", "B002"]
    finally:
        gpio.close()
        gpio.close()


def test_the_lamp_is_lit_when_ready_and_blinks_when_not(node, broker, pins):
    gpio = KioskGpio(node, GpioSettings(status_led_pin=20), pin_factory=pins)
    try:
        assert gpio.led.is_lit
        broker.set_online(False)
        node.tick()
        assert gpio._lit is False and gpio.led._led._blink_thread is not None
        broker.set_online(True)
        node.tick()
        assert gpio.led.is_lit and gpio.led._led._blink_thread is None
    finally:
        gpio.close()
    assert gpio.led.closed
