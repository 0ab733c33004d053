"""A CJK font as Kivy's default (Roboto has no Chinese glyphs)."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def use_cjk_font(path: str) -> bool:
    from kivy.core.text import DEFAULT_FONT, LabelBase

    if not os.path.isfile(path):
        log.error("CJK font %s is missing (apt-get install fonts-wqy-microhei): Chinese shows as boxes", path)
        return False
    LabelBase.register(DEFAULT_FONT, path)
    return True
