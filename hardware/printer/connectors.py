"""Build the python-escpos printer object named in the settings.

``open_printer(kind, **options)``; kinds and their options:

==========  =====================================================================
``usb``     ``vendor_id``, ``product_id`` (int or "0x0416" text), optional
            ``in_ep``, ``out_ep``, ``timeout`` (ms). Needs the ``pyusb`` package
            and a udev rule giving the kiosk user access to the device.
``serial``  ``device`` (e.g. /dev/ttyUSB0), ``baudrate`` (default 9600),
            ``timeout`` (s, default 1).
``network`` ``host``, ``port`` (default 9100), ``timeout`` (s, default 5: also
            bounds the paper-status read).
``file``    ``path`` (e.g. /dev/usb/lp0, or a plain file to capture bytes).
``dummy``   no options: bytes stay in memory (``.output``).
``emulator`` ``folder``; optional ``columns`` (32 or 48): each printout is
            written there as .bin and .png.
==========  =====================================================================

Nothing is opened here: python-escpos opens the device on first use, so a
missing printer shows up as :class:`~hardware.errors.PrinterOffline` when the
first ticket is printed.
"""

from hallcore.errors import ConfigError
from escpos.printer import Dummy, File, Network, Serial, Usb

from .emulator import FolderPrinter

KINDS = ("usb", "serial", "network", "file", "dummy", "emulator")


def _int(options: dict, name: str, default: int | None = None) -> int:
    value = options.get(name, default)
    if value is None:
        raise ConfigError(f"printer setting '{name}' is missing")
    try:
        return int(value, 0) if isinstance(value, str) else int(value)
    except ValueError as error:
        raise ConfigError(f"printer setting '{name}' must be a number, got {value!r}") from error


def _text(options: dict, name: str) -> str:
    value = options.get(name)
    if not value:
        raise ConfigError(f"printer setting '{name}' is missing")
    return str(value)


def open_printer(kind: str, **options):
    """Return the python-escpos printer for ``kind`` (see the module docstring)."""
    if kind == "usb":
        if not Usb.is_usable():
            raise ConfigError("printer kind 'usb' needs the pyusb package: pip install pyusb")
        return Usb(_int(options, "vendor_id"), _int(options, "product_id"),
                   timeout=_int(options, "timeout", 0),
                   in_ep=_int(options, "in_ep", 0x82), out_ep=_int(options, "out_ep", 0x01))
    if kind == "serial":
        return Serial(devfile=_text(options, "device"), baudrate=_int(options, "baudrate", 9600),
                      timeout=float(options.get("timeout", 1)))
    if kind == "network":
        return Network(_text(options, "host"), port=_int(options, "port", 9100),
                       timeout=float(options.get("timeout", 5)))
    if kind == "file":
        return File(devfile=_text(options, "path"))
    if kind == "dummy":
        return Dummy()
    if kind == "emulator":
        return FolderPrinter(_text(options, "folder"), columns=_int(options, "columns", 32))
    raise ConfigError(f"printer kind {kind!r} is unknown: use one of {', '.join(KINDS)}")
