"""Kiosk fixtures: a FakeBroker hall, a fake clock, an emulated printer and a started node."""

from __future__ import annotations

import pytest

from hardware.printer import EmulatedPrinter, PaperStatus, TicketPrinter
from kiosk.model import KioskModel, Options
from kiosk.node import KioskNode
from kiosk.runner import InlineRunner
from protocol.fakebus import FakeBroker, FakeBus

from .fakehall import HALL, NOW, FakeBackend


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def broker():
    return FakeBroker()


@pytest.fixture
def backend(broker):
    backend = FakeBackend(broker)
    backend.publish_catalog()
    backend.publish_queues()
    yield backend
    backend.bus.stop()


@pytest.fixture
def paper():
    """The emulated printer's paper roll: set ``paper.paper = PaperStatus.OUT``."""
    return EmulatedPrinter(paper=PaperStatus.OK)


@pytest.fixture
def options():
    return Options(popular_items=("SCJ-001", "GA-003", "MZ-002"), help_text="请到一楼咨询台找工作人员")


def make_node(broker, clock, paper, options, tmp_path, **kwargs) -> KioskNode:
    bus = FakeBus(broker, HALL, device="kiosk-1")
    model = KioskModel(bus.topics, options, clock=clock, wall=lambda: NOW)
    return KioskNode(bus, device="kiosk-1", model=model, printer=TicketPrinter(paper, width=32),
                     catalog_path=tmp_path / "catalog.json", runner=kwargs.pop("runner", None) or InlineRunner(), printer_kind="emulator",
                     request_timeout_s=kwargs.pop("request_timeout_s", 0.05), **kwargs)


@pytest.fixture
def node(broker, backend, clock, paper, options, tmp_path):
    node = make_node(broker, clock, paper, options, tmp_path).start()
    yield node
    node.stop()
