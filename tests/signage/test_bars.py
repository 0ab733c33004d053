"""The window LED bars: what they show (pure), and the node driving emulated bars over ptys."""

from datetime import timedelta

import pytest

from hardware.ledbar import BarMode, EmulatedLedBar, plain_text, render_bar_text
from protocol.codec import decode
from protocol.fakebus import FakeBus
from protocol.models import Alert, Announcement, Announcements, DeviceConfig, TicketRef, WindowState
from signage.barstate import bar_state
from signage.bars import BarWorker, PortPool
from signage.calls import Call
from signage.clock import SystemClock
from signage.demo import DemoHall
from signage.node import BAR_ALERT, SignageNode
from signage.settings import BarSettings, SignageSettings

from .conftest import HALL

WAIT = 10.0  # seconds: an upper bound for a pty round trip on a busy machine, never a sleep


def window(clock, status="open", serving=None, *, staff="张敏", at=None):
    return WindowState(id="w03", number=3, name="3号窗口", status=status, staff_name=staff,
                       staff_post="综合受理岗", serving=serving, updated_at=at or clock.now())


def call(clock, ticket="A012", at=None):
    return Call("ev1", ticket, "w03", 3, "qA", "call", at or clock.now())


def text(state):
    return plain_text(render_bar_text(state))


# -- what a bar shows ---------------------------------------------------------------------
def test_a_call_for_the_window_shows_number_and_window(clock):
    state = bar_state("3号窗口", window(clock, at=clock.now() - timedelta(seconds=1)), call(clock), clock.now())
    assert state.mode is BarMode.CALLING and text(state) == "A012 请到3号窗口"


def test_the_called_ticket_in_the_window_state_shows_too(clock):
    serving = TicketRef(id="t1", number="B007", queue="qB", state="called", since=clock.now())
    assert text(bar_state("3号窗口", window(clock, serving=serving), None, clock.now())) == "B007 请到3号窗口"


def test_a_newer_window_state_ends_the_call_display(clock):
    serving = TicketRef(id="t1", number="A012", queue="qA", state="serving", since=clock.now())
    state = bar_state("3号窗口", window(clock, serving=serving, at=clock.now() + timedelta(seconds=5)),
                      call(clock), clock.now() + timedelta(seconds=5))
    assert state.mode is BarMode.IDLE and text(state) == "3号窗口 张敏 综合受理岗 欢迎办理"


def test_the_call_display_ends_after_its_hold(clock):
    later = clock.now() + timedelta(seconds=31)
    assert bar_state("3号窗口", None, call(clock), later, hold_s=30).mode is BarMode.IDLE


def test_paused_shows_the_staff_name_and_closed_the_window(clock):
    assert text(bar_state("3号窗口", window(clock, "paused"), None, clock.now())) == "张敏 暂停服务"
    assert text(bar_state("3号窗口", window(clock, "closed"), None, clock.now())) == "3号窗口 暂停服务"


def test_a_bar_announcement_replaces_the_idle_text_but_never_a_call(clock):
    now = clock.now()
    anns = Announcements(items=(
        Announcement(id="a", text="今日\n下午停电", targets=("bar",), start=now - timedelta(minutes=1),
                     end=now + timedelta(minutes=1)),
        Announcement(id="w", text="只在大屏", targets=("wall",), start=now - timedelta(minutes=1),
                     end=now + timedelta(minutes=1))), updated_at=now)
    idle = bar_state("3号窗口", window(clock), None, now, announcements=anns)
    assert text(idle) == "3号窗口 张敏 综合受理岗 今日 下午停电"
    calling = bar_state("3号窗口", window(clock, at=now - timedelta(seconds=1)), call(clock), now,
                        announcements=anns)
    assert calling.mode is BarMode.CALLING


# -- bars over ptys ----------------------------------------------------------------------------
@pytest.fixture
def real_clock():
    return SystemClock("Asia/Shanghai")


@pytest.fixture
def bar_node(broker, real_clock, tmp_path):
    """A bar-only node with emulated bars; returns (node, emulators, hall)."""
    made = []

    def make(*specs, node_window="", device="bar-1"):
        emulators, workers, pool = [], [], PortPool()
        for n, (win, answer) in enumerate(specs, start=1):
            emulator = EmulatedLedBar(address=n, answer=answer).start()
            cfg = BarSettings(port=emulator.port, address=n, window=win, timeout_s=0.2, retries=0)
            emulators.append(emulator)
            workers.append(BarWorker(cfg, pool, real_clock, window=node_window, emulator=emulator,
                                     output_dir=tmp_path, name=f"{n:02d}-{win or 'node'}", refresh_s=60,
                                     backoff_s=(0.2, 0.5)))
        settings = SignageSettings(hall=HALL, device=device, role="bar", window=node_window,
                                   health_interval_s=0)
        node = SignageNode(settings, FakeBus(broker, HALL, device=device), real_clock, bars=workers).start()
        made.append((node, emulators, pool))
        return node, emulators

    yield make
    for node, emulators, pool in made:
        node.stop()
        pool.close()
        for emulator in emulators:
            emulator.stop()


@pytest.fixture
def live_hall(backend, real_clock):
    hall = DemoHall(backend, real_clock)
    hall.publish_all()
    return hall


def test_the_bar_shows_the_staff_then_the_call_then_the_pause(live_hall, bar_node, tmp_path):
    node, (bar,) = bar_node(("w03", True))
    assert bar.wait_for_text("3号窗口 王磊 综合受理岗 欢迎办理", WAIT)
    live_hall.call(3)
    assert bar.wait_for_text("B001 请到3号窗口", WAIT)
    assert node.bars[0].wait_shown(lambda state: state.ticket_number == "B001", WAIT)
    assert (tmp_path / "bar-01-w03.png").is_file()
    assert "B001" in (tmp_path / "bar-01-w03.txt").read_text(encoding="utf-8")
    live_hall.set_window("w03", "paused")
    assert bar.wait_for_text("王磊 暂停服务", WAIT)
    assert node.bars[0].answering is True


def test_a_silent_bar_raises_the_alert_and_the_others_are_still_served(live_hall, bar_node, broker):
    node, (mute, good) = bar_node(("w03", False), ("w05", True))
    topic = node.topics.device_alert("bar-1", BAR_ALERT)
    worker = node.bars[0]
    assert worker.wait_until(lambda bar: bar.answering is False and topic in broker.retained, WAIT)
    alert = decode(Alert, broker.retained[topic])
    assert alert.kind == "bar_not_answering" and "01-w03" in alert.message and "3号窗口" in alert.message_zh
    live_hall.call(5)
    assert good.wait_for_text("C001 请到5号窗口", WAIT)
    attempts = worker.attempts
    assert worker.wait_until(lambda bar: bar.attempts >= attempts + 2, WAIT)  # still trying
    assert worker.answering is False and len(mute.frames) >= attempts + 2
    mute.answer = True                                                       # fixed: it answers again
    assert worker.wait_until(lambda bar: bar.answering is True and topic not in broker.retained, WAIT)
    assert broker.published(topic)[-1].payload == b""                        # cleared, retained empty


def test_the_device_config_binds_a_bar_to_its_window(live_hall, bar_node):
    node, (bar,) = bar_node(("", True))
    config = DeviceConfig(device="bar-1", role="bar", window="w07")
    live_hall.bus.publish(node.topics.device_config("bar-1"), config, retain=True)
    assert bar.wait_for_text("7号窗口 赵丽 综合受理岗 欢迎办理", WAIT)
    live_hall.call(7)
    assert bar.wait_for_text("D001 请到7号窗口", WAIT)
