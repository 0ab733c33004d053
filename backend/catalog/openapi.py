"""The catalog's part of the OpenAPI description (``backend/web/openapi.py``): paths by hand, schemas
from the pydantic models."""

from __future__ import annotations

from pydantic.json_schema import models_json_schema

from protocol.models.catalog import CatalogIndex, Department, Item, Queue, Window

from ..web.openapi import ERROR, ID_PARAM, WRITE, json_content, ref


def _collection(name: str, model: str, summary: str) -> dict:
    single = name[:-1]
    return {
        f"/catalog/{name}": {
            "get": {"summary": f"all {name}", "tags": ["catalog"],
                    "responses": {"200": json_content({"type": "object", "properties": {
                        "version": {"type": "integer"}, name: {"type": "array", "items": ref(model)}}})}}
            if name != "items" else None,
            "post": {"summary": f"create a {single} (admin)", "tags": ["catalog admin"], **WRITE,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": ref(model)}}},
                     "responses": {"201": json_content(ref("Change")), "401": ERROR, "403": ERROR, "409": ERROR,
                                   "422": ERROR}},
        },
        f"/catalog/{name}/{{id}}": {
            **({"get": {"summary": summary, "tags": ["catalog"], "parameters": [ID_PARAM],
                        "responses": {"200": json_content(ref(model)), "404": ERROR}}} if name == "items" else {}),
            "put": {"summary": f"replace a {single} (admin); the id cannot change", "tags": ["catalog admin"],
                    **WRITE, "parameters": [ID_PARAM],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": ref(model)}}},
                    "responses": {"200": json_content(ref("Change")), "401": ERROR, "403": ERROR, "409": ERROR,
                                  "422": ERROR}},
            "delete": {"summary": f"delete a {single} (admin); refused while anything refers to it",
                       "tags": ["catalog admin"], **WRITE, "parameters": [ID_PARAM],
                       "responses": {"200": json_content(ref("Change")), "404": ERROR, "409": ERROR}},
        },
    }


def describe() -> tuple[dict, dict]:
    """The catalog's paths and schemas."""
    _, defs = models_json_schema([(m, "validation") for m in (Item, Department, Queue, Window, CatalogIndex)],
                                 ref_template="#/components/schemas/{model}")
    schemas = dict(defs["$defs"])
    schemas["Change"] = {"type": "object", "properties": {"version": {"type": "integer"},
                                                         "summary": {"type": "string"}, "id": {"type": "string"}}}
    schemas["ItemSummary"] = {"type": "object", "properties": {
        key: {"type": "string"} for key in ("id", "code", "name", "short_name", "department", "kind", "queue", "field")}
        | {"score": {"type": "number"}, "promised_days": {"type": "integer"},
           "statutory_days": {"type": ["integer", "null"]}, "is_free": {"type": "boolean"}}}
    paths: dict = {
        "/catalog/index": {"get": {"summary": "the catalog index (version, departments, queues, windows, "
                                              "item ids and content hashes)", "tags": ["catalog"],
                                   "responses": {"200": json_content(ref("CatalogIndex"))}}},
        "/catalog/items": {"get": {
            "summary": "search items (Chinese, pinyin, initials, code); no q lists them in catalog order",
            "tags": ["catalog"],
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "e.g. 营业执照, yyzz"},
                {"name": "department", "in": "query", "schema": {"type": "string"}},
                {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(Item.model_fields["kind"]
                                                                                           .annotation.__args__)}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 50, "maximum": 1000}}],
            "responses": {"200": json_content({"type": "object", "properties": {
                "version": {"type": "integer"}, "query": {"type": "string"}, "count": {"type": "integer"},
                "items": {"type": "array", "items": ref("ItemSummary")}}}), "400": ERROR}}},
        "/catalog/csrf": {"get": {"summary": "a CSRF token for write calls (admin session)", "tags": ["catalog admin"],
                                  "responses": {"200": json_content({"type": "object", "properties": {
                                      "csrf_token": {"type": "string"}}}), "401": ERROR}}},
        "/catalog/import": {"post": {
            "summary": "import a whole catalog (YAML) or the item table (CSV); all or nothing", **WRITE,
            "tags": ["catalog admin"],
            "parameters": [{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}},
                           {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["yaml", "csv"]}}],
            "requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}},
                                        "text/csv": {"schema": {"type": "string"}},
                                        "multipart/form-data": {"schema": {"type": "object", "properties": {
                                            "file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"200": json_content(ref("Change")), "422": ERROR, "401": ERROR, "403": ERROR}}},
        "/catalog/export": {"get": {
            "summary": "the canonical catalog file (YAML) or item table (CSV)", "tags": ["catalog admin"],
            "parameters": [{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["yaml", "csv"]}}],
            "responses": {"200": {"description": "the file", "content": {"application/yaml": {}, "text/csv": {}}},
                          "401": ERROR}}},
    }
    for name, model, summary in (("items", "Item", "one item's full guide (办事指南)"),
                                 ("departments", "Department", ""), ("queues", "Queue", ""),
                                 ("windows", "Window", "")):
        for path, operations in _collection(name, model, summary).items():
            paths.setdefault(path, {}).update({k: v for k, v in operations.items() if v is not None})
    return paths, schemas


__all__ = ["describe"]
