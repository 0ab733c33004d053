"""The request executor: permission, idempotency in the same transaction, errors, ordering."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from backend.app import build
from backend.core import COMMITS, Outcome
from backend.publisher import Publication
from backend.registry import Actor, set_device_language, upsert_device
from hallcore.errors import ConfigError
from protocol.fakebus import FakeBroker, FakeBus
from protocol import ProtocolError
from protocol.models import Alert, Request

KIOSK = Actor("kiosk-1", "kiosk")
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
KEYPAD = Actor("keypad-1", "keypad", window="1")


def make_backend(settings):
    broker = FakeBroker()
    backend = build(settings, FakeBus(broker, settings.hall, client_id="backend"))
    calls = []

    def issue(ctx):
        calls.append(ctx.request.id)
        if ctx.params.queue == "closed":
            ctx.conn.execute(sa.text("CREATE TABLE IF NOT EXISTS scratch (x)"))  # rolled back below
            raise ProtocolError("queue_closed", "queue closed is closed")
        alert = Alert(id="a1", kind="other", since=ctx.now, message=f"issued {ctx.request.id}")
        return Outcome({"n": len(calls)}, [Publication(ctx.topics.alert("a1"), alert)])

    backend.executor.register("ticket.issue", issue)
    backend.executor.register("window.call_next", lambda ctx: Outcome({"window": ctx.window}))
    return backend, broker, calls


def test_a_retried_request_returns_the_original_reply_and_runs_once(settings):
    backend, broker, calls = make_backend(settings)
    request = Request(id="r-1", type="ticket.issue", params={"queue": "A"})
    first = backend.executor.execute(KIOSK, request)
    again = backend.executor.execute(KIOSK, request)
    assert first == again and first.ok and first.result == {"n": 1}
    assert calls == ["r-1"]
    assert len(broker.published(backend.executor.topics.alert("a1"))) == 1  # published once, after commit
    other = backend.executor.execute(KIOSK, Request(id="r-2", type="ticket.issue", params={"queue": "A"}))
    assert other.result == {"n": 2}


def test_same_request_id_from_another_device_is_another_request(settings):
    backend, _broker, calls = make_backend(settings)
    request = Request(id="r-1", type="ticket.issue", params={"queue": "A"})
    backend.executor.execute(KIOSK, request)
    backend.executor.execute(Actor("kiosk-2", "kiosk"), request)
    assert calls == ["r-1", "r-1"]


def test_a_batch_finds_its_retries_by_device_and_id(settings):
    """The stored replies of a batch are read at once: a retry among new requests gets its own
    reply, and the same id from another device in the same batch is another request."""
    backend, _broker, calls = make_backend(settings)
    first = backend.executor.execute(KIOSK, Request(id="r-1", type="ticket.issue", params={"queue": "A"}))
    batch = [(KIOSK, Request(id="r-2", type="ticket.issue", params={"queue": "A"})),
             (Actor("kiosk-2", "kiosk"), Request(id="r-1", type="ticket.issue", params={"queue": "A"})),
             (KIOSK, Request(id="r-1", type="ticket.issue", params={"queue": "A"}))]
    replies = backend.executor.execute_batch(batch)
    assert [r.result for r in replies] == [{"n": 2}, {"n": 3}, {"n": 1}]
    assert replies[2] == first and calls == ["r-1", "r-2", "r-1"]


def test_an_error_is_stored_too_and_its_work_rolled_back(settings):
    backend, broker, calls = make_backend(settings)
    request = Request(id="r-x", type="ticket.issue", params={"queue": "closed"})
    reply = backend.executor.execute(KIOSK, request)
    assert not reply.ok and reply.error.code == "queue_closed"
    assert backend.executor.execute(KIOSK, request) == reply and calls == ["r-x"]
    with backend.engine.connect() as conn:
        assert not sa.inspect(conn).has_table("scratch")
    assert broker.published("#") == []


def test_roles_may_only_ask_what_they_are_for(settings):
    backend, _broker, calls = make_backend(settings)
    wall = Actor("wall-1", "wall")
    for actor, kind, params in [(wall, "ticket.issue", {"queue": "A"}), (KIOSK, "window.call_next", {}),
                                (wall, "window.call_next", {"window": "1"})]:
        reply = backend.executor.execute(actor, Request(id=f"p-{actor.id}-{kind}", type=kind, params=params))
        assert reply.error.code == "not_permitted", (actor, kind)
    assert calls == []


def test_a_keypad_commands_only_its_own_window(settings):
    backend, _broker, _calls = make_backend(settings)
    own = backend.executor.execute(KEYPAD, Request(id="k1", type="window.call_next", params={}))
    assert own.ok and own.result == {"window": "1"}
    other = backend.executor.execute(KEYPAD, Request(id="k2", type="window.call_next", params={"window": "2"}))
    assert other.error.code == "not_permitted" and "bound to window 1" in other.error.message


def test_unhandled_type_is_a_clear_error(settings):
    from backend.core import RequestExecutor

    backend, _broker, _calls = make_backend(settings)
    bare = RequestExecutor(settings, backend.engine, backend.publisher)  # nothing registered
    reply = bare.execute(KIOSK, Request(id="c1", type="ticket.checkin", params={"code": "12345678"}))
    assert reply.error.code == "unknown_type"


def test_registry_round_trip(settings):
    backend, _broker, _calls = make_backend(settings)
    from backend.registry import get_device

    with backend.engine.begin() as conn:
        upsert_device(conn, "keypad-9", "keypad", "9")
        upsert_device(conn, "keypad-9", "keypad", "8")
    with backend.engine.connect() as conn:
        assert get_device(conn, "keypad-9") == Actor("keypad-9", "keypad", "8")
        assert get_device(conn, "nobody") is None


def test_device_configs_are_republished_when_the_registry_changes(settings):
    from protocol import decode
    from protocol.models import DeviceConfig

    backend, broker, _calls = make_backend(settings)
    backend.publisher.republish_all()
    assert backend.run_periodic() is None and not broker.published("hall/test/devices/+/config")
    with backend.engine.begin() as conn:  # what `hall device add` does from another process
        upsert_device(conn, "bar-7", "bar", "7")
    backend.run_periodic()
    config = decode(DeviceConfig, broker.retained[backend.executor.topics.device_config("bar-7")])
    assert config.role == "bar" and config.window == "7"
    assert config.language == ""   # not chosen: the device's own setting
    before = len(broker.log)
    backend.run_periodic()
    assert len(broker.log) == before  # nothing changed, nothing published
    with backend.engine.begin() as conn:  # `hall device set bar-7 --language en`
        assert set_device_language(conn, "bar-7", "en") and not set_device_language(conn, "nobody", "en")
        upsert_device(conn, "bar-7", "bar", "8")   # a later `device add` keeps the language
    backend.run_periodic()
    config = decode(DeviceConfig, broker.retained[backend.executor.topics.device_config("bar-7")])
    assert (config.window, config.language) == ("8", "en")
    with backend.engine.begin() as conn, pytest.raises(ConfigError, match="language must be one of"):
        set_device_language(conn, "bar-7", "fr")


def _scratch_rows(backend) -> list[str]:
    with backend.engine.connect() as conn:
        if not sa.inspect(conn).has_table("scratch"):
            return []
        return [row.x for row in conn.execute(sa.text("SELECT x FROM scratch ORDER BY x"))]


def test_a_batch_is_one_transaction_but_each_request_stands_alone(settings):
    """Group commit: a refused or failing request rolls back only its own work."""
    backend, broker, calls = make_backend(settings)
    with backend.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE scratch (x TEXT)"))

    def write(ctx):
        ctx.conn.execute(sa.text("INSERT INTO scratch (x) VALUES (:x)"), {"x": ctx.request.id})
        if ctx.params.queue == "refused":
            raise ProtocolError("queue_closed", "refused after writing")
        if ctx.params.queue == "bug":
            raise RuntimeError("a bug after writing")
        alert = Alert(id="a1", kind="other", since=ctx.now, message=f"by {ctx.request.id}")
        return Outcome({"id": ctx.request.id}, [Publication(ctx.topics.alert("a1"), alert)])

    backend.executor.register("ticket.issue", write)
    asks = [Request(id=f"b-{n}", type="ticket.issue", params={"queue": queue})
            for n, queue in enumerate(["A", "refused", "bug", "A"])]
    asks.append(asks[0])  # the same request again in the same batch: answered from its stored reply
    replies = backend.executor.execute_batch([(KIOSK, ask) for ask in asks])
    assert [r.ok for r in replies] == [True, False, False, True, True]
    assert replies[1].error.code == "queue_closed" and replies[2].error.code == "internal_error"
    assert replies[4] == replies[0]
    assert _scratch_rows(backend) == ["b-0", "b-3"]
    # a retained topic changed twice in the batch goes out once, with the last state
    sent = broker.published(backend.executor.topics.alert("a1"))
    assert [Alert.model_validate_json(m.payload).message for m in sent] == ["by b-3"]
    # the refused one was stored (a retry gets the same answer); the failed one was not (a retry runs it)
    assert backend.executor.execute(KIOSK, asks[1]) == replies[1]
    with backend.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM scratch"))
    backend.executor.register("ticket.issue", lambda ctx: Outcome({"id": "fixed"}))
    assert backend.executor.execute(KIOSK, asks[2]).ok


def test_a_batch_that_cannot_commit_answers_every_request_with_an_error(settings, monkeypatch):
    backend, broker, _calls = make_backend(settings)
    from backend import core

    def failing_record(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(core, "record_reply", failing_record)
    asks = [Request(id=f"c-{n}", type="ticket.issue", params={"queue": "A"}) for n in range(3)]
    answered = []
    replies = backend.executor.execute_batch([(KIOSK, ask) for ask in asks], answer=answered.extend)
    assert [r.error.code for r in replies] == ["internal_error"] * 3
    assert [done.reply for done in answered] == replies
    assert [json.loads(done.payload)["error"]["code"] for done in answered] == ["internal_error"] * 3
    assert broker.published("#") == []  # nothing committed, nothing published
    monkeypatch.undo()
    assert backend.executor.execute(KIOSK, asks[0]).ok  # the retry runs it


def _ordering_backend(settings, *, with_event: bool):
    """A backend whose ``window.call_next`` handler changes a state and (or not) makes a call event;
    the list records, in order, when the state is computed (and whether it sees what the call
    wrote), what reaches a watcher, and the replies."""
    backend, broker, _calls = make_backend(settings)
    order = []

    class Refresh:
        key = "test"

        def merge(self, later):
            return self

        def publications(self, conn):
            sees = conn.exec_driver_sql("SELECT count(*) FROM scratch").scalar() == 1
            order.append("state computed" + (", sees the call" if sees else ""))
            return [Publication(backend.executor.topics.alert("state"),
                                Alert(id="state", kind="other", since=NOW, message="state"))]

    def call(ctx):
        ctx.conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS scratch (x TEXT)")
        ctx.conn.exec_driver_sql("DELETE FROM scratch")
        ctx.conn.exec_driver_sql("INSERT INTO scratch VALUES ('call')")
        event = Alert(id="event", kind="other", since=ctx.now, message="event")
        return Outcome({}, [Publication(ctx.topics.alert("event"), event, retain=False)] if with_event else [],
                       Refresh())

    backend.executor.register("window.call_next", call)
    watcher = FakeBus(broker, settings.hall, client_id="watcher").start()
    watcher.subscribe(backend.executor.topics.alerts_all(), lambda m: order.append(m.topic.rsplit("/", 1)[1]))
    return backend, order


def test_a_call_event_goes_out_first_then_the_states_read_after_the_commit_then_the_replies(settings):
    backend, order = _ordering_backend(settings, with_event=True)
    backend.executor.execute_batch([(KEYPAD, Request(id="e-1", type="window.call_next", params={}))],
                                   answer=lambda answers: order.append("replies"))
    # the walls hear the call before the states are computed; the states see the committed row
    assert order == ["event", "state computed, sees the call", "state", "replies"]
    assert _scratch_rows(backend) == ["call"]


def test_without_an_event_the_states_are_computed_in_the_batchs_transaction(settings):
    backend, order = _ordering_backend(settings, with_event=False)
    executor = backend.executor
    commits = executor._conn.info.get(COMMITS, 0) if executor._conn is not None else 0
    executor.execute_batch([(KEYPAD, Request(id="e-1", type="window.call_next", params={}))],
                           answer=lambda answers: order.append("replies"))
    assert order == ["state computed, sees the call", "state", "replies"]
    assert executor._conn.info[COMMITS] == commits + 1   # one transaction, no second one for the states


def test_states_that_cannot_be_read_after_a_call_do_not_hold_the_replies(settings, caplog, monkeypatch):
    backend, order = _ordering_backend(settings, with_event=True)
    executor = backend.executor
    real = executor._transaction
    calls = []

    def refusing():
        calls.append(1)
        if len(calls) == 2:   # the states' own transaction
            raise RuntimeError("database is locked")
        return real()

    monkeypatch.setattr(executor, "_transaction", refusing)
    replies = executor.execute_batch([(KEYPAD, Request(id="e-2", type="window.call_next", params={}))],
                                     answer=lambda answers: order.append("replies"))
    assert replies[0].ok and order == ["event", "replies"]   # the call stands and is answered
    assert "the states after a call could not be read" in caplog.text
    assert _scratch_rows(backend) == ["call"]


def test_a_state_that_cannot_be_computed_does_not_undo_or_hold_the_reply(settings, caplog):
    backend, broker, _calls = make_backend(settings)

    class Broken:
        key = "broken"

        def merge(self, later):
            return self

        def publications(self, conn):
            raise RuntimeError("a bug in a state")

    backend.executor.register("window.call_next", lambda ctx: Outcome({"done": True}, [], Broken()))
    request = Request(id="s-1", type="window.call_next", params={})
    reply = backend.executor.execute(KEYPAD, request)
    assert reply.ok and reply.result == {"done": True}
    assert "computing the state of broken failed" in caplog.text
    assert backend.executor.execute(KEYPAD, request) == reply  # committed: a retry gets the stored reply
    assert broker.published("#") == []


def test_settle_heap_takes_what_start_up_built_out_of_the_collectors_sight(settings):
    import gc

    from backend.app import settle_heap

    backend, _, _ = make_backend(settings)
    catalog_made = [[index] for index in range(5_000)]   # start-up objects, as the catalog's
    try:
        assert len(gc.get_objects()) > len(catalog_made)
        settle_heap()
        # a full collection now walks only what was made since, not the start-up heap
        assert gc.get_freeze_count() > len(catalog_made)
        assert len(gc.get_objects()) < 1_000
        later = [[index] for index in range(100)]
        assert sum(1 for obj in gc.get_objects() if obj is later) == 1   # new objects are collected as usual
    finally:
        gc.unfreeze()
        backend.stop()
