"""Settings of a signage node (综合屏 / 条屏 / 语音叫号), loaded by ``hallcore.settings.load``.

The same file the ``hall device add`` command writes for a device works as is:
``hall``, ``device``, ``role``, ``window`` and a ``[broker]`` table.  Every
other field has a default.  Example::

    hall = "linan"
    device = "wall-1"
    role = "wall"
    hall_name = "临安区行政服务中心"
    [broker]
    host = "hall-server.local"
    username = "wall-1"
    password = "..."
    [[bars]]
    port = "/dev/ttyUSB0"        # or a pyserial URL: socket://10.0.0.9:4001
    address = 1
    window = "w03"

Environment overrides follow ``hallcore.settings``: ``HALL_VOLUME=0.5``,
``HALL_BROKER__HOST=...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hallcore.errors import ConfigError
from protocol.connection import DeviceSettings

ROLES = ("wall", "bar")
ROTATIONS = (0, 90, 180, 270)
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class BarSettings:
    """One window LED bar (条屏) on a serial port or an RS-485 bus.

    Several bars may share one ``port`` (one RS-485 bus) with different
    ``address`` values.  ``window`` is the window id whose state it shows; an
    empty ``window`` takes the node's own ``window`` (from the device file or
    the backend's device config).
    """

    port: str = ""
    baudrate: int = 9600
    address: int = 1
    window: str = ""
    width: int = 160
    height: int = 16
    rs485: bool = False
    timeout_s: float = 1.0
    retries: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.address <= 0xFFFD:
            raise ConfigError(f"bars: address {self.address} must be 1-65533 (set on the controller)")
        if self.width < 8 or self.height not in (16, 24, 32):
            raise ConfigError(f"bars: size {self.width}x{self.height}: width >= 8 dots, height 16, 24 or 32")

    @property
    def label(self) -> str:
        return f"{self.port or 'emulated'}#{self.address}"


@dataclass(frozen=True)
class SignageSettings(DeviceSettings):
    # hall, device, role, window, [broker]: DeviceSettings (written by `hall device add`)
    hall: str = "hall"
    device: str = "wall-1"
    role: str = "wall"
    # -- the wall ----------------------------------------------------------------------
    hall_name: str = ""               # "" = the hall name from the catalog index
    resolution: tuple[int, ...] = (1920, 1080)
    rotation: int = 0
    fullscreen: bool = True
    timezone: str = "Asia/Shanghai"
    font: str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    idle_message: str = "请留意叫号，过号请重新取号。办事指南可在自助机查询打印。"
    call_highlight_s: float = 8.0
    call_min_turn_s: float = 3.0
    page_s: float = 10.0
    screenshot_dir: str = ""          # offscreen: where screenshots go ("" = a temp dir, named in the log)
    screenshot_interval_s: float = 60.0
    screenshot_keep: int = 10
    # -- window bars -------------------------------------------------------------------
    bars: tuple[BarSettings, ...] = ()
    emulate_bars: str = ""            # a folder: bars become pty emulators writing PNG + text there
    bar_idle_text: str = "欢迎办理"
    bar_call_hold_s: float = 30.0
    bar_refresh_s: float = 60.0
    # -- voice -------------------------------------------------------------------------
    voice: bool = True
    volume: float = 0.8
    quiet_hours: tuple[str, ...] = ()  # e.g. ("12:00-13:30",): no voice, calls still shown
    clip_dir: str = "/var/lib/hall/voice"
    voice_repeats: int = 1
    # -- node --------------------------------------------------------------------------
    health_interval_s: float = 60.0
    state_dir: str = "/var/lib/hall/signage"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ConfigError(f"role {self.role!r}: a signage node is 'wall' or 'bar'")
        if self.rotation not in ROTATIONS:
            raise ConfigError(f"rotation {self.rotation}: use 0, 90, 180 or 270")
        if len(self.resolution) != 2 or min(self.resolution) < 64:
            raise ConfigError(f"resolution {self.resolution}: give [width, height], e.g. [1920, 1080]")
        if not 0.0 <= self.volume <= 1.0:
            raise ConfigError(f"volume {self.volume}: use 0.0 (silent) to 1.0")
        if self.page_s < 3 or self.call_highlight_s < 1 or self.call_min_turn_s < 1:
            raise ConfigError("page_s must be >= 3 s and call_highlight_s, call_min_turn_s >= 1 s "
                              "so people can read them")
        for span in self.quiet_hours:
            if not _SPAN.match(span):
                raise ConfigError(f"quiet_hours: {span!r} is not 'HH:MM-HH:MM'")

    def quiet_spans(self) -> tuple[tuple[int, int], ...]:
        """Quiet hours as (start, end) minutes after midnight; end < start wraps midnight."""
        spans = []
        for span in self.quiet_hours:
            h1, m1, h2, m2 = (int(x) for x in _SPAN.match(span).groups())
            spans.append((h1 * 60 + m1, h2 * 60 + m2))
        return tuple(spans)
