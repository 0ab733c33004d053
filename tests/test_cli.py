"""The ``hall`` command's provisioning and administration verbs."""

from __future__ import annotations

import tomllib

import sqlalchemy as sa

from hall.cli import main
from tests.support.hall import CATALOG


def test_broker_config_is_idempotent_and_keeps_passwords(tmp_path):
    out = tmp_path / "broker"
    assert main(["broker", "config", "--out", str(out), "--port", "1999", "--hall", "h1"]) == 0
    first = tomllib.loads((out / "credentials" / "backend.toml").read_text())["broker"]
    assert main(["broker", "config", "--out", str(out), "--port", "2000", "--hall", "h1"]) == 0
    second = tomllib.loads((out / "credentials" / "backend.toml").read_text())["broker"]
    assert second["password"] == first["password"] and second["port"] == 2000
    assert "listener 2000 127.0.0.1" in (out / "mosquitto.conf").read_text()
    assert "allow_anonymous false" in (out / "mosquitto.conf").read_text()


def test_device_user_catalog_and_appointment_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HALL_HOME", str(tmp_path))
    config = tmp_path / "backend.toml"
    config.write_text(f'hall = "h1"\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG, encoding="utf-8")
    out = tmp_path / "broker"
    assert main(["broker", "config", "--out", str(out), "--hall", "h1"]) == 0
    assert main(["device", "add", "keypad-3", "--role", "keypad", "--window", "1", "--broker-dir", str(out),
                 "--config", str(config)]) == 0
    assert main(["device", "add", "kiosk-2", "--role", "kiosk", "--language", "en", "--broker-dir", str(out),
                 "--config", str(config)]) == 0
    password = tomllib.loads((out / "credentials" / "kiosk-2.toml").read_text())["broker"]["password"]
    assert main(["device", "set", "kiosk-2", "--language", "zh", "--config", str(config)]) == 0
    assert main(["device", "set", "keypad-3", "--language", "own", "--config", str(config)]) == 0
    assert main(["device", "set", "kiosk-404", "--language", "en", "--config", str(config)]) == 2
    assert "no device 'kiosk-404'" in capsys.readouterr().out
    assert tomllib.loads((out / "credentials" / "kiosk-2.toml").read_text())["broker"]["password"] == password
    assert main(["device", "add", "bar-9", "--role", "bar", "--broker-dir", str(out), "--config", str(config)]) == 2
    assert "give --window" in capsys.readouterr().err
    assert main(["user", "add", "wang", "--role", "staff", "--password", "long-enough-1", "--name", "王芳",
                 "--config", str(config)]) == 0
    assert main(["catalog", "import", str(catalog), "--config", str(config)]) == 0
    assert main(["appointment", "add", "20261123A1", "A", "2026-11-23", "--config", str(config)]) == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path}/hall.db")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select role, window from devices where id='keypad-3'")).one() == ("keypad", "1")
        languages = dict(conn.execute(sa.text("select id, language from devices")).all())
        assert languages == {"keypad-3": "", "kiosk-2": "zh"}   # kiosk-2 chose en, then zh; keypad-3 its own
        assert conn.execute(sa.text("select display_name from users where username='wang'")).scalar() == "王芳"
        assert conn.execute(sa.text("select count(*) from appointments")).scalar() == 1
    engine.dispose()
    creds = tomllib.loads((out / "credentials" / "keypad-3.toml").read_text())
    assert creds["role"] == "keypad" and creds["window"] == "1" and creds["broker"]["username"] == "keypad-3"
    assert "user keypad-3\ntopic write hall/h1/devices/keypad-3/requests" in (out / "acl").read_text()
