"""The console in a real browser (Playwright driving Debian's chromium).

Log in, find an item by its pinyin initials, edit its guide, see the field
errors, save, and see the change published on the (fake) broker.  Screenshots
(admin-*.png, in tests/support/shots.py's directory) are checked for size and content.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .webapp import ADMIN, PASSWORD, make_app
from tests.support.browser import SHOTS, chromium, serve

pytestmark = pytest.mark.browser



@pytest.fixture
def server(loaded, publisher, tmp_path):
    with serve(make_app(loaded, publisher, tmp_path), "catalog-web") as url:
        yield url


def check_screenshot(path: Path, min_width: int = 1000) -> None:
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG" and image.width >= min_width and image.height >= 500
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50, "the page looks blank"


def test_admin_edits_an_item_in_the_browser_and_it_is_published(server, publisher, fake_broker, sample):
    publisher.republish_all()  # as the backend does when it starts
    dialogs: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{server}/admin/catalog/items")
        assert "/login" in page.url
        page.fill("#username", ADMIN)
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)

        page.goto(f"{server}/admin/catalog/items")
        page.fill("#q", "hz")
        page.click("form.search button[type=submit]")
        page.wait_for_url("**/admin/catalog/items?q=hz*")
        first = page.locator("table.list tbody tr").first
        assert "普通护照签发" in first.inner_text()
        page.screenshot(path=str(SHOTS / "admin-items.png"), full_page=False)

        first.get_by_role("link", name="编辑 Edit").click()
        page.wait_for_url("**/admin/catalog/items/GAJ-001/edit")
        assert page.input_value("#name") == "普通护照签发"
        page.fill("#promised_days", "20")  # more than the statutory 15 days
        page.fill("#materials", page.input_value("#materials") + "\n户口簿 | 复印 | 0")
        page.click("#save")
        page.wait_for_selector(".field-error")
        materials_errors = page.locator("#field-materials .field-error").all_inner_texts()
        assert any("copies: must be at least 1" in e for e in materials_errors)
        assert any("复印" in e for e in materials_errors)
        page.locator("#field-materials").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "admin-edit-errors.png"))
        assert "hall/test/catalog/items/GAJ-001" in fake_broker.retained
        assert json.loads(fake_broker.retained["hall/test/catalog/items/GAJ-001"])["promised_days"] == 7

        page.fill("#promised_days", "5")
        page.fill("#materials", "\n".join(page.input_value("#materials").splitlines()[:-1]))
        page.fill("#name", "普通护照签发（含电子照片回执）")
        page.click("#save")
        page.wait_for_url("**/admin/catalog/items")
        assert "已保存 Saved" in page.inner_text(".flash") and "published" in page.inner_text(".flash")
        page.screenshot(path=str(SHOTS / "admin-saved.png"))
        published = json.loads(fake_broker.retained["hall/test/catalog/items/GAJ-001"])
        assert published["name"] == "普通护照签发（含电子照片回执）" and published["promised_days"] == 5
        index = json.loads(fake_broker.retained["hall/test/catalog/index"])
        assert index["version"] == 2

        page.goto(f"{server}/admin/catalog/import")
        page.set_input_files("#file", files=[{"name": "broken.yaml", "mimeType": "application/yaml",
                                              "buffer": "hall: {name: x}\nitems:\n- {id: A, kind: 普通件}\n".encode()}])
        page.click("#upload")
        page.wait_for_selector("table.problems")
        assert page.locator("table.problems tbody tr").count() >= 3
        page.screenshot(path=str(SHOTS / "admin-import-errors.png"), full_page=True)
    assert dialogs == []
    for name in ("admin-items.png", "admin-edit-errors.png", "admin-saved.png", "admin-import-errors.png"):
        check_screenshot(SHOTS / name)
