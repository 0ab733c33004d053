"""JSON encoding and validated decoding of payloads, with readable errors."""

from __future__ import annotations

import functools
import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import PayloadTooLarge, ProtocolError
from .models import ErrorInfo, Payload, Reply, Request

P = TypeVar("P", bound=Payload)

#: Default limit for one payload; the broker's max_packet_size is 1 MiB and the
#: client lowers this to whatever the broker announces in CONNACK.
MAX_PAYLOAD_BYTES = 256 * 1024


def encode(payload: Payload) -> bytes:
    """Compact UTF-8 JSON of a payload (Chinese kept as is, not \\u-escaped)."""
    return payload.model_dump_json(exclude_none=False).encode("utf-8")


def check_size(topic: str, data: bytes, limit: int = MAX_PAYLOAD_BYTES) -> None:
    if len(data) > limit:
        raise PayloadTooLarge(len(data), limit, topic)


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: 'params.item: Field required'."""
    lines = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"]) or "(payload)"
        lines.append(f"{where}: {problem['msg']}")
    return "; ".join(lines)


def _load_object(data: bytes | str) -> dict:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("invalid_request", f"payload is not UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        obj = json.loads(data)
    except json.JSONDecodeError as exc:
        raise ProtocolError("invalid_request", f"payload is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(obj, dict):
        raise ProtocolError("invalid_request", f"payload must be a JSON object, got {type(obj).__name__}")
    version = obj.get("v")
    if version != 1:
        raise ProtocolError("unsupported_version", f"schema version {version!r} is not supported; this node speaks v 1")
    return obj


def decode(model: type[P], data: bytes | str) -> P:
    """Validate *data* as *model*; raise ProtocolError with a readable message."""
    obj = _load_object(data)
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise ProtocolError("invalid_request", f"invalid {model.__name__}: {describe_validation_error(exc)}")


def decode_optional(model: type[P], data: bytes | str) -> P | None:
    """Like :func:`decode`, but an empty payload (a cleared retained topic) gives None."""
    if not data:
        return None
    return decode(model, data)


def decode_request(data: bytes | str) -> Request:
    obj = _load_object(data)
    if obj.get("type") not in _request_types():
        raise ProtocolError("unknown_type", f"unknown request type {obj.get('type')!r}")
    try:
        return Request.model_validate(obj)
    except ValidationError as exc:
        raise ProtocolError("invalid_request", f"invalid {obj.get('type')} request: {describe_validation_error(exc)}")


@functools.cache
def _request_types() -> frozenset[str]:
    from .models.requests import REQUEST_PARAMS

    return frozenset(REQUEST_PARAMS)


def reply_ok(request_id: str, result: BaseModel | dict | None = None) -> Reply:
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return Reply(request_id=request_id, ok=True, result=result or {})


def reply_error(request_id: str, error: ProtocolError) -> Reply:
    return Reply(request_id=request_id, ok=False,
                 error=ErrorInfo(code=error.code, message=error.message[:1000], message_zh=error.message_zh))


def error_of(reply: Reply) -> ProtocolError:
    """The ProtocolError a failed reply stands for."""
    assert reply.error is not None
    code = reply.error.code
    from .errors import ERROR_CODES

    if code not in ERROR_CODES:
        code = "internal_error"
    return ProtocolError(code, reply.error.message, reply.error.message_zh or None)
