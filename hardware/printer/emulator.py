"""A printer that exists only in memory (and optionally on disk as PNG files).

:class:`EmulatedPrinter` is python-escpos's ``Dummy`` with a paper sensor:
set ``paper`` to any :class:`PaperStatus` and the ``DLE EOT 4`` request is
answered with the byte a real printer sends (``UNKNOWN`` answers nothing).
Status requests are answered, not printed, so ``output`` holds exactly what
would be on paper.

:class:`FolderPrinter` adds what a kiosk without a printer needs: every
printout (everything up to a cut) is appended to a folder as
``print-0001.bin`` (the raw bytes) and ``print-0001.png`` (what it would look
like). ``open_printer("emulator", folder="/var/lib/onestop/prints")`` builds one.
"""

import re
import threading
from pathlib import Path

from escpos.printer import Dummy

from .commands import DLE, EOT
from .decode import split_jobs
from .render import render_png
from .ticket_printer import PaperStatus

_PAPER_BYTE = {PaperStatus.OK: 0x12, PaperStatus.NEAR_END: 0x1E, PaperStatus.OUT: 0x72}


class EmulatedPrinter(Dummy):
    """Dummy printer whose paper sensor and online state tests can set."""

    def __init__(self, *args, paper: PaperStatus = PaperStatus.OK, online: bool = True,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.paper = paper
        self.online = online
        self.status_requests: list[bytes] = []
        self._answer = b""
        self.closed = False

    def _raw(self, msg: bytes) -> None:
        if msg[:2] == DLE + EOT and len(msg) == 3:
            self.status_requests.append(msg)
            self._answer = self._status_reply(msg[2])
            return
        super()._raw(msg)

    def _status_reply(self, kind: int) -> bytes:
        if kind == 1:
            return bytes([0x12 | (0 if self.online else 0x08)])
        if kind == 4 and self.paper in _PAPER_BYTE:
            return bytes([_PAPER_BYTE[self.paper]])
        return b""

    def _read(self) -> bytes:
        answer, self._answer = self._answer, b""
        return answer

    def render_png(self, path: str | Path | None = None, *, columns: int = 32):
        """Everything printed so far, drawn as the paper would look (Pillow image)."""
        return render_png(self.output, path, columns=columns)

    def close(self) -> None:
        self.closed = True


class FolderPrinter(EmulatedPrinter):
    """Emulated printer that writes each printout to ``folder`` as .bin and .png."""

    def __init__(self, folder: str | Path, *, columns: int = 32, **kwargs) -> None:
        super().__init__(**kwargs)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.columns = columns
        self._pending = b""
        self._lock = threading.Lock()
        self.written: list[Path] = []

    def _raw(self, msg: bytes) -> None:
        before = len(self._output_list)
        super()._raw(msg)
        if len(self._output_list) == before:
            return  # a status request
        with self._lock:
            jobs, self._pending = split_jobs(self._pending + msg)
            for job in jobs:
                self._write(job)

    def _next_stem(self) -> str:
        numbers = [int(m.group(1)) for p in self.folder.glob("print-*.bin")
                   if (m := re.fullmatch(r"print-(\d+)", p.stem))]
        return f"print-{max(numbers, default=0) + 1:04d}"

    def _write(self, job: bytes) -> None:
        stem = self._next_stem()
        self.folder.joinpath(f"{stem}.bin").write_bytes(job)
        png = self.folder / f"{stem}.png"
        render_png(job, png, columns=self.columns)
        self.written.append(png)
