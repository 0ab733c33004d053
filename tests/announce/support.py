"""Helpers for the announcement and device-monitor tests: a fake clock, a backend on a FakeBus, logins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from backend.app import Backend, build
from backend.settings import BackendSettings
from backend.web import create_app
from backend.web.users import add_user
from protocol.fakebus import FakeBroker, FakeBus
from tests.support.fixtures import SettableClock

#: Monday 6 May 2024, 09:00 in Shanghai.
MONDAY_9 = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"


class Clock(SettableClock):
    """An injectable clock starting MONDAY_9: ``clock()`` is now; ``advance(minutes=...)`` moves it."""

    def __init__(self, start: datetime = MONDAY_9):
        super().__init__(start)


@dataclass
class Hall:
    """A backend on a FakeBus, and the broker to look at."""

    backend: Backend
    broker: FakeBroker
    clock: Clock

    @property
    def topics(self):
        return self.backend.executor.topics

    def device_bus(self, device: str) -> FakeBus:
        return FakeBus(self.broker, self.backend.settings.hall, device=device).start()


def make_hall(tmp_path, clock: Clock | None = None, broker: FakeBroker | None = None, bus=None,
              **settings) -> Hall:
    """A backend (not started) with its database in *tmp_path*, on *bus* or a FakeBus on *broker*."""
    clock = clock or Clock()
    broker = broker or FakeBroker()
    config = BackendSettings(hall="test", data_dir=str(tmp_path), **settings)
    backend = build(config, bus or FakeBus(broker, "test", client_id="backend"), clock=clock)
    return Hall(backend, broker, clock)


def make_client(hall: Hall, users=(("admin", "admin"), ("clerk", "staff"))):
    with hall.backend.engine.begin() as conn:
        for username, role in users:
            add_user(conn, username, PASSWORD, role)
    app = create_app(hall.backend.settings, hall.backend.engine, hall.backend.publisher, hall.backend.executor)
    return app, app.test_client()


_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def login(client, username: str = "admin") -> None:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
