"""The counter console (窗口叫号台), ``/counter``: one window, driven by its staff member in a browser.

The page polls ``/counter/api/state`` once a second (plain JSON, works behind
any proxy and keeps no server thread per browser) and posts each button press
to ``/counter/api/op``, which goes through the same executor as MQTT requests
(so a double click with the same request id is done once).  Every POST needs
the CSRF token (``X-CSRFToken`` from ``<meta name="csrf-token">``).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, session, url_for
from pydantic import ValidationError

from backend.registry import Actor
from backend.web.auth import login_required
from protocol import new_id
from protocol.codec import describe_validation_error
from protocol.models import Request

from .domain import PRIORITY_ZH, STATE_ZH, TicketState, sorted_line
from .handlers import QueueService

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates",
               static_folder="static", static_url_path="/static")

#: Console operations and the request each one sends.
OPS = ("call_next", "recall", "skip", "call_number", "transfer", "start", "finish", "pause", "resume")
SESSION_KEY = "counter_window"
LINE_SHOWN = 8


def _hall():
    return current_app.extensions["hall"]


def queue_service() -> QueueService:
    """The backend's queue service (its catalog cache and clock), or one of our own without a backend."""
    hall = _hall()
    service = current_app.extensions.get("hall.queue")
    if service is None:
        services = getattr(hall.publisher, "services", {}) if hall.publisher is not None else {}
        service = services.get("queue")
        if service is None:
            clock = hall.executor.clock if hall.executor is not None else None
            service = QueueService(hall.settings, hall.topics, clock=clock)
        current_app.extensions["hall.queue"] = service
    return service


def _windows(conn):
    return queue_service().catalog(conn).windows()


def _current_window(conn) -> str | None:
    """The window chosen in this session, else the one this user is signed in at."""
    catalog = queue_service().catalog(conn)
    if SESSION_KEY in session:  # chosen here ("" after leaving: show the picker)
        chosen = session[SESSION_KEY]
        return chosen if chosen and catalog.window(chosen) else None
    engine = queue_service().engine(conn)
    for window_id, runtime in engine.repo.window_runtimes().items():
        if runtime.staff == g.user.username and catalog.window(window_id):
            return window_id
    return None


@bp.get("/")
@login_required("staff", "admin")
def index():
    with _hall().engine.connect() as conn:
        window_id = _current_window(conn)
        if window_id is None:
            engine = queue_service().engine(conn)
            runtimes = engine.repo.window_runtimes()
            return render_template("counter/pick.html", windows=_windows(conn), runtimes=runtimes)
        window = queue_service().catalog(conn).window(window_id)
    return render_template("counter/console.html", window=window)


@bp.post("/window")
@login_required("staff", "admin")
def pick():
    window_id = request.form.get("window", "")
    with _hall().engine.connect() as conn:
        if queue_service().catalog(conn).window(window_id) is None:
            abort(400)
    session[SESSION_KEY] = window_id
    return redirect(url_for("counter.index"))


@bp.post("/leave")
@login_required("staff", "admin")
def leave():
    session[SESSION_KEY] = ""
    return redirect(url_for("counter.index"))


def state_for(conn, window_id: str) -> dict:
    """Everything the console shows, as JSON-ready data (no personal data: numbers only)."""
    service = queue_service()
    engine = service.engine(conn)
    builder = service.builder(engine)
    now = service.now()
    window = engine.catalog.window(window_id)
    state = builder.window_state(window_id, now)
    runtime = engine.repo.get_window(window_id)
    current = engine.repo.get_ticket(runtime.ticket) if runtime.ticket else None
    day = engine.today(now)
    line = sorted_line(window, engine.repo.line(window, day))
    names = {q.id: q.name for q in engine.catalog.queues()}
    return {
        "window": state.model_dump(mode="json"),
        "status_zh": {"open": "受理中", "paused": "暂停服务", "closed": "未开放"}[state.status],
        "current": None if current is None else {
            "number": current.number, "state": current.state.value, "state_zh": STATE_ZH[current.state],
            "priority": current.priority, "priority_zh": PRIORITY_ZH.get(current.priority, current.priority),
            "queue": names.get(current.queue, current.queue), "recalls": current.recalls,
            "recall_limit": engine.rules.recall_limit,
            "since": builder.local(current.started_at or current.called_at or current.issued_at).strftime("%H:%M:%S"),
        },
        "queues": [builder.queue_state(q, now).model_dump(mode="json") for q in window.queues
                   if engine.catalog.queue(q)],
        "line": [{"number": t.number, "priority_zh": PRIORITY_ZH.get(t.priority, t.priority),
                  "priority": t.priority, "queue": names.get(t.queue, t.queue),
                  "transferred": t.state == TicketState.TRANSFERRED,
                  "waited_min": max(0, int((now - t.issued_at).total_seconds() // 60))}
                 for t in line[:LINE_SHOWN]],
        "line_total": len(line),
        "no_shows": engine.repo.no_shows(window, day)[:10],
        "awaiting_evaluation": state.awaiting_evaluation is not None,
        "targets": {
            "queues": [{"id": q.id, "label": f"{q.prefix} {q.name}"} for q in engine.catalog.queues()],
            "windows": [{"id": w.id, "label": w.label()} for w in engine.catalog.windows()
                        if w.id != window_id],
        },
        "now": builder.local(now).strftime("%H:%M:%S"),
    }


@bp.get("/api/state")
@login_required("staff", "admin")
def api_state():
    with _hall().engine.connect() as conn:
        window_id = _current_window(conn)
        if window_id is None:
            return jsonify({"error": "no window chosen"}), 409
        return jsonify(state_for(conn, window_id))


@bp.post("/api/op")
@login_required("staff", "admin")
def api_op():
    hall = _hall()
    if hall.executor is None:
        return jsonify({"ok": False, "error": {"code": "internal_error", "message_zh": "服务未启动"}}), 503
    body = request.get_json(silent=True) or {}
    op = body.get("op")
    if op not in OPS:
        return jsonify({"ok": False, "error": {"code": "unknown_type", "message_zh": "不支持的操作"}}), 400
    with hall.engine.connect() as conn:
        window_id = _current_window(conn)
    if window_id is None:
        return jsonify({"ok": False, "error": {"code": "invalid_request", "message_zh": "请先选择窗口"}}), 409
    params = {"window": window_id, "staff": g.user.username}
    for key in ("reason", "ticket", "to_queue", "to_window"):
        if body.get(key):
            params[key] = str(body[key]).strip()
    try:
        req = Request(id=str(body.get("request_id") or new_id("c")), type=f"window.{op}", params=params)
    except ValidationError as exc:
        message = describe_validation_error(exc)
        return jsonify({"ok": False, "error": {"code": "invalid_request", "message": message,
                                               "message_zh": "输入有误：" + message}}), 400
    actor = Actor(id=f"console:{g.user.username}", role="console", window=window_id, staff=g.user.username)
    reply = hall.executor.execute(actor, req)
    with hall.engine.connect() as conn:
        state = state_for(conn, window_id)
    return jsonify({**reply.model_dump(mode="json"), "state": state})
