"""Driving the window LED bars: one worker thread per bar, so a dead bar blocks no other.

Each :class:`BarWorker` keeps what its bar should show (from the window
state, the latest call for that window and the bar announcements), sends it
when it changes and re-sends it every ``refresh_s`` (which also notices a bar
that died while idle, and restores one that was power-cycled).  A bar that
does not answer is retried with a growing pause (1 s … 30 s) and reported
through ``on_status`` so the node can raise the ``bar_not_answering`` alert.

Bars on one RS-485 bus share a port (:class:`PortPool`): the bus is
half-duplex, so a dead bar there costs its neighbours its reply timeout.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Callable

from hardware.errors import BarNotAnswering, BarRejected, HardwareError
from hardware.ledbar import Area, BarState, EmulatedLedBar, SerialLedBar, plain_text, render_bar_text
from hardware.ledbar.commands import DISPLAY_LEFT, DISPLAY_STATIC
from protocol.models import Announcements, WindowState

from . import announce
from .barstate import bar_state, label_for
from .calls import Call
from .settings import BarSettings

log = logging.getLogger(__name__)
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


class PortPool:
    """One open :class:`SerialLedBar` per port, shared by the bars on that bus."""

    def __init__(self, opener: Callable[..., SerialLedBar] = SerialLedBar):
        self._opener = opener
        self._links: dict[str, SerialLedBar] = {}
        self._lock = threading.Lock()

    def get(self, cfg: BarSettings, port: str) -> SerialLedBar:
        with self._lock:
            link = self._links.get(port)
            if link is None or link.closed:
                link = self._opener(port, baudrate=cfg.baudrate, address=cfg.address,
                                    timeout=cfg.timeout_s, retries=cfg.retries, rs485=cfg.rs485)
                self._links[port] = link
            return link

    def discard(self, port: str) -> None:
        with self._lock:
            link = self._links.pop(port, None)
        if link is not None:
            link.close()

    def close(self) -> None:
        with self._lock:
            links, self._links = list(self._links.values()), {}
        for link in links:
            link.close()


def _text_width(text: str, height: int) -> int:
    return sum(height if ord(c) > 0x7F else height // 2 for c in text)


class BarWorker:
    def __init__(self, cfg: BarSettings, pool: PortPool, clock, *, window: str = "",
                 hold_s: float = 30.0, idle_text: str = "欢迎办理", refresh_s: float = 60.0,
                 on_status: Callable[["BarWorker"], None] | None = None,
                 emulator: EmulatedLedBar | None = None, output_dir: Path | None = None, name: str = "",
                 backoff_s: tuple[float, ...] = BACKOFF_S):
        self.cfg = cfg
        self.pool = pool
        self.clock = clock
        self.window_id = cfg.window or window
        self.hold_s, self.idle_text, self.refresh_s = hold_s, idle_text, refresh_s
        self.backoff_s = backoff_s
        self.on_status = on_status
        self.emulator = emulator
        self.output_dir = output_dir
        self.name = name or cfg.label
        self.port = emulator.port if emulator is not None else cfg.port
        self.answering: bool | None = None   # None until the first attempt
        self.failing_since: datetime | None = None
        self.last_error = ""
        self.sent = 0
        self.attempts = 0
        self.shown: BarState | None = None
        self._window: WindowState | None = None
        self._number: int | None = None
        self._call: Call | None = None
        self._announcements: Announcements | None = None
        self._cond = threading.Condition()
        self._sent_cond = threading.Condition()
        self._dirty = True
        self._stop = False
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name=f"bar-{self.name}", daemon=True)

    # -- inputs (any thread) ---------------------------------------------------------
    def _update(self, **values) -> None:
        with self._cond:
            for key, value in values.items():
                setattr(self, key, value)
            self._dirty = True
            self._cond.notify()

    def set_window_id(self, window_id: str) -> None:
        if not self.cfg.window and window_id != self.window_id:
            self._update(window_id=window_id, _window=None, _call=None, _number=None)

    def set_window(self, state: WindowState | None) -> None:
        self._update(_window=state, _number=state.number if state else self._number)

    def set_number(self, number: int) -> None:
        if self._number is None:
            self._update(_number=number)

    def call(self, call: Call) -> None:
        self._update(_call=call, _number=call.window_number)

    def set_announcements(self, announcements: Announcements | None) -> None:
        self._update(_announcements=announcements)

    # -- control ------------------------------------------------------------------------
    def start(self) -> "BarWorker":
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def wait_until(self, predicate: Callable[["BarWorker"], bool], timeout: float) -> bool:
        """Block until *predicate(self)* holds after an attempt (tests, tools); re-checked after each one."""
        with self._sent_cond:
            return self._sent_cond.wait_for(lambda: predicate(self), timeout)

    def wait_shown(self, predicate: Callable[[BarState], bool], timeout: float) -> bool:
        """Block until the bar has acknowledged a state for which *predicate* is true."""
        return self.wait_until(lambda bar: bar.shown is not None and predicate(bar.shown), timeout)

    def desired(self) -> BarState:
        with self._cond:
            return bar_state(label_for(self.window_id, self._number), self._window, self._call,
                             self.clock.now(), hold_s=self.hold_s, idle_text=self.idle_text,
                             announcements=self._announcements)

    # -- worker -------------------------------------------------------------------------
    def _run(self) -> None:
        next_try = self.clock.monotonic()
        while True:
            with self._cond:
                if not self._dirty and not self._stop:
                    self._cond.wait(max(0.0, min(next_try - self.clock.monotonic(), self._next_change())))
                if self._stop:
                    return
                self._dirty = False
            state = self.desired()
            waiting = self.clock.monotonic() < next_try
            if waiting and (self.answering is False or state == self.shown):
                continue  # a dead bar waits for its retry; an unchanged one for its refresh
            ok = self._send(state)
            pause = self.refresh_s if ok else self.backoff_s[min(self._failures, len(self.backoff_s)) - 1]
            next_try = self.clock.monotonic() + pause

    def _next_change(self) -> float:
        """Seconds until the shown text may change by itself (a call's hold ends, an announcement)."""
        waits = [self.refresh_s]
        now = self.clock.now()
        if self._call is not None:
            left = self.hold_s - (now - self._call.at).total_seconds()
            if left > 0:
                waits.append(left + 0.05)
        change = announce.next_change(self._announcements, now)
        if change is not None:
            waits.append((change - now).total_seconds() + 0.05)
        return min(waits)

    def _area(self, state: BarState) -> Area:
        text = plain_text(render_bar_text(state))
        scroll = _text_width(text, self.cfg.height) > self.cfg.width
        return Area(width=self.cfg.width, height=self.cfg.height,
                    display_mode=DISPLAY_LEFT if scroll else DISPLAY_STATIC)

    def _send(self, state: BarState) -> bool:
        try:
            link = self.pool.get(self.cfg, self.port)
            link.show(render_bar_text(state), self._area(state), address=self.cfg.address)
        except (BarNotAnswering, BarRejected, HardwareError, OSError) as exc:
            if not isinstance(exc, (BarNotAnswering, BarRejected)):
                self.pool.discard(self.port)   # reopen the port next time (unplugged adapter)
            self._failed(exc)
            self._attempted()
            return False
        self._failures = 0
        self._write_emulated()
        self.shown = state
        self.sent += 1
        if self.answering is not True:
            if self.answering is False:
                log.info("LED bar %s answers again", self.name)
            self.answering, self.failing_since, self.last_error = True, None, ""
            self._notify()
        self._attempted()
        return True

    def _attempted(self) -> None:
        with self._sent_cond:
            self.attempts += 1
            self._sent_cond.notify_all()

    def _failed(self, exc: Exception) -> None:
        self._failures += 1
        self.last_error = str(exc)
        if self.answering is not False:
            log.error("LED bar %s (window %s) does not answer: %s", self.name, self.window_id, exc)
            self.answering, self.failing_since = False, self.clock.now()
            self._notify()

    def _notify(self) -> None:
        if self.on_status is not None:
            try:
                self.on_status(self)
            except Exception:
                log.exception("bar status callback failed")

    def _write_emulated(self) -> None:
        if self.emulator is None or self.output_dir is None:
            return
        stem = self.output_dir / f"bar-{self.name}"
        try:
            self.emulator.render_png(f"{stem}.png")
            Path(f"{stem}.txt").write_text(self.emulator.render_terminal(color=False) + "\n", encoding="utf-8")
        except OSError as exc:
            log.warning("cannot write the emulated bar output %s: %s", stem, exc)
