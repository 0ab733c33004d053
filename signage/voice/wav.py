"""WAV helpers: read, trim, synthesise the chime, and join clips into one file.

Every clip is brought to one format (22,050 Hz, mono, 16-bit, what espeak-ng
writes) before joining.  A hall's own recordings in another format are
converted with ``sox`` when it is installed; otherwise they are refused with
a message that says how to convert them.
"""

from __future__ import annotations

import array
import math
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

from .phrase import VoiceError

RATE, CHANNELS, WIDTH = 22050, 1, 2
GAP_S = 0.06  # between clips, so digits do not run together


def read_samples(path: str | os.PathLike) -> array.array:
    """The clip's samples as 16-bit mono at RATE (converted with sox if needed)."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as clip:
            params = (clip.getframerate(), clip.getnchannels(), clip.getsampwidth())
            data = clip.readframes(clip.getnframes())
    except (wave.Error, EOFError) as exc:
        raise VoiceError(f"{path} is not a readable WAV file ({exc}); record it again as "
                         "22050 Hz mono 16-bit PCM") from None
    if params != (RATE, CHANNELS, WIDTH):
        data = _convert(path, params)
    samples = array.array("h")
    samples.frombytes(data)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _convert(path: Path, params: tuple[int, int, int]) -> bytes:
    sox = shutil.which("sox")
    if sox is None:
        raise VoiceError(f"{path} is {params[0]} Hz, {params[1]} channel(s), {8 * params[2]}-bit; "
                         f"install sox or convert it: sox {path.name} -r {RATE} -c 1 -b 16 {path.name}")
    result = subprocess.run([sox, str(path), "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
                             "-e", "signed-integer", "-L", "-"], capture_output=True, check=False)
    if result.returncode != 0:
        raise VoiceError(f"sox could not convert {path}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def write_samples(path: str | os.PathLike, samples: array.array) -> None:
    """Write atomically (a player never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    os.close(fd)
    with wave.open(tmp, "wb") as out:
        out.setnchannels(CHANNELS)
        out.setsampwidth(WIDTH)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    os.replace(tmp, path)


def trim(samples: array.array, threshold: float = 0.02, pad_s: float = 0.03) -> array.array:
    """Cut leading and trailing silence (espeak-ng pads each word)."""
    if not samples:
        return samples
    level = max(1, int(max(abs(min(samples)), max(samples)) * threshold))
    loud = [i for i in range(len(samples)) if abs(samples[i]) > level]
    if not loud:
        return array.array("h")
    pad = int(RATE * pad_s)
    return samples[max(loud[0] - pad, 0):loud[-1] + pad]


def chime(volume: float = 0.5) -> array.array:
    """A two-tone "ding-dong" (E6, C6) with a soft decay."""
    out = array.array("h")
    for freq, length in ((1318.5, 0.38), (1046.5, 0.6)):
        count = int(RATE * length)
        for n in range(count):
            t = n / RATE
            envelope = min(1.0, n / 200) * math.exp(-4.0 * t)
            out.append(int(32767 * volume * envelope * math.sin(2 * math.pi * freq * t)))
    return out


def join(paths: list[Path], out: str | os.PathLike, *, gap_s: float = GAP_S) -> float:
    """Concatenate clips into *out*; returns the duration in seconds."""
    silence = array.array("h", bytes(2 * int(RATE * gap_s)))
    samples = array.array("h")
    for index, path in enumerate(paths):
        if index:
            samples.extend(silence)
        samples.extend(read_samples(path))
    write_samples(out, samples)
    return len(samples) / RATE


def duration(path: str | os.PathLike) -> float:
    with wave.open(str(path), "rb") as clip:
        return clip.getnframes() / clip.getframerate()
