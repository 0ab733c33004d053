"""Screenshots of the wall at several moments of a simulated morning: ``python -m signage.morning DIR``.

Also writes ``bar-*.png``: a window bar calling, paused and idle.

Everything runs on a hand-driven clock through a FakeBus, exactly as in the
hall: the demo backend publishes retained state and call events, the node
decodes them, the wall model decides, the Kivy screen draws offscreen.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from protocol.models import Announcement

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOSTILE = "[color=ff0000]x[/color] <script>alert(1)</script> &bl; 请勿相信"


def _draw(screen, frames: int = 3) -> None:
    from kivy.base import EventLoop

    screen.refresh()
    for _ in range(frames):
        EventLoop.idle()
    screen.refresh()
    EventLoop.idle()


def shoot(out: Path, *, font: str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc") -> list[Path]:
    from kivy.base import EventLoop

    from protocol.fakebus import FakeBroker, FakeBus

    from .clock import ManualClock
    from .demo import DemoHall
    from .node import SignageNode
    from .settings import SignageSettings
    from .wall import shots
    from .wall.fonts import use_cjk_font
    from .wall.screen import WallScreen
    from .wallmodel import WallModel

    use_cjk_font(font)
    EventLoop.ensure_window()
    clock = ManualClock(datetime(2025, 3, 10, 8, 58, 40, tzinfo=SHANGHAI))
    broker = FakeBroker()
    backend = FakeBus(broker, "linan", client_id="backend").start()
    hall = DemoHall(backend, clock)
    hall.publish_all()
    settings = SignageSettings(hall="linan", device="wall-1", health_interval_s=0)
    model = WallModel(clock, idle_message=settings.idle_message)
    node = SignageNode(settings, FakeBus(broker, "linan", device="wall-1"), clock, wall=model).start()
    written = []

    def run_for(seconds: float) -> None:
        """Let time pass as on the wall: the model is asked for a view four times a second."""
        for _ in range(int(seconds * 4)):
            clock.advance(0.25)
            model.view()

    def moment(name: str, size=(1920, 1080)) -> None:
        screen = WallScreen(model, size_hint=(None, None), size=size)
        try:
            _draw(screen)
            written.append(shots.save(screen, out / f"wall-{name}.png"))
        finally:
            screen.stop()

    try:
        for queue, count in (("qA", 6), ("qB", 9), ("qC", 4), ("qD", 3), ("qE", 5), ("qF", 2)):
            hall.issue(queue, count)
        moment("1-before-opening")
        clock.set(datetime(2025, 3, 10, 9, 0, 3, tzinfo=SHANGHAI))
        hall.call(1)
        run_for(0.25)
        moment("2-first-call")
        clock.set(datetime(2025, 3, 10, 9, 0, 30, tzinfo=SHANGHAI))
        for window in (3, 5, 7):          # three windows press "next" together
            hall.call(window)
        run_for(3.25)                      # the second has its turn; the third waits
        moment("3-three-at-once")
        for minute in range(2, 95, 3):
            clock.set(datetime(2025, 3, 10, 9, 0, 0, tzinfo=SHANGHAI) + timedelta(minutes=minute))
            hall.call(1 + minute % 12)
            hall.issue("qB", 1)
            run_for(10)
        hall.publish_announcements(Announcement(
            id="system", text="因系统升级，今日11:30至12:00暂停不动产登记业务，请合理安排时间。", priority="high",
            start=clock.now() - timedelta(minutes=5), end=clock.now() + timedelta(hours=3)))
        run_for(30)                        # the last call's highlight is over
        moment("4-mid-morning")
        moment("5-portrait", size=(1080, 1920))
        last = hall.recent[0]
        hall.call(last.window_number, last.queue, kind="recall", ticket=last.ticket)
        run_for(0.75)                      # the flash in its "off" phase
        moment("6-recall-flash-off")
        hall.publish_announcements(Announcement(
            id="hostile", text=HOSTILE, priority="high", start=clock.now() - timedelta(minutes=1), end=clock.now() + timedelta(hours=1)))
        broker.set_online(False)
        run_for(30)
        moment("7-offline-hostile-text")
    finally:
        node.stop()
    return written


def shoot_bars(out: Path) -> list[Path]:
    """What a window bar shows while calling, paused and idle (the emulator's dot-matrix PNG)."""
    from hardware.ledbar import BarMode, BarState, render_bar_png, render_bar_text

    out.mkdir(parents=True, exist_ok=True)
    states = {"calling": BarState("3号窗口", BarMode.CALLING, ticket_number="A012"),
              "paused": BarState("3号窗口", BarMode.PAUSED, staff_name="王磊"),
              "idle": BarState("3号窗口", BarMode.IDLE, staff_name="王磊", staff_post="综合受理岗")}
    paths = []
    for n, (name, state) in enumerate(states.items(), start=1):
        path = out / f"bar-{n}-{name}.png"
        render_bar_png(render_bar_text(state), path, width=256)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "docs/screenshots")
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    for path in shoot(out) + shoot_bars(out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
