"""Publishing announcements: the retained ``announcements`` topic always carries the active ones.

It is republished (1) after an administrator creates or withdraws one,
(2) by the republish provider on every start and reconnect, and (3) by a
:class:`~backend.ticker.Ticker` when an announcement starts or ends.
Each publication happens under the publisher's lock, in order with requests.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection, Engine

from protocol import Topics
from protocol.models import Announcement, Announcements

from ..db import write_transaction
from ..publisher import Publication, Publisher
from ..settings import BackendSettings
from .model import Draft, Notice, canonical_targets, check_draft, normalise_text
from .schedule import active_at, next_change
from .tables import get_notice, insert_notice, live_notices, new_id, recent_notices, withdraw_notice
from ..ticker import Ticker

log = logging.getLogger(__name__)

#: The service each running backend installed, found by its publisher (the web app holds the same one).


class DraftError(ValueError):
    """A draft that :func:`check_draft` refused; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AnnouncementService:
    def __init__(self, settings: BackendSettings, engine: Engine, publisher: Publisher | None,
                 clock: Callable[[], datetime] = utc_now, *, alive: Callable[[], bool] = lambda: True):
        self.settings = settings
        self.engine = engine
        self.publisher = publisher
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self.topics = Topics(settings.hall)
        self._published: tuple[Announcement, ...] | None = None
        self.ticker = Ticker("announcements", self.tick, clock, alive=alive)

    # -- reading ------------------------------------------------------------------
    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def default_window(self, now: datetime | None = None) -> tuple[datetime, datetime]:
        """Now (to the minute) until the end of the hall's day (23:59 local; tomorrow's if that has passed)."""
        start = self.local(now or self.clock()).replace(second=0, microsecond=0)
        end = datetime.combine(start.date(), time(23, 59), tzinfo=self.tz)
        if end <= start:
            end += timedelta(days=1)
        return start, end

    def active(self, conn: Connection, now: datetime) -> list[Notice]:
        return active_at(live_notices(conn, now), now)

    def payload(self, conn: Connection, now: datetime) -> Announcements:
        """What the ``announcements`` topic should carry at *now* (times in the hall's zone)."""
        items = tuple(Announcement(id=n.id, text=n.text, priority=n.priority, targets=n.targets,
                                   start=self.local(n.start), end=self.local(n.end))
                      for n in self.active(conn, now))
        return Announcements(items=items, updated_at=self.local(now))

    def list(self, now: datetime | None = None) -> list[Notice]:
        with self.engine.connect() as conn:
            return recent_notices(conn, now or self.clock())

    def get(self, notice_id: str) -> Notice | None:
        with self.engine.connect() as conn:
            return get_notice(conn, notice_id)

    # -- publishing ---------------------------------------------------------------
    def publications(self, conn: Connection, now: datetime) -> list[Publication]:
        payload = self.payload(conn, now)
        self._published = payload.items
        return [Publication(self.topics.announcements(), payload)]

    def provider(self, conn: Connection) -> list[Publication]:
        """The republish provider (start, reconnect)."""
        return self.publications(conn, self.clock())

    def _publish_if_changed(self, conn: Connection, now: datetime) -> bool:
        payload = self.payload(conn, now)
        if payload.items == self._published:
            return False
        self._published = payload.items
        if self.publisher is not None:
            self.publisher.publish([Publication(self.topics.announcements(), payload)])
        return True

    def tick(self, now: datetime) -> datetime | None:
        """Republish if the active set changed by *now*; return when it next changes."""
        lock = self.publisher.lock if self.publisher is not None else nullcontext()
        with lock, self.engine.connect() as conn:
            if self._publish_if_changed(conn, now):
                log.info("announcements changed at %s: republished", now.isoformat())
            return next_change(live_notices(conn, now), now)

    # -- changing -----------------------------------------------------------------
    def create(self, draft: Draft, by: str, now: datetime | None = None) -> Notice:
        """Store a checked draft and publish at once if it is active; raises DraftError."""
        now = now or self.clock()
        errors = check_draft(draft, now)
        if errors:
            raise DraftError(errors)
        assert draft.start is not None and draft.end is not None
        notice = Notice(id=new_id(), text=normalise_text(draft.text), priority=draft.priority,
                        targets=canonical_targets(draft.targets), start=draft.start.astimezone(timezone.utc),
                        end=draft.end.astimezone(timezone.utc), created_by=by, created_at=now)
        self._change(lambda conn: insert_notice(conn, notice), now)
        log.info("announcement %s created by %s (%s to %s)", notice.id, by, notice.start, notice.end)
        return notice

    def withdraw(self, notice_id: str, by: str, now: datetime | None = None) -> bool:
        """Withdraw (撤回); False if unknown or already withdrawn."""
        now = now or self.clock()
        done = self._change(lambda conn: withdraw_notice(conn, notice_id, by, now), now)
        if done:
            log.info("announcement %s withdrawn by %s", notice_id, by)
        return bool(done)

    def _change(self, work: Callable[[Connection], object], now: datetime):
        lock = self.publisher.lock if self.publisher is not None else nullcontext()
        with lock:
            with write_transaction(self.engine) as conn:
                result = work(conn)
            with self.engine.connect() as conn:
                self._publish_if_changed(conn, now)
        self.ticker.wake()
        return result


def service_for(publisher: Publisher | None) -> AnnouncementService | None:
    """The service a backend installed for this publisher, if any."""
    return publisher.services.get("announcements") if publisher is not None else None


def install(backend) -> AnnouncementService:
    """Register on *backend* (``backend.app.INSTALLERS``): provider, and the timer on every connect."""
    bus = backend.bus
    service = AnnouncementService(backend.settings, backend.engine, backend.publisher, backend.executor.clock,
                                  alive=bus.connected.is_set)
    backend.publisher.add_provider(service.provider)
    bus.on_connect(service.ticker.ensure_started)
    backend.publisher.services["announcements"] = service
    backend.on_stop.append(service.ticker.stop)
    return service
