"""The device monitor on the bus: device messages in, hall alerts out (and into the database).

Subscribes to every device's retained ``status``, ``health`` and
``alerts/+`` and to the hall's ``alerts/+`` (to show every active alert on
the admin page).  Malformed or oversize device messages are logged and
ignored.  Decisions are :class:`~backend.monitor.logic.MonitorLogic`'s; this
module applies them under the publisher's lock, so alerts go out in order.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from protocol import Inbound, ProtocolError, Topics
from protocol.codec import decode_optional
from protocol.models import Alert, DeviceHealth, DeviceStatus

from ..db import write_transaction
from ..ticker import Ticker
from ..publisher import Publication, Publisher
from .logic import Action, Clear, DeviceRecord, MonitorLogic, Raise
from .settings import MonitorSettings
from .tables import delete_alert, load_alerts, save_alert

log = logging.getLogger(__name__)

#: No device message needs more than this; larger ones are ignored unparsed.
MAX_DEVICE_MESSAGE = 16 * 1024



class DeviceMonitor:
    def __init__(self, settings, engine, publisher: Publisher, bus, clock: Callable[[], datetime]):
        self.settings: MonitorSettings = settings.monitor
        self.engine = engine
        self.publisher = publisher
        self.bus = bus
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self.topics = Topics(settings.hall)
        with engine.connect() as conn:
            inherited = load_alerts(conn)
        self.logic = MonitorLogic(grace_s=self.settings.offline_grace_s, settle_s=self.settings.settle_s,
                                  mirrored=self.settings.mirrored_kinds, tz=self.tz, inherited=inherited)
        self.hall_alerts: dict[str, Alert] = {}   # every active hall alert, as the bus shows it
        self.ignored = 0                          # malformed or oversize device messages
        self._lock = threading.RLock()
        self.ticker = Ticker("device-monitor", self.tick, clock, alive=bus.connected.is_set)

    # -- wiring -------------------------------------------------------------------
    def wire(self) -> None:
        """Subscribe to the devices' topics and the hall's alerts; follow every (re)connect."""
        for filter_ in (self.topics.all_device_status(), self.topics.all_device_health(),
                        self.topics.all_device_alerts()):
            self.bus.subscribe(filter_, self.on_device_message)
        self.bus.subscribe(self.topics.alerts_all(), self.on_hall_alert)
        self.bus.on_connect(self.on_connect)

    def on_connect(self) -> None:
        now = self.clock()
        self._apply(lambda: self.logic.connected(now))
        self.ticker.ensure_started()

    # -- inbound ------------------------------------------------------------------
    def on_device_message(self, message: Inbound) -> None:
        parsed = self.topics.parse(message.topic)
        if parsed is None or parsed.name not in ("device_status", "device_health", "device_alert"):
            return
        device = parsed.ids["d"]
        if len(message.payload) > MAX_DEVICE_MESSAGE:
            return self._ignore(message, f"{len(message.payload)} bytes is more than {MAX_DEVICE_MESSAGE}")
        now = self.clock()
        try:
            if parsed.name == "device_status":
                status = decode_optional(DeviceStatus, message.payload)
                self._apply(lambda: self.logic.status(device, status, now, retained=message.retain))
                self.ticker.wake()
            elif parsed.name == "device_health":
                health = decode_optional(DeviceHealth, message.payload)
                self._apply(lambda: self.logic.health(device, health, now, retained=message.retain))
            else:
                alert = decode_optional(Alert, message.payload)
                self._apply(lambda: self.logic.device_alert(device, parsed.ids["alert"], alert, now,
                                                            retained=message.retain))
        except ProtocolError as exc:
            self._ignore(message, str(exc))

    def on_hall_alert(self, message: Inbound) -> None:
        parsed = self.topics.parse(message.topic)
        if parsed is None or parsed.name != "alert":
            return
        try:
            alert = decode_optional(Alert, message.payload)
        except ProtocolError as exc:
            log.warning("unreadable hall alert on %s: %s", message.topic, exc)
            return
        with self._lock:
            if alert is None:
                self.hall_alerts.pop(parsed.ids["alert"], None)
            else:
                self.hall_alerts[parsed.ids["alert"]] = alert

    def _ignore(self, message: Inbound, why: str) -> None:
        self.ignored += 1
        log.warning("ignoring device message on %s: %s", message.topic, why)

    # -- outbound -----------------------------------------------------------------
    def tick(self, now: datetime) -> datetime | None:
        """Raise what the grace period now calls for; returns when something is next due."""
        self._apply(lambda: self.logic.tick(now))
        with self._lock:
            return self.logic.next_due(now)

    def _apply(self, decide: Callable[[], list[Action]]) -> list[Action]:
        """Decide under our lock, then store and publish, all under the publisher's lock (in order)."""
        with self.publisher.lock:
            with self._lock:
                actions = decide()
            if actions:
                self._store(actions)
                self.publisher.publish([self._publication(action) for action in actions])
        return actions

    def _store(self, actions: list[Action]) -> None:
        try:
            with write_transaction(self.engine) as conn:
                for action in actions:
                    if isinstance(action, Raise):
                        save_alert(conn, action.alert)
                    else:
                        delete_alert(conn, action.alert_id)
        except SQLAlchemyError:  # the alert still goes out; only a restart would forget it
            log.exception("could not store device alerts %s", [a.alert_id for a in actions])

    def _publication(self, action: Action) -> Publication:
        if isinstance(action, Clear):
            log.info("hall alert %s cleared", action.alert_id)
            return Publication(self.topics.alert(action.alert_id), None)
        log.info("hall alert %s raised: %s", action.alert_id, action.alert.message)
        return Publication(self.topics.alert(action.alert_id), action.alert)

    def provider(self, conn) -> list[Publication]:
        """The republish provider: every alert the monitor has raised."""
        with self._lock:
            alerts = [self.logic.raised[key] for key in sorted(self.logic.raised)]
        return [Publication(self.topics.alert(alert.id), alert) for alert in alerts]

    # -- for the admin page -------------------------------------------------------
    def records(self) -> dict[str, DeviceRecord]:
        with self._lock:
            return self.logic.records()

    def active_alerts(self) -> list[Alert]:
        """Every active hall alert (the monitor's and the queue engine's), oldest first."""
        with self._lock:
            alerts = list(self.hall_alerts.values())
            for key, alert in self.logic.raised.items():   # ours, even before the broker echoes them
                if key not in self.hall_alerts:
                    alerts.append(alert)
        return sorted(alerts, key=lambda a: (a.since, a.id))


def monitor_for(publisher: Publisher | None) -> DeviceMonitor | None:
    return publisher.services.get("monitor") if publisher is not None else None


def install(backend) -> DeviceMonitor:
    """Register on *backend* (``backend.app.INSTALLERS``): subscriptions, provider, timer."""
    monitor = DeviceMonitor(backend.settings, backend.engine, backend.publisher, backend.bus,
                            backend.executor.clock)
    monitor.wire()
    backend.publisher.add_provider(monitor.provider)
    backend.publisher.services["monitor"] = monitor
    backend.on_stop.append(monitor.ticker.stop)
    return monitor
