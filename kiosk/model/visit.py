"""One visitor's session: which screen, what they typed, language, senior mode, idle time.

Pure and single-threaded (the UI thread, or the GPIO thread through the
node); :class:`~kiosk.model.kiosk.KioskModel` guards it with its lock.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

SCREENS = ("home", "elderly", "search", "guide", "ticket", "checkin")
#: Keys of the search keypad: pinyin initials / letters and digits.
SEARCH_KEYS = tuple(string.ascii_uppercase) + tuple(string.digits)
MAX_QUERY = 20
MAX_CODE = 12


@dataclass
class Visit:
    language: str = "zh"
    elderly: bool = False
    screen: str = "home"
    previous: list[str] = field(default_factory=list)  # for Back
    query: str = ""
    department: str | None = None
    item_id: str | None = None
    code: str = ""
    notice: str = ""          # a line for the current screen (checklist printed, code too short ...)
    last_activity: float = 0.0

    @property
    def home_screen(self) -> str:
        return "elderly" if self.elderly else "home"

    def go(self, screen: str) -> None:
        if screen not in SCREENS:
            raise ValueError(f"unknown screen {screen!r}")
        if screen in ("home", "elderly"):
            self.previous.clear()
        elif self.screen != screen and self.screen != "ticket":
            self.previous.append(self.screen)
        self.screen = screen
        self.notice = ""

    def back(self) -> None:
        self.screen = self.previous.pop() if self.previous else self.home_screen
        self.notice = ""

    # -- search keypad -----------------------------------------------------------------
    def type_key(self, key: str) -> bool:
        key = key.upper()
        if key not in SEARCH_KEYS or len(self.query) >= MAX_QUERY:
            return False
        self.query += key
        return True

    def delete_key(self) -> None:
        self.query = self.query[:-1]

    def clear_query(self) -> None:
        self.query = ""

    # -- appointment code keypad -----------------------------------------------------
    def type_digit(self, digit: str) -> bool:
        if len(digit) != 1 or digit not in string.digits or len(self.code) >= MAX_CODE:
            return False
        self.code += digit
        self.notice = ""
        return True

    def delete_digit(self) -> None:
        self.code = self.code[:-1]

    def clear_code(self) -> None:
        self.code = ""

    # -- idle ------------------------------------------------------------------------
    def idle_for(self, now: float) -> float:
        return now - self.last_activity

    def at_rest(self, language: str) -> bool:
        """Nobody is using the kiosk: Home, nothing typed, in the kiosk's first *language*."""
        return self.screen == "home" and not self.query and not self.code and self.language == language

    def reset(self, language: str) -> None:
        """Back to Home with nothing entered (the next visitor starts fresh)."""
        self.language = language
        self.elderly = False
        self.screen = "home"
        self.previous.clear()
        self.query = ""
        self.department = None
        self.item_id = None
        self.code = ""
        self.notice = ""
