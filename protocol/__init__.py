"""The hall's MQTT contract (PROTOCOL.md) in code: topics, payloads and the one client.

Import the client lazily (``from protocol.client import MqttBus``) so that a
node that only validates payloads does not load paho.
"""

from .bus import CALL_EXPIRY_S, REQUEST_EXPIRY_S, BaseBus, Deduper, Inbound, new_id, topic_matches
from .codec import decode, decode_optional, decode_request, encode, reply_error, reply_ok
from .errors import ERROR_CODES, PayloadTooLarge, ProtocolError
from .topics import TOPIC_TABLE, ParsedTopic, Topics, check_id

from .connection import BrokerSettings

__all__ = ["BrokerSettings",
    
    "CALL_EXPIRY_S", "REQUEST_EXPIRY_S", "BaseBus", "Deduper", "Inbound", "new_id", "topic_matches",
    "decode", "decode_optional", "decode_request", "encode", "reply_error", "reply_ok",
    "ERROR_CODES", "PayloadTooLarge", "ProtocolError", "TOPIC_TABLE", "ParsedTopic", "Topics", "check_id",
]
