"""The kiosk node: wires a bus (real or fake), the model, the printer and the health reports.

No Kivy: the app calls :meth:`KioskNode.tick` about once a second and the
action methods on presses; the lead's real-broker tests drive it the same way
with a :class:`protocol.client.MqttBus`.

::

    node = KioskNode(bus, device="kiosk-1", model=KioskModel(bus.topics), printer=printer,
                     catalog_path=Path("var/kiosk-1/catalog.json")).start()
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from hardware.errors import HardwareError, PaperOut
from protocol.bus import BaseBus
from protocol.errors import ProtocolError
from protocol.codec import decode_optional
from protocol.models import CheckIn, DeviceConfig, IssueTicket, Request, TicketInfo, TicketResult

from .health import HealthReporter
from .model import Failure, KioskModel
from .runner import InlineRunner, ThreadRunner
from .slips import checklist_slip, ticket_slip

log = logging.getLogger(__name__)


class KioskNode:
    """One kiosk: takes any bus (MqttBus, FakeBus), a :class:`KioskModel` and a TicketPrinter (or None)."""

    def __init__(self, bus: BaseBus, *, device: str, model: KioskModel, printer=None,
                 catalog_path: str | Path | None = None, runner: ThreadRunner | InlineRunner | None = None,
                 request_timeout_s: float = 8.0, health_interval_s: float = 60.0, paper_poll_s: float = 30.0,
                 printer_kind: str = "", clock: Callable[[], float] | None = None,
                 wall: Callable[[], datetime] | None = None):
        self.bus = bus
        self.device = device
        self.model = model
        self.printer = printer
        self.printer_kind = printer_kind
        self.catalog_path = Path(catalog_path) if catalog_path else None
        self.runner = runner or ThreadRunner()
        self.request_timeout_s = request_timeout_s
        self.health_interval_s = health_interval_s
        self.paper_poll_s = paper_poll_s
        self.clock = clock or model.clock or time.monotonic
        self.wall = wall or model.wall or (lambda: datetime.now(timezone.utc))
        self.health = HealthReporter(bus, device, clock=self.clock, wall=self.wall)
        self._saved_version: int | None = None   # the catalog version indexed and saved last
        self._health_at: float | None = None
        self._paper_at: float | None = None
        self._backend_quiet = False
        self._banner = ""
        self._started = False
        #: The first language from the kiosk's own settings, until the hall's registry names one.
        self.own_language = model.options.language

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> "KioskNode":
        if self._started:
            return self
        self._started = True
        hall = self.model.hall
        hall.rebuild_in_search = False          # the index is rebuilt here, off the UI thread
        if self.catalog_path is not None and hall.mirror.load(self.catalog_path):
            self._saved_version = hall.version
            log.info("loaded the saved catalog v%s (%d items) from %s", hall.version, len(hall.items()),
                     self.catalog_path)
        hall.rebuild_index()
        self.model.listen(self._model_changed)
        hall.mirror.subscribe(self.bus)
        topics = self.bus.topics
        self.bus.subscribe(topics.queue_states_all(), hall.handle_queue)
        self.bus.subscribe(topics.announcements(), hall.handle_announcements)
        self.bus.subscribe(topics.device_config(self.device), self._on_config)
        self.bus.on_connect(self._on_connect)
        self.runner.start()
        self.bus.start()
        self.model.set_online(self.bus.connected.is_set())
        self.runner.submit(self.poll_paper)
        self._paper_at = self.clock()
        return self

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        self.model.unlisten(self._model_changed)
        self.runner.stop()
        self.bus.stop()

    def _on_connect(self) -> None:
        """Bus worker thread, after every (re)connect."""
        self.health.online()
        self.health.republish_alerts()
        self.model.set_online(True)
        self.publish_health()

    def _on_config(self, message) -> None:
        """The device's config from the hall registry (retained): its first language, if it names one."""
        try:
            config = decode_optional(DeviceConfig, message.payload)
        except ProtocolError as exc:
            log.warning("ignoring a bad device config: %s", exc)
            return
        if config is not None and config.device != self.device:
            log.warning("ignoring the config of %s on %s's topic", config.device, self.device)
            return
        language = (config.language if config is not None else "") or self.own_language
        if language != self.model.options.language:
            log.info("first language for a new visitor: %s (%s)", language,
                     "hall registry" if config is not None and config.language else "own setting")
        self.model.set_default_language(language)

    def tick(self) -> None:
        """About once a second: connection, idle timeout, periodic health and paper checks."""
        self.model.set_online(self.bus.connected.is_set())
        self.model.check_idle()
        quiet = self.model.backend_quiet
        if quiet != self._backend_quiet:
            self._backend_quiet = quiet
            self.model.emit("device")
        banner = self.model.announcement_text()   # announcements start and end with the clock
        if banner != self._banner:
            self._banner = banner
            self.model.emit("announcements")
        now = self.clock()
        if self._health_at is None or now - self._health_at >= self.health_interval_s:
            self._health_at = now
            self.runner.submit(self.publish_health)
        if self._paper_at is None or now - self._paper_at >= self.paper_poll_s:
            self._paper_at = now
            self.runner.submit(self.poll_paper)

    def _model_changed(self, what: str) -> None:
        if what != "catalog":
            return
        hall = self.model.hall
        if hall.mirror.complete and hall.version != self._saved_version:
            self._saved_version = hall.version
            self.runner.submit(self._new_catalog)

    def _new_catalog(self) -> None:
        """A new complete catalog: index it for search, keep it on disk, report its version."""
        self.model.hall.rebuild_index()
        if self.catalog_path is not None:
            try:
                self.model.hall.mirror.save(self.catalog_path)
            except OSError as exc:
                log.error("cannot save the catalog to %s: %s (check data_dir)", self.catalog_path, exc)
            else:
                log.info("catalog v%s saved to %s", self.model.hall.version, self.catalog_path)
        self.publish_health()

    # -- health and paper ------------------------------------------------------------------
    def publish_health(self) -> None:
        hall = self.model.hall
        self.health.health(paper=self.model.paper, catalog_version=hall.version, details={
            "catalog_items": len(hall.items()),
            "catalog_complete": hall.mirror.complete,
            "printer": self.printer_kind or type(self.printer).__name__,
        })

    def poll_paper(self) -> str:
        """Ask the printer's paper sensor (runner thread: it may block on the link)."""
        if self.printer is None:
            paper = "unknown"
        else:
            try:
                paper = self.printer.paper_status().value
            except (HardwareError, OSError) as exc:
                log.warning("paper status: %s", exc)
                paper = "unknown"
        self._paper(paper)
        return paper

    def _paper(self, paper: str) -> None:
        changed = self.model.set_paper(paper)
        self.health.paper(paper)
        if changed:
            self.publish_health()

    # -- number-taking -----------------------------------------------------------------
    def take_number(self, item_id: str) -> bool:
        """A press on "take a number" (screen or GPIO button): True if a request went out."""
        model = self.model
        model.touch()
        item = model.hall.item(item_id)
        if item is None:
            model.set_notice(model.t("guide.missing"))
            return False
        status = model.take_status(item)
        if not status.ok:
            model.set_notice(status.reason)
            return False
        if not model.accept_press(f"take:{item_id}"):
            return False
        priority = "elderly" if model.visit.elderly else "normal"
        params = IssueTicket(item=item_id, priority=priority, language=model.language)
        return self._begin(params)

    def check_in(self) -> bool:
        """Submit the typed appointment code (预约签到)."""
        model = self.model
        model.touch()
        code = model.visit.code
        if len(code) < 4:
            model.set_notice(model.t("checkin.too_short"))
            return False
        status = model.take_status()
        if not status.ok:
            model.set_notice(status.reason)
            return False
        if not model.accept_press(f"checkin:{code}"):
            return False
        return self._begin(CheckIn(code=code))

    def retry(self) -> bool:
        """Re-send the request that timed out, with its id."""
        self.model.touch()
        if not self.model.online:
            return False
        request = self.model.desk.retry()
        if request is None:
            return False
        self.model.emit("ticket")
        self.runner.submit(lambda: self._send(request))
        return True

    def _begin(self, params) -> bool:
        request = self.model.desk.begin(params)
        if request is None:
            return False  # one is already in flight: a double tap
        self.model.go("ticket")
        self.model.emit("ticket")
        self.runner.submit(lambda: self._send(request))
        return True

    def _fail(self, request: Request, code: str, message_zh: str = "") -> None:
        if self.model.desk.fail(request.id, Failure(code, message_zh)):
            self.model.emit("ticket")

    def _send(self, request: Request) -> None:
        """Runner thread: paper check, the request (re-sent with its id until the timeout), print."""
        if self.poll_paper() == "out":
            self._fail(request, "paper_out", self.model.t("off.paper", help=self.model.help_text))
            return
        try:
            reply = self.bus.request(request, timeout=self.request_timeout_s)
        except ProtocolError as exc:
            log.warning("%s %s failed: %s", request.type, request.id, exc)
            if exc.code == "timeout":
                self.model.backend_timed_out()
            self._fail(request, exc.code, exc.message_zh)
            return
        self.model.backend_heard()
        if not reply.ok:
            assert reply.error is not None
            log.info("%s %s refused: %s %s", request.type, request.id, reply.error.code, reply.error.message)
            self._fail(request, reply.error.code, reply.error.message_zh)
            return
        try:
            ticket = TicketResult.model_validate(reply.result or {}).ticket
        except ValidationError as exc:
            log.error("%s %s: the reply carries no valid ticket: %s", request.type, request.id, exc)
            self._fail(request, "internal_error")
            return
        if self.model.desk.succeed(request.id, ticket):
            log.info("ticket %s issued (%s)", ticket.number, request.id)
            self.model.emit("ticket")
            self._print_ticket(ticket)

    def _print_ticket(self, ticket: TicketInfo) -> None:
        printed = False
        if self.printer is not None:
            try:
                paper = self.printer.print_ticket(ticket_slip(ticket, self.model.hall_name)).value
                printed = True
                self._paper(paper)
            except PaperOut:
                self._paper("out")
            except (HardwareError, OSError) as exc:
                log.error("ticket %s not printed: %s", ticket.number, exc)
        self.model.desk.mark_printed(printed)
        self.model.emit("ticket")

    # -- the one-time notice ---------------------------------------------------------------
    def print_checklist(self, item_id: str) -> bool:
        """Print the item's 一次性告知单 (works offline: it needs only the local catalog)."""
        model = self.model
        model.touch()
        item = model.hall.item(item_id)
        if item is None or model.printing or not model.accept_press(f"checklist:{item_id}"):
            return False
        if model.paper == "out":
            model.set_notice(model.t("off.paper", help=model.help_text))
            return False
        with model.lock:
            model.printing = True
        model.set_notice(model.t("guide.printing"))
        self.runner.submit(lambda: self._print_checklist(item_id))
        return True

    def _print_checklist(self, item_id: str) -> None:
        model = self.model
        item = model.hall.item(item_id)
        notice = model.t("guide.print_failed", help=model.help_text)
        try:
            if item is not None and self.printer is not None:
                slip = checklist_slip(item, hall_name=model.hall_name,
                                      department=model.hall.department_name(item.department),
                                      windows=model.hall.window_lines(item), printed_at=self.wall())
                self._paper(self.printer.print_checklist(slip).value)
                notice = model.t("guide.printed")
        except PaperOut:
            self._paper("out")
            notice = model.t("off.paper", help=model.help_text)
        except (HardwareError, OSError) as exc:
            log.error("checklist for %s not printed: %s", item_id, exc)
        finally:
            with model.lock:
                model.printing = False
        if model.visit.screen == "guide" and model.visit.item_id == item_id:
            model.set_notice(notice)
        else:
            model.emit("visit")
