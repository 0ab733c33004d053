"""Settings of a counter node: the device file ``hall device add`` writes, plus pins.

::

    hall = "demo"
    device = "keypad-3"
    role = "keypad"          # or "evaluator"
    window = "3"

    [broker]                 # protocol.connection.BrokerSettings
    host = "192.168.1.2"
    port = 8883
    ...

    [keypad]                 # BCM pins, optional (defaults: hardware.gpio.CALLER_KEYPAD_PINS)
    next = 5

Loaded with :func:`hallcore.settings.load`, so ``HALL_KEYPAD__NEXT=12`` works too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hallcore.errors import ConfigError
from protocol.connection import DeviceSettings
from protocol.models import EVALUATION_REASONS

ROLES = ("keypad", "evaluator")


@dataclass(frozen=True)
class KeypadPins:
    """Caller keypad keys, BCM numbers; each key between its pin and GND."""

    next: int = 5
    recall: int = 6
    skip: int = 13
    pause: int = 19      # pause / resume toggle
    finish: int = 26


@dataclass(frozen=True)
class EvaluatorPins:
    """Evaluator keys from best to worst, and the lamp that asks for a rating."""

    very_satisfied: int = 17
    satisfied: int = 27
    basic: int = 22
    unsatisfied: int = 23
    very_unsatisfied: int = 24
    led: int = 20


@dataclass(frozen=True)
class CounterSettings(DeviceSettings):
    # hall, device, role, window, [broker]: DeviceSettings (written by `hall device add`)
    role: str = "keypad"
    keypad: KeypadPins = field(default_factory=KeypadPins)
    evaluator: EvaluatorPins = field(default_factory=EvaluatorPins)
    pin_factory: str = ""            # "" = gpiozero's default for the board; "mock" = emulated pins
    debounce_s: float = 0.05
    request_timeout_s: float = 5.0
    skip_reason: str = "未到场"       # the keypad has no text entry: the reason its skip key records
    #: After 不满意 / 非常不满意 the evaluator's lamp blinks and, for this long, the five keys pick a
    #: reason (key 1 = the first reason below, ..., key 5 = the last); no key, no rating.
    reason_timeout_s: float = 15.0
    poor_reasons: tuple[str, ...] = ("服务态度", "服务效率", "服务水平", "办事指南不准确", "多次跑动")

    def check(self) -> "CounterSettings":
        """Raise ConfigError naming the field when the settings cannot work."""
        if self.role not in ROLES:
            raise ConfigError(f"role must be one of {', '.join(ROLES)}, not {self.role!r}")
        if not self.device:
            raise ConfigError("device is empty: use the settings file `hall device add` wrote")
        if not self.window:
            raise ConfigError(f"a {self.role} belongs to a window: set window")
        if len(self.poor_reasons) != 5 or any(r not in EVALUATION_REASONS for r in self.poor_reasons):
            raise ConfigError(f"poor_reasons must be five of {', '.join(EVALUATION_REASONS)}")
        return self
