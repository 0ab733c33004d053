"""A plain paho MQTT v5 client for tests, written from PROTOCOL.md, not from our wrapper.

It records every message; ``expect`` waits (bounded) for one on a filter and
``fence`` waits until everything the broker routed to this client so far has
arrived: it publishes a message the ACL allows on a topic the client reads and
waits for it (the broker keeps each client's messages in order).
"""

from __future__ import annotations

import array
import fcntl
import json
import queue
import termios
import threading
import uuid
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol.bus import topic_matches


class RawClient:
    def __init__(self, host: str, port: int, username: str | None, password: str | None,
                 client_id: str | None = None):
        self.messages: list[mqtt.MQTTMessage] = []
        self._fences: set[str] = set()
        self._cond = threading.Condition()
        self.connack: "queue.Queue[int]" = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or username or "",
                                  protocol=mqtt.MQTTv5)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = lambda c, u, f, rc, p: self.connack.put(rc.value)
        self.client.on_message = self._on_message
        self.host, self.port = host, port

    @classmethod
    def for_settings(cls, settings, **kw) -> "RawClient":
        return cls(settings.host, settings.port, settings.username, settings.password, **kw)

    def connect(self, timeout: float = 5.0) -> int:
        """Connect and return the CONNACK reason code (0 = accepted)."""
        self.client.connect(self.host, self.port, keepalive=10)
        self.client.loop_start()
        return self.connack.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> "RawClient":
        code = self.connect()
        if code != 0:
            self.close()
            raise RuntimeError(f"connect refused with reason {code}")
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _on_message(self, client, userdata, message) -> None:
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()

    def subscribe(self, *filters: str, timeout: float = 5.0) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *a: done.set()
        for f in filters:
            done.clear()
            self.client.subscribe(f, qos=1)
            assert done.wait(timeout), f"no SUBACK for {f}"

    def publish(self, topic: str, payload, *, retain: bool = False, response_topic: str | None = None,
                correlation: bytes | None = None, expiry: int | None = None) -> None:
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload, ensure_ascii=False).encode()
        props = Properties(PacketTypes.PUBLISH)
        if response_topic:
            props.ResponseTopic = response_topic
        if correlation:
            props.CorrelationData = correlation
        if expiry:
            props.MessageExpiryInterval = expiry
        info = self.client.publish(topic, payload, qos=1, retain=retain, properties=props)
        info.wait_for_publish(timeout=5)

    def expect(self, filter_: str, timeout: float = 5.0, where=None) -> mqtt.MQTTMessage:
        """The first recorded message on *filter_* (and matching *where*), waiting up to *timeout*."""
        def find():
            for m in self.messages:
                if topic_matches(filter_, m.topic) and (where is None or where(m)):
                    return m
            return None
        with self._cond:
            found = self._cond.wait_for(find, timeout)
        if not found:
            raise AssertionError(f"nothing on {filter_} within {timeout} s; got {[m.topic for m in self.messages]}")
        return found

    def request(self, hall: str, device: str, kind: str, params: dict, request_id: str | None = None,
                timeout: float = 20.0) -> dict:
        """Send a request the way the README says - on the device's own ``requests`` topic with Response
        Topic, Correlation Data = the id and a 30 s expiry - and return its reply (bounded wait)."""
        rid = request_id or unique()
        base = f"hall/{hall}/devices/{device}"
        self.publish(f"{base}/requests", {"v": 1, "id": rid, "type": kind, "params": params},
                     response_topic=f"{base}/replies", correlation=rid.encode(), expiry=30)
        message = self.expect(f"{base}/replies", timeout=timeout,
                              where=lambda m: m.properties.CorrelationData == rid.encode())
        with self._cond:
            self.messages.remove(message)
        return json.loads(message.payload)

    def fence(self, topic: str, timeout: float = 10.0) -> None:
        """Return once everything the broker routed to this client before now has been received.

        Publishes a fresh, valid ``DeviceStatus`` (online, not retained) on *topic* - the client's own
        ``devices/{d}/status``, which its ACL lets it write and read - and waits for it to come back:
        the broker delivers to one client in order, so whatever it sent this client earlier (a state
        the backend published before the reply just received, say) arrived first."""
        if topic not in self._fences:
            self.subscribe(topic)
            self._fences.add(topic)
        payload = json.dumps({"v": 1, "status": "online", "at": datetime.now(timezone.utc).isoformat()}).encode()
        self.publish(topic, payload)
        message = self.expect(topic, timeout, where=lambda m: m.payload == payload and not m.retain)
        with self._cond:
            self.messages.remove(message)

    def received(self, filter_: str, *, live_only: bool = True) -> list[mqtt.MQTTMessage]:
        """Messages on *filter_*; by default only live ones, not retained state from before we subscribed."""
        with self._cond:
            return [m for m in self.messages
                    if topic_matches(filter_, m.topic) and not (live_only and m.retain)]


def unread_bytes(bus) -> int:
    """What the broker sent an :class:`~protocol.client.MqttBus` that it has not read yet (the kernel's
    receive queue): how a test knows messages wait while the bus's network thread is busy."""
    count = array.array("i", [0])
    fcntl.ioctl(bus._sock.fileno(), termios.FIONREAD, count)
    return count[0]


def unique() -> str:
    return uuid.uuid4().hex
