"""Demo traffic for ``hall run --traffic``: visitors take numbers and window w01 calls them.

A simulated kiosk (its own device, ``visitor-sim``) takes a number for one of
the popular items every few seconds; the keypad of window w01 finishes the
ticket it serves and calls the next one at half that pace, so the wall, the
bars and the voice have something to show. It speaks only PROTOCOL.md
requests, like any other device.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import signal
import threading

from hallcore import settings as settings_loader
from protocol import ProtocolError, new_id
from protocol.client import MqttBus
from protocol.connection import DeviceSettings
from protocol.models import Request

log = logging.getLogger("hall.traffic")
#: Items of sample/catalog.yaml: most go to queues window w01 serves (A, H; GAJ-005 is an urgent 急办件).
ITEMS = ("SCJ-001", "GAJ-005", "SCJ-006", "GAJ-001")


def ask(bus: MqttBus, kind: str, params: dict) -> dict | None:
    try:
        return bus.call(Request(id=new_id("demo-"), type=kind, params=params), timeout=5)
    except ProtocolError as exc:
        log.info("%s: %s", kind, exc.message)
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hall.traffic", description=__doc__.splitlines()[0])
    parser.add_argument("--kiosk", required=True, help="settings file of the simulated kiosk")
    parser.add_argument("--keypad", required=True, help="settings file of the window's keypad")
    parser.add_argument("--interval", type=float, default=8.0, help="seconds between two visitors")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    kiosk_settings = settings_loader.load(DeviceSettings, args.kiosk)
    keypad_settings = settings_loader.load(DeviceSettings, args.keypad)
    kiosk = MqttBus(kiosk_settings.broker, kiosk_settings.hall, device=kiosk_settings.device).start()
    keypad = MqttBus(keypad_settings.broker, keypad_settings.hall, device=keypad_settings.device).start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    items = itertools.cycle(ITEMS)
    try:
        for beat in itertools.count():
            if stop.wait(args.interval):
                break
            if not (kiosk.connected.is_set() and keypad.connected.is_set()):
                continue
            ticket = ask(kiosk, "ticket.issue", {"item": next(items)})
            if ticket:
                log.info("visitor took %s", ticket["ticket"]["number"])
            if beat % 2 == 1:
                ask(keypad, "window.finish", {})
                called = ask(keypad, "window.call_next", {})
                if called:
                    log.info("window %s called %s", keypad_settings.window, called.get("ticket"))
    finally:
        kiosk.stop()
        keypad.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
