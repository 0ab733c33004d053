"""The node on a FakeBus: retained state at start, calls once and fresh, reconnects, status and health."""

import pytest

from protocol.bus import CALL_EXPIRY_S
from protocol.codec import decode
from protocol.fakebus import FakeBus
from protocol.models import DeviceHealth, DeviceStatus
from signage.node import SignageNode
from signage.voice import RecordingPlayer, VoiceQueue
from signage.wallmodel import WallModel

from .conftest import HALL


@pytest.fixture
def make_node(broker, clock, settings, clip_dir, tmp_path):
    nodes = []

    def make(**kwargs):
        model = WallModel(clock)
        player = RecordingPlayer()
        voice = VoiceQueue(clip_dir, player, clock, work_dir=tmp_path / f"voice{len(nodes)}")
        bus = FakeBus(broker, HALL, device=settings.device)
        node = SignageNode(settings, bus, clock, wall=model, voice=voice, **kwargs).start()
        node.player = player
        nodes.append(node)
        return node

    yield make
    for node in nodes:
        node.stop()


def spoken(node, timeout=10):
    assert node.voice.wait_idle(timeout)
    return len(node.player.played)


def test_the_wall_draws_everything_from_retained_state_at_start(hall, make_node, clock):
    hall.publish_all()
    for window in (1, 3, 5):
        hall.call(window)
        clock.advance(20)
    node = make_node()
    view = node.wall.view()
    assert len(view.queues) == 6 and view.queues[0].name == "商事登记"
    assert view.item_count == len(hall.items) and len(view.items) == 8
    assert view.hall_name == "临安区政务服务中心"
    assert view.current.ticket == "C001" and not view.highlighted      # history, not a new call
    assert [r.ticket for r in view.recent] == ["B001", "A001"]
    assert view.marquee and view.online
    assert spoken(node) == 0 and node.calls_announced == 0


def test_a_live_call_is_highlighted_spoken_and_listed_once(hall, make_node, broker):
    hall.publish_all()
    node = make_node()
    event = hall.call(3)
    view = node.wall.view()
    assert view.highlighted and view.current.ticket == "B001" and view.current.window_number == 3
    hall.bus.publish(hall.topics.call_event(), event, expiry=CALL_EXPIRY_S)   # QoS 1 redelivery
    assert node.calls_announced == 1
    assert spoken(node) == 1
    assert node.player.overlaps == 0


def test_a_stale_call_event_is_neither_shown_as_new_nor_spoken(hall, make_node, clock):
    hall.publish_all()
    node = make_node()
    event = hall.call(3, publish_event=False)
    clock.advance(CALL_EXPIRY_S + 5)
    hall.bus.publish(hall.topics.call_event(), event, expiry=CALL_EXPIRY_S)
    view = node.wall.view()
    assert not view.highlighted
    assert view.current.ticket == "B001"           # listed from calls/recent
    assert spoken(node) == 0 and node.calls_announced == 0


def test_no_call_is_repeated_or_lost_across_a_broker_restart(hall, make_node, broker, clock):
    hall.publish_all()
    node = make_node()
    first = hall.call(1)
    clock.advance(2)
    broker.set_online(False)
    assert not node.wall.view().online
    clock.advance(10)
    missed = hall.call(5, publish_event=False)      # made while this node was cut off
    hall.publish_recent()
    broker.set_online(True)                          # resubscribe: retained state again
    hall.publish_all()                               # the backend republishes on reconnect
    for event in (first, missed):                    # the persistent session redelivers
        hall.bus.publish(hall.topics.call_event(), event, expiry=CALL_EXPIRY_S)
    assert node.calls_announced == 2                 # first once, missed once
    assert spoken(node) == 2
    view = node.wall.view()
    assert view.online and [view.current.ticket] + [r.ticket for r in view.recent] == ["C001", "A001"]


def test_a_restarted_node_does_not_repeat_calls_already_in_recent(hall, make_node, clock):
    hall.publish_all()
    event = hall.call(2)
    clock.advance(5)
    node = make_node()                               # started after the call
    hall.bus.publish(hall.topics.call_event(), event, expiry=CALL_EXPIRY_S)
    assert node.calls_announced == 0 and spoken(node) == 0
    assert node.wall.view().current.ticket == "A001"


def test_status_online_on_connect_health_and_offline_on_stop(hall, make_node, broker, settings):
    node = make_node()
    topics = node.topics
    status = decode(DeviceStatus, broker.retained[topics.device_status(settings.device)])
    assert status.status == "online"
    health = decode(DeviceHealth, broker.retained[topics.device_health(settings.device)])
    assert health.role == "wall" and health.details["rss_kb"] > 0
    broker.set_online(False)
    broker.set_online(True)
    assert len(broker.published(topics.device_status(settings.device))) == 2
    node.stop()
    assert decode(DeviceStatus, broker.retained[topics.device_status(settings.device)]).status == "offline"


def test_bad_messages_are_logged_and_ignored(hall, make_node, caplog):
    hall.publish_all()
    node = make_node()
    topics = node.topics
    hall.bus.publish(topics.queue_state("qA"), b"{not json", retain=True)
    hall.bus.publish(topics.call_event(), b'{"v": 1, "event_id": "x"}')
    hall.bus.publish(topics.announcements(), b'{"v": 2, "items": []}', retain=True)
    assert node.rejected_messages == 3
    assert "ignoring a bad message" in caplog.text
    hall.call(3)
    assert node.calls_announced == 1 and len(node.wall.view().queues) == 6


def test_a_cleared_retained_queue_leaves_the_panel(hall, make_node):
    hall.publish_all()
    node = make_node()
    hall.bus.publish(node.topics.queue_state("qF"), None, retain=True)
    assert [q.prefix for q in node.wall.view().queues] == ["A", "B", "C", "D", "E"]


def test_the_catalog_is_kept_for_a_start_without_broker(hall, make_node, broker, tmp_path, clock):
    hall.publish_catalog()
    path = tmp_path / "catalog.json"
    make_node(catalog_file=path)
    assert path.is_file()
    for topic in list(broker.retained):
        hall.bus.publish(topic, None, retain=True)   # the broker lost everything
    node = make_node(catalog_file=path)
    assert node.wall.view().item_count == len(hall.items)


def test_a_burst_of_calls_is_spoken_in_order_without_overlap(hall, make_node, clock):
    hall.publish_all()
    node = make_node()
    for window in (1, 2, 3, 4):
        hall.call(window)
    assert spoken(node) == 4
    assert node.player.overlaps == 0
    assert node.voice.spoken == 4
