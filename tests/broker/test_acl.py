"""The broker refuses what PROTOCOL.md says it must refuse (real Mosquitto, plain clients)."""

from __future__ import annotations

import json

import pytest

from tests.support.mqtt import RawClient, unique

pytestmark = pytest.mark.broker


def watcher(broker) -> RawClient:
    """The backend user sees everything under the hall."""
    client = RawClient.for_settings(broker.settings("backend"), client_id=f"backend-watch-{unique()}")
    return client


def test_anonymous_connect_is_refused(broker):
    client = RawClient("127.0.0.1", broker.port, None, None, client_id=f"anon-{unique()}")
    try:
        assert client.connect() != 0
    finally:
        client.close()


def test_wrong_password_is_refused(broker):
    client = RawClient("127.0.0.1", broker.port, "kiosk-1", "not-the-password")
    try:
        assert client.connect() != 0
    finally:
        client.close()


def _fenced(publisher: RawClient, watch: RawClient, fence_topic: str) -> None:
    """Publish an allowed message and wait for it: the publisher's earlier messages came first."""
    token = unique()
    publisher.publish(fence_topic, {"v": 1, "status": "online", "fence": token})
    watch.expect(fence_topic, where=lambda m: token in m.payload.decode())


def test_kiosk_cannot_publish_state_or_calls(broker):
    t = f"hall/{broker.hall}"
    with watcher(broker) as watch:
        watch.subscribe(f"{t}/#")
        with RawClient.for_settings(broker.settings("kiosk-1")) as kiosk:
            forged = {"v": 1, "event_id": unique(), "kind": "call", "ticket": "A999"}
            kiosk.publish(f"{t}/events/call", forged)
            kiosk.publish(f"{t}/queues/A/state", {"v": 1, "forged": True}, retain=True)
            kiosk.publish(f"{t}/calls/recent", {"v": 1, "forged": True}, retain=True)
            kiosk.publish(f"{t}/catalog/index", {"v": 1, "forged": True}, retain=True)
            _fenced(kiosk, watch, f"{t}/devices/kiosk-1/status")
        assert not watch.received(f"{t}/events/call")
        assert not watch.received(f"{t}/queues/+/state")
        assert not watch.received(f"{t}/calls/recent")
        assert not watch.received(f"{t}/catalog/#")


def test_device_cannot_publish_under_another_id(broker):
    t = f"hall/{broker.hall}"
    with watcher(broker) as watch:
        watch.subscribe(f"{t}/devices/#")
        with RawClient.for_settings(broker.settings("kiosk-1")) as kiosk:
            kiosk.publish(f"{t}/devices/kiosk-2/requests",
                          {"v": 1, "id": unique(), "type": "ticket.issue", "params": {"queue": "A"}})
            kiosk.publish(f"{t}/devices/kiosk-2/status", {"v": 1, "status": "offline"}, retain=True)
            kiosk.publish(f"{t}/devices/wall-1/health", {"v": 1}, retain=True)
            _fenced(kiosk, watch, f"{t}/devices/kiosk-1/status")
        assert not watch.received(f"{t}/devices/kiosk-2/#")
        assert not watch.received(f"{t}/devices/wall-1/#")


def test_wall_can_publish_only_its_own_status_and_health(broker):
    t = f"hall/{broker.hall}"
    with watcher(broker) as watch:
        watch.subscribe(f"{t}/#")
        with RawClient.for_settings(broker.settings("wall-1")) as wall:
            wall.publish(f"{t}/devices/wall-1/requests",
                         {"v": 1, "id": unique(), "type": "window.call_next", "params": {"window": "1"}})
            wall.publish(f"{t}/events/call", {"v": 1, "forged": True})
            wall.publish(f"{t}/announcements", {"v": 1, "forged": True}, retain=True)
            wall.publish(f"{t}/devices/wall-1/health", {"v": 1, "role": "wall"}, retain=True)
            _fenced(wall, watch, f"{t}/devices/wall-1/status")
        assert watch.received(f"{t}/devices/wall-1/health")
        assert not watch.received(f"{t}/devices/wall-1/requests")
        assert not watch.received(f"{t}/events/call")
        assert not watch.received(f"{t}/announcements")


def test_device_cannot_read_another_devices_replies(broker):
    t = f"hall/{broker.hall}"
    with RawClient.for_settings(broker.settings("kiosk-1")) as owner, \
            RawClient.for_settings(broker.settings("kiosk-2")) as snoop, \
            RawClient.for_settings(broker.settings("backend"), client_id=f"backend-{unique()}") as backend:
        owner.subscribe(f"{t}/devices/kiosk-1/replies")
        snoop.subscribe(f"{t}/devices/kiosk-1/replies", f"{t}/devices/+/requests")
        token = unique()
        backend.publish(f"{t}/devices/kiosk-1/replies", {"v": 1, "request_id": token, "ok": True, "result": {}})
        owner.expect(f"{t}/devices/kiosk-1/replies", where=lambda m: token in m.payload.decode())
        # a reply to the snoop itself, sent after, arrives: so the other one would have by now
        snoop.subscribe(f"{t}/devices/kiosk-2/replies")
        backend.publish(f"{t}/devices/kiosk-2/replies", {"v": 1, "request_id": unique(), "ok": True})
        snoop.expect(f"{t}/devices/kiosk-2/replies")
        assert not snoop.received(f"{t}/devices/kiosk-1/replies")


def test_keypad_can_send_requests_for_itself(broker):
    t = f"hall/{broker.hall}"
    with watcher(broker) as watch:
        watch.subscribe(f"{t}/devices/+/requests")
        with RawClient.for_settings(broker.settings("keypad-1")) as keypad:
            rid = unique()
            keypad.publish(f"{t}/devices/keypad-1/requests",
                           {"v": 1, "id": rid, "type": "window.call_next", "params": {}})
        message = watch.expect(f"{t}/devices/keypad-1/requests")
        assert json.loads(message.payload)["id"] == rid
