"""Generate the voice clips with espeak-ng (run once at setup: ``python -m signage.voice DIR``).

Chinese clips use espeak-ng's ``cmn-latn-pinyin`` voice (tones right; the
plain ``cmn`` voice reads Chinese wrongly), the queue letters its English
voice (halls say "A" as in English), and the chime is synthesised.  A file
that already exists is kept, so a hall can drop in its own recordings with
the same names (``qing.wav``, ``A.wav``, ``ling.wav`` …, see
:data:`~signage.voice.phrase.CLIP_TEXT`) and re-run this safely.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .phrase import CLIP_NAMES, CLIP_TEXT, LETTERS, VoiceError
from .wav import chime, read_samples, trim, write_samples

log = logging.getLogger(__name__)
PINYIN_VOICE = "cmn-latn-pinyin"
LETTER_VOICE = "en"


def missing_clips(directory: str | os.PathLike) -> list[str]:
    directory = Path(directory)
    return [name for name in CLIP_NAMES if not (directory / f"{name}.wav").is_file()]


def generate_clips(directory: str | os.PathLike, *, overwrite: bool = False, speed: int = 150,
                   espeak: str = "espeak-ng") -> list[Path]:
    """Write every missing clip into *directory*; returns the files written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    todo = CLIP_NAMES if overwrite else missing_clips(directory)
    speech = [name for name in todo if name != "chime"]
    if speech and shutil.which(espeak) is None:
        raise VoiceError(f"{espeak} is not installed (apt-get install espeak-ng), or put recorded "
                         f"clips in {directory}: {', '.join(speech)}")
    written = []
    for name in todo:
        target = directory / f"{name}.wav"
        if name == "chime":
            write_samples(target, chime())
        elif name in LETTERS:
            _speak(espeak, LETTER_VOICE, name, target, speed)
        else:
            _speak(espeak, PINYIN_VOICE, CLIP_TEXT[name][1], target, speed)
        written.append(target)
    log.info("voice clips in %s: %d written, %d kept", directory, len(written), len(CLIP_NAMES) - len(written))
    return written


def _speak(espeak: str, voice: str, text: str, target: Path, speed: int) -> None:
    fd, tmp = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        result = subprocess.run([espeak, "-v", voice, "-s", str(speed), "-w", tmp, text],
                                capture_output=True, check=False, timeout=30)
        if result.returncode != 0:
            raise VoiceError(f"espeak-ng failed for {target.name} ({voice}, {text!r}): "
                             f"{result.stderr.decode(errors='replace').strip()}")
        write_samples(target, trim(read_samples(tmp)))
    finally:
        os.unlink(tmp)
