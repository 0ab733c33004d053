"""Ticket: what the backend issued (never before its reply), or why no number was issued."""

from __future__ import annotations

from kivy.factory import Factory

from ..model import DeskState
from ..slips import window_names
from ..texts import error_text
from .widgets import KioskScreen


class KioskTicketScreen(KioskScreen):
    def refresh(self, app, reasons: set[str]) -> None:
        model = app.model
        desk = model.desk
        ids = self.ids
        t = model.t
        for name in ("number", "item", "ahead", "wait", "basis", "windows", "printed"):
            ids[name].text = ""
        ticket = desk.ticket
        if desk.state is DeskState.SENDING or desk.state is DeskState.IDLE:
            ids.status.text = t("ticket.sending")
        elif desk.state is DeskState.FAILED and desk.failure is not None:
            ids.status.text = t("ticket.failed")
            ids.item.text = error_text(desk.failure.code, model.language, desk.failure.message_zh)
            if desk.failure.code in ("paper_out", "timeout"):
                ids.printed.text = t("help.prefix") + model.help_text
        elif ticket is not None:
            ids.status.text = t("ticket.your_number")
            ids.number.text = ticket.number
            ids.item.text = " · ".join(x for x in (ticket.item_name, ticket.queue_name) if x)
            ids.ahead.text = t("ticket.ahead", n=ticket.ahead)
            minutes = ticket.wait.minutes
            ids.wait.text = t("ticket.wait", m=max(1, round(minutes))) if minutes is not None \
                else t("ticket.wait_unknown")
            ids.basis.text = ticket.wait.basis if model.language == "en" else ticket.wait.basis_zh
            if ticket.windows:
                names = window_names(ticket.windows) if model.language == "zh" else \
                    tuple(t("window.number", n=n) for n in ticket.windows)
                ids.windows.text = t("ticket.windows", w="、".join(names))
            if desk.printed is True:
                ids.printed.text = t("ticket.printed")
            elif desk.printed is False:
                ids.printed.text = t("ticket.not_printed", help=model.help_text)
        self._actions(app)

    def _actions(self, app) -> None:
        model = app.model
        box = self.ids.actions
        box.clear_widgets()
        if model.desk.busy:
            return
        if model.desk.can_retry and model.online:
            retry = Factory.KioskButton(text=model.t("ticket.retry"), role="take", size_hint_y=1)
            retry.bind(on_release=lambda _b: app.node.retry())
            box.add_widget(retry)
        done = Factory.KioskButton(text=model.t("done"), role="primary", size_hint_y=1)
        done.bind(on_release=lambda _b: model.go_home())
        box.add_widget(done)
