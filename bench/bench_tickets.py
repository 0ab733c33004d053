"""Ticket issue throughput: N concurrent kiosk clients over the real broker (MQTT v5, QoS 1),
the backend as its own process with durable commits (SQLite WAL, synchronous=FULL).

Each kiosk sends ``ticket.issue`` and waits for the reply before the next (a closed loop, as a
kiosk does).  Prints sustained tickets/s and the p50/p99 request-to-reply latency.
Target (issue 4): >= 2,000 tickets/s, p99 <= 10 ms.

    python bench/bench_tickets.py [--clients 20] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

from hallrig import durable_commits_per_s, percentile, running_hall, wait_for_backend

from protocol import new_id
from protocol.models import Request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)

    from protocol.client import MqttBus

    kiosks = [f"kiosk-{i:02d}" for i in range(1, args.clients + 1)]
    devices = [(k, "kiosk", "") for k in kiosks]
    issue = lambda: Request(id=new_id("b"), type="ticket.issue", params={"queue": "qa"})  # noqa: E731
    with running_hall(devices) as (broker, directory):
        disk = durable_commits_per_s(directory)
        buses = [MqttBus(broker.settings(k), "bench", device=k).start() for k in kiosks]
        assert all(bus.wait_connected(10) for bus in buses), "a kiosk could not connect"
        wait_for_backend(buses[0], issue)
        latencies: list[list[float]] = [[] for _ in buses]
        errors = [0] * len(buses)
        measuring, stop = threading.Event(), threading.Event()

        def kiosk(index: int) -> None:
            bus = buses[index]
            while not stop.is_set():
                start = time.perf_counter()
                try:
                    reply = bus.request(issue(), timeout=10, attempt_timeout=5)
                    ok = reply.ok
                except Exception:
                    ok = False
                if measuring.is_set() and not stop.is_set():
                    latencies[index].append(time.perf_counter() - start)
                    errors[index] += 0 if ok else 1

        threads = [threading.Thread(target=kiosk, args=(i,), daemon=True) for i in range(len(buses))]
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)  # warm-up: not measured
        measuring.set()
        began = time.perf_counter()
        time.sleep(args.seconds)  # the measuring window
        stop.set()
        elapsed = time.perf_counter() - began
        for thread in threads:
            thread.join(timeout=15)
        for bus in buses:
            bus.stop()
    flat = [x * 1000 for per in latencies for x in per]
    print(f"ticket.issue, {args.clients} concurrent kiosks over MQTT, durable commits")
    print(f"  tickets: {len(flat)} in {elapsed:.1f} s = {len(flat) / elapsed:,.0f} tickets/s "
          f"(errors: {sum(errors)})")
    print(f"  latency: p50 {percentile(flat, 50):.2f} ms, p99 {percentile(flat, 99):.2f} ms, "
          f"max {max(flat):.2f} ms")
    print(f"  context: this disk did {disk:,.0f} bare durable SQLite commits/s just before the run; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("  target:  >= 2,000 tickets/s, p99 <= 10 ms")
    print(f"  reproduce: python bench/bench_tickets.py --clients {args.clients} --seconds {args.seconds:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
