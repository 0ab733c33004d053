"""Home: take a number for a popular item, find a guide, check in, browse by department."""

from __future__ import annotations

from kivy.factory import Factory

from .widgets import KioskScreen


class KioskHomeScreen(KioskScreen):
    def refresh(self, app, reasons: set[str]) -> None:
        model = app.model
        ids = self.ids
        ids.banner.text = model.announcement_text()
        ids.notice.text = model.take_status().reason
        if reasons & {"all", "catalog", "queues", "device", "visit"}:
            fill_popular(ids.popular, app, model.popular_items())
        if reasons & {"all", "catalog", "visit"}:
            self._departments(app)

    def _departments(self, app) -> None:
        grid = self.ids.departments
        grid.clear_widgets()
        for dept in app.model.hall.departments():
            button = Factory.KioskButton(text=dept.short_name or dept.name, role="secondary")
            button.department = dept.id
            button.bind(on_release=lambda b: app.model.open_search(department=b.department))
            grid.add_widget(button)
        if not grid.children:
            grid.add_widget(Factory.KioskMuted(text=app.t("home.no_catalog")))


def fill_popular(grid, app, items, base_size: int = 23) -> None:
    """One take-a-number button per item: name, people waiting, or why not now (shared with senior mode)."""
    model = app.model
    grid.clear_widgets()
    overall = model.take_status()
    for item in items:
        status = model.take_status(item)
        queue = model.hall.queue(item.queue)
        if not overall.ok:
            detail = model.t("off.short")       # the notice strip above says why
        elif not status.ok:
            detail = status.reason if len(status.reason) <= 24 else model.t("off.queue")
        elif queue is not None:
            detail = model.t("home.waiting", n=queue.waiting)
        else:
            detail = ""
        button = Factory.KioskButton(text=f"{item.display_name}\n{detail}".strip(), role="take", base_size=base_size)
        button.item_id = item.id
        button.disabled = not status.ok
        button.bind(on_release=lambda b: app.node.take_number(b.item_id))
        grid.add_widget(button)
    if not items:
        grid.add_widget(Factory.KioskMuted(text=model.t("home.no_catalog")))
