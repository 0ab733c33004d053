"""The hall alerts the device monitor has raised, so a restarted backend remembers (and can clear) them."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from backend.db import metadata
from protocol import ProtocolError, decode
from protocol.codec import encode
from protocol.models import Alert

log = logging.getLogger(__name__)

monitor_alerts = sa.Table(
    "monitor_alerts", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("device", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
)


def load_alerts(conn: Connection) -> list[Alert]:
    alerts = []
    for row in conn.execute(sa.select(monitor_alerts).order_by(monitor_alerts.c.id)):
        try:
            alerts.append(decode(Alert, row.payload))
        except ProtocolError as exc:  # unreadable: forget it (it is cleared as stale at worst)
            log.warning("dropping unreadable stored alert %s: %s", row.id, exc)
    return alerts


def save_alert(conn: Connection, alert: Alert) -> None:
    conn.execute(monitor_alerts.delete().where(monitor_alerts.c.id == alert.id))
    conn.execute(monitor_alerts.insert().values(id=alert.id, device=alert.subject, kind=alert.kind,
                                                payload=encode(alert).decode("utf-8")))


def delete_alert(conn: Connection, alert_id: str) -> None:
    conn.execute(monitor_alerts.delete().where(monitor_alerts.c.id == alert_id))
