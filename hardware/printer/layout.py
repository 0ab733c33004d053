"""Pure layout: a slip in, the ESC/POS byte stream out.

``ticket_bytes`` and ``checklist_bytes`` know the paper width (columns, see
:data:`hardware.printer.commands.PAPER_COLUMNS`) and nothing about the device;
:class:`hardware.printer.TicketPrinter` sends their output. Tests compare the
bytes directly and decode them back with :func:`hardware.printer.decode_text`.
"""

from escpos.printer import Dummy

from .commands import (
    ALIGN_CENTER,
    ALIGN_LEFT,
    BOLD_OFF,
    BOLD_ON,
    CUT,
    INIT,
    LF,
    SIZE_DOUBLE,
    SIZE_DOUBLE_HEIGHT,
    SIZE_NORMAL,
    encode_text,
    feed,
    wrap,
)
from .slips import ChecklistSlip, MaterialLine, TicketSlip

QR_DOT_SIZE = 6


def qr_bytes(url: str, size: int = QR_DOT_SIZE) -> bytes:
    """The printer's own QR code (``GS ( k``), as python-escpos builds it natively."""
    builder = Dummy()
    builder.qr(url, native=True, size=size)
    return builder.output


def lines_bytes(lines: list[str]) -> bytes:
    """Each line encoded and ended with LF."""
    return b"".join(encode_text(line) + LF for line in lines)


def ticket_bytes(slip: TicketSlip, width: int = 32) -> bytes:
    """The queue ticket: hall, big number, item, queue, people ahead, wait, windows, time, QR."""
    out = [INIT, ALIGN_CENTER, SIZE_DOUBLE_HEIGHT, BOLD_ON]
    out.append(lines_bytes(wrap(slip.hall_name, width)))
    out += [BOLD_OFF, SIZE_NORMAL, lines_bytes(["排队号"])]
    out += [SIZE_DOUBLE, BOLD_ON, encode_text(slip.number), LF, BOLD_OFF, SIZE_NORMAL]
    out.append(lines_bytes(wrap(slip.item_name, width)))
    out.append(lines_bytes(wrap(f"（{slip.queue_name}）", width)))
    out += [ALIGN_LEFT, lines_bytes(["-" * width])]
    body = [
        f"前面还有 {slip.ahead} 人等候",
        f"预计等候：{slip.wait_text}",
        f"办理窗口：{'、'.join(slip.windows)}",
        f"取号时间：{slip.issued_at}",
    ]
    for line in body:
        out.append(lines_bytes(wrap(line, width, indent="  ")))
    if slip.notice:
        out.append(lines_bytes(wrap(slip.notice, width)))
    if slip.qr_url:
        out += [ALIGN_CENTER, qr_bytes(slip.qr_url), LF, lines_bytes(["扫码查看排队进度"])]
        out.append(ALIGN_LEFT)
    out += [lines_bytes(["请留意叫号，过号需重新取号"]), feed(3), CUT]
    return b"".join(out)


def _days(days: int | None) -> str:
    if days is None:
        return "无规定"
    if days == 0:
        return "即办（当场办结）"
    return f"{days}个工作日"


def _material_lines(index: int, material: MaterialLine, width: int) -> list[str]:
    mark = "必交" if material.mandatory else "选交"
    lines = wrap(f"{index}. {material.name}", width, indent="   ")
    lines += wrap(f"   {material.form} {material.copies}份 【{mark}】", width, indent="   ")
    if material.notes:
        lines += wrap(f"   注：{material.notes}", width, indent="   ")
    return lines


def checklist_bytes(slip: ChecklistSlip, width: int = 32) -> bytes:
    """The one-time notice (一次性告知单), every line wrapped at ``width`` columns."""
    out = [INIT, ALIGN_CENTER, SIZE_DOUBLE_HEIGHT, BOLD_ON, lines_bytes(["一次性告知单"])]
    out += [BOLD_OFF, SIZE_NORMAL, lines_bytes(wrap(slip.hall_name, width)), ALIGN_LEFT]
    rule = lines_bytes(["-" * width])
    head = [f"事项：{slip.item_name}", f"部门：{slip.department}", f"类型：{slip.kind}"]
    out.append(lines_bytes([line for h in head for line in wrap(h, width, indent="      ")]))
    out.append(rule)
    mandatory = sum(1 for m in slip.materials if m.mandatory)
    out += [BOLD_ON, lines_bytes([f"【申请材料】共{len(slip.materials)}项，必交{mandatory}项"]), BOLD_OFF]
    for index, material in enumerate(slip.materials, start=1):
        out.append(lines_bytes(_material_lines(index, material, width)))
    if slip.conditions:
        out += [BOLD_ON, lines_bytes(["【办理条件】"]), BOLD_OFF]
        for condition in slip.conditions:
            out.append(lines_bytes(wrap(f"· {condition}", width, indent="  ")))
    out += [BOLD_ON, lines_bytes(["【办理时限】"]), BOLD_OFF]
    out.append(lines_bytes([f"法定时限：{_days(slip.statutory_days)}",
                            f"承诺时限：{_days(slip.promised_days)}"]))
    out += [BOLD_ON, lines_bytes(["【收费标准】"]), BOLD_OFF]
    out.append(lines_bytes(wrap(slip.fees, width)))
    out += [BOLD_ON, lines_bytes(["【办理窗口】"]), BOLD_OFF]
    out.append(lines_bytes(wrap("、".join(slip.windows), width)))
    out.append(rule)
    tail = [f"咨询电话：{slip.consult_phone}", f"监督电话：{slip.supervise_phone}",
            f"打印时间：{slip.printed_at}"]
    out.append(lines_bytes([line for t in tail for line in wrap(t, width, indent="  ")]))
    out += [ALIGN_CENTER, lines_bytes(["请备齐以上材料，一次办好"]), ALIGN_LEFT, feed(3), CUT]
    return b"".join(out)
