"""The wall's root widget: draws a :class:`~signage.wallmodel.WallView` into a fixed widget tree.

Every label is created once (rows for the calls, queues and items, the two
marquee labels) and only its text changes, so the wall does not grow over
weeks.  ``poke()`` may be called from any thread (the node calls it after
each message); everything else runs on the Kivy thread.
"""

from __future__ import annotations

from pathlib import Path

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from ..wallmodel import WallModel, WallView

KV_FILE = Path(__file__).with_name("wall.kv")
REFRESH_S = 0.25
_loaded = False


def load_kv() -> None:
    global _loaded
    if not _loaded:
        for name, module in (("WallMarquee", "marquee"), ("WallCallRow", "rows"), ("WallQueueRow", "rows"),
                             ("WallItemRow", "rows")):
            if name not in Factory.classes:
                Factory.register(name, module=f"signage.wall.{module}")
        Builder.load_file(str(KV_FILE))
        _loaded = True


class WallScreen(BoxLayout):
    u = NumericProperty(10.8)          # one hundredth of the short side: every size is in u
    landscape = BooleanProperty(True)
    hall_name = StringProperty("")
    date_text = StringProperty("")
    time_text = StringProperty("")
    call_title = StringProperty("")
    call_ticket = StringProperty("")
    call_window = StringProperty("")
    call_note = StringProperty("")
    highlighted = BooleanProperty(False)
    flash_on = BooleanProperty(False)
    queue_page = StringProperty("")
    item_page = StringProperty("")
    status_text = StringProperty("")

    def __init__(self, model: WallModel, **kwargs):
        load_kv()
        self.model = model
        super().__init__(**kwargs)
        self._poke = Clock.create_trigger(self.refresh, 0)
        self._event = None
        self.recent_rows = self._rows("recent", "WallCallRow", model.recent_rows)
        self.queue_rows = self._rows("queues", "WallQueueRow", model.queue_pager.per_page)
        self.item_rows = self._rows("items", "WallItemRow", model.item_pager.per_page)
        self.bind(size=self._resize)
        self._resize()

    def _rows(self, container: str, cls: str, count: int) -> list:
        rows = []
        for index in range(count):
            row = Factory.get(cls)(shade=index % 2 == 1)
            self.ids[container].add_widget(row)
            rows.append(row)
        return rows

    def _resize(self, *_) -> None:
        self.u = max(min(self.width, self.height) / 100.0, 1.0)
        self.landscape = self.width >= self.height
        for rows, size in ((self.recent_rows, 4.4), (self.queue_rows, 3.4), (self.item_rows, 2.7)):
            for row in rows:
                row.fs = self.u * size

    # -- life ------------------------------------------------------------------------
    def start(self) -> None:
        if self._event is None:
            self._event = Clock.schedule_interval(self.refresh, REFRESH_S)
            self.ids.marquee.start()
        self.refresh()

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self._poke.cancel()
        self.ids.marquee.stop()

    def poke(self) -> None:
        """Redraw soon (thread-safe: a Clock trigger)."""
        self._poke()

    # -- drawing ----------------------------------------------------------------------
    def refresh(self, *_) -> None:
        self.apply(self.model.view())

    def apply(self, view: WallView) -> None:
        self.hall_name = view.hall_name
        self.date_text = view.date_text
        self.time_text = view.time_text
        self.status_text = "" if view.online else "● 网络连接中断，显示最后收到的信息"
        current = view.current
        self.highlighted = view.highlighted
        self.flash_on = view.flash_on and view.highlighted
        if current is None:
            self.call_title, self.call_ticket, self.call_window = "欢迎光临", "", "请取号后留意叫号"
        else:
            self.call_title = ("重呼 · 请" if current.recall else "请") if view.highlighted else "最新叫号"
            self.call_ticket = current.ticket
            self.call_window = f"到 {current.window_number} 号窗口办理"
        self.call_note = f"另有 {view.waiting_turns} 个号码等待显示" if view.waiting_turns else ""
        for row, call in zip(self.recent_rows, view.recent + (None,) * len(self.recent_rows)):
            row.ticket = call.ticket if call else ""
            row.window = f"{call.window_number}号窗口" if call else ""
        for row, queue in zip(self.queue_rows, view.queues + (None,) * len(self.queue_rows)):
            row.name = f"{queue.prefix}  {queue.name}" if queue else ""
            row.serving = queue.serving if queue else ""
            row.waiting = f"{queue.waiting}人" if queue else ""
            row.wait = queue.wait if queue else ""
            row.closed = bool(queue) and not queue.open
        self.queue_page = f"{view.queue_page + 1}/{view.queue_pages}" if view.queue_pages > 1 else ""
        for row, item in zip(self.item_rows, view.items + (None,) * len(self.item_rows)):
            row.name = item.name if item else ""
            row.department = item.department if item else ""
            row.kind = item.kind if item else ""
            row.promised = item.promised if item else ""
            row.windows = item.windows if item else ""
        self.item_page = (f"共{view.item_count}项  第{view.item_page + 1}/{view.item_pages}页"
                          if view.item_count else "事项信息加载中")
        self.ids.marquee.set_segments(view.marquee)
