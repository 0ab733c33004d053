"""A console app on the sample catalog, with users, for the API, console and browser tests."""

from __future__ import annotations

import re

from backend.settings import BackendSettings
from backend.web import create_app
from backend.web.users import add_user

ADMIN, STAFF, PASSWORD = "admin", "clerk", "correct-horse-1"
_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def make_app(engine, publisher, data_dir):
    with engine.begin() as conn:
        add_user(conn, ADMIN, PASSWORD, "admin", "王管理")
        add_user(conn, STAFF, PASSWORD, "staff", "李窗口")
    settings = BackendSettings(hall="test", data_dir=str(data_dir))
    return create_app(settings, engine, publisher, None, {"TESTING": True})


def token(html: str) -> str:
    match = _TOKEN.search(html) or re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str = ADMIN) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token(page.text)})
    assert response.status_code == 302, response.text
