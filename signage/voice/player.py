"""Speaking calls: one queue, one worker thread, never two calls at once.

:class:`VoiceQueue` turns each call into clip names (:func:`call_clips`),
joins the clips into one WAV and hands it to a *player* whose ``play(path,
volume)`` blocks until the sound has finished.  A call still waiting when it
is older than ``CALL_EXPIRY_S`` is dropped (never say a stale call); during
quiet hours nothing is said (the wall still shows the call).  A recall is a
new call event, so it is said again.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from protocol.bus import CALL_EXPIRY_S

from ..calls import Call
from .phrase import VoiceError, call_clips
from .wav import duration, join

log = logging.getLogger(__name__)


class Player(Protocol):
    def play(self, path: str, volume: float) -> None:
        """Play the WAV at *path*; return when it has finished."""


@dataclass(frozen=True)
class Played:
    path: str
    volume: float
    seconds: float


class RecordingPlayer:
    """A player for tests and machines without a speaker: notes each WAV instead of playing it."""

    def __init__(self):
        self.played: list[Played] = []
        self.overlaps = 0
        self._playing = 0
        self._lock = threading.Lock()
        self.done = threading.Condition(self._lock)

    def play(self, path: str, volume: float) -> None:
        with self._lock:
            self._playing += 1
            if self._playing > 1:
                self.overlaps += 1
        seconds = duration(path)
        with self._lock:
            self._playing -= 1
            self.played.append(Played(path, volume, seconds))
            self.done.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self._lock:
            return self.done.wait_for(lambda: len(self.played) >= count, timeout)


def in_quiet_hours(minute_of_day: int, spans: tuple[tuple[int, int], ...]) -> bool:
    for start, end in spans:
        if start <= end and start <= minute_of_day < end:
            return True
        if start > end and (minute_of_day >= start or minute_of_day < end):
            return True
    return False


class VoiceQueue:
    def __init__(self, clip_dir: str | Path, player: Player, clock, *, work_dir: str | Path,
                 volume: float = 0.8, quiet_spans: tuple[tuple[int, int], ...] = (), repeats: int = 1,
                 expiry_s: float = CALL_EXPIRY_S, capacity: int = 64):
        self.clip_dir = Path(clip_dir)
        self.work_dir = Path(work_dir)
        self.player = player
        self.clock = clock
        self.volume = volume
        self.quiet_spans = quiet_spans
        self.repeats = max(1, repeats)
        self.expiry_s = expiry_s
        self.spoken = 0
        self.skipped = 0
        self._inbox: queue.Queue[Call | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._flip = 0
        self._idle = threading.Condition()
        self._busy = 0

    # -- control ----------------------------------------------------------------------
    def start(self) -> "VoiceQueue":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._inbox.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def say(self, call: Call) -> bool:
        """Queue *call*; False if the queue is full (the call is still shown)."""
        try:
            with self._idle:
                self._busy += 1
            self._inbox.put_nowait(call)
            return True
        except queue.Full:
            with self._idle:
                self._busy -= 1
            log.warning("voice queue full: %s not spoken", call.ticket)
            return False

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued call has been spoken or skipped (for tests and shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    @property
    def pending(self) -> int:
        return self._inbox.qsize()

    # -- worker -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            call = self._inbox.get()
            if call is None:
                return
            try:
                self.speak(call)
            except Exception:  # one bad call must never silence the hall
                log.exception("voice failed for %s", call.ticket)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def speak(self, call: Call) -> bool:
        """Say one call now, on this thread; False if it was skipped."""
        now = self.clock.now()
        if (now - call.at).total_seconds() > self.expiry_s:
            log.info("voice: %s is too old to say", call.ticket)
            self.skipped += 1
            return False
        if in_quiet_hours(now.hour * 60 + now.minute, self.quiet_spans):
            self.skipped += 1
            return False
        try:
            path = self.render(call)
        except VoiceError as exc:
            log.error("voice: %s", exc)
            self.skipped += 1
            return False
        for _ in range(self.repeats):
            self.player.play(str(path), self.volume)
        self.spoken += 1
        return True

    def render(self, call: Call) -> Path:
        """Join the call's clips into one WAV (two files used in turn: a player may still hold one)."""
        names = call_clips(call.ticket, call.window_number)
        paths = [self.clip_dir / f"{name}.wav" for name in names]
        missing = sorted({p.name for p in paths if not p.is_file()})
        if missing:
            raise VoiceError(f"clips missing in {self.clip_dir}: {', '.join(missing)}; "
                             "run `python -m signage.voice DIR` (espeak-ng) or add recordings")
        self._flip ^= 1
        out = self.work_dir / f"call-{self._flip}.wav"
        join(paths, out)
        return out
