"""Push buttons on GPIO: the kiosk's take-a-number button, a caller keypad,
a five-key evaluator (评价器).

Wiring (BCM numbers, see :data:`CALLER_KEYPAD_PINS`, :data:`EVALUATOR_PINS`):
each button between its GPIO pin and GND; the Pi's internal pull-up is used,
so no resistor is needed. Keep leads short or use shielded cable near the
printer's power supply.

gpiozero's mock pins ignore ``bounce_time``, and a bouncing contact or an
impatient visitor must not take two tickets, so the debounce lives here: a
press within ``debounce_s`` of the last accepted press is ignored, measured
on an injectable ``clock`` (tests pass a fake one).

::

    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory
    Device.pin_factory = MockFactory()
    with DebouncedButton(16, on_press=issue) as button:
        Device.pin_factory.pin(16).drive_low()   # issue() runs at once
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping

from gpiozero import Button

log = logging.getLogger(__name__)

KIOSK_BUTTON_PIN = 16
#: Caller keypad at a window (叫号器): next, recall, skip (过号), pause, finish.
CALLER_KEYPAD_PINS = {"next": 5, "recall": 6, "skip": 13, "pause": 19, "finish": 26}
#: Evaluator keys, national 好差评 scale: 非常满意 … 非常不满意.
EVALUATOR_PINS = {"very_satisfied": 17, "satisfied": 27, "basic": 22,
                  "unsatisfied": 23, "very_unsatisfied": 24}


class DebouncedButton:
    """A gpiozero Button that calls ``on_press`` at most once per ``debounce_s``."""

    def __init__(self, pin: int | str, *, clock: Callable[[], float] = time.monotonic,
                 debounce_s: float = 0.05, on_press: Callable[[], None] | None = None,
                 pull_up: bool = True, pin_factory=None) -> None:
        self.on_press = on_press
        self.debounce_s = debounce_s
        self.presses = 0
        self.ignored = 0
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()
        self._button = Button(pin, pull_up=pull_up, pin_factory=pin_factory)
        self._button.when_pressed = self._pressed

    def _pressed(self) -> None:
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._last < self.debounce_s:
                self.ignored += 1
                return
            self._last = now
            self.presses += 1
        if self.on_press is not None:
            try:
                self.on_press()
            except Exception:  # a failing handler must not kill gpiozero's event thread
                log.exception("button %s handler failed", self._button.pin)

    @property
    def is_pressed(self) -> bool:
        return self._button.is_pressed

    @property
    def closed(self) -> bool:
        return self._button.closed

    def close(self) -> None:
        """Release the pin; safe to call twice."""
        self._button.close()

    def __enter__(self) -> "DebouncedButton":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ButtonPanel:
    """Several named buttons, each with its own debounce, one callback per name.

    ``on_press(name)`` receives the button's name; pass ``callbacks`` instead to
    give each name its own zero-argument function.
    """

    def __init__(self, pins: Mapping[str, int | str], *,
                 on_press: Callable[[str], None] | None = None,
                 callbacks: Mapping[str, Callable[[], None]] | None = None,
                 clock: Callable[[], float] = time.monotonic, debounce_s: float = 0.05,
                 pin_factory=None) -> None:
        unknown = set(callbacks or {}) - set(pins)
        if unknown:
            raise ValueError(f"callbacks for buttons that have no pin: {', '.join(sorted(unknown))}")
        self._on_press, self._callbacks = on_press, dict(callbacks or {})
        self.buttons: dict[str, DebouncedButton] = {}
        try:
            for name, pin in pins.items():
                self.buttons[name] = DebouncedButton(
                    pin, clock=clock, debounce_s=debounce_s, pin_factory=pin_factory,
                    on_press=lambda name=name: self._dispatch(name))
        except Exception:
            self.close()
            raise

    def _dispatch(self, name: str) -> None:
        if name in self._callbacks:
            self._callbacks[name]()
        if self._on_press is not None:
            self._on_press(name)

    def close(self) -> None:
        """Release every pin; safe to call twice."""
        for button in self.buttons.values():
            button.close()

    @property
    def closed(self) -> bool:
        return all(button.closed for button in self.buttons.values())

    def __enter__(self) -> "ButtonPanel":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
