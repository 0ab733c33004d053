"""``hall kiosk --config FILE`` / ``python -m kiosk --config FILE``: run a kiosk (取号机).

Loads the settings, connects to the broker (:class:`protocol.client.MqttBus`),
opens the printer (the emulator unless the settings name a real one), wires
the optional GPIO button and lamp, and runs the Kivy app.

Display: an explicit ``SDL_VIDEODRIVER`` wins (set ``kmsdrm`` on a Pi that
boots to the console); otherwise a window opens when ``DISPLAY`` or
``WAYLAND_DISPLAY`` is set, and without either the kiosk runs *offscreen*,
writing a screenshot every ``screenshot_interval_s`` and every printout as
PNG to folders it names in the log.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal

from hallcore import settings as settings_loader
from hallcore.errors import HallError
from hallcore.systemd import notify

from .settings import KioskSettings

log = logging.getLogger("kiosk")


def decide_offscreen(environ=os.environ, force: bool = False) -> bool:
    """True when there is no screen to draw on (see the module docstring)."""
    if force:
        return True
    driver = environ.get("SDL_VIDEODRIVER")
    if driver:
        return driver == "offscreen"
    return not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def prepare_kivy(settings: KioskSettings, offscreen: bool) -> None:
    """Environment and Config that Kivy reads once, before its window exists."""
    if offscreen:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")   # Kivy logs through our logging setup (journal)
    kivy_home = settings.data_path() / "kivy"
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(kivy_home))
    from kivy.config import Config

    width, height = settings.size()
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    fullscreen = settings.fullscreen and not offscreen
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")   # touch only
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if offscreen:  # nobody watches: software rendering at 60 fps would take a whole core
        Config.set("graphics", "maxfps", "4")


def model_options(settings: KioskSettings):
    from .model import Options

    return Options(language=settings.language, hall_name=settings.hall_name,
                   idle_timeout_s=settings.idle_timeout_s, elderly_idle_timeout_s=settings.elderly_idle_timeout_s,
                   popular_items=settings.popular_items, help_text=settings.help_text,
                   help_text_en=settings.help_text_en, backend_retry_s=settings.backend_retry_s)


def open_ticket_printer(settings: KioskSettings):
    from hardware.printer import TicketPrinter, open_printer

    options = dict(settings.printer.options)
    if settings.printer.kind == "emulator":
        options.setdefault("folder", str(settings.printout_path()))
        options.setdefault("columns", settings.printer.columns)
    return TicketPrinter(open_printer(settings.printer.kind, **options), width=settings.printer.columns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall kiosk", description="run a touchscreen kiosk (取号机)")
    parser.add_argument("--config", required=True, help="the device's settings file (from `hall device add`)")
    parser.add_argument("--offscreen", action="store_true", help="no window: screenshots and PNG printouts")
    parser.add_argument("--mock-pins", action="store_true", help="emulated GPIO pins")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (smoke runs)")
    args = parser.parse_args(argv)
    # before python-escpos is imported: it calls logging.basicConfig() itself
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        overrides = {"gpio": {"pin_factory": "mock"}} if args.mock_pins else None
        settings = settings_loader.load(KioskSettings, args.config, overrides=overrides).check()
        settings.data_path().mkdir(parents=True, exist_ok=True)
        offscreen = decide_offscreen(force=args.offscreen)
        prepare_kivy(settings, offscreen)
        printer = open_ticket_printer(settings)
    except (HallError, OSError) as exc:
        print(f"hall kiosk: {exc}")
        return 2
    return run(settings, printer, offscreen=offscreen, duration=args.duration)


def run(settings: KioskSettings, printer, *, offscreen: bool, duration: float = 0) -> int:
    from kivy.clock import Clock

    from protocol.client import MqttBus

    from .gpio import KioskGpio
    from .model import KioskModel
    from .node import KioskNode
    from .ui.capture import ScreenshotRecorder
    from .ui.kioskapp import KioskApp

    bus = MqttBus(settings.broker, settings.hall, device=settings.device)
    model = KioskModel(bus.topics, model_options(settings))
    node = KioskNode(bus, device=settings.device, model=model, printer=printer,
                     catalog_path=settings.catalog_path(), request_timeout_s=settings.request_timeout_s,
                     health_interval_s=settings.health_interval_s, paper_poll_s=settings.paper_poll_s,
                     printer_kind=settings.printer.kind)
    node.start()
    gpio = None
    if settings.gpio.take_pin or settings.gpio.status_led_pin:
        try:
            gpio = KioskGpio(node, settings.gpio)
        except Exception as exc:  # a missing GPIO chip must not take the touchscreen down
            log.error("GPIO not available (%s): the physical button and lamp are off", exc)
    app = KioskApp(node, landscape=settings.orientation == "landscape", on_tick=lambda: notify("WATCHDOG=1"))
    recorder = None
    if offscreen:
        recorder = ScreenshotRecorder(app, settings.screenshot_path(), settings.screenshot_interval_s)

        def start_recording(*_args) -> None:  # returns None: a true value would stop on_start's dispatch
            recorder.start()

        app.bind(on_start=start_recording)
        log.info("no display: running offscreen; screenshots every %gs in %s",
                 settings.screenshot_interval_s, settings.screenshot_path().resolve())
    if settings.printer.kind == "emulator":
        log.info("emulated printer: every ticket and checklist is written as PNG to %s",
                 settings.printout_path().resolve())
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: Clock.schedule_once(lambda _dt: app.stop(), 0))
    if duration:
        Clock.schedule_once(lambda _dt: app.stop(), duration)
    log.info("kiosk %s of hall %s starting (%s)", settings.device, settings.hall, settings.orientation)
    notify("READY=1")
    try:
        app.run()
    finally:
        if recorder is not None:
            recorder.capture()
            recorder.stop()
        if gpio is not None:
            gpio.close()
        node.stop()
        printer.close()
    return 0
