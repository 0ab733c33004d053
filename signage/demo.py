"""A simulated hall for demos, tests, screenshots and the memory benchmark.

:class:`DemoHall` publishes what the backend would — the catalog, queue and
window states, recent calls, announcements and call events — on any bus
(usually a :class:`protocol.fakebus.FakeBus`), so a wall can be shown with no
backend: ``python -m signage --demo``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from protocol.bus import CALL_EXPIRY_S, new_id
from protocol.models import (Announcement, Announcements, CallEntry, CallEvent, CatalogIndex, Department,
                             IndexEntry, Item, Queue, QueueState, RecentCalls, TicketRef, WaitEstimate,
                             Window, WindowState, item_hash)

DEPARTMENTS = (
    ("scjg", "区市场监督管理局", "市场监管"), ("gaj", "区公安分局", "公安"), ("rsj", "区人力资源和社会保障局", "人社"),
    ("swj", "区税务局", "税务"), ("bdc", "区不动产登记中心", "不动产"), ("mzj", "区民政局", "民政"),
    ("gjj", "住房公积金管理中心", "公积金"), ("zjj", "区住房和城乡建设局", "住建"),
)
QUEUES = (("qA", "A", "商事登记"), ("qB", "B", "公安户政"), ("qC", "C", "社保医保"), ("qD", "D", "税务办理"),
          ("qE", "E", "不动产登记"), ("qF", "F", "综合受理"))
STAFF = ("张敏", "李娜", "王磊", "刘洋", "陈静", "杨帆", "赵丽", "黄勇", "周婷", "吴刚", "徐芳", "孙浩")
ITEM_NAMES = {
    "scjg": ("个体工商户设立登记", "有限责任公司设立登记", "食品经营许可证核发", "营业执照变更登记",
             "企业注销登记", "药品零售企业许可"),
    "gaj": ("居民身份证申领", "户口迁移登记", "出生登记", "临时身份证明", "居住证办理"),
    "rsj": ("社会保障卡申领", "灵活就业人员参保登记", "失业保险金申领", "退休审批", "就业登记"),
    "swj": ("增值税发票领用", "个人所得税汇算清缴", "税务登记信息变更", "契税申报"),
    "bdc": ("国有建设用地使用权及房屋所有权转移登记", "不动产抵押登记", "不动产权证书补发", "查封登记"),
    "mzj": ("婚姻登记", "最低生活保障申请", "残疾人两项补贴申请", "养老机构备案"),
    "gjj": ("住房公积金提取", "住房公积金贷款申请", "公积金缴存登记"),
    "zjj": ("建筑工程施工许可证核发", "商品房预售许可", "房屋租赁登记备案"),
}
KINDS = ("即办件", "承诺件", "即办件", "联办件", "承诺件", "即办件")
ANNOUNCEMENT = ("本中心工作时间：周一至周五 上午9:00-12:00，下午13:30-17:00。"
                "老年人、残疾人、孕妇请到绿色通道窗口优先办理。")


@dataclass
class _Queue:
    id: str
    prefix: str
    name: str
    issued: int = 0
    called: int = 0
    last: str | None = None


@dataclass
class DemoHall:
    """A hall of 12 windows and 6 queues whose state can be published and advanced."""

    bus: object
    clock: object
    hall_name: str = "临安区政务服务中心"
    recent_size: int = 10
    queues: dict[str, _Queue] = field(default_factory=dict)
    recent: list[CallEntry] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.topics = self.bus.topics
        self.queues = {qid: _Queue(qid, prefix, name) for qid, prefix, name in QUEUES}
        queue_ids = [q[0] for q in QUEUES]
        self.windows = [Window(id=f"w{n:02d}", number=n, name=f"{n}号窗口",
                               queues=(queue_ids[(n - 1) // 2], "qF") if n < 12 else ("qF",))
                        for n in range(1, 13)]
        dept_queue = {"scjg": "qA", "gaj": "qB", "rsj": "qC", "swj": "qD", "bdc": "qE"}
        counter = itertools.count(1)
        for dept, names in ITEM_NAMES.items():
            queue = dept_queue.get(dept, "qF")
            for name in names:
                n = next(counter)
                promised = 0 if KINDS[n % len(KINDS)] == "即办件" else (5 + n % 4 * 5)
                windows = tuple(w.id for w in self.windows if queue in w.queues)[:2]
                self.items.append(Item(id=f"it{n:03d}", code=f"3301{n:06d}", name=name, department=dept,
                                       kind=KINDS[n % len(KINDS)], queue=queue, windows=windows,
                                       statutory_days=max(promised, 20), promised_days=promised))
        self.window_state: dict[str, WindowState] = {}

    # -- retained state --------------------------------------------------------------
    def publish_catalog(self, version: int = 1) -> None:
        for item in self.items:
            self.bus.publish(self.topics.catalog_item(item.id), item, retain=True)
        index = CatalogIndex(
            version=version, hall_name=self.hall_name, updated_at=self.clock.now(),
            departments=tuple(Department(id=d, name=n, short_name=s) for d, n, s in DEPARTMENTS),
            queues=tuple(Queue(id=q, prefix=p, name=n) for q, p, n in QUEUES),
            windows=tuple(self.windows),
            items=tuple(IndexEntry(id=i.id, hash=item_hash(i)) for i in self.items))
        self.bus.publish(self.topics.catalog_index(), index, retain=True)

    def publish_announcements(self, *extra: Announcement) -> None:
        now = self.clock.now()
        items = (Announcement(id="hours", text=ANNOUNCEMENT, start=now - timedelta(hours=2),
                              end=now + timedelta(days=30), targets=("wall", "kiosk")),) + extra
        self.bus.publish(self.topics.announcements(), Announcements(items=items, updated_at=now), retain=True)

    def queue_state(self, queue: _Queue) -> QueueState:
        waiting = queue.issued - queue.called
        windows = sum(1 for w in self.windows if queue.id in w.queues and self._open(w.id))
        minutes = waiting * 4.0 / windows if windows else None
        return QueueState(id=queue.id, prefix=queue.prefix, name=queue.name, open=True, accepting=True,
                          waiting=waiting, last_called=queue.last, issued_today=queue.issued,
                          wait=WaitEstimate(minutes=minutes, ahead=waiting, per_ticket_min=4.0, windows=windows,
                                            basis=f"{waiting} ahead, ~4 min each, {windows} windows",
                                            basis_zh=f"前面{waiting}人，每人约4分钟，{windows}个窗口"),
                          updated_at=self.clock.now())

    def _open(self, window_id: str) -> bool:
        state = self.window_state.get(window_id)
        return state is None or state.status == "open"

    def publish_queues(self) -> None:
        for queue in self.queues.values():
            self.bus.publish(self.topics.queue_state(queue.id), self.queue_state(queue), retain=True)

    def publish_windows(self) -> None:
        for window in self.windows:
            self.set_window(window.id, "open")

    def set_window(self, window_id: str, status: str, serving: TicketRef | None = None) -> WindowState:
        window = next(w for w in self.windows if w.id == window_id)
        staff = STAFF[window.number - 1]
        state = WindowState(id=window.id, number=window.number, name=window.name, status=status,
                            staff_name=staff, staff_post="综合受理岗", serving=serving, queues=window.queues,
                            updated_at=self.clock.now())
        self.window_state[window_id] = state
        self.bus.publish(self.topics.window_state(window_id), state, retain=True)
        return state

    def publish_all(self) -> None:
        self.publish_catalog()
        self.publish_queues()
        self.publish_windows()
        self.publish_announcements()
        self.publish_recent()

    def publish_recent(self) -> None:
        self.bus.publish(self.topics.calls_recent(),
                         RecentCalls(calls=tuple(self.recent), updated_at=self.clock.now()), retain=True)

    # -- the morning ---------------------------------------------------------------------
    def issue(self, queue_id: str, count: int = 1) -> None:
        queue = self.queues[queue_id]
        queue.issued += count
        self.bus.publish(self.topics.queue_state(queue.id), self.queue_state(queue), retain=True)

    def call(self, window_number: int, queue_id: str | None = None, *, kind: str = "call",
             ticket: str | None = None, publish_event: bool = True) -> CallEvent:
        """Call the next number of *queue_id* (or recall *ticket*) at a window, as the backend would."""
        window = self.windows[window_number - 1]
        queue = self.queues[queue_id or window.queues[0]]
        if ticket is None:
            if queue.called >= queue.issued:
                queue.issued = queue.called + 1
            queue.called += 1
            ticket = f"{queue.prefix}{queue.called:03d}"
            queue.last = ticket
        now = self.clock.now()
        event = CallEvent(event_id=new_id("ev-"), kind=kind, ticket=ticket, ticket_id=f"t-{ticket}",
                          queue=queue.id, window=window.id, window_number=window.number,
                          window_name=window.name, at=now)
        self.set_window(window.id, "open", TicketRef(id=f"t-{ticket}", number=ticket, queue=queue.id,
                                                     state="called", since=now))
        if publish_event:
            self.bus.publish(self.topics.call_event(), event, expiry=CALL_EXPIRY_S)
        self.recent.insert(0, CallEntry(ticket=ticket, window=window.id, window_number=window.number,
                                        queue=queue.id, kind=kind, at=now, event_id=event.event_id))
        del self.recent[self.recent_size:]
        self.publish_recent()
        self.bus.publish(self.topics.queue_state(queue.id), self.queue_state(queue), retain=True)
        return event

    def start_serving(self, window_number: int) -> None:
        window = self.windows[window_number - 1]
        state = self.window_state.get(window.id)
        if state is not None and state.serving is not None:
            serving = state.serving.model_copy(update={"state": "serving", "since": self.clock.now()})
            self.set_window(window.id, "open", serving)


def run_morning(hall: DemoHall, stop, *, every_s: float = 6.0, seed: int = 7) -> None:
    """Call numbers at random windows until *stop* (a threading.Event) is set: ``--demo``."""
    import random

    rng = random.Random(seed)
    while not stop.wait(every_s):
        for queue in hall.queues:
            if rng.random() < 0.5:
                hall.issue(queue, rng.randint(1, 2))
        window = rng.randint(1, len(hall.windows))
        if rng.random() < 0.1 and hall.recent:
            last = hall.recent[0]
            hall.call(last.window_number, last.queue, kind="recall", ticket=last.ticket)
        else:
            hall.call(window)
        hall.start_serving(rng.randint(1, len(hall.windows)))
