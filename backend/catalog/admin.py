"""The administrator's catalog console, ``/admin/catalog/...`` (server-rendered, works offline).

List, search, create, edit and delete items, departments, queues and windows;
import (with a dry run that lists every problem) and export.  Every page needs
an administrator; every POST carries the CSRF token; templates autoescape and
never mark data safe.  Each saved change is published on MQTT after its commit.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from backend.web.auth import login_required
from protocol.models.catalog import ITEM_KINDS

from . import service, store
from .api import search_index
from .cli import export_text, read_catalog
from .forms import FIELDS, MODELS, add_problems, form_values, options, parse_form
from .model import CatalogError

bp = Blueprint("catalog_admin", __name__, url_prefix="/admin/catalog", template_folder="templates",
               static_folder="static", static_url_path="/static")

TITLES = {"items": "事项 Items", "departments": "部门 Departments", "queues": "队列 Queues", "windows": "窗口 Windows"}
SINGULAR = {"items": "事项 item", "departments": "部门 department", "queues": "队列 queue", "windows": "窗口 window"}


def _hall():
    return current_app.extensions["hall"]


def _section(section: str) -> str:
    if section not in TITLES:
        abort(404)
    return section


def _run(fn) -> service.Change:
    hall = _hall()
    return service.run(hall.engine, hall.publisher, fn)


def _published_note(change: service.Change) -> str:
    if _hall().publisher is None:
        return f"catalog version {change.version}; the backend publishes it when it next syncs"
    return f"catalog version {change.version}; published"


@bp.get("/")
@login_required("admin")
def index():
    with _hall().engine.connect() as conn:
        counts = {name: len(reader(conn)) for name, reader in (
            ("items", store.item_rows), ("departments", store.list_departments), ("queues", store.list_queues),
            ("windows", store.list_windows))}
        version, name = store.catalog_version(conn), store.hall_name(conn)
        kinds: dict[str, int] = {kind: 0 for kind in ITEM_KINDS}
        for row in store.item_rows(conn):
            kinds[row.kind] = kinds.get(row.kind, 0) + 1
    return render_template("catalog/index.html", counts=counts, version=version, hall_name=name, kinds=kinds,
                           titles=TITLES)


@bp.get("/items")
@login_required("admin")
def items():
    query = request.args.get("q", "")
    department = request.args.get("department") or None
    with _hall().engine.connect() as conn:
        hits = search_index(conn).search(query, department=department, limit=2000)
        departments = store.list_departments(conn)
        queues = {q.id: q for q in store.list_queues(conn)}
    names = {d.id: d.name for d in departments}
    return render_template("catalog/items.html", hits=hits, query=query, department=department,
                           departments=departments, names=names, queues=queues, titles=TITLES)


@bp.get("/<section>")
@login_required("admin")
def listing(section: str):
    section = _section(section)
    if section == "items":
        return items()
    reader = {"departments": store.list_departments, "queues": store.list_queues, "windows": store.list_windows}
    with _hall().engine.connect() as conn:
        entries = reader[section](conn)
        rows = store.item_rows(conn)
    used = {e.id: 0 for e in entries}
    for row in rows:
        key = {"departments": row.department_id, "queues": row.queue_id}.get(section)
        if key in used:
            used[key] += 1
    return render_template("catalog/entities.html", section=section, entries=entries, used=used, titles=TITLES,
                           singular=SINGULAR[section])


def _form_page(section: str, entry_id: str | None):
    with _hall().engine.connect() as conn:
        catalog = store.load_catalog(conn)
    existing = None
    if entry_id is not None:
        existing = next((e for e in getattr(catalog, section) if e.id == entry_id), None)
        if existing is None:
            abort(404)
    errors: dict[str, list[str]] = {}
    values = form_values(section, existing)
    status = 200
    if request.method == "POST":
        form = request.form.to_dict()
        if entry_id is not None:
            form["id"] = entry_id  # ids are fixed once created
        entry, errors = parse_form(section, form, request.form.getlist("windows"))
        values = dict(form, windows=request.form.getlist("windows"))
        if entry is not None:
            try:
                change = _run(lambda conn: service.save_entry(conn, entry, _hall().topics,
                                                              creating=entry_id is None))
            except CatalogError as exc:
                add_problems(errors, exc.problems, section)
            else:
                flash(f"已保存 Saved {SINGULAR[section]} {entry.id} ({_published_note(change)})")
                return redirect(url_for(".listing", section=section))
        status = 422
    return render_template("catalog/form.html", section=section, entry_id=entry_id, fields=FIELDS[section],
                           values=values, errors=errors, options=options(section, catalog), titles=TITLES,
                           singular=SINGULAR[section]), status


@bp.route("/<section>/new", methods=["GET", "POST"])
@login_required("admin")
def create(section: str):
    return _form_page(_section(section), None)


@bp.route("/<section>/<entry_id>/edit", methods=["GET", "POST"])
@login_required("admin")
def edit(section: str, entry_id: str):
    return _form_page(_section(section), entry_id)


@bp.route("/<section>/<entry_id>/delete", methods=["GET", "POST"])
@login_required("admin")
def delete(section: str, entry_id: str):
    section = _section(section)
    problems = []
    if request.method == "POST":
        try:
            change = _run(lambda conn: service.delete_entry(conn, MODELS[section], entry_id, _hall().topics))
        except CatalogError as exc:
            problems = exc.problems
        else:
            flash(f"已删除 Deleted {SINGULAR[section]} {entry_id} ({_published_note(change)})")
            return redirect(url_for(".listing", section=section))
    return render_template("catalog/delete.html", section=section, entry_id=entry_id, problems=problems,
                           titles=TITLES, singular=SINGULAR[section]), (409 if problems else 200)


@bp.route("/import", methods=["GET", "POST"])
@login_required("admin")
def import_page():
    problems, plan, name = [], None, ""
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        dry_run = bool(request.form.get("dry_run"))
        if upload is None or not upload.filename:
            problems = None
            flash("请选择文件 Choose a file to import")
        else:
            name = upload.filename
            engine = _hall().engine
            catalog, problems = read_catalog(engine, upload.read(), name)
            if catalog is None:
                status = 422
            elif dry_run:
                with engine.connect() as conn:
                    plan = service.plan_import(conn, catalog)
            else:
                change = _run(lambda conn: service.apply_import(conn, catalog, _hall().topics))
                flash(f"已导入 Imported {name}: {change.summary} ({_published_note(change)})")
                return redirect(url_for(".index"))
    return render_template("catalog/import.html", problems=problems or [], plan=plan, name=name,
                           titles=TITLES), status


@bp.get("/export/<fmt>")
@login_required("admin")
def export(fmt: str):
    if fmt not in ("yaml", "csv"):
        abort(404)
    text = export_text(_hall().engine, fmt)
    mimetype = "application/yaml" if fmt == "yaml" else "text/csv"
    return Response(text.encode("utf-8"), mimetype=f"{mimetype}; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=catalog.{fmt}"})


__all__ = ["bp"]
