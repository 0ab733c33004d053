"""Executing requests: permission, idempotency, one transaction, then publication.

Every state change of the hall goes through :meth:`RequestExecutor.execute`,
whichever door it came in by (MQTT from a device, the counter console over
HTTP).  One lock orders the writers, so retained state is published in commit
order and never goes backwards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from pydantic import BaseModel
from sqlalchemy.engine import Connection, Engine

from protocol import ProtocolError, Topics
from protocol.codec import encode, reply_error, reply_ok
from protocol.models import Reply, Request, WindowParams, SubmitEvaluation

from .db import write_transaction
from .publisher import Publication, Publisher
from .registry import Actor
from .requests_log import find_reply, record_reply
from .settings import BackendSettings

log = logging.getLogger(__name__)

#: What each role may ask (PROTOCOL.md: "a wall may ask nothing").
WINDOW_OPS = frozenset({
    "window.call_next", "window.recall", "window.skip", "window.call_number", "window.transfer",
    "window.start", "window.finish", "window.pause", "window.resume",
})
PERMISSIONS: dict[str, frozenset[str]] = {
    "kiosk": frozenset({"ticket.issue", "ticket.checkin"}),
    "keypad": WINDOW_OPS,
    "evaluator": frozenset({"evaluation.submit"}),
    "console": WINDOW_OPS | {"evaluation.submit"},
    "wall": frozenset(),
    "bar": frozenset(),
}


@dataclass
class Context:
    """What a handler gets: the open transaction, who asks, what, and when."""

    conn: Connection
    actor: Actor
    request: Request
    now: datetime
    settings: BackendSettings
    topics: Topics

    @property
    def params(self) -> Any:
        return self.request.params

    @property
    def window(self) -> str:
        """The window the request is about (bound window for keypads and evaluators)."""
        window = getattr(self.params, "window", None) or self.actor.window
        if not window:
            raise ProtocolError("invalid_request", "this request needs a 'window'")
        return window


@dataclass
class Outcome:
    result: BaseModel | dict | None = None
    publications: list[Publication] = field(default_factory=list)


Handler = Callable[[Context], Outcome]


class RequestExecutor:
    def __init__(self, settings: BackendSettings, engine: Engine, publisher: Publisher,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.settings = settings
        self.engine = engine
        self.publisher = publisher
        self.clock = clock
        self.topics = Topics(settings.hall)
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def handles(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def check_permission(self, actor: Actor, request: Request) -> None:
        allowed = PERMISSIONS.get(actor.role, frozenset())
        if request.type not in allowed:
            raise ProtocolError("not_permitted", f"a {actor.role} ({actor.id}) may not send {request.type}")
        bound = actor.window
        asked = getattr(request.params, "window", None)
        if bound and asked and asked != bound and isinstance(request.params, (WindowParams, SubmitEvaluation)):
            raise ProtocolError("not_permitted", f"{actor.id} is bound to window {bound}, not {asked}")

    def execute(self, actor: Actor, request: Request) -> Reply:
        """Run *request* once; a repeated id returns the stored reply without doing anything."""
        with self.publisher.lock:
            publications: list[Publication] = []
            with write_transaction(self.engine) as conn:
                stored = find_reply(conn, actor.id, request.id)
                if stored is not None:
                    return Reply.model_validate_json(stored)
                now = self.clock()
                try:
                    self.check_permission(actor, request)
                    handler = self._handlers.get(request.type)
                    if handler is None:
                        raise ProtocolError("unknown_type", f"{request.type} is not handled by this backend")
                    savepoint = conn.begin_nested()
                    try:
                        outcome = handler(Context(conn, actor, request, now, self.settings, self.topics))
                    except BaseException:
                        savepoint.rollback()
                        raise
                    savepoint.commit()
                    reply = reply_ok(request.id, outcome.result)
                    publications = outcome.publications
                except ProtocolError as exc:
                    reply = reply_error(request.id, exc)
                    publications = []
                record_reply(conn, actor.id, request.id, request.type, encode(reply).decode("utf-8"), now)
            self.publisher.publish(publications)
            return reply

    def publish_state(self, build: Callable[[Connection], list[Publication]]) -> None:
        """Compute publications from the database and publish them, in order with requests."""
        with self.publisher.lock:
            with self.engine.connect() as conn:
                pubs = build(conn)
            self.publisher.publish(pubs)

