"""The queue engine's vocabulary: ticket states, the transition table, numbering and call order.

Pure: no Flask, no paho, no SQLAlchemy.  Everything here is a value or a
function of values; :mod:`backend.queue.engine` applies it to a repository.

Rules (docs/queue.md explains them for the people who use the hall):

* **Numbering** — a ticket's number is its queue's prefix and its sequence
  number of the hall's local day, zero-padded to three digits (A001 … A999,
  then A1000).  The sequence restarts at local midnight.
* **States** — see :data:`TRANSITIONS`.  ``transferred`` is a waiting state:
  the ticket waits in its new line under its old number.
* **Call order at a window** — among the tickets the window may call:
  priority tickets (绿色通道, elderly, disabled, 急办件, appointments) before
  ordinary ones, but after ``max_priority_in_row`` priority calls in a row the
  window takes the best ordinary ticket if one waits; within a class, the
  window's queues in its priority order (a ticket transferred to this window
  by name counts as the first queue); then place time (the original issue
  time, kept on transfer); then sequence number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Iterable, Protocol

from protocol import ProtocolError
from protocol.models import Item, Queue, Window


class TicketState(str, enum.Enum):
    WAITING = "waiting"          # 等候
    CALLED = "called"            # 已呼叫
    SERVING = "serving"          # 办理中
    DONE = "done"                # 已办结
    NO_SHOW = "no_show"          # 过号
    TRANSFERRED = "transferred"  # 已转移 (waits in its new line)
    CANCELLED = "cancelled"      # 已取消

    def __str__(self) -> str:
        return self.value


S = TicketState

#: Every legal state change.  Recall is recorded as ``called -> called``.
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    S.WAITING: frozenset({S.CALLED, S.CANCELLED}),
    S.TRANSFERRED: frozenset({S.CALLED, S.CANCELLED}),
    S.CALLED: frozenset({S.CALLED, S.SERVING, S.DONE, S.NO_SHOW, S.TRANSFERRED}),
    S.SERVING: frozenset({S.DONE, S.TRANSFERRED}),
    S.NO_SHOW: frozenset({S.CALLED}),   # only by 特呼 (call_number), with a reason
    S.DONE: frozenset(),
    S.CANCELLED: frozenset(),
}
#: States in which a ticket waits in a line.
WAITING_STATES = frozenset({S.WAITING, S.TRANSFERRED})
#: States in which a ticket is at a window (the window's current ticket).
AT_WINDOW = frozenset({S.CALLED, S.SERVING})

STATE_ZH: dict[TicketState, str] = {
    S.WAITING: "等候", S.CALLED: "已呼叫", S.SERVING: "办理中", S.DONE: "已办结",
    S.NO_SHOW: "过号", S.TRANSFERRED: "已转移", S.CANCELLED: "已取消",
}

PRIORITY_ZH: dict[str, str] = {
    "normal": "普通", "elderly": "老年人", "disabled": "残疾人", "green": "绿色通道",
    "urgent": "急办件", "appointment": "预约",
}

#: Highest sequence number a day can reach (the protocol allows four digits).
MAX_SEQ = 9999


class WindowStatus(str, enum.Enum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"

    def __str__(self) -> str:
        return self.value


@dataclass
class Ticket:
    """One ticket (号票).  ``queue`` is where it waits now; ``origin_queue`` gave the number."""

    id: str
    day: date
    origin_queue: str
    seq: int
    number: str
    queue: str
    priority: str
    issued_at: datetime
    place_at: datetime                  # its place in line: the issue time, kept on transfer
    state: TicketState = S.WAITING
    item: str | None = None
    window: str | None = None           # the window it is (or was last) at
    target_window: str | None = None    # transferred to this window by name
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    recalls: int = 0
    appointment: str | None = None
    staff: str = ""

    @property
    def is_priority(self) -> bool:
        return self.priority != "normal"

    def order_key(self, rank: int) -> tuple:
        """Sort key within one window's candidates (lower is called first)."""
        return (0 if self.is_priority else 1, rank, self.place_at, self.seq, self.origin_queue)


@dataclass
class WindowRuntime:
    """What the engine keeps about a window besides its catalog definition."""

    id: str
    status: WindowStatus = WindowStatus.CLOSED
    staff: str = ""
    staff_name: str = ""
    staff_post: str = ""
    ticket: str | None = None            # the ticket called or being served
    streak: int = 0                      # priority tickets called in a row by call_next
    awaiting_evaluation: str | None = None
    day: date | None = None              # the local day of its last operation
    updated_at: datetime | None = None


@dataclass(frozen=True)
class QueueSnapshot:
    """One queue's figures for a day, read in one go (availability, published state, warnings)."""

    issued: int = 0
    waiting: int = 0
    last_called: str | None = None
    suspended: str | None = None            # the reason, when an administrator suspended the queue
    waiting_priority: int = 0

    # (direct constructions: on the ticket path, where dataclasses.replace cost ~5 µs a call)
    def with_issued(self, issued: int) -> "QueueSnapshot":
        return QueueSnapshot(issued, self.waiting, self.last_called, self.suspended, self.waiting_priority)

    def moved(self, waiting: int, priority: int) -> "QueueSnapshot":
        """After *waiting* tickets joined the line (negative: left it), *priority* of them priority tickets."""
        return QueueSnapshot(self.issued, self.waiting + waiting, self.last_called, self.suspended,
                             self.waiting_priority + priority)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: every transition, who, where, why."""

    ticket: str
    number: str
    from_state: str | None    # None when the ticket is created
    to_state: str
    at: datetime
    window: str | None = None
    staff: str = ""
    reason: str = ""
    actor: str = ""


@dataclass(frozen=True)
class CallRecord:
    """A call or recall, as announced on the screens."""

    event_id: str
    ticket: str
    number: str
    queue: str
    window: str
    kind: str                  # "call" or "recall"
    day: date
    at: datetime


@dataclass
class Change:
    """What an operation touched: the states to republish and the call to announce."""

    queues: set[str] = field(default_factory=set)
    windows: set[str] = field(default_factory=set)
    call: CallRecord | None = None
    ticket: Ticket | None = None
    calls_changed: bool = False
    #: Only tickets added at the end of lines (a new number): who waits longest and who is at a
    #: window did not change, so only the length warnings need checking.
    only_added: bool = False


class Catalog(Protocol):
    """The catalog as the engine reads it (implemented over the catalog tables or in memory)."""

    def queue(self, queue_id: str) -> Queue | None: ...
    def item(self, item_id: str) -> Item | None: ...
    def window(self, window_id: str) -> Window | None: ...
    def queues(self) -> list[Queue]: ...
    def windows(self) -> list[Window]: ...
    def serving(self, queue_id: str) -> tuple[Window, ...]: ...


def windows_serving(windows: list[Window], queue_id: str) -> tuple[Window, ...]:
    """The windows (as *windows* orders them, by number) that call from *queue_id*."""
    return tuple(w for w in windows if queue_id in w.queues)


# -- numbering ----------------------------------------------------------------------

def local_day(now: datetime, tz: tzinfo) -> date:
    """The hall's local calendar day of an aware instant (numbers restart at local midnight)."""
    if now.tzinfo is None:
        raise ValueError("the engine needs aware datetimes")
    return now.astimezone(tz).date()


def format_number(prefix: str, seq: int) -> str:
    """A001 … A999, A1000 … A9999."""
    if not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"sequence {seq} out of range 1..{MAX_SEQ}")
    return f"{prefix}{seq:03d}"


# -- transitions --------------------------------------------------------------------

def check_transition(ticket: Ticket, to: TicketState) -> None:
    """Raise ``invalid_state`` unless the table allows ``ticket.state -> to``."""
    if to not in TRANSITIONS[ticket.state]:
        raise ProtocolError(
            "invalid_state",
            f"ticket {ticket.number} is {ticket.state.value}; it cannot become {to.value}",
            f"{ticket.number} 号当前为“{STATE_ZH[ticket.state]}”，不能改为“{STATE_ZH[to]}”",
        )


# -- call order ---------------------------------------------------------------------

def queue_rank(window: Window, ticket: Ticket) -> int | None:
    """The ticket's rank at *window* (0 = first queue), or None if the window may not call it."""
    if ticket.target_window is not None:
        return 0 if ticket.target_window == window.id else None
    try:
        return window.queues.index(ticket.queue)
    except ValueError:
        return None


@dataclass(frozen=True)
class Choice:
    ticket: Ticket
    streak: int           # the window's priority streak after this call


def choose_next(window: Window, candidates: Iterable[Ticket], streak: int, max_in_row: int) -> Choice | None:
    """Pick the ticket *window* calls next (see the module docstring for the rule).

    *candidates* may hold any waiting tickets; those the window may not call
    are ignored.  ``streak`` is the number of priority tickets the window has
    called in a row; the returned :class:`Choice` carries the new value.
    """
    best_priority: tuple | None = None
    best_normal: tuple | None = None
    for ticket in candidates:
        if ticket.state not in WAITING_STATES:
            continue
        rank = queue_rank(window, ticket)
        if rank is None:
            continue
        key = ticket.order_key(rank)
        if ticket.is_priority:
            if best_priority is None or key < best_priority[0]:
                best_priority = (key, ticket)
        elif best_normal is None or key < best_normal[0]:
            best_normal = (key, ticket)
    if best_priority is not None and (streak < max_in_row or best_normal is None):
        return Choice(best_priority[1], streak + 1)
    if best_normal is not None:
        return Choice(best_normal[1], 0)
    return None


def sorted_line(window: Window, candidates: Iterable[Ticket]) -> list[Ticket]:
    """The window's callable tickets in class/rank/place order (ignoring the streak)."""
    keyed = []
    for ticket in candidates:
        rank = queue_rank(window, ticket) if ticket.state in WAITING_STATES else None
        if rank is not None:
            keyed.append((ticket.order_key(rank), ticket))
    keyed.sort(key=lambda pair: pair[0])
    return [ticket for _, ticket in keyed]


@dataclass
class Appointment:
    """预约: booked elsewhere, checked in at a kiosk with its code on its day."""

    code: str
    queue: str
    day: date
    item: str | None = None
    created_at: datetime | None = None
    checked_in_at: datetime | None = None
    ticket: str | None = None


FOLLOWUP_PENDING = "待回访"
FOLLOWUP_VISITED = "已回访"
FOLLOWUP_RECTIFIED = "已整改"
#: Follow-up of a poor rating: 待回访 -> 已回访 -> 已整改.
FOLLOWUP_NEXT = {FOLLOWUP_PENDING: FOLLOWUP_VISITED, FOLLOWUP_VISITED: FOLLOWUP_RECTIFIED}


@dataclass
class Evaluation:
    """One 好差评 rating of one finished ticket.  Holds nothing about the visitor."""

    id: str
    ticket: str
    number: str
    day: date
    queue: str
    window: str
    level: int
    at: datetime
    item: str | None = None
    staff: str = ""
    reasons: tuple[str, ...] = ()
    comment: str = ""
    channel: str = ""                  # the device (or console) that took the rating
    followup_status: str = ""          # "" for good ratings, else FOLLOWUP_*


@dataclass(frozen=True)
class WindowEvent:
    """A window's status change or staff sign-in (for supervision: how long paused, by whom)."""

    window: str
    from_status: str
    to_status: str
    at: datetime
    staff: str = ""
    reason: str = ""
