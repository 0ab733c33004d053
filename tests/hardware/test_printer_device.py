"""TicketPrinter against the emulated printer, plain Dummy and the connectors."""

import pytest
from escpos.printer import Dummy, File

from hallcore.errors import ConfigError
from hardware.errors import HardwareError, PaperOut, PrinterOffline
from hardware.printer import (
    EmulatedPrinter, FolderPrinter, PaperStatus, TicketPrinter, checklist_bytes, open_printer,
    paper_status_from_byte, ticket_bytes,
)

PAPER_REQUEST = b"\x10\x04\x04"


@pytest.mark.parametrize("paper", [PaperStatus.OK, PaperStatus.NEAR_END, PaperStatus.OUT])
def test_paper_status_read_from_the_sensor(paper):
    device = EmulatedPrinter(paper=paper)
    assert TicketPrinter(device).paper_status() is paper
    assert device.status_requests == [PAPER_REQUEST]


def test_no_reply_is_unknown_not_plenty_of_paper():
    device = EmulatedPrinter(paper=PaperStatus.UNKNOWN)
    assert TicketPrinter(device).paper_status() is PaperStatus.UNKNOWN
    assert device.paper_status() == 2  # python-escpos 3.1's own reading: the trap avoided


def test_dummy_without_status_support_is_unknown_and_still_prints(ticket):
    device = Dummy()  # its _read raises NotImplementedError
    printer = TicketPrinter(device)
    assert printer.print_ticket(ticket) is PaperStatus.UNKNOWN
    assert device.output == PAPER_REQUEST + ticket_bytes(ticket)


@pytest.mark.parametrize("reply", [b"\xff", b"\x00", b"\x80"])
def test_a_reply_without_the_fixed_bits_is_unknown(reply):
    assert paper_status_from_byte(reply[0]) is PaperStatus.UNKNOWN


def test_both_paper_end_sensors_read_as_out():
    assert paper_status_from_byte(0x7E) is PaperStatus.OUT


class BrokenReadPrinter(EmulatedPrinter):
    def _read(self) -> bytes:
        raise OSError("read timed out")


def test_read_error_is_unknown():
    assert TicketPrinter(BrokenReadPrinter()).paper_status() is PaperStatus.UNKNOWN


def test_paper_out_raises_and_prints_nothing(ticket, checklist):
    device = EmulatedPrinter(paper=PaperStatus.OUT)
    printer = TicketPrinter(device)
    with pytest.raises(PaperOut, match="out of paper") as caught:
        printer.print_ticket(ticket)
    assert isinstance(caught.value, OSError) and isinstance(caught.value, HardwareError)
    with pytest.raises(PaperOut):
        printer.print_checklist(checklist)
    assert device.output == b""


def test_ticket_and_checklist_are_printed_byte_for_byte(ticket, checklist):
    device = EmulatedPrinter(paper=PaperStatus.NEAR_END)
    printer = TicketPrinter(device, width=48)
    assert printer.print_ticket(ticket) is PaperStatus.NEAR_END
    assert printer.print_checklist(checklist) is PaperStatus.NEAR_END
    assert device.output == ticket_bytes(ticket, 48) + checklist_bytes(checklist, 48)


def test_online_state_from_dle_eot_1():
    assert TicketPrinter(EmulatedPrinter(online=True)).is_online() is True
    assert TicketPrinter(EmulatedPrinter(online=False)).is_online() is False
    assert TicketPrinter(Dummy()).is_online() is None


class UnpluggedPrinter(EmulatedPrinter):
    def _raw(self, msg: bytes) -> None:
        if not msg.startswith(b"\x10\x04"):
            raise OSError(19, "No such device")
        super()._raw(msg)


def test_write_failure_is_printer_offline(ticket):
    with pytest.raises(PrinterOffline, match="check power, cable"):
        TicketPrinter(UnpluggedPrinter()).print_ticket(ticket)


def test_close_is_safe_twice_and_with_closes(ticket):
    device = EmulatedPrinter()
    with TicketPrinter(device) as printer:
        printer.print_ticket(ticket)
    assert printer.closed and device.closed
    printer.close()
    with pytest.raises(PrinterOffline):
        printer.print_ticket(ticket)


def test_file_connector_writes_the_bytes(tmp_path, ticket):
    target = tmp_path / "lp0"
    device = open_printer("file", path=str(target))
    assert isinstance(device, File)
    with TicketPrinter(device) as printer:
        printer.print_ticket(ticket)
    assert target.read_bytes() == PAPER_REQUEST + ticket_bytes(ticket)


def test_missing_file_device_is_printer_offline(tmp_path, ticket):
    device = open_printer("file", path=str(tmp_path / "no-such-dir" / "lp0"))
    with pytest.raises(PrinterOffline):
        TicketPrinter(device).print_ticket(ticket)


def test_connector_kinds_build_the_right_objects(tmp_path):
    assert type(open_printer("dummy")) is Dummy
    assert isinstance(open_printer("emulator", folder=str(tmp_path)), FolderPrinter)
    network = open_printer("network", host="192.0.2.10")
    assert (network.host, network.port, network.timeout) == ("192.0.2.10", 9100, 5.0)
    serial_printer = open_printer("serial", device="/dev/ttyUSB9", baudrate="19200")
    assert (serial_printer.devfile, serial_printer.baudrate) == ("/dev/ttyUSB9", 19200)


def test_usb_connector_takes_hex_ids_or_says_what_to_install():
    try:
        device = open_printer("usb", vendor_id="0x0416", product_id="0x5011")
    except ConfigError as error:
        assert "pyusb" in str(error)
    else:
        assert device.usb_args == {"idVendor": 0x0416, "idProduct": 0x5011}


@pytest.mark.parametrize("kind, options, message", [
    ("laser", {}, "unknown"),
    ("network", {}, "'host' is missing"),
    ("serial", {"device": "/dev/ttyS0", "baudrate": "fast"}, "must be a number"),
])
def test_bad_settings_are_config_errors(kind, options, message):
    with pytest.raises(ConfigError, match=message):
        open_printer(kind, **options)
