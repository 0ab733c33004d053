"""Topic builders, parsing, and the README's topic table kept in step with protocol/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from protocol import TOPIC_TABLE, ProtocolError, Topics
from protocol.models import PAYLOADS
from protocol.topics import acl_rules

README = Path(__file__).resolve().parents[2] / "README.md"


def test_builders_and_parse_agree():
    t = Topics("hall1")
    built = {
        "queue_state": (t.queue_state("A"), {"q": "A"}),
        "window_state": (t.window_state("3"), {"w": "3"}),
        "catalog_item": (t.catalog_item("GA-001"), {"item": "GA-001"}),
        "device_alert": (t.device_alert("kiosk-1", "paper_out"), {"d": "kiosk-1", "alert": "paper_out"}),
        "device_requests": (t.device_requests("kiosk-1"), {"d": "kiosk-1"}),
        "call_event": (t.call_event(), {}),
    }
    for name, (topic, ids) in built.items():
        parsed = t.parse(topic)
        assert parsed is not None and parsed.name == name and parsed.ids == ids, topic


def test_parse_ignores_other_halls_and_unknown_topics():
    t = Topics("hall1")
    assert t.parse(Topics("hall2").queue_state("A")) is None
    assert t.parse("hall/hall1/something/else") is None


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#", "a b", "-x", "x" * 65])
def test_ids_that_would_break_topics_are_refused(bad):
    with pytest.raises(ProtocolError):
        Topics("hall1").queue_state(bad)


def test_every_table_row_names_a_payload_model():
    for spec in TOPIC_TABLE:
        assert spec.payload in PAYLOADS, spec


def test_readme_topic_table_matches_protocol():
    text = README.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(hall/[^`]+)` \| (yes|no)[^|]*\| (backend|device) \| `(\w+)` \|", text, re.M)
    documented = {(pattern, retain == "yes", pub, payload) for pattern, retain, pub, payload in rows}
    expected = {(s.pattern, s.retain, s.publisher, s.payload) for s in TOPIC_TABLE}
    assert documented == expected


def test_acl_rules_pin_devices_to_their_own_subtree():
    rules = acl_rules("hall1")
    writes = [topic for access, topic in rules["pattern"] if "write" in access]
    assert writes and all("/devices/%u/" in topic for topic in writes)
    assert rules["requester"] == [("write", "hall/hall1/devices/{d}/requests")]


def test_exported_json_schemas_are_current(tmp_path):
    from protocol.schemas import write

    docs = README.parent / "docs" / "schemas"
    fresh = {p.name: p.read_text(encoding="utf-8") for p in write(tmp_path)}
    current = {p.name: p.read_text(encoding="utf-8") for p in docs.glob("*.schema.json")}
    assert fresh == current, "run: python -m protocol.schemas docs/schemas"
