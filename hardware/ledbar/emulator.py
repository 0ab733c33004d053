"""A BX-5/6 bar that lives in a thread at the other end of a pseudo-terminal.

::

    with EmulatedLedBar(address=1) as fake:           # makes its own pty
        with SerialLedBar(fake.port, address=1) as bar:
            bar.show([TextRun("A012 请到3号窗口")])
        fake.wait_for_text("A012", timeout=2)
        fake.render_png("bar.png"); print(fake.render_terminal())

``EmulatedLedBar(device="/tmp/bar-b")`` listens on an existing device instead,
e.g. one end of ``socat -d -d pty,raw,echo=0,link=/tmp/bar-a
pty,raw,echo=0,link=/tmp/bar-b`` while the signage node opens /tmp/bar-a.

It decodes every frame, answers A2 00 (ping), A3 10 (clear) and A3 06
(dynamic-area text) with an ACK, anything else with NACK "unknown command", a
bad CRC with NACK "CRC error", and keeps the text it shows. ``answer=False``
makes a bar that never replies.
"""

import os
import selectors
import threading
import tty
from pathlib import Path

from ..errors import FrameError
from .commands import TextRun, decode_runs, parse_dynamic_areas, reply_frame
from .content import plain_text
from .frame import REPLY_REQUIRED, Frame, FrameReader, decode_frame
from .render import CJK_FONT, render_bar_png, render_terminal


class EmulatedLedBar:
    """A fake controller on a pty (or any serial-like device file)."""

    def __init__(self, *, address: int = 1, width: int = 160, height: int = 16,
                 answer: bool = True, device: str | None = None,
                 font_path: str = CJK_FONT) -> None:
        self.address, self.width, self.height = address, width, height
        self.answer, self.font_path = answer, font_path
        self.runs: list[TextRun] = []
        self.frames: list[Frame] = []
        self.errors: list[str] = []
        self._changed = threading.Condition()
        self._reader = FrameReader()
        if device is None:
            self._fd, self._peer_fd = os.openpty()
            tty.setraw(self._peer_fd)
            self.port = os.ttyname(self._peer_fd)
        else:
            self._fd, self._peer_fd = os.open(device, os.O_RDWR | os.O_NOCTTY), None
            if os.isatty(self._fd):
                tty.setraw(self._fd)
            self.port = device
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="emulated-led-bar", daemon=True)
        self._started = self._stopped = False

    @property
    def text(self) -> str:
        """What the bar shows, without colours."""
        return plain_text(self.runs)

    def start(self) -> "EmulatedLedBar":
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close the device; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._started:
            os.write(self._wake_w, b"x")
            self._thread.join(timeout=5)
        for fd in (self._fd, self._peer_fd, self._wake_r, self._wake_w):
            if fd is not None:
                os.close(fd)

    close = stop

    def __enter__(self) -> "EmulatedLedBar":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, predicate, timeout: float) -> bool:
        """Block until ``predicate(self)`` is true or ``timeout`` passes; returns the outcome."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout=timeout)

    def wait_for_text(self, fragment: str, timeout: float) -> bool:
        return self.wait_for(lambda bar: fragment in bar.text, timeout)

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                ready = [key.fd for key, _ in selector.select()]
                if self._wake_r in ready:
                    return
                try:
                    chunk = os.read(self._fd, 4096)
                except OSError:  # the peer side went away (EIO on a pty)
                    return
                for raw in self._reader.feed(chunk):
                    self._handle(raw)

    def _handle(self, raw: bytes) -> None:
        try:
            frame = decode_frame(raw)
        except FrameError as error:
            with self._changed:
                self.errors.append(str(error))
                self._changed.notify_all()
            if self.answer and "CRC" in str(error):
                self._write(reply_frame(Frame(0, 0, dst=self.address), status=0x05))
            return
        if frame.dst not in (self.address, 0xFFFF, 0xFFFE) or frame.group == 0xA0:
            return  # another bar's frame, or a reply on the bus
        status = self._apply(frame)
        with self._changed:
            self.frames.append(frame)
            self._changed.notify_all()
        if self.answer and frame.flag == REPLY_REQUIRED:
            self._write(reply_frame(frame, status))

    def _apply(self, frame: Frame) -> int:
        if (frame.group, frame.command) == (0xA2, 0x00):
            return 0
        if (frame.group, frame.command) == (0xA3, 0x10):
            with self._changed:
                self.runs = []
            return 0
        if (frame.group, frame.command) == (0xA3, 0x06):
            try:
                areas = parse_dynamic_areas(frame.payload)
            except FrameError as error:
                self.errors.append(str(error))
                return 0x02
            with self._changed:
                for _area, text in areas:
                    self.runs = decode_runs(text)
            return 0
        return 0x02

    def _write(self, data: bytes) -> None:
        try:
            os.write(self._fd, data)
        except OSError as error:
            self.errors.append(f"reply not written: {error}")

    def render_png(self, path: str | Path | None = None, *, pitch: int = 6):
        """The bar as a dot-matrix PNG (returns the Pillow image)."""
        return render_bar_png(self.runs, path, width=self.width, height=self.height,
                              pitch=pitch, font_path=self.font_path)

    def render_terminal(self, *, color: bool = True) -> str:
        return render_terminal(self.runs, color=color)
