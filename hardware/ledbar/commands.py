"""BX-5/6 commands the window bar needs: ping, clear, dynamic-area text, replies.

The text goes to a dynamic area (动态区, command A3 06): it replaces what the
area shows at once, is kept in RAM only (no flash wear when calls change every
minute), and needs no program file. Payload of A3 06, after the five data
bytes every command has::

    delete count (1) [area ids] | area count (1) | per area: length (2, LE) +
    type 00 | x (2) | y (2) | width (2) | height (2) | area id | line spacing |
    run mode | timeout (2, s) | voice 00 | extension count 00 | alignment |
    single line (01) / multi (02) | new line manual (01) / auto (02) |
    display mode | exit mode | speed | stay time (×0.5 s) |
    text length (4, LE) | text

x and width count 8-dot columns unless the high bit is set (then dots); y and
height count dots. Text is GB2312, with in-band codes: ``\\FO000`` picks the
Chinese GB2312 16-dot font (``\\FO001`` 24, ``\\FO002`` 32) and ``\\C1``
(red), ``\\C2`` (green), ``\\C3`` (yellow) the colour of what follows.

A controller answers a request whose flag is 01 with group A0, command 00
(ACK) or 01 (NACK), the status code in the flag byte and the addresses swapped.
The reply group and the ``\\Cn`` colour digits come from the protocol as
quoted in public code and have not yet been checked on a real controller.
"""

import enum
import re
from dataclasses import dataclass

from ..errors import BarTextError, FrameError
from .frame import HOST_ADDRESS, REPLY_NOT_REQUIRED, REPLY_REQUIRED, Frame, encode_frame

REPLY_GROUP = 0xA0
ACK, NACK = 0x00, 0x01
DISPLAY_STATIC, DISPLAY_QUICK, DISPLAY_LEFT = 0x01, 0x02, 0x03
REPLACEMENT = "□"  # shown for a character GB2312 lacks (GB2312 A1 F5)

ERRORS = {
    0x00: "no error", 0x01: "unknown command group", 0x02: "unknown command",
    0x03: "controller busy", 0x04: "out of memory", 0x05: "CRC error",
    0x06: "file does not exist", 0x07: "flash access error", 0x08: "file download error",
    0x09: "bad file name", 0x0A: "bad file type", 0x0B: "file CRC error",
    0x0C: "font library missing", 0x0D: "firmware type mismatch",
    0x0E: "bad date/time format", 0x0F: "file already exists", 0x10: "bad file block number",
}


class Color(enum.Enum):
    """LED colour; the value is the digit of the ``\\Cn`` text code."""

    RED = 1
    GREEN = 2
    YELLOW = 3


@dataclass(frozen=True)
class TextRun:
    """Text shown in one colour."""

    text: str
    color: Color = Color.RED


@dataclass(frozen=True)
class Area:
    """A dynamic area in dots; the defaults fit a one-line 160×16 window bar."""

    x: int = 0
    y: int = 0
    width: int = 160
    height: int = 16
    area_id: int = 0
    line_spacing: int = 0
    run_mode: int = 0  # 0: show in a loop until replaced
    timeout: int = 2
    align: int = 0x02  # horizontally centred
    single_line: int = 0x01
    newline: int = 0x02
    display_mode: int = DISPLAY_STATIC
    exit_mode: int = 0
    speed: int = 0  # 0 fastest .. 24 slowest
    stay: int = 10  # half-seconds


@dataclass(frozen=True)
class Reply:
    """What the bar answered."""

    ok: bool
    status: int
    message: str
    frame: Frame


def _columns(value: int) -> int:
    return value // 8 if value % 8 == 0 else 0x8000 | value


def _dots(value: int) -> int:
    return value & 0x7FFF if value & 0x8000 else value * 8


def font_code(height: int) -> str:
    """``\\FO00n``: Chinese language, GB2312, 宋体, size 16/24/32 dots."""
    size = "2" if height >= 32 else "1" if height >= 24 else "0"
    return "\\FO00" + size


def encode_runs(runs: list[TextRun], *, height: int = 16, errors: str = "replace") -> bytes:
    """GB2312 bytes with font and colour codes; ``errors`` is "replace" (□) or "strict"."""
    out = [font_code(height).encode("ascii")]
    for run in runs:
        text = run.text.replace("\\", "＼")  # a backslash would start a control code
        missing = sorted({c for c in text if not _encodable(c)})
        if missing and errors == "strict":
            raise BarTextError(f"characters not in GB2312 cannot be shown on the bar: "
                               f"{''.join(missing)}; use a common variant")
        text = "".join(REPLACEMENT if c in missing else c for c in text)
        out.append(f"\\C{run.color.value}".encode("ascii") + text.encode("gb2312"))
    return b"".join(out)


def _encodable(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


_CODE = re.compile(rb"\\(C\d|F[A-Z]\d{3})")  # colour \Cn, font \FO000


def decode_runs(data: bytes) -> list[TextRun]:
    """Inverse of :func:`encode_runs`: text and colours, font codes dropped."""
    runs, color, pos = [], Color.RED, 0
    for match in _CODE.finditer(data):
        if match.start() > pos:
            runs.append(TextRun(data[pos:match.start()].decode("gb2312", "replace"), color))
        code = match.group(1)
        if code.startswith(b"C") and int(code[1:]) in {c.value for c in Color}:
            color = Color(int(code[1:]))
        pos = match.end()
    if pos < len(data):
        runs.append(TextRun(data[pos:].decode("gb2312", "replace"), color))
    return [run for run in runs if run.text]


def area_bytes(text: bytes, area: Area) -> bytes:
    """One area record of the A3 06 payload (without its length prefix)."""
    return (bytes((0,)) + _columns(area.x).to_bytes(2, "little") + area.y.to_bytes(2, "little")
            + _columns(area.width).to_bytes(2, "little") + area.height.to_bytes(2, "little")
            + bytes((area.area_id, area.line_spacing, area.run_mode))
            + area.timeout.to_bytes(2, "little")
            + bytes((0, 0, area.align, area.single_line, area.newline, area.display_mode,
                     area.exit_mode, area.speed, area.stay))
            + len(text).to_bytes(4, "little") + text)


def dynamic_text_frame(text: bytes, area: Area = Area(), *, address: int = 1,
                       reply: bool = True) -> bytes:
    """A3 06 with one area holding ``text`` (already encoded bytes)."""
    record = area_bytes(text, area)
    payload = bytes((0, 1)) + len(record).to_bytes(2, "little") + record
    return encode_frame(Frame(0xA3, 0x06, REPLY_REQUIRED if reply else REPLY_NOT_REQUIRED,
                              payload, dst=address))


def text_frame(runs: list[TextRun], area: Area = Area(), *, address: int = 1,
               reply: bool = True, errors: str = "replace") -> bytes:
    """Show coloured ``runs`` in ``area`` of the bar at ``address``."""
    return dynamic_text_frame(encode_runs(runs, height=area.height, errors=errors), area,
                              address=address, reply=reply)


def ping_frame(address: int = 1) -> bytes:
    """A2 00: is the controller there?"""
    return encode_frame(Frame(0xA2, 0x00, dst=address))


def clear_frame(address: int = 1) -> bytes:
    """A3 10: blank the screen."""
    return encode_frame(Frame(0xA3, 0x10, dst=address))


def parse_dynamic_areas(payload: bytes) -> list[tuple[Area, bytes]]:
    """Areas and their text bytes from an A3 06 payload (used by the emulator)."""
    try:
        pos = 1 + payload[0]
        count, pos = payload[pos], pos + 1
        areas = []
        for _ in range(count):
            size = int.from_bytes(payload[pos:pos + 2], "little")
            rec, pos = payload[pos + 2:pos + 2 + size], pos + 2 + size

            def u16(at: int, rec: bytes = rec) -> int:
                return int.from_bytes(rec[at:at + 2], "little")

            area = Area(x=_dots(u16(1)), y=u16(3), width=_dots(u16(5)), height=u16(7),
                        area_id=rec[9], line_spacing=rec[10], run_mode=rec[11], timeout=u16(12),
                        align=rec[16], single_line=rec[17], newline=rec[18],
                        display_mode=rec[19], exit_mode=rec[20], speed=rec[21], stay=rec[22])
            length = int.from_bytes(rec[23:27], "little")
            if len(rec) != 27 + length or rec[15] != 0:
                raise FrameError(f"dynamic area record of {len(rec)} bytes is inconsistent")
            areas.append((area, rec[27:]))
        return areas
    except IndexError as error:
        raise FrameError("dynamic area payload is cut short") from error


def reply_frame(request: Frame, status: int = 0) -> bytes:
    """The ACK (status 0) or NACK a controller sends back for ``request``."""
    return encode_frame(Frame(REPLY_GROUP, ACK if status == 0 else NACK, status,
                              dst=request.src, src=request.dst))


def parse_reply(frame: Frame) -> Reply:
    """Read an answer frame: ok means status 0 and not a NACK."""
    nack = frame.group == REPLY_GROUP and frame.command == NACK
    ok = frame.flag == 0 and not nack
    message = ERRORS.get(frame.flag, f"status {frame.flag:#04x}")
    return Reply(ok, frame.flag, "ACK" if ok else f"NACK: {message}", frame)


__all__ = [
    "ACK", "Area", "Color", "ERRORS", "HOST_ADDRESS", "NACK", "REPLY_GROUP", "Reply",
    "TextRun", "area_bytes", "clear_frame", "decode_runs", "dynamic_text_frame", "encode_runs",
    "font_code", "parse_dynamic_areas", "parse_reply", "ping_frame", "reply_frame", "text_frame",
]
