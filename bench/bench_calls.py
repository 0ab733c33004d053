"""Call latency: a window keypad sends ``window.call_next``; N wall subscribers receive the
``events/call`` message.  The backend runs as its own process; everything goes through the real
broker (MQTT v5, QoS 1).

The walls, the kiosk that issues the tickets and the keypad bound to window w1 are lean clients
of one load-generator thread (bench/loadgen.py: a minimal MQTT v5 client of its own, every
connection on a single epoll loop), so the figures measure the broker and the backend rather
than 2N client threads fighting for the GIL.  Each wall takes ``time.perf_counter()`` as the
pool hands it the parsed message (on the loop thread) and does nothing else there; payloads are
decoded (``protocol.codec.decode(CallEvent, ...)``) and checked afterwards.  With
``--bus-walls`` the walls are ``protocol.client.MqttBus`` instances instead (the wall's real
client code: its network thread + the bus worker-thread hop before the handler takes its
timestamp), for comparison.

For each call the keypad sends the request (the press: timestamped on the loop thread as it is
published), every wall must receive the event for the ticket the reply names, then the keypad
sends ``window.finish``.  Prints p50/p99/max of press -> wall over all wall receipts, of press ->
keypad's reply, and of the backend's call time (the event's ``at``) -> wall, i.e. the commit plus
the broker fan-out; also the spread first -> last wall of each call.  With the pool's walls it
also prints press -> wall *socket readable* (``ClientPool.turn_time``): one thread handles the 20
walls' messages one after the other (~20 us each with the pool's own MQTT parsing; it was
~0.1 ms each with paho), so the last walls' handler timestamps carry the generator's own serial
work; the readable time is when a wall of its own would have had the message.  The first 5
calls warm the caches and are not counted.
Target (issue 4): p99 <= 5 ms.

    python bench/bench_calls.py [--walls 20] [--calls 300] [--bus-walls]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

from hallrig import (
    HALL,
    StealMeter,
    durable_commits_per_s,
    percentile,
    running_hall,
    wait_for_backend,
)
from loadgen import ClientPool

from protocol import new_id
from protocol.codec import decode
from protocol.models import CallEvent, Request

WARMUP_CALLS = 5


class WallLog:
    """What every wall received since :meth:`arm`: wall -> [(received, readable, time.time(), payload)].

    *received* is ``time.perf_counter()`` when the wall's code got the message; *readable* when
    the pool's loop saw the wall's socket readable (see ``ClientPool.turn_time``; the same as
    *received* for bus walls).

    :meth:`record` is all a wall does on receipt (on the pool's loop thread, or a bus worker).
    """

    def __init__(self, walls: int):
        self.walls = walls
        self._cond = threading.Condition()
        self._got: dict[int, list[tuple[float, float, float, bytes]]] = {}

    def record(self, wall: int, payload: bytes, received: float, readable: float) -> None:
        clock = time.time()
        with self._cond:
            self._got.setdefault(wall, []).append((received, readable, clock, payload))
            if len(self._got) == self.walls:
                self._cond.notify()

    def arm(self) -> None:
        with self._cond:
            self._got = {}

    def wait_all(self, timeout: float) -> dict[int, list[tuple[float, float, float, bytes]]]:
        """Wait until every wall has received something; return what they got (maybe partial)."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._got) == self.walls, timeout)
            got, self._got = self._got, {}
        return got


def request(kind: str, **params) -> Request:
    return Request(id=new_id("b"), type=kind, params=params)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walls", type=int, default=20)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--bus-walls", action="store_true",
                        help="walls as protocol.client.MqttBus (thread per wall + worker hop), for comparison")
    args = parser.parse_args(argv)

    walls = [f"wall-{i:02d}" for i in range(1, args.walls + 1)]
    devices = [("kiosk-01", "kiosk", ""), ("keypad-1", "keypad", "w1")] + [(w, "wall", "") for w in walls]
    log = WallLog(len(walls))
    with running_hall(devices) as (broker, directory, _backend):
        disk = durable_commits_per_s(directory)
        pooled = ["kiosk-01", "keypad-1"] + ([] if args.bus_walls else walls)
        pool = ClientPool(HALL, [broker.settings(d) for d in pooled])
        bus_walls = []
        if args.bus_walls:
            from protocol.client import MqttBus

            def bus_handler(index: int):
                def handler(message) -> None:  # on the wall's bus worker thread
                    received = time.perf_counter()
                    if not message.retain:
                        log.record(index, message.payload, received, received)
                return handler

            for index, wall in enumerate(walls):
                bus = MqttBus(broker.settings(wall), HALL, device=wall)
                bus.subscribe(bus.topics.call_event(), bus_handler(index))
                bus_walls.append(bus.start())
        else:
            def pool_handler(index: int, topic: str, payload: bytes, info, received: float) -> None:
                if not info.retain:  # as the bus walls: a call event is never retained
                    log.record(index - 2, payload, received, pool.turn_time)  # on the pool's loop thread

            pool.subscribe(pool.topics.call_event(), pool_handler, clients=range(2, len(pooled)))
        pool.start()
        try:
            assert all(b.wait_connected(10) for b in bus_walls), "a wall could not connect"
            kiosk, keypad = pool.device(0), pool.device(1)
            wait_for_backend(kiosk, lambda: request("ticket.issue", queue="qa"))
            for _ in range(args.calls + WARMUP_CALLS):
                kiosk.call(request("ticket.issue", queue="qa"), timeout=10)
            keypad.call(request("window.resume"), timeout=10)
            steal = StealMeter()

            press_to_wall: list[float] = []
            press_to_readable: list[float] = []   # pool walls: until the loop saw the socket readable
            press_to_reply: list[float] = []
            backend_to_wall: list[float] = []
            spread: list[float] = []    # per call: first wall's receipt -> last wall's
            for n in range(args.calls + WARMUP_CALLS):
                log.arm()
                reply, pressed, replied = keypad.request_timed(request("window.call_next"), timeout=10)
                assert reply.ok, f"call {n} failed: {reply.error}"
                ticket_id = reply.result["window"]["serving"]["id"]
                got = log.wait_all(timeout=10)
                assert len(got) == len(walls), f"only {len(got)} of {len(walls)} walls got call {n}"
                receipts = []
                for wall, events in got.items():
                    decoded = [(perf, ready, clock, decode(CallEvent, payload))
                               for perf, ready, clock, payload in events]
                    assert len(decoded) == 1 and decoded[0][3].ticket_id == ticket_id, (
                        f"{walls[wall]} got {[e.ticket_id for *_, e in decoded]} for call {n} "
                        f"(ticket {ticket_id})")
                    receipts.append(decoded[0])
                if n >= WARMUP_CALLS:
                    press_to_wall += [(perf - pressed) * 1000 for perf, *_ in receipts]
                    press_to_readable += [(ready - pressed) * 1000 for _, ready, *_ in receipts]
                    press_to_reply.append((replied - pressed) * 1000)
                    spread.append((max(r[0] for r in receipts) - min(r[0] for r in receipts)) * 1000)
                    backend_to_wall += [(clock - event.at.timestamp()) * 1000 for _, _, clock, event in receipts]
                keypad.call(request("window.finish"), timeout=10)
        finally:
            pool.stop()
            for bus in bus_walls:
                bus.stop()
        stolen = steal.share()
        load = os.getloadavg()[0]
    def figures(values: list[float]) -> str:
        return (f"p50 {percentile(values, 50):.2f} ms, p99 {percentile(values, 99):.2f} ms, "
                f"max {max(values):.2f} ms")

    kind = ("walls as MqttBus: a network thread + worker hop each" if args.bus_walls
            else "walls on one load-generator thread")
    print(f"window.call_next -> events/call at {args.walls} walls, {args.calls} calls, over MQTT ({kind})")
    print(f"  press -> wall:   {figures(press_to_wall)} ({len(press_to_wall):,} wall receipts)")
    if not args.bus_walls:
        print(f"  press -> wall socket readable: {figures(press_to_readable)} (without the one loop thread's "
              f"time on the other walls' messages)")
    print(f"  first -> last wall of a call: p50 {percentile(spread, 50):.2f} ms, p99 {percentile(spread, 99):.2f} ms "
          f"(fan-out spread as the walls' code saw it)")
    print(f"  press -> keypad's reply: {figures(press_to_reply)} (the reply goes out after the call event)")
    print(f"  backend -> wall: p50 {percentile(backend_to_wall, 50):.2f} ms, "
          f"p99 {percentile(backend_to_wall, 99):.2f} ms (from the call's timestamp: commit + fan-out)")
    print(f"  context: this disk did {disk:,.0f} bare durable SQLite commits/s just before the run; "
          f"load average {load:.1f} on {os.cpu_count()} cores; CPU steal {stolen:.0%}; lost connections: {pool.disconnects}, "
          f"publishes refused by the broker: {sum(pool.publish_errors.values())}")
    print("  target:  p99 <= 5 ms (issue 4)")
    print(f"  reproduce: python bench/bench_calls.py --walls {args.walls} --calls {args.calls}"
          + (" --bus-walls" if args.bus_walls else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
