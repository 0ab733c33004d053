"""The device registry: which devices exist, their role and the window they are bound to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hallcore.errors import ConfigError
from protocol import Topics
from protocol.models import LANGUAGES, DeviceConfig

from .db import UtcDateTime, metadata
from .publisher import Publication

devices = sa.Table(
    "devices", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("window", sa.String(64), nullable=True),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("layout", sa.String(40), nullable=False, server_default=""),
    # the language a kiosk shows a new visitor first; "" = the device's own setting (DeviceConfig.language)
    sa.Column("language", sa.String(8), nullable=False, server_default=""),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class Actor:
    """Who asks: a registered device, or a staff member through the counter console."""

    id: str
    role: str
    window: str | None = None
    staff: str = ""


def get_device(conn: Connection, device_id: str) -> Actor | None:
    row = conn.execute(sa.select(devices).where(devices.c.id == device_id, devices.c.enabled)).first()
    return Actor(row.id, row.role, row.window) if row else None


def upsert_device(conn: Connection, device_id: str, role: str, window: str | None, name: str = "",
                  language: str | None = None) -> None:
    """Register a device or change its entry; *language* None keeps what the entry had ("" when new)."""
    existing = conn.execute(sa.select(devices.c.id).where(devices.c.id == device_id)).first()
    values = {"role": role, "window": window or None, "name": name, "enabled": True}
    if language is not None:
        values["language"] = _checked_language(language)
    if existing:
        conn.execute(devices.update().where(devices.c.id == device_id).values(**values))
    else:
        conn.execute(devices.insert().values(id=device_id, created_at=datetime.now(timezone.utc), **values))


def set_device_language(conn: Connection, device_id: str, language: str) -> bool:
    """The language the device's kiosk shows a new visitor first ("" = its own setting); False when
    no such device is registered.  The backend publishes the new config on its next periodic tick."""
    result = conn.execute(devices.update().where(devices.c.id == device_id)
                          .values(language=_checked_language(language)))
    return result.rowcount == 1


def _checked_language(language: str) -> str:
    if language not in ("", *LANGUAGES):
        raise ConfigError(f"language must be one of {', '.join(LANGUAGES)} (or empty), not {language!r}")
    return language


def list_devices(conn: Connection) -> list[sa.Row]:
    return list(conn.execute(sa.select(devices).order_by(devices.c.id)))


def config_publications(conn: Connection, topics: Topics) -> Iterable[Publication]:
    """Retained ``devices/{d}/config`` for every registered device."""
    for row in list_devices(conn):
        if not row.enabled:
            continue
        yield Publication(topics.device_config(row.id), DeviceConfig(
            device=row.id, role=row.role, window=row.window, layout=row.layout, language=row.language))


class RegistrySync:
    """Publishes device configs again when ``hall device add`` changed the registry meanwhile.

    The CLI writes the database from another process; the backend notices on its
    periodic tick (``Backend.periodic``) by comparing a digest of the registry.
    """

    def __init__(self, engine, publisher, topics: Topics):
        self.engine, self.publisher, self.topics = engine, publisher, topics
        self._digest: tuple | None = None

    def _read(self, conn: Connection) -> tuple:
        return tuple((r.id, r.role, r.window, r.layout, r.language, r.enabled) for r in list_devices(conn))

    def provider(self, conn: Connection) -> Iterable[Publication]:
        self._digest = self._read(conn)
        return list(config_publications(conn, self.topics))

    def check(self) -> bool:
        with self.publisher.lock:
            with self.engine.connect() as conn:
                if self._read(conn) == self._digest:
                    return False
                pubs = self.provider(conn)
            self.publisher.publish(pubs)
        return True
