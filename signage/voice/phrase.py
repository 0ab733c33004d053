"""What the hall says for a call, as a list of clip names (pure).

"请 A 零一二 号到 三 号窗口办理": the chime, 请, the queue letter(s), the
ticket digits one by one, 号, 到, the window number as a Chinese numeral,
号窗口, 办理.  Each name is a WAV file in the clip folder (``qing.wav`` …);
:data:`CLIP_TEXT` says what each clip must say, for espeak-ng or for a hall
that records its own.
"""

from __future__ import annotations

import string

from hallcore.errors import HallError

DIGITS = ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")
LETTERS = tuple(string.ascii_uppercase)

#: Clip name -> (what it says, in Chinese) and the pinyin espeak-ng reads.
CLIP_TEXT: dict[str, tuple[str, str]] = {
    "qing": ("请", "qing3"),
    "hao": ("号", "hao4"),
    "dao": ("到", "dao4"),
    "hao_chuangkou": ("号窗口", "hao4 chuang1 kou3"),
    "banli": ("办理", "ban4 li3"),
    "shi": ("十", "shi2"),
    "bai": ("百", "bai3"),
    **{name: ("零一二三四五六七八九"[n], pinyin) for n, (name, pinyin) in enumerate(zip(DIGITS, (
        "ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")))},
}
#: Every clip a call may need (the chime is a sound, not speech).
CLIP_NAMES: tuple[str, ...] = ("chime", *CLIP_TEXT, *LETTERS)


class VoiceError(HallError, ValueError):
    """A call cannot be spoken (a ticket or window the clips cannot say, a missing clip)."""


def window_numeral(number: int) -> list[str]:
    """A window number as Chinese numeral clips: 3 -> 三, 12 -> 十二, 20 -> 二十, 105 -> 一百零五."""
    if not 1 <= number <= 999:
        raise VoiceError(f"window number {number} cannot be spoken (1-999)")
    hundreds, tens, ones = number // 100, number // 10 % 10, number % 10
    clips: list[str] = []
    if hundreds:
        clips += [DIGITS[hundreds], "bai"]
        if tens == 0 and ones:
            clips.append("ling")
    if tens:
        if tens > 1 or hundreds:
            clips.append(DIGITS[tens])
        clips.append("shi")
    if ones:
        clips.append(DIGITS[ones])
    return clips


def ticket_clips(ticket: str) -> list[str]:
    """Letters as letters, digits one by one: A012 -> A 零 一 二."""
    clips = []
    for char in ticket.strip().upper():
        if char in LETTERS:
            clips.append(char)
        elif char.isascii() and char.isdigit():
            clips.append(DIGITS[int(char)])
        elif char in "-_ ":
            continue
        else:
            raise VoiceError(f"ticket number {ticket!r} has {char!r}, which no clip says")
    if not clips:
        raise VoiceError(f"ticket number {ticket!r} is empty")
    return clips


def call_clips(ticket: str, window_number: int, *, chime: bool = True) -> list[str]:
    """The clips of one call, in order."""
    return ((["chime"] if chime else []) + ["qing"] + ticket_clips(ticket) + ["hao", "dao"]
            + window_numeral(window_number) + ["hao_chuangkou", "banli"])
