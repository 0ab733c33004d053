"""Senior mode home: at most four services, large type, line spacing ≥ 1.3, high contrast."""

from __future__ import annotations

from .home import fill_popular
from .widgets import KioskScreen

SENIOR_CHOICES = 4


class KioskElderlyScreen(KioskScreen):
    def refresh(self, app, reasons: set[str]) -> None:
        model = app.model
        self.ids.notice.text = model.take_status().reason
        self.ids.help.text = model.t("help.prefix") + model.help_text
        if reasons & {"all", "catalog", "queues", "device", "visit"}:
            fill_popular(self.ids.popular, app, model.popular_items()[:SENIOR_CHOICES], base_size=26)
