"""The kiosk against a real broker and backend: the broker stops and comes back.

While the broker is away the guide and search keep working from the catalog
the kiosk saved, number-taking is refused with a clear notice and no request
is queued; when the broker is back, a ticket is taken normally and numbering
continues.
"""

from __future__ import annotations

import threading

import pytest

from hardware.printer import EmulatedPrinter, TicketPrinter
from kiosk.model import DeskState, KioskModel
from kiosk.model.kiosk import Options
from kiosk.node import KioskNode
from kiosk.runner import InlineRunner
from protocol.client import MqttBus
from tests.support.fixtures import wait_until
from tests.support.hall import start_backend

pytestmark = pytest.mark.broker


@pytest.fixture
def hall(own_broker, tmp_path):
    backend = start_backend(own_broker, tmp_path)
    yield backend
    backend.stop()


def test_kiosk_keeps_the_guide_and_refuses_tickets_while_the_broker_is_down(own_broker, hall, tmp_path):
    bus = MqttBus(own_broker.settings("kiosk-1"), own_broker.hall, device="kiosk-1")
    connected = threading.Event()
    bus.on_connect(connected.set)
    model = KioskModel(bus.topics, Options(press_cooldown_s=0))  # presses here are seconds apart, not double taps
    node = KioskNode(bus, device="kiosk-1", model=model, printer=TicketPrinter(EmulatedPrinter()),
                     catalog_path=tmp_path / "kiosk" / "catalog.json", runner=InlineRunner(),
                     request_timeout_s=5).start()
    bus.start()
    try:
        assert connected.wait(10)
        wait_until(lambda: model.hall.mirror.complete and (tmp_path / "kiosk" / "catalog.json").exists(),
                   what="the catalog")
        wait_until(lambda: model.take_status(model.hall.item("GA-001")).ok, what="queue A accepting")
        assert node.take_number("GA-001")
        assert model.desk.state is DeskState.ISSUED and model.desk.ticket.number == "A001"
        model.go_home()

        connected.clear()
        own_broker.stop()
        wait_until(lambda: not bus.connected.is_set(), what="the disconnect")
        node.tick()
        status = model.take_status(model.hall.item("GA-001"))
        assert not status.ok and status.reason  # a notice the visitor can read
        model.open_search()
        for key in "HZ":
            model.type_key(key)
        assert any(hit.item.id == "GA-001" for hit in model.results())  # search still works offline
        node.take_number("GA-001")
        assert model.desk.state is not DeskState.ISSUED

        own_broker.start()
        assert connected.wait(20)
        wait_until(lambda: (node.tick() or True) and model.take_status(model.hall.item("GA-001")).ok,
                   what="number-taking back")
        model.go_home()
        assert node.take_number("GA-001")
        assert model.desk.state is DeskState.ISSUED and model.desk.ticket.number == "A002"
    finally:
        node.stop()
        bus.stop()


def test_a_rebooted_kiosk_with_no_network_still_has_the_guide(own_broker, hall, tmp_path):
    path = tmp_path / "kiosk" / "catalog.json"
    bus = MqttBus(own_broker.settings("kiosk-1"), own_broker.hall, device="kiosk-1")
    model = KioskModel(bus.topics)
    node = KioskNode(bus, device="kiosk-1", model=model, catalog_path=path, runner=InlineRunner()).start()
    bus.start()
    wait_until(path.exists, what="the saved catalog")
    node.stop()
    bus.stop()
    own_broker.stop()

    offline_bus = MqttBus(own_broker.settings("kiosk-1"), own_broker.hall, device="kiosk-1")
    rebooted = KioskModel(offline_bus.topics)
    again = KioskNode(offline_bus, device="kiosk-1", model=rebooted, catalog_path=path,
                      runner=InlineRunner()).start()
    offline_bus.start()
    try:
        assert rebooted.hall.item("GA-001").name == "普通护照签发"
        rebooted.open_search()
        for key in "PTHZ":
            rebooted.type_key(key)
        assert [hit.item.id for hit in rebooted.results()][:1] == ["GA-001"]
        again.tick()
        assert not rebooted.take_status(rebooted.hall.item("GA-001")).ok
    finally:
        again.stop()
        offline_bus.stop()
