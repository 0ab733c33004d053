"""``/admin/devices``: every registered device, what it last said, and the hall's active alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template

from ..registry import list_devices
from ..web.auth import login_required
from .logic import KIND_ZH, DeviceRecord
from .service import monitor_for

bp = Blueprint("monitor_admin", __name__, url_prefix="/admin/devices", template_folder="templates",
               static_folder="static")

PAPER_LABELS = {"ok": "正常 ok", "near_end": "将尽 near end", "out": "缺纸 out", "unknown": "未知 unknown"}


@dataclass(frozen=True)
class DeviceRow:
    id: str
    name: str
    role: str
    window: str
    registered: bool
    enabled: bool
    record: DeviceRecord | None

    @property
    def status(self) -> str:
        return self.record.status if self.record and self.record.status else "unknown"


def _rows(registered, records: dict[str, DeviceRecord]) -> list[DeviceRow]:
    rows = [DeviceRow(r.id, r.name, r.role, r.window or "", True, r.enabled, records.get(r.id))
            for r in registered]
    known = {r.id for r in registered}
    for device, record in sorted(records.items()):
        if device not in known:   # heard on the bus but not in the registry
            role = record.health.role if record.health else ""
            rows.append(DeviceRow(device, "", role, "", False, True, record))
    return rows


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return ""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds} 秒前 s ago"
    if seconds < 3600:
        return f"{seconds // 60} 分钟前 min ago"
    return f"{seconds // 3600} 小时前 h ago" if seconds < 86400 else f"{seconds // 86400} 天前 days ago"


@bp.get("")
@login_required("admin")
def index():
    hall = current_app.extensions["hall"]
    tz = ZoneInfo(hall.settings.timezone)
    monitor = monitor_for(hall.publisher)
    with hall.engine.connect() as conn:
        registered = list_devices(conn)
    records = monitor.records() if monitor else {}
    now = monitor.clock() if monitor else datetime.now(tz)
    return render_template(
        "monitor/devices.html", rows=_rows(registered, records), running=monitor is not None,
        alerts=monitor.active_alerts() if monitor else [], now=now,
        local=lambda m: m.astimezone(tz).strftime("%m-%d %H:%M:%S") if m else "",
        ago=lambda m: _ago(m, now), paper_labels=PAPER_LABELS, kind_zh=KIND_ZH,
        uptime=lambda s: str(timedelta(seconds=int(s))))
