"""Ticket and checklist layout: byte stream checked directly and read back."""

import pytest

from hardware.errors import PrintDataError
from hardware.printer import (
    PAPER_COLUMNS, checklist_bytes, decode_text, encode_text, parse, text_columns, ticket_bytes,
)
from hardware.printer.decode import Cut, QrCode, TextLine

TICKET_TEXT = """临安区行政服务中心
排队号
A012
个体工商户设立登记
（商事登记）
--------------------------------
前面还有 5 人等候
预计等候：约15分钟
办理窗口：3号窗口、5号窗口
取号时间：2024-05-06 09:12
过号请重新取号。
[QR] https://hall.example.cn/q/A012

扫码查看排队进度
请留意叫号，过号需重新取号



[CUT]"""


def test_ticket_reads_back_as_the_printer_would_show_it(ticket):
    assert decode_text(ticket_bytes(ticket, 32)) == TICKET_TEXT


def test_ticket_starts_with_reset_and_ends_with_feed_and_cut(ticket):
    data = ticket_bytes(ticket)
    assert data.startswith(b"\x1b@\x1ba\x01")
    assert data.endswith(b"\x1bd\x03\x1dVB\x00")


def test_ticket_number_is_double_width_and_height(ticket):
    data = ticket_bytes(ticket)
    assert b"\x1d!\x11\x1bE\x01A012\n\x1bE\x00\x1d!\x00" in data
    number = [b for b in parse(data) if isinstance(b, TextLine) and b.text == "A012"][0]
    assert number.spans[0].double_width and number.spans[0].double_height


def test_ticket_qr_is_native_gs_k_with_the_url(ticket):
    data = ticket_bytes(ticket)
    store = b"\x1d(k" + (len(ticket.qr_url) + 3).to_bytes(2, "little") + b"1P0"
    assert store + ticket.qr_url.encode() in data
    assert b"\x1d(k\x03\x001Q0" in data  # print the stored symbol
    assert [b for b in parse(data) if isinstance(b, QrCode)] == [
        QrCode(ticket.qr_url, 6, align=1)]


def test_ticket_without_url_has_no_qr(ticket):
    from dataclasses import replace
    data = ticket_bytes(replace(ticket, qr_url=None))
    assert b"\x1d(k" not in data
    assert "[QR]" not in decode_text(data)


def test_ticket_chinese_lines_are_sent_in_chinese_mode(ticket):
    assert encode_text("办理窗口：3号窗口、5号窗口") + b"\n" in ticket_bytes(ticket)


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_checklist_lines_fit_the_paper(checklist, paper_mm):
    columns = PAPER_COLUMNS[paper_mm]
    lines = [b for b in parse(checklist_bytes(checklist, columns)) if isinstance(b, TextLine)]
    too_wide = [line.text for line in lines if text_columns(line.text) > columns]
    assert too_wide == []


def test_checklist_lists_every_material_with_form_copies_and_mark(checklist):
    text = decode_text(checklist_bytes(checklist, 32))
    assert "【申请材料】共3项，必交2项" in text
    assert "1. 个体工商户登记（备案）申请书\n   原件 1份 【必交】" in text
    assert "   原件及复印件 1份 【必交】" in text
    assert "3. 经营场所使用证明（房产证或租\n   赁合同）\n   复印件 2份 【选交】" in text
    # 32 columns: the 。 may not start a line, so 字 moves down with it.
    assert "   注：可在大厅免费领取，或在网\n   上下载打印，须经营者本人签\n   字。" in text


def test_checklist_has_conditions_limits_fees_windows_and_phones(checklist):
    text = decode_text(checklist_bytes(checklist, 48))
    for expected in ("· 经营者为有经营能力的自然人", "法定时限：15个工作日",
                     "承诺时限：即办（当场办结）", "不收费（工本费￥0元）",
                     "3号窗口、综合受理窗口", "咨询电话：0571-61234567", "监督电话：12345",
                     "打印时间：2024-05-06 09:15"):
        assert expected in text
    assert text.endswith("[CUT]")


def test_checklist_is_wider_on_80mm_paper(checklist):
    narrow = decode_text(checklist_bytes(checklist, 32)).count("\n")
    wide = decode_text(checklist_bytes(checklist, 48)).count("\n")
    assert wide < narrow


def test_parse_ends_at_cut(ticket):
    assert isinstance(parse(ticket_bytes(ticket))[-1], Cut)


def test_decoder_rejects_commands_we_never_emit():
    with pytest.raises(PrintDataError, match="1b 74"):
        parse(b"\x1bt\x10abc\n")  # ESC t: select code page
