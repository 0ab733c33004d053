"""Fixtures shared by every test package.

Kivy reads its environment when it is first imported, so the offscreen
settings are set here, before any test module imports it.
"""

from __future__ import annotations

import os
import tempfile

_KIVY_HOME = tempfile.mkdtemp(prefix="hall-kivy-")
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_HOME", _KIVY_HOME)
os.environ.setdefault("KIVY_AUDIO", "sdl2")
if os.environ.get("SDL_VIDEODRIVER") == "offscreen":
    os.environ.pop("DISPLAY", None)

pytest_plugins = ["tests.support.broker", "tests.support.fixtures"]

# CI runs the same hypothesis examples every time (a failure there reproduces);
# developers' runs keep exploring new ones, and a new failure becomes an @example.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")
