"""The pure models: call gate, highlight queue, pager, announcement schedule."""

from datetime import timedelta

from protocol.models import Announcement, Announcements, CallEntry, CallEvent, RecentCalls
from signage import announce
from signage.calls import DUPLICATE, NEW, STALE, Call, CallGate
from signage.highlight import HighlightQueue
from signage.paging import Pager


def event(clock, n=1, *, at=None, ticket=None, window=3, kind="call"):
    return CallEvent(event_id=f"ev{n}", kind=kind, ticket=ticket or f"A{n:03d}", ticket_id=f"t{n}",
                     queue="qA", window=f"w{window:02d}", window_number=window, window_name=f"{window}号窗口",
                     at=at or clock.now())


def call(clock, n=1, **kwargs):
    return Call.from_event(event(clock, n, **kwargs))


# -- call gate -------------------------------------------------------------------------
def test_a_call_is_new_once(clock):
    gate = CallGate(clock)
    assert gate.admit(event(clock)) == NEW
    assert gate.admit(event(clock)) == DUPLICATE


def test_an_old_call_is_stale_and_stays_stale(clock):
    gate = CallGate(clock)
    old = event(clock, at=clock.now() - timedelta(seconds=61))
    assert gate.admit(old) == STALE
    assert gate.admit(old) == DUPLICATE


def test_a_call_just_inside_its_expiry_is_new(clock):
    assert CallGate(clock).admit(event(clock, at=clock.now() - timedelta(seconds=59))) == NEW


def test_an_expired_mqtt_message_is_stale(clock):
    assert CallGate(clock).admit(event(clock), mqtt_expiry=0) == STALE


def test_a_future_stamp_is_accepted_with_a_warning(clock, caplog):
    assert CallGate(clock).admit(event(clock, at=clock.now() + timedelta(minutes=5))) == NEW
    assert "NTP" in caplog.text


def test_recent_calls_made_before_the_node_started_are_history(clock):
    before = clock.now() - timedelta(seconds=20)
    gate = CallGate(clock)
    entry = CallEntry(ticket="A001", window="w03", window_number=3, queue="qA", kind="call", at=before,
                      event_id="ev1")
    gate.note_history(RecentCalls(calls=(entry,), updated_at=clock.now()))
    # the broker redelivers the (still fresh) event after a restart: not said again
    assert gate.admit(event(clock, 1, at=before)) == DUPLICATE


def test_recent_calls_published_before_their_event_do_not_swallow_it(clock):
    gate = CallGate(clock)
    clock.advance(5)
    entry = CallEntry(ticket="A002", window="w03", window_number=3, queue="qA", kind="call", at=clock.now(),
                      event_id="ev2")
    gate.note_history(RecentCalls(calls=(entry,), updated_at=clock.now()))
    assert gate.admit(event(clock, 2)) == NEW


def test_the_gate_memory_is_bounded(clock):
    gate = CallGate(clock, capacity=100)
    for n in range(1000):
        gate.admit(event(clock, n))
    assert len(gate._seen._ids) == 100


# -- highlight ---------------------------------------------------------------------------
def test_one_call_is_highlighted_for_the_full_hold(clock):
    queue = HighlightQueue(hold_s=8, min_turn_s=3)
    queue.push(call(clock), 0.0)
    assert queue.current(7.9).ticket == "A001"
    assert queue.current(8.0) is None


def test_simultaneous_calls_each_get_their_turn_in_order(clock):
    queue = HighlightQueue(hold_s=8, min_turn_s=3)
    for n in (1, 2, 3):
        queue.push(call(clock, n, window=n), 0.0)
    shown: dict[str, list[float]] = {}
    t = 0.0
    while t < 30:
        current = queue.current(t)
        if current:
            shown.setdefault(current.ticket, []).append(t)
        t += 0.25
    assert list(shown) == ["A001", "A002", "A003"]
    spans = {ticket: (times[0], times[-1] + 0.25) for ticket, times in shown.items()}
    assert spans["A001"] == (0.0, 3.0)        # shortened turns: others were waiting
    assert spans["A002"] == (3.0, 6.0)
    assert spans["A003"] == (6.0, 14.0)       # the last keeps the full hold


def test_a_call_arriving_during_a_turn_cuts_it_to_the_minimum_not_to_zero(clock):
    queue = HighlightQueue(hold_s=8, min_turn_s=3)
    queue.push(call(clock, 1), 0.0)
    queue.push(call(clock, 2, window=4), 1.0)
    assert queue.current(2.9).ticket == "A001"
    assert queue.current(3.0).ticket == "A002"


def test_a_recall_of_a_waiting_number_is_not_queued_twice(clock):
    queue = HighlightQueue(hold_s=8, min_turn_s=3)
    queue.push(call(clock, 1), 0.0)
    queue.push(call(clock, 2, ticket="B007", window=4), 0.0)
    queue.push(call(clock, 3, ticket="B007", window=4, kind="recall"), 0.5)
    assert queue.waiting == 1
    assert queue.current(3.0).kind == "recall"


def test_flash_alternates_during_a_turn(clock):
    queue = HighlightQueue(hold_s=8, flash_period_s=0.5)
    queue.push(call(clock), 10.0)
    assert [queue.flash_on(10.0 + t) for t in (0, 0.25, 0.5, 0.75, 1.0)] == [True, True, False, False, True]
    assert queue.flash_on(20.0) is False


def test_calls_that_waited_past_the_expiry_are_not_shown_as_new(clock):
    queue = HighlightQueue(hold_s=8, min_turn_s=3, max_wait_s=60)
    for n in range(30):
        queue.push(call(clock, n, window=n % 12 + 1), 0.0)
    shown = set()
    t = 0.0
    while t < 120:
        current = queue.current(t)
        if current:
            shown.add(current.ticket)
            assert t <= 60 + 3  # no call starts its turn after it expired
        t += 0.25
    assert 15 <= len(shown) < 30 and queue.expired == 30 - len(shown)


def test_the_highlight_queue_is_bounded(clock):
    queue = HighlightQueue(capacity=10)
    for n in range(50):
        queue.push(call(clock, n, window=n % 12 + 1), 0.0)
    assert queue.waiting <= 10


# -- pager -----------------------------------------------------------------------------
def test_pages_turn_at_the_set_pace():
    pager = Pager(page_s=10, per_page=8)
    rows = list(range(20))
    assert pager.slice(rows, 0.0)[1:] == (0, 3)
    assert pager.slice(rows, 9.9)[1] == 0
    assert pager.slice(rows, 10.0)[1] == 1
    assert pager.slice(rows, 20.0) == (tuple(range(16, 20)), 2, 3)
    assert pager.slice(rows, 30.0)[1] == 0


def test_a_shrinking_list_goes_back_to_the_first_page():
    pager = Pager(page_s=10, per_page=8)
    pager.slice(list(range(20)), 0.0)
    pager.slice(list(range(20)), 25.0)
    assert pager.index == 2
    assert pager.slice(list(range(5)), 26.0) == (tuple(range(5)), 0, 1)
    assert pager.slice(list(range(5)), 30.0)[1] == 0


def test_an_empty_list_has_one_empty_page():
    assert Pager(10, 8).slice([], 0.0) == ((), 0, 1)


# -- announcements --------------------------------------------------------------------------
def _ann(clock, id_, start_min, end_min, *, priority="normal", targets=("wall", "bar", "kiosk"), text=None):
    now = clock.now()
    return Announcement(id=id_, text=text or f"通知{id_}", priority=priority, targets=targets,
                        start=now + timedelta(minutes=start_min), end=now + timedelta(minutes=end_min))


def test_announcements_follow_their_schedule_and_targets(clock):
    anns = Announcements(items=(
        _ann(clock, "now", -5, 5), _ann(clock, "later", 10, 20), _ann(clock, "over", -20, -1),
        _ann(clock, "kiosk", -5, 5, targets=("kiosk",)), _ann(clock, "urgent", 0, 5, priority="high"),
    ), updated_at=clock.now())
    assert [a.id for a in announce.active(anns, "wall", clock.now())] == ["urgent", "now"]
    assert announce.next_change(anns, clock.now()) == clock.now() + timedelta(minutes=5)
    clock.advance(12 * 60)
    assert [a.id for a in announce.active(anns, "wall", clock.now())] == ["later"]
    assert [a.id for a in announce.active(anns, "bar", clock.now())] == ["later"]


def test_the_marquee_is_cut_into_short_chunks_in_order(clock):
    long_text = "很长的通知，" * 50
    anns = (_ann(clock, "a", -1, 1, text=long_text), _ann(clock, "b", -1, 1, priority="high", text="紧急"))
    active = announce.active(Announcements(items=anns, updated_at=clock.now()), "wall", clock.now())
    segments = announce.marquee(active, "idle")
    assert all(len(s.text) <= announce.CHUNK_CHARS for s in segments)
    assert "".join(s.text for s in segments) == ("【重要】紧急" + announce.SEPARATOR + long_text
                                                  + announce.SEPARATOR)
    assert segments[0].high and not segments[-1].high


def test_the_marquee_shows_the_idle_message_and_one_line_text(clock):
    assert announce.marquee((), "请留意叫号") == (announce.Segment("请留意叫号" + announce.SEPARATOR),)
    assert announce.marquee((), "  ") == ()
    ann = _ann(clock, "a", -1, 1, text="第一行\n\n第二行\t 结束")
    assert announce.marquee((ann,), "")[0].text.startswith("第一行 第二行 结束")
