"""The OpenAPI 3.1 description of the whole JSON API under ``/api/v1``: ``GET /api/v1/openapi.json``.

Each part of the API describes itself next to its code (``backend/catalog/openapi.py``,
``backend/announce/openapi.py``: a ``describe()`` giving its paths and schemas, the paths by
hand, the schemas from the pydantic models where there is one); this module puts them together
with what they share (the error body, the two security schemes).  ``tests/web/test_openapi.py``
checks that every ``/api/v1`` route of the app is described, with its methods.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from flask import Blueprint, jsonify

#: The modules whose ``describe() -> (paths, schemas)`` make up the document.  Add yours here.
PARTS = ("backend.catalog.openapi", "backend.announce.openapi")

bp = Blueprint("api_doc", __name__, url_prefix="/api/v1")


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict, description: str = "OK") -> dict:
    """A response (or request body) of JSON matching *schema*."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


#: Every error answer: ``{"error": {"code", "message", ...}}``.
ERROR = json_content(ref("Error"), "error (see error.code; error.problems or error.fields name what is wrong)")
#: The ``{id}`` of a path.
ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
#: A write: an administrator's session cookie and the CSRF token in ``X-CSRFToken``.
WRITE = {"security": [{"session": [], "csrf": []}]}

_ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "problems": {"type": "array", "description": "catalog imports and edits: each problem found",
                     "items": {"type": "object", "properties": {
                         "file": {"type": "string"}, "where": {"type": "string"}, "field": {"type": "string"},
                         "message": {"type": "string"}, "line": {"type": ["integer", "null"]},
                         "text": {"type": "string"}}}},
        "fields": {"type": "object", "description": "announcements: the messages for each field",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}}}


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    paths: dict = {}
    schemas: dict = {"Error": _ERROR_SCHEMA}
    for name in PARTS:
        part_paths, part_schemas = importlib.import_module(name).describe()
        for path, operations in part_paths.items():
            paths.setdefault(path, {}).update(operations)
        clashes = {key for key in part_schemas if key in schemas and schemas[key] != part_schemas[key]}
        if clashes:
            raise RuntimeError(f"{name} redefines the schemas {sorted(clashes)}")
        schemas.update(part_schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "OneStop Hall API", "version": "1",
                 "description": "The item catalog and service guides (办事指南) and the hall's announcements "
                                "(公告). Reading is open; writing needs an administrator session and the "
                                "X-CSRFToken header."},
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas, "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"}}},
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


__all__ = ["ERROR", "ID_PARAM", "WRITE", "bp", "json_content", "openapi_document", "ref"]
