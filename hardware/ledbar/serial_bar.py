"""Talk to a BX-5/6 window bar over RS-485 (or any pyserial port / URL).

Wiring: the controller's RS-485 A/B go to the adapter's A/B (swap them if the
bar never answers), GND to GND; one bus can carry several bars, each with its
own address (set with Onbon's LedshowTW tool). Settings: 8 data bits, no
parity, 1 stop bit; baud rate as configured in the controller (9600 or 57600).

::

    from hardware.ledbar import SerialLedBar, text_frame, TextRun
    with SerialLedBar("/dev/ttyUSB0", baudrate=9600, address=1) as bar:
        reply = bar.show([TextRun("A012 请到3号窗口")])

``port`` may also be a pyserial URL (``loop://``, ``socket://host:port`` for
an RS-485-to-Ethernet box, ``rfc2217://...``). ``rs485=True`` asks the kernel
to drive the transceiver's DE/RE line (``serial.rs485.RS485Settings``); USB
adapters that switch direction themselves need nothing, and ports that do not
support it log a warning and carry on.

``send`` never blocks forever: each attempt waits at most ``timeout`` seconds
for a reply frame, ``retries`` more attempts follow, then
:class:`~hardware.errors.BarNotAnswering` is raised.
"""

import logging
import threading
import time

import serial
import serial.rs485

from ..errors import BarNotAnswering, BarRejected, FrameError
from .commands import Area, Reply, TextRun, clear_frame, parse_reply, ping_frame, text_frame
from .frame import REPLY_REQUIRED, FrameReader, decode_frame

log = logging.getLogger(__name__)
POLL_S = 0.02
RETRY_STATUSES = {0x03, 0x05}  # busy, CRC error: worth sending again


class SerialLedBar:
    """One RS-485 bus: ``address`` is the default bar, ``show(..., address=n)`` any other."""

    def __init__(self, port: "str | serial.SerialBase", *, baudrate: int = 9600,
                 address: int = 1, timeout: float = 1.0, retries: int = 2,
                 rs485: bool = False) -> None:
        self.address = address
        self.timeout = timeout
        self.retries = retries
        self._lock = threading.Lock()
        self._closed = False
        if isinstance(port, serial.SerialBase):
            self._port = port
        elif "://" in port:
            self._port = serial.serial_for_url(port, baudrate=baudrate, timeout=POLL_S)
        else:
            self._port = serial.Serial(port, baudrate=baudrate, bytesize=serial.EIGHTBITS,
                                       parity=serial.PARITY_NONE,
                                       stopbits=serial.STOPBITS_ONE, timeout=POLL_S)
        self._port.timeout = POLL_S
        if rs485:
            self._enable_rs485()

    def _enable_rs485(self) -> None:
        try:
            self._port.rs485_mode = serial.rs485.RS485Settings(
                rts_level_for_tx=True, rts_level_for_rx=False)
        except (ValueError, AttributeError, OSError, NotImplementedError) as error:
            log.warning("port %s does not take kernel RS-485 settings (%s); "
                        "relying on the adapter's own direction control", self._port.port, error)
            # pyserial keeps the refused settings and would retry them on every
            # reconfiguration: drop them.
            self._port.rs485_mode = None

    def send(self, frame: bytes, timeout: float | None = None) -> Reply | None:
        """Write ``frame`` and return the bar's reply (None when no reply was asked for)."""
        if self._closed:
            raise BarNotAnswering("the LED bar connection is closed; open a new SerialLedBar")
        wait = self.timeout if timeout is None else timeout
        request = decode_frame(frame)
        wants_reply, address = request.flag == REPLY_REQUIRED, request.dst
        with self._lock:
            reply = None
            for attempt in range(self.retries + 1):
                self._port.reset_input_buffer()
                self._port.write(frame)
                self._port.flush()
                if not wants_reply:
                    return None
                reply = self._read_reply(frame, wait)
                if reply is None:
                    log.info("LED bar %s: no reply (attempt %d)", address, attempt + 1)
                elif reply.ok:
                    return reply
                elif reply.status not in RETRY_STATUSES:
                    break
        if reply is None:
            raise BarNotAnswering(
                f"LED bar at address {address} on {self._port.port} sent no reply in "
                f"{wait:g} s ({self.retries + 1} attempts): check power, RS-485 A/B wiring, "
                "the bar address and the baud rate")
        raise BarRejected(f"LED bar at address {address} refused the command: "
                          f"{reply.message}", reply.status)

    def _read_reply(self, sent: bytes, wait: float) -> Reply | None:
        reader, deadline = FrameReader(), time.monotonic() + wait
        while time.monotonic() < deadline:
            chunk = self._port.read(self._port.in_waiting or 1)
            for raw in reader.feed(chunk):
                if raw == sent:
                    continue  # our own frame echoed by a half-duplex adapter
                try:
                    return parse_reply(decode_frame(raw))
                except FrameError as error:
                    log.warning("LED bar %s: unreadable reply (%s)", self.address, error)
        return None

    # ``address`` picks another bar on the same bus (default: this object's).
    def ping(self, address: int | None = None) -> Reply | None:
        return self.send(ping_frame(address or self.address))

    def clear(self, address: int | None = None) -> Reply | None:
        return self.send(clear_frame(address or self.address))

    def show(self, runs: list[TextRun], area: Area = Area(), *, address: int | None = None,
             **options) -> Reply | None:
        """Send coloured text to a dynamic area (see :func:`text_frame` for options)."""
        return self.send(text_frame(runs, area, address=address or self.address, **options))

    def close(self) -> None:
        """Close the port; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._port.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "SerialLedBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
