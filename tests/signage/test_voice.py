"""The voice call: clip order, generated clips, a valid joined WAV, the queue's rules."""

import shutil
import subprocess
import wave
from datetime import datetime, timedelta

import pytest

from signage.calls import Call
from signage.voice import (CLIP_NAMES, RecordingPlayer, VoiceError, VoiceQueue, call_clips, generate_clips,
                           in_quiet_hours, missing_clips, window_numeral)
from signage.voice.wav import RATE, join

from .conftest import SHANGHAI


def test_a_call_is_said_clip_by_clip():
    assert call_clips("A012", 3) == ["chime", "qing", "A", "ling", "yi", "er", "hao", "dao", "san",
                                     "hao_chuangkou", "banli"]


@pytest.mark.parametrize("number, clips", [
    (1, ["yi"]), (3, ["san"]), (10, ["shi"]), (12, ["shi", "er"]), (20, ["er", "shi"]),
    (21, ["er", "shi", "yi"]), (100, ["yi", "bai"]), (105, ["yi", "bai", "ling", "wu"]),
    (110, ["yi", "bai", "yi", "shi"]), (999, ["jiu", "bai", "jiu", "shi", "jiu"]),
])
def test_window_numbers_are_chinese_numerals(number, clips):
    assert window_numeral(number) == clips


def test_ticket_digits_are_said_one_by_one_and_letters_as_letters():
    assert call_clips("B105", 12, chime=False)[1:6] == ["B", "yi", "ling", "wu", "hao"]
    assert call_clips("ab-07", 1, chime=False)[1:5] == ["A", "B", "ling", "qi"]


@pytest.mark.parametrize("ticket, window", [("A０12", 3), ("", 3), ("A01", 0), ("A01", 1000), ("号", 1)])
def test_what_no_clip_can_say_is_refused(ticket, window):
    with pytest.raises(VoiceError):
        call_clips(ticket, window)


def test_every_clip_is_generated_as_a_valid_wav(clip_dir):
    assert missing_clips(clip_dir) == []
    for name in CLIP_NAMES:
        with wave.open(str(clip_dir / f"{name}.wav")) as clip:
            assert (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) == (RATE, 1, 2)
            assert 0.1 < clip.getnframes() / RATE < 2.0, name


def test_recorded_clips_are_kept(tmp_path, clip_dir):
    shutil.copytree(clip_dir, tmp_path / "clips")
    recorded = tmp_path / "clips" / "qing.wav"
    recorded.write_bytes((clip_dir / "banli.wav").read_bytes())
    assert generate_clips(tmp_path / "clips") == []
    assert recorded.read_bytes() == (clip_dir / "banli.wav").read_bytes()


def test_joined_call_is_one_valid_wav_as_long_as_its_clips(clip_dir, tmp_path):
    names = call_clips("A012", 3)
    out = tmp_path / "call.wav"
    seconds = join([clip_dir / f"{n}.wav" for n in names], out)
    with wave.open(str(out)) as joined:
        frames = joined.getnframes()
        assert (joined.getframerate(), joined.getnchannels(), joined.getsampwidth()) == (RATE, 1, 2)
    clip_frames = 0
    for n in names:
        with wave.open(str(clip_dir / f"{n}.wav")) as clip:
            clip_frames += clip.getnframes()
    assert frames == clip_frames + (len(names) - 1) * int(RATE * 0.06)
    assert 2.0 < seconds < 12.0 and seconds == pytest.approx(frames / RATE)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox converts recordings in other formats")
def test_a_recording_in_another_format_is_converted(clip_dir, tmp_path):
    stereo = tmp_path / "qing.wav"
    subprocess.run(["sox", str(clip_dir / "qing.wav"), "-r", "44100", "-c", "2", str(stereo)], check=True)
    join([stereo, clip_dir / "banli.wav"], tmp_path / "out.wav")
    with wave.open(str(tmp_path / "out.wav")) as out:
        assert out.getframerate() == RATE and out.getnchannels() == 1


def test_a_broken_clip_gives_a_clear_error(tmp_path):
    bad = tmp_path / "qing.wav"
    bad.write_bytes(b"not a wav")
    with pytest.raises(VoiceError, match="not a readable WAV"):
        join([bad], tmp_path / "out.wav")


def test_quiet_hours_including_across_midnight():
    spans = ((12 * 60, 13 * 60 + 30), (22 * 60, 6 * 60))
    assert in_quiet_hours(12 * 60 + 15, spans) and in_quiet_hours(23 * 60, spans) and in_quiet_hours(60, spans)
    assert not in_quiet_hours(13 * 60 + 30, spans) and not in_quiet_hours(9 * 60, spans)


def _call(clock, ticket="A012", window=3, kind="call", n=1, age=0.0):
    return Call(f"ev{n}", ticket, f"w{window:02d}", window, "qA", kind, clock.now() - timedelta(seconds=age))


def test_calls_are_queued_never_overlap_and_a_recall_repeats(clip_dir, tmp_path, clock):
    player = RecordingPlayer()
    voice = VoiceQueue(clip_dir, player, clock, work_dir=tmp_path, volume=0.6).start()
    try:
        voice.say(_call(clock, "A012", 3, n=1))
        voice.say(_call(clock, "B003", 12, n=2))
        voice.say(_call(clock, "A012", 3, "recall", n=3))
        assert voice.wait_idle(10)
    finally:
        voice.stop()
    assert len(player.played) == 3 and player.overlaps == 0
    assert all(p.volume == 0.6 and p.seconds > 1 for p in player.played)
    assert player.played[0].seconds == pytest.approx(player.played[2].seconds)   # the recall says it again


def test_nothing_is_said_in_quiet_hours_or_when_too_old(clip_dir, tmp_path):
    from signage.clock import ManualClock

    clock = ManualClock(datetime(2025, 3, 10, 12, 10, tzinfo=SHANGHAI))
    player = RecordingPlayer()
    voice = VoiceQueue(clip_dir, player, clock, work_dir=tmp_path, quiet_spans=((12 * 60, 13 * 60 + 30),))
    assert voice.speak(_call(clock)) is False
    clock.advance(2 * 3600)
    assert voice.speak(_call(clock, age=61)) is False
    assert voice.speak(_call(clock)) is True
    assert len(player.played) == 1 and voice.skipped == 2


def test_repeats_play_the_same_call_again(clip_dir, tmp_path, clock):
    player = RecordingPlayer()
    voice = VoiceQueue(clip_dir, player, clock, work_dir=tmp_path, repeats=2)
    voice.speak(_call(clock))
    assert len(player.played) == 2


def test_missing_clips_are_named(tmp_path, clock):
    voice = VoiceQueue(tmp_path, RecordingPlayer(), clock, work_dir=tmp_path)
    with pytest.raises(VoiceError, match="qing.wav"):
        voice.render(_call(clock))


class _FakeSound:
    """Stands in for a Kivy Sound on a machine without a sound card."""

    loaded: list = []

    def __init__(self, path):
        self.path, self.length, self.volume, self.unloaded = path, 2.0, 1.0, False
        self._on_stop = None
        _FakeSound.loaded.append(self)

    def bind(self, on_stop):
        self._on_stop = on_stop

    def play(self):
        self._on_stop(self)

    def stop(self):
        pass

    def unload(self):
        self.unloaded = True


def test_the_kivy_player_plays_on_the_kivy_thread_and_unloads(kivy_window, clip_dir, monkeypatch):
    import threading

    from kivy.base import EventLoop
    from kivy.core.audio import SoundLoader

    from signage.voice.kivy_player import KivyPlayer

    monkeypatch.setattr(SoundLoader, "load", staticmethod(lambda path: _FakeSound(path)))
    _FakeSound.loaded.clear()
    worker = threading.Thread(target=KivyPlayer().play, args=(str(clip_dir / "qing.wav"), 0.4))
    worker.start()
    for _ in range(200):                      # the Kivy loop runs here, as in the App
        EventLoop.idle()
        if not worker.is_alive() and _FakeSound.loaded and _FakeSound.loaded[0].unloaded:
            break
    worker.join(5)
    (sound,) = _FakeSound.loaded
    assert sound.volume == 0.4 and sound.unloaded and not worker.is_alive()
