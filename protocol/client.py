"""Every node's connection to the broker: :class:`MqttBus`, MQTT 5 on :mod:`protocol.wire`.

MQTT v5, QoS 1, a persistent session (so a node that drops off for a few seconds
gets the QoS 1 messages it missed, within their expiry), the last will with a
will delay, automatic reconnect with resubscribe, TLS when a CA is configured,
and every message handed to the bus's worker thread (but for handlers of bursts:
the backend's request door runs on the network thread with each read's requests).

One network thread per bus reads the socket and keeps the connection alive.  A
publish is written by the thread that publishes, at once, under the bus's lock
(the socket is non-blocking: what the kernel does not take now, the network
thread writes when it can).  No thread hop and no per-message objects on the way
out, which is where a backend answering thousands of requests a second spent its
time with paho (see docs/queue.md, Benchmarks).

QoS 1 both ways: every PUBLISH we send stays *in flight* until its PUBACK (at
most the broker's Receive Maximum at a time; the rest wait in order) and is sent
again, marked DUP, after a reconnect; one published while offline waits for the
connection.  Every PUBLISH received is delivered, then acknowledged.
"""

from __future__ import annotations

import logging
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Iterator

from . import wire
from .bus import BaseBus, Inbound
from .codec import encode
from .connection import IN_FLIGHT, BrokerSettings
from .models import DeviceStatus

log = logging.getLogger(__name__)

#: Seconds allowed for TCP, TLS and CONNACK when (re)connecting.
CONNECT_TIMEOUT_S = 10.0
#: Seconds between reconnect attempts: from the first, doubling up to the second.
RECONNECT_DELAY_S = (1.0, 10.0)
#: A graceful stop waits at most this long for the broker to acknowledge what was sent.
STOP_FLUSH_S = 2.0
#: A silent client pings after this share of the keepalive: the broker drops it after 1.5
#: keepalives, so a thread held up by a busy machine still has half a keepalive and more.
PING_AFTER = 0.75

_WOULD_BLOCK = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


class ConnectionLost(Exception):
    """The connection ended (the message says why); the network thread reconnects."""


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
        self._will = None
        if device is not None and will:
            self._will = wire.Will(self.topics.device_status(device), encode(DeviceStatus(status="offline")),
                                   retain=True, delay=settings.will_delay_s)
        # Under _lock: the socket and everything on the way out.
        self._lock = threading.Lock()
        self._flushed = threading.Condition(self._lock)
        self._sock: socket.socket | None = None
        self._out = bytearray()                       # written to the socket as it takes it
        self._in_flight: dict[int, bytes] = {}         # packet id -> PUBLISH, until its PUBACK
        self._waiting: deque[tuple[bytes, bytes, bytes, bool]] = deque()  # (topic, props, payload, retain)
        self._subscribing: set[int] = set()            # packet ids of SUBSCRIBEs awaiting their SUBACK
        self._last_id = 0
        self._corks = 0                                 # > 0: hold _out (see corked())
        self._receive_max = IN_FLIGHT
        self._last_sent = 0.0
        # The network thread's own state.
        self._wake_r: socket.socket | None = None   # a byte on _wake_w wakes the network thread
        self._wake_w: socket.socket | None = None
        self._keepalive = settings.keepalive
        self._ping_sent = 0.0
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
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
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._running.set()
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{self.client_id}", daemon=True)
        self._thread.start()
        return self

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self.connected.wait(timeout)

    def stop(self, *, graceful_offline: bool = True) -> None:
        """Disconnect; a device publishes ``offline`` itself first (the will covers crashes).

        Waits up to STOP_FLUSH_S for the broker to acknowledge what was published.
        """
        if not self._started:
            return
        self._started = False
        if graceful_offline and self.device is not None and self.connected.is_set():
            self.publish(self.topics.device_status(self.device), DeviceStatus(status="offline"), retain=True)
        with self._lock:
            if self._sock is not None:
                deadline = time.monotonic() + STOP_FLUSH_S
                while (self._in_flight or self._waiting) and self._sock is not None:
                    left = deadline - time.monotonic()
                    if left <= 0 or not self._flushed.wait(left):
                        break
                if self._sock is not None:
                    self._out += wire.DISCONNECT_PACKET   # normal disconnection: the will is discarded
                    self._write()
        self._running.clear()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=CONNECT_TIMEOUT_S + 5)
        if self._thread is None or not self._thread.is_alive():
            self._wake_r.close()
            self._wake_w.close()
        self.connected.clear()
        self._dispatcher.stop()

    @contextmanager
    def corked(self) -> Iterator[None]:
        """Publishes in the block are written to the socket together when it ends (one send
        for a batch's states and replies instead of one each; each send also gives up the GIL)."""
        with self._lock:
            self._corks += 1
        try:
            yield
        finally:
            with self._lock:
                self._corks -= 1
                self._write()

    # -- transport (any thread) ------------------------------------------------------
    def _subscribe(self, filter_: str) -> None:
        with self._lock:
            if self._sock is None:
                return   # subscribed again after the next connect
            packet_id = self._take_id()
            self._subscribing.add(packet_id)
            self._out += wire.subscribe_packet(packet_id, [filter_])
            self._write()

    def _publish_bytes(self, topic, data, *, retain, expiry, response_topic, correlation) -> None:
        props = b"\x00"
        if expiry is not None or response_topic or correlation:
            props = wire.publish_properties(expiry, response_topic, correlation)
        topic_field = wire.string(topic)
        with self._lock:
            if self._sock is None or self._waiting or len(self._in_flight) >= self._receive_max:
                self._waiting.append((topic_field, props, data, retain))
                return
            packet_id = self._take_id()
            packet = wire.publish_packet(topic_field, packet_id, data, props, retain=retain)
            self._in_flight[packet_id] = packet
            self._out += packet
            self._write()

    def _take_id(self) -> int:
        """A free packet id (under the lock)."""
        packet_id = self._last_id
        while True:
            packet_id = packet_id % 0xFFFF + 1
            if packet_id not in self._in_flight and packet_id not in self._subscribing:
                self._last_id = packet_id
                return packet_id

    def _write(self) -> None:
        """Send what the socket takes now (under the lock); the network thread sends the rest."""
        sock = self._sock
        if sock is None or not self._out or self._corks:
            return
        try:
            sent = sock.send(self._out)
        except _WOULD_BLOCK:
            sent = 0
        except OSError:   # the network thread sees the broken connection and reconnects
            return
        if sent:
            del self._out[:sent]
            self._last_sent = time.monotonic()
        if self._out:
            self._wake()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\x00")  # type: ignore[union-attr]
        except (AttributeError, BlockingIOError, OSError):
            pass   # already awake (its buffer is full) or closed

    # -- the network thread ------------------------------------------------------------
    def _run(self) -> None:
        delay = RECONNECT_DELAY_S[0]
        while self._running.is_set():
            try:
                sock, rest = self._open()
            except (OSError, ssl.SSLError, wire.MqttViolation, ConnectionLost) as exc:
                log.warning("cannot connect to %s:%s as %s: %s; again in %.0f s", self.settings.host,
                            self.settings.port, self.client_id, exc, delay)
                self._pause(delay)
                delay = min(delay * 2, RECONNECT_DELAY_S[1])
                continue
            delay = RECONNECT_DELAY_S[0]
            self._established(sock)
            why = "stopped"
            try:
                self._session(sock, rest)
            except (OSError, ssl.SSLError, wire.MqttViolation, ConnectionLost) as exc:
                why = str(exc) or type(exc).__name__
            with self._lock:
                self._sock = None
                self._subscribing.clear()
                self._out.clear()
                self._flushed.notify_all()
            try:
                sock.close()
            except OSError:
                pass
            self.connected.clear()
            self._dispatcher.put(self._disconnected)
            if self._running.is_set():
                log.warning("disconnected from broker (%s); reconnecting", why)
                self._pause(delay)

    def _pause(self, seconds: float) -> None:
        """Wait before reconnecting; a stop ends the wait."""
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as sel:
            sel.register(self._wake_r, selectors.EVENT_READ)
            while self._running.is_set() and (left := deadline - time.monotonic()) > 0:
                if sel.select(left):
                    self._drain_wake()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _open(self) -> tuple[socket.socket, bytes]:
        """TCP (and TLS), CONNECT, CONNACK: a connected socket, non-blocking, and any bytes after
        the CONNACK."""
        settings = self.settings
        sock = socket.create_connection((settings.host, settings.port), timeout=CONNECT_TIMEOUT_S)
        try:
            # Calls must not wait ~40 ms for Nagle behind the broker's delayed ACK.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if settings.tls_ca:
                context = ssl.create_default_context(cafile=settings.tls_ca)
                sock = context.wrap_socket(sock, server_hostname=settings.host)
            sock.sendall(wire.connect_packet(self.client_id, settings.username, settings.password,
                                             settings.keepalive, clean_start=False,
                                             session_expiry=settings.session_expiry_s, will=self._will))
            buf = b""
            while (found := wire.packet_at(buf, 0, len(buf))) is None:
                data = sock.recv(4096)
                if not data:
                    raise ConnectionLost("the broker closed the connection before its CONNACK")
                buf += data
            first, start, end = found
            if first != wire.CONNACK or end - start < 2:
                raise wire.MqttViolation(f"expected CONNACK, got packet 0x{first:02X}")
            reason, text = wire.reason_of(buf, start + 1, end)
            if reason >= wire.FAILURE:
                hint = " - wrong username or password?" if reason in (0x86, 0x87) else ""
                log.error("broker refused %s: %s%s%s", self.client_id, wire.reason_name(reason),
                          f" ({text})" if text else "", hint)
                raise ConnectionLost(f"refused: {wire.reason_name(reason)}")
            props = wire.read_properties(buf, start + 2, end)[0] if end - start > 2 else {}
            self._receive_max = min(IN_FLIGHT, props.get(wire.PROP_RECEIVE_MAXIMUM, IN_FLIGHT))
            limit = props.get(wire.PROP_MAXIMUM_PACKET_SIZE)
            self._broker_limit = int(limit) if limit else None
            self._keepalive = props.get(wire.PROP_SERVER_KEEP_ALIVE, settings.keepalive)
            sock.setblocking(False)
            self._last_sent = time.monotonic()
            return sock, buf[end:]
        except BaseException:
            sock.close()
            raise

    def _established(self, sock: socket.socket) -> None:
        """Connected: what was in flight goes again (DUP), then what waited; then resubscribe."""
        with self._lock:
            self._sock = sock
            self._out.clear()
            for packet in self._in_flight.values():
                self._out += bytes((packet[0] | wire.DUP,)) + packet[1:]
            self._send_waiting()
            self._write()
        self._ping_sent = 0.0
        log.info("connected to %s:%s as %s", self.settings.host, self.settings.port, self.client_id)
        self._dispatcher.put(self._connected)

    def _send_waiting(self) -> None:
        """Move waiting publishes into flight while the broker has room (under the lock)."""
        while self._waiting and len(self._in_flight) < self._receive_max:
            topic_field, props, data, retain = self._waiting.popleft()
            packet_id = self._take_id()
            packet = wire.publish_packet(topic_field, packet_id, data, props, retain=retain)
            self._in_flight[packet_id] = packet
            self._out += packet

    def _session(self, sock: socket.socket, rest: bytes) -> None:
        """Read and keep alive until the connection ends (raises) or the bus stops (returns)."""
        rbuf = self._handle(rest) if rest else b""
        with selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            writing = False
            while self._running.is_set():
                with self._lock:
                    want = bool(self._out) and not self._corks
                if want != writing:
                    sel.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if want else 0))
                    writing = want
                for key, mask in sel.select(self._next_tick()):
                    if key.fileobj is self._wake_r:
                        self._drain_wake()
                        continue
                    if mask & selectors.EVENT_WRITE:
                        with self._lock:
                            self._write()
                    if mask & selectors.EVENT_READ:
                        rbuf = self._read(sock, rbuf)
                self._keep_alive()
            with self._lock:   # stopping: what is left (our DISCONNECT) goes out before the close
                if self._out:
                    sock.settimeout(1.0)
                    try:
                        sock.sendall(self._out)
                    except OSError:
                        pass
                    self._out.clear()

    def _read(self, sock: socket.socket, rbuf: bytes) -> bytes:
        with self._lock:
            try:
                data = sock.recv(65536)
                while isinstance(sock, ssl.SSLSocket) and sock.pending():
                    data += sock.recv(sock.pending())
            except _WOULD_BLOCK:
                return rbuf
        if not data:
            raise ConnectionLost("the broker closed the connection")
        return self._handle(rbuf + data if rbuf else data)

    def _handle(self, buf: bytes) -> bytes:
        """Handle every complete packet in *buf*; return the incomplete rest."""
        pos, limit = 0, len(buf)
        acks = []
        try:
            while (found := wire.packet_at(buf, pos, limit)) is not None:
                first, start, end = found
                kind = first & 0xF0
                if kind == wire.PUBLISH:
                    message = wire.read_publish(first, buf, start, end)
                    self._dispatcher.receive(Inbound(message.topic, message.payload, message.retain,
                                                     message.response_topic, message.correlation,
                                                     message.expiry))
                    if message.qos:
                        acks.append(wire.puback_packet(message.packet_id))
                elif first == wire.PUBACK:
                    self._on_puback(buf, start, end)
                elif first == wire.SUBACK:
                    self._on_suback(buf, start, end)
                elif first == wire.PINGRESP:
                    self._ping_sent = 0.0
                elif first == wire.DISCONNECT:
                    reason, text = wire.reason_of(buf, start, end)
                    raise ConnectionLost(f"the broker disconnected us: {wire.reason_name(reason)}"
                                         + (f" ({text})" if text else ""))
                else:
                    raise wire.MqttViolation(f"unexpected packet 0x{first:02X} from the broker")
                pos = end
        finally:
            if acks:
                with self._lock:
                    self._out += b"".join(acks)
                    self._write()
            self._dispatcher.end_burst()
        return buf[pos:]

    def _on_puback(self, buf, pos: int, end: int) -> None:
        if end - pos < 2:
            raise wire.MqttViolation("short PUBACK")
        packet_id = buf[pos] << 8 | buf[pos + 1]
        with self._lock:
            if self._in_flight.pop(packet_id, None) is None:
                raise wire.MqttViolation(f"PUBACK for packet id {packet_id}, not in flight")
            if self._waiting:
                self._send_waiting()
                self._write()
            elif not self._in_flight:
                self._flushed.notify_all()
        reason, text = wire.reason_of(buf, pos + 2, end)
        if reason >= wire.FAILURE:
            log.error("broker rejected publish %s from %s: %s%s", packet_id, self.client_id,
                      wire.reason_name(reason), f" ({text})" if text else "")

    def _on_suback(self, buf, pos: int, end: int) -> None:
        if end - pos < 3:
            raise wire.MqttViolation("short SUBACK")
        packet_id = buf[pos] << 8 | buf[pos + 1]
        with self._lock:
            self._subscribing.discard(packet_id)
        props, pos = wire.read_properties(buf, pos + 2, end)
        refused = [code for code in buf[pos:end] if code >= wire.FAILURE]
        if refused:
            log.error("broker refused a subscription of %s: %s", self.client_id,
                      ", ".join(wire.reason_name(code) for code in refused))

    def _next_tick(self) -> float | None:
        """Seconds until the keepalive needs a look."""
        if not self._keepalive:
            return None
        if self._ping_sent:
            return max(0.05, self._ping_sent + self._keepalive - time.monotonic())
        return max(0.05, self._last_sent + self._keepalive * PING_AFTER - time.monotonic())

    def _keep_alive(self) -> None:
        """PINGREQ when we have been silent for :data:`PING_AFTER` of the keepalive; no PINGRESP
        within a keepalive: lost."""
        if not self._keepalive:
            return
        now = time.monotonic()
        if self._ping_sent:
            if now - self._ping_sent > self._keepalive:
                raise ConnectionLost(f"no PINGRESP within {self._keepalive} s")
            return
        if now - self._last_sent >= self._keepalive * PING_AFTER:
            self._ping_sent = now
            with self._lock:
                self._out += wire.PINGREQ_PACKET
                self._write()
