"""The kiosk's status, health and own alerts, as PROTOCOL.md says.

- ``devices/{d}/status``: retained ``online`` on every connect (the client's
  last will publishes ``offline``);
- ``devices/{d}/health``: retained, periodically and whenever the paper or
  the catalog version changes;
- ``devices/{d}/alerts/paper_out`` and ``.../paper_near_end``: retained
  :class:`Alert` while the condition lasts, cleared with an empty retained
  payload.  Both are re-published (or cleared) on every connect, so a stale
  alert from before a restart does not linger.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime
from typing import Callable

from protocol.bus import BaseBus
from protocol.errors import ProtocolError
from protocol.models import Alert, DeviceHealth, DeviceStatus

log = logging.getLogger(__name__)

PAPER_ALERTS = ("paper_out", "paper_near_end")


def software_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
        return version("onestop-hall")
    except (ImportError, PackageNotFoundError):
        return "0.1.0"


class HealthReporter:
    def __init__(self, bus: BaseBus, device: str, *, clock: Callable[[], float],
                 wall: Callable[[], datetime], version: str | None = None):
        self.bus = bus
        self.device = device
        self.topics = bus.topics
        self.clock = clock
        self.wall = wall
        self.version = version or software_version()
        self.boot_id = uuid.uuid4().hex          # a new one per start: the backend sees restarts
        self.started = clock()
        self._alerts: dict[str, Alert] = {}      # active, by kind
        self._lock = threading.Lock()
        self.last_health: DeviceHealth | None = None

    def _publish(self, topic: str, payload, *, retain: bool = True) -> bool:
        if not self.bus.connected.is_set():
            return False
        try:
            self.bus.publish(topic, payload, retain=retain)
        except ProtocolError as exc:  # too large, or refused locally: log and go on
            log.error("could not publish %s: %s", topic, exc)
            return False
        return True

    def online(self) -> None:
        self._publish(self.topics.device_status(self.device), DeviceStatus(status="online", at=self.wall()))

    def health(self, *, paper: str | None, catalog_version: int | None, details: dict | None = None) -> DeviceHealth:
        report = DeviceHealth(role="kiosk", software_version=self.version[:40], boot_id=self.boot_id,
                              uptime_s=round(max(0.0, self.clock() - self.started), 1), at=self.wall(),
                              paper=paper, catalog_version=catalog_version, details=details or {})
        self.last_health = report
        self._publish(self.topics.device_health(self.device), report)
        return report

    def paper(self, paper: str) -> None:
        """Raise or clear the paper alerts for a new paper state ("unknown" changes nothing)."""
        if paper == "unknown":
            return
        wanted = {"out": "paper_out", "near_end": "paper_near_end"}.get(paper)
        for kind in PAPER_ALERTS:
            with self._lock:
                active = kind in self._alerts
                if kind == wanted and not active:
                    self._alerts[kind] = self._alert(kind)
                elif kind != wanted and active:
                    del self._alerts[kind]
                else:
                    continue
                alert = self._alerts.get(kind)
            self._publish(self.topics.device_alert(self.device, kind), alert)

    def _alert(self, kind: str) -> Alert:
        if kind == "paper_out":
            return Alert(id=f"{self.device}.paper_out", kind="paper_out", severity="critical", since=self.wall(),
                         subject=self.device,
                         message=f"kiosk {self.device}: the ticket printer is out of paper; load a new roll",
                         message_zh=f"取号机 {self.device} 打印纸已用完，请及时更换纸卷")
        return Alert(id=f"{self.device}.paper_near_end", kind="paper_near_end", severity="warning",
                     since=self.wall(), subject=self.device,
                     message=f"kiosk {self.device}: the ticket paper roll is nearly used up",
                     message_zh=f"取号机 {self.device} 打印纸即将用完")

    def active_alerts(self) -> dict[str, Alert]:
        with self._lock:
            return dict(self._alerts)

    def republish_alerts(self) -> None:
        """After a (re)connect: every paper alert as it stands now, cleared ones included."""
        active = self.active_alerts()
        for kind in PAPER_ALERTS:
            self._publish(self.topics.device_alert(self.device, kind), active.get(kind))
