"""A counter node: the keys and lamp on GPIO, wired to the bus.

Key presses arrive on gpiozero's thread and are queued; one worker thread turns
each into a request (:mod:`counter.keys`) and waits for its reply, so a press
never blocks gpiozero and requests go out in the order pressed.  The window's
retained state keeps the logic (and the evaluator's lamp) current.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Callable

from hardware.gpio import ButtonPanel, StatusLed
from protocol import ProtocolError, new_id
from protocol.codec import decode_optional
from protocol.models import DeviceHealth, DeviceStatus, Reply, Request, WindowState

from .keys import EVALUATOR_KEYS, Ask, EvaluatorLogic, KeypadLogic, Lamp
from .settings import CounterSettings

log = logging.getLogger(__name__)
VERSION = "0.1.0"
#: Errors after which the visitor may press again (the rating did not get through).
RETRYABLE = frozenset({"timeout", "internal_error"})


def make_pin_factory(name: str):
    if name == "mock":
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    return None  # gpiozero picks the board's own (lgpio on a Pi 5)


class CounterNode:
    """A keypad or an evaluator for one window (``settings.role``)."""

    def __init__(self, settings: CounterSettings, bus, *, pin_factory=None,
                 clock: Callable[[], float] = time.monotonic,
                 on_reply: Callable[[Ask, Reply | None], None] | None = None, tick_s: float = 0.5):
        self.settings = settings.check()
        self.bus = bus
        self.topics = bus.topics
        self.on_reply = on_reply
        self.tick_s = tick_s
        self._jobs: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._boot_id = uuid.uuid4().hex
        self._started_at = time.monotonic()
        self._lamp_state: str | None = None
        factory = pin_factory if pin_factory is not None else make_pin_factory(settings.pin_factory)
        self.led: StatusLed | None = None
        if settings.role == "keypad":
            self.logic = KeypadLogic(settings.window, settings.skip_reason)
            pins = asdict(settings.keypad)
        else:
            self.logic = EvaluatorLogic(settings.window, settings.poor_reasons, settings.reason_timeout_s, clock)
            pins = {key: getattr(settings.evaluator, key) for key in EVALUATOR_KEYS}
            self.led = StatusLed(settings.evaluator.led, pin_factory=factory)
        try:
            self.panel = ButtonPanel(pins, on_press=self._jobs.put, clock=clock, debounce_s=settings.debounce_s,
                                     pin_factory=factory)
        except Exception:
            if self.led is not None:
                self.led.close()
            raise

    # -- running ---------------------------------------------------------------------
    def start(self) -> "CounterNode":
        self.bus.subscribe(self.topics.window_state(self.settings.window), self._on_state)
        self.bus.on_connect(self._announce)
        self._spawn(self._work, "counter-keys")
        if isinstance(self.logic, EvaluatorLogic):
            self._spawn(self._tick, "counter-lamp")
        self.bus.start()
        return self

    def _spawn(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Stop the threads, release the pins, disconnect; safe to call twice."""
        self._stop.set()
        self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=self.settings.request_timeout_s + 1)
        self._threads.clear()
        self.panel.close()
        if self.led is not None:
            self.led.close()
        self.bus.stop()

    def __enter__(self) -> "CounterNode":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the window's state and the lamp -----------------------------------------------
    def _on_state(self, message) -> None:
        try:
            state = decode_optional(WindowState, message.payload)
        except ProtocolError as exc:
            log.warning("ignoring a bad window state on %s: %s", message.topic, exc)
            return
        lamp = self.logic.on_window_state(state)
        self._show(lamp)

    def _show(self, lamp: str | None) -> None:
        if self.led is None or lamp is None or lamp == self._lamp_state:
            return
        self._lamp_state = lamp
        if lamp == Lamp.ON:
            self.led.on()
        elif lamp == Lamp.BLINK:
            self.led.blink(on_time=0.3, off_time=0.3)
        else:
            self.led.off()

    def _tick(self) -> None:
        while not self._stop.wait(self.tick_s):
            self._show(self.logic.tick())

    # -- keys ---------------------------------------------------------------------------
    def press(self, key: str) -> None:
        """Queue a key press (what a GPIO key does; also for an emulator or a test)."""
        self._jobs.put(key)

    def _work(self) -> None:
        while True:
            key = self._jobs.get()
            if key is None or self._stop.is_set():
                return
            try:
                ask = self.logic.press(key)
                if isinstance(self.logic, EvaluatorLogic):
                    self._show(self.logic.lamp())
                if ask is not None:
                    self._send(ask)
            except Exception:  # a bug must not end the key worker
                log.exception("key %s failed", key)

    def _send(self, ask: Ask) -> None:
        request = Request(id=new_id(f"{self.settings.device}-"), type=ask.type, params=ask.params)
        reply: Reply | None = None
        try:
            reply = self.bus.request(request, timeout=self.settings.request_timeout_s)
            code = None if reply.ok else reply.error.code
        except ProtocolError as exc:
            code = exc.code
        if code is not None:
            log.warning("%s refused: %s", ask.type, reply.error.message if reply and reply.error else code)
            if isinstance(self.logic, EvaluatorLogic):
                self.logic.failed(ask.params["ticket_id"], retry=code in RETRYABLE)
                self._show(self.logic.lamp())
        if self.on_reply is not None:
            self.on_reply(ask, reply)

    # -- presence -------------------------------------------------------------------------
    def _announce(self) -> None:
        now = datetime.now(timezone.utc)
        device = self.settings.device
        self.bus.publish(self.topics.device_status(device), DeviceStatus(status="online", at=now), retain=True)
        self.bus.publish(self.topics.device_health(device), DeviceHealth(
            role=self.settings.role, software_version=VERSION, boot_id=self._boot_id,
            uptime_s=time.monotonic() - self._started_at, at=now,
            details={"window": self.settings.window}), retain=True)
