"""The counter console in a real browser (Debian chromium through Playwright).

Logs in, picks a window, opens it, calls the next number with the keyboard,
finishes with a button, and watches a ticket taken at a kiosk appear without a
reload.  Saves screenshots to docs/screenshots/counter-*.png.
"""

from __future__ import annotations


import pytest

from backend.web import create_app
from tests.support.browser import SHOTS, chromium, serve

pytestmark = pytest.mark.browser



@pytest.fixture
def server(hall):
    b = hall.backend
    with serve(create_app(b.settings, b.engine, b.publisher, b.executor)) as url:
        yield url


@pytest.fixture
def page():
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
                and not msg.location.get("url", "").endswith("/favicon.ico") else None)
        yield page
        context.close()
        assert not errors, errors


def test_call_next_and_finish_in_the_browser(hall, server, page):
    from playwright.sync_api import expect

    for queue, priority in (("qa", "normal"), ("qa", "elderly"), ("qb", "normal")):
        hall.ok("kiosk-1", "ticket.issue", queue=queue, priority=priority)
    page.goto(f"{server}/counter/")
    page.fill("#username", "alice")
    page.fill("#password", "alice-password")
    page.click("button[type=submit]")
    page.click("text=1号窗口")
    expect(page.locator("#status")).to_contain_text("未开放")
    expect(page.locator("#line li")).to_have_count(3)
    expect(page.locator("#line li").first).to_contain_text("已等 0 分钟")   # how long it has waited, not an estimate
    page.click("button[data-op=resume]")
    expect(page.locator("#status")).to_contain_text("受理中")
    expect(page.locator("#staff")).to_contain_text("李丽")

    page.keyboard.press("n")  # N = call next: the elderly visitor goes first
    expect(page.locator("#number")).to_have_text("A002")
    expect(page.locator("#message")).to_contain_text("已呼叫 A002")
    assert hall.retained(hall.topics.window_state("w1"))["serving"]["number"] == "A002"
    page.screenshot(path=str(SHOTS / "counter-called.png"), full_page=True)

    page.keyboard.press("s")  # skip asks for a reason in the page
    expect(page.locator("#ask")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#ask")).to_be_hidden()

    page.click("button[data-op=finish]")
    expect(page.locator("#number")).to_have_text("空闲")
    expect(page.locator("#evaluation")).to_be_visible()
    assert hall.retained(hall.topics.window_state("w1"))["awaiting_evaluation"]

    hall.ok("kiosk-1", "ticket.issue", queue="qa")  # taken at a kiosk: the page updates by itself
    expect(page.locator("#line li")).to_have_count(3)
    expect(page.locator("#line-total")).to_contain_text("3")

    page.keyboard.press("n")
    expect(page.locator("#number")).to_have_text("A001")
    page.keyboard.press("t")  # transfer: pick a target and a reason in the page
    page.select_option("#ask-target", "w:w2")
    page.click("#ask-choices button >> nth=0")
    page.click("#ask button[type=submit]")
    expect(page.locator("#message")).to_contain_text("已转移 A001")
    assert hall.retained(hall.topics.window_state("w1"))["serving"] is None
    page.keyboard.press("c")  # 特呼 asks for the number and the reason
    page.fill("#ask-number", "B001")
    page.click("#ask-choices button >> nth=0")
    page.screenshot(path=str(SHOTS / "counter-reason.png"), full_page=True)
    page.click("#ask button[type=submit]")
    expect(page.locator("#number")).to_have_text("B001")
