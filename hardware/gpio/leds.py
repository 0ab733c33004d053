"""Status LEDs on GPIO (e.g. the kiosk's "ready" and "paper low" lamps).

Wiring: GPIO pin → 330 Ω resistor → LED anode, cathode → GND (active high).
For a lamp driven through a transistor or relay that inverts, pass
``active_high=False``. Suggested pins: :data:`READY_LED_PIN`,
:data:`PAPER_LED_PIN` (BCM).
"""

from gpiozero import LED

READY_LED_PIN = 20
PAPER_LED_PIN = 21


class StatusLed:
    """On, off or blinking; blinking runs in gpiozero's background thread."""

    def __init__(self, pin: int | str, *, active_high: bool = True, pin_factory=None) -> None:
        self._led = LED(pin, active_high=active_high, pin_factory=pin_factory)

    def on(self) -> None:
        self._led.on()

    def off(self) -> None:
        self._led.off()

    def blink(self, on_time: float = 0.5, off_time: float = 0.5, n: int | None = None,
              *, background: bool = True) -> None:
        """Blink ``n`` times (forever when None) until on()/off() is called."""
        self._led.blink(on_time=on_time, off_time=off_time, n=n, background=background)

    @property
    def is_lit(self) -> bool:
        return bool(self._led.is_lit)

    @property
    def closed(self) -> bool:
        return self._led.closed

    def close(self) -> None:
        """Switch off and release the pin; safe to call twice."""
        self._led.close()

    def __enter__(self) -> "StatusLed":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
