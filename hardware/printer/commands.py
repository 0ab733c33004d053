"""ESC/POS bytes this project emits, and the pure text encoder.

Chinese text is sent the way a Chinese thermal printer expects it, not through
python-escpos's MagicEncode (which turns full-width punctuation into ``?`` and
``¥`` into a CP437 byte): ``FS &`` (1C 26) selects Chinese mode, the text
follows as GB18030 bytes, ``FS .`` (1C 2E) leaves Chinese mode. Pure ASCII goes
plain.

Column arithmetic follows the printer, not Unicode: with font A an ASCII
character takes 12 dots (one column) and every multi-byte character in
Chinese mode takes 24 dots (two columns). 58 mm paper has 384 dots = 32
columns, 80 mm paper 576 dots = 48 columns.
"""

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
DLE = b"\x10"
EOT = b"\x04"
LF = b"\n"

INIT = ESC + b"@"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
BOLD_ON = ESC + b"E\x01"
BOLD_OFF = ESC + b"E\x00"
ALIGN_LEFT = ESC + b"a\x00"
ALIGN_CENTER = ESC + b"a\x01"
ALIGN_RIGHT = ESC + b"a\x02"
SIZE_NORMAL = GS + b"!\x00"
SIZE_DOUBLE_HEIGHT = GS + b"!\x01"
SIZE_DOUBLE = GS + b"!\x11"  # double width and double height
CUT = GS + b"V\x42\x00"  # feed to the cutter, then full cut

STATUS_PRINTER = DLE + EOT + b"\x01"  # DLE EOT 1: online / offline
STATUS_PAPER = DLE + EOT + b"\x04"  # DLE EOT 4: paper roll sensor

PAPER_COLUMNS = {58: 32, 80: 48}

# Closing punctuation that must not start a line (避头点).
_NO_LINE_START = set("，。、：；！？）》」』】”’,.;:!?)%")


def feed(lines: int) -> bytes:
    """``ESC d n``: print and feed ``lines`` lines."""
    return ESC + b"d" + bytes([max(0, min(lines, 255))])


def encode_text(text: str) -> bytes:
    """Bytes for ``text``: ASCII as is, anything else wrapped in Chinese mode.

    ``¥`` (U+00A5) is sent as ``￥`` (U+FFE5, GB18030 A3 A4): the half-width
    sign is a four-byte GB18030 sequence that GBK-font printers cannot show.
    """
    if text.isascii():
        return text.encode("ascii")
    text = text.replace("\u00a5", "\uffe5")
    return CHINESE_ON + text.encode("gb18030") + CHINESE_OFF


def char_columns(char: str) -> int:
    """Columns a character takes on the printer: 1 for ASCII, 2 otherwise."""
    return 1 if ord(char) < 0x80 else 2


def text_columns(text: str) -> int:
    """Columns ``text`` takes at normal size."""
    return sum(char_columns(c) for c in text)


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Split ``text`` into lines of at most ``width`` columns.

    Continuation lines start with ``indent``. ASCII words are not split when a
    space allows a break; closing punctuation never starts a line.
    """
    if width <= text_columns(indent):
        raise ValueError(f"wrap width {width} is too small for indent {indent!r}")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width, indent))
    return lines


def _wrap_paragraph(text: str, width: int, indent: str) -> list[str]:
    lines: list[str] = []
    prefix = ""
    rest = text
    while True:
        room = width - text_columns(prefix)
        if text_columns(rest) <= room:
            lines.append(prefix + rest)
            return lines
        cut = _fit(rest, room)
        cut = _better_break(rest, cut)
        lines.append(prefix + rest[:cut].rstrip(" "))
        rest = rest[cut:].lstrip(" ")
        prefix = indent
        if not rest:
            return lines


def _fit(text: str, room: int) -> int:
    used = 0
    for index, char in enumerate(text):
        used += char_columns(char)
        if used > room:
            return max(index, 1)
    return len(text)


def _better_break(text: str, cut: int) -> int:
    # Keep an ASCII word whole when the line holds an earlier space.
    if text[cut - 1].isascii() and text[cut].isascii() and text[cut] != " ":
        space = text.rfind(" ", 0, cut)
        if space > 0:
            return space + 1
    # Pull one character down rather than start a line with closing punctuation.
    if text[cut] in _NO_LINE_START and cut > 1:
        return cut - 1
    return cut
