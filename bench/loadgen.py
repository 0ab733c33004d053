"""Lean MQTT load generation for the hall benchmarks: many MQTT v5 clients driven by ONE thread.

The queue benchmarks used to drive the hall with one :class:`protocol.client.MqttBus` per device;
each has a paho network thread and a dispatcher worker thread, so twenty kiosks meant 40+ Python
threads fighting for the GIL on a 2-core machine and the figures measured the load generator as
much as the broker and the backend.  :class:`ClientPool` instead runs N device connections (MQTT
v5, QoS 1, client id = username = device id) from a single thread with one epoll loop.  Timers
live in a heap on the same thread and the loop's only sleep is its wait for sockets (select(2)
on the epoll fd, for a microsecond timeout), so open-loop pacing needs no extra threads.

Why our own minimal MQTT client rather than paho
------------------------------------------------
The first version of this pool drove plain paho clients through paho's external-loop API on the
same single thread, and with paho the generator cost 0.55-0.7 ms of CPU per request, mostly
paho's: unpacking the MQTT v5 Properties of every incoming message ~90 us, packing them on
every outgoing one ~40 us, socket reads a byte at a time, several Python objects per packet.  On
this 2-core machine the generator then ate a whole core at 2,000 requests/s and could not
measure the backend's 2,000 tickets/s target honestly.  The few packets the benches need are encoded and
parsed here directly: ~3 us to build a request's PUBLISH and ~2 us to parse a PUBACK plus the
reply PUBLISH (micro-benchmarked), against ~130 us in paho.  Measured figures, loop-thread CPU
(``time.thread_time()``) with bench_tickets.py's phases:

* against a throwaway responder that answers every request at once (so that only the generator
  is measured), 20 kiosks: closed loop, paho 2,160-2,440 requests/s at ~100% of a core = 410-460
  us per request; this client 7,300-14,500 requests/s at 70-98% of a core = 66-97 us per
  request, of which ~30 us is the bench's own pydantic work (building the ``Request``,
  ``protocol.codec.encode`` and ``decode(Reply, ...)``).  Open loop at 2,000 requests/s: paho
  91-96% of a core (456-485 us per request: already its limit); this client 42-51% (210-256 us).
  At 500 requests/s: paho 36% (722 us), this client 19-21% (372-420 us);
* against the real broker and backend (which did ~450-570 tickets/s while this was written),
  ``bench_tickets.py --seconds 5``: paho 28-31% of a core, 614-677 us per request; this client
  10-12%, 205-250 us per request.  ``bench_calls.py``: the spread first -> last of the 20 walls
  handling a call event, which is this one thread's serial work, went from p50 2.3-2.9 ms
  (p99 4.8-9.5 ms) to p50 0.34 ms (p99 1.0 ms).

At moderate rates the per-request figure is dominated by waking up, not by the work: on this VM
the same 20 us of Python costs ~60 us of CPU after a 250 us sleep and ~90 us after 1 ms (cold
caches, the hypervisor's wake-up), and a paced generator sleeps between nearly every two
packets.  The share of a core is therefore the figure to read: this client leaves the backend
and the broker more than a core and a half of the two at 2,000 requests/s.

The MQTT 5 subset spoken (anything else from the broker is a protocol violation,
:class:`protocol.wire.MqttViolation`, that stops the loop loudly):

* CONNECT: protocol "MQTT" level 5, clean start, keepalive (default 60 s; the broker's Server
  Keep Alive wins), username + password, client id = device id, no properties, no will.  A
  CONNACK with a reason code >= 0x80 (Mosquitto answers a wrong password or an unknown user with
  0x87 Not authorized) fails :meth:`ClientPool.start` with a ``ConnectionError`` naming the
  client, the user and the reason; its Receive Maximum, Maximum Packet Size, Server Keep Alive
  and Maximum QoS are honoured.
* SUBSCRIBE (all of a client's filters in one packet, subscription options: QoS 1) and SUBACK:
  every reason code must be < 0x80 before the client counts as ready.
* PUBLISH QoS 1 outgoing with Message Expiry Interval, Response Topic and Correlation Data;
  packet ids 1..65535, wrapping, never one still unacknowledged.  A PUBACK with a reason code
  >= 0x80 counts in :attr:`ClientPool.publish_errors` (the benches print it).  Publishes beyond
  the broker's Receive Maximum wait in a per-client backlog until a PUBACK frees a slot.
* PUBLISH QoS 0/1 incoming: topic, packet id, properties walked by their types (Correlation Data
  kept, the others skipped; a Topic Alias is refused, we allow none), PUBACK (4 bytes, reason
  omitted = success) for QoS 1.  QoS 2 is never asked for and refused.
* PINGREQ after 3/4 of the keepalive without sending; no PINGRESP within a keepalive is a lost
  connection.  On stop: DISCONNECT (normal), half-close, and wait for the broker's close.
* I/O: non-blocking sockets with TCP_NODELAY; each read takes up to 256 KiB into one buffer and
  every complete packet in it is handled (a partial one is kept for the next read); outgoing
  packets are appended to a per-client buffer sent once per loop turn, EPOLLOUT being watched
  only while the kernel's send buffer is full.

What the pool offers:

* :meth:`ClientPool.subscribe` - before :meth:`~ClientPool.start`, subscribe clients to a topic
  filter; the callback gets ``(client_index, topic, payload, info, t_received)`` on the loop
  thread, ``info`` a :class:`MessageInfo` (QoS, retain, Correlation Data), ``t_received`` being
  ``time.perf_counter()`` taken as the parsed message is handed over; :attr:`ClientPool.turn_time`
  is when the loop saw the socket readable (earlier than ``t_received`` by the time this one
  thread spent on other clients' packets first).
* :meth:`ClientPool.send_request` - publish a :class:`protocol.models.Request` from a device exactly
  as the kiosk's own client does (``Topics.device_requests``, QoS 1, Response Topic =
  ``Topics.device_replies``, Correlation Data = the request id, the same message expiry); the reply
  is decoded with ``protocol.codec.decode(Reply, ...)``, matched by correlation id and handed to
  the caller's ``on_reply(reply, t_received)`` (``reply`` is None if it could not be decoded or did
  not match its correlation id).  Every client subscribes to its own replies topic at connect.
* :meth:`ClientPool.call_at` / :meth:`~ClientPool.call_later` - timers on the loop thread.
* :meth:`ClientPool.run` - the main thread hands a job to the loop thread and blocks on a
  :class:`concurrent.futures.Future` until the job completes it (or the loop dies);
  :meth:`ClientPool.device` gives a blocking ``request``/``call`` object shaped like a bus, so
  ``hallrig.wait_for_backend`` and one-off requests work unchanged.

This is a bench tool, not product code: no reconnects (a lost connection is counted in
:attr:`ClientPool.disconnects` and reported), clean sessions, no last will, no TLS.
"""

from __future__ import annotations

import errno
import heapq
import os
import select
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, NamedTuple, Self

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, as hallrig does

from protocol import REQUEST_EXPIRY_S, ProtocolError, Topics, topic_matches
from protocol.codec import decode, encode, error_of
from protocol.connection import BrokerSettings
from protocol.models import Reply, Request

from protocol import wire  # noqa: E402


class MessageInfo(NamedTuple):
    """What a subscription callback learns about a message besides its topic and payload."""

    qos: int
    retain: bool
    correlation_data: bytes | None


#: ``callback(client_index, topic, payload, info, t_received)`` for subscribed messages.
MessageCallback = Callable[[int, str, bytes, MessageInfo, float], None]
#: ``on_reply(reply_or_None, t_received)`` for one request.
ReplyCallback = Callable[[Reply | None, float], None]

_MISC_INTERVAL_S = 1.0   # how often keepalives are checked
_PING_AT = 0.75          # send PINGREQ after this share of the keepalive without sending
_RECV_BYTES = 256 * 1024
_WAKE = object()         # stands for the cross-thread wake-up socket in ClientPool._by_fd

# -- one connection --------------------------------------------------------------------------------
_TCP_CONNECTING, _WAIT_CONNACK, _WAIT_SUBACK, _READY, _CLOSING, _CLOSED = range(6)


class _Conn:
    """The state of one device's MQTT connection (loop thread only)."""

    __slots__ = ("backlog", "closing_shut", "device", "fd", "filters", "in_use", "index", "keepalive",
                 "last_sent", "max_packet", "next_id", "ping_sent", "props_prefix", "rbuf",
                 "receive_max", "reply_topic", "request_topic", "settings", "sock", "state",
                 "sub_id", "wbuf", "write_armed")

    def __init__(self, index: int, settings: BrokerSettings, reply_topic: str, request_topic: str,
                 keepalive: int):
        self.index, self.settings, self.device = index, settings, settings.username
        self.reply_topic = reply_topic.encode("utf-8")
        self.request_topic = wire.string(request_topic)
        # The Properties of every request but its Correlation Data, which is appended per request.
        self.props_prefix = (bytes((wire.PROP_EXPIRY,)) + REQUEST_EXPIRY_S.to_bytes(4, "big")
                             + bytes((wire.PROP_RESPONSE_TOPIC,)) + wire.string(reply_topic))
        self.filters: list[str] = [reply_topic]
        self.keepalive = keepalive
        self.sock: socket.socket | None = None
        self.fd = -1
        self.state = _CLOSED
        self.rbuf = b""                  # an incomplete packet left from the last read
        self.wbuf = bytearray()          # packets not yet accepted by the kernel
        self.write_armed = False         # registered for EVENT_WRITE (send buffer full)
        self.closing_shut = False        # DISCONNECT flushed and the write side shut
        self.next_id = 1
        self.in_use: set[int] = set()    # packet ids of PUBLISH/SUBSCRIBE not yet acknowledged
        self.backlog: deque[tuple[int, bytes]] = deque()  # publishes over the Receive Maximum
        self.receive_max = 65535
        self.max_packet = 268_435_460
        self.sub_id = 0
        self.last_sent = 0.0
        self.ping_sent = 0.0

    def take_id(self) -> int:
        packet_id = self.next_id
        in_use = self.in_use
        if packet_id in in_use:
            if len(in_use) >= 65535:
                raise ProtocolError("timeout", f"{self.device}: 65,535 packets unacknowledged")
            while packet_id in in_use:
                packet_id = packet_id % 65535 + 1
        self.next_id = packet_id % 65535 + 1
        in_use.add(packet_id)
        return packet_id


class Timer:
    """A scheduled call on the loop thread; :meth:`cancel` before it fires to drop it."""

    __slots__ = ("args", "fn", "when")

    def __init__(self, when: float, fn: Callable[..., None] | None, args: tuple):
        self.when, self.fn, self.args = when, fn, args

    def cancel(self) -> None:
        self.fn = None


class ClientPool:
    """N MQTT v5 device clients on one event-loop thread.

    *settings* holds one :class:`BrokerSettings` per client (its username is the device id, also
    used as the client id; TLS is not supported).  Methods marked *loop thread* must only be
    called from callbacks, timers or jobs running on the loop; the others are thread-safe.
    """

    def __init__(self, hall: str, settings: Sequence[BrokerSettings], *, keepalive: int = 60):
        self.topics = Topics(hall)
        self.settings = list(settings)
        for s in self.settings:
            if s.tls_ca:
                raise ValueError(f"{s.username}: the load generator does not speak TLS")
        self.devices = [s.username for s in self.settings]
        self._conns = [_Conn(index, s, self.topics.device_replies(s.username),
                             self.topics.device_requests(s.username), keepalive)
                       for index, s in enumerate(self.settings)]
        self._subscriptions: list[list[tuple[str, MessageCallback]]] = [[] for _ in self.settings]
        self._pending: dict[str, tuple[int, ReplyCallback]] = {}   # request id -> (client, on_reply)
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = 0
        self._ready_soon: deque[tuple[Callable[..., None], tuple]] = deque()  # loop thread only
        self._threadsafe: deque[tuple[Callable[..., None], tuple]] = deque()
        self._dirty: set[_Conn] = set()        # connections with bytes to send this turn
        # Sockets are watched with epoll, but the loop waits in select(2) on the epoll fd: select
        # takes a microsecond timeout where epoll_wait rounds up to whole milliseconds, which
        # would make every paced send up to 1 ms late (and selectors.SelectSelector over every
        # socket costs ~10 us more per loop turn).
        self._epoll = select.epoll()
        self._by_fd: dict[int, Any] = {}       # fd -> _Conn (or _WAKE)
        self._rx = bytearray(_RECV_BYTES)      # every read lands here first
        self._rxv = memoryview(self._rx)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._futures: set[Future] = set()
        self._futures_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="loadgen-loop", daemon=True)
        self._ready: Future = Future()
        self._subscribed = 0                   # clients connected with every subscription acked
        self._stopping = False
        self._stop_deadline = 0.0
        self.finished = threading.Event()
        #: Why the loop stopped early, if it did (an exception in a callback, a protocol violation).
        self.error: BaseException | None = None
        #: Replies whose correlation id matched no pending request (late after a timeout, repeats).
        self.stray_replies = 0
        #: Connections lost while running (the pool does not reconnect).
        self.disconnects = 0
        #: PUBACKs with a failure reason code (>= 0x80), by reason (see :func:`wire.reason_name`).
        self.publish_errors: Counter[int] = Counter()
        #: *Loop thread.* ``time.perf_counter()`` when this turn's select() returned, i.e. when the
        #: sockets being read this turn were seen readable.  For a client whose only pending packet
        #: is the message being handled (a wall waiting for a call), this is when a device of its
        #: own would have had the message; ``t_received`` is later by the time this one thread
        #: spent on the other clients' packets before it got to this one.
        self.turn_time = 0.0

    # -- setup (before start) --------------------------------------------------
    def subscribe(self, filter_: str, callback: MessageCallback, clients: Iterable[int] | None = None) -> None:
        """At connect, subscribe *clients* (default: all) to *filter_* at QoS 1."""
        if self._thread.is_alive():
            raise RuntimeError("subscribe before start()")
        for index in range(len(self.settings)) if clients is None else clients:
            self._subscriptions[index].append((filter_, callback))
            self._conns[index].filters.append(filter_)

    def start(self, timeout: float = 15.0) -> ClientPool:
        """Connect every client and wait until all are connected and subscribed.

        Raises ``ConnectionError`` naming the device and the broker's reason if one is refused
        (bad credentials: ``0x86 Bad User Name or Password``) or cannot connect.
        """
        self._thread.start()
        try:
            self._ready.result(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Disconnect every client (DISCONNECT sent) and end the loop thread."""
        if self._thread.is_alive():
            self.call_soon_threadsafe(self._begin_stop, timeout / 2)
            self._thread.join(timeout)
        if self.error is not None:
            raise RuntimeError("the load generator loop failed") from self.error

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- cross-thread ----------------------------------------------------------
    def call_soon_threadsafe(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop thread at its next turn."""
        self._threadsafe.append((fn, args))
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # already a wake-up byte pending (or the loop is gone)

    def run(self, job: Callable[[Future], None], timeout: float | None = None) -> Any:
        """Call ``job(future)`` on the loop thread and block until it completes *future*.

        The job (or the callbacks and timers it sets up) calls ``future.set_result`` or
        ``set_exception``; if the loop dies first the future gets its error.  Not for the loop
        thread itself.
        """
        future: Future = Future()
        with self._futures_lock:
            if self.finished.is_set():
                raise RuntimeError("the load generator loop has stopped") from self.error
            self._futures.add(future)
        future.add_done_callback(self._forget_future)

        def begin() -> None:
            try:
                job(future)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                if not future.done():
                    future.set_exception(exc)
        self.call_soon_threadsafe(begin)
        return future.result(timeout)

    def device(self, index: int) -> PoolDevice:
        """A blocking request/call interface for client *index*, shaped like a bus."""
        return PoolDevice(self, index)

    # -- loop thread -----------------------------------------------------------
    def call_at(self, when: float, fn: Callable[..., None], *args: Any) -> Timer:
        """*Loop thread.* Run ``fn(*args)`` at ``time.perf_counter() == when`` (or just after)."""
        timer = Timer(when, fn, args)
        self._seq += 1
        heapq.heappush(self._timers, (when, self._seq, timer))
        return timer

    def call_later(self, delay: float, fn: Callable[..., None], *args: Any) -> Timer:
        """*Loop thread.* Run ``fn(*args)`` after *delay* seconds."""
        return self.call_at(time.perf_counter() + delay, fn, *args)

    def call_soon(self, fn: Callable[..., None], *args: Any) -> None:
        """*Loop thread.* Run ``fn(*args)`` later in this turn, after the current callback."""
        self._ready_soon.append((fn, args))

    def send_request(self, index: int, request: Request, on_reply: ReplyCallback) -> float:
        """*Loop thread.* Publish *request* from client *index*; return the send time.

        ``on_reply(reply, t_received)`` runs on the loop thread when the reply arrives (``reply``
        None if it did not decode or named another request); after that, or after :meth:`forget`,
        a reply with the same id counts as stray.
        """
        self._pending[request.id] = (index, on_reply)
        return self.publish_request(index, request)

    def publish_request(self, index: int, request: Request) -> float:
        """*Loop thread.* (Re)publish *request* from client *index* without registering it.

        The packet goes into the client's write buffer (sent at the end of this loop turn); the
        returned send time is taken as it is queued.
        """
        conn = self._conns[index]
        if conn.state != _READY:
            raise ProtocolError("timeout", f"{conn.device} could not publish: not connected")
        payload = encode(request)
        correlation = request.id.encode("utf-8")
        packet_id = conn.take_id()
        props_len = len(conn.props_prefix) + 3 + len(correlation)
        props_varint = wire.varint(props_len)
        remaining = len(conn.request_topic) + 2 + len(props_varint) + props_len + len(payload)
        packet = b"".join((b"\x32", wire.varint(remaining), conn.request_topic, packet_id.to_bytes(2, "big"),
                           props_varint, conn.props_prefix, b"\x09", len(correlation).to_bytes(2, "big"),
                           correlation, payload))
        if len(packet) > conn.max_packet:
            conn.in_use.discard(packet_id)
            raise ProtocolError("invalid_request", f"{conn.device}: a {len(packet):,}-byte PUBLISH is over "
                                                   f"the broker's maximum packet size {conn.max_packet:,}")
        sent = time.perf_counter()
        if conn.backlog or len(conn.in_use) > conn.receive_max:
            conn.backlog.append((packet_id, packet))   # over the broker's Receive Maximum: wait
        else:
            conn.wbuf += packet
            self._dirty.add(conn)
        return sent

    def forget(self, request_id: str) -> None:
        """*Loop thread.* Stop waiting for *request_id* (a later reply is counted as stray)."""
        self._pending.pop(request_id, None)

    @staticmethod
    def loop_cpu_s() -> float:
        """*Loop thread.* CPU seconds (user + system) the loop thread has used so far."""
        return time.thread_time()

    def pending(self) -> int:
        """*Loop thread.* Requests sent and not yet answered or forgotten."""
        return len(self._pending)

    def unacknowledged(self) -> int:
        """*Loop thread.* Publishes (and subscribes) still waiting for the broker's PUBACK (SUBACK)."""
        return sum(len(conn.in_use) for conn in self._conns)

    # -- connections (loop thread) -------------------------------------------------
    def _fail_ready(self, error: BaseException) -> None:
        if not self._ready.done():
            self._ready.set_exception(error)

    def _open(self, conn: _Conn) -> None:
        settings = conn.settings
        try:
            family, kind, proto, _, address = socket.getaddrinfo(settings.host, settings.port,
                                                                 type=socket.SOCK_STREAM)[0]
        except OSError as exc:
            self._fail_ready(ConnectionError(f"{conn.device}: cannot resolve {settings.host}: {exc}"))
            return
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        # Requests and replies must not wait ~40 ms for Nagle behind a delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        code = sock.connect_ex(address)
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            self._fail_ready(ConnectionError(f"{conn.device} cannot connect to {settings.host}:"
                                             f"{settings.port}: {os.strerror(code)}"))
            return
        conn.sock, conn.state = sock, _TCP_CONNECTING
        conn.wbuf += wire.connect_packet(conn.device, settings.username, settings.password, conn.keepalive)
        conn.write_armed = True   # writable = TCP connected (or failed)
        conn.fd = sock.fileno()
        self._epoll.register(conn.fd, select.EPOLLIN | select.EPOLLOUT)
        self._by_fd[conn.fd] = conn

    def _tcp_connected(self, conn: _Conn, now: float) -> None:
        code = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            settings = conn.settings
            self._lost(conn, f"cannot connect to {settings.host}:{settings.port}: {os.strerror(code)}")
            return
        conn.state = _WAIT_CONNACK
        self._write(conn, now)   # the CONNECT

    def _close(self, conn: _Conn) -> None:
        sock = conn.sock
        if sock is None:
            return
        conn.sock, conn.state = None, _CLOSED
        self._dirty.discard(conn)
        self._by_fd.pop(conn.fd, None)
        try:
            self._epoll.unregister(conn.fd)
        except (KeyError, OSError):
            pass
        sock.close()

    def _lost(self, conn: _Conn, why: str) -> None:
        """The connection ended (or never came up) other than by our own DISCONNECT."""
        closing = conn.state == _CLOSING
        self._close(conn)
        if not (self._stopping or closing):
            self.disconnects += 1
            self._fail_ready(ConnectionError(f"{conn.device}: {why}"))

    def _write(self, conn: _Conn, now: float) -> None:
        """Send what the kernel takes; watch for writability only while some is left."""
        sock, wbuf = conn.sock, conn.wbuf
        if sock is None or conn.state == _TCP_CONNECTING:
            return
        if wbuf:
            try:
                sent = sock.send(wbuf)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                self._lost(conn, f"send failed: {exc}")
                return
            if sent:
                del wbuf[:sent]
                conn.last_sent = now
        if wbuf:
            if not conn.write_armed:
                conn.write_armed = True
                self._epoll.modify(conn.fd, select.EPOLLIN | select.EPOLLOUT)
            return
        if conn.write_armed:
            conn.write_armed = False
            self._epoll.modify(conn.fd, select.EPOLLIN)
        if conn.state == _CLOSING and not conn.closing_shut:
            conn.closing_shut = True   # DISCONNECT sent: half-close, the broker closes its side
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                self._close(conn)

    def _read(self, conn: _Conn) -> None:
        try:
            size = conn.sock.recv_into(self._rx)
        except BlockingIOError:
            return
        except OSError as exc:
            self._lost(conn, f"receive failed: {exc}")
            return
        if size == 0:
            if conn.state == _CLOSING:
                self._close(conn)
            else:
                self._lost(conn, "the broker closed the connection")
            return
        if conn.state == _CLOSING:
            return   # after our DISCONNECT: nothing more to handle, wait for the close
        if conn.rbuf:
            data = memoryview(conn.rbuf + self._rxv[:size])
            used = self._parse(conn, data, len(data))
            conn.rbuf = bytes(data[used:])
        else:
            used = self._parse(conn, self._rxv, size)
            if used < size:
                conn.rbuf = bytes(self._rxv[used:size])

    def _parse(self, conn: _Conn, buf: memoryview, limit: int) -> int:
        """Handle every complete packet in ``buf[:limit]``; return where the first incomplete one starts."""
        pos = 0
        while (found := wire.packet_at(buf, pos, limit)) is not None:
            first, start, end = found
            length = end - start
            if first >> 4 == 3:
                self._on_publish(conn, first, buf, start, end)
            elif first == wire.PUBACK:
                self._on_puback(conn, buf, start, end)
            elif first == wire.PINGRESP and length == 0:
                conn.ping_sent = 0.0
            elif first == wire.CONNACK:
                self._on_connack(conn, buf, start, end)
            elif first == wire.SUBACK:
                self._on_suback(conn, buf, start, end)
            elif first == wire.DISCONNECT:
                reason, text = wire.reason_of(buf, start, end)
                self._lost(conn, f"the broker disconnected it: {wire.reason_name(reason)}"
                                 + (f" ({text})" if text else ""))
                return end
            else:
                raise wire.MqttViolation(f"{conn.device}: unexpected packet 0x{first:02X} ({length} bytes)")
            pos = end
            if conn.sock is None:
                return limit   # closed while handling it (a refused CONNACK)
        return pos

    # -- packets from the broker (loop thread) ------------------------------------------
    def _on_connack(self, conn: _Conn, buf, pos: int, end: int) -> None:
        if conn.state != _WAIT_CONNACK or end - pos < 2:
            raise wire.MqttViolation(f"{conn.device}: unexpected or short CONNACK")
        session_present, reason = buf[pos], buf[pos + 1]
        props = wire.read_properties(buf, pos + 2, end)[0] if end - pos > 2 else {}
        if reason >= wire.FAILURE:
            settings = conn.settings
            text = f" ({props[wire.PROP_REASON_STRING]})" if wire.PROP_REASON_STRING in props else ""
            hint = " - wrong username or password?" if reason in (0x86, 0x87) else ""
            self._fail_ready(ConnectionError(
                f"the broker at {settings.host}:{settings.port} refused client {conn.index} (user "
                f"{settings.username!r}): CONNACK {wire.reason_name(reason)}{text}{hint}"))
            self._lost(conn, f"refused: {wire.reason_name(reason)}")
            return
        if session_present & 0x01:
            raise wire.MqttViolation(f"{conn.device}: session present after a clean start")
        conn.receive_max = props.get(wire.PROP_RECEIVE_MAXIMUM, 65535)
        conn.max_packet = props.get(wire.PROP_MAXIMUM_PACKET_SIZE, conn.max_packet)
        conn.keepalive = props.get(wire.PROP_SERVER_KEEP_ALIVE, conn.keepalive)
        if props.get(wire.PROP_MAXIMUM_QOS, 2) < 1:
            self._fail_ready(ConnectionError(f"{conn.device}: the broker does not allow QoS 1"))
            return
        conn.sub_id = conn.take_id()
        conn.wbuf += wire.subscribe_packet(conn.sub_id, conn.filters)
        conn.state = _WAIT_SUBACK
        self._dirty.add(conn)

    def _on_suback(self, conn: _Conn, buf, pos: int, end: int) -> None:
        if conn.state != _WAIT_SUBACK or end - pos < 3 or (buf[pos] << 8 | buf[pos + 1]) != conn.sub_id:
            raise wire.MqttViolation(f"{conn.device}: unexpected SUBACK")
        props, pos = wire.read_properties(buf, pos + 2, end)
        codes = bytes(buf[pos:end])
        if len(codes) != len(conn.filters):
            raise wire.MqttViolation(f"{conn.device}: SUBACK has {len(codes)} reason codes for "
                                f"{len(conn.filters)} topic filters")
        refused = [f"{filter_}: {wire.reason_name(code)}" for filter_, code in zip(conn.filters, codes)
                   if code >= wire.FAILURE]
        if refused:
            text = f" ({props[wire.PROP_REASON_STRING]})" if wire.PROP_REASON_STRING in props else ""
            self._fail_ready(ConnectionError(f"the broker refused subscriptions of {conn.device}: "
                                             f"{'; '.join(refused)}{text}"))
            return
        conn.in_use.discard(conn.sub_id)
        conn.state = _READY
        self._subscribed += 1
        if self._subscribed == len(self._conns) and not self._ready.done():
            self._ready.set_result(True)

    def _on_puback(self, conn: _Conn, buf, pos: int, end: int) -> None:
        if end - pos < 2:
            raise wire.MqttViolation(f"{conn.device}: short PUBACK")
        packet_id = buf[pos] << 8 | buf[pos + 1]
        if (packet_id not in conn.in_use or packet_id == conn.sub_id and conn.state == _WAIT_SUBACK
                or conn.backlog and any(queued == packet_id for queued, _ in conn.backlog)):
            raise wire.MqttViolation(f"{conn.device}: PUBACK for packet id {packet_id}, not in flight")
        conn.in_use.remove(packet_id)
        if end - pos > 2 and buf[pos + 2] >= wire.FAILURE:
            self.publish_errors[buf[pos + 2]] += 1
        if conn.backlog and len(conn.in_use) - len(conn.backlog) < conn.receive_max:
            conn.wbuf += conn.backlog.popleft()[1]
            self._dirty.add(conn)

    def _on_publish(self, conn: _Conn, first: int, buf, pos: int, end: int) -> None:
        qos = (first >> 1) & 0x03
        if qos > 1:
            raise wire.MqttViolation(f"{conn.device}: a QoS {qos} PUBLISH on QoS 1 subscriptions")
        topic_end = pos + 2 + (buf[pos] << 8 | buf[pos + 1])
        if topic_end + (2 if qos else 0) >= end:
            raise wire.MqttViolation(f"{conn.device}: malformed PUBLISH (topic past the packet's end)")
        topic = buf[pos + 2:topic_end]
        pos = topic_end
        if qos:
            pos += 2
            if buf[pos - 2] == 0 == buf[pos - 1]:
                raise wire.MqttViolation(f"{conn.device}: PUBLISH with packet id 0")
            conn.wbuf += bytes((wire.PUBACK, 2, buf[pos - 2], buf[pos - 1]))   # reason omitted: success
            self._dirty.add(conn)
        byte = buf[pos]
        if byte < 0x80:
            stop = pos + 1 + byte
            correlation = wire.skip_publish_properties(buf, pos + 1, stop) if byte else None
        else:
            length, pos = wire.read_varint(buf, pos, end)
            stop = pos + length
            correlation = wire.skip_publish_properties(buf, pos, stop)
        if stop > end or not topic:
            raise wire.MqttViolation(f"{conn.device}: malformed PUBLISH (empty topic or fields past its end)")
        payload = bytes(buf[stop:end])
        received = time.perf_counter()
        if topic == conn.reply_topic:
            self._on_reply(correlation, payload, received)
            return
        topic = str(topic, "utf-8")
        subscriptions = self._subscriptions[conn.index]
        if subscriptions:
            info = MessageInfo(qos, bool(first & 0x01), correlation)
            for filter_, callback in subscriptions:
                if topic_matches(filter_, topic):
                    callback(conn.index, topic, payload, info, received)

    def _on_reply(self, correlation: bytes | None, payload: bytes, received: float) -> None:
        try:
            reply: Reply | None = decode(Reply, payload)
        except ProtocolError:
            reply = None
        key = correlation.decode("utf-8", "replace") if correlation else (reply and reply.request_id)
        waiting = self._pending.pop(key, None) if key else None
        if waiting is None:
            self.stray_replies += 1
            return
        if reply is not None and reply.request_id != key:
            reply = None  # the reply names another request than its correlation data
        waiting[1](reply, received)

    # -- the loop ----------------------------------------------------------------
    def _keepalive(self, now: float) -> None:
        for conn in self._conns:
            if conn.sock is None or conn.state in (_TCP_CONNECTING, _CLOSING) or not conn.keepalive:
                continue
            if conn.ping_sent:
                if now - conn.ping_sent > conn.keepalive:
                    self._lost(conn, f"no PINGRESP within the {conn.keepalive} s keepalive")
            elif now - conn.last_sent >= _PING_AT * conn.keepalive:
                conn.ping_sent = now
                conn.wbuf += wire.PINGREQ_PACKET
                self._dirty.add(conn)

    def _begin_stop(self, grace: float) -> None:
        self._stopping = True
        self._stop_deadline = time.perf_counter() + grace
        for conn in self._conns:
            if conn.sock is None:
                continue
            if conn.state == _TCP_CONNECTING:
                self._close(conn)
                continue
            conn.state = _CLOSING
            conn.backlog.clear()
            conn.wbuf += wire.DISCONNECT_PACKET
            self._dirty.add(conn)

    def _flush_writes(self) -> None:
        now = time.perf_counter()
        while self._dirty:
            self._write(self._dirty.pop(), now)

    def _run_due(self, now: float) -> None:
        while self._ready_soon:
            fn, args = self._ready_soon.popleft()
            fn(*args)
        timers = self._timers
        while timers and timers[0][0] <= now:
            timer = heapq.heappop(timers)[2]
            if timer.fn is not None:
                timer.fn(*timer.args)
            while self._ready_soon:
                fn, args = self._ready_soon.popleft()
                fn(*args)

    def _timeout(self, now: float) -> float | None:
        if self._ready_soon or self._dirty:
            return 0.0
        limit = _MISC_INTERVAL_S
        if self._stopping:
            limit = min(limit, max(0.0, self._stop_deadline - now))
        if self._timers:
            return max(0.0, min(limit, self._timers[0][0] - now))
        return limit

    def _run(self) -> None:
        try:
            self._epoll.register(self._wake_r.fileno(), select.EPOLLIN)
            self._by_fd[self._wake_r.fileno()] = _WAKE
            start = time.perf_counter()
            for conn in self._conns:
                conn.last_sent = start
                self._open(conn)
            next_misc = start + _MISC_INTERVAL_S
            wait, poll, by_fd = select.select, self._epoll.poll, self._by_fd
            epoll_fd = [self._epoll.fileno()]
            readable, writable = select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP, select.EPOLLOUT
            while True:
                now = time.perf_counter()
                if self._stopping and (now >= self._stop_deadline or
                                       all(conn.sock is None for conn in self._conns)):
                    break
                timeout = self._timeout(now)
                events = poll(0) if timeout <= 0 or wait(epoll_fd, (), (), timeout)[0] else ()
                self.turn_time = now = time.perf_counter()
                for fd, mask in events:
                    conn = by_fd.get(fd)
                    if conn is None:
                        continue   # closed earlier in this turn
                    if conn is _WAKE:
                        try:
                            self._wake_r.recv(4096)
                        except BlockingIOError:
                            pass
                        while self._threadsafe:
                            fn, args = self._threadsafe.popleft()
                            fn(*args)
                        continue
                    if conn.state == _TCP_CONNECTING:
                        self._tcp_connected(conn, now)
                        continue
                    if mask & writable:
                        self._write(conn, now)
                    if mask & readable and conn.sock is not None:
                        self._read(conn)
                now = time.perf_counter()
                self._run_due(now)
                if now >= next_misc:
                    next_misc = now + _MISC_INTERVAL_S
                    self._keepalive(now)
                self._flush_writes()
        except BaseException as exc:  # noqa: BLE001 - reported to every waiting thread
            self.error = exc
        finally:
            with self._futures_lock:
                self.finished.set()
                waiting = list(self._futures)
            failure = self.error or RuntimeError("the load generator loop stopped")
            self._fail_ready(failure)
            for future in waiting:
                if not future.done():
                    future.set_exception(failure)
            for conn in self._conns:
                if conn.sock is not None:
                    conn.sock.close()
                    conn.sock = None
            self._epoll.close()
            self._wake_r.close()
            self._wake_w.close()

    def _forget_future(self, future: Future) -> None:
        with self._futures_lock:
            self._futures.discard(future)


class PoolDevice:
    """One client of a :class:`ClientPool` as a blocking requester (not for the loop thread).

    Mirrors :meth:`protocol.bus.BaseBus.request`: the same request (same id) is re-sent every
    *attempt_timeout* seconds until *timeout*, then ``ProtocolError('timeout')``.
    """

    def __init__(self, pool: ClientPool, index: int):
        self.pool, self.index = pool, index
        self.device = pool.devices[index]

    def request_timed(self, request: Request, *, timeout: float = 5.0,
                      attempt_timeout: float = 2.0) -> tuple[Reply, float, float]:
        """Send and wait; return (reply, first send time, reply received time), perf_counter."""
        pool = self.pool

        def job(future: Future) -> None:
            deadline = time.perf_counter() + timeout
            state: dict[str, Any] = {}

            def on_reply(reply: Reply | None, received: float) -> None:
                state["timer"].cancel()
                if reply is None:
                    future.set_exception(ProtocolError("invalid_request", f"bad reply to {request.id}"))
                else:
                    future.set_result((reply, state["sent"], received))

            def retry() -> None:
                if time.perf_counter() >= deadline - 1e-6:
                    pool.forget(request.id)
                    future.set_exception(ProtocolError(
                        "timeout", f"no reply to {request.type} {request.id} within {timeout:g} s"))
                    return
                pool.publish_request(self.index, request)
                state["timer"] = pool.call_at(min(deadline, time.perf_counter() + attempt_timeout), retry)

            state["sent"] = pool.send_request(self.index, request, on_reply)
            state["timer"] = pool.call_at(min(deadline, state["sent"] + attempt_timeout), retry)

        return pool.run(job, timeout=timeout + 5)

    def request(self, request: Request, *, timeout: float = 5.0, attempt_timeout: float = 2.0) -> Reply:
        return self.request_timed(request, timeout=timeout, attempt_timeout=attempt_timeout)[0]

    def call(self, request: Request, **kwargs) -> dict:
        """:meth:`request`, returning the result or raising the reply's error."""
        reply = self.request(request, **kwargs)
        if not reply.ok:
            raise error_of(reply)
        return reply.result or {}
