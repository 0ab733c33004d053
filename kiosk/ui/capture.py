"""Screenshots of the running kiosk: what a machine without a display shows instead.

The root widget is rendered into its own framebuffer (``export_to_png``), not
read back from the window: SDL's offscreen window keeps the framebuffer size
it was created with, so a window resized later would be cut off.  Every screen
paints an opaque background, so the image is what a visitor would see.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from kivy.clock import Clock

log = logging.getLogger(__name__)


def capture(widget, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    widget.export_to_png(str(path))
    return path


class ScreenshotRecorder:
    """Every *interval_s*: ``kiosk-00001-home.png`` ... and ``latest.png``; keeps the newest *keep*."""

    def __init__(self, app, folder: str | Path, interval_s: float = 10.0, keep: int = 60):
        self.app = app
        self.folder = Path(folder)
        self.interval_s = interval_s
        self.keep = keep
        self.count = 0
        self._event = None

    def start(self) -> "ScreenshotRecorder":
        self.folder.mkdir(parents=True, exist_ok=True)
        self._event = Clock.schedule_interval(self.capture, self.interval_s)
        return self

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def capture(self, *_args) -> Path | None:
        root = self.app.root
        if root is None:
            return None
        self.count += 1
        screen = self.app.manager.current if self.app.manager else "kiosk"
        path = capture(root, self.folder / f"kiosk-{self.count:05d}-{screen}.png")
        shutil.copyfile(path, self.folder / "latest.png")
        shots = sorted(self.folder.glob("kiosk-*.png"))
        for old in shots[:-self.keep]:
            old.unlink(missing_ok=True)
        return path
