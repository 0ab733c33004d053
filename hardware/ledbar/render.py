"""Draw what a window bar shows: a dot-matrix PNG and a line of terminal text.

The PNG draws the text into a bitmap of the bar's own size (e.g. 160×16
dots) with the WenQuanYi Micro Hei font, then paints every dot as a round LED:
lit dots in the run's colour, unlit ones dark, on a black face.
"""

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .commands import Color, TextRun

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
LED_RGB = {Color.RED: (255, 40, 20), Color.GREEN: (40, 230, 60), Color.YELLOW: (255, 190, 0)}
OFF_RGB = (45, 20, 15)
ANSI = {Color.RED: "\x1b[31m", Color.GREEN: "\x1b[32m", Color.YELLOW: "\x1b[33m"}


@lru_cache(maxsize=8)
def _font(path: str, size: int):
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size=size)


def dot_matrix(runs: list[TextRun], width: int, height: int, *, font_path: str = CJK_FONT,
               align: int = 0x02) -> list[list[Color | None]]:
    """Which dot is lit in which colour, row by row (centred unless ``align`` is 0)."""
    font = _font(font_path, height)
    masks, used = [], 0
    for run in runs:
        length = int(round(font.getlength(run.text))) if run.text else 0
        mask = Image.new("L", (max(length, 1), height), 0)
        ImageDraw.Draw(mask).text((0, 0), run.text, fill=255, font=font)
        masks.append((mask, run.color))
        used += length
    canvas: list[list[Color | None]] = [[None] * width for _ in range(height)]
    x = (width - used) // 2 if align & 0x03 == 0x02 else 0
    for mask, color in masks:
        pixels = mask.load()
        for dx in range(mask.width):
            for y in range(height):
                if 0 <= x + dx < width and pixels[dx, y] >= 128:
                    canvas[y][x + dx] = color
        x += mask.width
    return canvas


def render_bar_png(runs: list[TextRun], path: str | Path | None = None, *, width: int = 160,
                   height: int = 16, pitch: int = 6, font_path: str = CJK_FONT) -> Image.Image:
    """A PNG of the bar, ``pitch`` pixels per LED; returns the Pillow image."""
    dots = dot_matrix(runs, width, height, font_path=font_path)
    image = Image.new("RGB", (width * pitch + 2 * pitch, height * pitch + 2 * pitch), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = max(pitch // 2 - 1, 1)
    for y, row in enumerate(dots):
        for x, color in enumerate(row):
            cx, cy = pitch + x * pitch + pitch // 2, pitch + y * pitch + pitch // 2
            fill = LED_RGB[color] if color else OFF_RGB
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=fill)
    if path is not None:
        image.save(path, format="PNG")
    return image


def render_terminal(runs: list[TextRun], *, color: bool = True) -> str:
    """One line for a terminal: ANSI colours when ``color``, else ``[红]``-style tags."""
    tags = {Color.RED: "红", Color.GREEN: "绿", Color.YELLOW: "黄"}
    if color:
        return "".join(f"{ANSI[run.color]}{run.text}" for run in runs) + "\x1b[0m"
    return "".join(f"[{tags[run.color]}]{run.text}" for run in runs)
