"""The queue engine behind the executor: replies, permissions, idempotency, and what gets published."""

from __future__ import annotations

import json

from backend.queue.domain import Change
from backend.registry import Actor
from protocol import CALL_EXPIRY_S, new_id
from protocol.fakebus import FakeBus
from protocol.models import Request, TicketResult, WindowResult

from .conftest import HALL, load_hall


def strip_times(payload):
    if isinstance(payload, dict):
        return {k: strip_times(v) for k, v in payload.items() if k not in ("updated_at",)}
    if isinstance(payload, list):
        return [strip_times(v) for v in payload]
    return payload


def test_issue_replies_with_the_ticket_and_publishes_the_queue(hall):
    result = TicketResult.model_validate(hall.ok("kiosk-1", "ticket.issue", item="i-pension")).ticket
    assert (result.number, result.queue, result.queue_name, result.item_name) == ("A001", "qa", "社保业务",
                                                                                  "养老保险参保登记")
    assert result.windows == (1, 3) and result.ahead == 0
    assert result.status_url == f"http://hall.test/t/{result.id}"
    assert result.issued_at.utcoffset().total_seconds() == 8 * 3600
    state = hall.retained(hall.topics.queue_state("qa"))
    assert (state["waiting"], state["issued_today"], state["accepting"]) == (1, 1, True)
    second = TicketResult.model_validate(hall.ok("kiosk-1", "ticket.issue", queue="qa")).ticket
    assert second.ahead == 1 and second.wait.basis == "1 ahead, ~5 min each, 2 windows (not open yet)"


def test_a_call_goes_out_as_event_window_queue_and_recent_calls(hall):
    hall.ok("kiosk-1", "ticket.issue", queue="qa")
    hall.ok("keypad-1", "window.resume")
    start = len(hall.broker.log)
    result = WindowResult.model_validate(hall.ok("keypad-1", "window.call_next"))
    assert result.ticket == "A001" and result.window.serving.number == "A001"
    sent = list(hall.broker.log)[start:]
    topics = [m.topic for m in sent]
    assert topics[0] == hall.topics.call_event()
    assert not sent[0].retain and sent[0].expiry == CALL_EXPIRY_S
    event = json.loads(sent[0].payload)
    assert (event["ticket"], event["window"], event["window_number"], event["kind"]) == ("A001", "w1", 1, "call")
    assert hall.topics.window_state("w1") in topics and hall.topics.calls_recent() in topics
    assert hall.retained(hall.topics.queue_state("qa"))["last_called"] == "A001"
    assert hall.retained(hall.topics.queue_state("qa"))["waiting"] == 0
    recent = hall.retained(hall.topics.calls_recent())["calls"]
    assert [(c["ticket"], c["kind"]) for c in recent] == [("A001", "call")]
    hall.ok("keypad-1", "window.recall")
    recent = hall.retained(hall.topics.calls_recent())["calls"]
    assert [(c["ticket"], c["kind"]) for c in recent] == [("A001", "recall"), ("A001", "call")]


def test_permissions_by_role_and_bound_window(hall):
    hall.ok("kiosk-1", "ticket.issue", queue="qb")
    assert hall.error("keypad-1", "window.call_next", window="w2") == "not_permitted"
    assert hall.error("kiosk-1", "window.call_next", window="w1") == "not_permitted"
    assert hall.error("wall-1", "ticket.issue", queue="qa") == "not_permitted"
    assert hall.error("keypad-1", "ticket.issue", queue="qa") == "not_permitted"
    assert hall.error("eval-1", "evaluation.submit", window="w2", level=5) == "not_permitted"
    console = Actor("console:alice", "console", None, "alice")
    assert hall.ask("", "window.call_next", actor=console).error.code == "invalid_request"  # no window


def test_a_retry_gets_the_original_reply_and_no_second_ticket(hall):
    first = hall.ask("kiosk-1", "ticket.issue", request_id="kiosk-1-0001", queue="qa")
    again = hall.ask("kiosk-1", "ticket.issue", request_id="kiosk-1-0001", queue="qa")
    assert first == again
    assert hall.retained(hall.topics.queue_state("qa"))["issued_today"] == 1
    assert hall.ok("kiosk-1", "ticket.issue", queue="qa")["ticket"]["number"] == "A002"


def test_requests_over_the_bus(hall):
    device = FakeBus(hall.broker, HALL, device="kiosk-1").start()
    reply = device.request(Request(id=new_id("k"), type="ticket.issue", params={"queue": "qb"}))
    assert reply.ok and reply.result["ticket"]["number"] == "B001"
    reply = device.request(Request(id=new_id("k"), type="ticket.issue", params={"queue": "nope"}))
    assert not reply.ok and reply.error.code == "unknown_queue" and reply.error.message_zh
    device.stop()


def test_evaluation_is_bound_to_the_finished_ticket(hall):
    ticket = hall.ok("kiosk-1", "ticket.issue", queue="qa")["ticket"]
    hall.ok("console:alice", "window.resume", window="w1")
    hall.ok("keypad-1", "window.call_next")
    assert hall.error("eval-1", "evaluation.submit", level=5) == "nothing_to_evaluate"
    hall.ok("keypad-1", "window.finish")
    assert hall.retained(hall.topics.window_state("w1"))["awaiting_evaluation"] == ticket["id"]
    result = hall.ok("eval-1", "evaluation.submit", level=1, reasons=["服务态度", "服务效率"])
    assert (result["ticket_id"], result["level"], result["label"]) == (ticket["id"], 1, "非常不满意")
    assert hall.retained(hall.topics.window_state("w1"))["awaiting_evaluation"] is None
    assert hall.error("eval-1", "evaluation.submit", level=5, ticket_id=ticket["id"]) == "already_evaluated"
    # a poor rating without a reason is refused with the code that says so (the request is well formed)
    evaluator = FakeBus(hall.broker, HALL, device="eval-1").start()
    replies = []
    evaluator.subscribe(hall.topics.device_replies("eval-1"), lambda m: replies.append(json.loads(m.payload)))
    raw = {"v": 1, "id": "e-1", "type": "evaluation.submit", "params": {"level": 2}}
    evaluator.publish(hall.topics.device_requests("eval-1"), json.dumps(raw).encode())
    assert replies[-1]["error"]["code"] == "reason_required" and "reason" in replies[-1]["error"]["message"]
    evaluator.stop()


def test_console_staff_name_reaches_the_window_state(hall):
    hall.ok("console:alice", "window.resume", window="w1")
    state = hall.retained(hall.topics.window_state("w1"))
    assert (state["status"], state["staff_name"], state["staff_post"]) == ("open", "李丽", "社保窗口")
    hall.ok("keypad-1", "window.pause", reason="午休")
    assert hall.retained(hall.topics.window_state("w1"))["staff_name"] == "李丽"


def test_retained_state_is_exactly_what_the_database_says(hall):
    for queue in ("qa", "qa", "qb", "qc", "qb"):
        hall.ok("kiosk-1", "ticket.issue", queue=queue)
    hall.ok("console:alice", "window.resume", window="w1")
    hall.ok("console:bob", "window.resume", window="w2")
    hall.ok("keypad-1", "window.call_next")
    hall.ok("keypad-2", "window.call_next")
    hall.clock.advance(minutes=3)
    hall.ok("keypad-2", "window.finish")
    hall.ok("keypad-1", "window.transfer", to_queue="qb", reason="需税务审核")
    hall.ok("keypad-2", "window.call_next")
    live = {t: strip_times(json.loads(p)) for t, p in hall.broker.retained.items()
            if "/queues/" in t or "/windows/" in t or t.endswith("calls/recent")}
    hall.broker.retained.clear()
    hall.backend.publisher.republish_all()
    again = {t: strip_times(json.loads(p)) for t, p in hall.broker.retained.items() if t in live}
    assert again == live
    assert again[hall.topics.window_state("w2")]["serving"]["number"] == "A001"  # transferred, kept its place


def test_long_queue_warning_raised_once_and_cleared(tmp_path):
    from backend.app import build
    from protocol.fakebus import FakeBroker

    from .conftest import Hall, make_settings
    from .hall import Clock

    clock, broker = Clock(), FakeBroker()
    backend = build(make_settings(tmp_path, long_queue=3, long_wait_min=10),
                    FakeBus(broker, HALL, client_id="backend"), clock=clock)
    load_hall(backend)
    backend.start()
    hall = Hall(backend, broker, clock)
    alerts = hall.topics.alerts_all()
    for _ in range(3):
        hall.ok("kiosk-1", "ticket.issue", queue="qb")
    raised = [p for p in hall.published(alerts) if p]
    assert [a["kind"] for a in raised] == ["long_queue"]
    assert hall.retained(hall.topics.alert("long_queue.qb"))["subject"] == "qb"
    hall.ok("kiosk-1", "ticket.issue", queue="qb")
    assert len(hall.published(alerts)) == 1  # still raised: not published again
    clock.advance(minutes=11)
    backend.publisher.services["queue_monitor"].check_now()  # time alone makes a long wait
    assert hall.retained(hall.topics.alert("long_wait.qb"))["details"]["ticket"] == "B001"
    hall.ok("console:bob", "window.resume", window="w2")
    for _ in range(2):
        hall.ok("keypad-2", "window.call_next")
        hall.ok("keypad-2", "window.finish")
    assert hall.retained(hall.topics.alert("long_queue.qb")) is None  # cleared with an empty payload
    assert hall.published(hall.topics.alert("long_queue.qb"))[-1] is None
    backend.stop()


def test_midnight_rollover_through_the_monitor(hall):
    hall.ok("kiosk-1", "ticket.issue", queue="qa")
    hall.ok("console:alice", "window.resume", window="w1")
    hall.clock.now = hall.clock.now.replace(hour=23, minute=59, second=59)
    hall.ok("kiosk-1", "ticket.issue", queue="qa")
    hall.clock.advance(seconds=2)
    hall.backend.publisher.services["queue_monitor"].check_now()
    state = hall.retained(hall.topics.queue_state("qa"))
    assert (state["waiting"], state["issued_today"], state["last_called"]) == (0, 0, None)
    assert hall.retained(hall.topics.window_state("w1"))["status"] == "closed"
    assert hall.retained(hall.topics.calls_recent())["calls"] == []
    assert hall.ok("kiosk-1", "ticket.issue", queue="qa")["ticket"]["number"] == "A001"


def test_a_catalog_change_is_followed(hall):
    from backend.catalog import service as catalog_service

    from .conftest import small_catalog

    hall.backend.publisher.services["queue_monitor"].maybe_check()  # settles the version it has published
    assert hall.retained(hall.topics.queue_state("qc"))["prefix"] == "C"
    catalog = small_catalog()
    windows = tuple(w.model_copy(update={"queues": tuple(q for q in w.queues if q != "qc")})
                    for w in catalog.windows)
    catalog = catalog.model_copy(update={
        "queues": tuple(q for q in catalog.queues if q.id != "qc"), "windows": windows,
        "items": tuple(i for i in catalog.items if i.queue != "qc")})
    catalog_service.run(hall.backend.engine, None, lambda conn: catalog_service.apply_import(
        conn, catalog, hall.topics))  # as `hall catalog import` does, from another process
    assert hall.backend.publisher.services["queue_monitor"].maybe_check() > 0
    assert hall.retained(hall.topics.queue_state("qc")) is None
    assert hall.retained(hall.topics.window_state("w3"))["queues"] == ["qa"]
    assert hall.backend.publisher.services["queue_monitor"].maybe_check() == 0  # nothing new


def _batch(hall, *asks):
    """Run (device, type, params) requests as one batch: one transaction, one shared repository."""
    requests = [(hall.actor(device), Request(id=new_id("r"), type=kind, params=params))
                for device, kind, params in asks]
    return hall.backend.executor.execute_batch(requests)


def test_a_batch_of_mixed_operations_publishes_what_the_database_says(hall):
    hall.ok("console:alice", "window.resume", window="w1")
    hall.ok("console:bob", "window.resume", window="w2")
    replies = _batch(hall, ("kiosk-1", "ticket.issue", {"queue": "qa"}),
                     ("kiosk-1", "ticket.issue", {"queue": "qa"}),
                     ("keypad-1", "window.call_next", {}),
                     ("kiosk-1", "ticket.issue", {"queue": "qa"}),
                     ("kiosk-1", "ticket.issue", {"queue": "qb", "priority": "elderly"}),
                     ("keypad-2", "window.call_next", {}),
                     ("keypad-2", "window.finish", {}),
                     ("kiosk-1", "ticket.issue", {"queue": "qb"}),
                     ("keypad-2", "window.call_next", {}))
    assert all(reply.ok for reply in replies), [r.error for r in replies if not r.ok]
    tickets = [TicketResult.model_validate(replies[i].result).ticket for i in (0, 1, 3, 4, 7)]
    assert [(t.number, t.ahead) for t in tickets] == [("A001", 0), ("A002", 1), ("A003", 1), ("B001", 0),
                                                      ("B002", 0)]
    live = {t: strip_times(json.loads(p)) for t, p in hall.broker.retained.items()
            if "/queues/" in t or "/windows/" in t or t.endswith("calls/recent")}
    qa, qb = live[hall.topics.queue_state("qa")], live[hall.topics.queue_state("qb")]
    assert (qa["waiting"], qa["issued_today"], qa["last_called"]) == (2, 3, "A001")
    assert (qb["waiting"], qb["issued_today"], qb["last_called"]) == (0, 2, "B002")
    assert live[hall.topics.window_state("w2")]["serving"]["number"] == "B002"
    hall.broker.retained.clear()
    hall.backend.publisher.republish_all()
    assert {t: strip_times(json.loads(p)) for t, p in hall.broker.retained.items() if t in live} == live


def test_a_refused_request_in_a_batch_takes_back_what_it_did_and_what_was_remembered(hall):
    yesterday = TicketResult.model_validate(hall.ok("kiosk-1", "ticket.issue", queue="qa")).ticket
    hall.clock.advance(days=1)
    # the first request rolls the day over, then is refused: its savepoint undoes the rollover
    refused, first, second = _batch(hall, ("kiosk-1", "ticket.issue", {"queue": "no-such-queue"}),
                                    ("kiosk-1", "ticket.issue", {"queue": "qa"}),
                                    ("kiosk-1", "ticket.issue", {"queue": "qa"}))
    assert refused.error.code == "unknown_queue"
    first, second = (TicketResult.model_validate(r.result).ticket for r in (first, second))
    assert [(first.number, first.ahead), (second.number, second.ahead)] == [("A001", 0), ("A002", 1)]
    with hall.backend.engine.connect() as conn:   # the next request rolled the day over again
        state = conn.exec_driver_sql("SELECT state FROM tickets WHERE id = ?", (yesterday.id,)).scalar()
        marker = conn.exec_driver_sql("SELECT value FROM queue_meta WHERE key = 'day'").scalar()
    assert state == "cancelled" and marker == first.issued_at.date().isoformat()
    assert hall.retained(hall.topics.queue_state("qa"))["waiting"] == 2


def _statements(hall) -> list[str]:
    """Every statement the executor's connection runs from now on (SQLite's trace callback)."""
    seen: list[str] = []
    hall.backend.executor._conn.connection.driver_connection.set_trace_callback(seen.append)
    return seen


def test_the_next_transaction_keeps_what_the_last_one_read_when_nothing_changed_since(hall):
    service = hall.backend.publisher.services["queue"]
    hall.ok("kiosk-1", "ticket.issue", queue="qa")
    kept = service._batch.repo
    seen = _statements(hall)
    second = TicketResult.model_validate(hall.ok("kiosk-1", "ticket.issue", queue="qa")).ticket
    assert service._batch.repo is kept
    assert not [s for s in seen if "queue_meta" in s or "window_runtime" in s]   # the day and windows not read again
    assert (second.number, second.ahead) == ("A002", 1)
    assert hall.retained(hall.topics.queue_state("qa"))["waiting"] == 2


def test_another_connections_commit_between_transactions_is_read_afresh(hall):
    from backend.queue import admin
    from backend.queue.handlers import run_change

    service = hall.backend.publisher.services["queue"]
    hall.ok("kiosk-1", "ticket.issue", queue="qa")
    kept = service._batch.repo
    # the administrator suspends qa through the web page's path: its own connection and commit
    run_change(hall.backend.engine, hall.backend.publisher, service,
               lambda conn, engine: (admin.suspend_queue(conn, "qa", "系统维护", hall.clock()), Change({"qa"}))[1])
    assert hall.error("kiosk-1", "ticket.issue", queue="qa") == "queue_closed"
    assert service._batch.repo is not kept


def test_a_transaction_that_did_not_commit_leaves_nothing_remembered(hall, monkeypatch):
    from backend import core

    service = hall.backend.publisher.services["queue"]
    hall.ok("kiosk-1", "ticket.issue", queue="qa")

    def failing_record(*args, **kwargs):
        raise OSError("disk I/O error")

    monkeypatch.setattr(core, "record_reply", failing_record)   # the ticket is made, then the batch fails
    assert hall.ask("kiosk-1", "ticket.issue", queue="qa").error.code == "internal_error"
    monkeypatch.undo()
    third = TicketResult.model_validate(hall.ok("kiosk-1", "ticket.issue", queue="qa")).ticket
    # the repository had counted A002 as waiting; the database never had it
    assert (third.number, third.ahead) == ("A002", 1)
    assert hall.retained(hall.topics.queue_state("qa"))["waiting"] == 2
    assert service._batch.commits == hall.backend.executor._conn.info[core.COMMITS] - 1


def test_a_number_out_of_step_with_the_database_is_refused_not_given_twice(hall):
    """The repository takes a ticket's number from what it remembers; the statement storing it
    checks in the database that it is the next one."""
    hall.ok("kiosk-1", "ticket.issue", queue="qa")
    # a write on the executor's connection that bypasses the repository (what docs/queue.md forbids)
    raw = hall.backend.executor._conn.connection.driver_connection
    raw.execute("UPDATE queue_counters SET last_seq = last_seq + 1 WHERE queue = 'qa'")
    assert hall.ask("kiosk-1", "ticket.issue", queue="qa").error.code == "internal_error"
    third = TicketResult.model_validate(hall.ok("kiosk-1", "ticket.issue", queue="qa")).ticket
    assert (third.number, third.ahead) == ("A003", 1)   # read afresh after the failure
    assert hall.retained(hall.topics.queue_state("qa"))["waiting"] == 2
