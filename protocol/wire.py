"""The MQTT 5 wire format: packet types, property identifiers and their value types, reason
names, and the encoders and decoders of the packets the hall speaks.

Pure functions on bytes, no sockets: :mod:`protocol.client` (every node's connection) and the
bench's load generator (bench/loadgen.py) are built on them; tests/protocol/test_wire.py checks
them against the MQTT 5 specification's examples and against paho's encoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

FAILURE = 0x80  # MQTT v5 reason codes at or above this are failures

# Packets (first byte: type << 4 | flags).
CONNECT, CONNACK, PUBLISH_QOS1, PUBACK = 0x10, 0x20, 0x32, 0x40
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 0x82, 0x90, 0xC0, 0xD0, 0xE0
PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"   # reason 0x00 normal disconnection, no properties
PUBLISH = 0x30            # | 0x08 DUP, | QoS << 1, | 0x01 RETAIN
DUP, RETAIN = 0x08, 0x01

# MQTT v5 property identifiers (the ones used by name here) and every property's value type.
PROP_EXPIRY, PROP_RESPONSE_TOPIC, PROP_CORRELATION = 0x02, 0x08, 0x09
PROP_SESSION_EXPIRY, PROP_WILL_DELAY = 0x11, 0x18
PROP_SERVER_KEEP_ALIVE, PROP_REASON_STRING, PROP_RECEIVE_MAXIMUM = 0x13, 0x1F, 0x21
PROP_TOPIC_ALIAS, PROP_MAXIMUM_QOS, PROP_MAXIMUM_PACKET_SIZE = 0x23, 0x24, 0x27
BYTE, TWO, FOUR, VARINT, STRING, BINARY, PAIR = range(7)
PROPERTY_TYPES = {
    0x01: BYTE,    # Payload Format Indicator
    0x02: FOUR,    # Message Expiry Interval
    0x03: STRING,  # Content Type
    0x08: STRING,  # Response Topic
    0x09: BINARY,  # Correlation Data
    0x0B: VARINT,  # Subscription Identifier
    0x11: FOUR,    # Session Expiry Interval
    0x12: STRING,  # Assigned Client Identifier
    0x13: TWO,     # Server Keep Alive
    0x15: STRING,  # Authentication Method
    0x16: BINARY,  # Authentication Data
    0x17: BYTE,    # Request Problem Information
    0x18: FOUR,    # Will Delay Interval
    0x19: BYTE,    # Request Response Information
    0x1A: STRING,  # Response Information
    0x1C: STRING,  # Server Reference
    0x1F: STRING,  # Reason String
    0x21: TWO,     # Receive Maximum
    0x22: TWO,     # Topic Alias Maximum
    0x23: TWO,     # Topic Alias
    0x24: BYTE,    # Maximum QoS
    0x25: BYTE,    # Retain Available
    0x26: PAIR,    # User Property
    0x27: FOUR,    # Maximum Packet Size
    0x28: BYTE,    # Wildcard Subscription Available
    0x29: BYTE,    # Subscription Identifier Available
    0x2A: BYTE,    # Shared Subscription Available
}

REASONS = {
    0x00: "Success", 0x01: "Granted QoS 1", 0x02: "Granted QoS 2", 0x04: "Disconnect with Will Message",
    0x10: "No matching subscribers", 0x80: "Unspecified error", 0x81: "Malformed Packet",
    0x82: "Protocol Error", 0x83: "Implementation specific error", 0x84: "Unsupported Protocol Version",
    0x85: "Client Identifier not valid", 0x86: "Bad User Name or Password", 0x87: "Not authorized",
    0x88: "Server unavailable", 0x89: "Server busy", 0x8A: "Banned", 0x8B: "Server shutting down",
    0x8C: "Bad authentication method", 0x8D: "Keep Alive timeout", 0x8E: "Session taken over",
    0x8F: "Topic Filter invalid", 0x90: "Topic Name invalid", 0x91: "Packet Identifier in use",
    0x93: "Receive Maximum exceeded", 0x94: "Topic Alias invalid", 0x95: "Packet too large",
    0x96: "Message rate too high", 0x97: "Quota exceeded", 0x98: "Administrative action",
    0x99: "Payload format invalid", 0x9A: "Retain not supported", 0x9B: "QoS not supported",
    0x9C: "Use another server", 0x9D: "Server moved", 0x9E: "Shared Subscriptions not supported",
    0x9F: "Connection rate exceeded", 0xA0: "Maximum connect time",
    0xA1: "Subscription Identifiers not supported", 0xA2: "Wildcard Subscriptions not supported",
}


def reason_name(code: int) -> str:
    """``0x86 Bad User Name or Password``."""
    return f"0x{code:02X} {REASONS.get(code, 'unknown reason code')}"


class MqttViolation(Exception):
    """The broker sent something MQTT 5 (or this client) does not allow: the connection is dropped."""


# -- encoding --------------------------------------------------------------------------------------
def varint(value: int) -> bytes:
    """MQTT Variable Byte Integer."""
    if value < 0x80:
        return bytes((value,))
    if value > 268_435_455:
        raise ValueError(f"{value} does not fit a variable byte integer")
    out = bytearray()
    while True:
        value, digit = divmod(value, 0x80)
        if value:
            out.append(digit | 0x80)
        else:
            out.append(digit)
            return bytes(out)


def binary(data: bytes) -> bytes:
    """Two-byte length + bytes (Binary Data; UTF-8 strings once encoded)."""
    if len(data) > 0xFFFF:
        raise ValueError(f"{len(data)} bytes do not fit an MQTT string or binary field")
    return len(data).to_bytes(2, "big") + data


def string(text: str) -> bytes:
    return binary(text.encode("utf-8"))


def packet(first: int, body: bytes) -> bytes:
    return bytes((first,)) + varint(len(body)) + body


class Will(NamedTuple):
    """The message the broker publishes (QoS 1) for a client whose connection died."""

    topic: str
    payload: bytes
    retain: bool = True
    delay: int = 0       # Will Delay Interval, seconds: a quick reconnect cancels it


def connect_packet(client_id: str, username: str, password: str, keepalive: int, *,
                   clean_start: bool = True, session_expiry: int = 0, will: Will | None = None) -> bytes:
    """CONNECT, protocol level 5; a user name and password when *username* is set.

    *session_expiry* > 0 asks the broker to keep the session (subscriptions and QoS 1 messages)
    that many seconds after the connection is lost; *will* is published by the broker when the
    connection dies without a DISCONNECT (after its delay).
    """
    flags = 0x02 if clean_start else 0x00
    if username:
        flags |= 0x80 | 0x40
    if will is not None:
        flags |= 0x04 | (1 << 3) | (0x20 if will.retain else 0)   # will, will QoS 1, will retain
    props = (bytes((PROP_SESSION_EXPIRY,)) + session_expiry.to_bytes(4, "big")) if session_expiry else b""
    body = (string("MQTT") + bytes((5, flags)) + keepalive.to_bytes(2, "big") + varint(len(props)) + props
            + string(client_id))
    if will is not None:
        will_props = (bytes((PROP_WILL_DELAY,)) + will.delay.to_bytes(4, "big")) if will.delay else b""
        body += varint(len(will_props)) + will_props + string(will.topic) + binary(will.payload)
    if username:
        body += string(username) + binary(password.encode("utf-8"))
    return packet(CONNECT, body)


def publish_properties(expiry: int | None = None, response_topic: str | None = None,
                       correlation: bytes | None = None) -> bytes:
    """The properties of an outgoing PUBLISH, their length first."""
    body = b""
    if expiry is not None:
        body += bytes((PROP_EXPIRY,)) + expiry.to_bytes(4, "big")
    if response_topic:
        body += bytes((PROP_RESPONSE_TOPIC,)) + string(response_topic)
    if correlation:
        body += bytes((PROP_CORRELATION,)) + binary(correlation)
    return varint(len(body)) + body


def publish_packet(topic: bytes, packet_id: int, payload: bytes, properties: bytes = b"\x00", *,
                   retain: bool = False, dup: bool = False) -> bytes:
    """A QoS 1 PUBLISH; *topic* already a length-prefixed UTF-8 string (:func:`string`),
    *properties* already packed (:func:`publish_properties`)."""
    first = PUBLISH_QOS1 | (RETAIN if retain else 0) | (DUP if dup else 0)
    remaining = len(topic) + 2 + len(properties) + len(payload)
    return b"".join((bytes((first,)), varint(remaining), topic, packet_id.to_bytes(2, "big"), properties, payload))


def puback_packet(packet_id: int) -> bytes:
    """PUBACK, success (the reason code and properties omitted, as MQTT 5 allows)."""
    return bytes((PUBACK, 2, packet_id >> 8, packet_id & 0xFF))


def subscribe_packet(packet_id: int, filters: Sequence[str]) -> bytes:
    # Subscription options 0x01: maximum QoS 1, no-local off, retain as published off, retain
    # handling 0 (send retained messages at subscribe).
    body = packet_id.to_bytes(2, "big") + b"\x00" + b"".join(string(f) + b"\x01" for f in filters)
    return packet(SUBSCRIBE, body)


# -- decoding --------------------------------------------------------------------------------------
def read_varint(buf, pos: int, end: int) -> tuple[int, int]:
    """(value, position after it) of a Variable Byte Integer at *pos*, within *end*."""
    value = shift = 0
    while True:
        if pos >= end:
            raise MqttViolation("truncated variable byte integer")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 21:
            raise MqttViolation("variable byte integer longer than 4 bytes")


def read_properties(buf, pos: int, end: int) -> tuple[dict[int, Any], int]:
    """Walk the properties at *pos* (length first); return ({id: value}, position after them).

    Every property of the MQTT 5 table is read by its type; repeated ones (User Property,
    Subscription Identifier) keep their last value.  Strings are decoded, binary data is bytes.
    """
    length, pos = read_varint(buf, pos, end)
    stop = pos + length
    if stop > end:
        raise MqttViolation("properties run past the end of the packet")
    found: dict[int, Any] = {}
    while pos < stop:
        ident = buf[pos]
        kind = PROPERTY_TYPES.get(ident)
        pos += 1
        if kind is None:
            raise MqttViolation(f"unknown property 0x{ident:02X}")
        if kind == BYTE:
            value, pos = buf[pos], pos + 1
        elif kind == TWO:
            value, pos = buf[pos] << 8 | buf[pos + 1], pos + 2
        elif kind == FOUR:
            value, pos = int.from_bytes(buf[pos:pos + 4], "big"), pos + 4
        elif kind == VARINT:
            value, pos = read_varint(buf, pos, stop)
        else:
            size = buf[pos] << 8 | buf[pos + 1]
            value, pos = bytes(buf[pos + 2:pos + 2 + size]), pos + 2 + size
            if kind == STRING:
                value = value.decode("utf-8", "replace")
            elif kind == PAIR:
                size = buf[pos] << 8 | buf[pos + 1]
                value = (value.decode("utf-8", "replace"),
                         bytes(buf[pos + 2:pos + 2 + size]).decode("utf-8", "replace"))
                pos += 2 + size
        found[ident] = value
    if pos != stop:
        raise MqttViolation("a property runs past the properties' length")
    return found, stop


def skip_publish_properties(buf, pos: int, stop: int) -> bytes | None:
    """The hot path of :func:`read_properties` for an incoming PUBLISH: only Correlation Data.

    Every other property is skipped by its type; a Topic Alias is refused (we announce no Topic
    Alias Maximum, so the broker must not send one).
    """
    correlation = None
    types = PROPERTY_TYPES
    while pos < stop:
        ident = buf[pos]
        pos += 1
        if ident == PROP_CORRELATION:
            size = buf[pos] << 8 | buf[pos + 1]
            correlation = bytes(buf[pos + 2:pos + 2 + size])
            pos += 2 + size
            continue
        kind = types.get(ident)
        if kind is None or ident == PROP_TOPIC_ALIAS:
            raise MqttViolation(f"property 0x{ident:02X} not allowed on an incoming PUBLISH")
        if kind == BYTE:
            pos += 1
        elif kind == TWO:
            pos += 2
        elif kind == FOUR:
            pos += 4
        elif kind == VARINT:
            pos = read_varint(buf, pos, stop)[1]
        elif kind == PAIR:
            pos += 2 + (buf[pos] << 8 | buf[pos + 1])
            pos += 2 + (buf[pos] << 8 | buf[pos + 1])
        else:
            pos += 2 + (buf[pos] << 8 | buf[pos + 1])
    if pos != stop:
        raise MqttViolation("a PUBLISH property runs past the properties' length")
    return correlation


def packet_at(buf, pos: int, limit: int) -> tuple[int, int, int] | None:
    """(first byte, body start, body end) of the packet at *pos*, or None while it is incomplete."""
    if limit - pos < 2:
        return None
    first = buf[pos]
    i = pos + 1
    byte = buf[i]
    length = byte & 0x7F
    shift = 7
    while byte & 0x80:
        i += 1
        if i >= limit:
            return None
        if shift > 21:
            raise MqttViolation("remaining length longer than 4 bytes")
        byte = buf[i]
        length |= (byte & 0x7F) << shift
        shift += 7
    end = i + 1 + length
    return (first, i + 1, end) if end <= limit else None


class Message(NamedTuple):
    """An incoming PUBLISH."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    packet_id: int
    response_topic: str | None
    correlation: bytes | None
    expiry: int | None


def read_publish(first: int, buf, pos: int, end: int) -> Message:
    """Decode the PUBLISH whose body is ``buf[pos:end]`` (QoS 0 or 1; a Topic Alias is refused:
    we announce no Topic Alias Maximum, so a broker must not send one)."""
    qos = (first >> 1) & 0x03
    if qos > 1:
        raise MqttViolation(f"a QoS {qos} PUBLISH on QoS 1 subscriptions")
    if end - pos < 3:
        raise MqttViolation("short PUBLISH")
    topic_end = pos + 2 + (buf[pos] << 8 | buf[pos + 1])
    if topic_end + (2 if qos else 0) >= end or topic_end == pos + 2:
        raise MqttViolation("malformed PUBLISH (empty topic or topic past the packet's end)")
    topic = str(buf[pos + 2:topic_end], "utf-8")
    pos = topic_end
    packet_id = 0
    if qos:
        packet_id = buf[pos] << 8 | buf[pos + 1]
        pos += 2
        if not packet_id:
            raise MqttViolation("PUBLISH with packet id 0")
    response_topic = correlation = expiry = None
    if buf[pos] == 0:
        stop = pos + 1
    else:
        props, stop = read_properties(buf, pos, end)
        if PROP_TOPIC_ALIAS in props:
            raise MqttViolation("a Topic Alias in a PUBLISH (none was allowed)")
        response_topic = props.get(PROP_RESPONSE_TOPIC)
        correlation = props.get(PROP_CORRELATION)
        expiry = props.get(PROP_EXPIRY)
    return Message(topic, bytes(buf[stop:end]), qos, bool(first & RETAIN), packet_id, response_topic,
                   correlation, expiry)


def reason_of(buf, pos: int, end: int) -> tuple[int, str]:
    """The reason code at *pos* (0 when absent) and the Reason String property after it, if any
    (DISCONNECT, CONNACK after its flags, PUBACK after its packet id)."""
    if pos >= end:
        return 0, ""
    text = read_properties(buf, pos + 1, end)[0].get(PROP_REASON_STRING, "") if end - pos > 1 else ""
    return buf[pos], text
