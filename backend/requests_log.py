"""Processed requests: the idempotency key, committed in the same transaction as the work."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .db import UtcDateTime, db_time, dbapi, metadata

processed_requests = sa.Table(
    "processed_requests", metadata,
    sa.Column("device", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("reply", sa.Text, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    # the request id first: ids are time-ordered (protocol.new_id), so a batch's rows share the
    # index's last page (device first, each kiosk's rows sat on a page of their own)
    sa.PrimaryKeyConstraint("request_id", "device"),
)


# On every request: SQLite's DB-API directly (see backend.db.dbapi).
_FIND = "SELECT reply FROM processed_requests WHERE device = ? AND request_id = ?"
_RECORD = "INSERT INTO processed_requests (device, request_id, type, reply, at) VALUES (?, ?, ?, ?, ?)"


def find_reply(conn: Connection, device: str, request_id: str) -> str | None:
    row = dbapi(conn).execute(_FIND, (device, request_id)).fetchone()
    return row[0] if row else None


def record_reply(conn: Connection, device: str, request_id: str, kind: str, reply_json: str,
                 at: datetime) -> None:
    dbapi(conn).execute(_RECORD, (device, request_id, kind, reply_json, db_time(at)))


def prune(conn: Connection, before: datetime) -> int:
    """Forget replies older than *before* (a retry after days is a new request)."""
    return conn.execute(processed_requests.delete().where(processed_requests.c.at < before)).rowcount
