"""The pure decisions: which hall alerts device messages and the passing time call for."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from backend.monitor.logic import Clear, MonitorLogic, Raise, hall_alert_id
from protocol.models import Alert, DeviceHealth, DeviceStatus

T0 = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)
TZ = ZoneInfo("Asia/Shanghai")
ONLINE, OFFLINE = DeviceStatus(status="online"), DeviceStatus(status="offline")


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def logic(**kw) -> MonitorLogic:
    kw.setdefault("tz", TZ)
    return MonitorLogic(grace_s=60, settle_s=15, **kw)


def paper(kind="paper_out", since=T0, message="printer reports no paper") -> Alert:
    return Alert(id=kind, kind=kind, severity="critical", since=since, message=message)


def raised_ids(actions) -> list[str]:
    return [a.alert_id for a in actions if isinstance(a, Raise)]


def cleared_ids(actions) -> list[str]:
    return [a.alert_id for a in actions if isinstance(a, Clear)]


def test_offline_longer_than_the_grace_period_raises_device_offline():
    m = logic()
    assert m.status("kiosk-1", ONLINE, s(0)) == []
    assert m.status("kiosk-1", OFFLINE, s(10)) == []
    assert m.next_due(s(10)) == s(70)
    assert m.tick(s(69)) == []
    [action] = m.tick(s(70))
    alert = action.alert
    assert alert.id == "device_offline-kiosk-1" and alert.kind == "device_offline" and alert.subject == "kiosk-1"
    assert alert.since == s(10) and alert.since.utcoffset() == timedelta(hours=8)
    assert alert.message_zh == "设备 kiosk-1 自 09:00 起离线"
    assert m.tick(s(500)) == [] and m.next_due(s(500)) is None    # raised once


def test_coming_back_clears_it_at_once():
    m = logic()
    m.status("kiosk-1", OFFLINE, s(0))
    m.tick(s(60))
    assert m.status("kiosk-1", ONLINE, s(61)) == [Clear("device_offline-kiosk-1")]
    assert m.raised == {}


def test_a_quick_restart_raises_nothing():
    m = logic()
    m.status("wall-1", OFFLINE, s(0))
    assert m.status("wall-1", ONLINE, s(30)) == []
    assert m.tick(s(120)) == [] and m.next_due(s(120)) is None


def test_a_repeated_offline_message_does_not_restart_the_grace_period():
    m = logic()
    m.status("bar-1", OFFLINE, s(0))
    m.status("bar-1", OFFLINE, s(50))       # QoS 1 duplicate, or the retained copy on resubscribe
    assert raised_ids(m.tick(s(60))) == ["device_offline-bar-1"]


def test_a_cleared_status_counts_as_not_offline():
    m = logic()
    m.status("bar-1", OFFLINE, s(0))
    m.tick(s(60))
    assert m.status("bar-1", None, s(70)) == [Clear("device_offline-bar-1")]


def test_a_device_alert_is_mirrored_and_cleared_with_it():
    m = logic()
    [action] = m.device_alert("kiosk-1", "paper_out", paper(), s(5))
    alert = action.alert
    assert alert.id == "paper_out-kiosk-1" and alert.kind == "paper_out" and alert.severity == "critical"
    assert alert.message == "printer reports no paper" and alert.message_zh == "kiosk-1：打印机缺纸"
    assert alert.details == {"device": "kiosk-1", "device_alert": "paper_out"}
    assert m.device_alert("kiosk-1", "paper_out", paper(), s(6)) == []   # duplicate: nothing new
    assert m.device_alert("kiosk-1", "paper_out", None, s(7)) == [Clear("paper_out-kiosk-1")]


def test_a_changed_device_alert_is_republished():
    m = logic()
    m.device_alert("kiosk-1", "paper_near_end", paper("paper_near_end"), s(0))
    [action] = m.device_alert("kiosk-1", "paper_near_end", paper("paper_near_end", message="10% left"), s(9))
    assert action.alert.message == "10% left"


def test_kinds_that_are_not_mirrored_stay_with_the_device():
    m = logic()
    assert m.device_alert("kiosk-1", "other", paper("other"), s(0)) == []
    assert m.device_alert("kiosk-1", "long_wait", paper("long_wait"), s(0)) == []
    assert set(m.records()["kiosk-1"].alerts) == {"other", "long_wait"}


def test_mirrored_alerts_survive_going_offline():
    m = logic()
    m.device_alert("bar-1", "bar_not_answering", paper("bar_not_answering"), s(0))
    m.status("bar-1", OFFLINE, s(1))
    assert raised_ids(m.tick(s(61))) == ["device_offline-bar-1"]
    assert set(m.raised) == {"bar_not_answering-bar-1", "device_offline-bar-1"}


def test_records_keep_last_seen_and_health():
    m = logic()
    health = DeviceHealth(role="kiosk", software_version="1.2.0", boot_id="b1", uptime_s=30, at=s(-3600),
                          paper="near_end")
    m.health("kiosk-1", health, s(0), retained=True)
    assert m.records()["kiosk-1"].last_seen == s(-3600)     # an old retained report says when, not now
    m.status("kiosk-1", ONLINE, s(5))
    m.health("kiosk-1", health, s(9))
    m.status("kiosk-1", OFFLINE, s(20))
    rec = m.records()["kiosk-1"]
    assert (rec.status, rec.status_since, rec.last_seen, rec.health.paper) == ("offline", s(20), s(20), "near_end")


def test_long_device_ids_still_give_a_valid_alert_id():
    device = "k" * 64
    assert len(hall_alert_id("device_offline", device)) <= 64
    assert hall_alert_id("device_offline", device) != hall_alert_id("device_offline", "k" * 63 + "j")
    assert hall_alert_id("paper_out", "kiosk-1") == "paper_out-kiosk-1"


# -- after a restart: alerts remembered from the last run ------------------------------------------
def inherited_offline(since=s(-600)) -> Alert:
    """What the last run raised (and stored) for kiosk-1."""
    last_run = logic()
    last_run.status("kiosk-1", OFFLINE, since)
    [action] = last_run.tick(s(0))
    return action.alert


def test_a_remembered_offline_alert_stays_if_the_device_is_still_offline():
    m = logic(inherited=[inherited_offline()])
    assert m.connected(s(0)) == []
    assert m.status("kiosk-1", OFFLINE, s(1), retained=True) == []     # same outage, same since
    assert m.records()["kiosk-1"].status_since == s(-600)
    assert m.tick(s(100)) == [] and set(m.raised) == {"device_offline-kiosk-1"}


def test_a_remembered_offline_alert_is_cleared_when_the_device_is_back():
    m = logic(inherited=[inherited_offline()])
    m.connected(s(0))
    assert m.status("kiosk-1", ONLINE, s(1), retained=True) == [Clear("device_offline-kiosk-1")]


def test_remembered_alerts_nobody_confirms_are_cleared_after_settling():
    stale_paper = Alert(id="paper_out-kiosk-2", kind="paper_out", since=s(-900), message="no paper",
                        subject="kiosk-2")
    m = logic(inherited=[inherited_offline(), stale_paper])
    assert m.tick(s(0)) == []                       # not connected yet: nothing is known
    assert m.connected(s(0)) == []
    assert m.next_due(s(0)) == s(15)
    m.health("kiosk-2", None, s(1))                 # unrelated news decides nothing
    assert m.tick(s(14)) == []
    assert sorted(cleared_ids(m.tick(s(15)))) == ["device_offline-kiosk-1", "paper_out-kiosk-2"]
    assert m.next_due(s(15)) is None


def test_a_remembered_mirror_confirmed_by_the_retained_device_alert_stays():
    m = logic(inherited=[Alert(id="paper_out-kiosk-1", kind="paper_out", since=T0, severity="critical",
                               message="printer reports no paper", message_zh="kiosk-1：打印机缺纸",
                               subject="kiosk-1", details={"device": "kiosk-1", "device_alert": "paper_out"})])
    m.connected(s(0))
    assert m.device_alert("kiosk-1", "paper_out", paper(), s(1), retained=True) == []   # identical: no republish
    assert m.tick(s(30)) == []
    assert set(m.raised) == {"paper_out-kiosk-1"}
