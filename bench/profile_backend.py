"""Run the backend with its bus worker thread under cProfile (where the requests are handled).

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

if __name__ == "__main__":
    from backend.app import main

    sys.exit(main(sys.argv[1:]))
