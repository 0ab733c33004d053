"""Backend settings: defaults here, then ``--config`` TOML, then ``HALL_...`` variables."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol.connection import BrokerSettings

from .monitor.settings import MonitorSettings


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: str = ""          # empty: generated once and kept in data_dir/secret_key
    session_hours: int = 12


@dataclass(frozen=True)
class QueueRules:
    """Rules of the queue engine (README: "Queue rules")."""

    max_priority_in_row: int = 3      # after this many priority calls a window takes an ordinary ticket
    recall_limit: int = 3             # recalls after the first call; one more makes the ticket a no-show
    appointment_priority: str = "appointment"
    default_service_min: float = 5.0  # per-ticket estimate before any ticket has been served today
    recent_services: int = 20         # services averaged for the estimate
    long_wait_min: float = 30.0       # early warning thresholds (预警)
    long_service_min: float = 30.0
    long_queue: int = 30
    ignore_hours: bool = False        # demo halls (`hall run`): tickets at any hour, any day
    check_interval_s: float = 30.0    # periodic day rollover and time-based warnings; 0 = only on changes


@dataclass(frozen=True)
class BackendSettings:
    hall: str = "demo"
    hall_name: str = "示例市政务服务中心"
    timezone: str = "Asia/Shanghai"
    data_dir: str = "var"
    database_url: str = ""            # empty: sqlite:///<data_dir>/hall.db (SQLite only: see backend/db.py)
    public_url: str = "http://127.0.0.1:8080"  # printed in ticket QR codes
    recent_calls: int = 10
    checkpoint_interval_s: float = 0.2  # WAL checkpoints on a thread of their own (backend/checkpointer.py); 0 = inline
    broker: BrokerSettings = field(default_factory=lambda: BrokerSettings(username="backend"))
    web: WebSettings = field(default_factory=WebSettings)
    queue: QueueRules = field(default_factory=QueueRules)
    monitor: MonitorSettings = field(default_factory=MonitorSettings)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir}/hall.db"
