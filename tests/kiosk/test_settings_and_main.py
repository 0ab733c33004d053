"""Settings (the device file `hall device add` writes), the slips, and `python -m kiosk` offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from hall.provision import credentials_text
from hallcore.errors import ConfigError
from hallcore.settings import load
from kiosk.app import decide_offscreen, main
from kiosk.settings import KioskSettings
from kiosk.slips import checklist_slip, fees_text, ticket_slip
from protocol.models import TicketInfo, WaitEstimate

from .fakehall import ITEMS, NOW

ROOT = Path(__file__).resolve().parents[2]


def credentials(tmp_path, extra: str = "") -> Path:
    text = credentials_text("demo", "127.0.0.1", 1, "kiosk-1", "secret", role="kiosk")
    head, _, broker = text.partition("\n[broker]")
    path = tmp_path / "kiosk-1.toml"
    path.write_text(head + "\n" + extra + "\n[broker]" + broker, encoding="utf-8")
    return path


def test_the_credentials_file_is_a_valid_kiosk_settings_file(tmp_path):
    settings = load(KioskSettings, credentials(tmp_path), environ={}).check()
    assert (settings.hall, settings.device, settings.role, settings.window) == ("demo", "kiosk-1", "kiosk", "")
    assert settings.broker.username == "kiosk-1" and settings.broker.password == "secret"
    assert settings.orientation == "portrait" and settings.printer.kind == "emulator"
    assert settings.size() == (720, 1280)


def test_kiosk_fields_from_the_file_and_the_environment(tmp_path):
    path = credentials(tmp_path, 'orientation = "landscape"\npopular_items = ["SCJ-001"]\n'
                                 'data_dir = "/srv/k"\n[printer]\nkind = "network"\npaper_width_mm = 80\n'
                                 'options = { host = "10.0.0.9" }\n[gpio]\ntake_pin = 16\ntake_item = "SCJ-001"\n')
    settings = load(KioskSettings, path, environ={"HALL_IDLE_TIMEOUT_S": "45"}).check()
    assert settings.orientation == "landscape" and settings.size() == (1280, 720)
    assert settings.popular_items == ("SCJ-001",) and settings.idle_timeout_s == 45
    assert settings.printer.columns == 48 and settings.printer.options == {"host": "10.0.0.9"}
    assert settings.gpio.take_pin == 16
    assert settings.catalog_path() == Path("/srv/k/catalog.json")
    assert settings.printout_path() == Path("/srv/k/printouts")


@pytest.mark.parametrize("extra, field", [
    ('orientation = "sideways"', "orientation"),
    ('language = "fr"', "language"),
    ('idle_timeout_s = 0', "idle_timeout_s"),
    ('window_size = "big"', "window_size"),
    ('[printer]\nkind = "laser"', "printer.kind"),
    ('[gpio]\ntake_pin = 16', "gpio.take_item"),
    ('colour = "red"', "colour"),
])
def test_bad_settings_name_the_field(tmp_path, extra, field):
    with pytest.raises(ConfigError, match=field.split(".")[-1]):
        load(KioskSettings, credentials(tmp_path, extra), environ={}).check()


def test_a_wall_credentials_file_is_refused(tmp_path):
    path = tmp_path / "wall.toml"
    path.write_text(credentials_text("demo", "127.0.0.1", 1, "wall-1", "x", role="wall"), encoding="utf-8")
    with pytest.raises(ConfigError, match="not a kiosk"):
        load(KioskSettings, path, environ={}).check()


def test_main_reports_a_bad_settings_file(tmp_path, capsys):
    path = credentials(tmp_path, 'orientation = "sideways"')
    assert main(["--config", str(path)]) == 2
    assert "orientation" in capsys.readouterr().out


def test_display_decision():
    assert decide_offscreen({})
    assert not decide_offscreen({"DISPLAY": ":0"})
    assert not decide_offscreen({"WAYLAND_DISPLAY": "wayland-0"})
    assert not decide_offscreen({"SDL_VIDEODRIVER": "kmsdrm"})      # a Pi on the console
    assert decide_offscreen({"DISPLAY": ":0"}, force=True)


def test_slips_carry_what_the_visitor_needs():
    ticket = TicketInfo(id="t1", number="B007", queue="B", queue_name="公安户政与出入境", item="GA-003",
                        item_name="普通护照签发", issued_at=NOW, ahead=4, windows=(3, 5),
                        wait=WaitEstimate(minutes=15.6, ahead=4, per_ticket_min=4, windows=1, basis="x", basis_zh="y"),
                        status_url="https://hall.example.gov.cn/t/B007")
    slip = ticket_slip(ticket, "示例市政务服务中心")
    assert (slip.number, slip.ahead, slip.wait_text, slip.windows) == ("B007", 4, "约16分钟", ("3号窗口", "5号窗口"))
    assert slip.issued_at == "2024-05-06 09:30" and slip.qr_url.endswith("/B007")
    passport = ITEMS[1]
    checklist = checklist_slip(passport, hall_name="示例市政务服务中心", department="公安局",
                               windows=["3号窗口 公安户政"], printed_at=NOW)
    assert checklist.fees == "护照工本费 ¥120/本" and checklist.promised_days == 7
    assert [m.mandatory for m in checklist.materials] == [True, False]
    assert fees_text(ITEMS[0]) == "不收费"


@pytest.mark.kivy
def test_python_m_kiosk_runs_offscreen_and_names_its_folders(tmp_path):
    """The real entry point in its own process: no broker reachable, a short run."""
    data = tmp_path / "data"
    path = credentials(tmp_path, f'data_dir = "{data}"\nscreenshot_interval_s = 0.5\nrequest_timeout_s = 1')
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(path), "--duration", "2"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    shots = data / "screenshots"
    assert f"screenshots every 0.5s in {shots}" in log and str(data / "printouts") in log
    image = Image.open(shots / "latest.png")
    assert image.size == (720, 1280)
    assert len(image.convert("RGB").getcolors(1 << 20)) > 40
