"""HTTP JSON API: ``/api/v1/announcements``.

- ``GET /api/v1/announcements``: the active announcements, exactly the
  ``Announcements`` payload the retained topic carries (no login: every screen
  shows them anyway).
- ``POST /api/v1/announcements``: create; needs an administrator's session
  cookie *and* the CSRF token in an ``X-CSRFToken`` header (the console pages
  carry it in ``<meta name="csrf-token">``).  Body: ``text``, optional
  ``priority``, ``targets``, ``start``, ``end`` (RFC 3339 with offset; default
  now until the end of the hall's day).  201 with the announcement, or 400 with
  ``error.fields``.
- ``POST /api/v1/announcements/<id>/withdraw``: withdraw (same rules).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify, request
from flask_wtf.csrf import CSRFError

from protocol.codec import encode
from .model import PRIORITIES, TARGETS, Draft, Notice
from .service import DraftError
from .web import announcement_service

bp = Blueprint("announce_api", __name__, url_prefix="/api/v1/announcements")


def _error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    return _error(400, "csrf_failed", f"{exc.description}: send the X-CSRFToken header from a console page")


def _admin_problem():
    if g.get("user") is None:
        return _error(401, "login_required", "log in as an administrator first (POST /login)")
    if g.user.role != "admin":
        return _error(403, "not_permitted", "only administrators may change announcements")
    return None


def _as_json(notice: Notice, service) -> dict:
    return {"id": notice.id, "text": notice.text, "priority": notice.priority, "targets": list(notice.targets),
            "start": service.local(notice.start).isoformat(), "end": service.local(notice.end).isoformat(),
            "created_by": notice.created_by, "withdrawn": notice.withdrawn}


def _time(body: dict, name: str, default: datetime, fields: dict) -> datetime | None:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    fields.setdefault(name, []).append("须为 RFC 3339 时间 (an RFC 3339 time with offset, "
                                       "e.g. 2026-05-06T09:00:00+08:00)")
    return None


@bp.get("")
def active():
    service = announcement_service()
    with service.engine.connect() as conn:
        payload = service.payload(conn, service.clock())
    return encode(payload), 200, {"Content-Type": "application/json; charset=utf-8"}


@bp.post("")
def create():
    problem = _admin_problem()
    if problem:
        return problem
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "invalid_request", "send a JSON object (Content-Type: application/json)")
    service = announcement_service()
    default_start, default_end = service.default_window()
    fields: dict[str, list[str]] = {}
    text, priority, targets = body.get("text", ""), body.get("priority", "normal"), body.get("targets", TARGETS)
    if not isinstance(text, str):
        fields["text"] = ["须为文本 (text must be a string)"]
    if not isinstance(priority, str):
        fields["priority"] = [f"须为 {' / '.join(PRIORITIES)} (priority must be a string)"]
    if not isinstance(targets, list | tuple) or not all(isinstance(t, str) for t in targets):
        fields["targets"] = ["须为列表 (targets must be a list of strings)"]
    start = _time(body, "start", default_start, fields)
    end = _time(body, "end", default_end, fields)
    if fields:
        return _error(400, "invalid_request", "the announcement is not valid", fields)
    try:
        notice = service.create(Draft(text=text, priority=priority, targets=tuple(targets), start=start, end=end),
                                g.user.username)
    except DraftError as exc:
        return _error(400, "invalid_request", "the announcement is not valid", exc.errors)
    return jsonify({"announcement": _as_json(notice, service)}), 201


@bp.post("/<notice_id>/withdraw")
def withdraw(notice_id: str):
    problem = _admin_problem()
    if problem:
        return problem
    service = announcement_service()
    if service.get(notice_id) is None:
        return _error(404, "unknown_announcement", f"no announcement {notice_id!r}")
    withdrawn = service.withdraw(notice_id, g.user.username)
    return jsonify({"announcement": _as_json(service.get(notice_id), service), "changed": withdrawn})
