"""The administrator's console, through Flask's test client (the browser test drives chromium)."""

from __future__ import annotations

import io
import json
import re

import pytest

from backend.catalog import store
from backend.catalog.forms import form_values

from .conftest import dump
from .webapp import STAFF, login, make_app, token


@pytest.fixture
def client(loaded, publisher, tmp_path):
    return make_app(loaded, publisher, tmp_path).test_client()


def item_form(client, item_id: str) -> dict:
    page = client.get(f"/admin/catalog/items/{item_id}/edit")
    assert page.status_code == 200
    return page


def form_of(sample, item_id: str, csrf: str, **changes) -> dict:
    values = form_values("items", sample.item(item_id))
    values.update(changes, csrf_token=csrf)
    return values


def field_errors(html: str, field: str) -> list[str]:
    block = html.split(f'id="field-{field}"', 1)[1].split('<div class="field', 1)[0]
    return re.findall(r'<p class="error field-error">(.*?)</p>', block)


def test_login_required_and_admin_only(client):
    response = client.get("/admin/catalog/items")
    assert response.status_code == 302 and "/login" in response.location
    login(client, STAFF)
    assert client.get("/admin/catalog/items").status_code == 403


def test_pages_render(client, sample):
    login(client)
    overview = client.get("/admin/catalog/")
    assert overview.status_code == 200 and f"<td>{len(sample.items)}</td>" in overview.text
    assert "示例市政务服务中心" in overview.text
    found = client.get("/admin/catalog/items?q=yyzz")
    assert "企业设立登记（营业执照核发）" in found.text and "initials" in found.text
    for section in ("departments", "queues", "windows"):
        assert client.get(f"/admin/catalog/{section}").status_code == 200
    queue = client.get("/admin/catalog/queues/B/edit").text
    assert "09:00-12:00 1-5\n13:30-17:00 1-5\n09:00-12:00 6" in queue
    assert client.get("/admin/catalog/nothing").status_code == 404
    assert client.get("/admin/catalog/items/NOPE/edit").status_code == 404


def test_edit_item_saves_and_publishes(client, sample, fake_broker, loaded):
    login(client)
    page = item_form(client, "GAJ-001")
    data = form_of(sample, "GAJ-001", token(page.text), name="普通护照签发（含加急）",
                   materials="中国公民出入境证件申请表 | 原件 | 1 | 必需\n居民身份证 | 原件及复印件 | 2 | 必需 | 核验后退还")
    response = client.post("/admin/catalog/items/GAJ-001/edit", data=data)
    assert response.status_code == 302
    listing = client.get(response.location)
    assert "已保存 Saved" in listing.text and "published" in listing.text
    retained = json.loads(fake_broker.retained["hall/test/catalog/items/GAJ-001"])
    assert retained["name"] == "普通护照签发（含加急）"
    assert retained["materials"][1] == {"name": "居民身份证", "form": "原件及复印件", "copies": 2, "mandatory": True,
                                        "notes": "核验后退还", "sample_form": ""}
    with loaded.connect() as conn:
        assert store.catalog_version(conn) == 2


def test_errors_are_shown_next_to_their_fields_and_nothing_changes(client, sample, loaded):
    login(client)
    before = dump(loaded)
    page = item_form(client, "GAJ-001")
    data = form_of(sample, "GAJ-001", token(page.text), code="", statutory_days="3", promised_days="x",
                   materials="居民身份证 | 原件 | 0\n户口簿 | 复印 | 1", department="nope")
    data["windows"] = ["w01"]
    response = client.post("/admin/catalog/items/GAJ-001/edit", data=data)
    assert response.status_code == 422
    html = response.text
    assert field_errors(html, "code") == ["必填 required"]
    assert field_errors(html, "promised_days") == ["&#39;x&#39; is not a whole number"]
    assert field_errors(html, "materials") == ["line 1 copies: must be at least 1 (got 0)",
                                              "line 2 form: &#39;复印&#39; is not a form; use one of: 原件, 复印件, "
                                              "原件及复印件, 电子件"]
    assert "居民身份证 | 原件 | 0" in html  # what was typed stays in the form
    data.update(code="GAJ-001", promised_days="7", statutory_days="15", materials="居民身份证")
    response = client.post("/admin/catalog/items/GAJ-001/edit", data=data)
    assert response.status_code == 422
    assert "unknown department" in " ".join(field_errors(response.text, "department"))
    assert "does not serve queue" in " ".join(field_errors(response.text, "windows"))
    assert dump(loaded) == before


def test_everything_is_escaped(client, sample, fake_broker):
    login(client)
    page = client.get("/admin/catalog/items/new")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    data = form_of(sample, "CL-001", token(page.text), id="EVIL-1", code="EVIL-1", name=evil, notes=evil,
                   materials=f"{evil} | 原件")
    data["windows"] = ["w16"]
    assert client.post("/admin/catalog/items/new", data=data).status_code == 302
    for url in ("/admin/catalog/items", "/admin/catalog/items?q=script", "/admin/catalog/items/EVIL-1/edit"):
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
    assert json.loads(fake_broker.retained["hall/test/catalog/items/EVIL-1"])["name"] == evil  # data kept as is


def test_posts_without_csrf_token_are_refused(client, sample, loaded):
    login(client)
    before = dump(loaded)
    data = form_of(sample, "GAJ-001", "", name="改")
    del data["csrf_token"]
    assert client.post("/admin/catalog/items/GAJ-001/edit", data=data).status_code == 400
    assert client.post("/admin/catalog/items/GAJ-001/delete").status_code == 400
    assert dump(loaded) == before


def test_delete_with_confirmation_and_refusal(client, loaded, fake_broker):
    login(client)
    page = client.get("/admin/catalog/departments/gaj/delete")
    refused = client.post("/admin/catalog/departments/gaj/delete", data={"csrf_token": token(page.text)})
    assert refused.status_code == 409 and "still used by item GAJ-001" in refused.text
    page = client.get("/admin/catalog/items/GAJ-010/delete")
    done = client.post("/admin/catalog/items/GAJ-010/delete", data={"csrf_token": token(page.text)})
    assert done.status_code == 302
    assert "hall/test/catalog/items/GAJ-010" not in fake_broker.retained


def test_queue_and_window_forms(client, loaded):
    login(client)
    page = client.get("/admin/catalog/queues/new")
    data = {"csrf_token": token(page.text), "id": "J", "prefix": "J", "name": "预约", "hours": "8:30-12:00 1-5\nbad",
            "daily_quota": "50"}
    response = client.post("/admin/catalog/queues/new", data=data)
    assert response.status_code == 422 and field_errors(response.text, "hours") == [
        "line 2: write a period like 09:00-12:00 1-5"]
    data["hours"] = "8:30-12:00 1-5\n14:00-16:00 6,7"
    assert client.post("/admin/catalog/queues/new", data=data).status_code == 302
    page = client.get("/admin/catalog/windows/w16/edit")
    data = {"csrf_token": token(page.text), "id": "w16", "number": "16", "name": "综合窗口", "queues": "J, G E F A",
            "location": "二楼"}
    assert client.post("/admin/catalog/windows/w16/edit", data=data).status_code == 302
    with loaded.connect() as conn:
        assert store.get_window(conn, "w16").queues == ("J", "G", "E", "F", "A")
        assert store.get_queue(conn, "J").hours[1].days == (6, 7)


def test_import_page_dry_run_errors_and_apply(client, loaded, sample_bytes):
    login(client)
    page = client.get("/admin/catalog/import")
    before = dump(loaded)
    broken = sample_bytes.replace("kind: 承诺件".encode(), "kind: 慢办件".encode(), 1)
    response = client.post("/admin/catalog/import", data={
        "csrf_token": token(page.text), "file": (io.BytesIO(broken), "broken.yaml")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "慢办件" in response.text and "nothing was imported" in response.text
    assert dump(loaded) == before
    changed = sample_bytes.replace("name: 普通护照签发".encode(), "name: 护照签发".encode())
    response = client.post("/admin/catalog/import", data={
        "csrf_token": token(page.text), "dry_run": "1", "file": (io.BytesIO(changed), "c.yaml")},
        content_type="multipart/form-data")
    assert response.status_code == 200 and "1 changed" in response.text and "GAJ-001" in response.text
    assert dump(loaded) == before
    response = client.post("/admin/catalog/import", data={
        "csrf_token": token(page.text), "file": (io.BytesIO(changed), "c.yaml")}, content_type="multipart/form-data")
    assert response.status_code == 302
    with loaded.connect() as conn:
        assert store.get_item(conn, "GAJ-001").name == "护照签发"
    exported = client.get("/admin/catalog/export/yaml")
    assert exported.data == changed
    assert client.get("/admin/catalog/export/csv").data.startswith(b"\xef\xbb\xbfid,")
