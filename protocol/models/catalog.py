"""The item catalog (事项目录) and the service guide (办事指南) of every item."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from .base import Id, Line, Part, Payload, Text

#: The seven kinds of the hall's "七件制".
ITEM_KINDS: tuple[str, ...] = ("即办件", "承诺件", "联办件", "上报件", "急办件", "补办件", "退回件")
ItemKind = Literal["即办件", "承诺件", "联办件", "上报件", "急办件", "补办件", "退回件"]
#: How a material is handed in.
MATERIAL_FORMS: tuple[str, ...] = ("原件", "复印件", "原件及复印件", "电子件")
MaterialForm = Literal["原件", "复印件", "原件及复印件", "电子件"]
WEEKDAYS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)


class Material(Part):
    """One entry of the materials checklist (申请材料目录)."""

    name: Line
    form: MaterialForm = "原件"
    copies: int = Field(default=1, ge=1, le=99)
    mandatory: bool = True
    notes: Text = ""
    sample_form: str = Field(default="", max_length=500, description="link or file name of a sample (样表)")


class Fee(Part):
    """One fee line (收费标准); an item with no fee lines is free (不收费)."""

    name: Line
    amount: str = Field(min_length=1, max_length=100, description="e.g. '¥50/件' or '按面积计收'")
    basis: Text = Field(default="", description="收费依据")


class Form(Part):
    """A form to fill in (申请表), by name and where to get it."""

    name: Line
    url: str = Field(default="", max_length=500)


class Item(Payload):
    """One service item (事项) with everything its guide publishes."""

    id: Id = Field(description="item id, also the topic level; usually the item code")
    code: Line = Field(description="item code (事项编码)")
    name: Line
    short_name: str = Field(default="", max_length=40, description="name for screens; the name if empty")
    department: Id = Field(description="implementing department id (实施主体)")
    kind: ItemKind
    queue: Id = Field(description="the queue a ticket for this item goes to")
    windows: tuple[Id, ...] = Field(default=(), description="windows where it is handled")
    legal_basis: tuple[Text, ...] = Field(default=(), description="办理依据")
    conditions: tuple[Text, ...] = Field(default=(), description="办理条件")
    materials: tuple[Material, ...] = Field(default=(), description="申请材料目录")
    steps: tuple[Text, ...] = Field(default=(), description="办理程序")
    statutory_days: int | None = Field(default=None, ge=0, le=3650, description="法定时限 (working days)")
    promised_days: int = Field(default=0, ge=0, le=3650, description="承诺时限 (working days; 0 = on the spot)")
    fees: tuple[Fee, ...] = Field(default=(), description="empty = free")
    fee_note: Text = ""
    consult_phone: str = Field(default="", max_length=40, description="咨询电话")
    supervise_phone: str = Field(default="", max_length=40, description="监督电话")
    location: Text = ""
    hours: Text = ""
    online_url: str = Field(default="", max_length=500)
    forms: tuple[Form, ...] = ()
    keywords: tuple[Line, ...] = Field(default=(), description="extra search words")
    notes: Text = ""

    @model_validator(mode="after")
    def _promise_within_statute(self) -> "Item":
        if self.statutory_days is not None and self.promised_days > self.statutory_days:
            raise ValueError(
                f"promised_days ({self.promised_days}) must not exceed statutory_days ({self.statutory_days})"
            )
        return self

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def is_free(self) -> bool:
        return not self.fees


class Department(Part):
    id: Id
    name: Line
    short_name: str = Field(default="", max_length=20)
    phone: str = Field(default="", max_length=40)


class Period(Part):
    """An opening period on the given weekdays (1 = Monday), local time 'HH:MM'."""

    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")
    days: tuple[int, ...] = (1, 2, 3, 4, 5)

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end <= self.start:
            raise ValueError(f"period end {self.end} must be after start {self.start}")
        if any(day not in WEEKDAYS for day in self.days):
            raise ValueError("days must be weekday numbers 1 (Monday) to 7 (Sunday)")
        return self


class Queue(Part):
    """A line of tickets (业务类型) with a letter prefix."""

    id: Id
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    name: Line
    hours: tuple[Period, ...] = ()
    daily_quota: int | None = Field(default=None, ge=1, le=9999)


class Window(Part):
    """A numbered counter (窗口) serving queues in priority order."""

    id: Id
    number: int = Field(ge=1, le=999)
    name: Line
    queues: tuple[Id, ...] = Field(default=(), description="served in this priority order")
    location: str = Field(default="", max_length=100)

    def label(self, separator: str = " · ") -> str:
        """"3号窗口 · 市场监管综合受理"; the name alone when it already starts with "3号" (many halls
        name their windows "3号窗口"), so it never reads "3号窗口 · 3号窗口"."""
        name = self.name.strip()
        if name.startswith(f"{self.number}号"):
            return name
        return f"{self.number}号窗口{separator}{name}" if name else f"{self.number}号窗口"


class IndexEntry(Part):
    id: Id
    hash: str = Field(pattern=r"^[0-9a-f]{16,64}$")


class CatalogIndex(Payload):
    """The retained catalog index: with it a subscriber knows when it holds every item."""

    version: int = Field(ge=0)
    hall_name: Line
    updated_at: AwareDatetime
    departments: tuple[Department, ...] = ()
    queues: tuple[Queue, ...] = ()
    windows: tuple[Window, ...] = ()
    items: tuple[IndexEntry, ...] = ()


def item_hash(item: Item) -> str:
    """Content hash of an item's guide, as carried in the index (sha256, 16 hex)."""
    canonical = json.dumps(item.model_dump(mode="json"), ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


__all__ = [
    "ITEM_KINDS", "MATERIAL_FORMS", "ItemKind", "MaterialForm", "Material", "Fee", "Form",
    "Item", "Department", "Period", "Queue", "Window", "IndexEntry", "CatalogIndex", "item_hash",
]
