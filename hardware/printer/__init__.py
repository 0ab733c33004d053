"""Thermal ticket printer (ESC/POS): slips, pure layout, connectors, emulator.

See :mod:`hardware.printer.ticket_printer` for wiring and
:mod:`hardware.printer.connectors` for the settings of each connection kind.
"""

from .commands import PAPER_COLUMNS, encode_text, text_columns, wrap
from .connectors import open_printer
from .decode import decode_text, parse
from .emulator import EmulatedPrinter, FolderPrinter
from .layout import checklist_bytes, ticket_bytes
from .render import render_png
from .slips import ChecklistSlip, MaterialLine, TicketSlip
from .ticket_printer import PaperStatus, TicketPrinter, paper_status_from_byte

__all__ = [
    "PAPER_COLUMNS", "ChecklistSlip", "EmulatedPrinter", "FolderPrinter", "MaterialLine",
    "PaperStatus", "TicketPrinter", "TicketSlip", "checklist_bytes", "decode_text",
    "encode_text", "open_printer", "paper_status_from_byte", "parse", "render_png",
    "text_columns", "ticket_bytes", "wrap",
]
