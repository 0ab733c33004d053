"""The announcements page in a real browser: log in, post hostile text, see it escaped and published."""

from __future__ import annotations

import queue
from datetime import timedelta

import pytest

from backend.announce.model import Draft
from protocol import decode
from protocol.models import Announcements

from .support import MONDAY_9, PASSWORD, make_client
from tests.support.browser import SHOTS, chromium, serve

pytestmark = pytest.mark.browser

SCREENSHOT = SHOTS / "admin-announcements.png"
HOSTILE = ("[color=ff0000]假通知[/color][b]粗体[/b] <script>alert('xss')</script>"
           "<img src=x onerror=alert(2)> \u202e倒序\u202c 零宽\u200b字符")


@pytest.fixture
def server(hall):
    app, _client = make_client(hall)
    with serve(app) as url:
        yield url


def test_admin_posts_hostile_text_and_sees_it_escaped_and_published(hall, service, server):
    hour = timedelta(hours=1)
    service.create(Draft("今天 12:00–13:30 午休，综合窗口照常办理", "normal", ("wall", "bar"), MONDAY_9, MONDAY_9 + 8 * hour),
                   by="admin")
    service.create(Draft("明日上午系统升级，自助机暂停取号", "high", ("kiosk",), MONDAY_9 + 24 * hour,
                         MONDAY_9 + 26 * hour), by="admin")
    old = service.create(Draft("旧通知：已撤回", "normal", ("wall",), MONDAY_9 - hour, MONDAY_9 + hour), by="admin")
    service.withdraw(old.id, by="admin")
    arrived: queue.Queue = queue.Queue()
    wall = hall.device_bus("wall-1")
    wall.subscribe(hall.topics.announcements(), arrived.put)

    dialogs: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{server}/admin/announcements")
        assert "/login" in page.url                       # not logged in: sent to the login page
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)

        page.goto(f"{server}/admin/announcements/new")
        assert page.input_value("#start") == "2024-05-06T09:00"
        assert page.input_value("#end") == "2024-05-06T23:59"
        page.fill("#text", HOSTILE)
        page.check("input[name=priority][value=high]")
        page.uncheck("input[name=targets][value=kiosk]")
        page.click("form.announcement-form button[type=submit]")
        page.wait_for_url(f"{server}/admin/announcements")

        assert "公告已保存" in page.inner_text(".flash")
        cells = page.locator("td.notice-text bdi")
        texts = [cells.nth(i).text_content() for i in range(cells.count())]
        assert HOSTILE in texts                           # shown exactly as typed
        assert page.locator("td.notice-text script, td.notice-text img, td.notice-text b").count() == 0
        active = page.locator("h2:has-text('Active') + table").inner_text()
        assert "[color=ff0000]假通知[/color]" in active and "<script>alert('xss')</script>" in active
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert dialogs == []                                      # no script ran

    published = None
    while published is None:
        payload = decode(Announcements, arrived.get(timeout=5).payload)
        if any(item.text == HOSTILE for item in payload.items):
            published = payload
    [item] = [i for i in published.items if i.text == HOSTILE]
    assert item.priority == "high" and item.targets == ("wall", "bar")
    assert published.items[0] is item                        # high priority first on the screens
    assert decode(Announcements, hall.broker.retained[hall.topics.announcements()]) == published
