"""Many kiosks and windows at once, on a real SQLite file, through the executor (and the console API)."""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict

import sqlalchemy as sa

from backend.queue.tables import ticket_audit, tickets
from backend.registry import Actor

KIOSKS, TICKETS_EACH = 8, 40
WINDOWS = {"w1": "keypad-1", "w2": "keypad-2", "w3": "console:bob"}


def test_many_kiosks_and_windows_at_once(hall):
    assert hall.backend.engine.url.database.endswith("hall.db")  # a real file, WAL, durable commits
    barrier = threading.Barrier(KIOSKS + len(WINDOWS))
    issued: dict[str, list[str]] = defaultdict(list)
    called: dict[str, list[str]] = defaultdict(list)
    failures: list = []
    stop_windows = threading.Event()

    def kiosk(index: int) -> None:
        barrier.wait()
        for n in range(TICKETS_EACH):
            queue = ("qa", "qb", "qc")[(index + n) % 3]
            reply = hall.ask("kiosk-1", "ticket.issue", request_id=f"k{index}-{n}", queue=queue,
                             priority="elderly" if n % 7 == 0 else "normal")
            if reply.ok:
                issued[queue].append(reply.result["ticket"]["number"])
            elif reply.error.code != "quota_exhausted":  # qc has a quota of 5
                failures.append(reply.error)

    def window(window_id: str, device: str) -> None:
        actor = Actor(device, "console", window_id, "bob") if device.startswith("console") else None
        barrier.wait()
        hall.ask(device, "window.resume", actor=actor, window=window_id)
        while True:
            reply = hall.ask(device, "window.call_next", actor=actor, window=window_id)
            if not reply.ok:
                if reply.error.code != "nothing_waiting":
                    failures.append(reply.error)
                if stop_windows.is_set():
                    return
                continue
            called[window_id].append(reply.result["ticket"])
            done = hall.ask(device, "window.finish", actor=actor, window=window_id)
            if not done.ok:
                failures.append(done.error)

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(KIOSKS)]
    threads += [threading.Thread(target=window, args=item) for item in WINDOWS.items()]
    reader = threading.Thread(target=lambda: [hall.backend.publisher.republish_all() for _ in range(20)])
    for thread in threads:
        thread.start()
    reader.start()
    for thread in threads[:KIOSKS]:
        thread.join(timeout=120)
    stop_windows.set()
    for thread in threads[KIOSKS:] + [reader]:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures[:3]

    # numbers unique and contiguous per queue
    for queue, numbers in issued.items():
        prefix = {"qa": "A", "qb": "B", "qc": "C"}[queue]
        assert sorted(numbers) == [f"{prefix}{n:03d}" for n in range(1, len(numbers) + 1)]
    assert len(issued["qc"]) == 5
    # every ticket called exactly once, by one window
    all_called = [n for numbers in called.values() for n in numbers]
    assert Counter(all_called).most_common(1)[0][1] == 1
    assert sorted(all_called) == sorted(n for numbers in issued.values() for n in numbers)
    with hall.backend.engine.connect() as conn:
        states = Counter(conn.execute(sa.select(tickets.c.state)).scalars())
        transitions = conn.execute(sa.select(sa.func.count()).select_from(ticket_audit)).scalar()
    total = sum(len(v) for v in issued.values())
    assert states == {"done": total}
    assert transitions == 3 * total  # created, called, done
    # and what the broker holds is what the database says
    live = {t: json.loads(p) for t, p in hall.broker.retained.items() if "/queues/" in t}
    assert all(state["waiting"] == 0 for state in live.values())
    assert {t.rsplit("/", 2)[1]: s["issued_today"] for t, s in live.items()} == {
        q: len(v) for q, v in issued.items()}
