"""systemd notifications (READY, WATCHDOG) without a dependency: a datagram to $NOTIFY_SOCKET.

The wall pings the watchdog from the Kivy clock, so a hung UI loop gets the
process restarted (``WatchdogSec=`` in the unit); elsewhere it is a no-op.
"""

from __future__ import annotations

import os
import socket


def notify(state: str) -> bool:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(state.encode(), address)
        return True
    except OSError:
        return False


def watchdog_interval_s() -> float | None:
    """Half the unit's WatchdogSec, or None when the watchdog is off."""
    usec = os.environ.get("WATCHDOG_USEC")
    try:
        return int(usec) / 2e6 if usec else None
    except ValueError:
        return None
