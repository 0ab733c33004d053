"""Play a WAV through Kivy's audio (SoundLoader), from the voice worker thread.

Kivy objects live on the Kivy thread: loading and starting happen there
(``Clock.schedule_once``); the worker waits for the sound's ``on_stop`` (or
its length plus a margin, in case the audio device never reports back).
"""

from __future__ import annotations

import logging
import threading

from .wav import duration

log = logging.getLogger(__name__)


class KivyPlayer:
    def __init__(self):
        self._warned = False

    def play(self, path: str, volume: float) -> None:
        from kivy.clock import Clock

        finished = threading.Event()
        holder: dict = {}

        def start(_dt) -> None:
            from kivy.core.audio import SoundLoader

            sound = SoundLoader.load(path)
            if sound is None or not sound.length:
                if not self._warned:
                    log.error("Kivy has no audio output for %s (check the sound card and KIVY_AUDIO)", path)
                    self._warned = True
                finished.set()
                if sound is not None:
                    sound.unload()
                return
            holder["sound"] = sound
            sound.volume = volume
            sound.bind(on_stop=lambda *_: finished.set())
            sound.play()

        Clock.schedule_once(start, 0)
        if not finished.wait(duration(path) + 3.0):
            log.warning("audio did not report the end of %s; going on", path)
        Clock.schedule_once(lambda _dt: self._unload(holder), 0)

    @staticmethod
    def _unload(holder: dict) -> None:
        sound = holder.pop("sound", None)
        if sound is not None:
            sound.stop()
            sound.unload()
