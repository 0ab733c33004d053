"""The wall drawn by Kivy offscreen from a recorded hall state, checked on its screenshots."""

from datetime import timedelta

import pytest

from protocol.fakebus import FakeBus
from protocol.models import Announcement
from signage.morning import HOSTILE
from signage.node import SignageNode
from signage.wallmodel import WallModel

from .conftest import HALL

pytestmark = pytest.mark.kivy

YELLOW = (255, 214, 0)
FLASH = (204, 5, 25)


@pytest.fixture
def wall(kivy_window, hall, broker, clock, settings):
    """(node, model, hall, make_screen): the hall's retained state already published."""
    from kivy.clock import Clock

    from signage.wall.screen import WallScreen

    hall.publish_all()
    for queue in hall.queues:
        hall.issue(queue, 5)
    model = WallModel(clock, idle_message=settings.idle_message)
    node = SignageNode(settings, FakeBus(broker, HALL, device="wall-1"), clock, wall=model).start()
    screens = []

    def make_screen(size=(1920, 1080)):
        screen = WallScreen(model, size_hint=(None, None), size=size)
        screens.append(screen)
        return screen

    yield node, model, hall, make_screen
    for screen in screens:
        screen.stop()
    node.stop()
    ours = {id(s) for s in screens} | {id(s.ids.marquee) for s in screens}
    leftovers = [ev for ev in Clock.get_events()
                 if id(getattr(ev.get_callback(), "__self__", None)) in ours]
    assert leftovers == []


def draw(screen, frames=3):
    from kivy.base import EventLoop

    screen.refresh()
    for _ in range(frames):
        EventLoop.idle()
    screen.refresh()
    EventLoop.idle()


def count(image, colour, box=None, tolerance=40):
    region = image.crop(box) if box else image
    return sum(n for n, px in region.getcolors(region.width * region.height)
               if all(abs(a - b) <= tolerance for a, b in zip(px, colour)))


def test_the_highlighted_call_is_drawn_big_and_flashing(wall):
    from signage.wall import shots

    node, model, hall, make_screen = wall
    screen = make_screen()
    hall.call(3)
    draw(screen)
    image = shots.render(screen)
    assert image.size == (1920, 1080)
    assert len(image.getcolors(1920 * 1080) or []) > 50            # not blank: text, tables, colours
    panel = (0, 110, 800, 550)                                      # the call panel, top left
    assert count(image, FLASH, panel) > 100_000                     # the flash fills the panel
    assert count(image, YELLOW, panel) > 10_000                     # a big yellow ticket number
    assert screen.call_ticket == "B001" and screen.call_window == "到 3 号窗口办理"
    assert screen.highlighted and screen.flash_on


def test_every_part_is_filled_from_the_retained_state(wall):
    node, model, hall, make_screen = wall
    screen = make_screen()
    draw(screen)
    assert screen.hall_name == "临安区政务服务中心"
    assert [r.name for r in screen.queue_rows] == ["A  商事登记", "B  公安户政", "C  社保医保", "D  税务办理",
                                                   "E  不动产登记", "F  综合受理"]
    assert screen.queue_rows[0].waiting == "5人" and screen.queue_rows[0].wait == "约10分钟"
    assert screen.item_rows[0].name == "个体工商户设立登记" and screen.item_rows[0].department == "市场监管"
    assert screen.item_page == "共34项  第1/5页"
    assert screen.time_text == "09:00:00" and screen.date_text == "2025年3月10日 星期一"
    assert screen.call_title == "欢迎光临"
    assert screen.ids.marquee.labels[0].text.startswith("本中心工作时间")


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920), (3840, 2160)])
def test_the_layout_fits_other_screens(wall, size):
    from signage.wall import shots

    node, model, hall, make_screen = wall
    hall.call(5)
    screen = make_screen(size)
    draw(screen)
    image = shots.render(screen)
    assert image.size == size
    assert count(image, YELLOW) > size[0] * size[1] // 200
    assert screen.landscape == (size[0] > size[1])


def test_hostile_text_is_rendered_literally(wall, clock):
    node, model, hall, make_screen = wall
    hall.publish_announcements(Announcement(id="x", text=HOSTILE, priority="high",
                                            start=clock.now() - timedelta(minutes=1),
                                            end=clock.now() + timedelta(hours=1)))
    evil_item = hall.items[0].model_copy(update={"name": "[b]营业执照[/b] <img src=x>"})
    hall.items[0] = evil_item
    hall.publish_catalog(version=2)
    screen = make_screen()
    draw(screen)
    label = screen.ids.marquee.labels[0]
    assert label.markup
    label.texture_update()
    shown = "".join(word.text for line in label._label._cached_lines for word in line.words)
    assert shown == ("【重要】" + HOSTILE)[:len(shown)] and "[color=ff0000]x[/color] <script>" in shown
    options = {tuple(word.options["color"]) for line in label._label._cached_lines for word in line.words}
    assert len(options) == 1                                   # one colour: the text's tags did nothing
    cell = next(c for c in screen.item_rows[0].children if c.text.startswith("[b]"))
    assert cell.text == "[b]营业执照[/b] <img src=x>" and not cell.markup


def test_widgets_are_reused_across_a_long_run(wall, clock):
    node, model, hall, make_screen = wall
    screen = make_screen()
    draw(screen)
    before = sum(1 for _ in screen.walk())
    labels = list(screen.ids.marquee.labels)
    for n in range(120):
        hall.call(1 + n % 12)
        clock.advance(7)
        screen.refresh()
        screen.ids.marquee.step(1.0)
    draw(screen)
    assert sum(1 for _ in screen.walk()) == before
    assert sorted(map(id, screen.ids.marquee.labels)) == sorted(map(id, labels))


def test_the_marquee_runs_seamlessly_through_its_chunks(wall):
    node, model, hall, make_screen = wall
    screen = make_screen()
    draw(screen)
    marquee = screen.ids.marquee
    first, second = marquee.labels
    assert second.x == pytest.approx(first.right)
    seen = set()
    for _ in range(400):
        marquee.step(0.1)
        a, b = marquee.labels
        assert b.x >= a.right - 1e-6                              # never on top of each other
        seen.add(a.text)
    assert len(seen) == len(model.view().marquee)               # every chunk came round


def test_a_simulated_morning_is_written_as_screenshots(kivy_window, tmp_path):
    from PIL import Image

    from signage.morning import shoot

    paths = shoot(tmp_path)
    assert [p.name for p in paths] == [
        "wall-1-before-opening.png", "wall-2-first-call.png", "wall-3-three-at-once.png",
        "wall-4-mid-morning.png", "wall-5-portrait.png", "wall-6-recall-flash-off.png",
        "wall-7-offline-hostile-text.png"]
    images = {}
    for path in paths:
        with Image.open(path) as image:
            images[path.name] = image.convert("RGB")
    assert images["wall-5-portrait.png"].size == (1080, 1920)
    assert images["wall-1-before-opening.png"].size == (1920, 1080)
    panel = (0, 110, 800, 550)
    assert count(images["wall-2-first-call.png"], FLASH, panel) > 100_000
    assert count(images["wall-6-recall-flash-off.png"], FLASH, panel) < 1_000
    assert count(images["wall-1-before-opening.png"], FLASH, panel) < 1_000
