"""The live hall: queues, windows, calls, announcements and early warnings."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from .base import Id, Line, Part, Payload, Text

TicketNumber = str  # e.g. "A012"; validated where it enters (requests)
CallKind = Literal["call", "recall"]
WindowStatus = Literal["open", "paused", "closed"]
ScreenTarget = Literal["wall", "bar", "kiosk"]
Priority = Literal["normal", "elderly", "disabled", "green", "urgent", "appointment"]


class WaitEstimate(Part):
    """An estimated wait and the basis a person can check ("5 ahead, ~4 min each, 2 windows")."""

    minutes: float | None = Field(default=None, ge=0, description="None when no window serves the queue")
    ahead: int = Field(ge=0)
    per_ticket_min: float = Field(ge=0)
    windows: int = Field(ge=0)
    basis: str = Field(max_length=200, description="the basis in English")
    basis_zh: str = Field(max_length=200, description="the basis in Chinese")


class QueueState(Payload):
    id: Id
    prefix: str
    name: Line
    open: bool
    accepting: bool = Field(description="tickets can be taken now (open, within hours, quota left)")
    reason: str = Field(default="", max_length=200, description="why not accepting, for the kiosk")
    waiting: int = Field(ge=0)
    last_called: str | None = None
    issued_today: int = Field(ge=0)
    quota_left: int | None = None
    wait: WaitEstimate
    updated_at: AwareDatetime


class TicketRef(Part):
    id: str = Field(max_length=64)
    number: str = Field(max_length=16)
    queue: Id
    item: Id | None = None
    state: Literal["called", "serving"]
    since: AwareDatetime


class WindowState(Payload):
    id: Id
    number: int
    name: Line
    status: WindowStatus
    staff_name: str = Field(default="", max_length=40)
    staff_post: str = Field(default="", max_length=40)
    serving: TicketRef | None = None
    queues: tuple[Id, ...] = ()
    awaiting_evaluation: str | None = Field(default=None, description="ticket id the evaluator may rate")
    updated_at: AwareDatetime


class CallEvent(Payload):
    """One call or recall; the event id de-duplicates at-least-once delivery."""

    event_id: str = Field(min_length=1, max_length=64)
    kind: CallKind
    ticket: str = Field(min_length=1, max_length=16)
    ticket_id: str = Field(min_length=1, max_length=64)
    queue: Id
    window: Id
    window_number: int
    window_name: Line
    at: AwareDatetime


class CallEntry(Part):
    ticket: str
    window: Id
    window_number: int
    queue: Id
    kind: CallKind
    at: AwareDatetime
    event_id: str


class RecentCalls(Payload):
    calls: tuple[CallEntry, ...] = Field(default=(), description="newest first")
    updated_at: AwareDatetime


class Announcement(Part):
    """A notice; its text is untrusted and must be escaped by every renderer."""

    id: Id
    text: Text = Field(min_length=1)
    priority: Literal["normal", "high"] = "normal"
    targets: tuple[ScreenTarget, ...] = ("wall", "bar", "kiosk")
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> "Announcement":
        if self.end <= self.start:
            raise ValueError("announcement end must be after its start")
        return self


class Announcements(Payload):
    items: tuple[Announcement, ...] = ()
    updated_at: AwareDatetime


AlertKind = Literal[
    "long_wait", "long_service", "long_queue", "device_offline",
    "paper_out", "paper_near_end", "bar_not_answering", "printer_offline", "other",
]


class Alert(Payload):
    """An early warning (预警), raised by the backend or by a device about itself."""

    id: Id
    kind: AlertKind
    severity: Literal["info", "warning", "critical"] = "warning"
    since: AwareDatetime
    message: Text = Field(min_length=1)
    message_zh: Text = ""
    subject: str = Field(default="", max_length=64, description="the window, queue or device concerned")
    details: dict[str, str | int | float | bool | None] = {}
