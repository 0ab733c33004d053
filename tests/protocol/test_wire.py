"""protocol.wire, the MQTT 5 packets every node speaks, checked against paho's encoder and decoder
(paho is a test dependency only: an independent implementation of the same specification)."""

from __future__ import annotations

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from protocol import wire


@pytest.mark.parametrize("value, encoded", [
    (0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (16_383, b"\xff\x7f"),
    (16_384, b"\x80\x80\x01"), (2_097_151, b"\xff\xff\x7f"), (268_435_455, b"\xff\xff\xff\x7f"),
])
def test_variable_byte_integers_match_the_specification(value, encoded):
    # the boundary examples of MQTT 5, section 1.5.5
    assert wire.varint(value) == encoded
    assert wire.read_varint(encoded, 0, len(encoded)) == (value, len(encoded))


def test_an_overlong_variable_byte_integer_is_a_violation():
    with pytest.raises(wire.MqttViolation):
        wire.read_varint(b"\xff\xff\xff\xff\x01", 0, 5)
    with pytest.raises(ValueError):
        wire.varint(268_435_456)


@pytest.mark.parametrize("expiry, response_topic, correlation", [
    (30, "hall/demo/devices/kiosk-01/replies", b"r" * 32),
    (60, None, None),
    (None, None, b"x" * 200),           # a length over 127: two bytes of variable length
    (None, "主题/回复", None),           # UTF-8 beyond ASCII
    (None, None, None),
])
def test_publish_properties_pack_as_paho_does(expiry, response_topic, correlation):
    reference = Properties(PacketTypes.PUBLISH)
    if expiry is not None:
        reference.MessageExpiryInterval = expiry
    if response_topic:
        reference.ResponseTopic = response_topic
    if correlation:
        reference.CorrelationData = correlation
    packed = wire.publish_properties(expiry, response_topic, correlation)
    assert packed == reference.pack()


@pytest.mark.parametrize("retain, payload", [(False, b'{"v":1}'), (True, "呼叫".encode() * 100), (False, b"")])
def test_a_publish_reads_back_with_all_it_carries(retain, payload):
    props = wire.publish_properties(30, "hall/h/devices/k/replies", b"req-7")
    packet = wire.publish_packet(wire.string("hall/h/devices/k/requests"), 513, payload, props, retain=retain)
    first, start, end = wire.packet_at(packet, 0, len(packet))
    assert end == len(packet)
    message = wire.read_publish(first, packet, start, end)
    assert message == wire.Message("hall/h/devices/k/requests", payload, 1, retain, 513,
                                   "hall/h/devices/k/replies", b"req-7", 30)


def test_an_incomplete_packet_waits_for_more_bytes():
    packet = wire.publish_packet(wire.string("a/b"), 1, b"x" * 300)
    for cut in (0, 1, 2, 3, len(packet) - 1):
        assert wire.packet_at(packet[:cut], 0, cut) is None
    assert wire.packet_at(packet + b"\xd0", 0, len(packet) + 1) == (0x32, 3, len(packet))


@pytest.mark.parametrize("body, why", [
    (b"\x00\x00\x00\x01\x00", "empty topic"),
    (b"\x00\x09a/b", "topic past"),
    (b"\x00\x03a/b\x00\x00\x00", "packet id 0"),
    (b"\x00\x03a/b\x00\x01\x03\x23\x00\x01", "Topic Alias"),
    (b"\x00\x03a/b\x00\x01\x05\x02\x00", "past"),
])
def test_malformed_publishes_are_violations(body, why):
    with pytest.raises(wire.MqttViolation, match=why):
        wire.read_publish(0x32, body, 0, len(body))


def test_a_qos_2_publish_is_refused():
    with pytest.raises(wire.MqttViolation, match="QoS 2"):
        wire.read_publish(0x34, b"\x00\x03a/b\x00\x01\x00", 0, 8)


def test_connect_carries_session_will_and_credentials():
    will = wire.Will("hall/h/devices/k/status", b'{"v":1,"status":"offline"}', retain=True, delay=5)
    packet = wire.connect_packet("kiosk-1", "kiosk-1", "s3cret", 15, clean_start=False,
                                 session_expiry=300, will=will)
    first, start, end = wire.packet_at(packet, 0, len(packet))
    assert first == wire.CONNECT and end == len(packet)
    body = packet[start:end]
    assert body[:7] == b"\x00\x04MQTT\x05"
    flags = body[7]
    assert flags == 0x80 | 0x40 | 0x20 | 0x08 | 0x04   # user, password, will retain, will QoS 1, will
    assert body[8:10] == (15).to_bytes(2, "big")
    props, pos = wire.read_properties(body, 10, len(body))
    assert props == {wire.PROP_SESSION_EXPIRY: 300}
    assert body[pos:pos + 9] == wire.string("kiosk-1")
    will_props, pos = wire.read_properties(body, pos + 9, len(body))
    assert will_props == {wire.PROP_WILL_DELAY: 5}
    assert body[pos:] == (wire.string(will.topic) + wire.binary(will.payload) + wire.string("kiosk-1")
                          + wire.binary(b"s3cret"))


def test_reason_codes_and_strings_are_read():
    props = bytes((wire.PROP_REASON_STRING,)) + wire.string("session taken over")
    body = b"\x8e" + wire.varint(len(props)) + props
    assert wire.reason_of(body, 0, len(body)) == (0x8E, "session taken over")
    assert wire.reason_of(b"", 0, 0) == (0, "")
    assert wire.reason_name(0x87) == "0x87 Not authorized"
