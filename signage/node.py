"""The signage node: one bus in, the wall model, the bars and the voice out.

:class:`SignageNode` takes any bus (``protocol.client.MqttBus`` in a hall,
``protocol.fakebus.FakeBus`` in tests), subscribes to what a screen needs,
decodes each message on the bus's worker thread and hands it on:

- retained state (queues, windows, recent calls, announcements, catalog) to
  the wall model and the bars, so everything is redrawn at start and after
  every reconnect;
- call events through the :class:`~signage.calls.CallGate` (once each, never
  stale) to the wall's highlight, the voice queue and the window's bar.

It publishes its retained ``online`` status on every connect, its health
every ``health_interval_s``, and the ``bar_not_answering`` device alert while
any bar stays silent.  It never touches Kivy: the wall screen passes
``on_update``, which must only schedule work on the Kivy thread.
"""

from __future__ import annotations

import logging
import os
import resource
import threading
import uuid
from pathlib import Path
from typing import Callable

from protocol.bus import Inbound
from protocol.codec import decode_optional
from protocol.errors import ProtocolError
from protocol.mirror import CatalogMirror
from protocol.models import (Alert, Announcements, CallEvent, DeviceConfig, DeviceHealth, DeviceStatus,
                             QueueState, RecentCalls, WindowState)

from .bars import BarWorker
from .calls import NEW, Call, CallGate
from .settings import SignageSettings
from .wallmodel import WallModel

log = logging.getLogger(__name__)
SOFTWARE_VERSION = "0.1.0"
BAR_ALERT = "bar_not_answering"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return uuid.uuid4().hex


def rss_kb() -> int:
    """Resident memory now (Linux /proc), else the peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class SignageNode:
    def __init__(self, settings: SignageSettings, bus, clock, *, wall: WallModel | None = None,
                 voice=None, bars: tuple[BarWorker, ...] = (),
                 on_update: Callable[[], None] | None = None, catalog_file: str | Path | None = None):
        self.settings = settings
        self.bus = bus
        self.topics = bus.topics
        self.clock = clock
        self.wall = wall
        self.voice = voice
        self.bars = tuple(bars)
        self.on_update = on_update
        self.gate = CallGate(clock)
        self.mirror = CatalogMirror(self.topics, on_change=self._catalog_changed)
        self.catalog_file = Path(catalog_file) if catalog_file else None
        self.window = settings.window
        self._windows: dict[str, WindowState] = {}
        self.calls_announced = 0
        self.rejected_messages = 0
        self._saved_version: int | None = None
        self._started_mono = clock.monotonic()
        self._boot_id = _boot_id()
        self._alert_lock = threading.Lock()
        self._alert_published: tuple[str, ...] | None = None
        self._stop = threading.Event()
        self._health_thread: threading.Thread | None = None
        for bar in self.bars:
            bar.on_status = self._bar_status
            if not bar.window_id and self.window:
                bar.set_window_id(self.window)
        if wall is not None:
            wall.set_catalog(self.mirror)
            wall.connected = bus.connected.is_set

    # -- life -------------------------------------------------------------------------
    def start(self) -> "SignageNode":
        if self.catalog_file is not None and self.mirror.load(self.catalog_file):
            log.info("catalog version %s loaded from %s", self.mirror.version, self.catalog_file)
        for filter_ in self.topics.display_state():
            self.bus.subscribe(filter_, self.handle)
        self.bus.subscribe(self.topics.device_config(self.settings.device), self.handle)
        self.bus.on_connect(self._on_connect)
        for bar in self.bars:
            bar.start()
        if self.voice is not None:
            self.voice.start()
        self.bus.start()
        if self.settings.health_interval_s > 0:
            self._health_thread = threading.Thread(target=self._health_loop, name="signage-health", daemon=True)
            self._health_thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._health_thread is not None:
            self._health_thread.join(timeout=5)
        if self.bus.connected.is_set():
            self._publish(self.topics.device_status(self.settings.device),
                          DeviceStatus(status="offline", at=self.clock.now()), retain=True)
        self.bus.stop()
        for bar in self.bars:
            bar.stop()
        if self.voice is not None:
            self.voice.stop()

    def _publish(self, topic: str, payload, *, retain: bool) -> None:
        try:
            self.bus.publish(topic, payload, retain=retain)
        except ProtocolError as exc:
            log.error("cannot publish %s: %s", topic, exc)

    def _on_connect(self) -> None:
        log.info("signage %s connected; drawing from retained state", self.settings.device)
        self._publish(self.topics.device_status(self.settings.device),
                      DeviceStatus(status="online", at=self.clock.now()), retain=True)
        with self._alert_lock:
            self._alert_published = None   # the broker may have lost it: say it again
        self._update_bar_alert()
        self.publish_health()
        self._poke()

    # -- inbound (bus worker thread) --------------------------------------------------------
    def handle(self, message: Inbound) -> None:
        parsed = self.topics.parse(message.topic)
        if parsed is None:
            return
        try:
            if parsed.spec.payload in ("CatalogIndex", "Item"):
                self.mirror.handle(message)
            elif parsed.name == "call_event":
                self._on_call(decode_optional(CallEvent, message.payload), message.expiry)
            elif parsed.name == "queue_state":
                if self.wall is not None:
                    self.wall.set_queue(parsed.ids["q"], decode_optional(QueueState, message.payload))
            elif parsed.name == "window_state":
                self._on_window(parsed.ids["w"], decode_optional(WindowState, message.payload))
            elif parsed.name == "calls_recent":
                recent = decode_optional(RecentCalls, message.payload)
                if recent is not None:
                    self.gate.note_history(recent)
                if self.wall is not None:
                    self.wall.set_recent(recent)
            elif parsed.name == "announcements":
                announcements = decode_optional(Announcements, message.payload)
                if self.wall is not None:
                    self.wall.set_announcements(announcements)
                for bar in self.bars:
                    bar.set_announcements(announcements)
            elif parsed.name == "device_config":
                self._on_config(decode_optional(DeviceConfig, message.payload))
            else:
                return
        except ProtocolError as exc:
            self.rejected_messages += 1
            log.warning("ignoring a bad message on %s: %s", message.topic, exc)
            return
        self._poke()

    def _poke(self) -> None:
        if self.on_update is not None:
            self.on_update()

    def _on_call(self, event: CallEvent | None, expiry: int | None) -> None:
        if event is None:
            return
        verdict = self.gate.admit(event, expiry)
        if verdict != NEW:
            log.debug("call %s %s: %s", event.ticket, event.event_id, verdict)
            return
        call = Call.from_event(event)
        self.calls_announced += 1
        if self.wall is not None:
            self.wall.call(call)
        if self.voice is not None:
            self.voice.say(call)
        for bar in self.bars:
            if bar.window_id == call.window:
                bar.call(call)

    def _on_window(self, window_id: str, state: WindowState | None) -> None:
        if state is None:
            self._windows.pop(window_id, None)
        else:
            self._windows[window_id] = state
        for bar in self.bars:
            if bar.window_id == window_id:
                bar.set_window(state)

    def _on_config(self, config: DeviceConfig | None) -> None:
        if config is None or not config.window or config.window == self.window:
            return
        log.info("device config binds %s to window %s", self.settings.device, config.window)
        self.window = config.window
        for bar in self.bars:
            if not bar.cfg.window:
                self._bind(bar, config.window)

    def _bind(self, bar: BarWorker, window_id: str) -> None:
        """Point a bar at a window and give it what is known of that window already."""
        bar.set_window_id(window_id)
        if window_id in self._windows:
            bar.set_window(self._windows[window_id])
        index = self.mirror.index
        number = next((w.number for w in index.windows if w.id == window_id), None) if index else None
        if number is not None:
            bar.set_number(number)

    def _catalog_changed(self, mirror: CatalogMirror) -> None:
        index = mirror.index
        if index is not None:
            numbers = {w.id: w.number for w in index.windows}
            for bar in self.bars:
                if bar.window_id in numbers:
                    bar.set_number(numbers[bar.window_id])
        if self.wall is not None:
            self.wall.set_catalog(mirror)
        if self.catalog_file is not None and mirror.complete and mirror.version != self._saved_version:
            try:
                mirror.save(self.catalog_file)
                self._saved_version = mirror.version
            except OSError as exc:
                log.warning("cannot keep the catalog in %s: %s", self.catalog_file, exc)

    # -- bars and health -------------------------------------------------------------
    def _bar_status(self, bar: BarWorker) -> None:
        self._update_bar_alert()

    def _update_bar_alert(self) -> None:
        with self._alert_lock:
            dead = tuple(b for b in self.bars if b.answering is False)
            key = tuple(b.name for b in dead)
            if key == self._alert_published:
                return
            self._alert_published = key
            topic = self.topics.device_alert(self.settings.device, BAR_ALERT)
            if not self.bus.connected.is_set():
                self._alert_published = None
                return
            if not dead:
                self._publish(topic, None, retain=True)
                return
            since = min(b.failing_since for b in dead if b.failing_since) if any(
                b.failing_since for b in dead) else self.clock.now()
            names = ", ".join(f"{b.name} (window {b.window_id or '?'})" for b in dead)
            labels = "、".join(b.desired().window_label for b in dead)
            alert = Alert(id=BAR_ALERT, kind="bar_not_answering", severity="warning", since=since,
                          message=f"LED bar(s) not answering: {names}; check power, RS-485 A/B wiring, "
                                  "address and baud rate",
                          message_zh=f"窗口条屏无响应：{labels}", subject=self.settings.device,
                          details={"bars": names, "count": len(dead), "error": dead[0].last_error[:200]})
            self._publish(topic, alert, retain=True)

    def health(self) -> DeviceHealth:
        details: dict = {"calls_announced": self.calls_announced, "rss_kb": rss_kb(),
                         "bars": len(self.bars),
                         "bars_answering": sum(1 for b in self.bars if b.answering),
                         "bad_messages": self.rejected_messages, "pid": os.getpid()}
        if self.voice is not None:
            details.update(voice_spoken=self.voice.spoken, voice_pending=self.voice.pending)
        return DeviceHealth(role=self.settings.role, software_version=SOFTWARE_VERSION,
                            boot_id=self._boot_id, uptime_s=self.clock.monotonic() - self._started_mono,
                            at=self.clock.now(), catalog_version=self.mirror.version, details=details)

    def publish_health(self) -> None:
        self._publish(self.topics.device_health(self.settings.device), self.health(), retain=True)

    def _health_loop(self) -> None:
        while not self._stop.wait(self.settings.health_interval_s):
            if self.bus.connected.is_set():
                self.publish_health()
