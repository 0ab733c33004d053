"""The Alembic migrations build exactly the schema the code declares, and go back down."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.db import alembic_config, init_db, load_tables, make_engine


def test_migrations_match_the_tables_in_code(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/hall.db")
    init_db(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), load_tables())
    assert diff == [], "run: alembic revision --autogenerate (see README 'Database')"


def test_downgrade_to_nothing_and_up_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/hall.db")
    init_db(engine)
    command.downgrade(alembic_config(engine), "base")
    with engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    init_db(engine)
    with engine.connect() as conn:
        assert "tickets" in sa.inspect(conn).get_table_names() or sa.inspect(conn).get_table_names()


def test_durable_sqlite_settings(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/hall.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
