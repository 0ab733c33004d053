"""How a node reaches the broker (no paho import: settings modules use this)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .codec import MAX_PAYLOAD_BYTES


#: QoS 1 messages in flight on one connection, each way: the broker's ``max_inflight_messages``
#: (which it announces as its MQTT v5 Receive Maximum) and the limit our client keeps (paho's
#: own default of 20 held a backend answering a batch of requests behind acknowledgements).
IN_FLIGHT = 100


@dataclass(frozen=True)
class BrokerSettings:
    """Where and who: one device's (or the backend's) connection to the broker."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str = ""
    password: str = ""
    tls_ca: str = ""            # path to a CA file: TLS on when set
    keepalive: int = 15
    session_expiry_s: int = 300  # the broker keeps our QoS 1 messages this long while we are away
    will_delay_s: int = 5        # a quick restart does not flap offline
    max_payload: int = MAX_PAYLOAD_BYTES


@dataclass(frozen=True)
class DeviceSettings:
    """What ``hall device add`` writes into a device's settings file: who it is and its broker.

    Each node's settings class extends this one with its own fields.
    """

    hall: str = "demo"
    device: str = ""
    role: str = ""
    window: str = ""
    broker: BrokerSettings = field(default_factory=BrokerSettings)
