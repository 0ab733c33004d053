"""Time for the signage models: a real clock and a hand-driven one for tests and replays.

The models take a clock instead of reading the time themselves, so a test can
say "eight seconds later" without sleeping.  ``now()`` is the hall's local
time (aware); ``monotonic()`` measures durations and never jumps when NTP sets
the Pi's clock after boot.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo


class SystemClock:
    def __init__(self, tz: tzinfo | str = "Asia/Shanghai"):
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told: ``clock.advance(8)``."""

    def __init__(self, start: datetime, monotonic: float = 1000.0):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self.tz = start.tzinfo
        self._now = start
        self._mono = monotonic

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def set(self, when: datetime) -> None:
        """Jump the wall time (as NTP would); the monotonic time moves by the same amount."""
        self._mono += max((when - self._now).total_seconds(), 0.0)
        self._now = when
