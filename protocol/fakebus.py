"""An in-memory broker and bus with the same interface as :class:`MqttBus`, for unit tests.

Several :class:`FakeBus` objects attached to one :class:`FakeBroker` talk to
each other.  Delivery is synchronous (on the publisher's thread) so tests need
no waiting; retained messages, empty-payload clearing and request/reply work
as on Mosquitto.  ``broker.set_online(False)`` makes every request time out at
once, for offline behaviour.
"""

from __future__ import annotations

import dataclasses
import threading

from .bus import BaseBus, Inbound, topic_matches
from .codec import MAX_PAYLOAD_BYTES
from .errors import ProtocolError
from .models import Reply, Request


class FakeBroker:
    def __init__(self, max_payload: int = MAX_PAYLOAD_BYTES, log_size: int = 100_000):
        self.max_payload = max_payload
        self.retained: dict[str, bytes] = {}
        #: The last messages routed, oldest first (bounded, so long runs do not grow).
        self.log: list[Inbound] = []
        self._log_size = log_size
        self._buses: list[FakeBus] = []
        self._lock = threading.RLock()
        self.online = True

    def set_online(self, online: bool) -> None:
        self.online = online
        for bus in list(self._buses):
            if online:
                bus.connected.set()
                bus._connected()
            else:
                bus.connected.clear()
                bus._disconnected()

    def attach(self, bus: "FakeBus") -> None:
        with self._lock:
            self._buses.append(bus)

    def detach(self, bus: "FakeBus") -> None:
        with self._lock:
            if bus in self._buses:
                self._buses.remove(bus)

    def route(self, message: Inbound) -> None:
        if not self.online:
            return
        with self._lock:
            self.log.append(message)
            if len(self.log) > self._log_size:
                del self.log[: len(self.log) - self._log_size // 2]
            if message.retain:
                if message.payload:
                    self.retained[message.topic] = message.payload
                else:
                    self.retained.pop(message.topic, None)
            buses = list(self._buses)
        live = dataclasses.replace(message, retain=False)  # as Mosquitto: the flag marks stored state only
        for bus in buses:
            bus._dispatcher.deliver(live)

    def retained_for(self, filter_: str) -> list[Inbound]:
        with self._lock:
            return [Inbound(t, p, True) for t, p in sorted(self.retained.items()) if topic_matches(filter_, t)]

    def published(self, filter_: str) -> list[Inbound]:
        """Every message routed on *filter_*, in order (for assertions)."""
        with self._lock:
            return [m for m in self.log if topic_matches(filter_, m.topic)]


class FakeBus(BaseBus):
    def __init__(self, broker: FakeBroker, hall: str, *, device: str | None = None,
                 client_id: str | None = None):
        super().__init__(hall, client_id or device or "fake", device)
        self.broker = broker
        self._listen_for_replies()
        self._started = False

    @property
    def max_payload(self) -> int:  # type: ignore[override]
        return self.broker.max_payload

    def start(self) -> "FakeBus":
        if not self._started:
            self._started = True
            self.broker.attach(self)
            if self.broker.online:
                self.connected.set()
                self._connected()
        return self

    def wait_connected(self, timeout: float = 0) -> bool:
        return self.connected.is_set()

    def stop(self) -> None:
        if self._started:
            self._started = False
            self.connected.clear()
            self.broker.detach(self)

    def _subscribe(self, filter_: str) -> None:
        for message in self.broker.retained_for(filter_):
            self._dispatcher.deliver(message)

    def _publish_bytes(self, topic, data, *, retain, expiry, response_topic, correlation) -> None:
        self.broker.route(Inbound(topic, data, retain, response_topic, correlation, expiry))

    def request(self, request: Request, *, timeout: float = 5.0, attempt_timeout: float = 2.0) -> Reply:
        if not self.broker.online:
            raise ProtocolError("timeout", f"no reply to {request.type} {request.id}: broker offline")
        return super().request(request, timeout=timeout, attempt_timeout=attempt_timeout)
