"""sd_notify without a dependency: READY=1 at start, WATCHDOG=1 while healthy."""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    """Send *message* to systemd if we run under it (NOTIFY_SOCKET); False otherwise."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(message.encode(), address)
        except OSError:
            return False
    return True


def watchdog_interval_s() -> float | None:
    """Half the unit's WatchdogSec (how often to send WATCHDOG=1), or None when it is off."""
    usec = os.environ.get("WATCHDOG_USEC")
    try:
        return int(usec) / 2e6 if usec else None
    except ValueError:
        return None
