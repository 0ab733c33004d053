"""What a device says about itself, and what the backend tells it to do."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from .base import Id, Payload

Role = Literal["kiosk", "wall", "bar", "keypad", "evaluator", "backend", "console"]
DEVICE_ROLES: tuple[str, ...] = ("kiosk", "wall", "bar", "keypad", "evaluator")
PaperState = Literal["ok", "near_end", "out", "unknown"]
#: The languages a screen speaks.
Language = Literal["zh", "en"]
LANGUAGES: tuple[str, ...] = ("zh", "en")


class DeviceStatus(Payload):
    """Availability: retained; the last will publishes ``offline``."""

    status: Literal["online", "offline"]
    at: AwareDatetime | None = None


class DeviceHealth(Payload):
    role: Role
    software_version: str = Field(max_length=40)
    boot_id: str = Field(max_length=64)
    uptime_s: float = Field(ge=0)
    at: AwareDatetime
    paper: PaperState | None = Field(default=None, description="printers only")
    catalog_version: int | None = None
    details: dict[str, str | int | float | bool | None] = {}


class DeviceConfig(Payload):
    device: Id
    role: Role
    window: Id | None = Field(default=None, description="the window a bar, keypad or evaluator belongs to")
    layout: str = Field(default="", max_length=40)
    language: Literal["", "zh", "en"] = Field(
        default="", description="the language a kiosk shows a new visitor first; empty: the device's own setting")
    options: dict[str, str | int | float | bool | None] = {}
