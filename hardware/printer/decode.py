"""Read back the ESC/POS subset this project emits, as a printer would.

A small pure decoder used by the emulator and the tests: text (GB18030 inside
``FS &`` … ``FS .``, code page 437 outside, as an unconfigured printer would
misread it), ``ESC @``, ``ESC a`` alignment, ``ESC E`` bold, ``GS !`` / ``ESC !``
size, ``ESC d`` feed, ``GS V`` cut, ``GS ( k`` QR code, and the real-time status
requests ``DLE EOT n`` (skipped). Anything else raises
:class:`~hardware.errors.PrintDataError`, so a layout change that emits a new
command shows up in the tests.
"""

from dataclasses import dataclass, field

from ..errors import PrintDataError


@dataclass(frozen=True)
class Span:
    """A run of characters printed with one style."""

    text: str
    bold: bool = False
    double_width: bool = False
    double_height: bool = False


@dataclass(frozen=True)
class TextLine:
    """One printed line; ``align`` is 0 left, 1 centre, 2 right."""

    spans: tuple[Span, ...]
    align: int = 0

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class QrCode:
    """A native QR code block (``GS ( k``)."""

    data: str
    size: int
    align: int = 0


@dataclass(frozen=True)
class Cut:
    """The paper is cut here: one printout ends."""


Block = TextLine | QrCode | Cut


@dataclass
class _State:
    align: int = 0
    bold: bool = False
    double_width: bool = False
    double_height: bool = False
    chinese: bool = False
    spans: list = field(default_factory=list)
    chars: list = field(default_factory=list)
    qr_data: bytes = b""
    qr_size: int = 3


def parse(data: bytes) -> list[Block]:
    """Turn a byte stream into printed blocks (lines, QR codes, cuts)."""
    state, blocks, pos = _State(), [], 0
    while pos < len(data):
        byte = data[pos]
        if byte in (0x1B, 0x1C, 0x1D, 0x10):
            _flush_span(state)
            pos = _command(data, pos, state, blocks)
        elif byte == 0x0A:
            _end_line(state, blocks)
            pos += 1
        elif byte == 0x0D:
            pos += 1
        else:
            pos = _character(data, pos, state)
    _flush_span(state)
    if state.spans:
        _end_line(state, blocks)
    return blocks


def decode_text(data: bytes) -> str:
    """The text a Chinese printer would show, one line per printed line.

    A QR code reads ``[QR] <data>``, a cut reads ``[CUT]``.
    """
    out = []
    for block in parse(data):
        if isinstance(block, TextLine):
            out.append(block.text)
        elif isinstance(block, QrCode):
            out.append(f"[QR] {block.data}")
        else:
            out.append("[CUT]")
    return "\n".join(out)


def split_jobs(data: bytes) -> tuple[list[bytes], bytes]:
    """Split a stream after each cut: (complete printouts, unfinished rest)."""
    jobs, start, pos, state = [], 0, 0, _State()
    while pos < len(data):
        if data[pos] in (0x1B, 0x1C, 0x1D, 0x10):
            blocks: list[Block] = []
            try:
                pos = _command(data, pos, state, blocks)
            except _Incomplete:
                break
            except PrintDataError:
                pos += 1  # not ours: keep it in the job, look for the cut further on
                continue
            if blocks and isinstance(blocks[-1], Cut):
                jobs.append(data[start:pos])
                start = pos
        elif data[pos] >= 0x80 and state.chinese:
            pos += 4 if pos + 1 < len(data) and 0x30 <= data[pos + 1] <= 0x39 else 2
        else:
            pos += 1
    return jobs, data[start:]


class _Incomplete(PrintDataError):
    """The buffer ends inside a command: more bytes are on their way."""


def _need(data: bytes, pos: int, count: int) -> None:
    if pos + count > len(data):
        raise _Incomplete(f"command at byte {pos} is cut short: {data[pos:pos + 8].hex(' ')}")


def _command(data: bytes, pos: int, state: _State, blocks: list) -> int:
    _need(data, pos, 2)
    prefix, code = data[pos], data[pos + 1]
    if prefix == 0x1C:
        if code in (0x26, 0x2E):
            state.chinese = code == 0x26
            return pos + 2
    elif prefix == 0x10 and code == 0x04:
        _need(data, pos, 3)
        return pos + 3
    elif prefix == 0x1B:
        return _esc(data, pos, code, state, blocks)
    elif prefix == 0x1D:
        return _gs(data, pos, code, state, blocks)
    raise PrintDataError(f"unsupported ESC/POS command {data[pos:pos + 3].hex(' ')} at byte {pos}")


def _esc(data: bytes, pos: int, code: int, state: _State, blocks: list) -> int:
    if code == 0x40:  # ESC @: back to power-on settings (Chinese mode off)
        state.align, state.bold, state.chinese = 0, False, False
        state.double_width = state.double_height = False
        return pos + 2
    _need(data, pos, 3)
    arg = data[pos + 2]
    if code == 0x61:
        state.align = arg % 3 if arg < 3 else arg - 0x30
    elif code == 0x45:
        state.bold = bool(arg & 1)
    elif code == 0x21:
        state.bold = bool(arg & 0x08)
        state.double_height = bool(arg & 0x10)
        state.double_width = bool(arg & 0x20)
    elif code == 0x64:
        for _ in range(arg):
            _end_line(state, blocks)
    else:
        raise PrintDataError(f"unsupported ESC/POS command 1b {code:02x} at byte {pos}")
    return pos + 3


def _gs(data: bytes, pos: int, code: int, state: _State, blocks: list) -> int:
    if code == 0x21:
        _need(data, pos, 3)
        state.double_width = (data[pos + 2] >> 4) > 0
        state.double_height = (data[pos + 2] & 0x0F) > 0
        return pos + 3
    if code == 0x56:
        _need(data, pos, 3)
        length = 4 if data[pos + 2] in (65, 66) else 3
        _need(data, pos, length)
        blocks.append(Cut())
        return pos + length
    if code == 0x28 and data[pos + 2:pos + 3] == b"k":
        _need(data, pos, 5)
        size = data[pos + 3] | data[pos + 4] << 8
        _need(data, pos, 5 + size)
        _qr_function(data[pos + 5:pos + 5 + size], state, blocks)
        return pos + 5 + size
    raise PrintDataError(f"unsupported ESC/POS command 1d {code:02x} at byte {pos}")


def _qr_function(body: bytes, state: _State, blocks: list) -> None:
    if len(body) < 2 or body[0] != 0x31:
        raise PrintDataError(f"unsupported GS ( k function {body[:4].hex(' ')}")
    function = body[1]
    if function == 0x43:
        state.qr_size = body[2]
    elif function == 0x50:
        state.qr_data = body[3:]
    elif function == 0x51:
        blocks.append(QrCode(state.qr_data.decode("utf-8"), state.qr_size, state.align))


def _character(data: bytes, pos: int, state: _State) -> int:
    byte = data[pos]
    if byte < 0x80:
        state.chars.append(chr(byte))
        return pos + 1
    if not state.chinese:
        state.chars.append(bytes([byte]).decode("cp437"))
        return pos + 1
    length = 4 if pos + 1 < len(data) and 0x30 <= data[pos + 1] <= 0x39 else 2
    chunk = data[pos:pos + length]
    state.chars.append(chunk.decode("gb18030", errors="replace"))
    return pos + length


def _flush_span(state: _State) -> None:
    if state.chars:
        state.spans.append(Span("".join(state.chars), state.bold,
                                state.double_width, state.double_height))
        state.chars = []


def _end_line(state: _State, blocks: list) -> None:
    _flush_span(state)
    blocks.append(TextLine(tuple(state.spans), state.align))
    state.spans = []
