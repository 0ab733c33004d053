"""The engine's rules, one by one, on the in-memory repository."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.queue.domain import Appointment, TicketState, WindowStatus
from backend.queue.engine import Who
from protocol import ProtocolError

from .hall import CLERK, KEYPAD, KIOSK, MONDAY_9, Clock, memory_engine


def codes(fn, *args, **kwargs) -> str:
    with pytest.raises(ProtocolError) as info:
        fn(*args, **kwargs)
    return info.value.code


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def engine():
    return memory_engine()


def issue(engine, clock, queue="qa", priority="normal", **kw):
    return engine.issue(clock(), KIOSK, queue=queue, priority=priority, **kw).ticket


def test_numbers_run_per_queue_with_prefix(engine, clock):
    numbers = [issue(engine, clock, q).number for q in ("qa", "qa", "qb", "qa", "qb")]
    assert numbers == ["A001", "A002", "B001", "A003", "B002"]


def test_numbers_restart_at_local_midnight_not_utc(engine):
    clock = Clock(MONDAY_9.replace(hour=23, minute=59))
    assert issue(engine, clock).number == "A001"
    assert issue(engine, clock).number == "A002"
    clock.advance(minutes=1)  # 00:00 Tuesday in Shanghai, still Monday 16:00 in UTC
    assert issue(engine, clock).number == "A001"
    assert engine.repo.issued_count("qa", date(2024, 5, 7)) == 1


def test_item_picks_its_queue_and_urgent_kind_gives_priority(engine, clock):
    t = engine.issue(clock(), KIOSK, item="i-urgent").ticket
    assert (t.queue, t.priority, t.number, t.item) == ("qb", "urgent", "B001", "i-urgent")
    t = engine.issue(clock(), KIOSK, item="i-urgent", priority="elderly").ticket
    assert t.priority == "elderly"


def test_unknown_item_and_queue(engine, clock):
    assert codes(engine.issue, clock(), KIOSK, item="nope") == "unknown_item"
    assert codes(engine.issue, clock(), KIOSK, queue="nope") == "unknown_queue"


def test_hours_and_quota(engine):
    clock = Clock(MONDAY_9.replace(hour=12, minute=30))
    with pytest.raises(ProtocolError) as info:
        issue(engine, clock, "qc")
    assert info.value.code == "outside_hours"
    assert "08:30-12:00, 13:30-17:00" in info.value.message_zh
    clock.now = MONDAY_9 + timedelta(days=5)  # Saturday
    assert codes(issue, engine, clock, "qc") == "queue_closed"
    clock.now = MONDAY_9
    assert [issue(engine, clock, "qc").number for _ in range(5)][-1] == "C005"
    with pytest.raises(ProtocolError) as info:
        issue(engine, clock, "qc")
    assert info.value.code == "quota_exhausted" and "已取完" in info.value.message_zh


def test_suspended_queue_is_closed(engine, clock):
    engine.repo.suspended["qa"] = "系统维护"
    with pytest.raises(ProtocolError) as info:
        issue(engine, clock, "qa")
    assert info.value.code == "queue_closed" and "系统维护" in info.value.message_zh


def test_call_order_priority_first_but_at_most_n_in_a_row():
    engine = memory_engine(max_priority_in_row=2)
    clock = Clock()
    normal = [issue(engine, clock, "qa") for _ in range(3)]
    prio = [issue(engine, clock, "qa", "elderly") for _ in range(4)]
    engine.resume(clock(), CLERK, "w1")
    called = []
    for _ in range(7):
        called.append(engine.call_next(clock(), CLERK, "w1").ticket.number)
        engine.finish(clock(), CLERK, "w1")
    p, n = [t.number for t in prio], [t.number for t in normal]
    assert called == [p[0], p[1], n[0], p[2], p[3], n[1], n[2]]


def test_window_queue_order_then_place(engine, clock):
    b = issue(engine, clock, "qb")
    clock.advance(minutes=1)
    a = issue(engine, clock, "qa")
    engine.resume(clock(), CLERK, "w1")
    assert engine.call_next(clock(), CLERK, "w1").ticket.number == a.number  # qa ranks before qb at w1
    engine.finish(clock(), CLERK, "w1")
    assert engine.call_next(clock(), CLERK, "w1").ticket.number == b.number
    engine.finish(clock(), CLERK, "w1")
    assert codes(engine.call_next, clock(), CLERK, "w1") == "nothing_waiting"


def test_recall_limit_makes_a_no_show(engine, clock):
    issue(engine, clock)
    engine.resume(clock(), CLERK, "w1")
    engine.call_next(clock(), KEYPAD, "w1")
    kinds = [engine.recall(clock(), KEYPAD, "w1").call.kind for _ in range(3)]
    assert kinds == ["recall"] * 3
    change = engine.recall(clock(), KEYPAD, "w1")
    assert change.call is None and change.ticket.state == TicketState.NO_SHOW
    assert engine.repo.get_window("w1").ticket is None
    assert "recall limit" in engine.repo.audit[-1].reason
    assert codes(engine.recall, clock(), KEYPAD, "w1") == "invalid_state"


def test_skip_needs_a_reason_and_special_call_brings_a_no_show_back(engine, clock):
    t = issue(engine, clock)
    engine.resume(clock(), CLERK, "w1")
    engine.call_next(clock(), CLERK, "w1")
    assert codes(engine.skip, clock(), CLERK, "w1", " ") == "reason_required"
    engine.skip(clock(), CLERK, "w1", "未到场")
    assert engine.repo.get_ticket(t.id).state == TicketState.NO_SHOW
    assert codes(engine.call_number, clock(), CLERK, "w1", t.number, "") == "reason_required"
    change = engine.call_number(clock(), CLERK, "w1", t.number, "群众返回")
    assert change.ticket.state == TicketState.CALLED and change.call.kind == "call"
    assert engine.repo.audit[-1].reason == "特呼: 群众返回"


def test_call_number_errors(engine, clock):
    a = issue(engine, clock, "qa")
    b = issue(engine, clock, "qb")
    engine.resume(clock(), CLERK, "w2")
    assert codes(engine.call_number, clock(), CLERK, "w2", "A999", "x") == "unknown_ticket"
    assert codes(engine.call_number, clock(), CLERK, "w2", a.number, "x") == "not_permitted"  # w2 serves qb only
    engine.call_number(clock(), CLERK, "w2", b.number, "x")
    engine.resume(clock(), CLERK, "w1")
    assert codes(engine.call_number, clock(), CLERK, "w1", b.number, "x") == "invalid_state"
    engine.finish(clock(), CLERK, "w2")
    assert codes(engine.call_number, clock(), CLERK, "w1", b.number, "x") == "invalid_state"  # done


def test_start_finish_and_evaluation(engine, clock):
    t = issue(engine, clock)
    engine.resume(clock(), CLERK, "w1")
    assert codes(engine.start, clock(), CLERK, "w1") == "invalid_state"
    engine.call_next(clock(), CLERK, "w1")
    clock.advance(minutes=1)
    engine.start(clock(), CLERK, "w1")
    assert codes(engine.start, clock(), CLERK, "w1") == "invalid_state"
    assert codes(engine.recall, clock(), CLERK, "w1") == "invalid_state"
    assert codes(engine.skip, clock(), CLERK, "w1", "x") == "invalid_state"
    clock.advance(minutes=4)
    engine.finish(clock(), CLERK, "w1")
    stored = engine.repo.get_ticket(t.id)
    assert stored.state == TicketState.DONE and stored.staff == "alice"
    assert (stored.finished_at - stored.called_at) == timedelta(minutes=5)
    assert engine.repo.get_window("w1").awaiting_evaluation == t.id
    assert codes(engine.evaluate, clock(), Who("eval-1"), "w1", 2) == "reason_required"
    _, evaluation = engine.evaluate(clock(), Who("eval-1"), "w1", 2, ("服务效率",))
    assert evaluation.followup_status == "待回访" and evaluation.staff == "alice"
    assert engine.repo.get_window("w1").awaiting_evaluation is None
    assert codes(engine.evaluate, clock(), Who("eval-1"), "w1", 5) == "nothing_to_evaluate"
    assert codes(engine.evaluate, clock(), Who("eval-1"), "w1", 5, ticket_id=t.id) == "already_evaluated"


def test_finish_straight_from_called(engine, clock):
    issue(engine, clock)
    engine.resume(clock(), KEYPAD, "w1")
    engine.call_next(clock(), KEYPAD, "w1")
    engine.finish(clock(), KEYPAD, "w1")
    assert [e.to_state for e in engine.repo.audit][-2:] == ["called", "done"]


def test_next_call_clears_the_pending_rating(engine, clock):
    issue(engine, clock)
    issue(engine, clock)
    engine.resume(clock(), CLERK, "w1")
    engine.call_next(clock(), CLERK, "w1")
    engine.finish(clock(), CLERK, "w1")
    engine.call_next(clock(), CLERK, "w1")
    assert engine.repo.get_window("w1").awaiting_evaluation is None
    assert codes(engine.evaluate, clock(), Who("eval-1"), "w1", 5) == "nothing_to_evaluate"


def test_transfer_keeps_number_and_original_place(engine, clock):
    a1 = issue(engine, clock, "qa")
    clock.advance(minutes=1)
    b1 = issue(engine, clock, "qb")
    engine.resume(clock(), CLERK, "w3")
    engine.call_next(clock(), CLERK, "w3")  # A001 at window 3
    assert codes(engine.transfer, clock(), CLERK, "w3", "") == "reason_required"
    assert codes(engine.transfer, clock(), CLERK, "w3", "x", to_queue="zz") == "unknown_queue"
    assert codes(engine.transfer, clock(), CLERK, "w3", "x", to_window="zz") == "unknown_window"
    assert codes(engine.transfer, clock(), CLERK, "w3", "x", to_window="w3") == "invalid_request"
    engine.transfer(clock(), CLERK, "w3", "需税务审核", to_queue="qb")
    moved = engine.repo.get_ticket(a1.id)
    assert (moved.number, moved.queue, moved.state) == ("A001", "qb", TicketState.TRANSFERRED)
    engine.resume(clock(), CLERK, "w2")
    # A001 was issued before B001, so it goes first in queue B
    assert engine.call_next(clock(), CLERK, "w2").ticket.number == "A001"
    engine.finish(clock(), CLERK, "w2")
    assert engine.call_next(clock(), CLERK, "w2").ticket.number == b1.number


def test_transfer_to_a_window_reserves_the_ticket(engine, clock):
    issue(engine, clock, "qa")
    issue(engine, clock, "qa")
    engine.resume(clock(), CLERK, "w1")
    engine.call_next(clock(), CLERK, "w1")
    engine.transfer(clock(), CLERK, "w1", "请到2号窗口", to_window="w2")
    engine.resume(clock(), CLERK, "w3")
    assert engine.call_next(clock(), CLERK, "w3").ticket.number == "A002"  # A001 is reserved for w2
    engine.resume(clock(), CLERK, "w2")
    assert engine.call_next(clock(), CLERK, "w2").ticket.number == "A001"


def test_pause_and_resume(engine, clock):
    issue(engine, clock)
    engine.resume(clock(), CLERK, "w1")
    engine.call_next(clock(), CLERK, "w1")
    assert codes(engine.pause, clock(), CLERK, "w1", "午休") == "invalid_state"
    engine.finish(clock(), CLERK, "w1")
    engine.pause(clock(), CLERK, "w1", "午休")
    issue(engine, clock)
    assert codes(engine.call_next, clock(), CLERK, "w1") == "window_paused"
    engine.resume(clock(), CLERK, "w1")
    assert engine.call_next(clock(), CLERK, "w1").ticket.number == "A002"
    assert [(e.from_status, e.to_status) for e in engine.repo.window_events if e.from_status != e.to_status] == [
        ("closed", "open"), ("open", "paused"), ("paused", "open")]


def test_next_refused_while_a_ticket_is_at_the_window(engine, clock):
    issue(engine, clock)
    issue(engine, clock)
    engine.resume(clock(), CLERK, "w1")
    engine.call_next(clock(), CLERK, "w1")
    assert codes(engine.call_next, clock(), CLERK, "w1") == "invalid_state"


def test_closed_window_and_unknown_window(engine, clock):
    assert codes(engine.finish, clock(), CLERK, "w1") == "window_closed"
    assert codes(engine.call_next, clock(), CLERK, "nope") == "unknown_window"


def test_staff_sign_in_sets_name_and_post(engine, clock):
    engine.repo.staff["alice"] = ("李丽", "社保专员")
    engine.resume(clock(), CLERK, "w1")
    runtime = engine.repo.get_window("w1")
    assert (runtime.staff, runtime.staff_name, runtime.staff_post) == ("alice", "李丽", "社保专员")
    engine.pause(clock(), KEYPAD, "w1")  # a keypad keeps the signed-in staff
    assert engine.repo.get_window("w1").staff == "alice"


def test_appointment_check_in(engine, clock):
    engine.repo.save_appointment(Appointment("ABC123", "qc", clock().date()))
    engine.repo.save_appointment(Appointment("TOMORROW", "qc", clock().date() + timedelta(days=1)))
    for _ in range(5):
        issue(engine, clock, "qc")
    assert codes(issue, engine, clock, "qc") == "quota_exhausted"
    t = engine.check_in(clock(), KIOSK, "ABC123").ticket  # the quota does not refuse an appointment
    assert (t.number, t.priority, t.appointment) == ("C006", "appointment", "ABC123")
    assert codes(engine.check_in, clock(), KIOSK, "ABC123") == "already_checked_in"
    assert codes(engine.check_in, clock(), KIOSK, "NOPE99") == "unknown_appointment"
    assert codes(engine.check_in, clock(), KIOSK, "TOMORROW") == "appointment_not_today"
    engine.resume(clock(), CLERK, "w3")
    assert engine.call_next(clock(), CLERK, "w3").ticket.number == "C006"  # priority


def test_wait_estimate_formula(engine, clock):
    for _ in range(5):
        issue(engine, clock, "qb")
    est = engine.estimate("qb", 5)
    assert (est.minutes, est.windows, est.basis) == (12.5, 2, "5 ahead, ~5 min each, 2 windows (not open yet)")
    engine.resume(clock(), CLERK, "w1")
    engine.resume(clock(), CLERK, "w2")
    for minutes in (3, 5):
        engine.call_next(clock(), CLERK, "w2")
        clock.advance(minutes=minutes)
        engine.finish(clock(), CLERK, "w2")
    est = engine.estimate("qb", 5)
    assert est.minutes == 10.0 and est.basis == "5 ahead, ~4 min each, 2 windows"
    assert est.basis_zh == "前面5人，每人约4分钟，2个窗口"
    assert engine.estimate("zz", 3).minutes is None


def test_rollover_cancels_yesterdays_line_and_closes_windows(engine, clock):
    first = issue(engine, clock)
    second = issue(engine, clock)
    engine.resume(clock(), CLERK, "w1")
    engine.call_next(clock(), CLERK, "w1")
    engine.pause(clock(), CLERK, "w2")
    clock.advance(days=1)
    t = issue(engine, clock)
    assert t.number == "A001"
    assert engine.repo.get_ticket(first.id).state == TicketState.NO_SHOW  # left called overnight
    assert engine.repo.get_ticket(second.id).state == TicketState.CANCELLED
    assert engine.repo.get_window("w1").ticket is None
    assert engine.repo.get_window("w2").status == WindowStatus.CLOSED
    assert engine.rollover(clock()).queues == set()  # once a day



def test_a_demo_hall_may_ignore_business_hours():
    from datetime import datetime, timedelta, timezone

    from backend.queue.rules import availability
    from protocol.models import Period, Queue

    queue = Queue(id="A", prefix="A", name="综合", hours=(Period(start="09:00", end="12:00", days=(1, 2, 3, 4, 5)),))
    sunday_night = datetime(2026, 11, 22, 23, 0, tzinfo=timezone(timedelta(hours=8)))
    assert availability(queue, sunday_night, 0).code == "queue_closed"
    assert availability(queue, sunday_night, 0, ignore_hours=True).accepting
