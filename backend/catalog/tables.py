"""The catalog tables (declared on :data:`backend.db.metadata`; Alembic migrates them).

Every item keeps its full validated guide as JSON (``guide``) plus the columns
the queue engine and the lists need.  ``position`` keeps the order of the
imported file, so an export comes out in the same order.  One row of
``catalog_meta`` holds the catalog version, bumped by every change.
"""

from __future__ import annotations

import sqlalchemy as sa

from backend.db import UtcDateTime, metadata

catalog_meta = sa.Table(
    "catalog_meta", metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # always 1
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("hall_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("hall_note", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", UtcDateTime, nullable=True),
)

departments = sa.Table(
    "departments", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("short_name", sa.String(20), nullable=False, server_default=""),
    sa.Column("phone", sa.String(40), nullable=False, server_default=""),
)

queues = sa.Table(
    "queues", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("prefix", sa.String(2), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("hours", sa.Text, nullable=False, server_default="[]"),  # JSON list of Period
    sa.Column("daily_quota", sa.Integer, nullable=True),
)

windows = sa.Table(
    "windows", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("number", sa.Integer, nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("location", sa.String(100), nullable=False, server_default=""),
)

window_queues = sa.Table(
    "window_queues", metadata,
    sa.Column("window_id", sa.String(64), sa.ForeignKey("windows.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("priority", sa.Integer, primary_key=True),  # 0 is served first
    sa.Column("queue_id", sa.String(64), sa.ForeignKey("queues.id"), nullable=False, index=True),
    sa.UniqueConstraint("window_id", "queue_id", name="uq_window_queues_window_queue"),
)

items = sa.Table(
    "items", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("code", sa.String(200), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("department_id", sa.String(64), sa.ForeignKey("departments.id"), nullable=False, index=True),
    sa.Column("queue_id", sa.String(64), sa.ForeignKey("queues.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("guide", sa.Text, nullable=False),      # the Item as canonical JSON
    sa.Column("hash", sa.String(64), nullable=False),  # protocol.models.item_hash
    sa.Column("version", sa.Integer, nullable=False),  # catalog version of its last change
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

__all__ = ["catalog_meta", "departments", "queues", "windows", "window_queues", "items"]
