"""Row widgets of the wall's lists; created once, their texts change (see wall.kv for the look)."""

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout


class WallCallRow(BoxLayout):
    shade = BooleanProperty(False)
    fs = NumericProperty(30)  # font size cap, set by the screen from its unit
    ticket = StringProperty("")
    window = StringProperty("")


class WallQueueRow(BoxLayout):
    shade = BooleanProperty(False)
    fs = NumericProperty(30)  # font size cap, set by the screen from its unit
    closed = BooleanProperty(False)
    name = StringProperty("")
    serving = StringProperty("")
    waiting = StringProperty("")
    wait = StringProperty("")


class WallItemRow(BoxLayout):
    shade = BooleanProperty(False)
    fs = NumericProperty(30)  # font size cap, set by the screen from its unit
    name = StringProperty("")
    department = StringProperty("")
    kind = StringProperty("")
    promised = StringProperty("")
    windows = StringProperty("")
