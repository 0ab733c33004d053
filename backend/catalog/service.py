"""Changing the catalog: import (all or nothing), edits and deletes, and what to publish.

Every function that changes something runs inside the caller's transaction
and returns a :class:`Change` holding the :class:`Publication` list of what
changed: an edited item and the index; a deleted item's empty retained payload
and the index; after an import, only the items whose content hash changed.
:func:`run` wraps one change in a transaction and publishes after the commit,
under the publisher's lock (so retained state goes out in commit order).
Nothing changes → no version bump and nothing published.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.engine import Connection, Engine

from backend.db import write_transaction
from backend.publisher import Publication, Publisher
from protocol import Topics
from protocol.models.catalog import Department, Item, Queue, Window, item_hash

from . import store
from .checks import cross_check
from .model import Catalog, CatalogError, ImportProblem
from .tables import departments, items, queues, windows



@dataclass(frozen=True)
class Change:
    """What a change did: the new version, items published or cleared, and the publications."""

    version: int
    changed: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    publications: tuple[Publication, ...] = ()
    summary: str = ""


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do (a dry run shows this)."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    structure_changed: bool = False  # hall, departments, queues or windows differ

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.structure_changed)

    def describe(self) -> str:
        return (f"{len(self.added)} item(s) added, {len(self.changed)} changed, {len(self.removed)} removed, "
                f"{self.unchanged} unchanged; departments/queues/windows "
                f"{'changed' if self.structure_changed else 'unchanged'}")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# -- publications ------------------------------------------------------------------------------
def index_publication(conn: Connection, topics: Topics) -> Publication:
    return Publication(topics.catalog_index(), store.build_index(conn))


def catalog_publications(conn: Connection, topics: Topics) -> list[Publication]:
    """The whole catalog: every item, then the index (republished on start and reconnect)."""
    pubs = [Publication(topics.catalog_item(item.id), item) for item in store.list_items(conn)]
    return pubs + [index_publication(conn, topics)]


# -- import ------------------------------------------------------------------------------------
def plan_import(conn: Connection, catalog: Catalog) -> ImportPlan:
    old = {row.id: row.hash for row in store.item_rows(conn)}
    new = {item.id: item_hash(item) for item in catalog.items}
    current = store.load_catalog(conn)
    order_changed = [row_id for row_id in old if row_id in new] != [i for i in new if i in old]
    structure = (current.hall != catalog.hall or current.departments != catalog.departments
                 or current.queues != catalog.queues or current.windows != catalog.windows or order_changed)
    return ImportPlan(
        added=tuple(i for i in new if i not in old),
        changed=tuple(i for i in new if i in old and old[i] != new[i]),
        removed=tuple(i for i in old if i not in new),
        unchanged=sum(1 for i in new if old.get(i) == new[i]),
        structure_changed=structure,
    )


def apply_import(conn: Connection, catalog: Catalog, topics: Topics, now: datetime | None = None) -> Change:
    """Replace the whole catalog with *catalog* (already validated), in the caller's transaction."""
    plan = plan_import(conn, catalog)
    if plan.empty:
        return Change(store.catalog_version(conn), summary="nothing changed: " + plan.describe())
    now = now or now_utc()
    versions = {row.id: (row.hash, row.version) for row in store.item_rows(conn)}
    version = store.bump_version(conn, now, catalog.hall)
    store.clear_all(conn)
    for position, dept in enumerate(catalog.departments):
        store.write_department(conn, dept, position)
    for position, queue in enumerate(catalog.queues):
        store.write_queue(conn, queue, position)
    for position, window in enumerate(catalog.windows):
        store.write_window(conn, window, position)
    published = set(plan.added) | set(plan.changed)
    for position, item in enumerate(catalog.items):
        _old_hash, old_version = versions.get(item.id, (None, version))
        store.write_item(conn, item, version if item.id in published else old_version, now, position)
    pubs = [Publication(topics.catalog_item(item.id), item) for item in catalog.items if item.id in published]
    pubs += [index_publication(conn, topics)]
    pubs += [Publication(topics.catalog_item(item_id), None) for item_id in plan.removed]
    return Change(version, tuple(i for i in (item.id for item in catalog.items) if i in published),
                  plan.removed, tuple(pubs), plan.describe())


# -- edits -------------------------------------------------------------------------------------
_SECTIONS = {Department: ("departments", departments), Queue: ("queues", queues), Window: ("windows", windows),
             Item: ("items", items)}


def check_entry_in_catalog(conn: Connection, entry, *, creating: bool) -> list[ImportProblem]:
    """Problems the catalog would have with *entry* added or replacing its namesake (field by field)."""
    section, _table = _SECTIONS[type(entry)]
    current = store.load_catalog(conn)
    existing = [e for e in getattr(current, section)]
    ids = {e.id for e in existing}
    problems: list[ImportProblem] = []
    if creating and entry.id in ids:
        problems.append(ImportProblem("form", section, "id", f"id {entry.id!r} is already used; choose another"))
    if not creating and entry.id not in ids:
        problems.append(ImportProblem("form", section, "id", f"there is no {section[:-1]} {entry.id!r}"))
    others = [e for e in existing if e.id != entry.id]
    sections = {name: list(enumerate(getattr(current, name))) for name in ("departments", "queues", "windows", "items")}
    sections[section] = list(enumerate(others)) + [(len(others), entry)]
    mine = f"{section}[{len(others)}]"
    for problem in cross_check(sections, "form"):
        if problem.where == mine:
            problems.append(ImportProblem("form", section, problem.field, problem.message))
        elif section != "items":  # e.g. a queue whose windows or items would now be wrong
            problems.append(ImportProblem("form", section, "", problem.message))
    return problems


def _bump_and_index(conn: Connection, topics: Topics, now: datetime) -> tuple[int, Publication]:
    version = store.bump_version(conn, now)
    return version, index_publication(conn, topics)


def save_entry(conn: Connection, entry: Department | Queue | Window | Item, topics: Topics, *, creating: bool,
               now: datetime | None = None) -> Change:
    """Create or replace one department, queue, window or item (validated against the whole catalog)."""
    problems = check_entry_in_catalog(conn, entry, creating=creating)
    if problems:
        raise CatalogError(problems)
    now = now or now_utc()
    if isinstance(entry, Item):
        old = store.get_item(conn, entry.id)
        if old == entry:
            return Change(store.catalog_version(conn), summary="nothing changed")
        version = store.bump_version(conn, now)
        store.write_item(conn, entry, version, now)
        pubs = (Publication(topics.catalog_item(entry.id), entry), index_publication(conn, topics))
        return Change(version, (entry.id,), (), pubs, f"item {entry.id} saved")
    section, _table = _SECTIONS[type(entry)]
    before = {Department: store.get_department, Queue: store.get_queue, Window: store.get_window}[type(entry)]
    if before(conn, entry.id) == entry:
        return Change(store.catalog_version(conn), summary="nothing changed")
    writer = {Department: store.write_department, Queue: store.write_queue, Window: store.write_window}[type(entry)]
    writer(conn, entry)
    version, index = _bump_and_index(conn, topics, now)
    return Change(version, (), (), (index,), f"{section[:-1]} {entry.id} saved")


def _users(conn: Connection, kind: type, entry_id: str) -> list[str]:
    current = store.load_catalog(conn)
    if kind is Department:
        return [f"item {i.id}" for i in current.items if i.department == entry_id]
    if kind is Queue:
        return ([f"item {i.id}" for i in current.items if i.queue == entry_id]
                + [f"window {w.id}" for w in current.windows if entry_id in w.queues])
    if kind is Window:
        return [f"item {i.id}" for i in current.items if entry_id in i.windows]
    return []


def delete_entry(conn: Connection, kind: type, entry_id: str, topics: Topics, now: datetime | None = None) -> Change:
    """Delete one entry; refused (CatalogError) while anything still refers to it."""
    section, table = _SECTIONS[kind]
    users = _users(conn, kind, entry_id)
    if users:
        shown = ", ".join(users[:8]) + (f" and {len(users) - 8} more" if len(users) > 8 else "")
        raise CatalogError([ImportProblem("form", section, "id", f"{entry_id!r} is still used by {shown}; "
                                          "change or delete those first")])
    if not store.delete_rows(conn, table, entry_id):
        raise CatalogError([ImportProblem("form", section, "id", f"there is no {section[:-1]} {entry_id!r}")])
    version, index = _bump_and_index(conn, topics, now or now_utc())
    if kind is Item:  # the index first: a mirror drops the item as soon as the index no longer lists it
        pubs = (index, Publication(topics.catalog_item(entry_id), None))
        return Change(version, (), (entry_id,), pubs, f"item {entry_id} deleted")
    return Change(version, (), (), (index,), f"{section[:-1]} {entry_id} deleted")


# -- running a change --------------------------------------------------------------------------
def run(engine: Engine, publisher: Publisher | None, change: Callable[[Connection], Change]) -> Change:
    """Run *change* in one transaction; publish its publications after the commit."""
    lock = publisher.lock if publisher is not None else contextlib.nullcontext()
    with lock:
        with write_transaction(engine) as conn:
            result = change(conn)
        if publisher is not None:
            publisher.publish(result.publications)
            sync = publisher.services.get("catalog_sync")
            if isinstance(sync, CatalogSync):
                sync.published_version = result.version
    return result


class CatalogSync:
    """Keeps MQTT in step with the database when another process changed it (``hall catalog import``).

    :meth:`provider` is the publisher's provider for the whole catalog;
    :meth:`check` republishes everything if the version in the database is not
    the last one published (call it every few seconds).
    """

    def __init__(self, engine: Engine, publisher: Publisher, topics: Topics):
        self.engine, self.publisher, self.topics = engine, publisher, topics
        self.published_version: int | None = None

    def provider(self, conn: Connection) -> list[Publication]:
        pubs = catalog_publications(conn, self.topics)
        self.published_version = store.catalog_version(conn)
        return pubs

    def check(self) -> bool:
        with self.publisher.lock:
            with self.engine.connect() as conn:
                if store.catalog_version(conn) == self.published_version:
                    return False
                pubs = self.provider(conn)
            self.publisher.publish(pubs)
            return True


def install(backend) -> None:
    """Backend installer (backend.app.INSTALLERS): publish the catalog on start and every reconnect."""
    sync = CatalogSync(backend.engine, backend.publisher, backend.executor.topics)
    backend.publisher.add_provider(sync.provider)
    backend.publisher.services["catalog_sync"] = sync
    backend.periodic.append(sync.check)


__all__ = ["Change", "ImportPlan", "catalog_publications", "index_publication", "plan_import", "apply_import",
           "check_entry_in_catalog", "save_entry", "delete_entry", "run", "CatalogSync", "install", "now_utc"]
