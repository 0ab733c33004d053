"""A hall for the queue benchmarks: a Mosquitto from ``hall broker config`` on a free port, a
database with a one-queue catalog and the devices registered, and ``python -m backend`` as its
own process (as in production: the clients do not share its interpreter).

Used by bench_tickets.py and bench_calls.py; not a test.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.app import build  # noqa: E402
from backend.catalog import service as catalog_service  # noqa: E402
from backend.catalog.model import Catalog, HallInfo  # noqa: E402
from backend.registry import upsert_device  # noqa: E402
from backend.settings import BackendSettings, QueueRules  # noqa: E402
from protocol.fakebus import FakeBroker, FakeBus  # noqa: E402
from protocol.models import Department, Queue, Window  # noqa: E402
from tests.support.broker import Broker  # noqa: E402  (the project's broker helper)



HALL = "bench"


#: The bench hall's queues (A … J); window w1 serves the first.
QUEUE_IDS = tuple(f"q{letter}" for letter in "abcdefghij")


def catalog() -> Catalog:
    queues = tuple(Queue(id=q, prefix=q[1].upper(), name=f"业务{q[1].upper()}") for q in QUEUE_IDS)
    return Catalog(hall=HallInfo(name="基准测试大厅"), departments=(Department(id="d1", name="综合"),),
                   queues=queues, windows=(Window(id="w1", number=1, name="1号窗口", queues=("qa",)),))


def prepare(directory: Path, devices: list[tuple[str, str, str]]) -> BackendSettings:
    """Write the backend's database: catalog and device registry (what an installer does once)."""
    settings = BackendSettings(hall=HALL, data_dir=str(directory), queue=QueueRules(check_interval_s=0,
                                                                                  long_queue=0))
    backend = build(settings, FakeBus(FakeBroker(), HALL, client_id="setup"))
    catalog_service.run(backend.engine, None, lambda conn: catalog_service.apply_import(
        conn, catalog(), backend.executor.topics))
    with backend.engine.begin() as conn:
        for device, role, window in devices:
            upsert_device(conn, device, role, window or None)
    backend.stop()
    return settings


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process *pid* has used so far (Linux /proc); 0.0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime, stime


class StealMeter:
    """The share of CPU time the hypervisor took from this VM (``steal`` in /proc/stat) between
    :meth:`start` and :meth:`share`: on a shared VM the figures move with it."""

    def __init__(self):
        self.start()

    @staticmethod
    def _read() -> tuple[int, int]:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return 0, 0
        return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])

    def start(self) -> None:
        self._steal, self._total = self._read()

    def share(self) -> float:
        steal, total = self._read()
        return (steal - self._steal) / max(total - self._total, 1)


@contextmanager
def running_hall(devices: list[tuple[str, str, str]]):
    """Yield (broker, data directory, backend's pid) with the backend process running; everything
    stopped after."""
    with tempfile.TemporaryDirectory(prefix="hall-bench-", dir=os.environ.get("BENCH_DIR")) as tmp:
        directory = Path(tmp)
        broker = Broker.provision(directory / "broker", devices=devices, hall=HALL).start()
        prepare(directory, devices)
        creds = broker.credentials("backend")["broker"]
        config = directory / "backend.toml"
        config.write_text(
            f'hall = "{HALL}"\ndata_dir = "{directory}"\n\n[broker]\nhost = "{creds["host"]}"\n'
            f'port = {creds["port"]}\nusername = "backend"\npassword = "{creds["password"]}"\n\n'
            '[queue]\ncheck_interval_s = 0\nlong_queue = 0\n', encoding="utf-8")
        log = open(directory / "backend.log", "wb")
        command = [sys.executable, "-m", "backend"]
        if os.environ.get("BENCH_PROFILE"):
            command = [sys.executable, str(ROOT / "bench" / "profile_backend.py")]
        proc = subprocess.Popen(command + ["--config", str(config), "--no-web"],
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            yield broker, directory, proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
            broker.stop()
            if os.environ.get("BENCH_BACKEND_LOG"):  # keep the backend's log for a look afterwards
                shutil.copy(directory / "backend.log", os.environ["BENCH_BACKEND_LOG"])


def wait_for_backend(bus, request_factory, timeout: float = 30.0) -> None:
    """Send a request until the backend answers (it takes a moment to start)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            bus.request(request_factory(), timeout=2, attempt_timeout=2)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise


def durable_commits_per_s(directory: Path, seconds: float = 0.5) -> float:
    """What the disk allows right now: bare SQLite commits/s (WAL, synchronous=FULL), for context."""
    import sqlite3

    conn = sqlite3.connect(directory / "fsync-probe.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (v) VALUES (?)", ("x" * 200,))
        conn.execute("COMMIT")
        count += 1
    conn.close()
    return count / (time.perf_counter() - start)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]
