"""A hall's morning, driven by independent MQTT clients and checked against the rules of
docs/queue.md and the contract of the README.

The backend runs as its own process on a real broker and a real SQLite file, provisioned with the
``hall`` command as an installer would; every device is a plain paho client (tests/support/mqtt.py)
speaking only the README's contract.  Kiosks take numbers (ordinary, priority, an urgent item, an
appointment), windows call, recall to no-show, skip, start, finish, transfer, pause and resume, an
evaluator rates; every reply is checked, and after every step the wall's view - the call events and
the last retained state of each topic - is compared with what the rules say and with the database.
Then the backend is killed with SIGKILL and started again: it republishes the same state.

The hall's time zone is chosen so that its local time is about noon while the test runs: no local
midnight (a rollover) can fall inside it, and "outside hours" and "closed today" are set relative
to that day.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.support.backendproc import BackendProcess, run_hall
from tests.support.mqtt import RawClient, unique

pytestmark = pytest.mark.broker

DEVICES = (("kiosk-1", "kiosk", ""), ("keypad-1", "keypad", "1"), ("keypad-2", "keypad", "2"),
           ("eval-1", "evaluator", "1"), ("wall-1", "wall", ""))
WAITING_STATES = ("waiting", "transferred")


def noon_zone() -> str:
    """An Etc/GMT zone in which it is now between 12:00 and 13:00 (Etc/GMT-5 is UTC+5)."""
    offset = 12 - datetime.now(timezone.utc).hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def catalog(today: datetime) -> str:
    other_day = today.isoweekday() % 7 + 1
    all_day = '{start: "00:00", end: "24:00", days: [1, 2, 3, 4, 5, 6, 7]}'
    return f"""\
format: 1
hall:
  name: 测试政务服务中心
departments:
  - id: ga
    name: 公安局
queues:
  - {{id: A, prefix: A, name: 出入境业务, hours: [{all_day}]}}
  - {{id: B, prefix: B, name: 税务业务, hours: [{all_day}]}}
  - {{id: C, prefix: C, name: 不动产登记, hours: [{all_day}], daily_quota: 2}}
  - {{id: D, prefix: D, name: 公积金, hours: [{{start: "09:00", end: "17:00", days: [{other_day}]}}]}}
  - {{id: E, prefix: E, name: 夜间业务, hours: [{{start: "02:00", end: "03:00", days: [1, 2, 3, 4, 5, 6, 7]}}]}}
windows:
  - {{id: "1", number: 1, name: 1号窗口, queues: [A, B]}}
  - {{id: "2", number: 2, name: 2号窗口, queues: [B, C]}}
items:
  - {{id: GA-001, code: GA-001, name: 普通护照签发, department: ga, kind: 承诺件, queue: A}}
  - {{id: SW-009, code: SW-009, name: 发票急办, department: ga, kind: 急办件, queue: B}}
"""


class Morning:
    """The clients of one hall and what a test needs to ask and look."""

    def __init__(self, hall_id: str, clients: dict[str, RawClient], db: str, day: str, config: str, env: dict):
        self.h, self.clients, self.db, self.day = hall_id, clients, db, day
        self.config, self.env = config, env
        self.wall = clients["wall-1"]

    def ask(self, device: str, kind: str, request_id: str | None = None, **params) -> dict:
        """A request as the README says (own topic, Response Topic, Correlation Data, expiry), its reply."""
        rid = request_id or unique()
        reply = self.clients[device].request(self.h, device, kind, params, rid)
        assert reply["v"] == 1 and reply["request_id"] == rid, reply
        return reply

    def ok(self, device: str, kind: str, **params) -> dict:
        reply = self.ask(device, kind, **params)
        assert reply["ok"] is True and reply.get("error") is None, reply
        return reply["result"]

    def refused(self, device: str, kind: str, **params) -> str:
        reply = self.ask(device, kind, **params)
        assert reply["ok"] is False and reply.get("result") is None, reply
        assert reply["error"]["message"] and reply["error"]["message_zh"], reply  # for the log and the visitor
        return reply["error"]["code"]

    def republished(self) -> None:
        """Wait until the backend, just (re)started, has republished every queue and window state: live
        messages, not the broker's retained copies (the wall's messages are cleared before a restart)."""
        for topic in [f"queues/{q}/state" for q in "ABCDE"] + ["windows/1/state", "windows/2/state"]:
            self.wall.expect(f"hall/{self.h}/{topic}", timeout=30, where=lambda m: not m.retain)

    def hall(self, *args: str) -> None:
        """``hall ARGS --config <the backend's settings>``, as an administrator types it."""
        run_hall(*args, "--config", self.config, env=self.env)

    def look(self) -> None:
        """Wait until the wall has everything the backend published before the last reply."""
        self.wall.fence(f"hall/{self.h}/devices/wall-1/status")

    def state(self, topic: str) -> dict | None:
        """The last payload the wall received on *topic* (what is retained there)."""
        found = [m for m in self.wall.messages if m.topic == f"hall/{self.h}/{topic}"]
        assert found, f"nothing on {topic}"
        return json.loads(found[-1].payload) if found[-1].payload else None

    def events(self) -> list[tuple[str, str, str]]:
        """The live call events so far: (kind, number, window)."""
        return [(e["kind"], e["ticket"], e["window"])
                for e in map(lambda m: json.loads(m.payload), self.wall.received(f"hall/{self.h}/events/call"))]

    def database(self) -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
        """From the SQLite file: today's waiting count per queue, and the ticket at each window."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            waiting = dict(conn.execute(
                f"SELECT queue, COUNT(*) FROM tickets WHERE day = ? AND state IN {WAITING_STATES} GROUP BY queue",
                (self.day,)).fetchall())
            at_window = {w: (n, s) for w, n, s in conn.execute(
                "SELECT window, number, state FROM tickets WHERE state IN ('called', 'serving')").fetchall()}
        return waiting, at_window

    def check_in_step(self) -> None:
        """Every retained queue and window state the wall holds says what the database says."""
        self.look()
        waiting, at_window = self.database()
        for queue in "ABCDE":
            assert self.state(f"queues/{queue}/state")["waiting"] == waiting.get(queue, 0), queue
        for window in "12":
            serving = self.state(f"windows/{window}/state")["serving"]
            expected = at_window.get(window)
            assert (None if serving is None else (serving["number"], serving["state"])) == expected, window


@pytest.fixture
def hall(own_broker, tmp_path):
    zone = noon_zone()
    today = datetime.now(ZoneInfo(zone))
    env = {**os.environ, "HALL_HOME": str(tmp_path)}
    creds = (own_broker.dir / "credentials" / "backend.toml").read_text(encoding="utf-8")
    config = tmp_path / "backend.toml"
    config.write_text(creds.replace("[broker]", f'data_dir = "{tmp_path}"\ntimezone = "{zone}"\n\n[broker]'),
                      encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text(catalog(today), encoding="utf-8")
    run_hall("catalog", "import", str(tmp_path / "catalog.yaml"), "--config", str(config), env=env)
    for device, role, window in DEVICES:
        run_hall("device", "add", device, "--role", role, "--broker-dir", str(own_broker.dir), "--config",
                 str(config), *(["--window", window] if window else []), env=env)
    run_hall("appointment", "add", "YY0001", "A", today.date().isoformat(), "--config", str(config), env=env)
    tomorrow = (today + timedelta(days=1)).date().isoformat()
    run_hall("appointment", "add", "YY0002", "A", tomorrow, "--config", str(config), env=env)
    backend = BackendProcess(config, tmp_path / "backend.log", env)
    clients = {device: RawClient.for_settings(own_broker.settings(device)) for device, _, _ in DEVICES}
    try:
        for device, client in clients.items():
            client.__enter__()
            client.subscribe(f"hall/{own_broker.hall}/devices/{device}/replies")
        h = own_broker.hall
        clients["wall-1"].subscribe(f"hall/{h}/events/call", f"hall/{h}/calls/recent", f"hall/{h}/queues/+/state",
                                    f"hall/{h}/windows/+/state")
        backend.start()
        morning = Morning(h, clients, str(tmp_path / "hall.db"), today.date().isoformat(), str(config), env)
        morning.republished()
        yield morning, backend
    finally:
        for client in clients.values():
            client.close()
        backend.stop()


def test_a_morning_in_the_hall(hall):
    m, backend = hall
    m.check_in_step()

    # -- the kiosk's config: its first language, chosen in the registry --------------------------
    kiosk, config_topic = m.clients["kiosk-1"], f"hall/{m.h}/devices/kiosk-1/config"
    kiosk.subscribe(config_topic)
    config = json.loads(kiosk.expect(config_topic, timeout=10).payload)
    assert (config["device"], config["role"], config["language"]) == ("kiosk-1", "kiosk", "")   # its own
    m.hall("device", "set", "kiosk-1", "--language", "en")
    changed = kiosk.expect(config_topic, timeout=20, where=lambda msg: not msg.retain)   # the next tick (5 s)
    assert json.loads(changed.payload)["language"] == "en"

    # -- 取号: ordinary, priority, an urgent item, an appointment --------------------------------
    tickets = {}
    for n, ahead in (("A001", 0), ("A002", 1), ("A003", 2)):
        t = m.ok("kiosk-1", "ticket.issue", queue="A")["ticket"]
        assert (t["number"], t["queue"], t["priority"], t["ahead"]) == (n, "A", "normal", ahead)
        assert t["wait"]["ahead"] == ahead and t["wait"]["windows"] == 1   # window 1 serves A (not open yet)
        assert t["wait"]["basis"].startswith(f"{ahead} ahead") and t["windows"] == [1]
        tickets[n] = t
    elderly = m.ok("kiosk-1", "ticket.issue", queue="A", priority="elderly")["ticket"]
    assert (elderly["number"], elderly["priority"], elderly["ahead"]) == ("A004", "elderly", 0)  # before ordinary
    urgent = m.ok("kiosk-1", "ticket.issue", item="SW-009")["ticket"]
    assert (urgent["number"], urgent["queue"], urgent["priority"], urgent["item"]) == ("B001", "B", "urgent", "SW-009")
    appointment = m.ok("kiosk-1", "ticket.checkin", code="YY0001")["ticket"]
    assert (appointment["number"], appointment["priority"], appointment["ahead"]) == ("A005", "appointment", 1)
    assert m.refused("kiosk-1", "ticket.checkin", code="YY0001") == "already_checked_in"
    assert m.refused("kiosk-1", "ticket.checkin", code="YY0002") == "appointment_not_today"
    assert m.refused("kiosk-1", "ticket.checkin", code="ZZ9999") == "unknown_appointment"
    assert [m.ok("kiosk-1", "ticket.issue", queue="C")["ticket"]["number"] for _ in range(2)] == ["C001", "C002"]
    assert m.refused("kiosk-1", "ticket.issue", queue="C") == "quota_exhausted"
    assert m.refused("kiosk-1", "ticket.issue", queue="D") == "queue_closed"
    assert m.refused("kiosk-1", "ticket.issue", queue="E") == "outside_hours"
    assert m.refused("kiosk-1", "ticket.issue", queue="Z") == "unknown_queue"
    assert m.refused("kiosk-1", "ticket.issue", item="NO-SUCH") == "unknown_item"
    m.check_in_step()
    a = m.state("queues/A/state")
    assert (a["waiting"], a["issued_today"], a["last_called"], a["accepting"]) == (5, 5, None, True)
    c = m.state("queues/C/state")
    assert (c["issued_today"], c["quota_left"], c["accepting"]) == (2, 0, False) and c["reason"]
    assert not m.state("queues/D/state")["accepting"] and not m.state("queues/E/state")["accepting"]
    assert m.events() == []

    # -- window 1: priority first, recall to no-show ---------------------------------------------
    called = m.ok("keypad-1", "window.call_next")
    assert called["ticket"] == "A004" and called["window"]["status"] == "open"
    assert called["window"]["serving"]["number"] == "A004" and called["window"]["serving"]["state"] == "called"
    m.check_in_step()
    assert m.events() == [("call", "A004", "1")]
    assert m.state("calls/recent")["calls"][0]["ticket"] == "A004"
    assert m.state("queues/A/state")["last_called"] == "A004"
    for _ in range(3):
        assert m.ok("keypad-1", "window.recall")["ticket"] == "A004"
    no_show = m.ok("keypad-1", "window.recall")   # once more than the limit: a no-show, not announced
    assert no_show["ticket"] == "A004" and no_show["window"]["serving"] is None
    m.check_in_step()
    assert m.events() == [("call", "A004", "1")] + [("recall", "A004", "1")] * 3
    assert m.refused("keypad-1", "window.recall") == "invalid_state"   # nothing called at the window

    # -- the appointment: start, finish, a rating bound to it ------------------------------------
    assert m.ok("keypad-1", "window.call_next")["ticket"] == "A005"
    assert m.ok("keypad-1", "window.start")["window"]["serving"]["state"] == "serving"
    assert m.refused("eval-1", "evaluation.submit", level=5) == "nothing_to_evaluate"   # still being served
    finished = m.ok("keypad-1", "window.finish")
    assert finished["window"]["serving"] is None and finished["window"]["awaiting_evaluation"] == appointment["id"]
    assert m.refused("eval-1", "evaluation.submit", level=2) == "reason_required"
    rated = m.ok("eval-1", "evaluation.submit", level=5)
    assert (rated["ticket_id"], rated["level"], rated["label"]) == (appointment["id"], 5, "非常满意")
    assert m.refused("eval-1", "evaluation.submit", level=4, ticket_id=appointment["id"]) == "already_evaluated"
    m.check_in_step()
    assert m.state("windows/1/state")["awaiting_evaluation"] is None

    # -- the urgent ticket, skipped; then at most 3 priority calls in a row ----------------------
    assert m.ok("keypad-1", "window.call_next")["ticket"] == "B001"   # 3rd priority call in a row
    assert m.refused("keypad-1", "window.skip") == "reason_required"
    assert m.ok("keypad-1", "window.skip", reason="未到场")["ticket"] == "B001"
    green = m.ok("kiosk-1", "ticket.issue", queue="A", priority="green")["ticket"]
    assert (green["number"], green["ahead"]) == ("A006", 0)
    ordinary_call_id = unique()
    ordinary = m.ask("keypad-1", "window.call_next", request_id=ordinary_call_id)
    assert ordinary["ok"] and ordinary["result"]["ticket"] == "A001"   # the ordinary line's turn, A006 waits
    m.check_in_step()

    # -- transfer: the ticket keeps its number and its place --------------------------------------
    assert m.refused("keypad-1", "window.transfer", to_queue="B") == "reason_required"
    moved = m.ok("keypad-1", "window.transfer", to_queue="B", reason="需先办理税务")
    assert moved["ticket"] == "A001" and moved["window"]["serving"] is None
    m.check_in_step()
    assert m.state("queues/B/state")["waiting"] == 1 and m.state("queues/A/state")["waiting"] == 3
    assert m.ok("keypad-1", "window.call_next")["ticket"] == "A006"   # after an ordinary call: priority again
    assert m.ok("keypad-1", "window.finish")["ticket"] == "A006"
    poor = m.ok("eval-1", "evaluation.submit", level=1, reasons=["服务效率"], comment="等了很久")
    assert (poor["ticket_id"], poor["label"]) == (green["id"], "非常不满意")

    # -- window 2: the transferred ticket, pause and resume ---------------------------------------
    assert m.ok("keypad-2", "window.call_next")["ticket"] == "A001"   # B's line, under its old number
    m.check_in_step()
    assert m.events()[-1] == ("call", "A001", "2")
    assert m.refused("keypad-2", "window.pause") == "invalid_state"   # a ticket is at the window
    assert m.ok("keypad-2", "window.finish")["ticket"] == "A001"
    assert m.ok("keypad-2", "window.pause", reason="午休")["window"]["status"] == "paused"
    assert m.refused("keypad-2", "window.call_next") == "window_paused"
    m.check_in_step()
    assert m.state("windows/2/state")["status"] == "paused"
    assert m.ok("keypad-2", "window.resume")["window"]["status"] == "open"
    assert m.ok("keypad-2", "window.call_next")["ticket"] == "C001"   # window 2's second queue
    assert m.ok("keypad-2", "window.finish")["ticket"] == "C001"
    assert m.ok("keypad-2", "window.call_next")["ticket"] == "C002"
    assert m.ok("keypad-2", "window.finish")["ticket"] == "C002"
    assert m.refused("keypad-2", "window.call_next") == "nothing_waiting"

    # -- who may ask what ------------------------------------------------------------------------
    assert m.refused("keypad-2", "window.call_next", window="1") == "not_permitted"   # not its window
    assert m.refused("kiosk-1", "window.call_next", window="1") == "not_permitted"
    assert m.refused("eval-1", "window.call_next") == "not_permitted"
    assert m.refused("keypad-1", "ticket.issue", queue="A") == "not_permitted"

    # -- 特呼: the no-show comes back ----------------------------------------------------------------
    assert m.refused("keypad-1", "window.call_number", ticket="A004") == "reason_required"
    assert m.refused("keypad-1", "window.call_number", ticket="A099", reason="群众返回") == "unknown_ticket"
    back = m.ok("keypad-1", "window.call_number", ticket="A004", reason="群众返回")
    assert back["ticket"] == "A004" and back["window"]["serving"]["number"] == "A004"

    # -- a retried request gets its original reply and does nothing again --------------------------
    events_before = m.events()
    assert m.ask("keypad-1", "window.call_next", request_id=ordinary_call_id) == ordinary
    m.check_in_step()
    assert m.events() == events_before and events_before[-1] == ("call", "A004", "1")
    a = m.state("queues/A/state")
    assert (a["waiting"], a["issued_today"], a["last_called"]) == (2, 6, "A004")   # A002 and A003 wait
    assert [c["ticket"] for c in m.state("calls/recent")["calls"]][:4] == ["A004", "C002", "C001", "A001"]

    # -- every step is in the audit log, and the poor rating awaits its follow-up --------------------
    with sqlite3.connect(f"file:{m.db}?mode=ro", uri=True) as conn:
        trail = conn.execute("SELECT from_state, to_state, reason FROM ticket_audit WHERE number = 'A004' "
                             "ORDER BY id").fetchall()
        followup = conn.execute("SELECT level, followup_status FROM evaluations ORDER BY level").fetchall()
    assert [(f, t) for f, t, _ in trail] == [(None, "waiting"), ("waiting", "called")] + \
        [("called", "called")] * 3 + [("called", "no_show"), ("no_show", "called")]
    assert "recall limit" in trail[5][2] and "群众返回" in trail[6][2]
    assert followup == [(1, "待回访"), (5, "")]

    # -- SIGKILL: the state comes back as it was -----------------------------------------------------
    before = {topic: m.state(topic) for topic in ("queues/A/state", "queues/B/state", "queues/C/state",
                                                 "windows/1/state", "windows/2/state")}
    backend.kill9()
    m.wall.messages.clear()
    backend.start()
    m.republished()
    m.check_in_step()
    for topic, payload in before.items():
        after = m.state(topic)
        assert {k: v for k, v in after.items() if k != "updated_at"} == \
            {k: v for k, v in payload.items() if k != "updated_at"}, topic
    assert m.ok("kiosk-1", "ticket.issue", queue="A")["ticket"]["number"] == "A007"
