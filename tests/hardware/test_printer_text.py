"""Pure text encoding and wrapping for the thermal printer."""

import pytest

from hardware.printer import decode_text, encode_text, text_columns, wrap


def test_chinese_with_fullwidth_punctuation_and_yuan_is_fs_and_gb18030():
    # 请 C7EB 到 B5BD 3 号 BAC5 窗 B4B0 口 BFDA ， A3AC ￥ A3A4
    expected = bytes.fromhex("1c26 c7eb b5bd 33 bac5 b4b0 bfda a3ac a3a4 1c2e")
    assert encode_text("请到3号窗口，￥") == expected


def test_each_fullwidth_punctuation_mark_is_its_gb18030_pair():
    assert encode_text("，。：（）") == bytes.fromhex("1c26 a3ac a1a3 a3ba a3a8 a3a9 1c2e")


def test_halfwidth_yen_sign_is_sent_as_the_fullwidth_one():
    assert encode_text("¥10") == bytes.fromhex("1c26 a3a4 3130 1c2e")


def test_ascii_goes_plain_without_chinese_mode():
    assert encode_text("A012 09:12") == b"A012 09:12"


def test_encoded_text_decodes_back_as_a_chinese_printer_shows_it():
    text = "预计等候：约15分钟（¥）"
    assert decode_text(encode_text(text) + b"\n") == "预计等候：约15分钟（￥）"


def test_gb18030_outside_chinese_mode_is_misread_as_a_printer_would():
    assert decode_text("窗".encode("gb18030") + b"\n") != "窗"


def test_columns_count_ascii_as_one_and_everything_else_as_two():
    assert text_columns("A012") == 4
    assert text_columns("3号窗口，") == 1 + 2 * 4


def test_wrap_respects_width_in_display_columns():
    lines = wrap("经营场所使用证明（房产证或租赁合同）ABC", 16)
    assert lines == ["经营场所使用证明", "（房产证或租赁合", "同）ABC"]
    assert all(text_columns(line) <= 16 for line in lines)


def test_wrap_never_starts_a_line_with_closing_punctuation():
    lines = wrap("一二三四五六七，八九", 14)
    assert lines == ["一二三四五六", "七，八九"]


def test_wrap_keeps_ascii_words_whole_and_indents_continuations():
    lines = wrap("电话：0571-61234567 or 12345", 20, indent="  ")
    assert lines == ["电话：0571-61234567", "  or 12345"]


def test_wrap_rejects_an_indent_as_wide_as_the_paper():
    with pytest.raises(ValueError):
        wrap("abc", 2, indent="  ")
