"""Processed requests: the idempotency key, committed in the same transaction as the work."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .db import UtcDateTime, metadata

processed_requests = sa.Table(
    "processed_requests", metadata,
    sa.Column("device", sa.String(64), primary_key=True),
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("reply", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)


def find_reply(conn: Connection, device: str, request_id: str) -> str | None:
    return conn.execute(sa.select(processed_requests.c.reply).where(
        processed_requests.c.device == device, processed_requests.c.request_id == request_id)).scalar()


def record_reply(conn: Connection, device: str, request_id: str, kind: str, reply_json: str,
                 at: datetime) -> None:
    conn.execute(processed_requests.insert().values(device=device, request_id=request_id, type=kind,
                                                    reply=reply_json, at=at))


def prune(conn: Connection, before: datetime) -> int:
    """Forget replies older than *before* (a retry after days is a new request)."""
    return conn.execute(processed_requests.delete().where(processed_requests.c.at < before)).rowcount
