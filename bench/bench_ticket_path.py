"""The backend's ticket path in one process: the work a ticket costs, without the network.

Requests are decoded, executed in batches (``RequestExecutor.execute_batch`` on a real SQLite
file, durable commits) and their replies encoded, as the request door does; the broker is the
in-memory fake.  Prints the CPU per ticket for lone tickets and for batches of 20.

On a shared VM the CPU time of the same work moves by a factor of two from minute to minute,
so a change of a few percent cannot be seen in it.  ``--instructions`` counts instead: it runs
this script twice under valgrind (``PYTHONHASHSEED=0``; needs ``valgrind``) and prints the
user-space instructions per ticket (the difference of the two runs, so start-up is not
counted).  The kernel's share (page writes, the fsync) is not in that count.  The heap is settled
after start-up as in the backend (``backend.app.settle_heap``): before, a full collection of the
start-up objects (~3 M instructions) fell inside or outside the measured tickets by chance, and
two counts of the same code differed by up to 1.5%.

    python bench/bench_ticket_path.py [--batch 1 20] [--rounds 100]
    python bench/bench_ticket_path.py --instructions [--batch 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallrig import HALL, QUEUE_IDS, prepare  # noqa: E402

from backend.app import build, settle_heap  # noqa: E402
from backend.core import Answer  # noqa: E402
from backend.registry import Actor  # noqa: E402
from protocol import new_id  # noqa: E402
from protocol.codec import decode_request, encode  # noqa: E402
from protocol.fakebus import FakeBroker, FakeBus  # noqa: E402
from protocol.models import Request  # noqa: E402

KIOSKS = 20
WARMUP_ROUNDS = 20


class TicketLoop:
    """A backend on a fresh database and kiosks taking tickets from it, *batch* at a time."""

    def __init__(self, directory: Path):
        settings = prepare(directory, [(f"kiosk-{i}", "kiosk", "") for i in range(KIOSKS)])
        self.backend = build(settings, FakeBus(FakeBroker(), HALL, client_id="backend"))
        self.actors = [Actor(f"kiosk-{i}", "kiosk") for i in range(KIOSKS)]
        self.sent = 0
        settle_heap()   # as the backend's main() does: no full collection walks start-up's objects

    def round(self, batch: int) -> list[bytes]:
        requests = []
        for _ in range(batch):
            queue = QUEUE_IDS[self.sent % len(QUEUE_IDS)]
            raw = encode(Request(id=new_id("b"), type="ticket.issue", params={"queue": queue}))
            requests.append((self.actors[self.sent % KIOSKS], decode_request(raw)))
            self.sent += 1
        payloads: list[bytes] = []

        def answer(answers: list[Answer]) -> None:
            payloads.extend(done.payload for done in answers)

        replies = self.backend.executor.execute_batch(requests, answer=answer)
        if not all(reply.ok for reply in replies) or len(payloads) != batch:
            raise SystemExit(f"a ticket was refused: {[r.error for r in replies if not r.ok]}")
        return payloads

    def close(self) -> None:
        self.backend.stop()


def cpu_per_ticket(batch: int, rounds: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per ticket over *rounds* batches of *batch*, after a warm-up."""
    with tempfile.TemporaryDirectory(prefix="hall-path-") as tmp:
        loop = TicketLoop(Path(tmp))
        try:
            for _ in range(WARMUP_ROUNDS):
                loop.round(batch)
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(rounds):
                loop.round(batch)
            return ((time.process_time() - cpu) / (batch * rounds), (time.perf_counter() - wall) / (batch * rounds))
        finally:
            loop.close()


def instructions(batch: int, tickets: int = 200) -> float:
    """User-space instructions per ticket: valgrind's count for a run measuring about *tickets* more
    tickets than another (both with start-up and warm-up), divided by that difference."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")

    def count(rounds: int) -> int:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
                   "--batch", str(batch), "--rounds", str(rounds)]
        out = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
                             check=True).stderr
        line = next(line for line in out.splitlines() if "Collected" in line)
        return int(line.split()[-1])
    short, long = 2, 2 + max(10, tickets // batch)
    return (count(long) - count(short)) / ((long - short) * batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 20], help="requests per transaction")
    parser.add_argument("--rounds", type=int, default=100, help="batches measured (after 20 of warm-up)")
    parser.add_argument("--instructions", action="store_true", help="count instructions under valgrind")
    args = parser.parse_args()
    print("ticket.issue in process (decode, execute_batch on SQLite with durable commits, encode the reply)")
    for batch in args.batch:
        if args.instructions:
            print(f"  batch {batch:>2}: {instructions(batch):,.0f} user-space instructions per ticket (valgrind)")
        else:
            cpu, wall = cpu_per_ticket(batch, args.rounds)
            print(f"  batch {batch:>2}: {cpu * 1e6:,.0f} us of CPU, {wall * 1e6:,.0f} us of wall time per ticket "
                  f"({args.rounds} batches)")
    flags = " --instructions" if args.instructions else f" --rounds {args.rounds}"
    print(f"  reproduce: python bench/bench_ticket_path.py --batch {' '.join(map(str, args.batch))}{flags}")


if __name__ == "__main__":
    main()
