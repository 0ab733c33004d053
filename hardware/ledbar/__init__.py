"""Onbon BX-5/6 window LED bar (条屏): pure frames, bar content, serial link, emulator."""

from .commands import (
    Area, Color, Reply, TextRun, clear_frame, decode_runs, dynamic_text_frame, encode_runs,
    parse_dynamic_areas, parse_reply, ping_frame, reply_frame, text_frame,
)
from .content import BarMode, BarState, plain_text, render_bar_text
from .emulator import EmulatedLedBar
from .frame import SEND_CONVENTION, Frame, FrameReader, crc16, decode_frame, encode_frame
from .render import render_bar_png, render_terminal
from .serial_bar import SerialLedBar

__all__ = [
    "Area", "BarMode", "BarState", "Color", "EmulatedLedBar", "Frame", "FrameReader", "Reply",
    "SEND_CONVENTION", "SerialLedBar", "TextRun", "clear_frame", "crc16", "decode_frame",
    "decode_runs", "dynamic_text_frame", "encode_frame", "encode_runs", "parse_dynamic_areas",
    "parse_reply", "ping_frame", "plain_text", "render_bar_png", "render_bar_text",
    "render_terminal", "reply_frame", "text_frame",
]
