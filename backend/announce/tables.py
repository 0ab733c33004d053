"""The ``announcements`` table and its queries (times stored as UTC)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from backend.db import UtcDateTime, metadata

from .model import Notice


announcements = sa.Table(
    "announcements", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("priority", sa.String(8), nullable=False),
    sa.Column("targets", sa.String(40), nullable=False),   # "wall,bar,kiosk"
    sa.Column("start", UtcDateTime, nullable=False),
    sa.Column("end", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("withdrawn_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("withdrawn_at", UtcDateTime, nullable=True),
    sa.CheckConstraint('"end" > start', name="end_after_start"),
    sa.Index("ix_announcements_live", "withdrawn", "end"),
)


def _notice(row) -> Notice:
    return Notice(id=row.id, text=row.text, priority=row.priority,
                  targets=tuple(t for t in row.targets.split(",") if t), start=row.start, end=row.end,
                  created_by=row.created_by, created_at=row.created_at, withdrawn=row.withdrawn,
                  withdrawn_by=row.withdrawn_by, withdrawn_at=row.withdrawn_at)


def new_id() -> str:
    return f"n-{uuid.uuid4().hex[:16]}"


def insert_notice(conn: Connection, notice: Notice) -> None:
    conn.execute(announcements.insert().values(
        id=notice.id, text=notice.text, priority=notice.priority, targets=",".join(notice.targets),
        start=notice.start, end=notice.end, created_by=notice.created_by, created_at=notice.created_at,
        withdrawn=notice.withdrawn))


def withdraw_notice(conn: Connection, notice_id: str, by: str, now: datetime) -> bool:
    """Mark withdrawn; False if there is no such announcement or it already was."""
    result = conn.execute(announcements.update()
                          .where(announcements.c.id == notice_id, announcements.c.withdrawn == sa.false())
                          .values(withdrawn=True, withdrawn_by=by, withdrawn_at=now))
    return result.rowcount == 1


def get_notice(conn: Connection, notice_id: str) -> Notice | None:
    row = conn.execute(sa.select(announcements).where(announcements.c.id == notice_id)).first()
    return _notice(row) if row else None


def live_notices(conn: Connection, now: datetime) -> list[Notice]:
    """Not withdrawn and not yet ended: what is showing or will show."""
    rows = conn.execute(sa.select(announcements)
                        .where(announcements.c.withdrawn == sa.false(), announcements.c.end > now))
    return [_notice(row) for row in rows]


def recent_notices(conn: Connection, now: datetime, ended_limit: int = 50) -> list[Notice]:
    """For the console: every live one, plus the *ended_limit* that ended or were withdrawn last."""
    live = live_notices(conn, now)
    done = conn.execute(sa.select(announcements)
                        .where(sa.or_(announcements.c.withdrawn == sa.true(), announcements.c.end <= now))
                        .order_by(announcements.c.end.desc()).limit(ended_limit))
    return live + [_notice(row) for row in done]
