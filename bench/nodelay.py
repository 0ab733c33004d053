"""Experiment switch (BENCH_NODELAY=1): set TCP_NODELAY on every paho socket of this process.

paho-mqtt 2.2 leaves Nagle's algorithm on; a client that publishes several small messages in a
row (the backend after a call: event, states, reply) then waits for the broker's delayed ACK
(~40 ms on Linux).  protocol/client.py should set it; until it does, the benchmarks can show the
difference with this switch.  Imported by hallrig.py and profile_backend.py.
"""

from __future__ import annotations

import os
import socket


def apply() -> bool:
    if os.environ.get("BENCH_NODELAY") != "1":
        return False
    from protocol.client import MqttBus

    original = MqttBus._on_connect

    def _on_connect(self, client, *args):
        sock = client.socket()
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return original(self, client, *args)

    MqttBus._on_connect = _on_connect
    return True
