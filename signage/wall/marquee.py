"""A seamless right-to-left marquee for the announcements (公告滚动).

Two labels take turns: each holds one chunk of the text, the second follows
the first; when one has left the screen it takes the next chunk and goes
behind the other.  Chunks are short (one texture each, whatever the length of
an announcement) and the two labels are the only ones ever created.  Text is
untrusted: it is shown with markup on, escaped with ``escape_markup``.
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.properties import NumericProperty
from kivy.uix.label import Label
from kivy.uix.stencilview import StencilView
from kivy.utils import escape_markup

from ..announce import Segment

HIGH_COLOUR = "ffd400"


def segment_markup(segment: Segment) -> str:
    text = escape_markup(segment.text)
    return f"[color={HIGH_COLOUR}]{text}[/color]" if segment.high else text


class WallMarquee(StencilView):
    font_size = NumericProperty(40)
    speed = NumericProperty(150)  # pixels per second

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.labels = [Label(markup=True, size_hint=(None, None)) for _ in range(2)]
        for label in self.labels:
            self.add_widget(label)
        self.segments: tuple[Segment, ...] = ()
        self._next = 0
        self._event = None
        self.bind(font_size=self._restyle, pos=self._reset, size=self._reset)

    def start(self, fps: float = 30.0) -> None:
        if self._event is None:
            self._event = Clock.schedule_interval(self.step, 1.0 / fps)

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def set_segments(self, segments: tuple[Segment, ...]) -> None:
        """New content: it follows the chunk now on screen (or starts now if nothing shows)."""
        if segments == self.segments:
            return
        self.segments = segments
        self._next = 0
        if not any(label.text for label in self.labels):
            self._reset()

    def _restyle(self, *_) -> None:
        for label in self.labels:
            label.font_size = self.font_size
        self._reset()

    def _fill(self, label: Label) -> None:
        if not self.segments:
            label.text = ""
        else:
            label.text = segment_markup(self.segments[self._next % len(self.segments)])
            self._next = (self._next + 1) % len(self.segments)
        label.texture_update()
        label.size = label.texture_size if label.text else (0, 0)
        label.center_y = self.center_y

    def _reset(self, *_) -> None:
        first, second = self.labels
        self._next = 0
        self._fill(first)
        first.x = self.x + self.width * 0.02
        self._fill(second)
        second.x = first.right

    def step(self, dt: float) -> None:
        first, second = self.labels
        if not self.segments:
            if first.text or second.text:
                self._reset()
            return
        shift = self.speed * min(dt, 0.2)
        for label in self.labels:
            label.x -= shift
            label.center_y = self.center_y
        if first.right < self.x:
            self._fill(first)
            first.x = max(second.right, self.right - 1)
            self.labels.reverse()
