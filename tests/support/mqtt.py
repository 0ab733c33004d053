"""A plain paho MQTT v5 client for tests, written from PROTOCOL.md, not from our wrapper.

It records every message; ``expect`` waits (bounded) for one on a filter and
``fence`` proves that earlier publishes of a client were dropped: it publishes
a message the ACL allows and waits for it, so anything the same client sent
before it would have arrived first.
"""

from __future__ import annotations

import array
import fcntl
import json
import queue
import termios
import threading
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol.bus import topic_matches


class RawClient:
    def __init__(self, host: str, port: int, username: str | None, password: str | None,
                 client_id: str | None = None):
        self.messages: list[mqtt.MQTTMessage] = []
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
