"""Search: pinyin initials / letters / digits from our own keypad; results on every key press."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.metrics import sp
from kivy.properties import BooleanProperty
from kivy.utils import escape_markup

from .widgets import KioskScreen, digit_keys, search_keys


class KioskSearchScreen(KioskScreen):
    typed = BooleanProperty(False)

    def key(self, app, key: str) -> None:
        if key == "delete":
            app.model.delete_key()
        elif key == "clear":
            app.model.clear_query()
        else:
            app.model.type_key(key)

    def refresh(self, app, reasons: set[str]) -> None:
        model = app.model
        ids = self.ids
        if "all" in reasons or not ids.letters.keys or "visit" in reasons:
            letters = search_keys(model.t("search.delete"), model.t("search.clear"))
            if ids.letters.keys != letters:
                ids.letters.keys = letters
            if not ids.digits.keys:
                ids.digits.keys = digit_keys()
        visit = model.visit
        self.typed = bool(visit.query)
        ids.query.text = visit.query or model.t("search.placeholder")
        department = visit.department
        ids.department.text = (model.hall.department_short(department) + "  ×") if department \
            else model.t("search.all_departments")
        ids.department.disabled = department is None
        if reasons & {"all", "visit", "catalog"}:
            self._results(app)

    def _results(self, app) -> None:
        model = app.model
        hits = model.results()
        box = self.ids.results
        box.clear_widgets()
        small = str(int(sp(17) * app.th.scale))
        for hit in hits:
            item = hit.item
            detail = f"{model.hall.department_short(item.department)} · {item.kind} · {item.code}"
            # catalog text is untrusted: escaped before it meets markup
            row = Factory.KioskRow(markup=True, text=f"[b]{escape_markup(item.name)}[/b]\n"
                                                     f"[size={small}]{escape_markup(detail)}[/size]")
            row.item_id = item.id
            row.bind(on_release=lambda b: model.open_guide(b.item_id))
            box.add_widget(row)
        self.ids.count.text = model.t("search.count", n=len(hits)) if hits else model.t("search.none")
        self.ids.scroll.scroll_y = 1
