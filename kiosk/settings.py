"""Settings of a kiosk (取号机): the device file ``hall device add`` writes, plus kiosk options.

The credentials file works as is; everything else has a default::

    hall = "demo"
    device = "kiosk-1"
    role = "kiosk"
    window = ""

    [broker]                       # protocol.connection.BrokerSettings
    host = "192.168.1.2"
    port = 8883
    username = "kiosk-1"
    password = "..."

    orientation = "portrait"       # or "landscape"
    popular_items = ["SCJ-001", "GA-003"]
    help_text = "请到一楼大厅咨询台（导办台）找工作人员"

    [printer]
    kind = "usb"                   # usb / serial / network / file / dummy / emulator
    paper_width_mm = 80
    options = { vendor_id = "0x0416", product_id = "0x5011" }

    [gpio]
    take_pin = 16                  # 0 = no physical button
    take_item = "SCJ-001"

Loaded with :func:`hallcore.settings.load` (so ``HALL_ORIENTATION=landscape`` or
``HALL_PRINTER__KIND=dummy`` override the file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hallcore.errors import ConfigError
from protocol.connection import DeviceSettings
from protocol.models import LANGUAGES

ORIENTATIONS = ("portrait", "landscape")
PRINTER_KINDS = ("usb", "serial", "network", "file", "dummy", "emulator")


@dataclass(frozen=True)
class PrinterSettings:
    """The ticket printer (see docs/hardware.md for each kind's options)."""

    kind: str = "emulator"
    paper_width_mm: int = 58           # 58 mm = 32 columns, 80 mm = 48 columns
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> int:
        return 48 if self.paper_width_mm >= 76 else 32


@dataclass(frozen=True)
class GpioSettings:
    """Optional hardware on the Pi's header (BCM numbers; 0 = not fitted)."""

    take_pin: int = 0                  # a "take a number" push button, between the pin and GND
    take_item: str = ""                # the item that button takes a number for
    debounce_s: float = 0.3
    status_led_pin: int = 0            # lit = ready, blinking = cannot issue (offline / no paper)
    pin_factory: str = ""              # "" = gpiozero's default; "mock" = emulated pins


@dataclass(frozen=True)
class KioskSettings(DeviceSettings):
    # hall, device, role, window, [broker]: DeviceSettings (written by `hall device add`)
    role: str = "kiosk"
    # -- screen ---------------------------------------------------------------------------
    hall_name: str = ""                # "" = the name in the catalog index
    orientation: str = "portrait"
    fullscreen: bool = True
    window_size: str = ""              # "1080x1920"; "" = from the orientation (offscreen) or the display
    language: str = "zh"               # what a new visitor sees first
    idle_timeout_s: float = 60.0       # back to Home, entered data cleared
    elderly_idle_timeout_s: float = 180.0
    popular_items: tuple[str, ...] = ()  # item ids on Home; empty = the first items of the catalog
    help_text: str = "请到一楼大厅咨询台找工作人员帮助"
    help_text_en: str = "Please ask the staff at the information desk on the ground floor"
    # -- behaviour ------------------------------------------------------------------------
    request_timeout_s: float = 8.0     # a ticket request is re-sent with the same id until then
    backend_retry_s: float = 30.0      # after a timeout, number-taking pauses this long (unless the backend speaks)
    health_interval_s: float = 60.0
    paper_poll_s: float = 30.0
    # -- hardware and files ---------------------------------------------------------------
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    gpio: GpioSettings = field(default_factory=GpioSettings)
    data_dir: str = ""                 # "" = $STATE_DIRECTORY (systemd) or ./var/kiosk-<device>
    screenshot_dir: str = ""           # offscreen runs; "" = <data_dir>/screenshots
    screenshot_interval_s: float = 10.0

    def check(self) -> "KioskSettings":
        """Raise ConfigError naming the field when the settings cannot work."""
        if self.role != "kiosk":
            raise ConfigError(f"role is {self.role!r}: this settings file is not a kiosk's (use `hall "
                              "device add ID --role kiosk`)")
        if not self.device:
            raise ConfigError("device is empty: use the settings file `hall device add` wrote")
        if self.orientation not in ORIENTATIONS:
            raise ConfigError(f"orientation must be one of {', '.join(ORIENTATIONS)}, not {self.orientation!r}")
        if self.language not in LANGUAGES:
            raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not {self.language!r}")
        if self.printer.kind not in PRINTER_KINDS:
            raise ConfigError(f"printer.kind must be one of {', '.join(PRINTER_KINDS)}, not {self.printer.kind!r}")
        for name in ("idle_timeout_s", "elderly_idle_timeout_s", "request_timeout_s", "health_interval_s",
                     "paper_poll_s", "screenshot_interval_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be more than 0")
        if self.elderly_idle_timeout_s < self.idle_timeout_s:
            raise ConfigError("elderly_idle_timeout_s must not be shorter than idle_timeout_s")
        if self.window_size:
            self.size()
        if self.gpio.take_pin and not self.gpio.take_item:
            raise ConfigError("gpio.take_pin is set but gpio.take_item is empty: name the item the button takes")
        return self

    def size(self) -> tuple[int, int]:
        """The window size in pixels."""
        if not self.window_size:
            return (720, 1280) if self.orientation == "portrait" else (1280, 720)
        try:
            width, height = (int(part) for part in self.window_size.lower().split("x"))
        except ValueError:
            raise ConfigError(f"window_size must look like 1080x1920, not {self.window_size!r}") from None
        if width < 320 or height < 320:
            raise ConfigError(f"window_size {self.window_size} is too small (at least 320x320)")
        return width, height

    def data_path(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir)
        state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
        return Path(state) if state else Path("var") / f"kiosk-{self.device or 'dev'}"

    def catalog_path(self) -> Path:
        """Where the last complete catalog is kept (read at start, so a reboot offline still has it)."""
        return self.data_path() / "catalog.json"

    def printout_path(self) -> Path:
        """Where the emulated printer writes what it would print (.bin + .png)."""
        return self.data_path() / "printouts"

    def screenshot_path(self) -> Path:
        return Path(self.screenshot_dir) if self.screenshot_dir else self.data_path() / "screenshots"
