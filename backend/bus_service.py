"""The MQTT door: requests from ``devices/+/requests`` to the executor, replies back.

Malformed, oversize, wrong-version and unknown-type requests get an error
reply on the sender's own replies topic (or a log line when no reply is
possible) and the backend keeps serving.
"""

from __future__ import annotations

import json
import logging
import time

from protocol import Inbound, ProtocolError
from protocol.codec import decode_request, reply_error

from .core import RequestExecutor
from .registry import Actor, get_device

log = logging.getLogger(__name__)

#: No request needs more than this; larger ones are refused before parsing.
MAX_REQUEST_BYTES = 16 * 1024
#: How long a registry entry is trusted before it is read again (`hall device add` may change it).
REGISTRY_TTL_S = 5.0


class BusService:
    def __init__(self, bus, executor: RequestExecutor):
        self.bus = bus
        self.executor = executor
        self.topics = executor.topics
        self.handled = 0
        self._devices: dict[str, tuple[float, Actor | None]] = {}

    def start(self) -> None:
        self.bus.subscribe(self.topics.all_device_requests(), self.on_request)

    def on_request(self, message: Inbound) -> None:
        parsed = self.topics.parse(message.topic)
        if parsed is None or parsed.name != "device_requests":
            return
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
            actor = self._device(device)
            if actor is None:
                raise ProtocolError("unknown_device", f"device {device} is not registered; run `hall device add`")
            reply = self.executor.execute(actor, request)
        except ProtocolError as exc:
            log.warning("request from %s refused: %s", device, exc)
            reply = reply_error(request_id or "unknown", exc)
        except Exception:  # a bug: answer, log, keep serving; nothing was committed
            log.exception("request from %s failed", device)
            reply = reply_error(request_id or "unknown",
                                ProtocolError("internal_error", "the backend failed on this request; see its log"))
        if not reply.ok:
            log.info("reply to %s %s: %s", device, request_id, reply.error.code if reply.error else "")
        correlation = message.correlation or (request_id or "").encode()
        self.bus.publish(reply_topic, reply, retain=False, correlation=correlation)
        self.handled += 1


    def _device(self, device: str) -> Actor | None:
        """The registry entry, read at most every REGISTRY_TTL_S (a lookup per request costs a query)."""
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
