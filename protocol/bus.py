"""What every bus offers, and the parts the real client and the fake share.

A *bus* is a connection of one node to the hall's broker.  Handlers receive an
:class:`Inbound` on the bus's worker thread (never on its network thread),
one at a time, in arrival order; only a handler of bursts
(:meth:`BaseBus.subscribe_bursts`, the backend's request door) runs on the
receiving thread.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from .codec import check_size, decode, encode, error_of
from .errors import ProtocolError
from .models import Payload, Reply, Request
from .topics import Topics

log = logging.getLogger(__name__)

#: A request dies in the broker's queue after this many seconds.
REQUEST_EXPIRY_S = 30
#: A call event is not worth speaking after this many seconds.
CALL_EXPIRY_S = 60
#: Topics whose matching handlers a dispatcher remembers (one per device and state topic).
MATCH_CACHE = 4096


@dataclass(frozen=True)
class Inbound:
    """One received message."""

    topic: str
    payload: bytes
    retain: bool = False
    response_topic: str | None = None
    correlation: bytes | None = None
    expiry: int | None = None


Handler = Callable[[Inbound], None]
#: A handler of bursts (:meth:`Dispatcher.add_bursts`): the messages of one read, in order.
BurstHandler = Callable[[list[Inbound]], None]


def topic_matches(filter_: str, topic: str) -> bool:
    """MQTT topic filter matching ('+' one level, '#' the rest)."""
    f_parts = filter_.split("/")
    t_parts = topic.split("/")
    for index, part in enumerate(f_parts):
        if part == "#":
            return True
        if index >= len(t_parts):
            return False
        if part != "+" and part != t_parts[index]:
            return False
    return len(f_parts) == len(t_parts)


class Deduper:
    """Remembers the last *capacity* ids; :meth:`seen` is True for a repeat."""

    def __init__(self, capacity: int = 4096):
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def seen(self, key: str) -> bool:
        with self._lock:
            if key in self._ids:
                self._ids.move_to_end(key)
                return True
            self._ids[key] = None
            if len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
            return False


@dataclass
class _Waiter:
    event: threading.Event = field(default_factory=threading.Event)
    reply: Reply | None = None


class Dispatcher:
    """Routes inbound messages to handlers on one worker thread.

    A *burst* handler (:meth:`add_bursts`) runs on the thread that received the
    messages instead (the bus's network thread), with every matching message of
    one read from the network at once, in order: the backend's request door,
    which serves a read's requests as one transaction.  While it runs, the bus
    reads nothing more; what arrives meanwhile is the next burst.
    """

    def __init__(self, name: str):
        self._subs: dict[str, list[Handler]] = {}
        self._bursts: dict[str, list[BurstHandler]] = {}
        # topic -> (burst handlers, worker handlers), while the filters stay
        self._matches: dict[str, tuple[list[BurstHandler], list[Handler]]] = {}
        self._lock = threading.Lock()
        self._inbox: queue.Queue[Inbound | Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"bus-worker-{name}", daemon=True)
        self._started = False
        #: The burst being received: each burst handler's messages (receiving thread only).
        self._burst: dict[BurstHandler, list[Inbound]] = {}

    def add(self, filter_: str, handler: Handler) -> bool:
        """Register a worker-thread handler; True if the filter is new (so it must be subscribed)."""
        return self._add(self._subs, filter_, handler)

    def add_bursts(self, filter_: str, handler: BurstHandler) -> bool:
        """Register a burst handler (see the class); True if the filter is new."""
        return self._add(self._bursts, filter_, handler)

    def _add(self, table: dict, filter_: str, handler) -> bool:
        with self._lock:
            self._matches.clear()
            new = filter_ not in self._subs and filter_ not in self._bursts
            table.setdefault(filter_, []).append(handler)
            return new

    def remove(self, filter_: str) -> None:
        with self._lock:
            self._matches.clear()
            self._subs.pop(filter_, None)
            self._bursts.pop(filter_, None)

    def filters(self) -> list[str]:
        with self._lock:
            return list(dict.fromkeys([*self._subs, *self._bursts]))

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def stop(self) -> None:
        if self._started and self._thread.is_alive():
            self._inbox.put(None)
            if threading.current_thread() is not self._thread:
                self._thread.join(timeout=5)

    def put(self, message: Inbound | Callable[[], None]) -> None:
        """Queue a message, or a callable to run in order with the messages."""
        self._inbox.put(message)

    def receive(self, message: Inbound) -> None:
        """A message read from the network: kept for the burst handlers (:meth:`end_burst`),
        queued for the others."""
        bursts, queued = self._handlers(message.topic)
        for handler in bursts:
            self._burst.setdefault(handler, []).append(message)
        if queued:
            self._inbox.put(message)

    def end_burst(self) -> None:
        """The read is handled: each burst handler gets its messages, on this thread."""
        burst, self._burst = self._burst, {}
        for handler, messages in burst.items():
            self._call([handler], messages)

    def pending(self) -> int:
        return self._inbox.qsize()

    def deliver(self, message: Inbound, *, bursts: bool = True) -> None:
        """Call every matching handler now, on this thread (a burst handler with this message
        alone); a failing handler is logged."""
        burst_handlers, queued = self._handlers(message.topic)
        if bursts:
            self._call(burst_handlers, [message])
        self._call(queued, message)

    def _handlers(self, topic: str) -> tuple[list[BurstHandler], list[Handler]]:
        with self._lock:
            found = self._matches.get(topic)
            if found is None:
                found = ([h for f, hs in self._bursts.items() if topic_matches(f, topic) for h in hs],
                         [h for f, hs in self._subs.items() if topic_matches(f, topic) for h in hs])
                if len(self._matches) >= MATCH_CACHE:
                    self._matches.clear()
                self._matches[topic] = found
            return found

    @staticmethod
    def _call(handlers: list, argument: Inbound | list[Inbound]) -> None:
        for handler in handlers:
            try:
                handler(argument)
            except Exception:  # a bad message must never kill the worker
                first = argument[0] if isinstance(argument, list) else argument
                log.exception("handler %r failed on %s", handler, first.topic)

    def _run(self) -> None:
        while True:
            message = self._inbox.get()
            if message is None:
                return
            if isinstance(message, Inbound):
                self.deliver(message, bursts=False)
                continue
            try:
                message()
            except Exception:
                log.exception("queued call %r failed", message)


class BaseBus:
    """The interface every bus implements, plus the request/reply logic they share.

    Subclasses implement :meth:`_subscribe`, :meth:`_publish_bytes`, :meth:`start`,
    :meth:`stop` and :attr:`max_payload`.
    """

    def __init__(self, hall: str, client_id: str, device: str | None = None):
        self.topics = Topics(hall)
        self.hall = hall
        self.client_id = client_id
        self.device = device
        self._dispatcher = Dispatcher(client_id)
        self._waiters: dict[str, _Waiter] = {}
        self._waiters_lock = threading.Lock()
        self._connect_callbacks: list[Callable[[], None]] = []
        self._disconnect_callbacks: list[Callable[[], None]] = []
        self.connected = threading.Event()
        # Subscribing and resubscribing after a connect exclude each other: a filter added
        # while the worker resubscribes is either among those resubscribed or sent by subscribe().
        self._subscriptions_lock = threading.Lock()
        self._subscribed = False

    # -- to implement -------------------------------------------------------------
    max_payload: int

    def start(self) -> "BaseBus":
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _subscribe(self, filter_: str) -> None:
        raise NotImplementedError

    def _publish_bytes(self, topic: str, data: bytes, *, retain: bool, expiry: int | None,
                       response_topic: str | None, correlation: bytes | None) -> None:
        raise NotImplementedError

    # -- public interface ---------------------------------------------------------
    def __enter__(self) -> "BaseBus":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def subscribe(self, filter_: str, handler: Handler) -> None:
        """Call *handler* for each message on *filter_*, on the worker thread; kept across reconnects."""
        with self._subscriptions_lock:
            if self._dispatcher.add(filter_, handler) and self._subscribed:
                self._subscribe(filter_)

    def subscribe_bursts(self, filter_: str, handler: BurstHandler) -> None:
        """Call *handler* with the messages on *filter_* that one read from the network brought
        (one or more, in order), on the receiving thread, once the read is handled.

        The bus reads nothing while *handler* runs, so a burst handler serves what came
        together at once and what comes meanwhile is its next burst; it must not wait for
        anything the bus would have to receive (it may publish).  A bus without a network
        (:class:`~protocol.fakebus.FakeBus`) calls it with each message alone.
        """
        with self._subscriptions_lock:
            if self._dispatcher.add_bursts(filter_, handler) and self._subscribed:
                self._subscribe(filter_)

    @contextmanager
    def corked(self) -> Iterator[None]:
        """Hold this bus's outgoing bytes until the block ends, then send them together.

        For a burst published at once (a batch's states and replies): one write instead of
        one per message.  Order is kept; a bus that sends nothing itself ignores it.
        """
        yield

    def on_connect(self, callback: Callable[[], None]) -> None:
        """Run *callback* on the worker thread after every (re)connect and resubscribe."""
        self._connect_callbacks.append(callback)

    def on_disconnect(self, callback: Callable[[], None]) -> None:
        """Run *callback* on the worker thread whenever the connection is lost."""
        self._disconnect_callbacks.append(callback)

    def publish(self, topic: str, payload: Payload | bytes | None, *, retain: bool = False,
                expiry: int | None = None, response_topic: str | None = None,
                correlation: bytes | None = None) -> None:
        """Publish at QoS 1. ``None`` publishes an empty payload (clears a retained topic).

        Raises :class:`PayloadTooLarge` before anything is sent if the payload
        exceeds the broker's maximum packet size.
        """
        if payload is None:
            data = b""
        elif isinstance(payload, bytes):
            data = payload
        else:
            data = encode(payload)
        check_size(topic, data, self.max_payload)
        self._publish_bytes(topic, data, retain=retain, expiry=expiry,
                            response_topic=response_topic, correlation=correlation)

    def request(self, request: Request, *, timeout: float = 5.0, attempt_timeout: float = 2.0) -> Reply:
        """Send *request* from this device and wait for the reply.

        Re-sends the same request (same id) every *attempt_timeout* seconds until
        *timeout*; raises ProtocolError('timeout') if no reply comes.
        """
        if self.device is None:
            raise ProtocolError("not_permitted", "only a device bus can send requests")
        if not self.connected.is_set():
            # Never queue a request while offline: it could be served long after the
            # visitor gave up, leaving a ticket nobody holds.
            raise ProtocolError("timeout", f"not connected to the broker; {request.type} {request.id} not sent")
        waiter = _Waiter()
        with self._waiters_lock:
            self._waiters[request.id] = waiter
        try:
            remaining = timeout
            while remaining > 0:
                self.publish(self.topics.device_requests(self.device), request, expiry=REQUEST_EXPIRY_S,
                             response_topic=self.topics.device_replies(self.device),
                             correlation=request.id.encode())
                wait = min(attempt_timeout, remaining)
                if waiter.event.wait(wait):
                    assert waiter.reply is not None
                    return waiter.reply
                remaining -= wait
            raise ProtocolError("timeout", f"no reply to {request.type} {request.id} within {timeout:g} s")
        finally:
            with self._waiters_lock:
                self._waiters.pop(request.id, None)

    def call(self, request: Request, **kwargs) -> dict:
        """:meth:`request`, returning the result or raising the reply's error."""
        reply = self.request(request, **kwargs)
        if not reply.ok:
            raise error_of(reply)
        return reply.result or {}

    # -- shared machinery ---------------------------------------------------------
    def _listen_for_replies(self) -> None:
        if self.device is not None:
            self._dispatcher.add(self.topics.device_replies(self.device), self._on_reply)

    def _on_reply(self, message: Inbound) -> None:
        try:
            reply = decode(Reply, message.payload)
        except ProtocolError as exc:
            log.warning("ignoring a bad reply on %s: %s", message.topic, exc)
            return
        key = message.correlation.decode("utf-8", "replace") if message.correlation else reply.request_id
        with self._waiters_lock:
            waiter = self._waiters.get(key)
        if waiter is not None and not waiter.event.is_set():
            waiter.reply = reply
            waiter.event.set()

    def _disconnected(self) -> None:
        """Called on the worker thread when the connection is lost."""
        with self._subscriptions_lock:
            self._subscribed = False
        for callback in list(self._disconnect_callbacks):
            try:
                callback()
            except Exception:
                log.exception("on_disconnect callback %r failed", callback)

    def _connected(self) -> None:
        """Called on the worker thread once connected: resubscribe, then callbacks."""
        with self._subscriptions_lock:
            for filter_ in self._dispatcher.filters():
                self._subscribe(filter_)
            self._subscribed = True
        self.connected.set()
        for callback in list(self._connect_callbacks):
            try:
                callback()
            except Exception:
                log.exception("on_connect callback %r failed", callback)


def new_id(prefix: str = "") -> str:
    """A unique id for a request, an event or a row: *prefix* and 32 hex digits, in time order.

    The first 12 digits are the milliseconds since 1970, the other 20 are random (80 bits,
    unguessable: a ticket's id is in its status page's address), as UUIDv7 lays them out.
    Ids made one after another sort together, so an index on them takes each new one on its
    last page: with random ids a ticket's insert dirtied a page of its own in each of three
    indexes (tickets, audit, processed requests), and each such page is written to the WAL
    at the commit.  (``os.urandom``: ``uuid4().hex`` cost five times as much.)
    """
    return f"{prefix}{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"
