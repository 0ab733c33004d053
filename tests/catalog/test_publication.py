"""Publication on MQTT: a fresh subscriber rebuilds the catalog from retained messages.

On the FakeBus, and on a real Mosquitto with the project's broker configuration
(the ``own_broker`` fixture): the backend connects as ``backend``, the
subscriber as the kiosk ``kiosk-1`` with the kiosk's ACL.
"""

from __future__ import annotations

import threading

import pytest

from backend.catalog import service, store
from backend.publisher import Publisher
from protocol.fakebus import FakeBus
from protocol.mirror import CatalogMirror
from protocol.models.catalog import Item
from protocol import Topics

from .conftest import HALL


def mirror_on(fake_broker) -> CatalogMirror:
    bus = FakeBus(fake_broker, HALL, device="kiosk-1").start()
    mirror = CatalogMirror(Topics(HALL))
    mirror.subscribe(bus)
    return mirror


def test_fresh_subscriber_rebuilds_the_whole_catalog(publisher, fake_broker, loaded, sample):
    assert publisher.republish_all() == len(sample.items) + 1
    mirror = mirror_on(fake_broker)
    assert mirror.complete and mirror.version == 1
    assert mirror.items() == list(sample.items)
    assert mirror.department_names()["gaj"] == "公安局"


def test_edit_publishes_only_that_item_and_the_index(publisher, fake_broker, loaded, sample, topics):
    publisher.republish_all()
    mirror = mirror_on(fake_broker)
    start = len(fake_broker.log)
    item = sample.item("GAJ-001").model_copy(update={"promised_days": 5})
    service.run(loaded, publisher, lambda conn: service.save_entry(conn, item, topics, creating=False))
    sent = [(m.topic, m.retain) for m in fake_broker.log[start:]]
    assert sent == [(topics.catalog_item("GAJ-001"), True), (topics.catalog_index(), True)]
    assert mirror.complete and mirror.version == 2 and mirror.item("GAJ-001").promised_days == 5
    late = mirror_on(fake_broker)  # a subscriber that comes later sees the same
    assert late.complete and late.item("GAJ-001") == item


def test_delete_clears_the_retained_item(publisher, fake_broker, loaded, topics):
    publisher.republish_all()
    mirror = mirror_on(fake_broker)
    start = len(fake_broker.log)
    service.run(loaded, publisher, lambda conn: service.delete_entry(conn, Item, "MZJ-005", topics))
    sent = [(m.topic, m.payload) for m in fake_broker.log[start:]]
    assert sent[1] == (topics.catalog_item("MZJ-005"), b"")
    assert topics.catalog_item("MZJ-005") not in fake_broker.retained
    assert mirror.complete and mirror.item("MZJ-005") is None
    assert mirror_on(fake_broker).complete


def test_sync_republishes_after_another_process_changed_the_database(publisher, fake_broker, loaded, sample, topics):
    sync = service.CatalogSync(loaded, publisher, topics)
    publisher.add_provider(sync.provider)
    publisher.republish_all()
    assert sync.check() is False
    item = sample.item("CL-001").model_copy(update={"notes": "改自命令行"})
    service.run(loaded, None, lambda conn: service.save_entry(conn, item, topics, creating=False))  # like the CLI
    assert sync.check() is True
    assert mirror_on(fake_broker).item("CL-001").notes == "改自命令行"
    assert sync.check() is False


def test_installer_adds_the_provider(loaded, fake_broker):
    class Backend:  # the parts of backend.app.Backend that install() uses
        engine = loaded
        publisher = Publisher(FakeBus(fake_broker, HALL, client_id="backend").start(), loaded)

        class executor:
            topics = Topics(HALL)

        periodic: list = []

    backend = Backend()
    service.install(backend)
    backend.publisher.republish_all()
    assert mirror_on(fake_broker).complete
    assert backend.periodic == [backend.publisher.services["catalog_sync"].check]
    assert backend.periodic[0]() is False


@pytest.mark.broker
def test_real_broker_subscriber_rebuilds_edits_and_deletes(own_broker, loaded, sample, topics):
    from protocol.client import MqttBus

    backend_bus = MqttBus(own_broker.settings("backend", session_expiry_s=0), own_broker.hall, client_id="backend")
    publisher = Publisher(backend_bus, loaded)
    publisher.add_provider(service.CatalogSync(loaded, publisher, topics).provider)
    backend_bus.on_connect(publisher.republish_all)
    changed = threading.Condition()

    def wait_for(predicate, what: str) -> None:
        with changed:
            assert changed.wait_for(predicate, timeout=10), f"timed out waiting for {what}"

    def notify(_mirror) -> None:
        with changed:
            changed.notify_all()

    kiosk = MqttBus(own_broker.settings("kiosk-1", session_expiry_s=0), own_broker.hall, device="kiosk-1")
    mirror = CatalogMirror(Topics(own_broker.hall), on_change=notify)
    try:
        backend_bus.start()
        assert backend_bus.wait_connected(10)
        mirror.subscribe(kiosk)
        kiosk.start()
        wait_for(lambda: mirror.complete, "the full catalog")
        assert mirror.items() == list(sample.items)

        item = sample.item("WSJ-001").model_copy(update={"name": "医疗机构执业登记（新）"})
        service.run(loaded, publisher, lambda conn: service.save_entry(conn, item, topics, creating=False))
        wait_for(lambda: mirror.complete and mirror.version == 2, "the edit")
        assert mirror.item("WSJ-001").name == "医疗机构执业登记（新）"

        service.run(loaded, publisher, lambda conn: service.delete_entry(conn, Item, "WSJ-002", topics))
        wait_for(lambda: mirror.complete and mirror.version == 3, "the delete")
        assert mirror.item("WSJ-002") is None

        fresh = CatalogMirror(Topics(own_broker.hall), on_change=notify)  # a subscriber arriving now
        late = MqttBus(own_broker.settings("kiosk-2", session_expiry_s=0), own_broker.hall, device="kiosk-2")
        fresh.subscribe(late)
        late.start()
        try:
            wait_for(lambda: fresh.complete, "a late subscriber's catalog")
            with loaded.connect() as conn:
                assert fresh.items() == store.list_items(conn)
        finally:
            late.stop()
    finally:
        kiosk.stop()
        backend_bus.stop()
