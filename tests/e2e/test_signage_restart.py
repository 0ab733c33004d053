"""The signage node on a real broker and backend, through a broker restart in the middle of calls.

A call made while the wall is reconnecting reaches it (persistent session)
and is spoken once; calls from before the restart are not spoken again; the
wall's recent-call list matches the backend's.
"""

from __future__ import annotations

import threading

import pytest

from protocol.client import MqttBus
from signage.clock import SystemClock
from signage.node import SignageNode
from signage.settings import SignageSettings
from signage.voice import RecordingPlayer, VoiceQueue, generate_clips
from signage.wallmodel import WallModel
from tests.support.fixtures import call_until_answered, wait_until
from tests.support.hall import start_backend

pytestmark = pytest.mark.broker


def test_no_call_lost_or_repeated_through_a_broker_restart(own_broker, tmp_path):
    backend = start_backend(own_broker, tmp_path)
    clips = tmp_path / "clips"
    generate_clips(clips)
    clock = SystemClock()
    settings = SignageSettings(hall=own_broker.hall, device="wall-1", role="wall", state_dir=str(tmp_path / "wall"))
    bus = MqttBus(own_broker.settings("wall-1"), own_broker.hall, device="wall-1")
    player = RecordingPlayer()
    connects = threading.Semaphore(0)
    bus.on_connect(connects.release)  # before the node starts the bus: a quick connect must not be missed
    node = SignageNode(settings, bus, clock, wall=WallModel(clock),
                       voice=VoiceQueue(clips, player, clock, work_dir=tmp_path / "voice")).start()
    kiosk = MqttBus(own_broker.settings("kiosk-1"), own_broker.hall, device="kiosk-1").start()
    keypad = MqttBus(own_broker.settings("keypad-1"), own_broker.hall, device="keypad-1").start()
    try:
        assert connects.acquire(timeout=10) and kiosk.wait_connected() and keypad.wait_connected()
        for _ in range(3):
            call_until_answered(kiosk, "ticket.issue", {"queue": "A"})
        assert call_until_answered(keypad, "window.call_next", {})["ticket"] == "A001"
        wait_until(lambda: node.calls_announced == 1, what="the first call")
        call_until_answered(keypad, "window.finish", {})

        own_broker.restart()
        # the keypad may reconnect before the wall: this call waits in the wall's session
        assert call_until_answered(keypad, "window.call_next", {})["ticket"] == "A002"
        assert connects.acquire(timeout=20)
        wait_until(lambda: node.calls_announced == 2, what="the call made across the restart")
        assert call_until_answered(keypad, "window.recall", {})["ticket"] == "A002"
        wait_until(lambda: node.calls_announced == 3, what="the recall")
        assert node.voice.wait_idle(20)
        assert player.wait_for(3, 20) and len(player.played) == 3 and player.overlaps == 0
        view = node.wall.view()
        shown = [view.current.ticket] + [row.ticket for row in view.recent]
        assert view.online and sorted(set(shown)) == ["A001", "A002"]  # highlight turns: either may be current
    finally:
        for b in (kiosk, keypad):
            b.stop()
        node.stop()
        bus.stop()
        backend.stop()
