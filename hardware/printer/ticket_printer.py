"""The kiosk's ticket printer behind one small interface.

Wiring::

    from hardware.printer import TicketPrinter, open_printer
    with TicketPrinter(open_printer("usb", vendor_id=0x0416, product_id=0x5011),
                       width=32) as printer:          # 58 mm paper: 32 columns
        status = printer.print_ticket(slip)           # PaperStatus.NEAR_END: warn staff

``TicketPrinter`` wraps any python-escpos printer object (composition, not
inheritance) and talks to it through ``_raw`` and ``_read`` only. Before each
slip it asks the paper sensor (``DLE EOT 4``); a printer that cannot answer
(no back channel, ``NotImplementedError``, a read error, an empty or
malformed reply) reads as :attr:`PaperStatus.UNKNOWN` and the slip is still
printed. python-escpos 3.1's own ``paper_status()`` reads an empty reply as
"plenty of paper", which is why the byte is read here.
"""

import enum
import logging

from escpos.exceptions import Error as EscposError

from ..errors import PaperOut, PrinterOffline
from .commands import STATUS_PAPER, STATUS_PRINTER
from .layout import checklist_bytes, ticket_bytes
from .slips import ChecklistSlip, TicketSlip

log = logging.getLogger(__name__)

# python-escpos connectors raise their own errors when opening fails, and once
# an open has failed their _raw trips over ``assert self.device``.
_LINK_ERRORS = (OSError, EscposError, AssertionError)


class PaperStatus(enum.Enum):
    """What the paper roll sensor says."""

    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"


def paper_status_from_byte(status: int) -> PaperStatus:
    """Decode the ``DLE EOT 4`` reply byte (fixed bits: 1 and 4 set, 0 and 7 clear)."""
    if status & 0x93 != 0x12:
        return PaperStatus.UNKNOWN
    if status & 0x60:
        return PaperStatus.OUT
    if status & 0x0C:
        return PaperStatus.NEAR_END
    return PaperStatus.OK


class TicketPrinter:
    """Prints queue tickets and checklist slips; checks paper first."""

    def __init__(self, printer, *, width: int = 32) -> None:
        self._printer = printer
        self.width = width
        self._closed = False

    def _query(self, request: bytes) -> int | None:
        try:
            self._printer._raw(request)
            reply = self._printer._read()
        except NotImplementedError:
            return None
        except (*_LINK_ERRORS, ValueError) as error:
            log.warning("printer status request %s failed: %s", request.hex(" "), error)
            return None
        return reply[0] if reply else None

    def paper_status(self) -> PaperStatus:
        """Ask the paper sensor; no answer reads as UNKNOWN, never as OK."""
        status = self._query(STATUS_PAPER)
        return PaperStatus.UNKNOWN if status is None else paper_status_from_byte(status)

    def is_online(self) -> bool | None:
        """``DLE EOT 1``: True online, False offline (cover open, error), None no answer."""
        status = self._query(STATUS_PRINTER)
        if status is None or status & 0x93 != 0x12:
            return None
        return not status & 0x08

    def print_ticket(self, slip: TicketSlip) -> PaperStatus:
        """Print a queue ticket; raises PaperOut (nothing printed) when the roll is empty."""
        return self._print(ticket_bytes(slip, self.width))

    def print_checklist(self, slip: ChecklistSlip) -> PaperStatus:
        """Print the one-time notice; raises PaperOut (nothing printed) when the roll is empty."""
        return self._print(checklist_bytes(slip, self.width))

    def _print(self, data: bytes) -> PaperStatus:
        if self._closed:
            raise PrinterOffline("the ticket printer was closed; open a new TicketPrinter")
        status = self.paper_status()
        if status is PaperStatus.OUT:
            raise PaperOut("ticket printer is out of paper: load a new thermal roll (热敏纸)")
        try:
            self._printer._raw(data)
        except _LINK_ERRORS as error:
            raise PrinterOffline(
                f"ticket printer did not take the job ({error}): check power, cable and "
                "the printer settings (kind, port or USB ids)") from error
        return status

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self._printer.close()
        except _LINK_ERRORS as error:
            log.warning("closing the ticket printer failed: %s", error)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "TicketPrinter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
