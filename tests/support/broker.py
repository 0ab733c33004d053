"""A real Mosquitto for tests, configured by ``hall broker config`` on a free loopback port.

Fixtures:
- ``broker`` (session): a running broker with the devices of a small hall
  (``kiosk-1``, ``kiosk-2``, ``wall-1``, ``bar-1``, ``keypad-1``, ``keypad-2``,
  ``eval-1``); ``broker.settings(device)`` gives a BrokerSettings.
- ``own_broker`` (function): a broker of the test's own, free to be restarted
  or killed with ``restart()`` / ``kill9()``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import tomllib
from pathlib import Path

import pytest

from hall.provision import add_device, broker_config
from protocol.connection import BrokerSettings

HALL = "test"
DEVICES = (
    ("kiosk-1", "kiosk", ""), ("kiosk-2", "kiosk", ""), ("wall-1", "wall", ""), ("bar-1", "bar", "1"),
    ("keypad-1", "keypad", "1"), ("keypad-2", "keypad", "2"), ("eval-1", "evaluator", "1"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Poll until the broker accepts TCP connections (bounded; raises if it never does)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"broker did not listen on {port} within {timeout} s")
            time.sleep(0.02)


class Broker:
    """A mosquitto process started from a directory that ``hall broker config`` wrote."""

    def __init__(self, directory: Path, port: int, hall: str = HALL):
        self.dir = directory
        self.port = port
        self.hall = hall
        self.proc: subprocess.Popen | None = None

    @classmethod
    def provision(cls, directory: Path, devices=DEVICES, hall: str = HALL) -> "Broker":
        port = free_port()
        broker_config(directory, hall=hall, port=port, user="root" if os.geteuid() == 0 else None)
        for device, role, window in devices:
            add_device(directory, device, role, window)
        return cls(directory, port, hall)

    def start(self) -> "Broker":
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([exe, "-c", str(self.dir / "mosquitto.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(self.port)
        except RuntimeError:
            self.proc.kill()
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            raise RuntimeError(f"mosquitto failed to start: {err}\nlog: {self.log()[-2000:]}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def add_device(self, device: str, role: str, window: str = "") -> BrokerSettings:
        add_device(self.dir, device, role, window)  # SIGHUPs the running broker
        return self.settings(device)

    def credentials(self, name: str) -> dict:
        return tomllib.loads((self.dir / "credentials" / f"{name}.toml").read_text(encoding="utf-8"))

    def settings(self, name: str, **overrides) -> BrokerSettings:
        raw = self.credentials(name)["broker"]
        return BrokerSettings(host=raw["host"], port=raw["port"], username=raw["username"],
                              password=raw["password"], **overrides)

    def log(self) -> str:
        path = self.dir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> Broker:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.fail("mosquitto is not installed: run `make test`, which installs it")
    b = Broker.provision(tmp_path_factory.mktemp("broker")).start()
    yield b
    b.stop()


@pytest.fixture
def own_broker(tmp_path) -> Broker:
    b = Broker.provision(tmp_path / "broker").start()
    yield b
    b.stop()
