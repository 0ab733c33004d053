"""What the bar shows (pure model) and how its text is encoded."""

import pytest

from hardware.errors import BarTextError
from hardware.ledbar import (
    BarMode, BarState, Color, TextRun, decode_runs, encode_runs, plain_text, render_bar_text,
    render_terminal,
)


def test_calling_shows_number_in_red_and_window_in_green():
    runs = render_bar_text(BarState("3号窗口", BarMode.CALLING, ticket_number="A012"))
    assert runs == [TextRun("A012", Color.RED), TextRun(" 请到3号窗口", Color.GREEN)]
    assert plain_text(runs) == "A012 请到3号窗口"


def test_paused_shows_staff_name_and_pause_text():
    runs = render_bar_text(BarState("3号窗口", BarMode.PAUSED, staff_name="张敏"))
    assert plain_text(runs) == "张敏 暂停服务"
    assert runs[-1].color is Color.YELLOW


def test_idle_shows_window_staff_and_post():
    state = BarState("3号窗口", staff_name="张敏", staff_post="综合受理岗")
    assert plain_text(render_bar_text(state)) == "3号窗口 张敏 综合受理岗 欢迎办理"


def test_idle_without_staff_still_names_the_window():
    assert plain_text(render_bar_text(BarState("8号窗口", idle_text=""))) == "8号窗口"


def test_calling_without_a_number_is_an_error():
    with pytest.raises(BarTextError, match="ticket number"):
        render_bar_text(BarState("3号窗口", BarMode.CALLING))


def test_runs_encode_as_gb2312_with_font_and_colour_codes():
    data = encode_runs([TextRun("A012", Color.RED), TextRun("请到3号窗口", Color.GREEN)])
    assert data == b"\\FO000\\C1A012\\C2" + "请到3号窗口".encode("gb2312")
    assert decode_runs(data) == [TextRun("A012", Color.RED), TextRun("请到3号窗口", Color.GREEN)]


def test_taller_bars_get_a_bigger_font():
    assert encode_runs([TextRun("A")], height=32).startswith(b"\\FO002")


def test_character_outside_gb2312_is_replaced_by_a_box_or_refused():
    runs = [TextRun("朱镕基", Color.GREEN)]  # 镕 is not in GB2312
    assert decode_runs(encode_runs(runs)) == [TextRun("朱□基", Color.GREEN)]
    with pytest.raises(BarTextError, match="镕"):
        encode_runs(runs, errors="strict")


def test_backslash_in_text_cannot_inject_a_control_code():
    data = encode_runs([TextRun("a\\C2b", Color.RED)])
    assert decode_runs(data) == [TextRun("a＼C2b", Color.RED)]


def test_terminal_rendering():
    runs = [TextRun("A012", Color.RED), TextRun(" 请到3号窗口", Color.GREEN)]
    assert render_terminal(runs, color=False) == "[红]A012[绿] 请到3号窗口"
    assert render_terminal(runs) == "\x1b[31mA012\x1b[32m 请到3号窗口\x1b[0m"
