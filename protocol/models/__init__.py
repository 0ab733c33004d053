"""Every payload of the contract (pydantic v2, frozen, ``"v": 1``)."""

from .base import SCHEMA_VERSION, Part, Payload, StrictPayload
from .catalog import (ITEM_KINDS, MATERIAL_FORMS, CatalogIndex, Department, Fee, Form, IndexEntry,
                      Item, Material, Period, Queue, Window, item_hash)
from .devices import DEVICE_ROLES, LANGUAGES, DeviceConfig, DeviceHealth, DeviceStatus, Language
from .hall import (Alert, Announcement, Announcements, CallEntry, CallEvent, QueueState, RecentCalls,
                   TicketRef, WaitEstimate, WindowState)
from .requests import (EVALUATION_LEVELS, EVALUATION_REASONS, POOR_LEVELS, REQUEST_PARAMS, CallNumber,
                       CheckIn, ErrorInfo, EvaluationResult, IssueTicket, Params, Reply, Request,
                       SubmitEvaluation, TicketInfo, TicketResult, Transfer, WindowParams, WindowResult)

#: Payload models by the name the topic table uses.
PAYLOADS: dict[str, type[Payload]] = {
    "CatalogIndex": CatalogIndex, "Item": Item, "QueueState": QueueState, "WindowState": WindowState,
    "RecentCalls": RecentCalls, "Announcements": Announcements, "CallEvent": CallEvent, "Alert": Alert,
    "DeviceConfig": DeviceConfig, "Reply": Reply, "DeviceStatus": DeviceStatus,
    "DeviceHealth": DeviceHealth, "Request": Request,
}

__all__ = [name for name in dir() if not name.startswith("_")]
