"""Administrator pages of the queue engine, ``/admin/queue``: ratings and their follow-up (回访,
整改), the export for the provincial 好差评 platform, and suspending a queue (暂停取号).

Ratings are shown without anything about the visitor (there is nothing to show).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for

from backend.web.auth import login_required
from protocol import ProtocolError
from protocol.models import EVALUATION_LEVELS

from ..db import write_transaction
from . import admin, evaluations
from .domain import Change, FOLLOWUP_NEXT
from .handlers import run_change
from .console import queue_service

bp = Blueprint("queue_admin", __name__, url_prefix="/admin/queue", template_folder="templates")


def _hall():
    return current_app.extensions["hall"]


def _range() -> tuple[date, date]:
    today = queue_service().now().astimezone(queue_service().tz).date()
    try:
        until = date.fromisoformat(request.args.get("to") or today.isoformat())
        since = date.fromisoformat(request.args.get("from") or (until - timedelta(days=6)).isoformat())
    except ValueError:
        abort(400)
    if since > until or (until - since).days > 366:
        abort(400)
    return since, until


@bp.get("/")
@login_required("admin")
def index():
    since, until = _range()
    service = queue_service()
    status = request.args.get("status") or None
    with _hall().engine.connect() as conn:
        engine = service.engine(conn)
        rows = evaluations.list_evaluations(conn, since, until, service.tz, status=status,
                                            poor_only=request.args.get("poor") == "1", limit=300)
        summary = evaluations.summary(conn, since, until, service.tz)
        suspended = admin.suspended_queues(conn)
        queues = engine.catalog.queues()
        windows = {w.id: w for w in engine.catalog.windows()}
    return render_template("counter/admin.html", rows=rows, summary=summary, since=since, until=until,
                           levels=EVALUATION_LEVELS, next_status=FOLLOWUP_NEXT, queues=queues, suspended=suspended,
                           windows=windows, tz=service.tz, status=status, statuses=evaluations.FOLLOWUP_STATUSES)


@bp.post("/evaluations/<evaluation_id>/followup")
@login_required("admin")
def followup(evaluation_id: str):
    try:
        with write_transaction(_hall().engine) as conn:
            evaluations.record_followup(conn, evaluation_id, request.form.get("status", ""),
                                        request.form.get("note", ""), g.user.username, queue_service().now())
        flash(f"已记录 {request.form.get('status', '')}")
    except ProtocolError as exc:
        flash(f"未记录：{exc.message_zh}")
    return redirect(url_for("queue_admin.index", **request.args))


@bp.get("/evaluations/export.<fmt>")
@login_required("admin")
def export(fmt: str):
    if fmt not in ("csv", "json"):
        abort(404)
    since, until = _range()
    service = queue_service()
    with _hall().engine.connect() as conn:
        rows = evaluations.export_rows(conn, since, until, service.tz, service.catalog(conn))
    name = f"evaluations-{since.isoformat()}-{until.isoformat()}.{fmt}"
    if fmt == "csv":
        body, mimetype = evaluations.to_csv(rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = evaluations.to_json(rows, since, until, _hall().settings.hall), "application/json"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.post("/queues/<queue_id>/suspend")
@login_required("admin")
def suspend(queue_id: str):
    reason = request.form.get("reason", "").strip() or "暂停取号"
    _queue_change(queue_id, lambda conn: admin.suspend_queue(conn, queue_id, reason, queue_service().now()))
    flash(f"{queue_id} 已暂停取号")
    return redirect(url_for("queue_admin.index"))


@bp.post("/queues/<queue_id>/resume")
@login_required("admin")
def resume(queue_id: str):
    _queue_change(queue_id, lambda conn: admin.resume_queue(conn, queue_id))
    flash(f"{queue_id} 已恢复取号")
    return redirect(url_for("queue_admin.index"))


def _queue_change(queue_id: str, fn) -> None:
    hall = _hall()

    def change(conn, engine):
        if engine.catalog.queue(queue_id) is None:
            abort(404)
        fn(conn)
        return Change(queues={queue_id})

    run_change(hall.engine, hall.publisher, queue_service(), change)
