"""MqttBus against a real Mosquitto: v5 request/reply, will, reconnect with resubscribe, size check."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol import PayloadTooLarge, decode, decode_request, reply_ok
from protocol.client import MqttBus
from protocol.connection import IN_FLIGHT
from protocol.models import Announcement, Announcements, DeviceStatus, Request
from tests.support.fixtures import wait_until
from tests.support.mqtt import RawClient, unique, unread_bytes

pytestmark = pytest.mark.broker
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


def test_request_reply_uses_response_topic_and_correlation(broker):
    seen = queue.Queue()
    with RawClient.for_settings(broker.settings("backend"), client_id=f"backend-{unique()}") as backend:
        def echo(client, userdata, message):
            seen.put(message)
            request = decode_request(message.payload)
            reply = reply_ok(request.id, {"type": request.type}).model_dump_json().encode()
            props = Properties(PacketTypes.PUBLISH)
            props.CorrelationData = message.properties.CorrelationData
            # never wait inside paho's callback: it would block its own network loop
            client.publish(message.properties.ResponseTopic, reply, qos=1, properties=props)
        backend.client.on_message = echo
        backend.subscribe(f"hall/{broker.hall}/devices/+/requests")
        with MqttBus(broker.settings("kiosk-2"), broker.hall, device="kiosk-2") as kiosk:
            assert kiosk.wait_connected()
            result = kiosk.call(Request(id="req-1", type="ticket.issue", params={"queue": "A"}))
        assert result == {"type": "ticket.issue"}
        message = seen.get(timeout=1)
        assert message.properties.ResponseTopic == f"hall/{broker.hall}/devices/kiosk-2/replies"
        assert message.properties.CorrelationData == b"req-1"
        assert 0 < message.properties.MessageExpiryInterval <= 30


def test_worker_thread_runs_handlers_not_paho(broker):
    threads = queue.Queue()
    with MqttBus(broker.settings("wall-1"), broker.hall, device="wall-1") as wall:
        wall.subscribe(wall.topics.device_status("wall-1"), lambda m: threads.put(threading.current_thread().name))
        assert wall.wait_connected()
        wall.publish(wall.topics.device_status("wall-1"), DeviceStatus(status="online"), retain=True)
        assert threads.get(timeout=5).startswith("bus-worker-")


def test_a_burst_handler_gets_every_request_of_one_read_on_the_network_thread(broker):
    calls: queue.Queue = queue.Queue()
    inside, release = threading.Event(), threading.Event()
    pad = "x" * 1000   # 30 packets hold more than 30 times this only if every one has arrived

    def serve(messages):
        calls.put(([json.loads(m.payload)["i"] for m in messages], threading.current_thread().name))
        inside.set()
        release.wait(10)

    with MqttBus(broker.settings("backend"), broker.hall) as bus:
        bus.subscribe_bursts(f"hall/{broker.hall}/devices/+/requests", serve)
        assert bus.wait_connected()
        with RawClient.for_settings(broker.settings("kiosk-1")) as kiosk:
            topic = f"hall/{broker.hall}/devices/kiosk-1/requests"
            kiosk.publish(topic, json.dumps({"i": 0}).encode())
            assert inside.wait(5)   # the network thread is serving: it reads nothing meanwhile
            for index in range(1, 31):
                kiosk.publish(topic, json.dumps({"i": index, "pad": pad}).encode())
            wait_until(lambda: unread_bytes(bus) >= 30 * len(pad), timeout=10, what="30 requests waiting")
            release.set()
            first, second = calls.get(timeout=5), calls.get(timeout=5)
    assert first == ([0], f"mqtt-{bus.client_id}")
    assert second == (list(range(1, 31)), f"mqtt-{bus.client_id}")   # one read, in order, then served


def test_oversize_publish_is_refused_with_a_clear_error(broker):
    with MqttBus(broker.settings("backend"), broker.hall, client_id=f"backend-{unique()}") as bus:
        assert bus.wait_connected()
        huge = Announcements(items=tuple(
            Announcement(id=f"n{i}", text="重要通知" * 900, start=NOW, end=NOW.replace(hour=9))
            for i in range(100)), updated_at=NOW)
        with pytest.raises(PayloadTooLarge, match="exceeds"):
            bus.publish(bus.topics.announcements(), huge, retain=True)
        # and the connection is still good
        got = queue.Queue()
        bus.subscribe(bus.topics.alerts_all(), got.put)
        bus.publish(bus.topics.alert("y"), b'{"v":1}', retain=False)
        assert got.get(timeout=5).topic.endswith("/alerts/y")


DEVICE_SCRIPT = textwrap.dedent("""
    import sys, time
    from protocol.client import MqttBus
    from protocol.connection import BrokerSettings
    settings = BrokerSettings(host="127.0.0.1", port=int(sys.argv[1]), username="kiosk-1",
                              password=sys.argv[2], will_delay_s=1)
    bus = MqttBus(settings, sys.argv[3], device="kiosk-1").start()
    assert bus.wait_connected(10)
    print("connected", flush=True)
    sys.stdin.read()
""")


def test_last_will_marks_a_killed_device_offline(broker):
    creds = broker.credentials("kiosk-1")["broker"]
    with RawClient.for_settings(broker.settings("backend"), client_id=f"backend-{unique()}") as watch:
        watch.subscribe(f"hall/{broker.hall}/devices/kiosk-1/status")
        proc = subprocess.Popen([sys.executable, "-c", DEVICE_SCRIPT, str(broker.port), creds["password"],
                                 broker.hall], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "connected"
            proc.kill()
            proc.wait(timeout=5)
            offline = watch.expect(f"hall/{broker.hall}/devices/kiosk-1/status", timeout=10,
                                   where=lambda m: b"offline" in m.payload)
            assert decode(DeviceStatus, offline.payload).status == "offline"
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdin.close()
            proc.stdout.close()


def test_reconnect_resubscribes_and_reruns_on_connect(own_broker):
    connects = queue.Queue()
    received = queue.Queue()
    bus = MqttBus(own_broker.settings("wall-1"), own_broker.hall, device="wall-1")
    bus.subscribe(bus.topics.calls_recent(), received.put)
    bus.on_connect(lambda: connects.put(1))
    with bus:
        assert connects.get(timeout=10)
        own_broker.restart()
        assert connects.get(timeout=20)  # reconnected by itself
        with RawClient.for_settings(own_broker.settings("backend"), client_id=f"b-{unique()}") as backend:
            backend.publish(f"hall/{own_broker.hall}/calls/recent",
                            json.dumps({"v": 1, "calls": [], "updated_at": NOW.isoformat()}).encode(),
                            retain=True)
        message = received.get(timeout=10)
        assert message.topic.endswith("/calls/recent")


def test_publishes_beyond_the_in_flight_window_all_arrive_in_order(broker):
    count = IN_FLIGHT * 5   # most of them wait for acknowledgements of the earlier ones
    topic = f"hall/{broker.hall}/alerts/order"
    # (the broker forces client id = user name: the watching wall and the backend are two users)
    with RawClient.for_settings(broker.settings("wall-1")) as watch:
        watch.subscribe(topic)
        with MqttBus(broker.settings("backend"), broker.hall) as bus:
            assert bus.wait_connected()
            for index in range(count):
                bus.publish(topic, json.dumps({"v": 1, "i": index}).encode())
            watch.expect(topic, timeout=10, where=lambda m: json.loads(m.payload)["i"] == count - 1)
        assert [json.loads(m.payload)["i"] for m in watch.received(topic)] == list(range(count))


def test_a_publish_while_the_broker_is_down_goes_out_after_the_reconnect(own_broker):
    connects, disconnects = queue.Queue(), queue.Queue()
    bus = MqttBus(own_broker.settings("backend"), own_broker.hall)
    bus.on_connect(lambda: connects.put(1))
    bus.on_disconnect(lambda: disconnects.put(1))
    topic = f"hall/{own_broker.hall}/alerts/kept"
    with bus:
        assert connects.get(timeout=10)
        own_broker.stop()
        assert disconnects.get(timeout=10)
        bus.publish(topic, b'{"v":1,"kept":true}', retain=True)   # waits for the connection
        own_broker.start()
        assert connects.get(timeout=20)
        with RawClient.for_settings(own_broker.settings("wall-1")) as watch:
            watch.subscribe(topic)
            assert watch.expect(topic, timeout=10).payload == b'{"v":1,"kept":true}'


def test_a_wrong_password_is_reported_and_never_connects(broker, caplog):
    bus = MqttBus(replace(broker.settings("wall-1"), password="wrong"), broker.hall, device="wall-1")
    with bus:
        assert not bus.wait_connected(2)
    assert "broker refused wall-1" in caplog.text


def test_keepalive_holds_an_idle_connection(broker):
    # Mosquitto drops a client silent for 1.5 keepalives: the bus must ping on its own.
    lost = threading.Event()
    got = queue.Queue()
    bus = MqttBus(replace(broker.settings("wall-1"), keepalive=1), broker.hall, device="wall-1")
    bus.on_disconnect(lost.set)
    with bus:
        assert bus.wait_connected()
        assert not lost.wait(3.5)
        bus.subscribe(bus.topics.device_status("wall-1"), got.put)
        bus.publish(bus.topics.device_status("wall-1"), DeviceStatus(status="online"), retain=True)
        assert got.get(timeout=5)
