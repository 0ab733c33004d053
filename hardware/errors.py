"""Errors raised by the device drivers (硬件驱动).

Every class derives from :class:`HardwareError` (itself a
:class:`hallcore.errors.HallError`) and, where one fits, from a standard
exception too, the gpiozero way: a caller may catch ``OSError`` around a print
job or ``TimeoutError`` around a bar update without knowing this module.
Messages tell the operator what to check (which device, which cable, which
setting).
"""

from hallcore.errors import HallError


class HardwareError(HallError):
    """Root of every error raised by ``hardware/``."""


class PrinterOffline(HardwareError, OSError):
    """The ticket printer cannot be reached (unplugged, off, cover open, wrong port)."""


class PaperOut(HardwareError, OSError):
    """The ticket printer reports no paper: nothing was printed."""


class PrintDataError(HardwareError, ValueError):
    """Bytes handed to the ESC/POS decoder use a command this project never emits."""


class FrameError(HardwareError, ValueError):
    """A BX-5/6 LED bar frame is malformed: preamble, escaping, length or CRC."""


class BarTextError(HardwareError, ValueError):
    """Text for the LED bar cannot be sent (character outside GB2312, bad state)."""


class BarNotAnswering(HardwareError, TimeoutError):
    """The LED bar sent no reply frame within the timeout (check RS-485 A/B, address, baud rate)."""


class BarRejected(HardwareError, RuntimeError):
    """The LED bar answered with an error status (NACK)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
