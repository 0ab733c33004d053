"""Every MQTT topic of the hall, built in one place.

Nothing outside this module spells a topic string: build them with
:class:`Topics` (bound to one hall id) and parse incoming ones with
:meth:`Topics.parse`.  :data:`TOPIC_TABLE` is the table the README publishes;
a test keeps the two in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ProtocolError

#: Ids that appear as one topic level: hall, device, queue, window, item, alert.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
_ID_RE = re.compile(rf"^{ID_PATTERN}$")


def check_id(value: str, what: str = "id") -> str:
    """Return *value* if it is safe as one topic level, else raise ProtocolError."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ProtocolError(
            "invalid_request",
            f"{what} {value!r} is not a valid id: use 1-64 letters, digits, '_', '.', '-' "
            "starting with a letter or digit",
        )
    return value


@dataclass(frozen=True)
class TopicSpec:
    """One row of the topic table."""

    name: str          # key used by Topics.parse and the dispatcher
    pattern: str       # with {h}, {d}, {q}, {w}, {item}, {alert}
    retain: bool
    publisher: str     # "backend" or "device"
    payload: str       # name of the payload model in protocol.payloads
    content: str       # one line for the README


TOPIC_TABLE: tuple[TopicSpec, ...] = (
    TopicSpec("catalog_index", "hall/{h}/catalog/index", True, "backend", "CatalogIndex",
              "catalog version, departments, queues, windows, id + content hash of every item"),
    TopicSpec("catalog_item", "hall/{h}/catalog/items/{item}", True, "backend", "Item",
              "one item's full guide (办事指南); cleared with an empty retained payload when deleted"),
    TopicSpec("queue_state", "hall/{h}/queues/{q}/state", True, "backend", "QueueState",
              "prefix, open/closed, waiting count, last called number, estimated wait and its basis"),
    TopicSpec("window_state", "hall/{h}/windows/{w}/state", True, "backend", "WindowState",
              "open/paused/closed, staff name and post, ticket being served, queues served"),
    TopicSpec("calls_recent", "hall/{h}/calls/recent", True, "backend", "RecentCalls",
              "the last N calls, newest first, for screens that just started"),
    TopicSpec("announcements", "hall/{h}/announcements", True, "backend", "Announcements",
              "the active announcements (id, text, priority, targets, start/end)"),
    TopicSpec("call_event", "hall/{h}/events/call", False, "backend", "CallEvent",
              "one call or recall (expiry 60 s): triggers voice and flash"),
    TopicSpec("alert", "hall/{h}/alerts/{alert}", True, "backend", "Alert",
              "an early warning (预警); cleared with an empty retained payload"),
    TopicSpec("device_config", "hall/{h}/devices/{d}/config", True, "backend", "DeviceConfig",
              "what that device should do (bound window, layout, language)"),
    TopicSpec("device_replies", "hall/{h}/devices/{d}/replies", False, "backend", "Reply",
              "replies to that device's requests (Correlation Data = request id)"),
    TopicSpec("device_status", "hall/{h}/devices/{d}/status", True, "device", "DeviceStatus",
              "online / offline; the last will sets offline after a will delay"),
    TopicSpec("device_health", "hall/{h}/devices/{d}/health", True, "device", "DeviceHealth",
              "role, software version, boot id, uptime, role-specific health"),
    TopicSpec("device_alert", "hall/{h}/devices/{d}/alerts/{alert}", True, "device", "Alert",
              "a device's own alert (paper_out, bar_not_answering, ...); cleared with an empty payload"),
    TopicSpec("device_requests", "hall/{h}/devices/{d}/requests", False, "device", "Request",
              "requests (expiry 30 s) with Response Topic + Correlation Data"),
)

SPECS = {spec.name: spec for spec in TOPIC_TABLE}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _compile(pattern: str) -> re.Pattern[str]:
    parts = []
    pos = 0
    for match in _PLACEHOLDER.finditer(pattern):
        parts.append(re.escape(pattern[pos:match.start()]))
        parts.append(f"(?P<{match.group(1)}>{ID_PATTERN})")
        pos = match.end()
    parts.append(re.escape(pattern[pos:]))
    return re.compile("^" + "".join(parts) + "$")


_MATCHERS = tuple((spec, _compile(spec.pattern)) for spec in TOPIC_TABLE)


@dataclass(frozen=True)
class ParsedTopic:
    """What :meth:`Topics.parse` found: the spec name and the ids in the topic."""

    name: str
    ids: dict[str, str]

    @property
    def spec(self) -> TopicSpec:
        return SPECS[self.name]


class Topics:
    """Topic builders for one hall (``hall/{h}/...``)."""

    def __init__(self, hall: str):
        self.hall = check_id(hall, "hall id")
        self._parsed: dict[str, ParsedTopic | None] = {}  # a backend parses every request's topic

    def _build(self, name: str, **ids: str) -> str:
        for key, value in ids.items():
            check_id(value, key)
        return SPECS[name].pattern.format(h=self.hall, **ids)

    # -- published by the backend -------------------------------------------------
    def catalog_index(self) -> str:
        return self._build("catalog_index")

    def catalog_item(self, item: str) -> str:
        return self._build("catalog_item", item=item)

    def queue_state(self, queue: str) -> str:
        return self._build("queue_state", q=queue)

    def window_state(self, window: str) -> str:
        return self._build("window_state", w=window)

    def calls_recent(self) -> str:
        return self._build("calls_recent")

    def announcements(self) -> str:
        return self._build("announcements")

    def call_event(self) -> str:
        return self._build("call_event")

    def alert(self, alert: str) -> str:
        return self._build("alert", alert=alert)

    def device_config(self, device: str) -> str:
        return self._build("device_config", d=device)

    def device_replies(self, device: str) -> str:
        return self._build("device_replies", d=device)

    # -- published by a device ----------------------------------------------------
    def device_status(self, device: str) -> str:
        return self._build("device_status", d=device)

    def device_health(self, device: str) -> str:
        return self._build("device_health", d=device)

    def device_alert(self, device: str, alert: str) -> str:
        return self._build("device_alert", d=device, alert=alert)

    def device_requests(self, device: str) -> str:
        return self._build("device_requests", d=device)

    # -- subscription filters -----------------------------------------------------
    def _filter(self, name: str, **ids: str) -> str:
        """The spec's pattern with '+' for every id not given."""
        names = _PLACEHOLDER.findall(SPECS[name].pattern)
        values = {key: "+" for key in names if key != "h"}
        for key, value in ids.items():
            values[key] = check_id(value, key)
        return SPECS[name].pattern.format(h=self.hall, **values)

    def everything(self) -> str:
        return f"hall/{self.hall}/#"

    def catalog_all(self) -> str:
        return f"hall/{self.hall}/catalog/#"

    def catalog_items_all(self) -> str:
        return self._filter("catalog_item")

    def queue_states_all(self) -> str:
        return self._filter("queue_state")

    def window_states_all(self) -> str:
        return self._filter("window_state")

    def alerts_all(self) -> str:
        return self._filter("alert")

    def all_device_requests(self) -> str:
        return self._filter("device_requests")

    def all_device_status(self) -> str:
        return self._filter("device_status")

    def all_device_health(self) -> str:
        return self._filter("device_health")

    def all_device_alerts(self) -> str:
        return self._filter("device_alert")

    def device_alerts(self, device: str) -> str:
        return self._filter("device_alert", d=device)

    def display_state(self) -> tuple[str, ...]:
        """What a screen subscribes to: every retained state topic plus call events."""
        return (
            self.catalog_all(),
            self.queue_states_all(),
            self.window_states_all(),
            self.calls_recent(),
            self.announcements(),
            self.call_event(),
            self.alerts_all(),
        )

    # -- parsing ------------------------------------------------------------------
    def parse(self, topic: str) -> ParsedTopic | None:
        """Map a concrete topic of this hall to its spec name and ids (None if unknown)."""
        if topic in self._parsed:
            return self._parsed[topic]
        parsed = None
        for spec, matcher in _MATCHERS:
            match = matcher.match(topic)
            if match:
                ids = match.groupdict()
                if ids.pop("h") == self.hall:
                    parsed = ParsedTopic(spec.name, ids)
                break
        if len(self._parsed) >= 4096:
            self._parsed.clear()
        self._parsed[topic] = parsed
        return parsed


#: Roles whose devices may send requests (the backend still checks each type).
REQUESTING_ROLES = frozenset({"kiosk", "keypad", "evaluator"})


def _acl_filter(spec: TopicSpec, hall: str, device: str) -> str:
    values = {key: "+" for key in _PLACEHOLDER.findall(spec.pattern) if key != "h"}
    if "d" in values:
        values["d"] = device
    return spec.pattern.format(h=hall, **values)


def acl_rules(hall: str) -> dict[str, list[tuple[str, str]]]:
    """The broker ACL the contract implies, as (access, topic) pairs.

    ``"pattern"``: lines for every device (``%u`` = its username = client id);
    ``"backend"``: the backend's own lines; ``"requester"``: added for a device
    of a requesting role, with ``{d}`` to fill in.
    """
    check_id(hall, "hall id")
    pattern: list[tuple[str, str]] = []
    for spec in TOPIC_TABLE:
        if spec.name == "device_requests":
            continue
        if spec.publisher == "backend":
            pattern.append(("read", _acl_filter(spec, hall, "%u")))
        else:
            pattern.append(("readwrite", _acl_filter(spec, hall, "%u")))
    return {
        "pattern": pattern,
        "backend": [("readwrite", f"hall/{hall}/#")],
        "requester": [("write", SPECS["device_requests"].pattern.replace("{h}", hall))],
    }
