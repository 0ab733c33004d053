"""Screenshots of the wall (offscreen runs, tests, docs).

The caller names the file, it is written atomically, and a ring of ``keep`` numbered files plus
``wall-latest.png`` bounds the disk use of a node that runs for weeks.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def render(widget):
    """The widget drawn into its own framebuffer, as a Pillow image (RGB, top row first).

    Independent of the window: the offscreen window's surface keeps the size it
    was created with, so a test cannot get a 1920×1080 frame from an 800×600
    window, but a widget of any size renders here.  The wall paints an opaque
    background; anything transparent comes out black, as on the LED wall.
    """
    from PIL import Image

    image = widget.export_as_image()
    texture = image.texture
    rgba = Image.frombytes("RGBA", texture.size, bytes(texture.pixels))
    background = Image.new("RGB", rgba.size, (0, 0, 0))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def save(widget, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    render(widget).save(tmp, format="PNG")
    os.replace(tmp, path)
    return path


class ScreenshotRing:
    """Every call to :meth:`take` writes ``wall-latest.png`` and the next of ``keep`` numbered files."""

    def __init__(self, widget, directory: str | os.PathLike, keep: int = 10, prefix: str = "wall"):
        self.widget = widget
        self.directory = Path(directory)
        self.keep = max(1, keep)
        self.prefix = prefix
        self.count = 0

    def take(self, *_) -> Path | None:
        try:
            numbered = save(self.widget, self.directory / f"{self.prefix}-{self.count % self.keep:02d}.png")
            save(self.widget, self.directory / f"{self.prefix}-latest.png")
        except OSError as exc:
            log.warning("cannot write a screenshot in %s: %s", self.directory, exc)
            return None
        if self.count == 0:
            log.info("first screenshot written: %s", numbered)
        self.count += 1
        return numbered
