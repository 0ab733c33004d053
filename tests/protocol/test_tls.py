"""MqttBus over the broker's TLS listener (the one devices on the hall LAN use): the server is
verified against the configured CA, and a bus that cannot verify it never connects."""

from __future__ import annotations

import os
import queue
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from hall.provision import broker_config
from protocol.client import MqttBus
from protocol.models import DeviceStatus
from tests.support.broker import DEVICES, Broker, free_port

pytestmark = pytest.mark.broker


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _certificates(directory: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA of its own and a server certificate it signed for 127.0.0.1 (ca, cert, key)."""
    directory.mkdir(parents=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name} CA",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=directory)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
             "-out", "server.csr", cwd=directory)
    (directory / "san.ext").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=directory)
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


@pytest.fixture
def tls_broker(tmp_path):
    ca, cert, key = _certificates(tmp_path / "pki", "hall")
    tls_port = free_port()
    broker = Broker.provision(tmp_path / "broker", devices=DEVICES)
    # the same hall again, with the TLS listener (devices and passwords are kept)
    broker_config(broker.dir, hall=broker.hall, port=broker.port, user="root" if os.geteuid() == 0 else None,
                  tls_port=tls_port, tls_cert=str(cert), tls_key=str(key))
    broker.start()
    yield broker, tls_port, ca
    broker.stop()


def test_a_device_speaks_over_tls_to_a_verified_broker(tls_broker):
    broker, tls_port, ca = tls_broker
    settings = replace(broker.settings("wall-1"), port=tls_port, tls_ca=str(ca))
    got = queue.Queue()
    with MqttBus(settings, broker.hall, device="wall-1") as wall:
        wall.subscribe(wall.topics.device_status("wall-1"), got.put)
        assert wall.wait_connected()
        wall.publish(wall.topics.device_status("wall-1"), DeviceStatus(status="online"), retain=True)
        assert b'"online"' in got.get(timeout=5).payload


def test_a_broker_the_ca_did_not_sign_is_never_trusted(tls_broker, tmp_path, caplog):
    broker, tls_port, _ca = tls_broker
    other_ca = _certificates(tmp_path / "other", "stranger")[0]
    bus = MqttBus(replace(broker.settings("wall-1"), port=tls_port, tls_ca=str(other_ca)), broker.hall,
                  device="wall-1")
    with bus:
        assert not bus.wait_connected(2)
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
