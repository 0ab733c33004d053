"""The MQTT door on a real broker: bad requests get error replies and the backend keeps serving."""

from __future__ import annotations

import json
import threading

import pytest

from backend.app import build
from backend.core import Outcome
from backend.registry import upsert_device
from protocol import decode, wire
from protocol.client import MqttBus
from protocol.models import Reply
from tests.support.fixtures import wait_until
from tests.support.mqtt import RawClient, unique, unread_bytes

pytestmark = pytest.mark.broker


@pytest.fixture
def backend(broker, settings):
    bus = MqttBus(broker.settings("backend", session_expiry_s=0), broker.hall, client_id="backend")
    backend = build(settings.__class__(hall=broker.hall, data_dir=settings.data_dir), bus)
    backend.executor.register("ticket.issue", lambda ctx: Outcome({"queue": ctx.params.queue}))
    with backend.engine.begin() as conn:
        for device, role, window in (("kiosk-1", "kiosk", None), ("wall-1", "wall", None)):
            upsert_device(conn, device, role, window)
    backend.start()
    assert bus.wait_connected()
    yield backend
    backend.stop()


def ask(client: RawClient, hall: str, device: str, payload: bytes, correlation: bytes) -> Reply:
    client.publish(f"hall/{hall}/devices/{device}/requests", payload,
                   response_topic=f"hall/{hall}/devices/{device}/replies", correlation=correlation, expiry=30)
    message = client.expect(f"hall/{hall}/devices/{device}/replies",
                            where=lambda m: m.properties.CorrelationData == correlation)
    return decode(Reply, message.payload)


@pytest.mark.parametrize("payload, code", [
    (b"{not json", "invalid_request"),
    (b"\xff\xfe\x00", "invalid_request"),
    (b'{"v": 9, "id": "x", "type": "ticket.issue"}', "unsupported_version"),
    (b'{"v": 1, "id": "x", "type": "ticket.explode", "params": {}}', "unknown_type"),
    (b'{"v": 1, "id": "x", "type": "ticket.issue", "params": {"queue": "A", "hack": 1}}', "invalid_request"),
    (json.dumps({"v": 1, "id": "x", "type": "ticket.issue", "params": {"queue": "A" * 20000}}).encode(),
     "payload_too_large"),
])
def test_bad_requests_get_error_replies_and_service_continues(broker, backend, payload, code):
    with RawClient.for_settings(broker.settings("kiosk-1")) as kiosk:
        kiosk.subscribe(f"hall/{broker.hall}/devices/kiosk-1/replies")
        correlation = unique().encode()
        reply = ask(kiosk, broker.hall, "kiosk-1", payload, correlation)
        assert not reply.ok and reply.error.code == code
        good = ask(kiosk, broker.hall, "kiosk-1",
                   json.dumps({"v": 1, "id": unique(), "type": "ticket.issue", "params": {"queue": "B"}}).encode(),
                   unique().encode())
        assert good.ok and good.result == {"queue": "B"}


def test_unregistered_device_is_told_so(broker, backend):
    settings = broker.add_device("kiosk-9", "kiosk")
    with RawClient.for_settings(settings) as kiosk:
        kiosk.subscribe(f"hall/{broker.hall}/devices/kiosk-9/replies")
        reply = ask(kiosk, broker.hall, "kiosk-9",
                    b'{"v": 1, "id": "q1", "type": "ticket.issue", "params": {"queue": "A"}}', b"q1")
        assert reply.error.code == "unknown_device" and "hall device add" in reply.error.message


def test_reply_goes_to_the_senders_own_topic_whatever_it_asks(broker, backend):
    with RawClient.for_settings(broker.settings("kiosk-1")) as kiosk:
        kiosk.subscribe(f"hall/{broker.hall}/devices/kiosk-1/replies")
        kiosk.publish(f"hall/{broker.hall}/devices/kiosk-1/requests",
                      b'{"v": 1, "id": "redir", "type": "ticket.issue", "params": {"queue": "A"}}',
                      response_topic=f"hall/{broker.hall}/calls/recent", correlation=b"redir")
        message = kiosk.expect(f"hall/{broker.hall}/devices/kiosk-1/replies")
        assert decode(Reply, message.payload).ok


def test_requests_that_arrive_while_a_batch_runs_are_served_together_next(broker, backend, monkeypatch):
    replies = f"hall/{broker.hall}/devices/kiosk-1/replies"
    requests = f"hall/{broker.hall}/devices/kiosk-1/requests"

    def payload(index: int) -> bytes:
        return json.dumps({"v": 1, "id": f"w{index}", "type": "ticket.issue",
                           "params": {"queue": f"Q{index}"}}).encode()

    # the bytes the broker forwards for the ten requests that wait (as it forwards them: same fields)
    waiting = sum(len(wire.publish_packet(wire.string(requests), 1, payload(i),
                                          wire.publish_properties(None, replies, f"w{i}".encode())))
                  for i in range(1, 11))
    backend.executor.register("ticket.issue", lambda ctx: Outcome({"queue": ctx.params.queue}))
    taken = threading.Event()
    admit = backend.service._admit
    monkeypatch.setattr(backend.service, "_admit", lambda message: (taken.set(), admit(message))[1])
    batches, handled = backend.service.batches, backend.service.handled
    with RawClient.for_settings(broker.settings("kiosk-1")) as kiosk:
        kiosk.subscribe(replies)
        with backend.publisher.lock:   # the batch being served waits for the lock; the bus reads nothing
            kiosk.publish(requests, payload(0), response_topic=replies, correlation=b"w0")
            assert taken.wait(5)        # the network thread took the first request and waits
            for index in range(1, 11):
                kiosk.publish(requests, payload(index), response_topic=replies, correlation=f"w{index}".encode())
            wait_until(lambda: unread_bytes(backend.bus) >= waiting, timeout=10,
                       what="ten requests waiting in the backend's socket")
        answered = [decode(Reply, kiosk.expect(replies, where=lambda m, i=i: m.properties.CorrelationData
                                               == f"w{i}".encode()).payload) for i in range(11)]
    assert [reply.result for reply in answered] == [{"queue": f"Q{i}"} for i in range(11)]
    assert backend.service.handled - handled == 11
    assert backend.service.batches - batches == 2   # the first alone, then the ten that waited: one transaction
