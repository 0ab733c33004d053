"""Run the backend with its bus worker thread under cProfile (where the requests are handled),
and/or with TCP_NODELAY on its broker connection (BENCH_NODELAY=1, see nodelay.py), and/or with
one durable commit per request (BENCH_ONE_COMMIT=1, see one_commit below).

    BENCH_PROFILE=/tmp/backend.prof python bench/bench_tickets.py
    python -c "import pstats; pstats.Stats('/tmp/backend.prof').sort_stats('cumulative').print_stats(40)"

hallrig.py starts the backend through this script when BENCH_PROFILE is set.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from protocol import bus as bus_module  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
_run = bus_module.Dispatcher._run


def _profiled_run(self) -> None:
    if profile is not None and self._thread.name == "bus-worker-backend":
        profile.runcall(_run, self)
    else:
        _run(self)


bus_module.Dispatcher._run = _profiled_run
if profile is not None:
    atexit.register(lambda: profile.dump_stats(os.environ["BENCH_PROFILE"]))

def one_commit() -> None:
    """BENCH_ONE_COMMIT=1: the pysqlite recipe (SQLAlchemy docs, "Serializable isolation /
    Savepoints"): SQLAlchemy emits BEGIN itself, so the executor's savepoint no longer commits on
    its own and a request is one durable commit instead of two.  What backend/db.py should do."""
    from sqlalchemy import event

    from backend import app, db

    make_engine = db.make_engine

    def patched(url: str):
        engine = make_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", lambda dbapi, record: setattr(dbapi, "isolation_level", None))
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine

    db.make_engine = app.make_engine = patched


if __name__ == "__main__":
    import nodelay
    from backend.app import main

    nodelay.apply()
    if os.environ.get("BENCH_ONE_COMMIT") == "1":
        one_commit()

    sys.exit(main(sys.argv[1:]))
