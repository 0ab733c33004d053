"""What goes on paper: plain frozen dataclasses, no protocol import.

The kiosk builds these from the payloads it receives and hands them to
:class:`hardware.printer.TicketPrinter`. Fields hold display text already in
the hall's words (for example ``wait_text="约15分钟"``); the printer only lays
them out.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class TicketSlip:
    """A queue ticket (排队号票)."""

    hall_name: str
    number: str  # e.g. "A012"
    item_name: str  # 事项
    queue_name: str  # 队列 / 业务类型
    ahead: int  # people waiting before this ticket
    wait_text: str  # e.g. "约15分钟"
    windows: tuple[str, ...]  # e.g. ("3号窗口", "5号窗口")
    issued_at: str  # e.g. "2024-05-06 09:12"
    qr_url: str | None = None  # progress page; printed as a native QR code
    notice: str = ""  # short extra line, e.g. "过号请重新取号"


@dataclass(frozen=True)
class MaterialLine:
    """One required material (申请材料) on the checklist slip."""

    name: str
    form: str  # 原件 / 复印件 / 原件及复印件
    copies: int
    mandatory: bool
    notes: str = ""


@dataclass(frozen=True)
class ChecklistSlip:
    """The one-time notice (一次性告知单): everything the visitor must bring."""

    hall_name: str
    item_name: str
    department: str  # 实施主体
    kind: str  # 即办件 / 承诺件 / ...
    materials: tuple[MaterialLine, ...]
    conditions: tuple[str, ...]  # 办理条件
    statutory_days: int | None  # 法定时限 (working days)
    promised_days: int | None  # 承诺时限 (working days); 0 means done on the spot
    fees: str  # 收费标准, e.g. "不收费" or "工本费￥10元"
    windows: tuple[str, ...]
    consult_phone: str  # 咨询电话
    supervise_phone: str  # 监督电话
    printed_at: str
