"""``hall counter --config FILE`` / ``python -m counter --config FILE``: run a keypad or an evaluator."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from hallcore import settings as settings_loader
from hallcore.errors import HallError
from hallcore.systemd import notify

from .node import CounterNode
from .settings import CounterSettings

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall counter",
                                     description="run a window's caller keypad or evaluator (GPIO)")
    parser.add_argument("--config", required=True, help="the device's settings file (from `hall device add`)")
    parser.add_argument("--mock-pins", action="store_true", help="emulated GPIO pins (no hardware needed)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_loader.load(CounterSettings, args.config,
                                        overrides={"pin_factory": "mock"} if args.mock_pins else None).check()
    except HallError as exc:
        print(f"hall counter: {exc}")
        return 2

    from protocol.client import MqttBus

    bus = MqttBus(settings.broker, settings.hall, device=settings.device)
    node = CounterNode(settings, bus).start()
    log.info("%s %s for window %s started", settings.role, settings.device, settings.window)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    notify("READY=1")
    while not stopping.wait(5):
        if bus.connected.is_set():
            notify("WATCHDOG=1")
    node.stop()
    return 0
