"""Check-in: the appointment code on a numeric keypad, then ticket.checkin."""

from __future__ import annotations

from .widgets import KioskScreen


class KioskCheckinScreen(KioskScreen):
    def key(self, app, key: str) -> None:
        if key == "delete":
            app.model.delete_digit()
        elif key == "clear":
            app.model.clear_code()
        else:
            app.model.type_digit(key)

    def refresh(self, app, reasons: set[str]) -> None:
        model = app.model
        ids = self.ids
        keys = [(d, d, "secondary") for d in "123456789"]
        keys += [("clear", model.t("search.clear"), "primary"), ("0", "0", "secondary"),
                 ("delete", model.t("search.delete"), "primary")]
        if ids.keypad.keys != keys:
            ids.keypad.keys = keys
        code = model.visit.code
        ids.code.text = " ".join(code) if code else "—"
        status = model.take_status()
        ids.submit.disabled = not status.ok or len(code) < 4
        ids.notice.text = model.visit.notice or status.reason
