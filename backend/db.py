"""The database: one SQLAlchemy MetaData, an engine with durable SQLite settings, migrations.

SQLite runs in WAL mode with ``synchronous=FULL``: a ticket the kiosk has been
told about survives a power cut.  The schema and the admin paths are SQLAlchemy
Core; the hot paths (the queue repository, the idempotency log) speak SQLite
through its DB-API connection (:func:`dbapi`), as SQLAlchemy's per-statement
overhead was most of a ticket's cost.  The database is SQLite.
"""

from __future__ import annotations

import importlib
import sqlite3
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine

from hallcore.errors import ConfigError

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

class UtcDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every database (SQLite keeps no offset)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store aware datetimes only")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


#: Every module that declares tables on :data:`metadata`.
TABLE_MODULES = (
    "backend.registry",
    "backend.web.users",
    "backend.requests_log",
    "backend.catalog.tables",
    "backend.queue.tables",
    "backend.announce.tables",
    "backend.monitor.tables",
)

MIGRATIONS = Path(__file__).with_name("migrations")


def load_tables() -> MetaData:
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return metadata


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # pysqlite would open its own transaction only before DML, so a SAVEPOINT
    # issued first ran in autocommit and its release committed on its own. We
    # take transaction control ourselves: see _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Each request runs in a SAVEPOINT, whose undo copies of touched pages went to a temp file
    # (one write per page first changed in a request): in memory, a call's insert took 15 µs, not 130.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def _sqlite_begin(conn) -> None:
    """BEGIN for every transaction; IMMEDIATE (write lock up front) for writers.

    A deferred transaction that reads and then writes can fail at once with
    SQLITE_BUSY when another process wrote in between; writers ask for the
    lock first (``write_transaction``) and then wait on busy_timeout instead.
    """
    statement = "BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN"
    conn.connection.driver_connection.execute(statement)  # not exec_driver_sql: ~70 µs cheaper


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: one commit, taken with the write lock on SQLite."""
    with engine.connect() as conn:
        conn = conn.execution_options(immediate=True)
        with conn.begin():
            yield conn


def dbapi(conn: Connection):
    """The DB-API (sqlite3) connection under *conn*, inside *conn*'s transaction.

    Statements run on it take part in the transaction SQLAlchemy began (we issue
    BEGIN ourselves, see :func:`_sqlite_begin`).  Values cross as the columns'
    SQLAlchemy types store them: :func:`db_time`/:func:`py_time`, :func:`db_day`/:func:`py_day`.
    """
    return conn.connection.driver_connection


def _null(value: None) -> None:
    return None


# sqlite3 binds str, int, float and bytes directly; every other value, None included, goes through
# its adapter registry, and a None found none there, looked for __adapt__ and __conform__, and
# formatted an AttributeError message each time (a ticket's rows bind ten NULLs: ~25,000
# instructions).  Registered, a NULL costs one call.  Module-wide, and the same NULL as before.
sqlite3.register_adapter(type(None), _null)


#: The last datetime db_time converted and its text: a request stores the same instant (its
#: ``now``) in several rows, and converting costs ~5 µs.  A tuple, so threads read a matching pair.
_last_time: tuple[datetime | None, str] = (None, "")


def db_time(value: datetime | None) -> str | None:
    """An aware datetime as :class:`UtcDateTime` stores it on SQLite (UTC, microseconds always)."""
    global _last_time
    if value is None:
        return None
    last = _last_time
    if last[0] is value:
        return last[1]
    if value.tzinfo is None:
        raise ValueError("store aware datetimes only")
    utc = value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)
    text = utc.replace(tzinfo=None).isoformat(" ", "microseconds")
    _last_time = (value, text)
    return text


def py_time(value: str | None) -> datetime | None:
    """A stored :class:`UtcDateTime` back as an aware UTC datetime."""
    return None if value is None else datetime.fromisoformat(value + "+00:00")


def db_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def py_day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


@contextmanager
def savepoint(conn: Connection, name: str = "request") -> Iterator[None]:
    """A SAVEPOINT on the DB-API connection: rolled back (and the error raised) when the block fails."""
    raw = dbapi(conn)
    raw.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        raw.execute(f"ROLLBACK TO {name}")
        raw.execute(f"RELEASE {name}")
        raise
    raw.execute(f"RELEASE {name}")


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        raise ConfigError(f"db_url {url!r}: the backend's database is SQLite (sqlite:///path/to/hall.db); "
                          "its hot paths use SQLite's own connection")
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False} if url.startswith("sqlite") else {})
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def init_db(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates a new database)."""
    from alembic import command

    load_tables()
    command.upgrade(alembic_config(engine), "head")
