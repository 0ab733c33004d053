"""Appointments (预约) and the ``hall appointment add`` command; the domain core's purity;
the ticket and its idempotency key committed together."""

from __future__ import annotations

import ast
import io
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

import backend.core as core
from backend.queue.admin import cli_add_appointment, create_appointment
from backend.queue.tables import tickets
from backend.registry import Actor
from protocol import ProtocolError
from protocol.models import Request

ROOT = Path(__file__).resolve().parents[2]


def test_cli_adds_an_appointment_for_a_queue_or_an_item(hall, capsys):
    engine = hall.backend.engine
    out = io.StringIO()
    assert cli_add_appointment(engine, "ABC123", "i-deed", "2024-05-06", out=out) == 0
    assert "item i-deed in queue qc on 2024-05-06" in out.getvalue()
    assert cli_add_appointment(engine, "ABC123", "qa", "2024-05-06") == 1  # code taken
    assert cli_add_appointment(engine, "XYZ789", "nope", "2024-05-06") == 1
    assert cli_add_appointment(engine, "XYZ789", "qa", "6 May") == 2
    assert "not added" in capsys.readouterr().err
    ticket = hall.ok("kiosk-1", "ticket.checkin", code="ABC123")["ticket"]
    assert (ticket["number"], ticket["priority"], ticket["item"], ticket["item_name"]) == (
        "C001", "appointment", "i-deed", "不动产证")
    assert hall.error("kiosk-1", "ticket.checkin", code="ABC123") == "already_checked_in"


def test_appointment_codes_are_checked(hall):
    with hall.backend.engine.begin() as conn:
        with pytest.raises(ProtocolError):
            create_appointment(conn, "no!", "qa", date(2024, 5, 6), catalog=hall.backend.queue_service.catalog(conn))


def test_the_domain_core_imports_no_framework():
    pure = ("domain.py", "rules.py", "engine.py", "repo.py", "memory.py")
    banned = {"flask", "sqlalchemy", "paho", "werkzeug", "backend"}
    for name in pure:
        tree = ast.parse((ROOT / "backend" / "queue" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for module in modules:
                assert module.split(".")[0] not in banned, f"{name} imports {module}"


def test_a_crash_before_the_reply_is_stored_leaves_no_ticket(hall, monkeypatch):
    def power_cut(*args, **kwargs):
        raise KeyboardInterrupt("power cut before the reply is stored")

    monkeypatch.setattr(core, "record_reply", power_cut)
    with pytest.raises(KeyboardInterrupt):
        hall.backend.executor.execute(Actor("kiosk-1", "kiosk"),
                                      Request(id="r-1", type="ticket.issue", params={"queue": "qa"}))
    monkeypatch.undo()
    with hall.backend.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tickets)).scalar() == 0
