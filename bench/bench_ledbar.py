"""How long a call takes to reach a window bar: encoding, and a round trip to
the emulated controller over a pty, plus the wire time at common baud rates.

    python bench/bench_ledbar.py [--sends 200]     # from the repository root

A pty does not throttle to a baud rate, so the round trip measures software
only; the wire time (10 bits per byte, 8N1) is added as a table. The hall's
target is 50 ms from call to bar, so a 9600-baud bar is too slow for a full
call text: set the controller to 57600 baud or faster.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.ledbar import (  # noqa: E402  (after the path fix above)
    BarMode, BarState, EmulatedLedBar, SerialLedBar, render_bar_text, text_frame,
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=200)
    args = parser.parse_args()

    states = [BarState("3号窗口", BarMode.CALLING, ticket_number=f"A{n:03d}")
              for n in range(args.sends)]
    started = time.perf_counter()
    frames = [text_frame(render_bar_text(state)) for state in states]
    encode_ms = (time.perf_counter() - started) * 1000 / len(frames)
    size = max(len(frame) for frame in frames)
    print(f"encode: {encode_ms:.3f} ms per call frame ({size} bytes)")

    timings = []
    with EmulatedLedBar() as fake, SerialLedBar(fake.port, timeout=1) as bar:
        for frame in frames:
            started = time.perf_counter()
            bar.send(frame)
            timings.append((time.perf_counter() - started) * 1000)
    print(f"pty round trip (send + ACK): p50 {statistics.median(timings):.2f} ms, "
          f"p99 {percentile(timings, 0.99):.2f} ms, max {max(timings):.2f} ms")
    for baud in (9600, 19200, 57600, 115200):
        print(f"wire time at {baud:>6} baud: {size * 10 / baud * 1000:6.1f} ms for the frame "
              f"+ {30 * 10 / baud * 1000:5.1f} ms for the ACK")


if __name__ == "__main__":
    main()
