"""``python -m signage --config FILE [--role wall|bar]``: wire the parts from settings and run.

- role ``wall``: the Kivy wall, the voice and any bars listed in ``bars``;
- role ``bar``: only the bars (no Kivy, no voice); with no ``bars`` table,
  one bar on /dev/ttyUSB0 for the node's own ``window``.

With no display (no $DISPLAY / $WAYLAND_DISPLAY and no /dev/dri), or with
``--offscreen``, the wall renders offscreen and writes screenshots to the
folder it names in the log.  ``emulate_bars = DIR`` (or ``--emulate-bars``)
replaces the serial bars by pty emulators that write ``bar-*.png`` and
``bar-*.txt`` into DIR.  ``--demo`` runs against a simulated hall (no broker).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from hallcore.errors import HallError
from hallcore.settings import load

from .clock import SystemClock
from .settings import BarSettings, SignageSettings

log = logging.getLogger("signage")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m signage", description="OneStop Hall signage node "
                                     "(LED wall, window LED bars, voice call)")
    parser.add_argument("--config", help="settings TOML (the device file `hall device add` writes works)")
    parser.add_argument("--role", choices=("wall", "bar"), help="override the role in the settings")
    parser.add_argument("--offscreen", action="store_true", help="render without a display; write screenshots")
    parser.add_argument("--screenshot-dir", help="where offscreen screenshots go")
    parser.add_argument("--emulate-bars", metavar="DIR", help="emulate the bars; write their PNG/text here")
    parser.add_argument("--demo", action="store_true", help="show a simulated hall (no broker needed)")
    parser.add_argument("--log-level", default="INFO")
    return parser


def usable_dir(path: str, purpose: str) -> Path:
    """*path* created if needed, else a temporary folder (logged): a dev run must not need root."""
    try:
        target = Path(path)
        target.mkdir(parents=True, exist_ok=True)
        if os.access(target, os.W_OK):
            return target
    except OSError:
        pass
    fallback = Path(tempfile.mkdtemp(prefix=f"hall-{purpose}-"))
    log.warning("%s folder %s is not writable; using %s", purpose, path, fallback)
    return fallback


def has_display() -> bool:
    if os.environ.get("SDL_VIDEODRIVER") == "offscreen":
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or (Path("/dev/dri").is_dir() and any(Path("/dev/dri").glob("card*"))))


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m signage`` and ``hall signage``; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides = {}
    if args.role:
        overrides["role"] = args.role
    if args.emulate_bars:
        overrides["emulate_bars"] = args.emulate_bars
    if args.screenshot_dir:
        overrides["screenshot_dir"] = args.screenshot_dir
    try:
        settings = load(SignageSettings, args.config, overrides=overrides)
    except HallError as exc:
        log.error("%s", exc)
        return 2
    if settings.role == "bar" and not settings.bars:
        settings = replace(settings, bars=(BarSettings(port="/dev/ttyUSB0", window=settings.window),))
        log.info("role bar without a [[bars]] table: one bar on /dev/ttyUSB0")
    try:
        return Run(settings, demo=args.demo, offscreen=args.offscreen or not has_display()).run()
    except HallError as exc:
        log.error("%s", exc)
        return 1


class Run:
    """One process: the bus, the bars, and (role wall) the voice and the Kivy wall."""

    def __init__(self, settings: SignageSettings, *, demo: bool = False, offscreen: bool = False):
        self.settings = settings
        self.demo = demo
        self.offscreen = offscreen
        self.clock = SystemClock(settings.timezone)
        self.stop_event = threading.Event()
        self.emulators: list = []
        self.bars: list = []
        self.pool = None
        self.started = threading.Event()

    # -- parts ------------------------------------------------------------------------
    def make_bus(self):
        s = self.settings
        if not self.demo:
            from protocol.client import MqttBus

            return MqttBus(s.broker, s.hall, device=s.device)
        from protocol.fakebus import FakeBroker, FakeBus

        from .demo import DemoHall, run_morning

        broker = FakeBroker()
        backend = FakeBus(broker, s.hall, client_id="demo-backend").start()
        hall = DemoHall(backend, self.clock)
        hall.publish_all()
        for queue in hall.queues:
            hall.issue(queue, 4)
        threading.Thread(target=run_morning, args=(hall, self.stop_event), name="demo-hall", daemon=True).start()
        log.info("demo: a simulated hall calls a number every few seconds")
        return FakeBus(broker, s.hall, device=s.device)

    def make_bars(self) -> list:
        from .bars import BarWorker, PortPool

        s = self.settings
        self.pool = PortPool()
        out = usable_dir(s.emulate_bars, "bars") if s.emulate_bars else None
        workers = []
        for number, cfg in enumerate(s.bars, start=1):
            name = f"{number:02d}-{cfg.window or s.window or 'node'}"
            emulator = None
            if out is not None:
                from hardware.ledbar import EmulatedLedBar

                emulator = EmulatedLedBar(address=cfg.address, width=cfg.width, height=cfg.height).start()
                self.emulators.append(emulator)
                log.info("bar %s emulated on %s: output %s/bar-%s.png and .txt", name, emulator.port, out, name)
            workers.append(BarWorker(cfg, self.pool, self.clock, window=s.window, hold_s=s.bar_call_hold_s,
                                     idle_text=s.bar_idle_text, refresh_s=s.bar_refresh_s, emulator=emulator,
                                     output_dir=out, name=name))
        return workers

    def make_voice(self):
        s = self.settings
        if not s.voice or s.role != "wall":
            return None
        from .voice import VoiceError, VoiceQueue, generate_clips, missing_clips
        from .voice.kivy_player import KivyPlayer

        clip_dir = usable_dir(s.clip_dir, "voice")
        if missing_clips(clip_dir):
            try:
                generate_clips(clip_dir)
            except (VoiceError, OSError) as exc:
                log.error("voice off: %s", exc)
                return None
        work = usable_dir(os.path.join(s.state_dir, "voice"), "voice-work")
        return VoiceQueue(clip_dir, KivyPlayer(), self.clock, work_dir=work, volume=s.volume,
                          quiet_spans=s.quiet_spans(), repeats=s.voice_repeats)

    # -- running -----------------------------------------------------------------------
    def run(self) -> int:
        from .node import SignageNode

        bus = self.make_bus()
        bars = self.bars = self.make_bars()
        catalog = usable_dir(self.settings.state_dir, "state") / "catalog.json"
        try:
            if self.settings.role == "wall":
                return self._run_wall(bus, bars, catalog)
            node = SignageNode(self.settings, bus, self.clock, bars=bars, catalog_file=catalog)
            return self._run_headless(node)
        finally:
            self.stop_event.set()
            if self.pool is not None:
                self.pool.close()
            for emulator in self.emulators:
                emulator.stop()

    def _run_headless(self, node) -> int:
        from hallcore import systemd as sdnotify

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stop_event.set())
        node.start()
        self.started.set()
        sdnotify.notify("READY=1")
        interval = sdnotify.watchdog_interval_s() or 3600.0
        while not self.stop_event.wait(interval):
            sdnotify.notify("WATCHDOG=1")
        node.stop()
        return 0

    def _run_wall(self, bus, bars, catalog) -> int:
        s = self.settings
        self._configure_kivy()
        from .node import SignageNode
        from .wall.fonts import use_cjk_font
        from .wallmodel import WallModel

        use_cjk_font(s.font)
        from .wall.app import WallApp

        model = WallModel(self.clock, hall_name=s.hall_name, idle_message=s.idle_message,
                          hold_s=s.call_highlight_s, min_turn_s=s.call_min_turn_s, page_s=s.page_s)
        node = SignageNode(s, bus, self.clock, wall=model, voice=self.make_voice(), bars=bars,
                           catalog_file=catalog)
        shots = None
        if self.offscreen:
            shots = Path(s.screenshot_dir) if s.screenshot_dir else Path(tempfile.mkdtemp(prefix="hall-wall-"))
            shots = usable_dir(str(shots), "screenshots")
        WallApp(node, model, rotation=s.rotation, screenshot_dir=shots,
                screenshot_interval_s=s.screenshot_interval_s, screenshot_keep=s.screenshot_keep).run()
        return 0

    def _configure_kivy(self) -> None:
        """Kivy reads its environment and graphics config when first imported: set them first."""
        s = self.settings
        os.environ.setdefault("KIVY_NO_ARGS", "1")
        os.environ.setdefault("KIVY_HOME", str(usable_dir(os.path.join(s.state_dir, "kivy"), "kivy")))
        if self.offscreen:
            os.environ["SDL_VIDEODRIVER"] = "offscreen"
            os.environ.pop("DISPLAY", None)
        from kivy.config import Config

        width, height = s.resolution  # the panel's own mode; rotation turns the content (on_start)
        Config.set("graphics", "width", str(width))
        Config.set("graphics", "height", str(height))
        Config.set("graphics", "fullscreen", "auto" if s.fullscreen and not self.offscreen else "0")
        Config.set("kivy", "exit_on_escape", "0")
        if self.offscreen:  # nobody watches: software rendering at 60 fps would take a whole core
            Config.set("graphics", "maxfps", "4")
