"""Run the backend with its request thread under cProfile (where the requests are executed).

    BENCH_PROFILE=/tmp/backend.prof python bench/bench_tickets.py
    python -c "import pstats; pstats.Stats('/tmp/backend.prof').sort_stats('cumulative').print_stats(40)"

hallrig.py starts the backend through this script when BENCH_PROFILE is set.  cProfile
sees one thread and slows it about twofold; for the whole process (paho's network
thread, the GIL) a sampling profiler such as py-spy (``py-spy record --gil -p PID``)
tells more.
"""

from __future__ import annotations

import atexit
import cProfile
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend import bus_service  # noqa: E402

profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
_serve = bus_service.BusService._serve


def _profiled_serve(self) -> None:
    if profile is not None:
        profile.runcall(_serve, self)
    else:
        _serve(self)


bus_service.BusService._serve = _profiled_serve
if profile is not None:
    atexit.register(lambda: profile.dump_stats(os.environ["BENCH_PROFILE"]))

if __name__ == "__main__":
    from backend.app import main

    sys.exit(main(sys.argv[1:]))
