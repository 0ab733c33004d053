"""Ticket issue throughput and latency: N kiosks over the real broker (MQTT v5, QoS 1), the backend
as its own process with durable commits (SQLite WAL, synchronous=FULL).

The kiosks are lean clients of one load-generator thread (bench/loadgen.py: a minimal MQTT v5
client of its own, all N connections on a single epoll loop; paho cost ~0.6 ms of generator CPU
per request, see there), so the figures measure the broker and the backend, not 2N client
threads fighting for the GIL nor the generator's MQTT library.  Each kiosk has at most one
request outstanding, as a kiosk does.  Every request gets exactly one reply checked: decoded as
a ``Reply``, matched by its correlation id, ``ok`` false counted as an error, no reply within
``--drain`` seconds counted as a timeout.

After the backend answers and a ``--warmup`` period whose results are discarded, two phases:

* **open loop** (the target figure): ``--rate`` tickets/s offered in total, spread evenly over
  the kiosks (each sends on its own fixed interval, phases staggered).  If a kiosk's previous
  reply has not come when its next slot arrives, it sends as soon as the reply does; latency is
  measured from the *scheduled* slot to the reply, so a stall is not hidden (no coordinated
  omission).  Slots a kiosk never reached before the window closed are reported as never sent;
  the percentiles are printed over all offered tickets (unanswered ones - never sent or timed
  out - counting as infinite) and over the answered ones.
* **closed loop** (saturation): each kiosk sends the next request as soon as it has the reply;
  latency from the actual send.

Both windows last ``--seconds``; afterwards nothing new is sent and the phase ends once every
request sent in the window is answered or has timed out (at most ``--drain`` seconds later; a kiosk
whose request timed out moves on).  The generator reports its own cost so that it can be ruled out:
the loop thread's CPU (share of a core, per request) and, in the open loop, its timer lag (how late
a paced send left when the kiosk was idle).  The per-request CPU depends on the rate: when the
loop sleeps between replies, each wake-up on this 2-core VM makes the same Python work cost 2-4
times more CPU (cold caches), so ~60-90 us per request at saturation becomes ~200 us at ~500
requests/s; the share of a core is the figure that says whether the generator could be the limit.
Target (issue 4): >= 2,000 tickets/s, p99 <= 10 ms.

    python bench/bench_tickets.py [--clients 20] [--seconds 10] [--rate 2000] [--warmup 2] [--drain 5]
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import time
from collections import Counter
from concurrent.futures import Future
from typing import Callable

from hallrig import (
    HALL,
    QUEUE_IDS,
    durable_commits_per_s,
    StealMeter,
    percentile,
    process_cpu_s,
    running_hall,
    wait_for_backend,
)
from loadgen import ClientPool

from protocol import new_id
from protocol.models import Reply, Request

#: A send more than this after its slot counts as late.
LATE_S = 0.001
#: The first slots are this far after the phase starts, so that none is late by construction.
LEAD_S = 0.02


def issue(kiosk: int = 0) -> Request:
    """A ticket in one of the hall's queues (kiosk *i* takes queue *i* mod the queue count: each
    queue gives at most 9,999 numbers a day, fewer than a run at 2,000/s takes)."""
    return Request(id=new_id("b"), type="ticket.issue", params={"queue": QUEUE_IDS[kiosk % len(QUEUE_IDS)]})


class Phase:
    """One measuring window of kiosks, run entirely on the pool's loop thread.

    ``rate`` None: closed loop; otherwise an open loop offering ``rate`` requests/s in total.
    :meth:`start` is a :meth:`ClientPool.run` job: the future gets this phase once every request
    sent in the window has its reply or has timed out.
    """

    def __init__(self, pool: ClientPool, kiosks: int, seconds: float, *, rate: float | None,
                 drain: float, backend_cpu: Callable[[], float] = lambda: 0.0):
        self.pool, self.kiosks, self.seconds, self.rate, self.drain = pool, kiosks, seconds, rate, drain
        self.backend_cpu = backend_cpu                           # the backend process's CPU seconds
        self.interval = kiosks / rate if rate else 0.0          # one kiosk's slot spacing
        self.next_slot = [0] * kiosks                            # open loop: next slot to send
        self.outstanding: list[tuple[str, float, float] | None] = [None] * kiosks  # id, slot, sent
        self.timers: list = [None] * kiosks                      # per-request timeout timers
        self.latencies: list[float] = []                         # slot (or send) -> reply, s
        self.service: list[float] = []                           # actual send -> reply, s
        self.timer_lag: list[float] = []                         # timer-fired send - slot, s
        self.sent = self.replies = self.ok = self.timeouts = self.bad = 0
        self.late = self.blocked = 0
        self.errors: Counter[str] = Counter()
        self.closed = False
        self.t0 = self.t_end = self.last_reply = 0.0
        self.cpu_s = 0.0
        self.stray_before = 0
        self.stray = 0

    # -- schedule ----------------------------------------------------------------
    def slot_time(self, kiosk: int, slot: int) -> float:
        return self.t0 + kiosk / self.rate + slot * self.interval

    def offered(self) -> int:
        """Slots inside the window over all kiosks (open loop)."""
        total = 0
        for kiosk in range(self.kiosks):
            first = self.slot_time(kiosk, 0)
            if first < self.t_end:
                total += int((self.t_end - first - 1e-12) // self.interval) + 1
        return total

    def start(self, future: Future) -> None:
        self.future = future
        self.cpu_start, self.stray_before = self.pool.loop_cpu_s(), self.pool.stray_replies
        self.backend_start = self.backend_cpu()
        self.t0 = time.perf_counter() + LEAD_S
        self.t_end = self.t0 + self.seconds
        self.pool.call_at(self.t_end, self._close)
        for kiosk in range(self.kiosks):
            if self.rate:
                if self.slot_time(kiosk, 0) < self.t_end:
                    self.pool.call_at(self.slot_time(kiosk, 0), self._slot_due, kiosk)
            else:
                self.pool.call_at(self.t0, self._send, kiosk, 0.0)

    def _slot_due(self, kiosk: int) -> None:
        """Timer: the kiosk's next slot has come (it is idle, else no timer was set)."""
        slot = self.slot_time(kiosk, self.next_slot[kiosk])
        self.timer_lag.append(time.perf_counter() - slot)
        self._send(kiosk, slot)

    def _idle(self, kiosk: int, now: float) -> None:
        """The kiosk's last request is finished: send its next one now, later, or never."""
        if self.closed:
            return
        if not self.rate:
            self._send(kiosk, now)
            return
        slot = self.slot_time(kiosk, self.next_slot[kiosk])
        if slot >= self.t_end:
            return
        if slot <= now:
            self.blocked += 1  # the slot came while the previous reply was still awaited
            self._send(kiosk, slot)
        else:
            self.pool.call_at(slot, self._slot_due, kiosk)

    # -- one request ---------------------------------------------------------------
    def _send(self, kiosk: int, slot: float) -> None:
        if self.closed:
            return
        request = issue(kiosk)
        sent = self.pool.send_request(kiosk, request, lambda reply, t: self._reply(kiosk, reply, t))
        if self.rate:
            self.next_slot[kiosk] += 1
            if sent - slot > LATE_S:
                self.late += 1
        else:
            slot = sent  # closed loop: latency from the actual send
        self.sent += 1
        self.outstanding[kiosk] = (request.id, slot, sent)
        self.timers[kiosk] = self.pool.call_later(self.drain, self._timeout, kiosk, request.id)

    def _reply(self, kiosk: int, reply: Reply | None, received: float) -> None:
        _, slot, sent = self.outstanding[kiosk]
        self.outstanding[kiosk] = None
        self.timers[kiosk].cancel()
        self.replies += 1
        self.last_reply = received
        self.latencies.append(received - slot)
        self.service.append(received - sent)
        if reply is None:
            self.bad += 1
            self.errors["undecodable or mismatched reply"] += 1
        elif reply.ok:
            self.ok += 1
        else:
            self.errors[reply.error.code if reply.error else "?"] += 1
        self._idle(kiosk, received)
        self._maybe_finish()

    def _timeout(self, kiosk: int, request_id: str) -> None:
        current = self.outstanding[kiosk]
        if current is None or current[0] != request_id:
            return
        self.pool.forget(request_id)
        self.outstanding[kiosk] = None
        self.timeouts += 1
        self._idle(kiosk, time.perf_counter())
        self._maybe_finish()

    # -- end -------------------------------------------------------------------------
    def _close(self) -> None:
        self.closed = True
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        if self.closed and all(o is None for o in self.outstanding) and not self.future.done():
            self.cpu_s = self.pool.loop_cpu_s() - self.cpu_start
            self.backend_cpu_s = self.backend_cpu() - self.backend_start
            self.stray = self.pool.stray_replies - self.stray_before
            self.future.set_result(self)

    # -- figures ---------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        """Window start to the last reply (or the window's end if that came later)."""
        return max(self.t_end, self.last_reply) - self.t0


def ms(values: list[float], q: float) -> str:
    if not values:
        return "n/a"
    value = percentile(values, q)
    return "no reply" if value == math.inf else f"{value * 1000:.2f} ms"


def figures(values: list[float]) -> str:
    return f"p50 {ms(values, 50)}, p99 {ms(values, 99)}, max {ms(values, 100)}"


def report_common(phase: Phase, indent: str = "    ") -> list[str]:
    assert phase.replies + phase.timeouts == phase.sent, "a request was neither answered nor timed out"
    errors = sum(phase.errors.values())
    detail = f" {dict(phase.errors)}" if phase.errors else ""
    unanswered = phase.sent - phase.replies
    check = "every request answered" if not unanswered else f"{unanswered:,} UNANSWERED"
    achieved = (f"{indent}achieved: {phase.ok:,} tickets in {phase.elapsed:.2f} s = "
                f"{phase.ok / phase.elapsed:,.0f} tickets/s (errors: {errors}{detail}, "
                f"timeouts: {phase.timeouts})")
    replies = (f"{indent}replies:  {phase.replies:,} checked for {phase.sent:,} requests sent in the "
               f"window - {check} ({phase.stray} stray replies to earlier requests)")
    return [achieved, replies]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="kiosks (default 20)")
    parser.add_argument("--seconds", type=float, default=10.0, help="each measuring window (default 10)")
    parser.add_argument("--rate", type=float, default=2000.0,
                        help="open loop: tickets/s offered in total (default 2000)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="closed-loop sending before measuring, discarded (default 2)")
    parser.add_argument("--drain", type=float, default=5.0,
                        help="a request without a reply after this many seconds is a timeout (default 5)")
    args = parser.parse_args(argv)

    kiosks = [f"kiosk-{i:02d}" for i in range(1, args.clients + 1)]
    devices = [(k, "kiosk", "") for k in kiosks]
    with running_hall(devices) as (broker, directory, backend):
        backend_cpu = functools.partial(process_cpu_s, backend)
        disk = durable_commits_per_s(directory)
        pool = ClientPool(HALL, [broker.settings(k) for k in kiosks]).start()
        try:
            wait_for_backend(pool.device(0), issue)
            bound = args.seconds + args.drain + 10  # a phase never takes longer than this
            if args.warmup > 0:
                pool.run(Phase(pool, len(kiosks), args.warmup, rate=None, drain=args.drain).start,
                         timeout=args.warmup + args.drain + 10)
            steal = StealMeter()
            open_loop: Phase = pool.run(Phase(pool, len(kiosks), args.seconds, rate=args.rate, drain=args.drain,
                                              backend_cpu=backend_cpu).start, timeout=bound)
            closed: Phase = pool.run(Phase(pool, len(kiosks), args.seconds, rate=None, drain=args.drain,
                                           backend_cpu=backend_cpu).start, timeout=bound)
            stolen = steal.share()
        finally:
            pool.stop()
        load = os.getloadavg()[0]

    offered = open_loop.offered()
    print(f"ticket.issue, {args.clients} kiosks over MQTT (one load-generator thread), durable commits")
    print(f"  open loop (target): {args.rate:,.0f} tickets/s offered for {args.seconds:g} s = {offered:,} "
          f"tickets, each kiosk one every {open_loop.interval * 1000:.1f} ms, at most one outstanding")
    for line in report_common(open_loop):
        print(line)
    unanswered = offered - open_loop.replies  # timed out or never sent
    print(f"    latency (scheduled slot -> reply), all {offered:,} offered, the {unanswered:,} unanswered as "
          f"infinite: {figures(open_loop.latencies + [math.inf] * unanswered)}")
    print(f"    latency (scheduled slot -> reply), the {open_loop.replies:,} answered: "
          f"{figures(open_loop.latencies)}")
    print(f"    latency (actual send -> reply), the {open_loop.replies:,} answered: {figures(open_loop.service)}")
    print(f"    late sends: {open_loop.late:,} of {open_loop.sent:,} more than {LATE_S * 1000:g} ms after "
          f"their slot ({open_loop.blocked:,} waited for the previous reply); never sent: "
          f"{offered - open_loop.sent:,} (kiosks behind when the window closed)")
    print(f"    generator timer lag (send - slot when the kiosk was idle): p50 {ms(open_loop.timer_lag, 50)}, "
          f"p99 {ms(open_loop.timer_lag, 99)}, max {ms(open_loop.timer_lag, 100)} "
          f"({len(open_loop.timer_lag):,} sends)")
    print(f"  closed loop (saturation): {args.clients} kiosks, each sends when it has the reply")
    for line in report_common(closed):
        print(line)
    print(f"    latency (send -> reply), the {closed.replies:,} answered: {figures(closed.latencies)}")
    print(f"  generator: its one loop thread used {open_loop.cpu_s / open_loop.elapsed:.0%} of a core in the "
          f"open loop, {closed.cpu_s / closed.elapsed:.0%} in the closed loop "
          f"({closed.cpu_s / max(closed.sent, 1) * 1e6:,.0f} us per request); lost connections: {pool.disconnects}, "
          f"publishes refused by the broker: {sum(pool.publish_errors.values())}")
    for name, phase in (("open", open_loop), ("closed", closed)):
        print(f"  backend ({name} loop): {phase.backend_cpu_s / phase.elapsed:.0%} of a core, "
              f"{phase.backend_cpu_s / max(phase.replies, 1) * 1e6:,.0f} us of CPU per ticket (its whole process: "
              "every thread, kernel time of its sends and commits)")
    print(f"  context: this disk did {disk:,.0f} bare durable SQLite commits/s just before the run; "
          f"load average {load:.1f} on {os.cpu_count()} cores; the hypervisor took {stolen:.0%} of the CPU "
          "time during the measured phases (steal)")
    print("  target:  >= 2,000 tickets/s, p99 <= 10 ms (issue 4)")
    print(f"  reproduce: python bench/bench_tickets.py --clients {args.clients} --seconds {args.seconds:g} "
          f"--rate {args.rate:g} --warmup {args.warmup:g} --drain {args.drain:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
