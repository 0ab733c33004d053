"""Requests a device sends, and the replies the backend returns.

A request travels on ``devices/{d}/requests`` with MQTT v5 Response Topic =
``devices/{d}/replies``, Correlation Data = the request id, and a Message
Expiry Interval.  The id is the idempotency key: a retry carries the same id
and gets the original reply.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from .base import Id, Part, Payload, StrictPayload
from .devices import Language
from .hall import Priority, WaitEstimate, WindowState

RequestType = Literal[
    "ticket.issue", "ticket.checkin",
    "window.call_next", "window.recall", "window.skip", "window.call_number",
    "window.transfer", "window.start", "window.finish", "window.pause", "window.resume",
    "evaluation.submit",
]
TICKET_NUMBER = r"^[A-Z]{1,2}\d{3,4}$"

#: 好差评 levels: value -> label (5 is best).
EVALUATION_LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
#: Levels that must carry at least one reason.
POOR_LEVELS: frozenset[int] = frozenset({1, 2})
EVALUATION_REASONS: tuple[str, ...] = (
    "服务态度", "服务效率", "服务水平", "办事指南不准确", "多次跑动", "环境设施", "其他",
)


class Params(Part):
    """Base of request parameters: unknown fields are an error."""


class IssueTicket(Params):
    """取号: for an item (usual) or straight for a queue."""

    item: Id | None = None
    queue: Id | None = None
    priority: Priority = "normal"
    language: Language = "zh"

    @model_validator(mode="after")
    def _one_target(self) -> "IssueTicket":
        if (self.item is None) == (self.queue is None):
            raise ValueError("give exactly one of 'item' or 'queue'")
        if self.priority == "appointment":
            raise ValueError("priority 'appointment' is given by check-in, not asked for")
        return self


class CheckIn(Params):
    """预约签到: an appointment code becomes a ticket."""

    code: str = Field(pattern=r"^[A-Za-z0-9]{4,32}$")


class WindowParams(Params):
    """A window operation; ``window`` defaults to the device's bound window."""

    window: Id | None = None
    reason: str = Field(default="", max_length=200)
    staff: str = Field(default="", max_length=64, description="staff login, set by the counter console")


class CallNumber(WindowParams):
    """特呼: call a specific number."""

    ticket: str = Field(pattern=TICKET_NUMBER)


class Transfer(WindowParams):
    """转移: move the ticket being served to another queue or window."""

    to_queue: Id | None = None
    to_window: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "Transfer":
        if (self.to_queue is None) == (self.to_window is None):
            raise ValueError("give exactly one of 'to_queue' or 'to_window'")
        return self


class SubmitEvaluation(Params):
    """好差评: one rating per finished ticket; poor ratings carry a reason."""

    window: Id | None = None
    ticket_id: str | None = Field(default=None, max_length=64)
    level: Literal[1, 2, 3, 4, 5]
    reasons: tuple[str, ...] = ()
    comment: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _reasons(self) -> "SubmitEvaluation":
        # (that a poor level needs a reason is the engine's rule: refused there as ``reason_required``,
        # a code the evaluator can act on, not as a malformed request)
        unknown = [r for r in self.reasons if r not in EVALUATION_REASONS]
        if unknown:
            raise ValueError(f"unknown reasons {unknown}; choose from {list(EVALUATION_REASONS)}")
        return self


#: The parameters model of every request type.
REQUEST_PARAMS: dict[str, type[Params]] = {
    "ticket.issue": IssueTicket,
    "ticket.checkin": CheckIn,
    "window.call_next": WindowParams,
    "window.recall": WindowParams,
    "window.skip": WindowParams,
    "window.call_number": CallNumber,
    "window.transfer": Transfer,
    "window.start": WindowParams,
    "window.finish": WindowParams,
    "window.pause": WindowParams,
    "window.resume": WindowParams,
    "evaluation.submit": SubmitEvaluation,
}


class Request(StrictPayload):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$",
                    description="request id = idempotency key; a retry reuses it")
    type: RequestType
    params: Any = Field(default_factory=dict)
    sent_at: AwareDatetime | None = None

    @field_validator("params", mode="before")
    @classmethod
    def _typed_params(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type")
        model = REQUEST_PARAMS.get(kind) if isinstance(kind, str) else None
        if model is None:
            return value  # the type error is reported on its own
        if isinstance(value, model):
            return value
        if value is None:
            value = {}
        return model.model_validate(value)


class ErrorInfo(Part):
    code: str = Field(max_length=40)
    message: str = Field(max_length=1000, description="English, for the log")
    message_zh: str = Field(default="", max_length=500, description="Chinese, for the visitor or clerk")


class Reply(Payload):
    request_id: str = Field(max_length=64)
    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorInfo | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Reply":
        if self.ok and self.error is not None:
            raise ValueError("a successful reply carries no error")
        if not self.ok and self.error is None:
            raise ValueError("a failed reply carries an error")
        return self


class TicketInfo(Part):
    """A ticket as the visitor sees it (result of ticket.issue / ticket.checkin)."""

    id: str = Field(max_length=64)
    number: str = Field(pattern=TICKET_NUMBER)
    queue: Id
    queue_name: str
    item: Id | None = None
    item_name: str = ""
    priority: Priority = "normal"
    issued_at: AwareDatetime
    ahead: int = Field(ge=0)
    wait: WaitEstimate
    windows: tuple[int, ...] = ()
    status_url: str = ""


class TicketResult(Part):
    ticket: TicketInfo


class WindowResult(Part):
    """Result of a window.* request: the window after the operation."""

    window: WindowState
    ticket: str | None = Field(default=None, description="the number called, recalled, skipped...")


class EvaluationResult(Part):
    evaluation_id: str
    ticket_id: str
    level: int
    label: str
