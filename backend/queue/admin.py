"""Things an operator does to the queue engine outside the window operations:
appointments (预约), suspending a queue (暂停取号), the ``hall appointment add`` command.
"""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, timezone
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from protocol import ProtocolError

from ..db import write_transaction
from .domain import Appointment
from .store import CatalogCache, SqlRepo
from .tables import queue_suspensions

CODE = re.compile(r"^[A-Za-z0-9]{4,32}$")


def create_appointment(conn: Connection, code: str, queue_or_item: str, day: date,
                       now: datetime | None = None, catalog=None) -> Appointment:
    """Book *code* for *day* in a queue, or in an item's queue (the ticket then names the item)."""
    if not CODE.match(code):
        raise ProtocolError("invalid_request", f"appointment code {code!r} must be 4-32 letters or digits")
    repo = SqlRepo(conn, catalog)
    if repo.get_appointment(code) is not None:
        raise ProtocolError("invalid_request", f"appointment code {code} is already taken", "预约码已存在")
    item = repo.catalog.item(queue_or_item)
    queue = repo.catalog.queue(item.queue if item else queue_or_item)
    if queue is None:
        raise ProtocolError("unknown_queue", f"{queue_or_item!r} is neither a queue nor an item of the catalog")
    appointment = Appointment(code=code, queue=queue.id, day=day, item=item.id if item else None,
                              created_at=now or datetime.now(timezone.utc))
    repo.save_appointment(appointment)
    return appointment


def cli_add_appointment(engine: Engine, code: str, queue_or_item: str, day: str | date,
                        out: TextIO | None = None) -> int:
    """``hall appointment add CODE QUEUE_OR_ITEM YYYY-MM-DD``; exit code 0, 1 (refused) or 2 (usage)."""
    out = out or sys.stdout
    try:
        when = day if isinstance(day, date) else date.fromisoformat(day)
    except ValueError:
        print(f"{day!r} is not a date: use YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        with write_transaction(engine) as conn:
            appointment = create_appointment(conn, code, queue_or_item, when, catalog=CatalogCache().view(conn))
    except ProtocolError as exc:
        print(f"appointment {code} not added: {exc.message}", file=sys.stderr)
        return 1
    what = f"item {appointment.item} in " if appointment.item else ""
    print(f"appointment {appointment.code}: {what}queue {appointment.queue} on {appointment.day}", file=out)
    return 0


def suspend_queue(conn: Connection, queue: str, reason: str, now: datetime) -> None:
    """暂停取号: the kiosk is refused with ``queue_closed`` and *reason*.  Republish the queue state after."""
    conn.execute(queue_suspensions.delete().where(queue_suspensions.c.queue == queue))
    conn.execute(queue_suspensions.insert().values(queue=queue, reason=reason.strip()[:200], since=now))


def resume_queue(conn: Connection, queue: str) -> bool:
    return conn.execute(queue_suspensions.delete().where(queue_suspensions.c.queue == queue)).rowcount > 0


def suspended_queues(conn: Connection) -> dict[str, str]:
    return {r.queue: r.reason for r in conn.execute(sa.select(queue_suspensions))}
