"""A small hall for the kiosk tests: a catalog, queue states and a tiny fake backend on a FakeBus.

The fake backend answers ``ticket.issue`` and ``ticket.checkin`` like the
real one where it matters here: numbers in order per queue, and a repeated
request id gets the original reply (idempotency).  It can refuse with an
error code, or "lose" replies (the request is handled, the reply never
arrives) to exercise the kiosk's timeout and retry.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from protocol import decode_request, reply_error, reply_ok
from protocol.errors import ProtocolError
from protocol.fakebus import FakeBroker, FakeBus
from protocol.models import (Announcement, Announcements, CatalogIndex, Department, Fee, IndexEntry, Item,
                             Material, Queue, QueueState, Reply, TicketInfo, TicketResult, WaitEstimate, Window,
                             item_hash)

HALL = "demo"
TZ = timezone(timedelta(hours=8))
NOW = datetime(2024, 5, 6, 9, 30, tzinfo=TZ)

DEPARTMENTS = (
    Department(id="scj", name="市场监督管理局", short_name="市场监管", phone="0999-12345186"),
    Department(id="gaj", name="公安局", short_name="公安局", phone="0999-12345113"),
    Department(id="mzj", name="民政局", short_name="民政局", phone="0999-12345117"),
    Department(id="jsj", name="建设(环保)局", short_name="建设环保", phone="0999-12345102"),
)
QUEUES = (
    Queue(id="A", prefix="A", name="市场准入（企业登记）"),
    Queue(id="B", prefix="B", name="公安户政与出入境"),
    Queue(id="C", prefix="C", name="投资项目与工程建设"),
    Queue(id="E", prefix="E", name="社会事务"),
)
WINDOWS = (
    Window(id="w01", number=1, name="市场监管综合受理", queues=("A",), location="一楼东区"),
    Window(id="w02", number=2, name="企业登记", queues=("A",), location="一楼东区"),
    Window(id="w03", number=3, name="公安户政", queues=("B",), location="一楼西区"),
    Window(id="w06", number=6, name="建设(环保)局", queues=("C",), location="二楼"),
    Window(id="w09", number=9, name="社会事务综合窗口", queues=("E",), location="一楼北区"),
)


def _item(**fields) -> Item:
    base = dict(consult_phone="0999-12345186", supervise_phone="0999-12345000", hours="周一至周五 9:00-12:00，13:30-17:00")
    base.update(fields)
    return Item(**base)


ITEMS = (
    _item(id="SCJ-001", code="SCJ-001", name="营业执照设立登记", department="scj", kind="即办件", queue="A",
          windows=("w01", "w02"), legal_basis=("《中华人民共和国市场主体登记管理条例》第三条",),
          conditions=("申请人为具有完全民事行为能力的自然人或依法设立的组织", "名称已通过自主申报"),
          materials=(Material(name="公司登记（备案）申请书", form="原件", copies=1),
                     Material(name="公司章程", form="原件", copies=1, notes="全体股东签署"),
                     Material(name="股东主体资格证明", form="复印件", copies=1, notes="核验原件"),
                     Material(name="住所使用证明", form="原件及复印件", copies=1, mandatory=False,
                              notes="自有房产提交产权证明")),
          steps=("申请人提交材料", "窗口受理审查", "当场核准发照"), statutory_days=15, promised_days=0,
          location="一楼东区 1、2号窗口", keywords=("开公司", "注册公司"), online_url="https://zwfw.example.gov.cn/yyzz"),
    _item(id="GA-003", code="GA-003", name="普通护照签发", department="gaj", kind="承诺件", queue="B",
          windows=("w03",), legal_basis=("《中华人民共和国护照法》第五条",),
          conditions=("中国公民因前往外国定居、探亲、学习、就业、旅行、从事商务活动等非公务原因出国",),
          materials=(Material(name="居民身份证", form="原件", copies=1),
                     Material(name="近期免冠彩色照片", form="原件", copies=1, notes="现场采集亦可", mandatory=False)),
          steps=("取号", "采集照片和指纹", "缴费", "领取回执"), statutory_days=15, promised_days=7,
          fees=(Fee(name="护照工本费", amount="¥120/本", basis="发改价格〔2017〕1186号"),),
          consult_phone="0999-12345113", location="一楼西区 3号窗口"),
    _item(id="GA-010", code="GA-010", name="居民身份证换领", department="gaj", kind="即办件", queue="B",
          windows=("w03",), materials=(Material(name="原居民身份证", form="原件", copies=1),),
          steps=("取号", "采集照片", "缴费"), statutory_days=60, promised_days=30,
          fees=(Fee(name="工本费", amount="¥20/证"),), consult_phone="0999-12345113"),
    _item(id="MZ-002", code="MZ-002", name="最低生活保障申请", short_name="低保申请", department="mzj", kind="联办件",
          queue="E", windows=("w09",), conditions=("家庭人均收入低于当地最低生活保障标准",),
          materials=(Material(name="户口簿", form="原件及复印件", copies=1), Material(name="收入证明", form="原件", copies=1)),
          steps=("申请", "入户调查", "民主评议", "审批"), statutory_days=30, promised_days=20),
    _item(id="JS-005", code="JS-005", name="建设工程规划许可证核发", department="jsj", kind="上报件", queue="C",
          windows=("w06",), materials=(Material(name="建设工程规划许可申请表", form="原件", copies=2),),
          statutory_days=20, promised_days=10),
    _item(id="SCJ-007", code="SCJ-007", name="食品经营许可", department="scj", kind="承诺件", queue="A",
          windows=("w01",), materials=(Material(name="食品经营许可申请书", form="原件", copies=1),),
          statutory_days=20, promised_days=5),
)


def catalog_index(version: int = 3, items=ITEMS) -> CatalogIndex:
    return CatalogIndex(version=version, hall_name="示例市政务服务中心", updated_at=NOW,
                        departments=DEPARTMENTS, queues=QUEUES, windows=WINDOWS,
                        items=tuple(IndexEntry(id=i.id, hash=item_hash(i)) for i in items))


def queue_state(queue_id: str, *, accepting: bool = True, reason: str = "", waiting: int = 3) -> QueueState:
    queue = next(q for q in QUEUES if q.id == queue_id)
    return QueueState(id=queue.id, prefix=queue.prefix, name=queue.name, open=True, accepting=accepting,
                      reason=reason, waiting=waiting, issued_today=10, updated_at=NOW,
                      wait=WaitEstimate(minutes=waiting * 4.0, ahead=waiting, per_ticket_min=4, windows=2,
                                        basis=f"{waiting} ahead, ~4 min each, 2 windows",
                                        basis_zh=f"前面{waiting}人，每人约4分钟，2个窗口办理"))


class FakeBackend:
    """Publishes the hall and answers ticket requests on its own FakeBus."""

    def __init__(self, broker: FakeBroker, hall: str = HALL):
        self.bus = FakeBus(broker, hall, client_id="backend").start()
        self.topics = self.bus.topics
        self.requests = []            # every Request received, re-sends included
        self.replies: dict[str, Reply] = {}
        self.refuse_with: str | None = None
        self.lose_replies = 0         # handle the next N requests but send no reply
        self.counters: dict[str, int] = {}
        self.bus.subscribe(self.topics.all_device_requests(), self._on_request)

    def publish_catalog(self, items=ITEMS, version: int = 3) -> None:
        for item in items:
            self.bus.publish(self.topics.catalog_item(item.id), item, retain=True)
        self.bus.publish(self.topics.catalog_index(), catalog_index(version, items), retain=True)

    def publish_queues(self, **overrides) -> None:
        for queue in QUEUES:
            state = overrides.get(queue.id) or queue_state(queue.id)
            self.bus.publish(self.topics.queue_state(queue.id), state, retain=True)

    def announce(self, text: str) -> None:
        self.bus.publish(self.topics.announcements(), Announcements(updated_at=NOW, items=(
            Announcement(id="n1", text=text, start=NOW - timedelta(days=1), end=NOW + timedelta(days=1)),)),
            retain=True)

    def issued_numbers(self) -> list[str]:
        return [r.result["ticket"]["number"] for r in self.replies.values() if r.ok]

    def _on_request(self, message) -> None:
        request = decode_request(message.payload)
        self.requests.append(request)
        reply = self.replies.get(request.id)
        if reply is None:
            reply = self._handle(request)
            self.replies[request.id] = reply
        if self.lose_replies:
            self.lose_replies -= 1
            return
        self.bus.publish(message.response_topic, reply, correlation=message.correlation)

    def _handle(self, request) -> Reply:
        if self.refuse_with:
            return reply_error(request.id, ProtocolError(self.refuse_with, "refused by the fake backend"))
        if request.type == "ticket.checkin":
            item = ITEMS[1]
            priority = "appointment"
        else:
            item = next(i for i in ITEMS if i.id == request.params.item)
            priority = request.params.priority
        count = self.counters[item.queue] = self.counters.get(item.queue, 0) + 1
        windows = tuple(w.number for w in WINDOWS if w.id in item.windows)
        ticket = TicketInfo(id=f"t-{item.queue}{count}", number=f"{item.queue}{count:03d}", queue=item.queue,
                            queue_name=next(q.name for q in QUEUES if q.id == item.queue), item=item.id,
                            item_name=item.name, priority=priority, issued_at=NOW, ahead=count + 2,
                            wait=queue_state(item.queue, waiting=count + 2).wait, windows=windows,
                            status_url=f"https://hall.example.gov.cn/t/{item.queue}{count:03d}")
        return reply_ok(request.id, TicketResult(ticket=ticket))
