"""Against a real Mosquitto: a killed device's last will marks it offline; after the grace period the
backend raises a retained device_offline alert, and clears it when the device is back."""

from __future__ import annotations

import queue
import subprocess
import sys
import textwrap

import pytest

from backend.monitor.service import monitor_for
from protocol import Topics, decode, decode_optional
from protocol.client import MqttBus
from protocol.models import Alert, DeviceStatus
from tests.announce.support import make_hall
from tests.support.mqtt import RawClient

from .conftest import stop_hall

pytestmark = pytest.mark.broker

DEVICE_SCRIPT = textwrap.dedent("""
    import sys
    from protocol.client import MqttBus
    from protocol.connection import BrokerSettings
    from protocol.models import DeviceStatus
    settings = BrokerSettings(host="127.0.0.1", port=int(sys.argv[1]), username="kiosk-1",
                              password=sys.argv[2], will_delay_s=1)
    bus = MqttBus(settings, sys.argv[3], device="kiosk-1").start()
    assert bus.wait_connected(10)
    bus.publish(bus.topics.device_status("kiosk-1"), DeviceStatus(status="online"), retain=True)
    print("connected", flush=True)
    sys.stdin.read()
""")


class Device:
    """kiosk-1 as a separate process, so that it can be killed without a goodbye."""

    def __init__(self, broker):
        password = broker.credentials("kiosk-1")["broker"]["password"]
        self.proc = subprocess.Popen([sys.executable, "-c", DEVICE_SCRIPT, str(broker.port), password, broker.hall],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "connected"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc.stdin.close()
        self.proc.stdout.close()


def test_a_killed_device_raises_device_offline_after_the_grace_period(own_broker, tmp_path):
    topics = Topics(own_broker.hall)
    bus = MqttBus(own_broker.settings("backend"), own_broker.hall)
    hall = make_hall(tmp_path, bus=bus)
    monitor = monitor_for(hall.backend.publisher)
    statuses: queue.Queue[DeviceStatus | None] = queue.Queue()
    # Same filter as the monitor's, so this runs right after the monitor has handled each message.
    bus.subscribe(topics.all_device_status(), lambda m: statuses.put(decode_optional(DeviceStatus, m.payload)))
    offline_topic = topics.alert("device_offline-kiosk-1")
    device = None
    with RawClient.for_settings(own_broker.settings("wall-1")) as wall:
        wall.subscribe(topics.alerts_all())
        try:
            hall.backend.start()
            assert bus.wait_connected(10)
            device = Device(own_broker)
            assert _next_status(statuses) == "online"
            device.kill()
            assert _next_status(statuses) == "offline"          # the last will, after its 1 s delay
            assert monitor.records()["kiosk-1"].status == "offline"

            monitor.tick(hall.clock.advance(seconds=59))
            monitor.tick(hall.clock.advance(seconds=1))
            raised = decode(Alert, wall.expect(offline_topic, timeout=10).payload)
            assert (raised.kind, raised.subject) == ("device_offline", "kiosk-1")
            with RawClient.for_settings(own_broker.settings("eval-1")) as late:
                late.subscribe(offline_topic)
                retained = late.expect(offline_topic, timeout=10)
                assert retained.retain and decode(Alert, retained.payload) == raised

            device = Device(own_broker)                          # back again
            assert _next_status(statuses) == "online"
            cleared = wall.expect(offline_topic, timeout=10, where=lambda m: m.payload == b"")
            assert cleared.payload == b""
            assert [bool(m.payload) for m in wall.received(offline_topic)] == [True, False]   # raised once, cleared
        finally:
            if device is not None:
                device.kill()
            stop_hall(hall)


def _next_status(statuses: queue.Queue) -> str | None:
    status = statuses.get(timeout=15)
    return status.status if status else None
