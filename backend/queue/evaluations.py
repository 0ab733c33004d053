"""好差评 ratings after they are stored: follow-up of poor ratings and export for the province.

A rating holds no visitor data at all: the ticket number, the service, the
window, the staff member, the level, the reasons and the visitor's own
comment.  Poor ratings (不满意, 非常不满意) start as 待回访 and move to 已回访
(the visitor was called back) and then 已整改 (the cause was fixed), each step
with a note, in :data:`evaluation_followups`.

Export (``export_rows`` / CSV / JSON) uses the field names of
:data:`EXPORT_FIELDS`; docs/queue.md describes each.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from protocol import ProtocolError
from protocol.models import EVALUATION_LEVELS, POOR_LEVELS

from .domain import FOLLOWUP_NEXT, FOLLOWUP_PENDING, FOLLOWUP_RECTIFIED, FOLLOWUP_VISITED
from .tables import evaluation_followups, evaluations

#: Columns of the export, in order (CSV header = these names).
EXPORT_FIELDS = (
    "evaluation_id", "rated_at", "channel", "level", "level_label", "reasons", "comment",
    "item_code", "item_name", "department", "service_date", "ticket_number", "queue",
    "window_number", "window_name", "staff", "staff_name", "followup_status", "followup_at", "followup_note",
)
FOLLOWUP_STATUSES = (FOLLOWUP_PENDING, FOLLOWUP_VISITED, FOLLOWUP_RECTIFIED)


@dataclass(frozen=True)
class Followup:
    status: str
    note: str
    by: str
    at: datetime


def record_followup(conn: Connection, evaluation_id: str, status: str, note: str, by: str, now: datetime) -> None:
    """Move a poor rating one step (待回访 -> 已回访 -> 已整改); a note is required."""
    row = conn.execute(sa.select(evaluations.c.followup_status).where(evaluations.c.id == evaluation_id)).first()
    if row is None:
        raise ProtocolError("invalid_request", f"no evaluation {evaluation_id}", "未找到该评价")
    if FOLLOWUP_NEXT.get(row.followup_status) != status:
        raise ProtocolError("invalid_state", f"evaluation {evaluation_id} is {row.followup_status or 'not poor'}; "
                            f"it cannot become {status}",
                            f"当前状态为“{row.followup_status or '无需回访'}”，不能改为“{status}”")
    note = note.strip()
    if not note:
        raise ProtocolError("reason_required", "a follow-up needs a note", "请填写回访或整改情况")
    conn.execute(evaluation_followups.insert().values(evaluation=evaluation_id, status=status, note=note[:1000],
                                                      by=by, at=now))
    conn.execute(evaluations.update().where(evaluations.c.id == evaluation_id)
                 .values(followup_status=status, followup_at=now))


def followups(conn: Connection, evaluation_id: str) -> list[Followup]:
    f = evaluation_followups.c
    rows = conn.execute(sa.select(evaluation_followups).where(f.evaluation == evaluation_id).order_by(f.id))
    return [Followup(r.status, r.note, r.by, r.at) for r in rows]


def _day_range(since: date, until: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(since, time(), tz)
    end = datetime.combine(until + timedelta(days=1), time(), tz)
    return start, end


def list_evaluations(conn: Connection, since: date, until: date, tz: tzinfo, *, status: str | None = None,
                     poor_only: bool = False, limit: int = 500) -> list[sa.Row]:
    """Ratings made between two local days (inclusive), newest first."""
    e = evaluations.c
    start, end = _day_range(since, until, tz)
    query = sa.select(evaluations).where(e.at >= start, e.at < end)
    if status is not None:
        query = query.where(e.followup_status == status)
    if poor_only:
        query = query.where(e.level.in_(sorted(POOR_LEVELS)))
    return list(conn.execute(query.order_by(e.at.desc()).limit(limit)))


def summary(conn: Connection, since: date, until: date, tz: tzinfo) -> dict:
    """Counts per level and the satisfaction rate (levels 3-5 of all), as halls report it."""
    e = evaluations.c
    start, end = _day_range(since, until, tz)
    counts = dict(conn.execute(sa.select(e.level, sa.func.count()).where(e.at >= start, e.at < end)
                               .group_by(e.level)).all())
    total = sum(counts.values())
    satisfied = sum(n for level, n in counts.items() if level not in POOR_LEVELS)
    pending = conn.execute(sa.select(sa.func.count()).select_from(evaluations)
                           .where(e.followup_status == FOLLOWUP_PENDING)).scalar()
    return {"total": total, "by_level": {EVALUATION_LEVELS[k]: counts.get(k, 0) for k in sorted(EVALUATION_LEVELS,
                                                                                            reverse=True)},
            "satisfaction_rate": round(satisfied / total, 4) if total else None, "pending_followups": pending}


def export_rows(conn: Connection, since: date, until: date, tz: tzinfo, catalog) -> list[dict]:
    """One dict per rating (oldest first) with :data:`EXPORT_FIELDS`; *catalog* names items and windows."""
    users = sa.table("users", sa.column("username"), sa.column("display_name"))
    names = {r.username: r.display_name for r in conn.execute(sa.select(users.c.username, users.c.display_name))}
    departments = {}
    try:
        from backend.catalog import store

        departments = {d.id: d.name for d in store.list_departments(conn)}
    except ImportError:  # pragma: no cover - the catalog package is part of the backend
        pass
    rows = []
    for r in reversed(list_evaluations(conn, since, until, tz, limit=1_000_000)):
        item = catalog.item(r.item) if r.item else None
        window = catalog.window(r.window)
        history = followups(conn, r.id)
        rows.append({
            "evaluation_id": r.id, "rated_at": r.at.astimezone(tz).isoformat(), "channel": "window_evaluator",
            "level": r.level, "level_label": EVALUATION_LEVELS[r.level],
            "reasons": [x for x in r.reasons.split("、") if x], "comment": r.comment,
            "item_code": item.code if item else "", "item_name": item.name if item else "",
            "department": departments.get(item.department, item.department) if item else "",
            "service_date": r.day.isoformat(), "ticket_number": r.number, "queue": r.queue,
            "window_number": window.number if window else None, "window_name": window.name if window else r.window,
            "staff": r.staff, "staff_name": names.get(r.staff, r.staff),
            "followup_status": r.followup_status,
            "followup_at": history[-1].at.astimezone(tz).isoformat() if history else "",
            "followup_note": history[-1].note if history else "",
        })
    return rows


def to_csv(rows: list[dict]) -> str:
    """UTF-8 CSV with a BOM-free header of :data:`EXPORT_FIELDS`; reasons joined by '、'."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "reasons": "、".join(row["reasons"]),
                         "window_number": "" if row["window_number"] is None else row["window_number"]})
    return out.getvalue()


def to_json(rows: list[dict], since: date, until: date, hall: str) -> str:
    return json.dumps({"format": "onestop-hall/evaluations", "version": 1, "hall": hall,
                       "from": since.isoformat(), "to": until.isoformat(), "evaluations": rows},
                      ensure_ascii=False, indent=1)
