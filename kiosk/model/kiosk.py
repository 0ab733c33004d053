"""The kiosk's model: what every screen shows and what a visitor may do now.  No Kivy.

Screens read it and call its navigation methods; :class:`kiosk.node.KioskNode`
feeds it from the bus and performs the actions that need the backend or the
printer.  Every change is announced with :meth:`Observable.emit`:
``"catalog"``, ``"queues"``, ``"announcements"``, ``"visit"``, ``"ticket"``,
``"device"``.  Bus handlers change it from the bus worker, the node from its
job thread, the screens from the UI thread; :attr:`KioskModel.lock` guards it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable

from hallcore.search import Hit
from protocol.models import LANGUAGES, Item
from protocol.topics import Topics

from ..texts import tr
from .hall import HallState
from .observable import Observable
from .ticketing import TicketDesk
from .visit import Visit

PAPER_STATES = ("ok", "near_end", "out", "unknown")


@dataclass(frozen=True)
class Options:
    """The parts of the settings the model needs (see kiosk.settings.KioskSettings)."""

    language: str = "zh"
    hall_name: str = ""
    idle_timeout_s: float = 60.0
    elderly_idle_timeout_s: float = 180.0
    popular_items: tuple[str, ...] = ()
    popular_count: int = 6
    help_text: str = "请到咨询台找工作人员帮助"
    help_text_en: str = "Please ask the staff at the information desk"
    backend_retry_s: float = 30.0
    press_cooldown_s: float = 1.5     # a second press within this is the same press
    search_limit: int = 30


@dataclass(frozen=True)
class TakeStatus:
    """Whether a number can be taken, and the line that says why not."""

    ok: bool
    reason: str = ""


class KioskModel(Observable):
    def __init__(self, topics: Topics, options: Options = Options(), *,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        super().__init__()
        self.options = options
        self.clock = clock
        self.wall = wall
        self.lock = threading.RLock()
        self.hall = HallState(topics, self._hall_changed)
        self.visit = Visit(language=options.language, last_activity=clock())
        self.desk = TicketDesk()
        self.online = False
        self.paper = "unknown"
        self.printing = False
        self._backend_quiet_until: float | None = None
        self._catalog_generation = 0
        self._results_key: tuple | None = None
        self._results: list[Hit] = []
        self._last_press: tuple[str, float] | None = None

    def _hall_changed(self, what: str) -> None:
        if what in ("catalog", "index"):
            with self.lock:
                self._catalog_generation += 1
            what = "catalog"
        elif what == "queues":
            self.backend_heard()
        self.emit(what)

    # -- texts ---------------------------------------------------------------------
    @property
    def language(self) -> str:
        return self.visit.language

    def t(self, key: str, **values) -> str:
        return tr(key, self.visit.language, **values)

    @property
    def help_text(self) -> str:
        return self.options.help_text_en if self.language == "en" else self.options.help_text

    @property
    def hall_name(self) -> str:
        return self.options.hall_name or self.hall.hall_name or tr("app.title", "zh")

    # -- device state (node) -----------------------------------------------------------
    def set_online(self, online: bool) -> None:
        with self.lock:
            changed, self.online = self.online != online, online
        if changed:
            self.emit("device")

    def set_paper(self, paper: str) -> bool:
        if paper not in PAPER_STATES:
            raise ValueError(f"unknown paper state {paper!r}")
        with self.lock:
            changed, self.paper = self.paper != paper, paper
        if changed:
            self.emit("device")
        return changed

    def backend_timed_out(self) -> None:
        with self.lock:
            self._backend_quiet_until = self.clock() + self.options.backend_retry_s
        self.emit("device")

    def backend_heard(self) -> None:
        with self.lock:
            changed, self._backend_quiet_until = self._backend_quiet_until is not None, None
        if changed:
            self.emit("device")

    @property
    def backend_quiet(self) -> bool:
        with self.lock:
            until = self._backend_quiet_until
        return until is not None and self.clock() < until

    def take_status(self, item: Item | None = None) -> TakeStatus:
        """Can a number be taken now (for *item*, or at all)?  Offline and paper first."""
        help_line = self.help_text
        if not self.online:
            return TakeStatus(False, self.t("off.offline", help=help_line))
        if self.paper == "out":
            return TakeStatus(False, self.t("off.paper", help=help_line))
        if self.backend_quiet:
            return TakeStatus(False, self.t("off.backend", help=help_line))
        if item is not None:
            state = self.hall.queue(item.queue)
            if state is not None and not state.accepting:
                reason = state.reason if state.reason and self.language == "zh" else ""
                return TakeStatus(False, reason or self.t("off.queue"))
        return TakeStatus(True)

    def accept_press(self, key: str) -> bool:
        """False for a repeat of the same press within the cooldown (a double tap)."""
        now = self.clock()
        with self.lock:
            last = self._last_press
            if last is not None and last[0] == key and now - last[1] < self.options.press_cooldown_s:
                return False
            self._last_press = (key, now)
            return True

    # -- navigation (UI thread) ----------------------------------------------------------
    def _visit_changed(self) -> None:
        with self.lock:
            self.visit.last_activity = self.clock()
        self.emit("visit")

    def touch(self) -> None:
        """Any touch: the visitor is still here."""
        with self.lock:
            self.visit.last_activity = self.clock()

    def go(self, screen: str) -> None:
        with self.lock:
            self.visit.go(screen)
        self._visit_changed()

    def go_home(self) -> None:
        with self.lock:
            self.desk.reset(keep_uncertain=True)
            self.visit.go(self.visit.home_screen)
            self.visit.query = ""
            self.visit.department = None
            self.visit.code = ""
        self._visit_changed()

    def back(self) -> None:
        with self.lock:
            self.visit.back()
        self._visit_changed()

    def open_search(self, department: str | None = None) -> None:
        with self.lock:
            self.visit.department = department
            self.visit.query = ""
            self.visit.go("search")
        self._visit_changed()

    def open_guide(self, item_id: str) -> None:
        with self.lock:
            self.visit.item_id = item_id
            self.visit.go("guide")
        self._visit_changed()

    def open_checkin(self) -> None:
        with self.lock:
            self.visit.code = ""
            self.visit.go("checkin")
        self._visit_changed()

    def toggle_language(self) -> None:
        with self.lock:
            self.visit.language = "en" if self.visit.language == "zh" else "zh"
        self._visit_changed()

    def set_default_language(self, language: str) -> None:
        """The language a new visitor sees first (the device's config from the hall registry, else the
        kiosk's own setting).  A kiosk at rest on Home switches at once; a visitor in the middle of a
        visit keeps theirs, and the next visitor gets the new one after the idle reset."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        with self.lock:
            old = self.options.language
            if language == old:
                return
            self.options = replace(self.options, language=language)
            at_rest = self.visit.at_rest(old)
            if at_rest:
                self.visit.language = language
        if at_rest:
            self.emit("visit")

    def set_elderly(self, on: bool) -> None:
        with self.lock:
            self.visit.elderly = on
            self.visit.go(self.visit.home_screen)
        self._visit_changed()

    def set_notice(self, notice: str) -> None:
        with self.lock:
            self.visit.notice = notice
        self.emit("visit")

    # search keypad
    def type_key(self, key: str) -> None:
        with self.lock:
            self.visit.type_key(key)
        self._visit_changed()

    def delete_key(self) -> None:
        with self.lock:
            self.visit.delete_key()
        self._visit_changed()

    def clear_query(self) -> None:
        with self.lock:
            self.visit.clear_query()
        self._visit_changed()

    def set_department(self, department: str | None) -> None:
        with self.lock:
            self.visit.department = department
        self._visit_changed()

    # check-in keypad
    def type_digit(self, digit: str) -> None:
        with self.lock:
            self.visit.type_digit(digit)
        self._visit_changed()

    def delete_digit(self) -> None:
        with self.lock:
            self.visit.delete_digit()
        self._visit_changed()

    def clear_code(self) -> None:
        with self.lock:
            self.visit.clear_code()
        self._visit_changed()

    def check_idle(self) -> bool:
        """Back to Home, entered data cleared, once the visitor has been gone long enough."""
        with self.lock:
            visit = self.visit
            timeout = self.options.elderly_idle_timeout_s if visit.elderly else self.options.idle_timeout_s
            at_rest = visit.at_rest(self.options.language)
            if at_rest or visit.idle_for(self.clock()) < timeout or self.desk.busy:
                return False
            self.desk.reset()
            visit.reset(self.options.language)
            visit.last_activity = self.clock()
        self.emit("visit")
        self.emit("ticket")
        return True

    # -- reading -------------------------------------------------------------------------
    def results(self) -> list[Hit]:
        """Search results for what is typed (every item of the department when nothing is)."""
        with self.lock:
            key = (self.visit.query, self.visit.department, self._catalog_generation)
            if key != self._results_key:
                self._results = self.hall.search(self.visit.query, self.visit.department,
                                                 self.options.search_limit)
                self._results_key = key
            return list(self._results)

    def current_item(self) -> Item | None:
        return self.hall.item(self.visit.item_id)

    def popular_items(self) -> list[Item]:
        """The configured popular items; without any, the first item of each queue (a spread of services)."""
        items = [self.hall.item(i) for i in self.options.popular_items]
        chosen = [item for item in items if item is not None]
        if not chosen:
            catalog = self.hall.items()
            queues: set[str] = set()
            for item in catalog:
                if item.queue not in queues:
                    queues.add(item.queue)
                    chosen.append(item)
            chosen += [item for item in catalog if item not in chosen]
        return chosen[:self.options.popular_count]

    def announcement_text(self) -> str:
        return "    ".join(a.text for a in self.hall.announcements(self.wall()))
