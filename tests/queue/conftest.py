"""A backend on a FakeBus with the small hall of hall.py imported through the catalog service."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from backend.app import Backend, build
from backend.catalog import service as catalog_service
from backend.catalog.model import Catalog, HallInfo
from backend.registry import Actor, upsert_device
from backend.settings import BackendSettings, QueueRules
from backend.web.users import add_user
from protocol import new_id
from protocol.fakebus import FakeBroker, FakeBus
from protocol.models import Department, Reply, Request

from .hall import ITEMS, QUEUES, WINDOWS, Clock

HALL = "test"
DEVICES = (("kiosk-1", "kiosk", None), ("keypad-1", "keypad", "w1"), ("keypad-2", "keypad", "w2"),
           ("eval-1", "evaluator", "w1"), ("wall-1", "wall", None))


def small_catalog() -> Catalog:
    return Catalog(hall=HallInfo(name="测试政务服务中心"), departments=(Department(id="d1", name="综合部门"),),
                   queues=tuple(QUEUES), windows=tuple(WINDOWS), items=tuple(ITEMS))


def load_hall(backend: Backend, catalog: Catalog | None = None) -> None:
    """Import the catalog, register the devices and a staff user (what an installer does once)."""
    catalog_service.run(backend.engine, backend.publisher, lambda conn: catalog_service.apply_import(
        conn, catalog or small_catalog(), backend.executor.topics))
    with backend.engine.begin() as conn:
        for device, role, window in DEVICES:
            upsert_device(conn, device, role, window)
        add_user(conn, "alice", "alice-password", "staff", "李丽", "社保窗口")
        add_user(conn, "bob", "bob-password", "staff", "王波", "综合窗口")
        add_user(conn, "admin", "admin-password", "admin", "管理员")


@dataclass
class Hall:
    """The backend, its fake broker and clock, and helpers to send requests."""

    backend: Backend
    broker: FakeBroker
    clock: Clock
    actors: dict = field(default_factory=dict)

    def actor(self, device: str) -> Actor:
        for name, role, window in DEVICES:
            if name == device:
                return Actor(name, role, window)
        if device.startswith("console:"):
            return Actor(device, "console", None, device.split(":", 1)[1])
        raise KeyError(device)

    def ask(self, device: str, kind: str, request_id: str | None = None, actor: Actor | None = None,
            **params) -> Reply:
        request = Request(id=request_id or new_id("r"), type=kind, params=params)
        return self.backend.executor.execute(actor or self.actor(device), request)

    def ok(self, device: str, kind: str, **params) -> dict:
        reply = self.ask(device, kind, **params)
        assert reply.ok, reply.error
        return reply.result

    def error(self, device: str, kind: str, **params) -> str:
        reply = self.ask(device, kind, **params)
        assert not reply.ok, reply.result
        return reply.error.code

    def retained(self, topic: str):
        raw = self.broker.retained.get(topic)
        return json.loads(raw) if raw else None

    def published(self, topic_filter: str) -> list:
        return [json.loads(m.payload) if m.payload else None for m in self.broker.published(topic_filter)]

    @property
    def topics(self):
        return self.backend.executor.topics


def make_settings(tmp_path, **rules) -> BackendSettings:
    return BackendSettings(hall=HALL, data_dir=str(tmp_path), timezone="Asia/Shanghai",
                           public_url="http://hall.test", queue=QueueRules(check_interval_s=0, **rules))


@pytest.fixture
def hall(tmp_path) -> Hall:
    clock = Clock()
    broker = FakeBroker()
    backend = build(make_settings(tmp_path), FakeBus(broker, HALL, client_id="backend"), clock=clock)
    load_hall(backend)
    backend.start()
    yield Hall(backend, broker, clock)
    backend.stop()
