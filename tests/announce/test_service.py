"""Publishing: the retained topic carries exactly the active announcements, kept right by tick(now)."""

from __future__ import annotations

import json
import queue
import threading
from datetime import timedelta

import pytest

from backend.announce.model import Draft
from backend.announce.service import DraftError
from backend.ticker import Ticker
from protocol import decode
from protocol.models import Announcements

from .support import MONDAY_9, Clock
from .test_model import HOSTILE

HOUR = timedelta(hours=1)


def draft(text="系统维护通知", start=MONDAY_9, end=MONDAY_9 + HOUR, **kw) -> Draft:
    return Draft(text=text, priority=kw.get("priority", "normal"), targets=kw.get("targets", ("wall",)),
                 start=start, end=end)


def published(hall) -> list[Announcements]:
    return [decode(Announcements, m.payload) for m in hall.broker.published(hall.topics.announcements())]


def retained(hall) -> Announcements:
    return decode(Announcements, hall.broker.retained[hall.topics.announcements()])


def test_an_active_announcement_is_published_at_once_and_retained(hall, service):
    notice = service.create(draft(priority="high", targets=("bar", "wall")), by="admin")
    [payload] = published(hall)
    [item] = payload.items
    assert (item.id, item.text, item.priority, item.targets) == (notice.id, "系统维护通知", "high", ("wall", "bar"))
    assert item.start == MONDAY_9 and item.end == MONDAY_9 + HOUR
    assert item.start.utcoffset() == timedelta(hours=8)       # published in the hall's zone
    assert payload.updated_at == MONDAY_9
    assert retained(hall) == payload


def test_a_scheduled_one_appears_when_it_starts_and_goes_when_it_ends(hall, service, clock):
    service.create(draft(start=MONDAY_9 + HOUR, end=MONDAY_9 + 2 * HOUR), by="admin")
    assert [p.items for p in published(hall)] == [()]  # the first publication states "none"
    assert service.tick(clock()) == MONDAY_9 + HOUR   # next change: its start
    assert service.tick(clock.advance(minutes=59)) == MONDAY_9 + HOUR
    assert len(published(hall)) == 1                  # no change, no message

    assert service.tick(clock.advance(minutes=1)) == MONDAY_9 + 2 * HOUR
    assert [i.text for i in retained(hall).items] == ["系统维护通知"]
    assert service.tick(clock.advance(hours=1)) is None
    assert retained(hall).items == ()
    assert len(published(hall)) == 3


def test_tick_is_idempotent(hall, service, clock):
    service.create(draft(), by="admin")
    for _ in range(3):
        service.tick(clock())
    assert len(published(hall)) == 1


def test_withdraw_republishes_without_it(hall, service, clock):
    keep = service.create(draft(text="保留"), by="admin")
    gone = service.create(draft(text="撤回"), by="admin")
    assert {i.id for i in retained(hall).items} == {keep.id, gone.id}
    assert service.withdraw(gone.id, by="boss") is True
    assert [i.id for i in retained(hall).items] == [keep.id]
    assert service.withdraw(gone.id, by="boss") is False   # already withdrawn
    assert service.withdraw("n-nope", by="boss") is False
    stored = service.get(gone.id)
    assert stored.withdrawn and stored.withdrawn_by == "boss" and stored.withdrawn_at == clock()
    service.tick(clock.advance(minutes=30))
    assert [i.id for i in retained(hall).items] == [keep.id]


def test_withdrawing_a_scheduled_one_keeps_it_off_the_screens(hall, service, clock):
    later = service.create(draft(start=MONDAY_9 + HOUR, end=MONDAY_9 + 2 * HOUR), by="admin")
    service.withdraw(later.id, by="admin")
    assert service.tick(clock.advance(minutes=90)) is None
    assert retained(hall).items == ()


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_and_published_literally(hall, service, text):
    notice = service.create(draft(text=text), by="admin")
    assert service.get(notice.id).text == text.strip()
    [item] = retained(hall).items
    assert item.text == text.strip()
    raw = hall.broker.retained[hall.topics.announcements()]
    assert json.loads(raw)["items"][0]["text"] == text.strip()
    if '"' not in text and "\\" not in text:
        assert text.strip().encode("utf-8") in raw    # on the wire as typed: no entities, no markup removed


def test_an_invalid_draft_is_refused_and_nothing_is_stored(hall, service):
    with pytest.raises(DraftError) as info:
        service.create(draft(text="", targets=()), by="admin")
    assert set(info.value.errors) == {"text", "targets"}
    assert service.list() == [] and published(hall) == []


def test_republish_on_start_and_reconnect_carries_the_active_set(hall, service, clock):
    service.create(draft(text="常驻"), by="admin")
    service.create(draft(text="明天", start=MONDAY_9 + 24 * HOUR, end=MONDAY_9 + 25 * HOUR), by="admin")
    before = len(published(hall))
    hall.backend.start()
    hall.broker.set_online(False)
    hall.broker.set_online(True)                      # a reconnect
    after = published(hall)[before:]
    assert len(after) == 2 and all([i.text for i in p.items] == ["常驻"] for p in after)


def test_the_timer_runs_on_connect_and_publishes_a_start_by_itself(hall, service, clock):
    """The real thread, driven by the fake clock: wake it and wait (bounded) for its publication."""
    service.create(draft(text="九点半开始", start=MONDAY_9 + HOUR / 2, end=MONDAY_9 + HOUR), by="admin")
    arrived = queue.Queue()
    watcher = hall.device_bus("wall-1")
    watcher.subscribe(hall.topics.announcements(), arrived.put)
    hall.backend.start()
    assert service.ticker.running
    while not arrived.empty():
        arrived.get_nowait()                          # what start() republished
    clock.advance(minutes=30)
    service.ticker.wake()
    message = arrived.get(timeout=5)
    assert [i.text for i in decode(Announcements, message.payload).items] == ["九点半开始"]


def test_the_timer_thread_ends_when_the_bus_goes_away_and_restarts_on_connect():
    connected = threading.Event()
    ticks = queue.Queue()
    clock = Clock()
    ticker = Ticker("t", lambda now: ticks.put(now), clock, alive=connected.is_set, max_wait=0.05)
    connected.set()
    ticker.ensure_started()
    assert ticks.get(timeout=5) == clock()
    connected.clear()
    ticker.wake()
    assert ticker.join(timeout=5)                     # ended by itself
    connected.set()
    ticker.ensure_started()
    assert ticker.running and ticks.get(timeout=5) == clock()
    ticker.stop()
    ticker.stop()                                     # safe twice
    assert ticker.join(timeout=5)
    ticker.ensure_started()                           # stopped for good
    assert not ticker.running


def test_a_failing_tick_is_logged_and_the_timer_goes_on(caplog):
    calls = queue.Queue()

    def tick(now):
        calls.put(now)
        raise RuntimeError("database is locked")
    ticker = Ticker("t", tick, Clock(), max_wait=0.05)
    ticker.ensure_started()
    calls.get(timeout=5)
    calls.get(timeout=5)                              # ticked again after the failure
    ticker.stop()
    assert ticker.join(timeout=5)
    assert "tick failed" in caplog.text
