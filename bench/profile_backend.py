"""Run the backend with its request door under cProfile (where the requests are executed).

    BENCH_PROFILE=/tmp/backend.prof python bench/bench_tickets.py
    python -c "import pstats; pstats.Stats('/tmp/backend.prof').sort_stats('cumulative').print_stats(40)"

hallrig.py starts the backend through this script when BENCH_PROFILE is set.  cProfile
sees the bursts of requests the network thread serves (checks, transaction, replies), not
the reading of the socket, and slows them about twofold; for the whole process a sampling
profiler such as py-spy (``py-spy record --threads -p PID``) tells more.
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
_on_requests = bus_service.BusService.on_requests


def _profiled_on_requests(self, messages) -> None:
    if profile is not None:
        profile.runcall(_on_requests, self, messages)
    else:
        _on_requests(self, messages)


bus_service.BusService.on_requests = _profiled_on_requests
if profile is not None:
    atexit.register(lambda: profile.dump_stats(os.environ["BENCH_PROFILE"]))

if __name__ == "__main__":
    from backend.app import main

    sys.exit(main(sys.argv[1:]))
