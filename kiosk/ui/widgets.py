"""Shared widgets: the screen base class and the on-screen keypads (rules in widgets.kv)."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import ListProperty
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen

LETTER_ROWS = "ABCDEFG HIJKLMN OPQRSTU VWXYZ"
DIGITS = "1234567890"


class KioskScreen(Screen):
    """A thin screen: :meth:`refresh` copies what the model says into the widgets."""

    def refresh(self, app, reasons: set[str]) -> None:  # pragma: no cover - overridden
        pass


class KioskKeypad(GridLayout):
    """A grid of big keys; pressing one fires ``on_key(key)`` (keys: characters or commands)."""

    keys = ListProperty()
    __events__ = ("on_key",)

    def on_keys(self, _instance, keys) -> None:
        self.clear_widgets()
        for key, label, role in keys:
            button = Factory.KioskButton(text=label, role=role)
            button.key = key
            button.bind(on_release=lambda b: self.dispatch("on_key", b.key))
            self.add_widget(button)

    def on_key(self, key: str) -> None:
        pass

    def button(self, key: str):
        """The button for *key* (tests press it)."""
        return next(child for child in self.children if getattr(child, "key", None) == key)


def search_keys(delete: str, clear: str) -> list[tuple[str, str, str]]:
    """A–Z in alphabetical rows of 7 (easier to find than QWERTY for most visitors), then delete/clear."""
    keys = [(c, c, "secondary") for c in LETTER_ROWS.replace(" ", "")]
    keys += [("delete", delete, "primary"), ("clear", clear, "primary")]
    return keys


def digit_keys() -> list[tuple[str, str, str]]:
    return [(d, d, "secondary") for d in DIGITS]
