"""Helpers to drive the real kiosk app offscreen: frames, touches, widget lookup, screenshots."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from tests.support.shots import shots_dir

DOCS_SHOTS = shots_dir()


def frames(count: int = 4) -> None:
    """Let Kivy run *count* frames: the model → screen trigger, layout, textures."""
    from kivy.base import EventLoop

    for _ in range(count):
        EventLoop.idle()


def tap(widget) -> None:
    """A real touch (down + up) at the widget's centre, through the window's input dispatch."""
    from kivy.tests.common import UnitTestTouch

    assert not widget.disabled, f"{widget!r} ({getattr(widget, 'text', '')!r}) is disabled"
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()
    frames()


def press(widget) -> None:
    """Dispatch a button's own press and release (for buttons scrolled out of view)."""
    widget.dispatch("on_press")
    widget.dispatch("on_release")
    frames()


def walk(root):
    yield root
    for child in root.children:
        yield from walk(child)


def texts(root) -> list[str]:
    return [w.text for w in walk(root) if isinstance(getattr(w, "text", None), str) and w.text]


def button(root, text: str):
    """The one button whose text contains *text*."""
    from kivy.uix.button import Button

    found = [w for w in walk(root) if isinstance(w, Button) and text in w.text]
    assert len(found) == 1, f"{len(found)} buttons with {text!r}: {[w.text for w in found]}"
    return found[0]


def screenshot(app, folder: Path, name: str, *, docs: bool = False) -> Image.Image:
    """Capture the app as a person would see it; check that it is not blank; return the image."""
    from kiosk.ui.capture import capture

    frames(3)
    path = capture(app.root, folder / f"kiosk-{name}.png")
    image = Image.open(path).convert("RGB")
    assert image.size == tuple(int(v) for v in app.root.size)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 40, "a near-blank screenshot"
    background = max(colours)[1]
    covered = sum(count for count, colour in colours if colour != background)
    assert covered > 0.08 * image.width * image.height, "almost only background"
    if docs:
        shutil.copyfile(path, DOCS_SHOTS / f"kiosk-{name}.png")
    return image
