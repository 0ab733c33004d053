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
_FIND_MANY = "SELECT device, request_id, reply FROM processed_requests WHERE request_id IN ({marks})"
_RECORD = "INSERT INTO processed_requests (device, request_id, type, reply, at) VALUES (?, ?, ?, ?, ?)"


def find_replies(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The stored replies of those of *keys* (device, request id) already processed: one statement
    for a whole batch, by the request ids (the key's first column), the devices matched here."""
    if len(keys) == 1:
        row = dbapi(conn).execute(_FIND, keys[0]).fetchone()
        return {keys[0]: row[0]} if row else {}
    wanted = set(keys)
    rows = dbapi(conn).execute(_FIND_MANY.format(marks=", ".join("?" * len(keys))), [rid for _, rid in keys])
    return {(device, rid): reply for device, rid, reply in rows if (device, rid) in wanted}


def record_reply(conn: Connection, device: str, request_id: str, kind: str, reply_json: str,
                 at: datetime) -> None:
    dbapi(conn).execute(_RECORD, (device, request_id, kind, reply_json, db_time(at)))


def prune(conn: Connection, before: datetime) -> int:
    """Forget replies older than *before* (a retry after days is a new request)."""
    return conn.execute(processed_requests.delete().where(processed_requests.c.at < before)).rowcount
