"""Memory of a wall over a day: 2,000 calls through the node, the wall model and the real widget tree.

Replays a simulated day (08:30-17:30) on a hand-driven clock: every call
publishes what the backend would (call event, window state, recent calls,
queue state), tickets are issued, windows start serving, announcements
change every 100 calls and the catalog is republished at noon.  The wall
model and the Kivy screen (1920x1080, offscreen) are updated twice per call,
the marquee scrolls, and a frame is drawn every ``--draw-every`` calls (text
rasterising on llvmpipe costs ~5 ms a label; a Pi's GPU does not help there).  RSS is printed at the start (after 100
warm-up calls), every 250 calls and at the end, with the least-squares slope
(over a sample every 100 calls) in KB per 1,000 calls.

    python bench/bench_signage_memory.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="bench-kivy-"))
os.environ.pop("DISPLAY", None)

from kivy.config import Config  # noqa: E402

Config.set("graphics", "width", "1920")
Config.set("graphics", "height", "1080")


def slope_kb_per_1000(points: list[tuple[int, int]]) -> float:
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return 1000 * sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--trace", action="store_true", help="also show where Python memory grew (tracemalloc)")
    parser.add_argument("--draw-every", type=int, default=4,
                        help="draw a frame every N calls (llvmpipe renders CJK text slowly: ~5 ms a label)")
    args = parser.parse_args(argv)

    from kivy.base import EventLoop
    from kivy.core.window import Window

    from protocol.fakebus import FakeBroker, FakeBus
    from protocol.models import Announcement
    from signage.clock import ManualClock
    from signage.demo import DemoHall
    from signage.node import SignageNode, rss_kb
    from signage.settings import SignageSettings
    from signage.wall.fonts import use_cjk_font
    from signage.wall.screen import WallScreen
    from signage.wallmodel import WallModel

    use_cjk_font("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    EventLoop.ensure_window()
    tz = ZoneInfo("Asia/Shanghai")
    clock = ManualClock(datetime(2025, 3, 10, 8, 30, tzinfo=tz))
    broker = FakeBroker()
    backend = FakeBus(broker, "linan", client_id="backend").start()
    hall = DemoHall(backend, clock)
    hall.publish_all()
    settings = SignageSettings(hall="linan", device="wall-1", health_interval_s=0)
    model = WallModel(clock, idle_message=settings.idle_message)
    node = SignageNode(settings, FakeBus(broker, "linan", device="wall-1"), clock, wall=model).start()
    screen = WallScreen(model)
    Window.add_widget(screen)
    node.on_update = screen.poke
    step = 9 * 3600 / args.calls                         # seconds between calls over the day

    frames = 0

    def tick(dt: float, draw: bool) -> None:
        nonlocal frames
        clock.advance(dt)
        screen.refresh()
        screen.ids.marquee.step(dt)
        if draw:
            EventLoop.idle()
            frames += 1

    if args.trace:
        import tracemalloc

        tracemalloc.start(10)
    snapshot = None
    samples: list[tuple[int, int]] = []
    started = time.monotonic()
    start_rss = None
    for n in range(1, args.calls + 1):
        window = 1 + (n * 7) % 12
        hall.issue(hall.windows[window - 1].queues[0], 1)
        if n % 9 == 0 and hall.recent:
            last = hall.recent[0]
            hall.call(last.window_number, last.queue, kind="recall", ticket=last.ticket)
        else:
            hall.call(window)
        hall.start_serving(1 + (n * 5) % 12)
        if n % 100 == 0:
            hall.publish_announcements(Announcement(
                id=f"n{n}", text=f"第{n}号通知：今日{n % 24}点起部分业务调整，请留意窗口公告。" * (1 + n % 5),
                priority="high" if n % 200 == 0 else "normal",
                start=clock.now(), end=clock.now() + timedelta(hours=1)))
        if n == args.calls // 2:
            hall.publish_catalog(version=2)
        broker.log.clear()   # the fake broker keeps every message for test assertions: not the wall's memory
        tick(step / 2, False)
        tick(step / 2, n % args.draw_every == 0)
        if n == 100:
            gc.collect()
            start_rss = rss_kb()
            if args.trace:
                snapshot = tracemalloc.take_snapshot()
        if n >= 100 and (n % 100 == 0 or n == args.calls):
            gc.collect()
            samples.append((n, rss_kb()))
            if n % 250 == 0 or n == args.calls:
                print(f"  after {n:5d} calls: RSS {samples[-1][1] / 1024:7.1f} MiB", flush=True)
    elapsed = time.monotonic() - started
    if snapshot is not None:
        gc.collect()
        print("\nPython allocations that grew most since call 100 (tracemalloc):")
        for stat in tracemalloc.take_snapshot().compare_to(snapshot, "traceback")[:8]:
            print(f"  {stat.size_diff / 1024:+9.1f} KB  {stat.traceback.format()[-1].strip()}")
    end_rss = samples[-1][1]
    Window.remove_widget(screen)
    screen.stop()
    node.stop()
    print()
    print(f"calls replayed        : {args.calls} (+ window, queue, recent updates); "
          f"{2 * args.calls} model ticks, {frames} frames drawn at 1920x1080")
    print(f"RSS at start (100)    : {start_rss / 1024:.1f} MiB")
    print(f"RSS at end ({args.calls})     : {end_rss / 1024:.1f} MiB")
    half = [s for s in samples if s[0] >= args.calls // 2]
    print(f"slope                 : {slope_kb_per_1000(samples):+.1f} KB per 1,000 calls "
          f"(second half of the day: {slope_kb_per_1000(half):+.1f})")
    print(f"calls announced       : {node.calls_announced}, highlight queue now {model.highlight.waiting}")
    print(f"wall time             : {elapsed:.1f} s")
    print(f"reproduce             : python bench/bench_signage_memory.py --calls {args.calls} "
          f"--draw-every {args.draw_every}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
