"""``hall``: one command for provisioning, administration and running the services.

Paths default to the hall home, ``$HALL_HOME`` or ``./var``: the broker in
``var/broker``, the backend settings in ``var/backend.toml``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from hallcore.errors import HallError

SERVICES = {
    "backend": "backend.app:main",
    "kiosk": "kiosk.app:main",
    "signage": "signage:main",
    "counter": "counter.app:main",
}


def home() -> Path:
    return Path(os.environ.get("HALL_HOME", "var"))


def default_broker_dir() -> Path:
    return home() / "broker"


def default_backend_config() -> str | None:
    path = home() / "backend.toml"
    return str(path) if path.exists() else None


def _backend(args) -> "object":
    """The backend settings and engine named by --config (for the database commands)."""
    from backend.db import init_db, make_engine
    from backend.settings import BackendSettings
    from hallcore.settings import load

    settings = load(BackendSettings, args.config or default_backend_config())
    engine = make_engine(settings.db_url)
    init_db(engine)
    return settings, engine


# -- broker and devices ---------------------------------------------------------------
def cmd_broker_config(args) -> int:
    from .provision import broker_config

    broker = broker_config(Path(args.out), hall=args.hall, port=args.port, bind=args.bind, user=args.user,
                           tls_port=args.tls_port, tls_cert=args.tls_cert, tls_key=args.tls_key)
    print(f"broker configuration for hall {broker.hall!r} written to {Path(args.out).resolve()}")
    print(f"start it with: mosquitto -c {Path(args.out).resolve() / 'mosquitto.conf'}")
    return 0


def cmd_device_add(args) -> int:
    from backend.registry import upsert_device

    from .provision import add_device

    creds = add_device(Path(args.broker_dir), args.id, args.role, args.window or "", host=args.host)
    if not args.no_registry:
        _settings, engine = _backend(args)
        with engine.begin() as conn:
            upsert_device(conn, args.id, args.role, args.window or None, args.name or "", args.language)
        engine.dispose()
    print(f"device {args.id} ({args.role}) provisioned; credentials: {creds}")
    return 0


def cmd_device_set(args) -> int:
    """Change a registered device's config (not its credentials); the backend publishes it within a tick."""
    from backend.registry import set_device_language

    _settings, engine = _backend(args)
    language = "" if args.language == "own" else args.language
    with engine.begin() as conn:
        found = set_device_language(conn, args.id, language)
    engine.dispose()
    if not found:
        print(f"hall device set: no device {args.id!r} in the registry (hall device add)")
        return 2
    print(f"device {args.id}: language {language or 'its own setting'}")
    return 0


def cmd_user_add(args) -> int:
    import getpass

    from backend.web.users import add_user

    password = args.password or os.environ.get("HALL_NEW_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    _settings, engine = _backend(args)
    with engine.begin() as conn:
        add_user(conn, args.username, password, args.role, args.name or "", args.post or "")
    engine.dispose()
    print(f"user {args.username} ({args.role}) saved")
    return 0


# -- catalog --------------------------------------------------------------------------
def cmd_catalog_import(args) -> int:
    from backend.catalog.cli import cli_import

    _settings, engine = _backend(args)
    return cli_import(engine, Path(args.file), args.dry_run)


def cmd_catalog_export(args) -> int:
    from backend.catalog.cli import cli_export

    _settings, engine = _backend(args)
    return cli_export(engine, args.format, args.out)


def cmd_appointment_add(args) -> int:
    from backend.queue.admin import cli_add_appointment

    _settings, engine = _backend(args)
    return cli_add_appointment(engine, args.code, args.target, args.date)


# -- services -------------------------------------------------------------------------
def run_service(name: str, argv: list[str]) -> int:
    module, _, attr = SERVICES[name].partition(":")
    return int(getattr(importlib.import_module(module), attr)(argv) or 0)


def cmd_run(args) -> int:
    from .run import run_hall

    return run_hall(home(), port=args.port, headless=args.headless, duration=args.duration, traffic=args.traffic)


def build_parser() -> argparse.ArgumentParser:
    from protocol.models.devices import DEVICE_ROLES, LANGUAGES

    parser = argparse.ArgumentParser(prog="hall", description="OneStop Hall: provision and run a service hall")
    sub = parser.add_subparsers(dest="command", required=True)

    broker = sub.add_parser("broker", help="the Mosquitto broker").add_subparsers(dest="broker_cmd", required=True)
    p = broker.add_parser("config", help="write a complete Mosquitto configuration")
    p.add_argument("--out", default=str(default_broker_dir()), help="directory to write (default: %(default)s)")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--hall", default="demo", help="hall id (topic prefix hall/<id>/)")
    p.add_argument("--user", default=None, help="user mosquitto drops to when started as root (default: you)")
    p.add_argument("--tls-port", type=int, default=0)
    p.add_argument("--tls-cert", default="")
    p.add_argument("--tls-key", default="")
    p.set_defaults(func=cmd_broker_config)

    device = sub.add_parser("device", help="devices").add_subparsers(dest="device_cmd", required=True)
    p = device.add_parser("add", help="provision a device: credentials, ACL, registry, credentials file")
    p.add_argument("id")
    p.add_argument("--role", required=True, choices=DEVICE_ROLES)
    p.add_argument("--window", default="", help="the window a bar, keypad or evaluator belongs to")
    p.add_argument("--name", default="")
    p.add_argument("--host", default=None, help="broker address written into the credentials file")
    p.add_argument("--broker-dir", default=str(default_broker_dir()))
    p.add_argument("--config", default=None, help="backend settings (for the device registry)")
    p.add_argument("--no-registry", action="store_true", help="only the broker side")
    p.add_argument("--language", default=None, choices=LANGUAGES,
                   help="a kiosk's first language for a new visitor (default: the kiosk's own setting)")
    p.set_defaults(func=cmd_device_add)
    p = device.add_parser("set", help="change a registered device's config (its credentials stay)")
    p.add_argument("id")
    p.add_argument("--language", required=True, choices=(*LANGUAGES, "own"),
                   help="a kiosk's first language for a new visitor; own: the kiosk's own setting")
    p.add_argument("--config", default=None, help="backend settings (for the device registry)")
    p.set_defaults(func=cmd_device_set)

    user = sub.add_parser("user", help="console users").add_subparsers(dest="user_cmd", required=True)
    p = user.add_parser("add", help="create or update an admin or window staff login")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["admin", "staff"])
    p.add_argument("--password", default=None, help="default: $HALL_NEW_PASSWORD or asked")
    p.add_argument("--name", default="", help="display name (shown at the window)")
    p.add_argument("--post", default="", help="post (岗位), shown at the window")
    p.add_argument("--config", default=None)
    p.set_defaults(func=cmd_user_add)

    catalog = sub.add_parser("catalog", help="the item catalog").add_subparsers(dest="catalog_cmd", required=True)
    p = catalog.add_parser("import", help="validate and import a catalog file (all or nothing)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--config", default=None)
    p.set_defaults(func=cmd_catalog_import)
    p = catalog.add_parser("export", help="export the catalog")
    p.add_argument("--format", default="yaml", choices=["yaml", "csv"])
    p.add_argument("--out", default="-")
    p.add_argument("--config", default=None)
    p.set_defaults(func=cmd_catalog_export)

    appointment = sub.add_parser("appointment", help="appointments (预约)").add_subparsers(
        dest="appointment_cmd", required=True)
    p = appointment.add_parser("add", help="book an appointment; the visitor checks in at a kiosk with the code")
    p.add_argument("code", help="4-32 letters or digits")
    p.add_argument("target", metavar="QUEUE_OR_ITEM")
    p.add_argument("date", help="YYYY-MM-DD")
    p.add_argument("--config", default=None)
    p.set_defaults(func=cmd_appointment_add)

    for name in SERVICES:
        p = sub.add_parser(name, help=f"run the {name} (options: hall {name} --help)", add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=lambda args, name=name: run_service(name, args.rest))

    p = sub.add_parser("run", help="run the whole hall on this machine")
    p.add_argument("--port", type=int, default=18830, help="broker port (default %(default)s)")
    p.add_argument("--headless", action="store_true", help="offscreen screens even with a display")
    p.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: until Ctrl-C)")
    p.add_argument("--traffic", action="store_true",
                   help="simulated visitors take numbers and window 1 calls them (a lively demo)")
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HallError as exc:
        print(f"hall: {exc}", file=sys.stderr)
        return 2
