"""The catalog's HTTP API (JSON), ``/api/v1/catalog/...`` (described in ``openapi.py``).

Reading is open (the guide is public information); writing needs an
administrator's session and, like every POST/PUT/DELETE of the app, a CSRF
token in the ``X-CSRFToken`` header (``GET /api/v1/catalog/csrf`` gives one).
Every change is published on MQTT after its commit.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_wtf.csrf import generate_csrf
from pydantic import ValidationError

from hallcore.search import SearchIndex
from protocol.models.catalog import ITEM_KINDS, Department, Item, Queue, Window

from . import service, store
from .cli import export_text, read_catalog
from .fileformat import check_entry
from .model import CatalogError, ImportProblem

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1")

KINDS = {"departments": Department, "queues": Queue, "windows": Window, "items": Item}
_search_lock = threading.Lock()


def _hall():
    return current_app.extensions["hall"]


def _error(status: int, code: str, message: str, problems: list[ImportProblem] | None = None) -> Response:
    body = {"error": {"code": code, "message": message}}
    if problems is not None:
        body["error"]["problems"] = [p.as_dict() for p in problems]
    response = jsonify(body)
    response.status_code = status
    return response


def _admin_only() -> Response | None:
    user = g.get("user")
    if user is None:
        return _error(401, "not_logged_in", "log in as an administrator first (POST /login)")
    if user.role != "admin":
        return _error(403, "not_permitted", "only an administrator may change the catalog")
    return None


def search_index(conn) -> SearchIndex:
    """The search index of the current catalog version (built once per version, shared)."""
    version = store.catalog_version(conn)
    cache = current_app.extensions.setdefault("catalog_search", {})
    with _search_lock:
        cached = cache.get("index")
        if cached is None or cached[0] != version:
            names = {d.id: d.name for d in store.list_departments(conn)}
            cached = (version, SearchIndex(store.list_items(conn), names))
            cache["index"] = cached
        return cached[1]


def summary(item: Item) -> dict:
    return {"id": item.id, "code": item.code, "name": item.name, "short_name": item.short_name,
            "department": item.department, "kind": item.kind, "queue": item.queue,
            "promised_days": item.promised_days, "statutory_days": item.statutory_days, "is_free": item.is_free}


# -- reading -----------------------------------------------------------------------------------
@bp.get("/catalog/index")
def index():
    with _hall().engine.connect() as conn:
        return Response(store.build_index(conn).model_dump_json(), mimetype="application/json")


@bp.get("/catalog/items")
def list_items():
    query = request.args.get("q", "")
    department = request.args.get("department") or None
    kind = request.args.get("kind") or None
    try:
        limit = max(1, min(int(request.args.get("limit", 50)), 1000))
    except ValueError:
        return _error(400, "invalid_request", "limit must be a whole number")
    if kind is not None and kind not in ITEM_KINDS:
        return _error(400, "invalid_request", f"kind must be one of {', '.join(ITEM_KINDS)}")
    with _hall().engine.connect() as conn:
        version = store.catalog_version(conn)
        hits = search_index(conn).search(query, department=department, limit=100_000 if kind else limit)
    rows = [dict(summary(h.item), score=h.score, field=h.field) for h in hits if kind is None or h.item.kind == kind]
    return jsonify({"version": version, "query": query, "count": len(rows[:limit]), "items": rows[:limit]})


@bp.get("/catalog/items/<item_id>")
def get_item(item_id: str):
    with _hall().engine.connect() as conn:
        item = store.get_item(conn, item_id)
    if item is None:
        return _error(404, "unknown_item", f"no item {item_id!r} in the catalog")
    return Response(item.model_dump_json(), mimetype="application/json")


def _listing(section: str):
    reader = {"departments": store.list_departments, "queues": store.list_queues, "windows": store.list_windows}
    with _hall().engine.connect() as conn:
        entries = reader[section](conn)
        version = store.catalog_version(conn)
    return jsonify({"version": version, section: [e.model_dump(mode="json") for e in entries]})


@bp.get("/catalog/departments")
def list_departments():
    return _listing("departments")


@bp.get("/catalog/queues")
def list_queues():
    return _listing("queues")


@bp.get("/catalog/windows")
def list_windows():
    return _listing("windows")


# -- writing (administrators) ------------------------------------------------------------------
@bp.get("/catalog/csrf")
def csrf_token():
    refused = _admin_only()
    return refused or jsonify({"csrf_token": generate_csrf()})


def _change(fn) -> service.Change:
    hall = _hall()
    return service.run(hall.engine, hall.publisher, fn)


def _change_response(change: service.Change, status: int = 200, body: dict | None = None) -> Response:
    response = jsonify(dict(body or {}, version=change.version, summary=change.summary))
    response.status_code = status
    return response


@bp.post("/catalog/<section>")
@bp.put("/catalog/<section>/<entry_id>")
def save(section: str, entry_id: str | None = None):
    refused = _admin_only()
    if refused:
        return refused
    model = KINDS.get(section)
    if model is None:
        return _error(404, "not_found", f"no such collection {section!r}")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, "invalid_request", "send the entry as a JSON object (Content-Type: application/json)")
    data.pop("v", None)
    if entry_id is not None:
        data.setdefault("id", entry_id)
        if data["id"] != entry_id:
            return _error(400, "invalid_request", "the id in the body differs from the id in the path; ids "
                                                  "cannot be changed (delete and create instead)")
    entry, problems = check_entry(model, data, "request", section[:-1])
    if entry is None:
        return _error(422, "invalid_entry", "the entry is not valid", problems)
    try:
        change = _change(lambda conn: service.save_entry(conn, entry, _hall().topics, creating=entry_id is None))
    except CatalogError as exc:
        if any(p.message.startswith("there is no") for p in exc.problems):
            return _error(404, "not_found", str(exc), exc.problems)
        return _error(409 if any(p.field == "id" for p in exc.problems) else 422, "rejected", str(exc), exc.problems)
    return _change_response(change, 201 if entry_id is None else 200, {"id": entry.id})


@bp.delete("/catalog/<section>/<entry_id>")
def delete(section: str, entry_id: str):
    refused = _admin_only()
    if refused:
        return refused
    model = KINDS.get(section)
    if model is None:
        return _error(404, "not_found", f"no such collection {section!r}")
    try:
        change = _change(lambda conn: service.delete_entry(conn, model, entry_id, _hall().topics))
    except CatalogError as exc:
        missing = any("there is no" in p.message for p in exc.problems)
        return _error(404 if missing else 409, "not_found" if missing else "in_use", str(exc), exc.problems)
    return _change_response(change)


@bp.post("/catalog/import")
def import_catalog():
    """Body: the file (YAML, or CSV with ``?format=csv``), or a multipart upload named ``file``."""
    refused = _admin_only()
    if refused:
        return refused
    upload = request.files.get("file")
    raw = upload.read() if upload else request.get_data()
    name = (upload.filename if upload and upload.filename else
            "upload.csv" if request.args.get("format") == "csv" else "upload.yaml")
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    engine = _hall().engine
    catalog, problems = read_catalog(engine, raw, name)
    if catalog is None:
        return _error(422, "invalid_catalog", f"{len(problems)} problem(s); nothing was imported", problems)
    if dry_run:
        with engine.connect() as conn:
            plan = service.plan_import(conn, catalog)
        return jsonify({"dry_run": True, "valid": True, "summary": plan.describe(), "added": list(plan.added),
                        "changed": list(plan.changed), "removed": list(plan.removed)})
    change = _change(lambda conn: service.apply_import(conn, catalog, _hall().topics))
    return _change_response(change, body={"changed": list(change.changed), "deleted": list(change.deleted)})


@bp.get("/catalog/export")
def export():
    refused = _admin_only()
    if refused:
        return refused
    fmt = request.args.get("format", "yaml")
    if fmt not in ("yaml", "csv"):
        return _error(400, "invalid_request", "format must be yaml or csv")
    text = export_text(_hall().engine, fmt)
    mimetype = "application/yaml" if fmt == "yaml" else "text/csv"
    return Response(text.encode("utf-8"), mimetype=f"{mimetype}; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=catalog.{fmt}"})


@bp.errorhandler(ValidationError)
def _validation(exc: ValidationError):
    return _error(422, "invalid_entry", str(exc))


__all__ = ["bp", "search_index", "summary"]
