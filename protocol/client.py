"""The one module that imports paho-mqtt: :class:`MqttBus`.

MQTT v5, QoS 1, a persistent session (so a device that drops off for a few
seconds gets the QoS 1 messages it missed, within their expiry), the last
will with a will delay, automatic reconnect with resubscribe, and every
callback handed to the bus's worker thread (but for the few non-blocking
handlers subscribed ``inline``: the backend's request door).
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .bus import BaseBus, Inbound
from .codec import encode
from .connection import IN_FLIGHT, BrokerSettings
from .models import DeviceStatus

log = logging.getLogger(__name__)

#: Reason codes at or above this are failures (MQTT v5).
_FAILURE = 0x80


class MqttBus(BaseBus):
    """A real connection to Mosquitto.

    *device* is this node's device id (= broker username = client id) when it is a
    device; it enables the last will on ``devices/{d}/status`` and
    :meth:`request`.  The backend connects with ``device=None``.
    """

    def __init__(self, settings: BrokerSettings, hall: str, *, device: str | None = None,
                 client_id: str | None = None, will: bool = True):
        client_id = client_id or settings.username or (device or "")
        super().__init__(hall, client_id, device)
        self.settings = settings
        self._broker_limit: int | None = None
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                   protocol=mqtt.MQTTv5)
        if settings.username:
            self._client.username_pw_set(settings.username, settings.password)
        if settings.tls_ca:
            self._client.tls_set(ca_certs=settings.tls_ca, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.max_queued_messages_set(0)
        self._client.max_inflight_messages_set(IN_FLIGHT)
        if device is not None and will:
            props = Properties(PacketTypes.WILLMESSAGE)
            props.WillDelayInterval = settings.will_delay_s
            self._client.will_set(self.topics.device_status(device), encode(DeviceStatus(status="offline")),
                                  qos=1, retain=True, properties=props)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._listen_for_replies()
        self._started = False

    @property
    def max_payload(self) -> int:  # type: ignore[override]
        limit = self.settings.max_payload
        if self._broker_limit:
            limit = min(limit, self._broker_limit - 1024)  # room for topic and properties
        return limit

    def start(self) -> "MqttBus":
        """Connect (asynchronously: the bus reconnects until the broker answers)."""
        if self._started:
            return self
        self._started = True
        self._dispatcher.start()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        self._client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive,
                                   clean_start=False, properties=props)
        self._client.loop_start()
        return self

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self.connected.wait(timeout)

    def stop(self, *, graceful_offline: bool = True) -> None:
        """Disconnect; a device publishes ``offline`` itself first (the will covers crashes)."""
        if not self._started:
            return
        self._started = False
        if graceful_offline and self.device is not None and self.connected.is_set():
            info = self._client.publish(self.topics.device_status(self.device),
                                        encode(DeviceStatus(status="offline")), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()
        self._dispatcher.stop()

    # -- paho callbacks: network thread, hand everything to the worker -----------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.value >= _FAILURE:
            log.error("broker refused %s: %s", self.client_id, reason_code)
            return
        sock = client.socket()
        if sock is not None and hasattr(sock, "setsockopt"):
            # Calls must not wait ~40 ms for Nagle behind the broker's delayed ACK.
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        limit = getattr(properties, "MaximumPacketSize", None) if properties else None
        self._broker_limit = int(limit) if limit else None
        log.info("connected to %s:%s as %s", self.settings.host, self.settings.port, self.client_id)
        self._dispatcher.put(self._connected)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self._dispatcher.put(self._disconnected)
        if self._started:
            log.warning("disconnected from broker (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message) -> None:
        props = message.properties
        response_topic = getattr(props, "ResponseTopic", None) if props else None
        correlation = getattr(props, "CorrelationData", None) if props else None
        expiry = getattr(props, "MessageExpiryInterval", None) if props else None
        self._dispatcher.receive(Inbound(message.topic, bytes(message.payload), bool(message.retain),
                                     response_topic, correlation, expiry))

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        if reason_code.value >= _FAILURE:
            log.error("broker rejected publish %s from %s: %s", mid, self.client_id, reason_code)

    # -- transport ---------------------------------------------------------------
    def _subscribe(self, filter_: str) -> None:
        self._client.subscribe(filter_, qos=1)

    def _publish_bytes(self, topic, data, *, retain, expiry, response_topic, correlation) -> None:
        props = None
        if expiry is not None or response_topic or correlation:
            props = PublishProperties(expiry, response_topic, correlation)
        info = self._client.publish(topic, data, qos=1, retain=retain, properties=props)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.error("publish to %s failed locally: %s", topic, mqtt.error_string(info.rc))


class PublishProperties(Properties):
    """The PUBLISH properties we send, packed once here.

    paho's :class:`Properties` builds its name and type tables on every instance
    and checks every assignment against them: ~60 µs per message, which every
    request, reply and call event paid.  paho only calls :meth:`pack` on the
    properties of an outgoing PUBLISH (also when it resends one).
    """

    def __init__(self, expiry: int | None = None, response_topic: str | None = None,
                 correlation: bytes | None = None):
        object.__setattr__(self, "packetType", PacketTypes.PUBLISH)
        body = bytearray()
        if expiry is not None:
            body += b"\x02" + struct.pack("!I", expiry)
        if response_topic:
            encoded = response_topic.encode("utf-8")
            body += b"\x08" + struct.pack("!H", len(encoded)) + encoded
        if correlation:
            body += b"\x09" + struct.pack("!H", len(correlation)) + correlation
        object.__setattr__(self, "_packed", _varint(len(body)) + bytes(body))

    def pack(self) -> bytes:
        return self._packed


def _varint(value: int) -> bytes:
    """MQTT's variable byte integer."""
    out = bytearray()
    while True:
        value, digit = divmod(value, 128)
        out.append(digit | (0x80 if value else 0))
        if not value:
            return bytes(out)
