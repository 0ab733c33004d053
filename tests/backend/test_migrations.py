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


def test_0004_makes_the_never_chosen_device_language_unset(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/hall.db")
    command.upgrade(alembic_config(engine), "0003")
    with engine.begin() as conn:   # every device so far had the default "zh": nobody could choose one
        conn.execute(sa.text("INSERT INTO devices (id, role, created_at) VALUES ('kiosk-1', 'kiosk', '2026-12-01')"))
        assert conn.execute(sa.text("SELECT language FROM devices")).scalar() == "zh"
    command.upgrade(alembic_config(engine), "head")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT language FROM devices")).scalar() == ""
        conn.execute(sa.text("INSERT INTO devices (id, role, created_at) VALUES ('wall-1', 'wall', '2026-12-01')"))
        assert conn.execute(sa.text("SELECT language FROM devices WHERE id = 'wall-1'")).scalar() == ""
    command.downgrade(alembic_config(engine), "0003")
    with engine.connect() as conn:
        assert set(conn.execute(sa.text("SELECT language FROM devices")).scalars()) == {"zh"}
