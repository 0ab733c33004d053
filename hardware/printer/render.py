"""Draw decoded ESC/POS as a PNG, so a machine with no printer shows the slip.

One column is 12 dots wide and a line 30 dots high, as on a 203 dpi printer
with font A: a 32-column slip comes out 384 pixels wide (58 mm paper), a
48-column slip 576 (80 mm). Text is drawn with the WenQuanYi Micro Hei font
(Debian package ``fonts-wqy-microhei``); QR codes are redrawn with the
``qrcode`` package from the data found in the ``GS ( k`` commands.
"""

from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .commands import char_columns
from .decode import Block, Cut, QrCode, Span, TextLine, parse

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
CELL = 12  # dots per column
LINE = 30  # dots per line at normal height
GLYPH = 24  # font size in pixels
MARGIN = 8


@lru_cache(maxsize=4)
def _font(path: str) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(path, GLYPH)
    except OSError:
        return ImageFont.load_default(size=GLYPH)


def _span_image(span: Span, font) -> Image.Image:
    columns = sum(char_columns(c) for c in span.text)
    image = Image.new("L", (max(columns, 1) * CELL, LINE), 255)
    draw = ImageDraw.Draw(image)
    x = 0
    for char in span.text:
        cell = char_columns(char) * CELL
        if not char.isspace():
            width = draw.textlength(char, font=font)
            draw.text((x + (cell - width) / 2, (LINE - GLYPH) / 2), char, fill=0, font=font,
                      stroke_width=1 if span.bold else 0, stroke_fill=0)
        x += cell
    scale_x = 2 if span.double_width else 1
    scale_y = 2 if span.double_height else 1
    if scale_x == scale_y == 1:
        return image
    return image.resize((image.width * scale_x, image.height * scale_y), Image.NEAREST)


def _line_image(line: TextLine, width: int, font) -> Image.Image:
    parts = [_span_image(span, font) for span in line.spans if span.text]
    height = max([LINE] + [part.height for part in parts])
    image = Image.new("L", (width, height), 255)
    used = sum(part.width for part in parts)
    x = {0: 0, 1: (width - used) // 2, 2: width - used}[line.align]
    for part in parts:
        image.paste(part, (max(x, 0), height - part.height))
        x += part.width
    return image


def _qr_image(block: QrCode, width: int) -> Image.Image:
    code = qrcode.QRCode(box_size=max(block.size, 1), border=1)
    code.add_data(block.data)
    code.make(fit=True)
    matrix = code.make_image().get_image().convert("L")
    image = Image.new("L", (width, matrix.height), 255)
    x = {0: 0, 1: (width - matrix.width) // 2, 2: width - matrix.width}[block.align]
    image.paste(matrix, (max(x, 0), 0))
    return image


def _cut_image(width: int) -> Image.Image:
    image = Image.new("L", (width, LINE), 255)
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 12):
        draw.line((x, LINE // 2, x + 6, LINE // 2), fill=128, width=2)
    return image


def render_png(data: bytes | list[Block], path: str | Path | None = None, *,
               columns: int = 32, font_path: str = CJK_FONT) -> Image.Image:
    """Render ESC/POS bytes (or already parsed blocks) as the printed slip.

    Writes a PNG to ``path`` when given and returns the Pillow image.
    """
    blocks = parse(data) if isinstance(data, (bytes, bytearray)) else data
    width, font = columns * CELL, _font(font_path)
    pieces = []
    for block in blocks:
        if isinstance(block, TextLine):
            pieces.append(_line_image(block, width, font))
        elif isinstance(block, QrCode):
            pieces.append(_qr_image(block, width))
        elif isinstance(block, Cut):
            pieces.append(_cut_image(width))
    height = sum(piece.height for piece in pieces) + 2 * MARGIN
    sheet = Image.new("L", (width + 2 * MARGIN, height), 255)
    y = MARGIN
    for piece in pieces:
        sheet.paste(piece, (MARGIN, y))
        y += piece.height
    if path is not None:
        sheet.save(path, format="PNG")
    return sheet
