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
