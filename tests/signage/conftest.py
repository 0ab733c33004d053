"""Fixtures for the signage tests: a hand-driven clock, a fake hall, Kivy offscreen, voice clips."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from protocol.fakebus import FakeBroker, FakeBus
from signage.clock import ManualClock
from signage.demo import DemoHall
from signage.settings import SignageSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
HALL = "linan"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2025, 3, 10, 9, 0, 0, tzinfo=SHANGHAI))


@pytest.fixture
def broker() -> FakeBroker:
    return FakeBroker()


@pytest.fixture
def backend(broker):
    bus = FakeBus(broker, HALL, client_id="backend").start()
    yield bus
    bus.stop()


@pytest.fixture
def hall(backend, clock) -> DemoHall:
    return DemoHall(backend, clock)


@pytest.fixture
def settings() -> SignageSettings:
    return SignageSettings(hall=HALL, device="wall-1", health_interval_s=0)


@pytest.fixture
def kivy_window():
    """Kivy's one window (never closed, never resized here: the wall renders into its own Fbo)
    with the CJK font as the default; the previous default font comes back after."""
    from kivy.base import EventLoop
    from kivy.core.text import DEFAULT_FONT, LabelBase

    previous = LabelBase._fonts.get(DEFAULT_FONT)
    from signage.wall.fonts import use_cjk_font

    use_cjk_font(FONT)
    EventLoop.ensure_window()
    from kivy.core.window import Window

    yield Window
    if previous is not None:
        LabelBase._fonts[DEFAULT_FONT] = previous


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory):
    from signage.voice import generate_clips

    directory = tmp_path_factory.mktemp("clips")
    generate_clips(directory)
    return directory
