"""The MQTT door: requests from ``devices/+/requests`` to the executor, replies back.

Malformed, oversize, wrong-version and unknown-type requests get an error
reply on the sender's own replies topic (or a log line when no reply is
possible) and the backend keeps serving.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from protocol import Inbound, ProtocolError
from protocol.codec import decode_request, reply_error
from protocol.models import Reply, Request

from .core import Answer, RequestExecutor, internal_error
from .registry import Actor, get_device

log = logging.getLogger(__name__)

#: No request needs more than this; larger ones are refused before parsing.
MAX_REQUEST_BYTES = 16 * 1024
#: How long a registry entry is trusted before it is read again (`hall device add` may change it).
REGISTRY_TTL_S = 5.0
#: At most this many requests share one transaction.
MAX_BATCH = 64


@dataclass(frozen=True)
class _Pending:
    """A request that passed the door's checks, waiting for the executor."""

    device: str
    request: Request
    reply_topic: str
    correlation: bytes


class BusService:
    """Checks the requests of each read from the network and serves them in batches, on the
    bus's network thread.

    The bus hands over every request one read brought (:meth:`~protocol.bus.BaseBus.
    subscribe_bursts`); after the checks, they run as one transaction
    (:meth:`RequestExecutor.execute_batch`, at most ``max_batch`` at a time).  While a batch
    runs, the bus reads nothing: what arrives meanwhile waits in the socket and is the next
    read, so at load a commit serves many requests, and alone a request is served at once.
    No thread hands requests to another: each hop cost a wake-up and a fight for the GIL,
    which at 2,000 requests a second was more than the requests' own work (README,
    Benchmarks).
    """

    def __init__(self, bus, executor: RequestExecutor, *, max_batch: int = MAX_BATCH):
        self.bus = bus
        self.executor = executor
        self.topics = executor.topics
        self.max_batch = max_batch
        self.handled = 0
        #: Batches run (``handled / batches`` is the mean batch: how much a commit is shared).
        self.batches = 0
        self._devices: dict[str, tuple[float, Actor | None]] = {}

    def start(self) -> None:
        self.bus.subscribe_bursts(self.topics.all_device_requests(), self.on_requests)

    def stop(self) -> None:
        if self.batches:
            log.info("served %d requests in %d transactions (%.1f a commit)", self.handled, self.batches,
                     self.handled / self.batches)

    def on_requests(self, messages: list[Inbound]) -> None:
        """Serve the requests of one read: the well-formed ones in batches, in arrival order."""
        pending = [item for item in map(self._admit, messages) if item is not None]
        for start in range(0, len(pending), self.max_batch):
            self._run(pending[start:start + self.max_batch])

    def _admit(self, message: Inbound) -> _Pending | None:
        """The request in *message*, or None when it was answered with an error (or is not one)."""
        parsed = self.topics.parse(message.topic)
        if parsed is None or parsed.name != "device_requests":
            return None
        device = parsed.ids["d"]
        reply_topic = self.topics.device_replies(device)
        if message.response_topic and message.response_topic != reply_topic:
            log.warning("%s asked for replies on %s; answering on its own %s",
                        device, message.response_topic, reply_topic)
        request_id = _guess_id(message)
        try:
            if len(message.payload) > MAX_REQUEST_BYTES:
                raise ProtocolError("payload_too_large",
                                    f"request of {len(message.payload)} bytes exceeds {MAX_REQUEST_BYTES}")
            request = decode_request(message.payload)
            request_id = request.id
        except ProtocolError as exc:
            log.warning("request from %s refused: %s", device, exc)
            self._answer(reply_topic, message.correlation or request_id.encode(),
                         reply_error(request_id or "unknown", exc))
            return None
        return _Pending(device, request, reply_topic, message.correlation or request_id.encode())

    def _run(self, pending: list[_Pending]) -> None:
        batch: list[tuple[_Pending, Actor]] = []
        for item in pending:
            actor = self._device(item.device)
            if actor is None:
                self._answer(item.reply_topic, item.correlation, reply_error(item.request.id, ProtocolError(
                    "unknown_device", f"device {item.device} is not registered; run `hall device add`")))
            else:
                batch.append((item, actor))
        if not batch:
            return
        self.batches += 1
        answered = False

        def answer(answers: list[Answer]) -> None:
            nonlocal answered
            answered = True
            for (item, _), done in zip(batch, answers):
                self._answer(item.reply_topic, item.correlation, done.reply, done.payload)

        try:
            self.executor.execute_batch([(actor, item.request) for item, actor in batch], answer=answer)
        except Exception:  # a bug outside the transaction: answer (once), log, keep serving
            log.exception("a batch of %d requests failed", len(batch))
            if not answered:
                answer([Answer.of(internal_error(item.request.id)) for item, _ in batch])

    def _answer(self, reply_topic: str, correlation: bytes, reply: Reply, payload: bytes | None = None) -> None:
        """Send *reply* (as *payload* when it is already encoded)."""
        if not reply.ok:
            log.info("reply on %s %s: %s", reply_topic, reply.request_id, reply.error.code if reply.error else "")
        try:
            self.bus.publish(reply_topic, reply if payload is None else payload, retain=False,
                             correlation=correlation)
        except Exception:  # the device retries with the same id and gets the stored reply
            log.exception("could not send the reply on %s", reply_topic)
        self.handled += 1

    def _device(self, device: str) -> Actor | None:
        """The registry entry, read at most every REGISTRY_TTL_S (a lookup per request costs a query).

        On the network thread only (it may read the database)."""
        now = time.monotonic()
        cached = self._devices.get(device)
        if cached is not None and now - cached[0] < REGISTRY_TTL_S and cached[1] is not None:
            return cached[1]
        with self.executor.engine.connect() as conn:
            actor = get_device(conn, device)
        self._devices[device] = (now, actor)
        return actor


def _guess_id(message: Inbound) -> str:
    """The request id for an error reply: correlation data, else the id in the JSON if any."""
    if message.correlation:
        return message.correlation.decode("utf-8", "replace")[:64]
    try:
        value = json.loads(message.payload).get("id")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return ""
    return str(value)[:64] if value is not None else ""
