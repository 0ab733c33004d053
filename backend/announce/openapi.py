"""The announcements' part of the OpenAPI description (``backend/web/openapi.py``).

``GET`` answers with the retained topic's ``Announcements`` payload (its schema from the model);
the body of a ``POST`` and the announcement it answers with are described by hand from
``api.py`` and ``model.py`` (the limits are the model's, so they cannot drift apart).
"""

from __future__ import annotations

from pydantic.json_schema import models_json_schema

from protocol.models.hall import Announcements

from ..web.openapi import ERROR, ID_PARAM, WRITE, json_content, ref
from .model import MAX_TEXT, PRIORITIES, TARGETS

_TIME = {"type": "string", "format": "date-time",
         "description": "RFC 3339 with an offset, e.g. 2026-05-06T09:00:00+08:00"}
_TARGETS = {"type": "array", "items": {"type": "string", "enum": list(TARGETS)}, "minItems": 1, "uniqueItems": True}


def describe() -> tuple[dict, dict]:
    """The announcements' paths and schemas."""
    _, defs = models_json_schema([(Announcements, "serialization")], ref_template="#/components/schemas/{model}")
    schemas = dict(defs["$defs"])
    schemas["AnnouncementDraft"] = {
        "type": "object", "required": ["text"], "additionalProperties": True,
        "description": "untrusted text, kept literally: every screen escapes it",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT,
                     "description": "no control characters but a line break"},
            "priority": {"type": "string", "enum": list(PRIORITIES), "default": "normal"},
            "targets": _TARGETS | {"default": list(TARGETS)},
            "start": _TIME | {"description": "default: now"},
            "end": _TIME | {"description": "default: the end of the hall's day; after start and not past"}}}
    schemas["AnnouncementRecord"] = {
        "type": "object", "required": ["id", "text", "priority", "targets", "start", "end", "created_by", "withdrawn"],
        "properties": {"id": {"type": "string"}, "text": {"type": "string"},
                       "priority": {"type": "string", "enum": list(PRIORITIES)}, "targets": _TARGETS,
                       "start": _TIME, "end": _TIME, "created_by": {"type": "string"},
                       "withdrawn": {"type": "boolean"}}}
    denied = {"400": ERROR, "401": ERROR, "403": ERROR}
    paths = {
        "/announcements": {
            "get": {"summary": "the active announcements (the retained topic's payload); no login",
                    "tags": ["announcements"], "responses": {"200": json_content(ref("Announcements"))}},
            "post": {"summary": "post an announcement (admin); published at its start", "tags": ["announcements"],
                     **WRITE, "requestBody": {"required": True, "content": {"application/json": {
                         "schema": ref("AnnouncementDraft")}}},
                     "responses": {"201": json_content({"type": "object", "properties": {
                         "announcement": ref("AnnouncementRecord")}}, "created"), **denied}}},
        "/announcements/{id}/withdraw": {
            "post": {"summary": "withdraw an announcement (admin); the screens drop it at once",
                     "tags": ["announcements"], **WRITE,
                     "parameters": [ID_PARAM],
                     "responses": {"200": json_content({"type": "object", "properties": {
                         "announcement": ref("AnnouncementRecord"),
                         "changed": {"type": "boolean", "description": "false: it was withdrawn already"}}}),
                         "404": ERROR, **denied}}},
    }
    return paths, schemas


__all__ = ["describe"]
