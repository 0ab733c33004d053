"""Call latency: a window keypad sends ``window.call_next``; 20 wall subscribers receive the
``events/call`` message.  The backend runs as its own process; everything goes through the real
broker (MQTT v5, QoS 1).

For each call the keypad sends the request and each wall notes when the event reaches its handler
(the wall's own code, after the bus worker hop).  Prints p50/p99 of press → wall, and of the
backend's call time (the event's ``at``) → wall, i.e. the broker fan-out plus the commit.
Target (issue 4): p99 <= 5 ms.

    python bench/bench_calls.py [--walls 20] [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import json
import sys
import threading
import time
from datetime import datetime

from hallrig import durable_commits_per_s, percentile, running_hall, wait_for_backend

from protocol import new_id
from protocol.models import Request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walls", type=int, default=20)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)

    from protocol.client import MqttBus

    walls = [f"wall-{i:02d}" for i in range(1, args.walls + 1)]
    devices = [("kiosk-01", "kiosk", ""), ("keypad-1", "keypad", "w1")] + [(w, "wall", "") for w in walls]
    issue = lambda: Request(id=new_id("b"), type="ticket.issue", params={"queue": "qa"})  # noqa: E731
    with running_hall(devices) as (broker, directory):
        disk = durable_commits_per_s(directory)
        kiosk = MqttBus(broker.settings("kiosk-01"), "bench", device="kiosk-01").start()
        keypad = MqttBus(broker.settings("keypad-1"), "bench", device="keypad-1").start()
        received: dict[str, dict[str, tuple[float, float]]] = {}  # ticket -> wall -> (perf, wall clock)
        lock = threading.Lock()
        all_in = threading.Condition(lock)

        def on_call(wall: str):
            def handler(message) -> None:
                now, clock = time.perf_counter(), time.time()
                if message.retain or not message.payload:
                    return
                ticket = json.loads(message.payload)["ticket_id"]
                with all_in:
                    received.setdefault(ticket, {})[wall] = (now, clock)
                    all_in.notify_all()
            return handler

        buses = []
        for wall in walls:
            bus = MqttBus(broker.settings(wall), "bench", device=wall)
            bus.subscribe(bus.topics.call_event(), on_call(wall))
            buses.append(bus.start())
        assert all(b.wait_connected(10) for b in [kiosk, keypad] + buses), "a client could not connect"
        wait_for_backend(kiosk, issue)
        for _ in range(args.calls + 5):
            kiosk.call(issue(), timeout=10)
        keypad.call(Request(id=new_id("b"), type="window.resume", params={}), timeout=10)

        press_to_wall: list[float] = []
        press_to_reply: list[float] = []
        backend_to_wall: list[float] = []
        for n in range(args.calls + 5):
            sent = time.perf_counter()
            result = keypad.call(Request(id=new_id("b"), type="window.call_next", params={}), timeout=10)
            replied = time.perf_counter()
            ticket_id = result["window"]["serving"]["id"]
            with all_in:
                arrived = all_in.wait_for(lambda: len(received.get(ticket_id, {})) == len(walls), timeout=10)
                got = dict(received.get(ticket_id, {}))
            assert arrived, f"only {len(got)} of {len(walls)} walls got call {n}"
            at = datetime.fromisoformat(result["window"]["serving"]["since"]).timestamp()
            if n >= 5:  # the first few warm the caches
                press_to_wall += [(perf - sent) * 1000 for perf, _ in got.values()]
                press_to_reply.append((replied - sent) * 1000)
                backend_to_wall += [(clock - at) * 1000 for _, clock in got.values()]
            keypad.call(Request(id=new_id("b"), type="window.finish", params={}), timeout=10)
        for bus in buses + [kiosk, keypad]:
            bus.stop()
    print(f"window.call_next -> events/call at {args.walls} walls, {args.calls} calls, over MQTT")
    print(f"  press -> wall:   p50 {percentile(press_to_wall, 50):.2f} ms, p99 {percentile(press_to_wall, 99):.2f} ms,"
          f" max {max(press_to_wall):.2f} ms")
    print(f"  press -> keypad's reply: p50 {percentile(press_to_reply, 50):.2f} ms, "
          f"p99 {percentile(press_to_reply, 99):.2f} ms (the reply goes out after the call event)")
    print(f"  backend -> wall: p50 {percentile(backend_to_wall, 50):.2f} ms, "
          f"p99 {percentile(backend_to_wall, 99):.2f} ms (from the call's timestamp: commit + fan-out)")
    print(f"  context: this disk did {disk:,.0f} bare durable SQLite commits/s just before the run; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("  target:  p99 <= 5 ms")
    print(f"  reproduce: python bench/bench_calls.py --walls {args.walls} --calls {args.calls}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
