"""The bus interface on the FakeBus: retained state, clearing, request/reply, dedup, size check."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from protocol import Deduper, PayloadTooLarge, ProtocolError, decode_request, reply_ok, topic_matches
from protocol.bus import Dispatcher, Inbound
from protocol.fakebus import FakeBroker, FakeBus
from protocol.mirror import CatalogMirror
from protocol.models import (Announcement, Announcements, CatalogIndex, IndexEntry, Item, Request,
                             item_hash)

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("filter_, topic, expected", [
    ("a/+/c", "a/b/c", True), ("a/#", "a/b/c", True), ("a/+", "a/b/c", False), ("a/b", "a/b", True),
    ("a/+/c", "a/b/d", False), ("#", "x", True),
])
def test_topic_matches(filter_, topic, expected):
    assert topic_matches(filter_, topic) is expected


def test_retained_state_reaches_late_subscribers_and_empty_clears_it():
    broker = FakeBroker()
    backend = FakeBus(broker, "h", client_id="backend").start()
    topic = backend.topics.announcements()
    backend.publish(topic, Announcements(updated_at=NOW), retain=True)
    late = FakeBus(broker, "h", device="wall-1").start()
    got = []
    late.subscribe(topic, got.append)
    assert len(got) == 1 and got[0].retain
    backend.publish(topic, None, retain=True)
    assert broker.retained_for(topic) == []


def test_request_reply_and_error():
    broker = FakeBroker()
    backend = FakeBus(broker, "h", client_id="backend").start()

    def serve(message):
        request = decode_request(message.payload)
        backend.publish(message.response_topic, reply_ok(request.id, {"echo": request.type}),
                        correlation=message.correlation)

    backend.subscribe(backend.topics.all_device_requests(), serve)
    kiosk = FakeBus(broker, "h", device="kiosk-1").start()
    assert kiosk.call(Request(id="r1", type="ticket.issue", params={"queue": "A"})) == {"echo": "ticket.issue"}
    broker.set_online(False)
    with pytest.raises(ProtocolError) as info:
        kiosk.request(Request(id="r2", type="ticket.issue", params={"queue": "A"}), timeout=0.01)
    assert info.value.code == "timeout"


def test_oversize_payload_is_refused_before_sending():
    broker = FakeBroker(max_payload=1000)
    bus = FakeBus(broker, "h", client_id="backend").start()
    huge = Announcements(items=(Announcement(id="n", text="通知" * 1000, start=NOW,
                                             end=NOW.replace(hour=5)),), updated_at=NOW)
    with pytest.raises(PayloadTooLarge) as info:
        bus.publish(bus.topics.announcements(), huge, retain=True)
    assert "exceeds" in str(info.value)
    assert not broker.log


def test_deduper_remembers_a_bounded_number_of_ids():
    dedup = Deduper(capacity=3)
    assert [dedup.seen(x) for x in "abca"] == [False, False, False, True]
    for x in "defg":
        dedup.seen(x)
    assert dedup.seen("a") is False  # forgotten, bounded memory


def _item(n: int) -> Item:
    return Item(id=f"I{n}", code=f"I{n}", name=f"事项{n}", department="d", kind="即办件", queue="A")


def test_catalog_mirror_knows_when_it_is_complete(tmp_path):
    broker = FakeBroker()
    backend = FakeBus(broker, "h", client_id="backend").start()
    items = [_item(n) for n in range(3)]
    index = CatalogIndex(version=7, hall_name="大厅", updated_at=NOW,
                         items=tuple(IndexEntry(id=i.id, hash=item_hash(i)) for i in items))
    for item in items[:2]:
        backend.publish(backend.topics.catalog_item(item.id), item, retain=True)
    backend.publish(backend.topics.catalog_index(), index, retain=True)
    node = FakeBus(broker, "h", device="kiosk-1").start()
    mirror = CatalogMirror(node.topics)
    mirror.subscribe(node)
    assert not mirror.complete and mirror.missing() == ["I2"]
    backend.publish(backend.topics.catalog_item("I2"), items[2], retain=True)
    assert mirror.complete and [i.id for i in mirror.items()] == ["I0", "I1", "I2"]
    mirror.save(tmp_path / "catalog.json")
    again = CatalogMirror(node.topics)
    assert again.load(tmp_path / "catalog.json") and again.complete and again.version == 7
    # a deleted item: the index drops it and its topic is cleared
    backend.publish(backend.topics.catalog_item("I2"), None, retain=True)
    assert not mirror.complete
    backend.publish(backend.topics.catalog_index(), index.model_copy(update={"items": index.items[:2]}),
                    retain=True)
    assert mirror.complete and len(mirror.items()) == 2


def test_mirror_survives_a_corrupt_file(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text("{not json", encoding="utf-8")
    assert CatalogMirror(FakeBus(FakeBroker(), "h").topics).load(path) is False


def test_burst_handlers_get_each_read_at_once_on_the_receiving_thread_the_others_the_worker():
    dispatcher = Dispatcher("t")
    bursts: list[tuple[list[bytes], str]] = []
    worker_threads: list[str] = []
    done = threading.Event()

    def worker(message):
        worker_threads.append(threading.current_thread().name)
        done.set()

    assert dispatcher.add_bursts("hall/x/devices/+/requests", lambda messages: bursts.append(
        ([m.payload for m in messages], threading.current_thread().name)))
    assert dispatcher.add("hall/x/#", worker)
    assert dispatcher.filters() == ["hall/x/#", "hall/x/devices/+/requests"]
    dispatcher.start()
    try:
        for payload in (b"1", b"2", b"3"):
            dispatcher.receive(Inbound("hall/x/devices/k1/requests", payload))
        assert bursts == []                      # held until the read is handled
        dispatcher.end_burst()
        assert bursts == [([b"1", b"2", b"3"], threading.current_thread().name)]   # together, in order
        dispatcher.end_burst()
        assert len(bursts) == 1                  # an empty read calls nobody
        assert done.wait(5)
        assert set(worker_threads) == {"bus-worker-t"}
        dispatcher.receive(Inbound("hall/x/other", b"{}"))  # no burst handler matches: worker only
        dispatcher.end_burst()
        assert len(bursts) == 1
        dispatcher.deliver(Inbound("hall/x/devices/k2/requests", b"4"))   # a bus with no network
        assert bursts[-1] == ([b"4"], threading.current_thread().name)
    finally:
        dispatcher.stop()


def test_new_ids_are_unique_hex_and_sort_in_the_order_they_were_made(monkeypatch):
    import protocol.bus as bus_module
    from protocol import new_id

    made = []
    for ms in (1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_999, 1_700_000_060_000):
        monkeypatch.setattr(bus_module.time, "time_ns", lambda ms=ms: ms * 1_000_000 + 123)
        made += [new_id("k-") for _ in range(50)]
    assert all(i.startswith("k-") and len(i) == 34 and int(i[2:], 16) >= 0 for i in made)
    assert len(set(made)) == len(made)                       # 80 random bits within one millisecond
    stamps = [i[2:14] for i in made]
    assert stamps == sorted(stamps) and stamps[0] == f"{1_700_000_000_000:012x}"
    assert made[50:100] != sorted(made[50:100]) or made[100:150] != sorted(made[100:150])  # random within a ms
