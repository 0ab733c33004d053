"""The JSON API: search, details, lists, admin writes with CSRF, and the OpenAPI description."""

from __future__ import annotations

import json

import pytest

from .webapp import STAFF, login, make_app


@pytest.fixture
def client(loaded, publisher, tmp_path):
    return make_app(loaded, publisher, tmp_path).test_client()


def admin_headers(client) -> dict:
    login(client)
    return {"X-CSRFToken": client.get("/api/v1/catalog/csrf").json["csrf_token"]}


def test_search_by_chinese_pinyin_initials_and_code(client):
    for query, first in (("营业执照", "SCJ-001"), ("yyzz", "SCJ-001"), ("hz", "GAJ-001"), ("huzhao", "GAJ-001"),
                         ("ＣＬ－００１", "CL-001"), ("残疾人证", "CL-001")):
        body = client.get("/api/v1/catalog/items", query_string={"q": query}).json
        assert body["items"][0]["id"] == first, (query, body["items"][:3])
    body = client.get("/api/v1/catalog/items?q=证&department=gaj&limit=3").json
    assert body["count"] == 3 and {i["department"] for i in body["items"]} == {"gaj"}
    body = client.get("/api/v1/catalog/items", query_string={"kind": "退回件"}).json
    assert body["count"] == 2 and {i["kind"] for i in body["items"]} == {"退回件"}
    assert client.get("/api/v1/catalog/items?limit=x").status_code == 400
    assert client.get("/api/v1/catalog/items?kind=x").status_code == 400


def test_details_lists_and_index(client, sample):
    item = client.get("/api/v1/catalog/items/GAJ-001")
    assert item.status_code == 200 and item.json["name"] == "普通护照签发" and item.json["v"] == 1
    assert "护照" in item.get_data(as_text=True)  # Chinese as is, not \u-escaped
    missing = client.get("/api/v1/catalog/items/NOPE-1")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "unknown_item"
    assert len(client.get("/api/v1/catalog/departments").json["departments"]) == len(sample.departments)
    assert client.get("/api/v1/catalog/queues").json["queues"][1]["hours"][-1]["days"] == [6]
    assert client.get("/api/v1/catalog/windows").json["windows"][15]["queues"] == ["G", "E", "F", "A"]
    index = client.get("/api/v1/catalog/index").json
    assert index["version"] == 1 and len(index["items"]) == len(sample.items)


def test_writes_need_an_admin_and_a_csrf_token(client):
    body = {"id": "tax", "name": "税务局"}
    assert client.post("/api/v1/catalog/departments", json=body).status_code == 400  # CSRF first
    assert client.get("/api/v1/catalog/csrf").status_code == 401
    login(client, STAFF)
    headers = {"X-CSRFToken": client.get("/login").text.split('name="csrf-token" content="')[1].split('"')[0]}
    assert client.post("/api/v1/catalog/departments", json=body, headers=headers).status_code == 403


def test_admin_creates_updates_and_deletes(client, fake_broker, sample):
    headers = admin_headers(client)
    created = client.post("/api/v1/catalog/departments", json={"id": "tax", "name": "税务局"}, headers=headers)
    assert created.status_code == 201 and created.json["version"] == 2
    item = json.loads(sample.item("GAJ-001").model_dump_json())
    item["promised_days"] = 3
    updated = client.put("/api/v1/catalog/items/GAJ-001", json=item, headers=headers)
    assert updated.status_code == 200 and updated.json["version"] == 3
    retained = json.loads(fake_broker.retained["hall/test/catalog/items/GAJ-001"])
    assert retained["promised_days"] == 3
    item["kind"] = "普通件"
    bad = client.put("/api/v1/catalog/items/GAJ-001", json=item, headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["problems"][0]["field"] == "kind"
    item["kind"], item["department"] = "承诺件", "nope"
    refused = client.put("/api/v1/catalog/items/GAJ-001", json=item, headers=headers)
    assert refused.status_code == 422 and "unknown department" in refused.json["error"]["message"]
    assert client.put("/api/v1/catalog/items/GAJ-002", json=item, headers=headers).status_code == 400
    item.update(id="NEW-1", department="gaj")
    assert client.put("/api/v1/catalog/items/NEW-1", json=item, headers=headers).status_code == 404
    assert client.post("/api/v1/catalog/departments", json={"id": "tax", "name": "x"}, headers=headers).status_code == 409
    in_use = client.delete("/api/v1/catalog/departments/gaj", headers=headers)
    assert in_use.status_code == 409 and "still used" in in_use.json["error"]["message"]
    assert client.delete("/api/v1/catalog/items/GAJ-001", headers=headers).status_code == 200
    assert "hall/test/catalog/items/GAJ-001" not in fake_broker.retained
    assert client.delete("/api/v1/catalog/items/GAJ-001", headers=headers).status_code == 404
    assert client.post("/api/v1/catalog/things", json={}, headers=headers).status_code == 404


def test_import_and_export_over_the_api(client, sample_bytes):
    headers = admin_headers(client)
    dry = client.post("/api/v1/catalog/import?dry_run=1", data=sample_bytes, headers=headers)
    assert dry.status_code == 200 and dry.json["valid"] and dry.json["changed"] == []
    broken = sample_bytes.replace("kind: 即办件".encode(), "kind: 立办件".encode(), 1)
    bad = client.post("/api/v1/catalog/import", data=broken, headers=headers)
    assert bad.status_code == 422 and "seven kinds" in bad.json["error"]["problems"][0]["message"]
    exported = client.get("/api/v1/catalog/export", headers=headers)
    assert exported.data == sample_bytes
    csv = client.get("/api/v1/catalog/export?format=csv", headers=headers)
    assert csv.data.startswith("\ufeffid,code,name".encode())
    again = client.post("/api/v1/catalog/import?format=csv", data=csv.data, headers=headers)
    assert again.status_code == 200 and again.json["version"] == 1  # nothing changed


def test_openapi_document_is_complete(client):
    """The catalog's part of the one document (tests/web/test_openapi.py checks all of it against the app)."""
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/catalog/index", "/catalog/items", "/catalog/items/{id}", "/catalog/departments", "/catalog/queues",
            "/catalog/windows", "/catalog/import", "/catalog/export"} <= set(doc["paths"])
    assert "materials" in doc["components"]["schemas"]["Item"]["properties"]
