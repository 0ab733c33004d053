"""The admin console and the JSON API: login, CSRF, validation next to the field, escaping."""

from __future__ import annotations

import html
import re

import pytest

from protocol import decode
from protocol.models import Announcements

from .support import csrf_token, login, make_client

HOSTILE = "[color=ff0000]红[/color][b]粗[/b] <script>alert(1)</script> \u202eevil\u200b"
FORM = {"text": "今日系统维护", "priority": "normal", "targets": ["wall", "kiosk"],
        "start": "2024-05-06T09:00", "end": "2024-05-06T18:00"}


@pytest.fixture
def client(hall):
    _app, client = make_client(hall)
    return client


def post_form(client, **changes):
    page = client.get("/admin/announcements/new").get_data(as_text=True)
    data = dict(FORM, csrf_token=csrf_token(page))
    data.update(changes)
    return client.post("/admin/announcements/new", data=data)


def field_errors(page: str, name: str) -> list[str]:
    """The error messages rendered in the field block that holds input *name*."""
    blocks = re.split(r'<(?:div|fieldset) class="field">', page)
    block = next(b for b in blocks if f'name="{name}"' in b)
    return [html.unescape(e) for e in re.findall(r'<div class="error">(.*?)</div>', block)]


def retained(hall) -> Announcements:
    return decode(Announcements, hall.broker.retained[hall.topics.announcements()])


def test_pages_need_an_admin(hall, client):
    assert client.get("/admin/announcements").status_code == 302
    login(client, "clerk")
    assert client.get("/admin/announcements").status_code == 403
    assert client.get("/admin/announcements/new").status_code == 403


def test_new_form_defaults_to_now_until_the_end_of_the_hall_day(hall, client):
    login(client)
    page = client.get("/admin/announcements/new").get_data(as_text=True)
    assert 'name="start" step="60" type="datetime-local" value="2024-05-06T09:00"' in page
    assert 'value="2024-05-06T23:59"' in page
    assert page.count('type="checkbox"') == 3 and page.count("checked") >= 3


def test_create_publishes_and_lists_it(hall, client):
    login(client)
    response = post_form(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/announcements")
    [item] = retained(hall).items
    assert item.text == "今日系统维护" and item.targets == ("wall", "kiosk")
    assert item.end.isoformat() == "2024-05-06T18:00:00+08:00"   # the form's time is the hall's local time
    page = client.get("/admin/announcements").get_data(as_text=True)
    active = page.split("<h2>")[1]
    assert "正在显示 Active (1)" in active and "今日系统维护" in active and "2024-05-06 09:00 – 2024-05-06 18:00" in active


def test_hostile_text_is_stored_literally_and_shown_escaped(hall, client):
    login(client)
    assert post_form(client, text=HOSTILE).status_code == 302
    assert retained(hall).items[0].text == HOSTILE
    page = client.get("/admin/announcements").get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "[color=ff0000]红[/color][b]粗[/b]" in page               # Kivy markup shown as typed
    cell = re.search(r'<td class="notice-text"><bdi>(.*?)</bdi>', page, re.S).group(1)
    assert html.unescape(cell) == HOSTILE                            # exactly the text, isolated in <bdi>
    assert "U+202E, U+200B" in page                                  # and the invisible ones named


@pytest.mark.parametrize("changes, field, words", [
    ({"text": ""}, "text", "text is empty"),
    ({"text": "x" * 501}, "text", "at most 500 characters"),
    ({"text": "响铃\x07"}, "text", "control character U+0007"),
    ({"targets": []}, "targets", "at least one target"),
    ({"end": "2024-05-06T08:00"}, "end", "end must be after start"),
    ({"start": "tomorrow"}, "start", "YYYY-MM-DD HH:MM"),
    ({"priority": "max"}, "priority", "Not a valid choice"),
])
def test_validation_messages_are_shown_next_to_the_field(hall, client, changes, field, words):
    login(client)
    response = post_form(client, **changes)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert any(words in message for message in field_errors(page, field)), field_errors(page, field)
    assert hall.broker.published("#") == []


def test_a_form_without_csrf_token_is_refused(hall, client):
    login(client)
    response = client.post("/admin/announcements/new", data=FORM)
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert hall.broker.published("#") == []


def test_withdraw_from_the_list(hall, client, service):
    login(client)
    post_form(client, text="要撤回的公告")
    [notice] = service.list()
    page = client.get("/admin/announcements").get_data(as_text=True)
    assert f"/admin/announcements/{notice.id}/withdraw" in page
    assert client.post(f"/admin/announcements/{notice.id}/withdraw").status_code == 400   # no token
    response = client.post(f"/admin/announcements/{notice.id}/withdraw", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert retained(hall).items == ()
    page = client.get("/admin/announcements").get_data(as_text=True)
    ended = page.split("<h2>")[3]
    assert "要撤回的公告" in ended and "已撤回 withdrawn · admin" in ended
    assert client.post("/admin/announcements/n-unknown/withdraw",
                       data={"csrf_token": csrf_token(page)}).status_code == 404


def test_api_get_is_the_published_payload(hall, client):
    login(client)
    post_form(client, text=HOSTILE)
    client.get("/logout")
    response = client.get("/api/v1/announcements")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert decode(Announcements, response.data) == retained(hall)


def test_api_post_needs_an_admin_session_and_the_csrf_header(hall, client):
    body = {"text": HOSTILE, "targets": ["bar"], "priority": "high"}
    response = client.post("/api/v1/announcements", json=body)
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf_failed"
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/api/v1/announcements", json=body, headers={"X-CSRFToken": csrf_token(page)})
    assert response.status_code == 401 and response.json["error"]["code"] == "login_required"
    login(client, "clerk")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    assert client.post("/api/v1/announcements", json=body, headers={"X-CSRFToken": token}).status_code == 403
    assert hall.broker.published("#") == []


def test_api_post_creates_with_defaults_and_reports_field_errors(hall, client):
    login(client)
    token = csrf_token(client.get("/admin/announcements").get_data(as_text=True))
    headers = {"X-CSRFToken": token}
    response = client.post("/api/v1/announcements", json={"text": HOSTILE, "targets": ["bar"], "priority": "high"},
                           headers=headers)
    assert response.status_code == 201, response.json
    made = response.json["announcement"]
    assert made["text"] == HOSTILE and made["targets"] == ["bar"]
    assert made["start"] == "2024-05-06T09:00:00+08:00" and made["end"] == "2024-05-06T23:59:00+08:00"
    assert retained(hall).items[0].text == HOSTILE

    bad = client.post("/api/v1/announcements", headers=headers,
                      json={"text": "", "targets": [], "start": "2024-05-06T10:00:00+08:00",
                            "end": "2024-05-06 08:00"})
    assert bad.status_code == 400
    assert set(bad.json["error"]["fields"]) == {"text", "targets", "end"}   # naive end: needs an offset
    for body in ([1, 2], {"text": 5}, {"text": "x", "targets": "wall"}, {"text": "x", "start": "soon"}):
        assert client.post("/api/v1/announcements", json=body, headers=headers).status_code == 400

    withdrawn = client.post(f"/api/v1/announcements/{made['id']}/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json["announcement"]["withdrawn"] is True
    assert retained(hall).items == ()
    assert client.post("/api/v1/announcements/n-x/withdraw", headers=headers).status_code == 404
