"""One ticket travelling end to end, with the backend as a real process and plain MQTT v5 clients.

The clients here are paho, written from the README's contract alone (not from
the project's wrapper): a kiosk takes a ticket, a keypad calls it, a wall sees
the call event and the retained state; the backend is killed with SIGKILL and
numbering continues where it stopped.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.support.backendproc import BackendProcess, run_hall
from tests.support.hall import CATALOG
from tests.support.mqtt import RawClient, unique

pytestmark = pytest.mark.broker



@pytest.fixture
def broker(own_broker):
    """A broker of this test's own, not the session's shared one: there, after other tests had
    used the same client ids (``backend``, ``wall-1``), Mosquitto 2.0.11 was seen in CI
    expiring this test's fresh connections a second after they connected ("Expiring client
    ... due to timeout")."""
    return own_broker


@pytest.fixture
def hall(broker, tmp_path):
    env = {**os.environ, "HALL_HOME": str(tmp_path)}
    creds = (broker.dir / "credentials" / "backend.toml").read_text(encoding="utf-8")
    config = tmp_path / "backend.toml"
    config.write_text(creds.replace("[broker]", f'data_dir = "{tmp_path}"\n\n[broker]'), encoding="utf-8")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG, encoding="utf-8")
    run_hall("catalog", "import", str(catalog), "--config", str(config), env=env)
    for device, role, window in (("kiosk-1", "kiosk", ""), ("keypad-1", "keypad", "1"), ("wall-1", "wall", "")):
        args = ["device", "add", device, "--role", role, "--broker-dir", str(broker.dir), "--config", str(config)]
        run_hall(*args, *(["--window", window] if window else []), env=env)
    backend = BackendProcess(config, tmp_path / "backend.log", env)
    yield backend  # the test starts it once its clients listen
    backend.stop()


def test_a_ticket_is_issued_called_and_seen_on_the_wall(broker, hall):
    h = broker.hall
    with RawClient.for_settings(broker.settings("kiosk-1")) as kiosk, \
            RawClient.for_settings(broker.settings("keypad-1")) as keypad, \
            RawClient.for_settings(broker.settings("wall-1")) as wall:
        wall.subscribe(f"hall/{h}/events/call", f"hall/{h}/calls/recent", f"hall/{h}/queues/+/state",
                       f"hall/{h}/windows/+/state")
        kiosk.subscribe(f"hall/{h}/devices/kiosk-1/replies")
        keypad.subscribe(f"hall/{h}/devices/keypad-1/replies")
        hall.start()
        # the backend republishes retained state when it connects (a live message, not an old retained one)
        wall.expect(f"hall/{h}/queues/A/state", timeout=30, where=lambda m: not m.retain)

        first_id = unique()
        issued = kiosk.request(h, "kiosk-1", "ticket.issue", {"item": "GA-001"}, first_id)
        assert issued["ok"], issued
        ticket = issued["result"]["ticket"]
        assert ticket["number"] == "A001" and ticket["queue"] == "A"

        retried = kiosk.request(h, "kiosk-1", "ticket.issue", {"item": "GA-001"}, first_id)
        assert retried == issued  # same id: the original reply, no new ticket
        second = kiosk.request(h, "kiosk-1", "ticket.issue", {"item": "GA-001"}, unique())
        assert second["result"]["ticket"]["number"] == "A002"

        called = keypad.request(h, "keypad-1", "window.call_next", {}, unique())
        assert called["ok"], called
        event = json.loads(wall.expect(f"hall/{h}/events/call", timeout=10).payload)
        assert event["ticket"] == "A001" and event["window"] == "1" and event["v"] == 1
        recent = wall.expect(f"hall/{h}/calls/recent", timeout=10,
                             where=lambda m: b"A001" in m.payload)
        assert json.loads(recent.payload)["calls"][0]["ticket"] == "A001"
        window = wall.expect(f"hall/{h}/windows/1/state", timeout=10, where=lambda m: b"A001" in m.payload)
        assert json.loads(window.payload)["serving"]["number"] == "A001"

        # a kiosk may not call numbers; the backend says so
        refused = kiosk.request(h, "kiosk-1", "window.call_next", {"window": "1"}, unique())
        assert not refused["ok"] and refused["error"]["code"] == "not_permitted"


def test_numbering_continues_after_the_backend_is_killed(broker, hall):
    h = broker.hall
    with RawClient.for_settings(broker.settings("kiosk-1")) as kiosk, \
            RawClient.for_settings(broker.settings("wall-1")) as wall:
        kiosk.subscribe(f"hall/{h}/devices/kiosk-1/replies")
        wall.subscribe(f"hall/{h}/queues/A/state")
        hall.start()
        wall.expect(f"hall/{h}/queues/A/state", timeout=30, where=lambda m: not m.retain)
        numbers = [kiosk.request(h, "kiosk-1", "ticket.issue", {"queue": "A"}, unique())["result"]["ticket"]["number"]
                   for _ in range(3)]
        hall.kill9()
        retry_id = unique()
        hall.start()
        after = kiosk.request(h, "kiosk-1", "ticket.issue", {"queue": "A"}, retry_id)
        again = kiosk.request(h, "kiosk-1", "ticket.issue", {"queue": "A"}, retry_id)
        assert after == again
        last = int(numbers[-1][1:])
        assert after["result"]["ticket"]["number"] == f"A{last + 1:03d}"
