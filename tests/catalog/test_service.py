"""The catalog in the database: import all or nothing, the CLI, the store API, edits and versions."""

from __future__ import annotations

import pytest
import yaml

from backend.catalog import cli, service, store
from backend.catalog.fileformat import catalog_data, dump_yaml
from backend.catalog.model import CatalogError
from protocol.models.catalog import Department, Item, Queue, Window, item_hash

from .conftest import SAMPLE, dump


def write(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else dump_yaml(data).encode("utf-8"))
    return str(path)


def test_cli_imports_the_sample_and_exports_it_byte_for_byte(engine, tmp_path, capsys, sample_bytes):
    assert cli.cli_import(engine, str(SAMPLE), dry_run=True) == cli.EXIT_OK
    assert "dry run, nothing imported" in capsys.readouterr().out
    assert dump(engine)["items"] == []
    assert cli.cli_import(engine, str(SAMPLE)) == cli.EXIT_OK
    assert "catalog version 1" in capsys.readouterr().out
    out = tmp_path / "out.yaml"
    assert cli.cli_export(engine, "yaml", str(out)) == cli.EXIT_OK
    assert out.read_bytes() == sample_bytes
    assert cli.cli_export(engine, "csv", str(tmp_path / "items.csv")) == cli.EXIT_OK
    before = dump(engine)
    assert cli.cli_import(engine, str(tmp_path / "items.csv")) == cli.EXIT_OK  # the same table: no change
    assert dump(engine) == before
    assert cli.cli_export(engine, "xml") == cli.EXIT_USAGE


@pytest.mark.parametrize("breakage", ["kind", "missing", "encoding", "duplicate", "department", "syntax"])
def test_failed_import_leaves_the_database_unchanged(loaded, sample, tmp_path, capsys, breakage):
    data = catalog_data(sample)
    item = data["items"][5]
    if breakage == "kind":
        item["kind"] = "加急件"
    elif breakage == "missing":
        del item["queue"]
    elif breakage == "duplicate":
        data["items"][6]["code"] = item["code"]
    elif breakage == "department":
        item["department"] = "tax"
    data["items"][0]["name"] = "改过的名字"  # a valid change that must not be applied either
    raw = dump_yaml(data).encode("utf-8")
    if breakage == "encoding":
        raw = raw.decode().encode("gb18030")
    elif breakage == "syntax":
        raw = raw.replace(b"items:", b"items: [", 1)
    before = dump(loaded)
    path = write(tmp_path, "broken.yaml", raw)
    assert cli.cli_import(loaded, path) == cli.EXIT_INVALID
    err = capsys.readouterr().err
    assert "nothing was imported" in err and f"{path}: " in err
    assert dump(loaded) == before


def test_import_is_one_transaction(loaded, sample, topics, monkeypatch):
    """A failure half-way through writing rolls everything back."""
    before = dump(loaded)
    changed = sample.model_copy(update={"items": tuple(i.model_copy(update={"notes": "新"}) for i in sample.items)})
    calls = []

    def failing(conn, item, *args, **kwargs):
        calls.append(item.id)
        if len(calls) == 50:
            raise RuntimeError("disk full")
        return original(conn, item, *args, **kwargs)

    original = store.write_item
    monkeypatch.setattr(store, "write_item", failing)
    with pytest.raises(RuntimeError):
        service.run(loaded, None, lambda conn: service.apply_import(conn, changed, topics))
    assert dump(loaded) == before


def test_store_functions_for_the_queue_engine(loaded, sample):
    with loaded.connect() as conn:
        assert store.catalog_version(conn) == 1
        assert store.hall_name(conn) == sample.hall.name
        assert store.get_item(conn, "GAJ-001") == sample.item("GAJ-001")
        assert store.get_item(conn, "nope") is None
        assert [q.id for q in store.list_queues(conn)] == [q.id for q in sample.queues]
        assert store.get_queue(conn, "B") == next(q for q in sample.queues if q.id == "B")
        assert store.get_queue(conn, "nope") is None
        assert store.list_windows(conn) == list(sample.windows)
        window = store.get_window(conn, "w16")
        assert window.queues == ("G", "E", "F", "A")  # priority order kept
        assert store.get_window(conn, "nope") is None
        assert store.load_catalog(conn) == sample
        index = store.build_index(conn)
        assert index.version == 1 and [e.id for e in index.items] == [i.id for i in sample.items]
        assert all(e.hash == item_hash(sample.item(e.id)) for e in index.items)


def test_reimport_publishes_only_what_changed(loaded, sample, topics):
    items = list(sample.items)
    items[3] = items[3].model_copy(update={"promised_days": 0})
    removed = items.pop(10)
    changed = sample.model_copy(update={"items": tuple(items)})
    change = service.run(loaded, None, lambda conn: service.apply_import(conn, changed, topics))
    assert change.version == 2
    assert change.changed == (items[3].id,) and change.deleted == (removed.id,)
    topics_out = [(p.topic, p.payload is None) for p in change.publications]
    assert topics_out == [(topics.catalog_item(items[3].id), False), (topics.catalog_index(), False),
                          (topics.catalog_item(removed.id), True)]
    with loaded.connect() as conn:
        rows = {row.id: row.version for row in store.item_rows(conn)}
    assert rows[items[3].id] == 2 and rows[items[0].id] == 1  # unchanged items keep their version
    again = service.run(loaded, None, lambda conn: service.apply_import(conn, changed, topics))
    assert again.version == 2 and again.publications == ()


def test_edits_bump_the_version_and_are_validated(loaded, sample, topics):
    item = sample.item("SCJ-001").model_copy(update={"name": "企业开办一件事"})
    change = service.run(loaded, None, lambda conn: service.save_entry(conn, item, topics, creating=False))
    assert change.version == 2 and [p.topic for p in change.publications] == [
        topics.catalog_item("SCJ-001"), topics.catalog_index()]
    same = service.run(loaded, None, lambda conn: service.save_entry(conn, item, topics, creating=False))
    assert same.version == 2 and same.publications == ()
    with pytest.raises(CatalogError) as info:
        service.run(loaded, None, lambda conn: service.save_entry(conn, item, topics, creating=True))
    assert info.value.problems[0].field == "id"
    bad = item.model_copy(update={"department": "nope", "windows": ("w03",)})
    with pytest.raises(CatalogError) as info:
        service.run(loaded, None, lambda conn: service.save_entry(conn, bad, topics, creating=False))
    fields = {p.field for p in info.value.problems}
    assert fields == {"department", "windows[0]"}
    department = Department(id="tax", name="税务局")
    change = service.run(loaded, None, lambda conn: service.save_entry(conn, department, topics, creating=True))
    assert change.version == 3 and [p.topic for p in change.publications] == [topics.catalog_index()]


def test_deletes_are_refused_while_in_use(loaded, topics):
    for kind, entry_id, user in ((Department, "gaj", "item GAJ-001"), (Queue, "B", "item GAJ-001"),
                                 (Window, "w03", "item GAJ-")):
        with pytest.raises(CatalogError) as info:
            service.run(loaded, None, lambda conn: service.delete_entry(conn, kind, entry_id, topics))
        assert user in info.value.problems[0].message
    change = service.run(loaded, None, lambda conn: service.delete_entry(conn, Item, "GAJ-001", topics))
    assert [(p.topic, p.payload) for p in change.publications][1] == (topics.catalog_item("GAJ-001"), None)
    with pytest.raises(CatalogError):
        service.run(loaded, None, lambda conn: service.delete_entry(conn, Item, "GAJ-001", topics))
    window = Window(id="w99", number=99, name="临时窗口", queues=("B",))
    service.run(loaded, None, lambda conn: service.save_entry(conn, window, topics, creating=True))
    change = service.run(loaded, None, lambda conn: service.delete_entry(conn, Window, "w99", topics))
    with loaded.connect() as conn:
        assert store.get_window(conn, "w99") is None and store.catalog_version(conn) == change.version


def test_window_edit_that_strands_a_queue_is_refused(loaded, sample, topics):
    for window in sample.windows:
        if "G" in window.queues:
            lonely = window.model_copy(update={"queues": tuple(q for q in window.queues if q != "G")})
    with pytest.raises(CatalogError) as info:
        service.run(loaded, None, lambda conn: service.save_entry(conn, lonely, topics, creating=False))
    assert "no window serves queue 'G'" in str(info.value)


def test_yaml_with_errors_lists_them_on_stderr(engine, tmp_path, capsys):
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["items"][2]["kind"] = "普通件"
    data["items"][7]["materials"][0]["copies"] = "两份"
    path = write(tmp_path, "bad.yaml", data)
    assert cli.cli_import(engine, path) == cli.EXIT_INVALID
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith(f"{path}: items[2].kind (line ") for line in err)
    assert any("items[7].materials[0].copies" in line and "whole number" in line for line in err)
    assert cli.cli_import(engine, str(tmp_path / "missing.yaml")) == cli.EXIT_USAGE
