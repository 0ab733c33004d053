"""The kiosk node on a FakeBus: number-taking, retries, errors, offline, paper, health, saved catalog."""

from __future__ import annotations

import json

from hardware.printer import PaperStatus, decode_text
from kiosk.model import DeskState
from protocol import decode
from protocol.models import Alert, DeviceConfig, DeviceHealth, DeviceStatus

from .conftest import make_node
from .fakehall import ITEMS, queue_state


def requests_on(broker):
    return [json.loads(m.payload)["id"] for m in broker.published("hall/+/devices/kiosk-1/requests")]


def printed_text(paper) -> str:
    return decode_text(paper.output)


def test_take_a_number_shows_and_prints_the_ticket_after_the_reply(node, backend, paper):
    node.model.open_guide("SCJ-001")
    assert node.take_number("SCJ-001")
    desk = node.model.desk
    assert desk.state is DeskState.ISSUED and desk.ticket.number == "A001" and desk.printed
    assert node.model.visit.screen == "ticket"
    text = printed_text(paper)
    assert "A001" in text and "营业执照设立登记" in text and "示例市政务服务中心" in text
    assert "1号窗口" in text and "前面" in text


def test_double_tap_sends_one_request(node, backend, broker, clock):
    assert node.take_number("GA-003")
    assert not node.take_number("GA-003")       # the second tap of a double tap
    clock.advance(0.3)
    assert not node.take_number("GA-003")
    assert len(backend.requests) == 1 and backend.issued_numbers() == ["B001"]


def test_a_press_while_the_request_is_in_flight_sends_nothing(broker, backend, clock, paper, options, tmp_path):
    class HeldRunner:
        """Keeps jobs until the test releases them."""

        def __init__(self):
            self.jobs = []

        def start(self):
            return self

        def submit(self, job):
            self.jobs.append(job)

        def stop(self):
            pass

    runner = HeldRunner()
    node = make_node(broker, clock, paper, options, tmp_path, runner=runner).start()
    try:
        runner.jobs.clear()                  # the start-up paper poll
        assert node.take_number("SCJ-001")
        clock.advance(5)                     # long after the tap cooldown, still sending
        assert not node.take_number("SCJ-001")
        assert len(runner.jobs) == 1
        runner.jobs.pop()()
        assert node.model.desk.state is DeskState.ISSUED and len(backend.requests) == 1
    finally:
        node.stop()


def test_a_lost_reply_is_retried_with_the_same_id_and_gives_the_same_ticket(node, backend, broker, paper):
    backend.lose_replies = 1
    assert node.take_number("SCJ-001")
    desk = node.model.desk
    assert desk.state is DeskState.FAILED and desk.failure.code == "timeout" and desk.can_retry
    first_id = backend.requests[0].id
    assert node.retry()
    assert desk.state is DeskState.ISSUED and desk.ticket.number == "A001"
    assert {r.id for r in backend.requests} == {first_id} and len(backend.requests) == 2
    assert backend.issued_numbers() == ["A001"]
    assert printed_text(paper).count("A001") >= 1


def test_a_retry_storm_yields_one_ticket(node, backend, clock):
    backend.lose_replies = 5
    node.take_number("GA-010")
    for _ in range(5):
        clock.advance(2)
        node.model.backend_heard()
        node.retry() or node.take_number("GA-010")
    assert node.model.desk.ticket.number == "B001"
    assert len({r.id for r in backend.requests}) == 1 and backend.issued_numbers() == ["B001"]


def test_going_home_after_a_timeout_keeps_the_id_for_the_same_press(node, backend, clock):
    backend.lose_replies = 1
    node.take_number("SCJ-001")
    node.model.go_home()
    clock.advance(40)                   # the backend pause after a timeout is over
    node.model.open_guide("SCJ-001")
    node.take_number("SCJ-001")
    assert len({r.id for r in backend.requests}) == 1 and node.model.desk.ticket.number == "A001"


def test_refusals_show_the_chinese_message(node, backend, clock):
    for code, expected in (("queue_closed", "该业务暂停取号"), ("quota_exhausted", "今日该业务号已取完"),
                           ("outside_hours", "当前不在取号时间内")):
        backend.refuse_with = code
        clock.advance(5)
        node.model.go_home()
        assert node.take_number("SCJ-001")
        desk = node.model.desk
        assert desk.state is DeskState.FAILED and desk.failure.code == code
        assert expected in desk.failure.message_zh and not desk.can_retry
    assert len({r.id for r in backend.requests}) == 3     # a refusal is final: the next press is new


def test_offline_disables_number_taking_but_guide_and_search_work(node, backend, broker, paper):
    broker.set_online(False)
    node.tick()
    model = node.model
    assert not model.online
    assert not node.take_number("SCJ-001")
    assert "网络中断" in model.visit.notice and backend.requests == []
    model.open_search()
    model.type_key("H")
    model.type_key("Z")
    assert model.results()[0].item.id == "GA-003"
    model.open_guide("GA-003")
    assert node.print_checklist("GA-003")                   # the one-time notice needs no backend
    assert "普通护照签发" in printed_text(paper)
    broker.set_online(True)
    node.tick()
    assert node.take_number("GA-003")


def test_paper_out_disables_number_taking_and_raises_the_alert(node, backend, broker, paper, clock):
    topic = backend.topics.device_alert("kiosk-1", "paper_out")
    paper.paper = PaperStatus.OUT
    clock.advance(31)
    node.tick()
    assert node.model.paper == "out"
    alert = decode(Alert, broker.retained[topic])
    assert alert.kind == "paper_out" and alert.subject == "kiosk-1" and alert.severity == "critical"
    status = node.model.take_status(node.model.hall.item("SCJ-001"))
    assert not status.ok and "请到一楼咨询台找工作人员" in status.reason
    assert not node.take_number("SCJ-001") and backend.requests == []
    health = decode(DeviceHealth, broker.retained[backend.topics.device_health("kiosk-1")])
    assert health.paper == "out"
    paper.paper = PaperStatus.NEAR_END                      # a new roll... nearly empty
    clock.advance(31)
    node.tick()
    assert topic not in broker.retained
    near = decode(Alert, broker.retained[backend.topics.device_alert("kiosk-1", "paper_near_end")])
    assert near.severity == "warning"
    assert node.take_number("SCJ-001")
    paper.paper = PaperStatus.OK
    clock.advance(31)
    node.tick()
    assert not [t for t in broker.retained if "/alerts/" in t]


def test_paper_runs_out_between_polls_the_request_is_not_sent(node, backend, paper):
    paper.paper = PaperStatus.OUT
    assert node.take_number("SCJ-001")
    desk = node.model.desk
    assert desk.state is DeskState.FAILED and desk.failure.code == "paper_out"
    assert backend.requests == [] and node.model.paper == "out"


def test_status_and_health_are_published_retained(node, backend, broker):
    topics = backend.topics
    status = decode(DeviceStatus, broker.retained[topics.device_status("kiosk-1")])
    assert status.status == "online"
    health = decode(DeviceHealth, broker.retained[topics.device_health("kiosk-1")])
    assert (health.role, health.paper, health.catalog_version) == ("kiosk", "ok", 3)
    assert health.details["catalog_items"] == len(ITEMS) and health.boot_id == node.health.boot_id
    # a new catalog version is reported at once
    backend.publish_catalog(version=4)
    health = decode(DeviceHealth, broker.retained[topics.device_health("kiosk-1")])
    assert health.catalog_version == 4


def test_health_is_published_periodically(node, backend, broker, clock):
    topic = backend.topics.device_health("kiosk-1")
    count = len(broker.published(topic))
    node.tick()                       # the first tick reports
    clock.advance(61)
    node.tick()
    assert len(broker.published(topic)) == count + 2
    uptimes = [decode(DeviceHealth, m.payload).uptime_s for m in broker.published(topic)[-2:]]
    assert uptimes[1] - uptimes[0] == 61


def test_the_catalog_survives_a_reboot_without_network(node, broker, backend, clock, paper, options, tmp_path):
    assert (tmp_path / "catalog.json").exists()
    node.stop()
    from protocol.fakebus import FakeBroker

    dead = FakeBroker()
    dead.set_online(False)
    rebooted = make_node(dead, clock, paper, options, tmp_path).start()
    try:
        model = rebooted.model
        assert model.hall.version == 3 and len(model.hall.items()) == len(ITEMS)
        model.open_search()
        for key in "YYZZ":
            model.type_key(key)
        assert model.results()[0].item.name == "营业执照设立登记"
        assert not model.take_status().ok and "网络中断" in model.take_status().reason
    finally:
        rebooted.stop()


def test_check_in_with_an_appointment_code(node, backend):
    model = node.model
    model.open_checkin()
    for digit in "12":
        model.type_digit(digit)
    assert not node.check_in() and "至少" in model.visit.notice
    for digit in "3456":
        model.type_digit(digit)
    assert node.check_in()
    assert backend.requests[0].type == "ticket.checkin" and backend.requests[0].params.code == "123456"
    assert model.desk.ticket.priority == "appointment" and model.visit.screen == "ticket"


def test_a_closed_queue_disables_its_items_only(node, backend):
    backend.publish_queues(C=queue_state("C", accepting=False, reason="今日号已取完"))
    assert not node.take_number("JS-005")
    assert node.model.visit.notice == "今日号已取完"
    assert node.take_number("GA-003")


def test_senior_mode_asks_for_priority(node, backend, paper):
    node.model.set_elderly(True)
    node.take_number("GA-003")
    assert backend.requests[0].params.priority == "elderly"
    assert "长者优先" in printed_text(paper)


def test_the_hall_registry_sets_the_first_language_and_the_kiosk_falls_back_to_its_own(node, backend, caplog):
    topic = backend.topics.device_config("kiosk-1")
    assert node.own_language == "zh" and node.model.language == "zh"
    backend.bus.publish(topic, DeviceConfig(device="kiosk-1", role="kiosk", language="en"), retain=True)
    assert (node.model.options.language, node.model.language) == ("en", "en")
    backend.bus.publish(topic, b'{"v": 1, "device": "kiosk-1", "role": "kiosk", "language": "fr"}', retain=True)
    assert node.model.language == "en" and "bad device config" in caplog.text   # a bad one changes nothing
    backend.bus.publish(topic, DeviceConfig(device="kiosk-9", role="kiosk", language="zh"), retain=True)
    assert node.model.language == "en" and "config of kiosk-9" in caplog.text
    backend.bus.publish(topic, DeviceConfig(device="kiosk-1", role="kiosk"), retain=True)   # not chosen
    assert (node.model.options.language, node.model.language) == ("zh", "zh")
    backend.bus.publish(topic, DeviceConfig(device="kiosk-1", role="kiosk", language="en"), retain=True)
    backend.bus.publish(topic, b"", retain=True)   # the device was removed from the registry
    assert node.model.options.language == "zh"
