"""The Kivy app: a ScreenManager whose current screen follows ``model.visit.screen``.

Model changes arrive on any thread; :meth:`KioskApp._model_changed` only
records what changed and fires a Clock trigger, so every widget is touched on
the main thread, at most once per frame.
"""

from __future__ import annotations

import threading
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from ..node import KioskNode
from ..texts import tr
from .checkin import KioskCheckinScreen
from .elderly import KioskElderlyScreen
from .guide import KioskGuideScreen
from .home import KioskHomeScreen
from .search import KioskSearchScreen
from .theme import NORMAL, SENIOR, register_cjk_font
from .ticket import KioskTicketScreen

HERE = Path(__file__).resolve().parent
KV_FILES = ("widgets.kv", "home.kv", "search.kv", "guide.kv", "ticket.kv", "checkin.kv", "elderly.kv")
SCREENS = (KioskHomeScreen, KioskElderlyScreen, KioskSearchScreen, KioskGuideScreen, KioskTicketScreen,
           KioskCheckinScreen)
_kv_loaded = False


def load_kv() -> None:
    """Load the .kv files once per process (loading twice would apply every rule twice)."""
    global _kv_loaded
    if not _kv_loaded:
        for name in KV_FILES:
            Builder.load_file(str(HERE / name))
        _kv_loaded = True


class KioskApp(App):
    lang = StringProperty("zh")
    elderly = BooleanProperty(False)
    landscape = BooleanProperty(False)
    hall_name = StringProperty("")
    th = ObjectProperty(NORMAL, rebind=True)  # rebind: kv rules reading app.th.X follow a theme switch
    scale = NumericProperty(1.0)      # font scale: 1.4 in senior mode

    def __init__(self, node: KioskNode, *, landscape: bool = False, tick_s: float = 1.0, on_tick=None, **kwargs):
        super().__init__(**kwargs)
        self.title = "OneStop Hall kiosk"
        self.node = node
        self.model = node.model
        self.landscape = landscape
        self.tick_s = tick_s
        self.on_tick = on_tick          # e.g. the systemd watchdog: only a live UI loop pets it
        self._pending: set[str] = set()
        self._pending_lock = threading.Lock()
        self._trigger = Clock.create_trigger(self._apply, 0)
        self._tick_event = None
        self.manager: ScreenManager | None = None

    # -- helpers for kv ------------------------------------------------------------------
    def t(self, key: str, _lang: str | None = None, **values) -> str:
        """``app.t('home.search', app.lang)`` in kv: passing app.lang makes kv re-evaluate on a switch."""
        return tr(key, self.lang, **values)

    @staticmethod
    def shade(color, state: str):
        """A pressed button is darker (or lighter on black): feedback without colour alone."""
        if state != "down":
            return color
        r, g, b, a = color
        if r + g + b < 0.6:
            return (min(1, r + 0.25), min(1, g + 0.25), min(1, b + 0.25), a)
        return (r * 0.75, g * 0.75, b * 0.75, a)

    # -- life cycle ------------------------------------------------------------------------
    def build(self):
        register_cjk_font()
        load_kv()
        self.manager = ScreenManager(transition=NoTransition())
        for screen_class in SCREENS:
            self.manager.add_widget(screen_class())
        return self.manager

    def on_start(self) -> None:
        self.model.listen(self._model_changed)
        Window.bind(on_touch_down=self._touched)
        self._tick_event = Clock.schedule_interval(self._tick, self.tick_s)
        self._model_changed("all")
        self._apply()

    def on_stop(self) -> None:
        self.model.unlisten(self._model_changed)
        Window.unbind(on_touch_down=self._touched)
        if self._tick_event is not None:
            self._tick_event.cancel()
            self._tick_event = None
        self._trigger.cancel()

    def mount(self) -> "KioskApp":
        """Build and show the app in the existing window without running a main loop (tests, embedding)."""
        App._running_app = self
        self.root = self.build()
        Window.add_widget(self.root)
        self.dispatch("on_start")
        return self

    def unmount(self) -> None:
        """Undo :meth:`mount`: stop timers, remove the widgets; the window stays open."""
        self.dispatch("on_stop")
        if self.root is not None and self.root.parent is not None:
            Window.remove_widget(self.root)
        if App._running_app is self:
            App._running_app = None

    # -- model → screens -------------------------------------------------------------------
    def _touched(self, _window, _touch) -> bool:
        self.model.touch()
        return False

    def _tick(self, _dt) -> None:
        self.node.tick()
        if self.on_tick is not None:
            self.on_tick()

    def _model_changed(self, what: str) -> None:
        with self._pending_lock:
            self._pending.add(what)
        self._trigger()

    def _apply(self, *_args) -> None:
        with self._pending_lock:
            reasons, self._pending = self._pending, set()
        if not reasons or self.manager is None:
            return
        model = self.model
        self.lang = model.language
        self.elderly = model.visit.elderly
        self.th = SENIOR if self.elderly else NORMAL
        self.scale = self.th.scale
        self.hall_name = model.hall_name
        screen = model.visit.screen
        if self.manager.current != screen:
            self.manager.current = screen
            reasons.add("all")
        self.manager.current_screen.refresh(self, reasons)
