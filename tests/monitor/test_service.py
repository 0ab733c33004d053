"""The monitor on a FakeBus: device messages in, retained hall alerts out, malformed input ignored."""

from __future__ import annotations

import logging
import queue
from datetime import timedelta

from backend.monitor.service import monitor_for
from protocol import Inbound, decode
from protocol.models import Alert, DeviceStatus
from tests.announce.support import MONDAY_9, make_hall

from .conftest import stop_hall

ONLINE, OFFLINE = DeviceStatus(status="online"), DeviceStatus(status="offline")
PAPER_OUT = Alert(id="paper_out", kind="paper_out", severity="critical", since=MONDAY_9, message="no paper")


def hall_alert(hall, alert_id: str) -> Alert | None:
    raw = hall.broker.retained.get(hall.topics.alert(alert_id))
    return decode(Alert, raw) if raw else None


def alert_messages(hall, alert_id: str) -> list[bytes]:
    return [m.payload for m in hall.broker.published(hall.topics.alert(alert_id))]


def test_offline_after_the_grace_period_raises_a_retained_alert_and_online_clears_it(hall, monitor, clock):
    hall.backend.start()
    kiosk = hall.device_bus("kiosk-1")
    kiosk.publish(hall.topics.device_status("kiosk-1"), ONLINE, retain=True)
    kiosk.publish(hall.topics.device_status("kiosk-1"), OFFLINE, retain=True)    # as its last will would
    assert monitor.tick(clock.advance(seconds=59)) == MONDAY_9 + timedelta(seconds=60)   # when it is due
    assert hall_alert(hall, "device_offline-kiosk-1") is None
    monitor.tick(clock.advance(seconds=1))
    alert = hall_alert(hall, "device_offline-kiosk-1")
    assert alert.kind == "device_offline" and alert.subject == "kiosk-1" and alert.since == MONDAY_9
    kiosk.publish(hall.topics.device_status("kiosk-1"), ONLINE, retain=True)
    assert hall_alert(hall, "device_offline-kiosk-1") is None
    assert alert_messages(hall, "device_offline-kiosk-1")[-1] == b""               # cleared with an empty payload


def test_device_alerts_are_mirrored_and_cleared(hall, monitor):
    hall.backend.start()
    kiosk = hall.device_bus("kiosk-1")
    kiosk.publish(hall.topics.device_alert("kiosk-1", "paper_out"), PAPER_OUT, retain=True)
    alert = hall_alert(hall, "paper_out-kiosk-1")
    assert (alert.kind, alert.severity, alert.subject, alert.message) == ("paper_out", "critical", "kiosk-1",
                                                                          "no paper")
    assert [a.id for a in monitor.active_alerts()] == ["paper_out-kiosk-1"]
    kiosk.publish(hall.topics.device_alert("kiosk-1", "paper_out"), None, retain=True)
    assert hall_alert(hall, "paper_out-kiosk-1") is None and monitor.active_alerts() == []


def test_retained_device_state_is_read_on_start(hall, monitor, clock):
    bar = hall.device_bus("bar-1")
    bar.publish(hall.topics.device_status("bar-1"), OFFLINE, retain=True)
    bar.publish(hall.topics.device_alert("bar-1", "bar_not_answering"),
                Alert(id="bar_not_answering", kind="bar_not_answering", since=MONDAY_9, message="RS-485 timeout"),
                retain=True)
    hall.backend.start()
    assert hall_alert(hall, "bar_not_answering-bar-1") is not None
    monitor.tick(clock.advance(minutes=1))
    assert hall_alert(hall, "device_offline-bar-1") is not None
    assert monitor.records()["bar-1"].status == "offline"


def test_malformed_device_messages_are_logged_and_ignored(hall, monitor, caplog):
    hall.backend.start()
    kiosk = hall.device_bus("kiosk-1")
    status = hall.topics.device_status("kiosk-1")
    bad = [
        (status, b"not json"), (status, b"\xff\xfe"), (status, b"[1]"), (status, b'{"v": 2, "status": "online"}'),
        (status, b'{"v": 1, "status": "asleep"}'), (hall.topics.device_health("kiosk-1"), b'{"v": 1}'),
        (hall.topics.device_alert("kiosk-1", "paper_out"), b'{"v": 1, "kind": "paper_out"}'),
        (hall.topics.device_alert("kiosk-1", "paper_out"), b'{"v": 1, "id": "x", "kind": "fire", "since": "now"}'),
        (status, b'{"v": 1, "status": "online", "pad": "' + b"x" * 20_000 + b'"}'),
    ]
    with caplog.at_level(logging.WARNING, logger="backend.monitor.service"):
        for topic, payload in bad:
            kiosk.publish(topic, payload, retain=True)
        hall.broker.route(Inbound(hall.topics.alert("junk"), b"{oops", True))
    assert monitor.ignored == len(bad)
    assert caplog.text.count("ignoring device message") == len(bad)
    assert "is more than 16384" in caplog.text and "unreadable hall alert on hall/test/alerts/junk" in caplog.text
    assert "kiosk-1" not in monitor.records() and monitor.active_alerts() == []
    kiosk.publish(hall.topics.device_alert("kiosk-1", "paper_out"), PAPER_OUT, retain=True)   # still working
    assert hall_alert(hall, "paper_out-kiosk-1") is not None


def test_raised_alerts_are_republished_on_reconnect(hall, monitor, clock):
    hall.backend.start()
    hall.device_bus("kiosk-1").publish(hall.topics.device_alert("kiosk-1", "paper_out"), PAPER_OUT, retain=True)
    before = len(alert_messages(hall, "paper_out-kiosk-1"))
    hall.broker.retained.clear()                      # the broker lost its disk
    hall.broker.set_online(False)
    hall.broker.set_online(True)
    assert len(alert_messages(hall, "paper_out-kiosk-1")) == before + 1
    assert hall_alert(hall, "paper_out-kiosk-1") is not None


def test_a_restarted_backend_clears_what_resolved_while_it_was_down(tmp_path, clock):
    first = make_hall(tmp_path, clock)
    first.backend.start()
    kiosk = first.device_bus("kiosk-1")
    kiosk.publish(first.topics.device_status("kiosk-1"), OFFLINE, retain=True)
    kiosk.publish(first.topics.device_alert("kiosk-1", "paper_out"), PAPER_OUT, retain=True)
    monitor_for(first.backend.publisher).tick(clock.advance(minutes=2))
    assert hall_alert(first, "device_offline-kiosk-1") and hall_alert(first, "paper_out-kiosk-1")
    stop_hall(first)

    # while the backend is down the kiosk comes back and refills its paper
    kiosk.publish(first.topics.device_status("kiosk-1"), ONLINE, retain=True)
    kiosk.publish(first.topics.device_alert("kiosk-1", "paper_out"), None, retain=True)

    second = make_hall(tmp_path, clock, broker=first.broker)   # same database, same broker
    try:
        second.backend.start()
        assert hall_alert(second, "device_offline-kiosk-1") is None      # its retained status says online
        assert hall_alert(second, "paper_out-kiosk-1") is not None       # nothing said yet about the paper
        monitor = monitor_for(second.backend.publisher)
        monitor.tick(clock.advance(seconds=14))
        assert hall_alert(second, "paper_out-kiosk-1") is not None
        monitor.tick(clock.advance(seconds=1))                            # settled: nobody confirmed it
        assert hall_alert(second, "paper_out-kiosk-1") is None
    finally:
        stop_hall(second)


def test_the_timer_raises_the_offline_alert_by_itself(hall, monitor, clock):
    arrived = queue.Queue()
    wall = hall.device_bus("wall-1")
    wall.subscribe(hall.topics.alerts_all(), arrived.put)
    hall.backend.start()
    assert monitor.ticker.running
    hall.device_bus("keypad-1").publish(hall.topics.device_status("keypad-1"), OFFLINE, retain=True)
    clock.advance(seconds=61)
    monitor.ticker.wake()
    message = arrived.get(timeout=5)
    assert message.topic == hall.topics.alert("device_offline-keypad-1")
    assert decode(Alert, message.payload).subject == "keypad-1"
