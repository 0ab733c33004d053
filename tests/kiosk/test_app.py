"""The real kiosk app, rendered offscreen and driven by touches, against a FakeBus hall."""

from __future__ import annotations

import pytest

from hardware.printer import PaperStatus, decode_text
from protocol import decode
from protocol.models import Alert

from .fakehall import queue_state
from .uikit import button, frames, press, screenshot, tap, texts

pytestmark = pytest.mark.kivy


@pytest.fixture
def window():
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    win = EventLoop.window
    size = win.size
    win.size = (720, 1280)
    yield win
    win.size = size


@pytest.fixture
def mount(window, node):
    """Mount the app in the shared window; always unmounted (the window stays open)."""
    from kiosk.ui.kioskapp import KioskApp

    mounted = []

    def _mount(landscape: bool = False, size=(720, 1280)):
        window.size = size
        app = KioskApp(node, landscape=landscape, tick_s=3600).mount()
        mounted.append(app)
        frames(6)
        return app

    yield _mount
    for app in mounted:
        app.unmount()
    frames(2)


@pytest.fixture
def shots(tmp_path):
    return tmp_path / "shots"


def screen(app):
    return app.manager.current_screen


def test_a_whole_visit_search_guide_checklist_ticket(mount, node, backend, paper, shots):
    app = mount()
    home = screen(app)
    assert home.name == "home" and "示例市政务服务中心" in texts(home)
    screenshot(app, shots, "home", docs=True)

    tap(home.ids.search)
    search = screen(app)
    assert search.name == "search"
    for key in "YYZZ":
        tap(search.ids.letters.button(key))
    assert search.ids.query.text == "YYZZ"
    rows = search.ids.results.children
    assert len(rows) == 1 and "营业执照设立登记" in rows[0].text
    screenshot(app, shots, "search", docs=True)

    tap(rows[0])
    guide = screen(app)
    assert guide.name == "guide"
    shown = "\n".join(texts(guide))
    for expected in ("即办件", "市场监督管理局", "公司章程（原件，1份，必交）：全体股东签署", "1、申请人提交材料",
                     "法定时限：15个工作日", "承诺时限：当场办结", "免费（不收费）", "1号窗口 市场监管综合受理（一楼东区）",
                     "咨询电话：0999-12345186", "监督电话：0999-12345000", "一楼东区 1、2号窗口", "周一至周五",
                     "《中华人民共和国市场主体登记管理条例》第三条", "https://zwfw.example.gov.cn/yyzz"):
        assert expected in shown, expected
    screenshot(app, shots, "guide", docs=True)

    tap(guide.ids.print_checklist)
    slip = decode_text(paper.output)
    assert "一次性告知" in slip and "公司章程" in slip and "营业执照设立登记" in slip
    assert "已打印" in guide.ids.notice.text
    before = len(paper.output)

    tap(guide.ids.take)
    ticket = screen(app)
    assert ticket.name == "ticket"
    assert ticket.ids.number.text == "A001"
    assert ticket.ids.ahead.text == "前面还有 3 人"
    assert ticket.ids.wait.text == "预计等候约 12 分钟" and "每人约4分钟" in ticket.ids.basis.text
    assert "1号窗口、2号窗口" in ticket.ids.windows.text
    assert "号票已打印" in ticket.ids.printed.text
    assert "A001" in decode_text(paper.output[before:])
    assert [r.type for r in backend.requests] == ["ticket.issue"]
    screenshot(app, shots, "ticket", docs=True)

    tap(button(ticket, "完成"))
    assert screen(app).name == "home"


def test_double_tap_on_take_a_number_issues_one_ticket(mount, node, backend):
    app = mount()
    node.model.open_guide("GA-003")
    frames()
    take = screen(app).ids.take
    take.dispatch("on_release")
    take.dispatch("on_release")           # the second tap of a double tap, on the same widget
    frames()
    assert len(backend.requests) == 1 and screen(app).ids.number.text == "B001"


def test_a_lost_reply_is_retried_from_the_ticket_screen_with_the_same_id(mount, node, backend):
    backend.lose_replies = 1
    app = mount()
    node.model.open_guide("SCJ-001")
    frames()
    tap(screen(app).ids.take)
    failed = screen(app)
    assert "服务器无响应" in failed.ids.item.text and failed.ids.number.text == ""
    tap(button(failed, "重试"))
    assert screen(app).ids.number.text == "A001"
    assert len({r.id for r in backend.requests}) == 1


def test_a_refusal_shows_the_backends_chinese_message(mount, node, backend):
    backend.refuse_with = "quota_exhausted"
    app = mount()
    press(screen(app).ids.popular.children[-1])        # 营业执照设立登记, straight from Home
    shown = screen(app)
    assert shown.name == "ticket" and "今日该业务号已取完" in shown.ids.item.text
    assert not [t for t in texts(shown) if t == "重试"]


def test_offline_the_guide_works_and_number_taking_says_why_not(mount, node, backend, broker, shots):
    app = mount()
    broker.set_online(False)
    node.tick()
    frames()
    home = screen(app)
    assert "网络中断" in home.ids.notice.text and "请到一楼咨询台找工作人员" in home.ids.notice.text
    assert all(b.disabled for b in home.ids.popular.children)
    tap(button(home, "公安局"))                   # browse by department, from the saved catalog
    search = screen(app)
    assert {row.text.split("\n")[0] for row in search.ids.results.children} == \
        {"[b]普通护照签发[/b]", "[b]居民身份证换领[/b]"}
    tap(search.ids.results.children[-1])
    guide = screen(app)
    assert guide.ids.take.disabled and not guide.ids.print_checklist.disabled
    assert "网络中断" in guide.ids.notice.text
    screenshot(app, shots, "offline", docs=True)


def test_out_of_paper_disables_number_taking_and_raises_the_alert(mount, node, backend, broker, paper, clock):
    app = mount()
    paper.paper = PaperStatus.OUT
    clock.advance(31)
    node.tick()
    frames()
    home = screen(app)
    assert "打印纸已用完" in home.ids.notice.text and "咨询台" in home.ids.notice.text
    assert all(b.disabled for b in home.ids.popular.children)
    alert = decode(Alert, broker.retained[backend.topics.device_alert("kiosk-1", "paper_out")])
    assert alert.kind == "paper_out"


def test_a_closed_queue_greys_its_button_with_the_reason(mount, node, backend):
    backend.publish_queues(B=queue_state("B", accepting=False, reason="今日号已取完"))
    app = mount()
    passport = button(screen(app), "普通护照签发")
    assert passport.disabled and "今日号已取完" in passport.text
    assert not button(screen(app), "营业执照设立登记").disabled


def test_appointment_check_in_on_the_numeric_keypad(mount, node, backend, shots):
    app = mount()
    tap(screen(app).ids.checkin)
    checkin = screen(app)
    assert checkin.name == "checkin" and checkin.ids.submit.disabled
    for digit in "2024":
        tap(checkin.ids.keypad.button(digit))
    tap(checkin.ids.keypad.button("delete"))
    tap(checkin.ids.keypad.button("5"))
    assert checkin.ids.code.text == "2 0 2 5"
    screenshot(app, shots, "checkin", docs=True)
    tap(checkin.ids.submit)
    assert backend.requests[0].params.code == "2025"
    assert screen(app).ids.number.text == "B001"


def test_senior_mode_large_type_high_contrast_no_popups(mount, node, backend, window, shots):
    from kivy.uix.modalview import ModalView

    app = mount()
    normal_size = screen(app).ids.search.font_size
    tap(screen(app).ids.elderly)
    senior = screen(app)
    assert senior.name == "elderly" and app.th.line_height >= 1.3
    buttons = senior.ids.popular.children
    assert len(buttons) <= 4 and min(b.font_size for b in buttons) > normal_size
    image = screenshot(app, shots, "elderly", docs=True)
    assert image.getpixel((5, image.height - 5)) == (0, 0, 0)        # black background
    press(buttons[-1])
    assert backend.requests[0].params.priority == "elderly"
    assert screen(app).name == "ticket"
    assert not [w for w in window.children if isinstance(w, ModalView)]
    node.model.open_guide("GA-003")
    frames()
    screenshot(app, shots, "guide-elderly", docs=True)


def test_idle_timeout_returns_home_and_clears_what_was_typed(mount, node, clock):
    app = mount()
    tap(screen(app).ids.language)
    tap(screen(app).ids.search)
    for key in "HZ":
        tap(screen(app).ids.letters.button(key))
    clock.advance(61)
    node.tick()
    frames()
    assert screen(app).name == "home" and node.model.visit.query == "" and app.lang == "zh"
    assert "查找事项 · 办事指南" in screen(app).ids.search.text


def test_english_toggle(mount, node):
    app = mount()
    tap(screen(app).ids.language)
    home = screen(app)
    assert home.ids.search.text == "Find a service · guide" and home.ids.language.text == "中文"
    assert "营业执照设立登记" in "\n".join(texts(home))     # the catalog stays Chinese


def test_hostile_announcement_text_is_shown_literally(mount, node, backend):
    backend.announce("[color=ff0000]假通知[/color] <script>x</script>")
    app = mount()
    banner = screen(app).ids.banner
    assert banner.text == "[color=ff0000]假通知[/color] <script>x</script>" and not banner.markup


def test_landscape_layout(mount, node, shots):
    app = mount(landscape=True, size=(1280, 720))
    assert screen(app).ids.popular.cols == 3
    image = screenshot(app, shots, "home-landscape", docs=True)
    assert image.size == (1280, 720)
    node.model.open_search()
    frames()
    screenshot(app, shots, "search-landscape")


def test_catalog_text_is_escaped_where_markup_is_on(mount, node, backend):
    from .fakehall import ITEMS

    evil = ITEMS[0].model_copy(update={"id": "EVIL-1", "code": "EVIL-1", "name": "[color=ff0000]恶意[/color][size=90]"})
    backend.publish_catalog(items=ITEMS + (evil,), version=4)
    app = mount()
    node.model.open_search()
    for key in "EVIL":
        node.model.type_key(key)
    frames()
    row = screen(app).ids.results.children[-1]
    assert row.markup and "&bl;color=ff0000&br;恶意" in row.text and "[color=ff0000]" not in row.text
