"""Device drivers for OneStop Hall: ticket printer, window LED bars, GPIO.

Drivers move bytes and know nothing of MQTT: the node that owns a device
wires it to the bus. Each device has a real connector and an emulator that
ships as ordinary code (see docs/hardware.md). Subpackages:

- :mod:`hardware.printer` — ESC/POS thermal printer (tickets, checklist slips)
- :mod:`hardware.ledbar` — Onbon BX-5/6 window bars over RS-485
- :mod:`hardware.gpio` — buttons (kiosk, caller keypad, evaluator) and lamps
"""

from .errors import (
    BarNotAnswering, BarRejected, BarTextError, FrameError, HardwareError, PaperOut,
    PrintDataError, PrinterOffline,
)
from .gpio import ButtonPanel, DebouncedButton, StatusLed
from .ledbar import (
    BarMode, BarState, EmulatedLedBar, SerialLedBar, TextRun, clear_frame, decode_frame,
    encode_frame, ping_frame, render_bar_text, text_frame,
)
from .printer import (
    ChecklistSlip, EmulatedPrinter, MaterialLine, PaperStatus, TicketPrinter, TicketSlip,
    open_printer, render_png,
)

__all__ = [
    "BarMode", "BarNotAnswering", "BarRejected", "BarState", "BarTextError", "ButtonPanel",
    "ChecklistSlip", "DebouncedButton", "EmulatedLedBar", "EmulatedPrinter", "FrameError",
    "HardwareError", "MaterialLine", "PaperOut", "PaperStatus", "PrintDataError",
    "PrinterOffline", "SerialLedBar", "StatusLed", "TextRun", "TicketPrinter", "TicketSlip",
    "clear_frame", "decode_frame", "encode_frame", "open_printer", "ping_frame",
    "render_bar_text", "render_png", "text_frame",
]
