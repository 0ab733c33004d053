"""A small hall for the queue tests: three queues, three windows, a few items, a fake clock."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from backend.queue.engine import QueueEngine, Who
from backend.queue.memory import MemoryRepo, StaticCatalog
from backend.settings import QueueRules
from protocol.models import Item, Period, Queue, Window
from tests.support.fixtures import SettableClock

TZ = ZoneInfo("Asia/Shanghai")
#: Monday 6 May 2024, 09:00 in Shanghai.
MONDAY_9 = datetime(2024, 5, 6, 9, 0, tzinfo=TZ)

WEEKDAY_HOURS = (Period(start="08:30", end="12:00"), Period(start="13:30", end="17:00"))

QUEUES = [
    Queue(id="qa", prefix="A", name="社保业务"),
    Queue(id="qb", prefix="B", name="税务业务"),
    Queue(id="qc", prefix="C", name="不动产登记", hours=WEEKDAY_HOURS, daily_quota=5),
]
WINDOWS = [
    Window(id="w1", number=1, name="1号窗口", queues=("qa", "qb")),
    Window(id="w2", number=2, name="2号窗口", queues=("qb",)),
    Window(id="w3", number=3, name="3号窗口", queues=("qa", "qc")),
]


def item(item_id: str, queue: str, kind: str = "即办件", name: str = "") -> Item:
    return Item(id=item_id, code=f"CODE-{item_id}", name=name or f"事项{item_id}", department="d1", kind=kind,
                queue=queue)


ITEMS = [item("i-pension", "qa", name="养老保险参保登记"), item("i-urgent", "qb", "急办件", "发票急办"),
         item("i-deed", "qc", "承诺件", "不动产证")]


def catalog() -> StaticCatalog:
    return StaticCatalog(QUEUES, WINDOWS, ITEMS)


class Clock(SettableClock):
    """An injectable clock starting MONDAY_9: ``clock()`` is now; ``advance(minutes=...)`` moves it."""

    def __init__(self, start: datetime = MONDAY_9):
        super().__init__(start)

    def utc(self) -> datetime:
        return self.now.astimezone(timezone.utc)


def rules(**overrides) -> QueueRules:
    return QueueRules(**overrides)


def memory_engine(**rule_overrides) -> QueueEngine:
    counter = iter(range(1, 10**9))
    return QueueEngine(MemoryRepo(catalog()), rules(**rule_overrides), TZ, new_id=lambda: f"id{next(counter)}")


KIOSK = Who("kiosk-1")
CLERK = Who("console:alice", "alice")
KEYPAD = Who("keypad-1")
