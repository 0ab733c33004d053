"""Console users: administrators and window staff (挂牌上岗: name and post shown at the window)."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from backend.db import UtcDateTime, metadata

ROLES = ("admin", "staff")

users = sa.Table(
    "users", metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.String(256), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("display_name", sa.String(40), nullable=False, server_default=""),
    sa.Column("post", sa.String(40), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)


def add_user(conn: Connection, username: str, password: str, role: str, display_name: str = "",
             post: str = "") -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, not {role!r}")
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    values = {"password_hash": generate_password_hash(password), "role": role,
              "display_name": display_name or username, "post": post}
    if conn.execute(sa.select(users.c.username).where(users.c.username == username)).first():
        conn.execute(users.update().where(users.c.username == username).values(**values))
    else:
        conn.execute(users.insert().values(username=username, created_at=datetime.now(timezone.utc), **values))


def check_login(conn: Connection, username: str, password: str) -> sa.Row | None:
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    if row is None or not check_password_hash(row.password_hash, password):
        return None
    return row


def get_user(conn: Connection, username: str) -> sa.Row | None:
    return conn.execute(sa.select(users).where(users.c.username == username)).first()
