"""Wiring the backend together, and running it (``python -m backend`` / ``hall backend``)."""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy.engine import Engine

from hallcore import settings as settings_loader
from hallcore.systemd import notify

from .bus_service import BusService
from .checkpointer import BACKSTOP_PAGES, WalCheckpointer
from .core import RequestExecutor
from .db import init_db, make_engine
from .publisher import Publisher
from .registry import RegistrySync
from .settings import BackendSettings

log = logging.getLogger(__name__)

#: Parts of the backend that register request handlers and state providers:
#: "module:function", each ``install(hall: Backend) -> None``.
INSTALLERS = (
    # -- catalog (issue 3) --
    "backend.catalog.service:install",
    # -- queue engine (issue 4) --
    "backend.queue.handlers:install",
    # -- announcements, device monitor --
    "backend.announce.service:install",
    "backend.monitor.service:install",
)


@dataclass
class Backend:
    """Everything the backend is made of, for the runner and for tests."""

    settings: BackendSettings
    engine: Engine
    bus: object
    publisher: Publisher
    executor: RequestExecutor
    service: BusService
    #: Called every few seconds by the runner (e.g. republish a catalog the CLI changed).
    periodic: list[Callable[[], object]] = field(default_factory=list)
    #: Called once on stop (timer threads).
    on_stop: list[Callable[[], object]] = field(default_factory=list)
    #: Checkpoints the WAL off the thread serving requests (None with ``checkpoint_interval_s = 0``).
    checkpointer: WalCheckpointer | None = None

    def start(self) -> "Backend":
        """Subscribe to requests and republish all retained state on every (re)connect; checkpoint
        the WAL on a thread of its own (``checkpoint_interval_s``)."""
        database = self.engine.url.database
        if self.settings.checkpoint_interval_s > 0 and database not in (None, "", ":memory:") \
                and self.checkpointer is None:
            self.checkpointer = WalCheckpointer(self.engine, self.settings.checkpoint_interval_s).start()
            self.executor.set_wal_autocheckpoint(BACKSTOP_PAGES)
            self.on_stop.append(self.checkpointer.stop)
        self.service.start()
        self.bus.on_connect(self.publisher.republish_all)
        self.bus.start()
        return self

    def run_periodic(self) -> None:
        for hook in self.periodic:
            try:
                hook()
            except Exception:
                log.exception("periodic task %r failed", hook)

    def stop(self) -> None:
        for hook in self.on_stop:
            hook()
        self.service.stop()
        self.bus.stop()
        self.executor.close()
        self.engine.dispose()


def build(settings: BackendSettings, bus, *, engine: Engine | None = None,
          clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> Backend:
    engine = engine or make_engine(settings.db_url)
    init_db(engine)
    publisher = Publisher(bus, engine)
    executor = RequestExecutor(settings, engine, publisher, clock)
    backend = Backend(settings, engine, bus, publisher, executor, BusService(bus, executor))
    registry = RegistrySync(engine, publisher, executor.topics)
    publisher.add_provider(registry.provider)
    backend.periodic.append(registry.check)
    for spec in INSTALLERS:
        module, _, attr = spec.partition(":")
        getattr(importlib.import_module(module), attr)(backend)
    return backend


def serve_web(backend: Backend) -> Callable[[], None]:
    """Start the consoles and the API in a thread; returns a function that stops them."""
    from werkzeug.serving import make_server

    from .web import create_app

    app = create_app(backend.settings, backend.engine, backend.publisher, backend.executor)
    server = make_server(backend.settings.web.host, backend.settings.web.port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="web", daemon=True)
    thread.start()
    log.info("consoles on http://%s:%s/", backend.settings.web.host, server.server_port)
    return server.shutdown


def settle_heap() -> None:
    """Take what start-up built (the catalog, the schema, the libraries: ~100,000 objects) out of
    the cyclic garbage collector's sight, as it lives as long as the process.

    Otherwise, every so often, a full collection walks all of it: 50-70 ms during which no
    request is served, the tail of the ticket latency (README, Benchmarks).  Objects made later
    are collected as usual; only a reference cycle among the frozen ones would never be freed.
    """
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hall backend", description="run the hall's backend")
    parser.add_argument("--config", help="settings file (TOML); HALL_... variables override it")
    parser.add_argument("--no-web", action="store_true", help="do not serve the consoles and API")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_loader.load(BackendSettings, args.config)

    from protocol.client import MqttBus

    bus = MqttBus(settings.broker, settings.hall, client_id=settings.broker.username or "backend")
    backend = build(settings, bus).start()
    stop_web = None if args.no_web else serve_web(backend)
    settle_heap()
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    notify("READY=1")
    while not stopping.wait(5):
        if bus.connected.is_set():
            backend.run_periodic()
            notify("WATCHDOG=1")
    if stop_web:
        stop_web()
    backend.stop()
    return 0
