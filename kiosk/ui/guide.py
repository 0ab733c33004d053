"""Guide (办事指南): every field of the item, as the one-time notice requires."""

from __future__ import annotations

from kivy.factory import Factory

from ..model.guide import guide_sections
from .widgets import KioskScreen


class KioskGuideScreen(KioskScreen):
    shown: tuple | None = None

    def refresh(self, app, reasons: set[str]) -> None:
        model = app.model
        item = model.current_item()
        ids = self.ids
        key = (item, model.language, model.visit.elderly)
        if key != self.shown:
            self.shown = key
            self._body(app, item)
        status = model.take_status(item)
        ids.take.disabled = item is None or not status.ok
        ids.print_checklist.disabled = item is None or model.printing or model.paper == "out"
        ids.notice.text = model.visit.notice or status.reason

    def _body(self, app, item) -> None:
        ids = self.ids
        ids.body.clear_widgets()
        ids.scroll.scroll_y = 1
        if item is None:
            ids.title.text = ""
            ids.body.add_widget(Factory.KioskLabel(text=app.model.t("guide.missing")))
            return
        ids.title.text = item.name
        name = Factory.KioskLabel(text=item.name, bold=True, base_size=26)
        ids.body.add_widget(name)
        for title, lines in guide_sections(app.model, item):
            card = Factory.KioskCard()
            card.add_widget(Factory.KioskSection(text=title))
            for line in lines:
                card.add_widget(Factory.KioskLabel(text=line))
            ids.body.add_widget(card)
