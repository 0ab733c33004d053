"""The pure schedule: which announcements show at t, and when that next changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from backend.announce.schedule import active_at, next_change, phase, split_by_phase

T0 = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class N:
    id: str
    start: datetime
    end: datetime
    withdrawn: bool = False
    priority: str = "normal"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_start_is_inclusive_and_end_exclusive():
    n = N("a", at(10), at(20))
    assert [phase(n, at(m)) for m in (9.99, 10, 19.99, 20, 30)] == \
        ["scheduled", "active", "active", "ended", "ended"]


def test_withdrawn_never_shows():
    n = N("a", at(0), at(20), withdrawn=True)
    assert phase(n, at(5)) == "withdrawn"
    assert active_at([n], at(5)) == []
    assert next_change([n], at(5)) is None


def test_active_in_display_order_high_priority_first():
    items = [N("late", at(5), at(60)), N("early", at(0), at(60)), N("urgent", at(8), at(60), priority="high"),
             N("future", at(30), at(60)), N("past", at(-10), at(-1))]
    assert [n.id for n in active_at(items, at(10))] == ["urgent", "early", "late"]


def test_next_change_is_the_first_start_or_end_after_t():
    items = [N("a", at(0), at(30)), N("b", at(10), at(20)), N("w", at(5), at(6), withdrawn=True)]
    assert next_change(items, at(-5)) == at(0)
    assert next_change(items, at(0)) == at(10)     # strictly after t
    assert next_change(items, at(12)) == at(20)
    assert next_change(items, at(25)) == at(30)
    assert next_change(items, at(30)) is None


def test_split_by_phase_for_the_console():
    items = [N("a", at(0), at(30)), N("s", at(40), at(50)), N("e1", at(-30), at(-20)),
             N("e2", at(-30), at(-5)), N("w", at(0), at(30), withdrawn=True)]
    groups = split_by_phase(items, at(10))
    assert {k: [n.id for n in v] for k, v in groups.items()} == \
        {"active": ["a"], "scheduled": ["s"], "ended": ["e2", "e1"], "withdrawn": ["w"]}


spans = st.lists(st.tuples(st.integers(0, 200), st.integers(1, 100), st.booleans()), max_size=8)


@given(spans, st.integers(-10, 320))
def test_nothing_changes_between_t_and_the_next_change(raw, t_min):
    """Property: the active set at t holds until next_change(t), and differs there (if anything changes)."""
    items = [N(f"n{i}", at(s), at(s + d), withdrawn=w) for i, (s, d, w) in enumerate(raw)]
    t = at(t_min)
    now_active = {n.id for n in active_at(items, t)}
    change = next_change(items, t)
    if change is None:
        assert {n.id for n in active_at(items, at(10_000))} == now_active == set()
        return
    assert change > t
    just_before = change - timedelta(microseconds=1)
    assert {n.id for n in active_at(items, just_before)} == now_active
    moving = [n for n in items if not n.withdrawn and change in (n.start, n.end)]
    assert moving  # the change is a real start or end
