"""``/admin/devices``: registered devices with what they last said, and the active hall alerts."""

from __future__ import annotations

import html
import re

from backend.db import init_db, make_engine
from backend.registry import upsert_device
from backend.settings import BackendSettings
from backend.web import create_app
from backend.web.users import add_user
from protocol.models import Alert, DeviceHealth, DeviceStatus
from tests.announce.support import MONDAY_9, PASSWORD, login, make_client


def row(page: str, device: str) -> str:
    match = re.search(rf'<tr id="device-{re.escape(device)}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {device}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_the_devices_page_shows_registry_live_state_and_alerts(hall, monitor, clock):
    with hall.backend.engine.begin() as conn:
        upsert_device(conn, "kiosk-1", "kiosk", None, name="大厅东侧取号机")
        upsert_device(conn, "bar-3", "bar", "3")
        upsert_device(conn, "wall-1", "wall", None)
    _app, client = make_client(hall)
    hall.backend.start()
    kiosk = hall.device_bus("kiosk-1")
    kiosk.publish(hall.topics.device_status("kiosk-1"), DeviceStatus(status="online"), retain=True)
    kiosk.publish(hall.topics.device_health("kiosk-1"), DeviceHealth(
        role="kiosk", software_version="1.4.2", boot_id="b", uptime_s=3725, at=MONDAY_9, paper="near_end"),
        retain=True)
    kiosk.publish(hall.topics.device_alert("kiosk-1", "paper_near_end"), Alert(
        id="paper_near_end", kind="paper_near_end", since=MONDAY_9, message="<b>low</b> [color=ff0000]paper"),
        retain=True)
    hall.device_bus("bar-3").publish(hall.topics.device_status("bar-3"), DeviceStatus(status="offline"),
                                     retain=True)
    hall.device_bus("ghost-9").publish(hall.topics.device_status("ghost-9"), DeviceStatus(status="online"),
                                       retain=True)
    monitor.tick(clock.advance(minutes=2))

    assert client.get("/admin/devices").status_code == 302
    login(client, "clerk")
    assert client.get("/admin/devices").status_code == 403
    login(client)
    page = client.get("/admin/devices").get_data(as_text=True)

    assert row(page, "kiosk-1") == ("kiosk-1 大厅东侧取号机 kiosk — ● 在线 online 自 since 05-06 09:00:00 "
                                    "05-06 09:00:00 2 分钟前 min ago 将尽 near end 1.4.2 1:02:05 paper_near_end")
    assert row(page, "bar-3").startswith("bar-3 bar 3 ○ 离线 offline 自 since 05-06 09:00:00 从未 never")
    assert row(page, "wall-1") == "wall-1 wall — ? 未知 unknown 从未 never — — — —"
    assert "not registered" in row(page, "ghost-9")

    alerts = page.split("<h2>")[1]
    assert "预警 Active hall alerts (2)" in alerts
    assert 'id="alert-device_offline-bar-3"' in alerts and "设备 bar-3 自 09:00 起离线" in alerts
    assert 'id="alert-paper_near_end-kiosk-1"' in alerts
    assert "&lt;b&gt;low&lt;/b&gt; [color=ff0000]paper" in alerts and "<b>low</b>" not in page


def test_without_a_running_monitor_the_page_shows_the_registry(tmp_path):
    settings = BackendSettings(hall="test", data_dir=str(tmp_path))
    engine = make_engine(settings.db_url)
    init_db(engine)
    with engine.begin() as conn:
        add_user(conn, "admin", PASSWORD, "admin")
        upsert_device(conn, "kiosk-1", "kiosk", None)
    client = create_app(settings, engine).test_client()
    login(client)
    page = client.get("/admin/devices").get_data(as_text=True)
    assert "the device monitor is not running" in page and row(page, "kiosk-1").startswith("kiosk-1 kiosk")
    engine.dispose()
