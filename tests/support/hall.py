"""A tiny hall for end-to-end tests: a catalog open around the clock, and a backend in a thread."""

from __future__ import annotations

from pathlib import Path

from backend.app import Backend, build
from backend.catalog.cli import cli_import
from backend.registry import upsert_device
from backend.settings import BackendSettings
from protocol.client import MqttBus

CATALOG = """\
format: 1
hall:
  name: 测试大厅
departments:
  - id: ga
    name: 公安局
queues:
  - id: A
    prefix: A
    name: 出入境业务
    hours:
      - {start: "00:00", end: "24:00", days: [1, 2, 3, 4, 5, 6, 7]}
windows:
  - id: "1"
    number: 1
    name: 1号窗口
    queues: [A]
items:
  - id: GA-001
    code: GA-001
    name: 普通护照签发
    department: ga
    kind: 承诺件
    queue: A
    windows: ["1"]
    statutory_days: 15
    promised_days: 7
"""


def start_backend(broker, data_dir: Path, devices=(("kiosk-1", "kiosk", None), ("keypad-1", "keypad", "1"),
                                                     ("wall-1", "wall", None))) -> Backend:
    """A real backend (SQLite file, MqttBus) serving *broker* from a thread, with CATALOG loaded."""
    settings = BackendSettings(hall=broker.hall, data_dir=str(data_dir))
    bus = MqttBus(broker.settings("backend", session_expiry_s=0), broker.hall, client_id="backend")
    backend = build(settings, bus)
    path = data_dir / "catalog.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    assert cli_import(backend.engine, path, False) == 0
    with backend.engine.begin() as conn:
        for device, role, window in devices:
            upsert_device(conn, device, role, window)
    return backend.start()
