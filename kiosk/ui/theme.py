"""Colours, type sizes and the CJK font: normal and senior (high-contrast, large type) themes."""

from __future__ import annotations

from dataclasses import dataclass

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


@dataclass(frozen=True)
class Theme:
    scale: float            # multiplies every font size
    line_height: float      # senior mode: at least 1.3
    bg: tuple               # screen background
    fg: tuple               # body text
    muted: tuple            # secondary text
    section: tuple          # section titles
    header: tuple           # header bar
    on_header: tuple
    panel: tuple            # cards and list rows
    on_panel: tuple
    primary: tuple          # main buttons
    on_primary: tuple
    secondary: tuple
    on_secondary: tuple
    take: tuple             # the take-a-number button
    on_take: tuple
    disabled: tuple
    on_disabled: tuple
    notice: tuple           # warning strip
    on_notice: tuple


NORMAL = Theme(
    scale=1.0, line_height=1.2,
    bg=(0.94, 0.95, 0.97, 1), fg=(0.11, 0.13, 0.17, 1), muted=(0.36, 0.40, 0.47, 1), section=(0.07, 0.29, 0.58, 1),
    header=(0.07, 0.29, 0.58, 1), on_header=(1, 1, 1, 1),
    panel=(1, 1, 1, 1), on_panel=(0.11, 0.13, 0.17, 1),
    primary=(0.09, 0.38, 0.73, 1), on_primary=(1, 1, 1, 1),
    secondary=(0.85, 0.90, 0.97, 1), on_secondary=(0.05, 0.22, 0.47, 1),
    take=(0.76, 0.13, 0.11, 1), on_take=(1, 1, 1, 1),
    disabled=(0.80, 0.81, 0.84, 1), on_disabled=(0.25, 0.27, 0.31, 1),
    notice=(1.0, 0.92, 0.70, 1), on_notice=(0.35, 0.20, 0.0, 1),
)

SENIOR = Theme(
    scale=1.4, line_height=1.4,
    bg=(0, 0, 0, 1), fg=(1, 1, 1, 1), muted=(0.88, 0.88, 0.88, 1), section=(1, 0.87, 0.2, 1),
    header=(0.12, 0.12, 0.12, 1), on_header=(1, 0.87, 0.2, 1),
    panel=(0.1, 0.1, 0.1, 1), on_panel=(1, 1, 1, 1),
    primary=(1, 0.84, 0.0, 1), on_primary=(0, 0, 0, 1),
    secondary=(0.22, 0.22, 0.22, 1), on_secondary=(1, 1, 1, 1),
    take=(1, 0.84, 0.0, 1), on_take=(0, 0, 0, 1),
    disabled=(0.3, 0.3, 0.3, 1), on_disabled=(1, 1, 1, 1),
    notice=(1, 0.87, 0.2, 1), on_notice=(0, 0, 0, 1),
)


def register_cjk_font(path: str = CJK_FONT) -> bool:
    """Make the CJK font Kivy's default (Roboto has no Chinese glyphs)."""
    import os

    from kivy.core.text import DEFAULT_FONT, LabelBase

    if not os.path.exists(path):
        return False
    LabelBase.register(DEFAULT_FONT, path)
    return True
