"""The voice call (语音叫号): clip names, clip generation, joining, a queue that speaks."""

from .clips import generate_clips, missing_clips
from .phrase import CLIP_NAMES, CLIP_TEXT, VoiceError, call_clips, ticket_clips, window_numeral
from .player import RecordingPlayer, VoiceQueue, in_quiet_hours

__all__ = ["CLIP_NAMES", "CLIP_TEXT", "RecordingPlayer", "VoiceError", "VoiceQueue", "call_clips",
           "generate_clips", "in_quiet_hours", "missing_clips", "ticket_clips", "window_numeral"]
