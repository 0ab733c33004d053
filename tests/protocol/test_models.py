"""Payload models round-trip and reject bad data with a readable message."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from protocol import ProtocolError, decode, decode_request, encode
from protocol.codec import decode_optional, reply_error, reply_ok
from protocol.models import (PAYLOADS, Announcement, Announcements, CallEvent, Item, Material, Queue, Reply,
                             Request, SubmitEvaluation, Window, item_hash)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def sample_item(**changes) -> Item:
    base = dict(id="GA-001", code="GA-001", name="普通护照签发", department="ga", kind="承诺件", queue="A",
                materials=(Material(name="居民身份证", form="原件及复印件", copies=1),),
                statutory_days=15, promised_days=7, windows=("3",))
    base.update(changes)
    return Item(**base)


def test_item_round_trips_with_chinese_kept():
    item = sample_item()
    data = encode(item)
    assert "普通护照签发".encode() in data  # not \u-escaped
    assert decode(Item, data) == item


def test_call_event_round_trips_with_offset_timestamp():
    event = CallEvent(event_id="e1", kind="call", ticket="A012", ticket_id="t1", queue="A", window="3",
                      window_number=3, window_name="3号窗口", at=NOW)
    data = encode(event)
    assert b"+08:00" in data
    assert decode(CallEvent, data) == event


def test_every_payload_has_version_1():
    for name, model in PAYLOADS.items():
        assert model.model_fields["v"].default == 1, name


@pytest.mark.parametrize("raw, code, words", [
    (b"", "invalid_request", "not JSON"),
    (b"\xff\xfe", "invalid_request", "not UTF-8"),
    (b"[]", "invalid_request", "JSON object"),
    (b'{"v": 2, "id": "a", "type": "ticket.issue"}', "unsupported_version", "version 2"),
    (b'{"id": "a", "type": "ticket.issue"}', "unsupported_version", "version None"),
    (b'{"v": 1, "id": "a", "type": "ticket.print"}', "unknown_type", "ticket.print"),
    (b'{"v": 1, "id": "a", "type": "ticket.issue", "params": {}}', "invalid_request", "exactly one"),
    (b'{"v": 1, "id": "a b", "type": "ticket.issue", "params": {"queue": "A"}}', "invalid_request", "id"),
    (b'{"v": 1, "id": "a", "type": "window.call_number", "params": {"ticket": "12"}}', "invalid_request",
     "params.ticket"),
    (b'{"v": 1, "id": "a", "type": "window.skip", "params": {"extra": 1}}', "invalid_request", "params.extra"),
])
def test_bad_requests_are_rejected_with_a_readable_message(raw, code, words):
    with pytest.raises(ProtocolError) as info:
        decode_request(raw)
    assert info.value.code == code
    assert words in info.value.message
    assert info.value.message_zh  # something a visitor can read


def test_request_round_trips_with_typed_params():
    request = Request(id="k1-0001", type="evaluation.submit",
                      params=SubmitEvaluation(level=2, reasons=("服务效率",)))
    again = decode_request(encode(request))
    assert again == request
    assert isinstance(again.params, SubmitEvaluation)


def test_a_rating_with_an_unknown_reason_is_malformed_one_without_a_reason_is_for_the_engine():
    with pytest.raises(ProtocolError, match="unknown reasons") as info:
        decode_request('{"v":1,"id":"x","type":"evaluation.submit","params":{"level":1,"reasons":["天气"]}}'
                       .encode())
    assert info.value.code == "invalid_request"
    # a poor level without a reason is well formed: the engine refuses it as reason_required
    assert decode_request(b'{"v":1,"id":"x","type":"evaluation.submit","params":{"level":1}}').params.level == 1


def test_item_rejects_promise_beyond_statute_and_bad_kind():
    with pytest.raises(ValueError, match="promised_days"):
        sample_item(statutory_days=5, promised_days=7)
    with pytest.raises(ProtocolError, match="kind"):
        decode(Item, encode(sample_item()).replace("承诺件".encode(), "普通件".encode()))


def test_queue_hours_must_be_ordered():
    with pytest.raises(ValueError, match="after start"):
        Queue(id="A", prefix="A", name="综合", hours=({"start": "12:00", "end": "09:00"},))


def test_announcement_end_after_start():
    with pytest.raises(ValueError, match="end must be after"):
        Announcement(id="n1", text="x", start=NOW, end=NOW)


def test_reply_ok_and_error_are_consistent():
    ok = reply_ok("r1", {"ticket": "A001"})
    assert decode(Reply, encode(ok)).result == {"ticket": "A001"}
    err = reply_error("r1", ProtocolError("queue_closed", "queue A is closed"))
    back = decode(Reply, encode(err))
    assert not back.ok and back.error.code == "queue_closed" and back.error.message_zh == "该业务暂停取号"
    with pytest.raises(ValueError):
        Reply(request_id="r", ok=True, error=err.error)


def test_empty_payload_means_cleared():
    assert decode_optional(Announcements, b"") is None


def test_item_hash_changes_with_content_only():
    a, b = sample_item(), sample_item()
    assert item_hash(a) == item_hash(b)
    assert item_hash(a) != item_hash(sample_item(promised_days=5))


@given(st.text(min_size=1, max_size=300))
def test_announcement_text_round_trips_literally(text):
    ann = Announcements(items=(Announcement(id="n1", text=text, start=NOW, end=NOW + timedelta(hours=1)),),
                        updated_at=NOW)
    assert decode(Announcements, encode(ann)).items[0].text == text


def test_a_window_label_says_its_number_once():
    assert Window(id="w3", number=3, name="市场监管综合受理").label() == "3号窗口 · 市场监管综合受理"
    assert Window(id="w3", number=3, name="3号窗口").label() == "3号窗口"
    assert Window(id="w3", number=3, name="3号窗口（综合）").label(" ") == "3号窗口（综合）"
    assert Window(id="w13", number=13, name="3号窗口").label() == "13号窗口 · 3号窗口"
