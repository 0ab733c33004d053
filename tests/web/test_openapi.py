"""The OpenAPI document (``/api/v1/openapi.json``) against the app: every ``/api/v1`` route is
described with its methods and nothing else is; every reference resolves; and real answers of the
API, good and bad, match the schemas the document gives for them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from backend.catalog import service
from backend.catalog.fileformat import validate_catalog
from tests.announce.support import Clock, csrf_token, login, make_client, make_hall

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/api/v1"
HOSTILE = "[b]公告[/b] <script>alert(1)</script> \u202e倒序"


@pytest.fixture
def hall(tmp_path):
    hall = make_hall(tmp_path, Clock())
    catalog, problems = validate_catalog((ROOT / "sample" / "catalog.yaml").read_bytes(), "sample/catalog.yaml")
    assert problems == []
    service.run(hall.backend.engine, None, lambda conn: service.apply_import(conn, catalog, hall.topics))
    yield hall
    hall.backend.stop()


@pytest.fixture
def app_client(hall):
    return make_client(hall)


@pytest.fixture
def document(app_client):
    response = app_client[1].get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def _routes(app) -> set[tuple[str, str]]:
    """(rule, method) of every /api/v1 route but the document itself."""
    return {(rule.rule.removeprefix(PREFIX), method.lower()) for rule in app.url_map.iter_rules()
            if rule.rule.startswith(PREFIX + "/") and rule.rule != f"{PREFIX}/openapi.json"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _rule_matches(rule: str, path: str) -> bool:
    """Does the Flask *rule* serve the document's *path*?  ``<x>`` matches any one segment."""
    return re.fullmatch(re.sub(r"<[^/]+?>", "[^/]+", re.escape(rule)),
                        re.sub(r"\{[^/]+?\}", "X", path)) is not None


def test_every_route_is_described_and_nothing_else(app_client, document):
    app, _ = app_client
    routes = _routes(app)
    described = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert any(rule.startswith("/announcements") for rule, _ in routes)   # the parts are all there
    undescribed = {(rule, method) for rule, method in routes
                   if not any(m == method and _rule_matches(rule, path) for path, m in described)}
    assert undescribed == set()
    stale = {(path, method) for path, method in described
             if not any(m == method and _rule_matches(rule, path) for rule, m in routes)}
    assert stale == set()


def test_every_reference_resolves(document):
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert {"#/components/schemas/Announcements", "#/components/schemas/Item"} <= refs
    assert {ref.rsplit("/", 1)[1] for ref in refs} <= set(document["components"]["schemas"])
    for operation in (op for ops in document["paths"].values() for op in ops.values()):
        assert operation["responses"] and operation.get("summary")


def _check(document, path: str, method: str, response) -> None:
    """*response* is one the document allows at *path*/*method*, and its JSON matches that schema."""
    answers = document["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in answers, f"{method.upper()} {path} answered {status}, which the document does not list"
    schema = answers[status]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(response.json)]
    assert errors == []


def test_the_announcements_answers_match_their_schemas(hall, app_client, document):
    _, client = app_client
    login(client)
    headers = {"X-CSRFToken": csrf_token(client.get("/admin/announcements").get_data(as_text=True))}
    made = client.post(f"{PREFIX}/announcements", json={"text": HOSTILE, "targets": ["wall", "bar"]}, headers=headers)
    _check(document, "/announcements", "post", made)
    assert made.status_code == 201
    listed = client.get(f"{PREFIX}/announcements")
    _check(document, "/announcements", "get", listed)
    assert [item["text"] for item in listed.json["items"]] == [HOSTILE]
    bad = client.post(f"{PREFIX}/announcements", json={"text": "", "targets": ["moon"]}, headers=headers)
    _check(document, "/announcements", "post", bad)
    assert bad.status_code == 400 and set(bad.json["error"]["fields"]) == {"text", "targets"}
    withdraw = "/announcements/{id}/withdraw"
    gone = client.post(f"{PREFIX}/announcements/{made.json['announcement']['id']}/withdraw", headers=headers)
    _check(document, withdraw, "post", gone)
    assert gone.json["announcement"]["withdrawn"] is True and gone.json["changed"] is True
    _check(document, withdraw, "post", client.post(f"{PREFIX}/announcements/n-none/withdraw", headers=headers))
    client.post("/logout", headers=headers)
    _check(document, "/announcements", "post", client.post(f"{PREFIX}/announcements", json={"text": "x"},
                                                           headers=headers))


def test_the_catalog_answers_match_their_schemas(app_client, document):
    _, client = app_client
    index = client.get(f"{PREFIX}/catalog/index")
    _check(document, "/catalog/index", "get", index)
    found = client.get(f"{PREFIX}/catalog/items", query_string={"q": "yyzz"})
    _check(document, "/catalog/items", "get", found)
    assert found.json["items"], "the sample has items matching yyzz"
    item = client.get(f"{PREFIX}/catalog/items/{found.json['items'][0]['id']}")
    _check(document, "/catalog/items/{id}", "get", item)
    assert item.json["materials"]
    _check(document, "/catalog/items/{id}", "get", client.get(f"{PREFIX}/catalog/items/no-such-item"))
    for name in ("departments", "queues", "windows"):
        _check(document, f"/catalog/{name}", "get", client.get(f"{PREFIX}/catalog/{name}"))
