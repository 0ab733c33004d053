"""``hall run``: the whole hall on one machine (what ``make run`` starts).

Provisions, once, under the hall home (``var/``): a broker on a loopback port,
the devices of a small hall, the backend settings, two console logins and the
sample catalog. Then it starts Mosquitto, the backend, one emulated kiosk and
one wall (with an emulated window bar and the voice) as child processes and
stops them all on Ctrl-C. Child output goes to ``var/logs/``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

from .provision import HallBroker, add_device, broker_config

HALL_ID = "demo"
SAMPLE_CATALOG = Path(__file__).resolve().parent.parent / "sample" / "catalog.yaml"
#: The small hall: (device id, role, window)
DEVICES = (
    ("kiosk-1", "kiosk", ""),
    ("wall-1", "wall", ""),
    ("keypad-1", "keypad", "w01"),   # window ids of sample/catalog.yaml
    ("eval-1", "evaluator", "w01"),
    ("visitor-sim", "kiosk", ""),  # demo traffic (hall run --traffic)
)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def node_settings(credentials: Path, out: Path, extra: dict) -> Path:
    """A node's settings file: its credentials plus *extra* keys (flat or one-level tables)."""
    text = credentials.read_text(encoding="utf-8")
    def is_table_list(v):
        return isinstance(v, (list, tuple)) and v and all(isinstance(x, dict) for x in v)

    plain = {k: v for k, v in extra.items() if not isinstance(v, dict) and not is_table_list(v)}
    tables = {k: v for k, v in extra.items() if isinstance(v, dict)}
    table_lists = {k: v for k, v in extra.items() if is_table_list(v)}
    head, sep, rest = text.partition("\n[")
    lines = [head.rstrip()] + [f"{k} = {_toml_value(v)}" for k, v in plain.items()]
    body = "\n".join(lines) + "\n"
    if sep:
        body += "\n[" + rest
    for table, values in tables.items():
        body += f"\n[{table}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in values.items())
    for table, rows in table_lists.items():
        for values in rows:
            body += f"\n[[{table}]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in values.items())
    out.write_text(body, encoding="utf-8")
    out.chmod(0o600)
    tomllib.loads(body)  # fail here, not in the child, if it is not valid TOML
    return out


def provision(home: Path, port: int) -> dict:
    """Everything the hall needs on disk; idempotent. Returns the paths and logins."""
    home.mkdir(parents=True, exist_ok=True)
    broker_dir = home / "broker"
    existing = HallBroker.load(broker_dir) if (broker_dir / "hall.json").exists() else None
    broker_config(broker_dir, hall=HALL_ID, port=port)
    known = {d.id for d in existing.devices} if existing and existing.port == port else set()
    for device, role, window in DEVICES:
        if device not in known or not (broker_dir / "credentials" / f"{device}.toml").exists():
            add_device(broker_dir, device, role, window)
    creds = broker_dir / "credentials"
    backend_toml = node_settings(creds / "backend.toml", home / "backend.toml", {
        "data_dir": str(home.resolve()),
        "web": {"host": "127.0.0.1", "port": int(os.environ.get("HALL_WEB_PORT", "8080"))},
        # a demo should take numbers whenever it is run, Sunday night included
        "queue": {"ignore_hours": os.environ.get("HALL_REAL_HOURS", "") != "1"},
    })

    from backend.db import init_db, make_engine
    from backend.registry import upsert_device
    from backend.settings import BackendSettings
    from backend.web.users import add_user, get_user
    from hallcore.settings import load

    settings = load(BackendSettings, backend_toml, environ={})
    engine = make_engine(settings.db_url)
    init_db(engine)
    logins_path = home / "logins.json"
    logins = json.loads(logins_path.read_text()) if logins_path.exists() else {}
    with engine.begin() as conn:
        for device, role, window in DEVICES:
            upsert_device(conn, device, role, window or None, device)
        for username, role, name, post in (("admin", "admin", "管理员", "中心管理员"),
                                           ("staff1", "staff", "王芳", "综合窗口受理员")):
            if username not in logins or get_user(conn, username) is None:
                logins[username] = secrets.token_urlsafe(9)
                add_user(conn, username, logins[username], role, name, post)
    logins_path.write_text(json.dumps(logins, indent=2))
    logins_path.chmod(0o600)
    _load_sample_catalog(engine)
    engine.dispose()
    from signage.voice import generate_clips

    generate_clips(home / "clips")  # writes only missing clips: a hall's own recordings are kept
    return {"broker_dir": broker_dir, "backend": backend_toml, "logins": logins, "settings": settings}


def _load_sample_catalog(engine) -> None:
    from backend.catalog import store
    from backend.catalog.cli import cli_import

    with engine.connect() as conn:
        if store.list_queues(conn):
            return
    if cli_import(engine, SAMPLE_CATALOG, False) != 0:
        raise SystemExit(f"the sample catalog {SAMPLE_CATALOG} did not import")


class Children:
    """The hall's processes; any that dies is reported; all stop together."""

    def __init__(self, logs: Path):
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                start_new_session=True)
        log.close()
        self.procs.append((name, proc))
        print(f"  started {name:8} pid {proc.pid}  log {self.logs / (name + '.log')}")
        return proc

    def dead(self) -> list[tuple[str, int]]:
        return [(name, p.returncode) for name, p in self.procs if p.poll() is not None]

    def stop(self) -> None:
        """Newest first, each waited for, so the broker goes last and nodes leave cleanly."""
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_port(port: int, timeout: float = 10) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the broker did not listen on port {port}; see its log")


def run_hall(home: Path, *, port: int = 18830, headless: bool = False, duration: float = 0,
             traffic: bool = False) -> int:
    print(f"OneStop Hall: provisioning {home.resolve()} ...")
    state = provision(home, port)
    broker_dir: Path = state["broker_dir"]
    creds = broker_dir / "credentials"
    nodes = home / "nodes"
    nodes.mkdir(exist_ok=True)
    out = home / "output"
    kiosk_toml = node_settings(creds / "kiosk-1.toml", nodes / "kiosk-1.toml", kiosk_extra(home, out))
    wall_toml = node_settings(creds / "wall-1.toml", nodes / "wall-1.toml", wall_extra(home, out))
    env = {}
    if headless or not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        env = {"SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1"}
    children = Children(home / "logs")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        children.start("broker", [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c",
                                  str(broker_dir / "mosquitto.conf")])
        _wait_port(port)
        py = sys.executable
        children.start("backend", [py, "-m", "backend", "--config", str(state["backend"])])
        children.start("kiosk", [py, "-m", "kiosk", "--config", str(kiosk_toml)], env)
        children.start("signage", [py, "-m", "signage", "--config", str(wall_toml)], env)
        if traffic:
            children.start("traffic", [py, "-m", "hall.traffic", "--kiosk", str(creds / "visitor-sim.toml"),
                                       "--keypad", str(creds / "keypad-1.toml")])
        web = state["settings"].web
        print(f"\nThe hall is running (broker 127.0.0.1:{port}).")
        print(f"  consoles:  http://{web.host}:{web.port}/   logins in {home / 'logins.json'}")
        for user, password in state["logins"].items():
            print(f"             {user} / {password}")
        if env:
            print(f"  no display: screenshots and printed tickets go to {out}")
        print("  Ctrl-C stops everything.\n")
        deadline = time.monotonic() + duration if duration else None
        while not stop.wait(1):
            dead = children.dead()
            if dead:
                for name, code in dead:
                    print(f"{name} exited with {code}; see {home / 'logs' / (name + '.log')}")
                return 1
            if deadline and time.monotonic() > deadline:
                break
        return 0
    finally:
        print("stopping the hall ...")
        children.stop()


def kiosk_extra(home: Path, out: Path) -> dict:
    """Settings the demo kiosk needs beyond its credentials (see kiosk/settings.py)."""
    return {"data_dir": str((home / "kiosk-1").resolve()), "screenshot_dir": str((out / "kiosk").resolve()),
            "popular_items": ["SCJ-001", "GAJ-001", "GAJ-003", "MZJ-003"]}


def wall_extra(home: Path, out: Path) -> dict:
    """Settings the demo wall needs beyond its credentials (see signage/settings.py)."""
    windowed = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return {
        "fullscreen": False, "resolution": [1280, 720] if windowed else [1920, 1080],
        "screenshot_dir": str((out / "wall").resolve()), "screenshot_interval_s": 15,
        "emulate_bars": str((out / "bars").resolve()),
        "clip_dir": str((home / "clips").resolve()), "state_dir": str((home / "wall-1").resolve()),
        "bars": [{"window": "w01", "address": 1}, {"window": "w02", "address": 2}],
    }
