"""The kiosk model without a window: search as you type, navigation, idle reset, the ticket desk."""

from __future__ import annotations

import pytest

from kiosk.model import DeskState, Failure, KioskModel, Options, TicketDesk
from protocol.fakebus import FakeBus
from protocol.models import CheckIn, IssueTicket

from .fakehall import HALL, NOW, queue_state


def fed_model(broker, backend, clock, options=Options()) -> KioskModel:
    bus = FakeBus(broker, HALL, device="kiosk-x")
    model = KioskModel(bus.topics, options, clock=clock, wall=lambda: NOW)
    model.hall.mirror.subscribe(bus)
    bus.subscribe(bus.topics.queue_states_all(), model.hall.handle_queue)
    bus.subscribe(bus.topics.announcements(), model.hall.handle_announcements)
    bus.start()
    return model


def test_the_model_imports_no_kivy():
    import ast
    from pathlib import Path

    import kiosk.model

    names = []
    for path in Path(kiosk.model.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
    assert names and not [n for n in names if n.split(".")[0] == "kivy"]


def test_search_updates_on_every_key(broker, backend, clock):
    model = fed_model(broker, backend, clock)
    model.open_search()
    assert len(model.results()) == 6  # nothing typed: every item
    seen = []
    for key in "YYZZ":
        model.type_key(key)
        seen.append([hit.item.id for hit in model.results()])
    assert seen[-1][0] == "SCJ-001"                      # yyzz → 营业执照设立登记
    assert "SCJ-001" in seen[0] and len(seen[0]) < 6      # Y alone narrows already
    model.delete_key()
    assert model.visit.query == "YYZ"
    model.clear_query()
    assert model.visit.query == "" and len(model.results()) == 6


def test_search_by_department_and_code(broker, backend, clock):
    model = fed_model(broker, backend, clock)
    model.open_search(department="gaj")
    assert {hit.item.id for hit in model.results()} == {"GA-003", "GA-010"}
    model.type_key("H")
    model.type_key("Z")
    assert [hit.item.id for hit in model.results()] == ["GA-003"]   # hz → 护照
    model.set_department(None)
    model.clear_query()
    for key in "JS005":
        model.type_key(key)
    assert model.results()[0].item.id == "JS-005"


def test_keypad_ignores_other_keys_and_caps_length(broker, backend, clock):
    model = fed_model(broker, backend, clock)
    model.open_search()
    model.type_key("营")
    model.type_key("%")
    assert model.visit.query == ""
    for _ in range(40):
        model.type_key("A")
    assert len(model.visit.query) == 20


def test_queue_state_decides_whether_a_number_can_be_taken(broker, backend, clock):
    model = fed_model(broker, backend, clock)
    model.set_online(True)
    model.set_paper("ok")
    item = model.hall.item("JS-005")
    assert model.take_status(item).ok
    backend.publish_queues(C=queue_state("C", accepting=False, reason="今日号已取完"))
    status = model.take_status(item)
    assert not status.ok and status.reason == "今日号已取完"
    model.toggle_language()
    assert model.take_status(item).reason == "Not issuing numbers for this service now"


def test_offline_and_paper_out_disable_number_taking_with_a_notice(broker, backend, clock):
    model = fed_model(broker, backend, clock, Options(help_text="请到咨询台"))
    item = model.hall.item("SCJ-001")
    model.set_online(False)
    status = model.take_status(item)
    assert not status.ok and "网络中断" in status.reason and "请到咨询台" in status.reason
    model.set_online(True)
    model.set_paper("out")
    status = model.take_status(item)
    assert not status.ok and "打印纸已用完" in status.reason and "请到咨询台" in status.reason
    model.set_paper("near_end")
    assert model.take_status(item).ok


def test_backend_timeout_pauses_number_taking_until_it_speaks_or_time_passes(broker, backend, clock):
    model = fed_model(broker, backend, clock, Options(backend_retry_s=30))
    model.set_online(True)
    model.backend_timed_out()
    assert not model.take_status().ok and "服务器暂时无响应" in model.take_status().reason
    clock.advance(31)
    assert model.take_status().ok
    model.backend_timed_out()
    backend.publish_queues()          # a fresh queue state: the backend is alive
    assert model.take_status().ok


def test_idle_timeout_goes_home_and_clears_entered_data(broker, backend, clock):
    model = fed_model(broker, backend, clock, Options(idle_timeout_s=60, elderly_idle_timeout_s=180))
    model.open_search()
    model.type_key("H")
    model.toggle_language()
    clock.advance(59)
    assert not model.check_idle()
    clock.advance(2)
    assert model.check_idle()
    assert (model.visit.screen, model.visit.query, model.language) == ("home", "", "zh")
    # senior mode waits longer, and ends with the visit
    model.set_elderly(True)
    model.open_checkin()
    model.type_digit("1")
    clock.advance(100)
    assert not model.check_idle()
    clock.advance(81)
    assert model.check_idle()
    assert (model.visit.screen, model.visit.code, model.visit.elderly) == ("home", "", False)


def test_a_new_first_language_switches_a_kiosk_at_rest_and_waits_for_a_visitor_to_go(broker, backend, clock):
    model = fed_model(broker, backend, clock, Options(idle_timeout_s=60))
    seen = []
    model.listen(seen.append)
    model.set_default_language("en")          # nobody at the kiosk: at once
    assert (model.language, model.options.language, seen) == ("en", "en", ["visit"])
    model.open_search()
    model.type_key("H")
    model.set_default_language("zh")          # a visitor is searching in English: theirs stays
    assert (model.language, model.options.language) == ("en", "zh")
    clock.advance(61)
    assert model.check_idle() and model.language == "zh"   # the next visitor starts in the new one
    model.set_default_language("zh")
    assert model.language == "zh"
    with pytest.raises(ValueError, match="fr"):
        model.set_default_language("fr")


def test_back_returns_through_the_screens(broker, backend, clock):
    model = fed_model(broker, backend, clock)
    model.open_search()
    model.open_guide("GA-003")
    model.back()
    assert model.visit.screen == "search"
    model.back()
    assert model.visit.screen == "home"


def test_announcements_for_kiosks_only_while_active(broker, backend, clock):
    model = fed_model(broker, backend, clock)
    backend.announce("[b]端午节[/b]放假通知")
    assert model.announcement_text() == "[b]端午节[/b]放假通知"   # raw: the screen escapes it


def test_desk_double_press_sends_one_request():
    desk = TicketDesk()
    first = desk.begin(IssueTicket(item="SCJ-001"))
    assert first is not None and desk.state is DeskState.SENDING
    assert desk.begin(IssueTicket(item="SCJ-001")) is None
    assert desk.begin(IssueTicket(item="GA-003")) is None


def test_desk_retry_after_timeout_reuses_the_id_but_not_after_a_refusal():
    desk = TicketDesk()
    request = desk.begin(IssueTicket(item="SCJ-001"))
    desk.fail(request.id, Failure("timeout"))
    assert desk.can_retry and desk.retry().id == request.id
    desk.fail(request.id, Failure("timeout"))
    desk.reset(keep_uncertain=True)                         # the visitor went Home and pressed again
    assert desk.begin(IssueTicket(item="SCJ-001")).id == request.id
    desk.fail(request.id, Failure("queue_closed", "该业务暂停取号"))
    assert not desk.can_retry
    assert desk.begin(IssueTicket(item="SCJ-001")).id != request.id


def test_desk_ignores_stale_replies_and_idle_drops_uncertain_requests():
    desk = TicketDesk()
    request = desk.begin(CheckIn(code="123456"))
    assert not desk.reset()                                 # never while in flight
    desk.fail(request.id, Failure("timeout"))
    desk.reset()                                            # idle: the next visitor starts anew
    assert desk.begin(CheckIn(code="123456")).id != request.id
    assert not desk.succeed(request.id, None)


def test_popular_items_from_settings_or_one_per_queue(broker, backend, clock):
    model = fed_model(broker, backend, clock, Options(popular_items=("GA-003", "NOPE", "SCJ-001")))
    assert [i.id for i in model.popular_items()] == ["GA-003", "SCJ-001"]
    model = fed_model(broker, backend, clock, Options(popular_count=4))
    assert [i.queue for i in model.popular_items()] == ["A", "B", "E", "C"]
