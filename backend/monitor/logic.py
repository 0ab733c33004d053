"""Which hall alerts the devices call for: pure decisions (no bus, no database, no clock of its own).

Feed :class:`MonitorLogic` what devices publish (status, health, their own
alerts) with the time it arrived, and call :meth:`MonitorLogic.tick` as time
passes; every call returns the :class:`Raise` / :class:`Clear` actions to
publish on the hall's ``alerts/{id}``.

- ``device_offline-<d>`` is raised once device *d*'s status has been
  ``offline`` for the grace period (a quick restart raises nothing), and
  cleared as soon as it is ``online`` again (or its status is cleared).
- ``<kind>-<d>`` mirrors the device's own alert of a mirrored kind
  (``paper_out``, ...) and is cleared when the device clears its own.
- Alerts remembered from the last run (*inherited*, from the database) stay
  until a message about them decides, or until the settle period after the
  first connect ends with nothing confirming them: a device that came back, or
  cleared its alert, while the backend was down leaves no stale alert behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Iterable

from protocol.models import Alert, DeviceHealth, DeviceStatus

OFFLINE = "device_offline"
MIRRORED_KINDS = ("paper_out", "paper_near_end", "bar_not_answering", "printer_offline")
KIND_ZH = {
    OFFLINE: "设备离线", "paper_out": "打印机缺纸", "paper_near_end": "打印纸将尽",
    "bar_not_answering": "窗口条屏无响应", "printer_offline": "打印机离线",
}


def hall_alert_id(kind: str, device: str) -> str:
    """``paper_out-kiosk-1``; the device part hashed when it would not fit one topic level."""
    value = f"{kind}-{device}"
    if len(value) > 64:
        value = f"{kind}-{hashlib.sha256(device.encode()).hexdigest()[:16]}"
    return value


@dataclass
class DeviceRecord:
    """What the hall last heard from one device."""

    id: str
    status: str | None = None               # "online", "offline", None = not heard
    status_since: datetime | None = None
    last_seen: datetime | None = None       # last time we knew it was up
    health: DeviceHealth | None = None
    alerts: dict[str, Alert] = field(default_factory=dict)   # its own alerts, by topic id


@dataclass(frozen=True)
class Raise:
    alert: Alert

    @property
    def alert_id(self) -> str:
        return self.alert.id


@dataclass(frozen=True)
class Clear:
    alert_id: str


Action = Raise | Clear


class MonitorLogic:
    def __init__(self, *, grace_s: float = 60.0, settle_s: float = 15.0,
                 mirrored: Iterable[str] = MIRRORED_KINDS, tz: tzinfo = timezone.utc,
                 inherited: Iterable[Alert] = ()):
        self.grace = timedelta(seconds=grace_s)
        self.settle = timedelta(seconds=settle_s)
        self.mirrored = frozenset(mirrored)
        self.tz = tz
        self.devices: dict[str, DeviceRecord] = {}
        self.raised: dict[str, Alert] = {alert.id: alert for alert in inherited}
        self._inherited = set(self.raised)
        self._settle_at: datetime | None = None

    # -- events -------------------------------------------------------------------
    def connected(self, now: datetime) -> list[Action]:
        """The bus (re)connected: retained device state is on its way."""
        if self._settle_at is None:
            self._settle_at = now + self.settle
        return self.reconcile(now)

    def status(self, device: str, payload: DeviceStatus | None, now: datetime, *,
               retained: bool = False) -> list[Action]:
        rec = self._record(device)
        new = payload.status if payload is not None else None
        if new != rec.status:
            since = min(payload.at, now) if payload is not None and payload.at is not None else now
            offline_alert = self.raised.get(hall_alert_id(OFFLINE, device))
            if new == "offline" and offline_alert is not None:
                since = min(offline_alert.since, now)   # still the same outage
            if new == "offline" and rec.status == "online" and not retained:
                rec.last_seen = now
            rec.status, rec.status_since = new, since
        if new == "online":
            rec.last_seen = now
        self._inherited.discard(hall_alert_id(OFFLINE, device))
        return self.reconcile(now)

    def health(self, device: str, payload: DeviceHealth | None, now: datetime, *,
               retained: bool = False) -> list[Action]:
        rec = self._record(device)
        rec.health = payload
        if payload is not None:
            self._seen(rec, min(payload.at, now) if retained else now)
        return self.reconcile(now)

    def device_alert(self, device: str, topic_alert: str, payload: Alert | None, now: datetime, *,
                     retained: bool = False) -> list[Action]:
        """The device's own ``alerts/{topic_alert}``; ``None`` = it cleared it."""
        rec = self._record(device)
        old = rec.alerts.pop(topic_alert, None)
        kinds = {topic_alert} | ({old.kind} if old is not None else set())
        if payload is not None:
            rec.alerts[topic_alert] = payload
            kinds.add(payload.kind)
            if not retained:
                self._seen(rec, now)
        for kind in kinds:
            self._inherited.discard(hall_alert_id(kind, device))
        return self.reconcile(now)

    def tick(self, now: datetime) -> list[Action]:
        return self.reconcile(now)

    # -- decisions ----------------------------------------------------------------
    def wanted(self, now: datetime) -> dict[str, Alert]:
        """Every hall alert the devices' state calls for at *now*."""
        wanted: dict[str, Alert] = {}
        for device, rec in sorted(self.devices.items()):
            if rec.status == "offline" and rec.status_since is not None:
                key = hall_alert_id(OFFLINE, device)
                if key in self.raised or now - rec.status_since >= self.grace:
                    wanted[key] = self._offline_alert(key, rec)
            for topic_alert, own in sorted(rec.alerts.items()):
                key = hall_alert_id(own.kind, device)
                if own.kind in self.mirrored and key not in wanted:
                    wanted[key] = self._mirrored_alert(key, rec, topic_alert, own)
        return wanted

    def reconcile(self, now: datetime) -> list[Action]:
        wanted = self.wanted(now)
        if self._settle_at is not None and now >= self._settle_at:
            self._inherited.clear()
        actions: list[Action] = []
        for key in sorted(self.raised):
            if key not in wanted and key not in self._inherited:
                del self.raised[key]
                actions.append(Clear(key))
        for key, alert in wanted.items():
            if self.raised.get(key) != alert:
                self.raised[key] = alert
                self._inherited.discard(key)
                actions.append(Raise(alert))
        return actions

    def next_due(self, now: datetime) -> datetime | None:
        """When :meth:`tick` may next have something to do (None: only on new messages)."""
        moments = [rec.status_since + self.grace for device, rec in self.devices.items()
                   if rec.status == "offline" and rec.status_since is not None
                   and hall_alert_id(OFFLINE, device) not in self.raised]
        if self._inherited and self._settle_at is not None:
            moments.append(self._settle_at)
        return min(moments, default=None)

    def records(self) -> dict[str, DeviceRecord]:
        """A copy of every device's record, for display."""
        return {key: replace(rec, alerts=dict(rec.alerts)) for key, rec in self.devices.items()}

    # -- helpers ------------------------------------------------------------------
    def _record(self, device: str) -> DeviceRecord:
        return self.devices.setdefault(device, DeviceRecord(device))

    @staticmethod
    def _seen(rec: DeviceRecord, moment: datetime) -> None:
        if rec.last_seen is None or moment > rec.last_seen:
            rec.last_seen = moment

    def _offline_alert(self, key: str, rec: DeviceRecord) -> Alert:
        assert rec.status_since is not None
        since = rec.status_since.astimezone(self.tz)
        return Alert(id=key, kind=OFFLINE, severity="warning", since=since, subject=rec.id,
                     message=f"device {rec.id} has been offline since {since:%H:%M}",
                     message_zh=f"设备 {rec.id} 自 {since:%H:%M} 起离线",
                     details={"device": rec.id, "grace_s": self.grace.total_seconds()})

    def _mirrored_alert(self, key: str, rec: DeviceRecord, topic_alert: str, own: Alert) -> Alert:
        details = dict(own.details)
        details.update(device=rec.id, device_alert=topic_alert)
        return Alert(id=key, kind=own.kind, severity=own.severity, since=own.since, subject=rec.id,
                     message=own.message, message_zh=own.message_zh or f"{rec.id}：{KIND_ZH.get(own.kind, own.kind)}",
                     details=details)
