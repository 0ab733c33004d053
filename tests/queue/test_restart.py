"""Kill the backend process with SIGKILL — between operations and in the middle of a burst —
and check that state, numbering and idempotency carry on from the database."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import pytest

from backend.app import build
from backend.db import make_engine
from protocol import new_id
from protocol.fakebus import FakeBroker, FakeBus
from protocol.models import Request

from tests.support.backendproc import BackendProcess

from .conftest import HALL, load_hall

pytestmark = pytest.mark.broker


def backend_process(directory: Path, broker) -> BackendProcess:
    """``python -m backend --no-web`` on a settings file of *directory*, started and SIGKILLed by the test."""
    creds = broker.credentials("backend")["broker"]
    config = directory / "backend.toml"
    config.write_text(
        f'hall = "{HALL}"\ndata_dir = "{directory}"\ntimezone = "Asia/Shanghai"\n\n'
        f'[broker]\nhost = "{creds["host"]}"\nport = {creds["port"]}\nusername = "{creds["username"]}"\n'
        f'password = "{creds["password"]}"\n\n[queue]\ncheck_interval_s = 0\n', encoding="utf-8")
    return BackendProcess(config, directory / "backend.log")


def prepare(directory: Path) -> None:
    """The database the backend process will open: catalog, devices, users."""
    settings_dir = directory
    from .conftest import make_settings

    engine = make_engine(f"sqlite:///{settings_dir}/hall.db")
    backend = build(make_settings(settings_dir), FakeBus(FakeBroker(), HALL, client_id="setup"), engine=engine)
    load_hall(backend)
    backend.stop()


@pytest.fixture
def running(own_broker, tmp_path):
    from protocol.client import MqttBus

    prepare(tmp_path)
    process = backend_process(tmp_path, own_broker)
    process.start()
    kiosk = MqttBus(own_broker.settings("kiosk-1"), HALL, device="kiosk-1").start()
    keypad = MqttBus(own_broker.settings("keypad-1"), HALL, device="keypad-1").start()
    assert kiosk.wait_connected(10) and keypad.wait_connected(10)
    yield process, kiosk, keypad
    kiosk.stop()
    keypad.stop()
    process.stop()
    if process.proc and process.proc.returncode not in (0, -signal.SIGKILL):
        print(process.tail())


def call(bus, kind: str, request_id: str | None = None, timeout: float = 20.0, **params):
    return bus.request(Request(id=request_id or new_id("t"), type=kind, params=params), timeout=timeout,
                       attempt_timeout=1.0)


def test_state_and_numbering_survive_sigkill_between_operations(running):
    process, kiosk, keypad = running
    numbers = [call(kiosk, "ticket.issue", queue="qa").result["ticket"]["number"] for _ in range(3)]
    assert numbers == ["A001", "A002", "A003"]
    call(keypad, "window.resume")
    first = call(keypad, "window.call_next", request_id="keypad-next-1")
    assert first.result["ticket"] == "A001"
    process.kill9()
    process.start()
    again = call(keypad, "window.call_next", request_id="keypad-next-1")  # a retry after the crash
    assert again == first
    assert call(kiosk, "ticket.issue", queue="qa").result["ticket"]["number"] == "A004"
    assert call(keypad, "window.call_next").error.code == "invalid_state"  # A001 is still at the window
    call(keypad, "window.finish")
    assert call(keypad, "window.call_next").result["ticket"] == "A002"
    process.kill9()
    process.start()
    finished = call(keypad, "window.finish")
    assert finished.ok and finished.result["window"]["awaiting_evaluation"]


def test_sigkill_in_the_middle_of_a_burst(running):
    """Every request gets exactly one ticket and the numbers have no gap, though the backend died."""
    process, kiosk, _ = running
    results: dict[str, str] = {}
    errors: list = []
    ids = [f"burst-{i:04d}" for i in range(120)]
    started = threading.Event()

    def burst():
        for i, request_id in enumerate(ids):
            if i == 20:
                started.set()
            try:
                reply = call(kiosk, "ticket.issue", request_id=request_id, timeout=30, queue="qb")
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                errors.append((request_id, repr(exc)))
                continue
            if reply.ok:
                results[request_id] = reply.result["ticket"]["number"]
            else:
                errors.append((request_id, reply.error.code))

    thread = threading.Thread(target=burst)
    thread.start()
    assert started.wait(30)
    process.kill9()
    done_at_kill = len(results)
    process.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert not errors, errors[:5]
    assert 20 <= done_at_kill < len(ids)  # the crash really fell inside the burst
    numbers = sorted(results.values())
    assert numbers == [f"B{n:03d}" for n in range(1, len(ids) + 1)]
    # the retries that crossed the crash got their original tickets back
    again = {rid: call(kiosk, "ticket.issue", request_id=rid, queue="qb").result["ticket"]["number"]
             for rid in ids[15:30]}
    assert again == {rid: results[rid] for rid in ids[15:30]}
    state = json.loads(json.dumps(call(kiosk, "ticket.issue", queue="qb").result))
    assert state["ticket"]["number"] == f"B{len(ids) + 1:03d}"
