"""From protocol payloads to what goes on paper (hardware.printer's slips).  Pure."""

from __future__ import annotations

from datetime import datetime

from hardware.printer import ChecklistSlip, MaterialLine, TicketSlip
from protocol.models import Item, TicketInfo

#: A line for tickets with a priority (the slip's own footer already says what to do when called).
PRIORITY_NOTICE = {"elderly": "长者优先", "disabled": "残疾人优先", "green": "绿色通道",
                   "urgent": "急办件", "appointment": "预约签到"}


def wait_text(ticket: TicketInfo) -> str:
    minutes = ticket.wait.minutes
    if minutes is None:
        return "暂无法估计"
    return f"约{max(1, round(minutes))}分钟"


def window_names(numbers) -> tuple[str, ...]:
    return tuple(f"{n}号窗口" for n in numbers)


def fees_text(item: Item) -> str:
    if item.is_free:
        return "不收费"
    text = "；".join(f"{fee.name} {fee.amount}" for fee in item.fees)
    return f"{text}（{item.fee_note}）" if item.fee_note else text


def ticket_slip(ticket: TicketInfo, hall_name: str) -> TicketSlip:
    return TicketSlip(
        hall_name=hall_name,
        number=ticket.number,
        item_name=ticket.item_name or ticket.queue_name,
        queue_name=ticket.queue_name,
        ahead=ticket.ahead,
        wait_text=wait_text(ticket),
        windows=window_names(ticket.windows),
        issued_at=ticket.issued_at.strftime("%Y-%m-%d %H:%M"),
        qr_url=ticket.status_url or None,
        notice=PRIORITY_NOTICE.get(ticket.priority, ""),
    )


def checklist_slip(item: Item, *, hall_name: str, department: str, windows: list[str],
                   printed_at: datetime) -> ChecklistSlip:
    return ChecklistSlip(
        hall_name=hall_name,
        item_name=item.name,
        department=department,
        kind=item.kind,
        materials=tuple(MaterialLine(m.name, m.form, m.copies, m.mandatory, m.notes) for m in item.materials),
        conditions=tuple(item.conditions),
        statutory_days=item.statutory_days,
        promised_days=item.promised_days,
        fees=fees_text(item),
        windows=tuple(windows),
        consult_phone=item.consult_phone,
        supervise_phone=item.supervise_phone,
        printed_at=printed_at.strftime("%Y-%m-%d %H:%M"),
    )
