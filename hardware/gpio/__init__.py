"""Buttons and lamps on the Raspberry Pi's GPIO header, through gpiozero."""

from .buttons import (
    CALLER_KEYPAD_PINS, EVALUATOR_PINS, KIOSK_BUTTON_PIN, ButtonPanel, DebouncedButton,
)
from .leds import PAPER_LED_PIN, READY_LED_PIN, StatusLed

__all__ = [
    "CALLER_KEYPAD_PINS", "EVALUATOR_PINS", "KIOSK_BUTTON_PIN", "PAPER_LED_PIN",
    "READY_LED_PIN", "ButtonPanel", "DebouncedButton", "StatusLed",
]
