"""Reading and writing the catalog tables (SQLAlchemy Core, inside the caller's transaction).

The queue engine reads the catalog only through the first group of functions
(``get_item``, ``get_queue``, ``list_queues``, ``list_windows``,
``get_window``, ``catalog_version``, ``hall_name``); each returns the
protocol's own models.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from backend.db import dbapi

from protocol.models.catalog import CatalogIndex, Department, IndexEntry, Item, Period, Queue, Window, item_hash

from .model import Catalog, HallInfo
from .tables import catalog_meta, departments, items, queues, window_queues, windows


# -- what the rest of the backend reads --------------------------------------------------------
def catalog_version(conn: Connection) -> int:
    """The catalog version (0 before anything was imported); every change bumps it.

    Read by every queue request, so through the DB-API directly (see backend.db.dbapi).
    """
    row = dbapi(conn).execute("SELECT version FROM catalog_meta WHERE id = 1").fetchone()
    return (row[0] if row else 0) or 0


def hall_name(conn: Connection) -> str:
    """The hall's name as the catalog gives it ("" before anything was imported)."""
    return conn.execute(sa.select(catalog_meta.c.hall_name).where(catalog_meta.c.id == 1)).scalar() or ""


def get_item(conn: Connection, item_id: str) -> Item | None:
    guide = conn.execute(sa.select(items.c.guide).where(items.c.id == item_id)).scalar()
    return Item.model_validate_json(guide) if guide is not None else None


def _queue(row) -> Queue:
    return Queue(id=row.id, prefix=row.prefix, name=row.name, daily_quota=row.daily_quota,
                 hours=tuple(Period.model_validate(p) for p in json.loads(row.hours)))


def get_queue(conn: Connection, queue_id: str) -> Queue | None:
    row = conn.execute(sa.select(queues).where(queues.c.id == queue_id)).first()
    return _queue(row) if row else None


def list_queues(conn: Connection) -> list[Queue]:
    return [_queue(row) for row in conn.execute(sa.select(queues).order_by(queues.c.position))]


def _served(conn: Connection, window_id: str | None = None) -> dict[str, tuple[str, ...]]:
    query = sa.select(window_queues).order_by(window_queues.c.window_id, window_queues.c.priority)
    if window_id is not None:
        query = query.where(window_queues.c.window_id == window_id)
    served: dict[str, list[str]] = {}
    for row in conn.execute(query):
        served.setdefault(row.window_id, []).append(row.queue_id)
    return {key: tuple(value) for key, value in served.items()}


def _window(row, served: dict[str, tuple[str, ...]]) -> Window:
    return Window(id=row.id, number=row.number, name=row.name, location=row.location,
                  queues=served.get(row.id, ()))


def list_windows(conn: Connection) -> list[Window]:
    served = _served(conn)
    return [_window(row, served) for row in conn.execute(sa.select(windows).order_by(windows.c.position))]


def get_window(conn: Connection, window_id: str) -> Window | None:
    row = conn.execute(sa.select(windows).where(windows.c.id == window_id)).first()
    return _window(row, _served(conn, window_id)) if row else None


# -- the rest of the catalog -------------------------------------------------------------------
def list_departments(conn: Connection) -> list[Department]:
    return [Department(id=r.id, name=r.name, short_name=r.short_name, phone=r.phone)
            for r in conn.execute(sa.select(departments).order_by(departments.c.position))]


def get_department(conn: Connection, dept_id: str) -> Department | None:
    return next((d for d in list_departments(conn) if d.id == dept_id), None)


def list_items(conn: Connection) -> list[Item]:
    return [Item.model_validate_json(guide)
            for guide in conn.execute(sa.select(items.c.guide).order_by(items.c.position)).scalars()]


def item_rows(conn: Connection) -> list[sa.Row]:
    """Id, code, name, department, queue, kind, hash and version of every item (no guide parsing)."""
    columns = (items.c.id, items.c.code, items.c.name, items.c.department_id, items.c.queue_id, items.c.kind,
               items.c.hash, items.c.version)
    return list(conn.execute(sa.select(*columns).order_by(items.c.position)))


def _meta(conn: Connection) -> sa.Row | None:
    return conn.execute(sa.select(catalog_meta).where(catalog_meta.c.id == 1)).first()


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite drops the offset


def load_catalog(conn: Connection) -> Catalog:
    meta = _meta(conn)
    hall = HallInfo(name=(meta.hall_name if meta else "") or "(no catalog imported)", note=meta.hall_note if meta else "")
    return Catalog(hall=hall, departments=tuple(list_departments(conn)), queues=tuple(list_queues(conn)),
                   windows=tuple(list_windows(conn)), items=tuple(list_items(conn)))


def build_index(conn: Connection) -> CatalogIndex:
    """The retained ``catalog/index`` payload for what the database holds now."""
    meta = _meta(conn)
    return CatalogIndex(
        version=meta.version if meta else 0, hall_name=(meta.hall_name if meta else "") or "—",
        updated_at=_aware(meta.updated_at if meta else None),
        departments=tuple(list_departments(conn)), queues=tuple(list_queues(conn)),
        windows=tuple(list_windows(conn)),
        items=tuple(IndexEntry(id=row.id, hash=row.hash) for row in item_rows(conn)),
    )


# -- writing (the service calls these inside its transaction) ----------------------------------
def bump_version(conn: Connection, now: datetime, hall: HallInfo | None = None) -> int:
    """Raise the catalog version by one (and set the hall's name); returns the new version."""
    meta = _meta(conn)
    values: dict = {"updated_at": now}
    if hall is not None:
        values.update(hall_name=hall.name, hall_note=hall.note)
    if meta is None:
        conn.execute(catalog_meta.insert().values(id=1, version=1, **{"hall_name": "", "hall_note": "", **values}))
        return 1
    conn.execute(catalog_meta.update().where(catalog_meta.c.id == 1).values(version=meta.version + 1, **values))
    return meta.version + 1


def _next_position(conn: Connection, table: sa.Table) -> int:
    return (conn.execute(sa.select(sa.func.max(table.c.position))).scalar() or 0) + 1


def write_department(conn: Connection, dept: Department, position: int | None = None) -> None:
    values = {"name": dept.name, "short_name": dept.short_name, "phone": dept.phone}
    if conn.execute(sa.select(departments.c.id).where(departments.c.id == dept.id)).first():
        conn.execute(departments.update().where(departments.c.id == dept.id).values(**values))
    else:
        position = position if position is not None else _next_position(conn, departments)
        conn.execute(departments.insert().values(id=dept.id, position=position, **values))


def write_queue(conn: Connection, queue: Queue, position: int | None = None) -> None:
    values = {"prefix": queue.prefix, "name": queue.name, "daily_quota": queue.daily_quota,
              "hours": json.dumps([p.model_dump(mode="json") for p in queue.hours], ensure_ascii=False)}
    if conn.execute(sa.select(queues.c.id).where(queues.c.id == queue.id)).first():
        conn.execute(queues.update().where(queues.c.id == queue.id).values(**values))
    else:
        position = position if position is not None else _next_position(conn, queues)
        conn.execute(queues.insert().values(id=queue.id, position=position, **values))


def write_window(conn: Connection, window: Window, position: int | None = None) -> None:
    values = {"number": window.number, "name": window.name, "location": window.location}
    if conn.execute(sa.select(windows.c.id).where(windows.c.id == window.id)).first():
        conn.execute(windows.update().where(windows.c.id == window.id).values(**values))
    else:
        position = position if position is not None else _next_position(conn, windows)
        conn.execute(windows.insert().values(id=window.id, position=position, **values))
    conn.execute(window_queues.delete().where(window_queues.c.window_id == window.id))
    if window.queues:
        conn.execute(window_queues.insert(), [{"window_id": window.id, "priority": n, "queue_id": q}
                                              for n, q in enumerate(window.queues)])


def write_item(conn: Connection, item: Item, version: int, now: datetime, position: int | None = None) -> None:
    values = {"code": item.code, "name": item.name, "department_id": item.department, "queue_id": item.queue,
              "kind": item.kind, "guide": item.model_dump_json(), "hash": item_hash(item), "version": version,
              "updated_at": now}
    if conn.execute(sa.select(items.c.id).where(items.c.id == item.id)).first():
        conn.execute(items.update().where(items.c.id == item.id).values(**values))
    else:
        position = position if position is not None else _next_position(conn, items)
        conn.execute(items.insert().values(id=item.id, position=position, **values))


def delete_rows(conn: Connection, table: sa.Table, entry_id: str) -> int:
    if table is windows:
        conn.execute(window_queues.delete().where(window_queues.c.window_id == entry_id))
    return conn.execute(table.delete().where(table.c.id == entry_id)).rowcount


def clear_all(conn: Connection) -> None:
    for table in (items, window_queues, windows, queues, departments):
        conn.execute(table.delete())


def dump(conn: Connection) -> dict[str, list[tuple]]:
    """Every catalog row, for comparing the database before and after (tests, dry runs)."""
    return {table.name: [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))]
            for table in (catalog_meta, departments, queues, windows, window_queues, items)}


__all__ = ["catalog_version", "hall_name", "get_item", "get_queue", "list_queues", "list_windows", "get_window",
           "list_departments", "get_department", "list_items", "item_rows", "load_catalog", "build_index",
           "bump_version", "write_department", "write_queue", "write_window", "write_item", "delete_rows",
           "clear_all", "dump"]
