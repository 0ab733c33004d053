"""The kiosk's optional GPIO: a physical "take a number" button and a status lamp.

Wiring (BCM numbers from the settings' ``[gpio]`` table): the button between
``take_pin`` and GND (internal pull-up), the lamp through 330 Ω from
``status_led_pin`` to GND.  The lamp is lit while numbers can be issued and
blinks while they cannot (offline, out of paper, backend silent).  A press
takes a number for ``take_item`` exactly as the screen's button does, so the
same double-press and retry rules apply; debouncing is
:class:`hardware.gpio.DebouncedButton`'s, on an injectable clock.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from hardware.gpio import DebouncedButton, StatusLed

from .node import KioskNode
from .settings import GpioSettings

log = logging.getLogger(__name__)


def pin_factory_for(name: str):
    """The gpiozero pin factory a setting names ("" = gpiozero's own choice)."""
    if name == "mock":
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    return None


class KioskGpio:
    def __init__(self, node: KioskNode, settings: GpioSettings, *, clock: Callable[[], float] = time.monotonic,
                 pin_factory=None):
        self.node = node
        self.settings = settings
        self.button: DebouncedButton | None = None
        self.led: StatusLed | None = None
        factory = pin_factory if pin_factory is not None else pin_factory_for(settings.pin_factory)
        try:
            if settings.take_pin:
                self.button = DebouncedButton(settings.take_pin, clock=clock, debounce_s=settings.debounce_s,
                                              on_press=self.pressed, pin_factory=factory)
            if settings.status_led_pin:
                self.led = StatusLed(settings.status_led_pin, pin_factory=factory)
        except Exception:
            self.close()
            raise
        self._lit: bool | None = None
        node.model.listen(self._changed)
        self.update()

    def pressed(self) -> None:
        """gpiozero's thread: the button was pressed (after debouncing)."""
        item = self.settings.take_item
        log.info("take-a-number button pressed for %s", item)
        self.node.take_number(item)

    def _changed(self, what: str) -> None:
        if what in ("device", "queues"):
            self.update()

    def update(self) -> None:
        if self.led is None:
            return
        ready = self.node.model.take_status().ok
        if ready == self._lit:
            return
        self._lit = ready
        if ready:
            self.led.on()
        else:
            self.led.blink(on_time=0.5, off_time=0.5)

    def close(self) -> None:
        """Release the pins; safe to call twice."""
        self.node.model.unlisten(self._changed)
        if self.button is not None:
            self.button.close()
        if self.led is not None:
            self.led.close()
