"""The wall as a Kivy App: the screen, the node, screenshots when offscreen, the watchdog."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window

from hallcore import systemd as sdnotify
from ..node import SignageNode
from ..wallmodel import WallModel
from .screen import WallScreen
from .shots import ScreenshotRing

log = logging.getLogger(__name__)


class WallApp(App):
    title = "OneStop Hall wall"

    def __init__(self, node: SignageNode, model: WallModel, *, rotation: int = 0,
                 screenshot_dir: Path | None = None, screenshot_interval_s: float = 60.0,
                 screenshot_keep: int = 10, **kwargs):
        super().__init__(**kwargs)
        self.node = node
        self.model = model
        self.rotation = rotation
        self.screenshot_dir = screenshot_dir
        self.screenshot_interval_s = screenshot_interval_s
        self.screenshot_keep = screenshot_keep
        self.screen: WallScreen | None = None
        self.shots: ScreenshotRing | None = None
        self._events = []

    def load_kv(self, filename=None) -> bool:
        """The screen loads wall.kv itself (App would load it again by its name)."""
        return True

    def build(self) -> WallScreen:
        self.screen = WallScreen(self.model)
        self.node.on_update = self.screen.poke
        return self.screen

    def on_start(self) -> None:
        if self.rotation:
            Window.rotation = self.rotation
        Window.show_cursor = False
        assert self.screen is not None
        self.screen.start()
        self.node.start()
        if self.screenshot_dir is not None:
            self.shots = ScreenshotRing(self.screen, self.screenshot_dir, self.screenshot_keep)
            log.info("offscreen: screenshots of the wall go to %s (wall-latest.png, every %g s)",
                     self.screenshot_dir, self.screenshot_interval_s)
            self._events.append(Clock.schedule_once(self.shots.take, 2.0))
            self._events.append(Clock.schedule_interval(self.shots.take, self.screenshot_interval_s))
        interval = sdnotify.watchdog_interval_s()
        if interval:
            self._events.append(Clock.schedule_interval(lambda _dt: sdnotify.notify("WATCHDOG=1"), interval))
        signal.signal(signal.SIGTERM, lambda *_: Clock.schedule_once(lambda _dt: self.stop(), 0))
        sdnotify.notify("READY=1")

    def on_stop(self) -> None:
        for event in self._events:
            event.cancel()
        self._events.clear()
        if self.screen is not None:
            self.screen.stop()
        self.node.stop()
