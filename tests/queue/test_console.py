"""The counter console and the queue admin pages through Flask's test client (CSRF on)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from backend.web import create_app

from .conftest import Hall


def csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


class Browser:
    def __init__(self, hall: Hall):
        b = hall.backend
        self.app = create_app(b.settings, b.engine, b.publisher, b.executor)
        self.client = self.app.test_client()
        self.token = ""

    def login(self, user: str, password: str) -> None:
        page = self.client.get("/login").get_data(as_text=True)
        response = self.client.post("/login", data={"username": user, "password": password,
                                                    "csrf_token": csrf(page)})
        assert response.status_code == 302
        self.token = csrf(self.client.get("/counter/").get_data(as_text=True)) if user != "admin" else \
            csrf(self.client.get("/admin/queue/").get_data(as_text=True))

    def form(self, url: str, **data):
        return self.client.post(url, data={"csrf_token": self.token, **data})

    def op(self, op: str, **body):
        response = self.client.post("/counter/api/op", json={"op": op, **body},
                                    headers={"X-CSRFToken": self.token})
        return response.status_code, response.get_json()

    def state(self) -> dict:
        return self.client.get("/counter/api/state").get_json()


@pytest.fixture
def browser(hall) -> Browser:
    b = Browser(hall)
    b.login("alice", "alice-password")
    return b


def test_login_pick_window_and_operate(hall, browser):
    page = browser.client.get("/counter/").get_data(as_text=True)
    assert "选择窗口" in page and "1号" in page
    assert browser.form("/counter/window", window="w1").status_code == 302
    page = browser.client.get("/counter/").get_data(as_text=True)
    assert 'data-window="w1"' in page and "counter.js" in page
    assert '<span class="where">1号窗口</span>' in page   # the window is named "1号窗口": said once
    hall.ok("kiosk-1", "ticket.issue", queue="qa")
    status, reply = browser.op("resume")
    assert reply["ok"] and reply["state"]["window"]["status"] == "open"
    status, reply = browser.op("call_next")
    assert reply["ok"] and reply["result"]["ticket"] == "A001" and reply["state"]["current"]["number"] == "A001"
    assert hall.retained(hall.topics.window_state("w1"))["staff_name"] == "李丽"
    status, reply = browser.op("skip")
    assert not reply["ok"] and reply["error"]["code"] == "reason_required" and reply["error"]["message_zh"]
    status, reply = browser.op("finish")
    assert reply["ok"] and browser.state()["current"] is None and browser.state()["awaiting_evaluation"]


def test_every_post_needs_the_csrf_token(hall, browser):
    browser.form("/counter/window", window="w1")
    response = browser.client.post("/counter/api/op", json={"op": "resume"})
    assert response.status_code == 400
    assert hall.retained(hall.topics.window_state("w1"))["status"] == "closed"
    assert browser.client.post("/counter/window", data={"window": "w2"}).status_code == 400


def test_a_double_click_with_one_request_id_calls_once(hall, browser):
    browser.form("/counter/window", window="w1")
    for _ in range(3):
        hall.ok("kiosk-1", "ticket.issue", queue="qa")
    browser.op("resume")
    first = browser.op("call_next", request_id="c-0001")[1]
    again = browser.op("call_next", request_id="c-0001")[1]
    assert first["result"] == again["result"] and first["result"]["ticket"] == "A001"
    assert len(hall.published(hall.topics.call_event())) == 1


def test_the_reason_ops_and_the_line(hall, browser):
    browser.form("/counter/window", window="w1")
    for queue, priority in (("qa", "normal"), ("qa", "elderly"), ("qb", "normal")):
        hall.ok("kiosk-1", "ticket.issue", queue=queue, priority=priority)
    state = browser.state()
    assert [t["number"] for t in state["line"]] == ["A002", "A001", "B001"]
    assert state["line"][0]["priority_zh"] == "老年人"
    browser.op("resume")
    browser.op("call_next")
    assert browser.op("skip", reason="未到场")[1]["ok"]
    assert browser.state()["no_shows"] == ["A002"]
    assert browser.op("call_number", ticket="a002", reason="群众返回")[1]["error"]["code"] == "invalid_request"
    assert browser.op("call_number", ticket="A002", reason="群众返回")[1]["ok"]
    assert browser.op("transfer", to_window="w2", reason="需税务审核")[1]["ok"]
    assert browser.op("pause", reason="午休")[1]["state"]["window"]["status"] == "paused"
    assert browser.op("bogus")[0] == 400


def test_a_staff_member_returns_to_their_window(hall, browser):
    browser.form("/counter/window", window="w3")
    browser.op("resume")
    other = Browser(hall)
    other.login("alice", "alice-password")  # a new session: assigned to the window she is signed in at
    assert 'data-window="w3"' in other.client.get("/counter/").get_data(as_text=True)
    other.form("/counter/leave")
    assert "选择窗口" in other.client.get("/counter/").get_data(as_text=True)


def test_console_needs_a_staff_login(hall):
    client = Browser(hall).client
    assert client.get("/counter/").status_code == 302
    assert client.get("/counter/api/state").status_code == 302


def test_names_are_escaped(hall, browser):
    from backend.catalog import service as catalog_service

    from .conftest import small_catalog

    catalog = small_catalog()
    hostile = catalog.windows[0].model_copy(update={"name": "<script>alert(1)</script>"})
    catalog = catalog.model_copy(update={"windows": (hostile,) + catalog.windows[1:]})
    catalog_service.run(hall.backend.engine, None, lambda conn: catalog_service.apply_import(
        conn, catalog, hall.topics))
    page = browser.client.get("/counter/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_admin_follow_up_and_export(hall):
    hall.ok("kiosk-1", "ticket.issue", item="i-pension")
    hall.ok("console:alice", "window.resume", window="w1")
    hall.ok("keypad-1", "window.call_next")
    hall.ok("keypad-1", "window.finish")
    evaluation = hall.ok("eval-1", "evaluation.submit", level=2, reasons=["服务效率", "其他"], comment="等太久")
    admin = Browser(hall)
    admin.login("admin", "admin-password")
    page = admin.client.get("/admin/queue/").get_data(as_text=True)
    assert "不满意" in page and "待回访" in page and "满意率 satisfaction: 0.0%" in page
    url = f"/admin/queue/evaluations/{evaluation['evaluation_id']}/followup"
    admin.form(url, status="已整改", note="跳步")  # must visit first
    admin.form(url, status="已回访", note="电话回访，已致歉")
    admin.form(url, status="已整改", note="增开窗口")
    rows = list(csv.DictReader(io.StringIO(admin.client.get("/admin/queue/evaluations/export.csv")
                                           .get_data(as_text=True))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["level"], row["level_label"], row["reasons"], row["item_code"], row["ticket_number"]) == (
        "2", "不满意", "服务效率、其他", "CODE-i-pension", "A001")
    assert (row["followup_status"], row["followup_note"], row["staff_name"], row["window_number"]) == (
        "已整改", "增开窗口", "李丽", "1")
    data = json.loads(admin.client.get("/admin/queue/evaluations/export.json").get_data(as_text=True))
    assert data["evaluations"][0]["reasons"] == ["服务效率", "其他"] and data["hall"] == "test"
    assert Browser(hall).client.get("/admin/queue/evaluations/export.csv").status_code == 302


def test_admin_suspends_a_queue(hall):
    admin = Browser(hall)
    admin.login("admin", "admin-password")
    admin.form("/admin/queue/queues/qa/suspend", reason="系统升级")
    state = hall.retained(hall.topics.queue_state("qa"))
    assert (state["open"], state["accepting"]) == (False, False) and "系统升级" in state["reason"]
    assert hall.error("kiosk-1", "ticket.issue", queue="qa") == "queue_closed"
    admin.form("/admin/queue/queues/qa/resume")
    assert hall.retained(hall.topics.queue_state("qa"))["accepting"]


def test_ticket_status_page(hall):
    ticket = hall.ok("kiosk-1", "ticket.issue", queue="qa")["ticket"]
    hall.ok("kiosk-1", "ticket.issue", queue="qa")
    second = hall.ok("kiosk-1", "ticket.issue", queue="qa")["ticket"]
    client = Browser(hall).client
    page = client.get(f"/t/{second['id']}").get_data(as_text=True)
    assert "A003" in page and "前面还有 2 人" in page and "前面2人" in page
    assert client.get("/t/../etc").status_code == 404
    assert client.get("/t/" + "0" * 32).status_code == 404
    assert ticket["status_url"].endswith(ticket["id"])
