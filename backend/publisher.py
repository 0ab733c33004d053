"""Publishing what changed, and republishing all retained state (the database is the truth)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy.engine import Connection, Engine

from protocol import ProtocolError
from protocol.models import Payload

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Publication:
    """One message to publish after a commit. ``payload=None`` clears a retained topic."""

    topic: str
    payload: Payload | None
    retain: bool = True
    expiry: int | None = None


Provider = Callable[[Connection], Iterable[Publication]]


class Publisher:
    """Sends publications in order; providers yield the full retained state for republish."""

    def __init__(self, bus, engine: Engine):
        self.bus = bus
        self.engine = engine
        self._providers: list[Provider] = []
        self._lock = threading.RLock()
        #: The backend's running parts by name (e.g. "announcements"), for web pages that need them.
        self.services: dict[str, object] = {}

    def add_provider(self, provider: Provider) -> None:
        self._providers.append(provider)

    def publish(self, publications: Iterable[Publication]) -> None:
        with self._lock:
            for pub in publications:
                try:
                    self.bus.publish(pub.topic, pub.payload, retain=pub.retain, expiry=pub.expiry)
                except ProtocolError as exc:  # oversize: never sent, never loops
                    log.error("not publishing %s: %s", pub.topic, exc)

    def corked(self):
        """Publishes in the block go out together (:meth:`protocol.BaseBus.corked`)."""
        return self.bus.corked()

    def republish_all(self) -> int:
        """Publish every provider's state; returns how many messages went out."""
        count = 0
        with self._lock, self.engine.connect() as conn:
            for provider in self._providers:
                pubs = list(provider(conn))
                self.publish(pubs)
                count += len(pubs)
        log.info("republished %d retained messages", count)
        return count

    @property
    def lock(self) -> threading.RLock:
        """Held while computing-and-publishing, so retained state is published in commit order."""
        return self._lock
