"""The catalog file: the sample, every kind of broken file, and byte-stable round trips."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.catalog.fileformat import catalog_data, dump_yaml, export_yaml, validate_catalog
from protocol.models.catalog import ITEM_KINDS

SEED_002 = ("发改委", "建设(环保)局", "交通局", "工信委", "国土资源局", "水利局", "农业局", "财务局", "司法局",
            "商务局", "卫生局", "档案局", "公安局", "文化广播电视局", "安监局", "劳动保障局", "科技局", "民政局", "残联")


def base() -> dict:
    return {
        "format": 1,
        "hall": {"name": "测试中心"},
        "departments": [{"id": "gaj", "name": "公安局"}, {"id": "mzj", "name": "民政局"}],
        "queues": [{"id": "B", "prefix": "B", "name": "公安", "hours": [{"start": "09:00", "end": "12:00"}]},
                   {"id": "E", "prefix": "E", "name": "民政"}],
        "windows": [{"id": "w1", "number": 1, "name": "一号", "queues": ["B"]},
                    {"id": "w2", "number": 2, "name": "二号", "queues": ["E", "B"]}],
        "items": [
            {"id": "GA-1", "code": "GA-1", "name": "普通护照签发", "department": "gaj", "kind": "承诺件", "queue": "B",
             "windows": ["w1"], "statutory_days": 15, "promised_days": 7,
             "materials": [{"name": "居民身份证", "form": "原件", "copies": 1}]},
            {"id": "MZ-1", "code": "MZ-1", "name": "结婚登记", "department": "mzj", "kind": "即办件", "queue": "E"},
        ],
    }


def check(data: dict | bytes | str, name: str = "t.yaml"):
    raw = data if isinstance(data, (bytes, str)) else yaml.safe_dump(data, allow_unicode=True).encode()
    return validate_catalog(raw, name)


def only(problems, where: str):
    matching = [p for p in problems if p.location == where]
    assert matching, f"no problem at {where}; got {[str(p) for p in problems]}"
    return matching[0]


# -- the sample ----------------------------------------------------------------------------------
def test_sample_is_complete_and_says_it_is_sample_data(sample, sample_bytes):
    head = sample_bytes.decode()[:600]
    assert "SAMPLE DATA" in head and "示例数据" in head
    short = {d.short_name or d.name for d in sample.departments}
    assert set(SEED_002) <= short | {d.name for d in sample.departments}
    assert len(sample.items) >= 90
    assert {i.kind for i in sample.items} == set(ITEM_KINDS)
    names = " ".join(i.name for i in sample.items)
    for needle in ("营业执照", "护照", "居民身份证", "建设工程规划许可", "道路", "医疗机构执业", "社会团体", "残疾人证"):
        assert needle in names, needle
    for item in sample.items:
        assert item.legal_basis and item.conditions and item.materials and item.steps, item.id
        assert item.consult_phone and item.supervise_phone and item.location and item.hours and item.online_url
        assert item.fees or item.fee_note, item.id
        assert item.statutory_days is None or item.promised_days <= item.statutory_days
    assert any(6 in p.days for q in sample.queues for p in q.hours), "one queue opens on Saturday"
    assert any(q.daily_quota for q in sample.queues)
    assert 12 <= len(sample.windows) <= 16
    assert any(w.name == "综合窗口" and len(w.queues) >= 3 for w in sample.windows)


def test_sample_round_trip_is_byte_stable(sample, sample_bytes):
    assert export_yaml(sample).encode("utf-8") == sample_bytes
    again, problems = validate_catalog(export_yaml(sample), "again.yaml")
    assert problems == [] and again == sample


# -- broken files ----------------------------------------------------------------------------------
def test_wrong_kind_is_named_with_path_and_choices():
    data = base()
    data["items"][1]["kind"] = "普通件"
    catalog, problems = check(data)
    assert catalog is None
    problem = only(problems, "items[1].kind")
    assert problem.file == "t.yaml" and problem.field == "kind"
    assert "'普通件' is not one of the seven kinds" in problem.message and "即办件" in problem.message
    assert problem.line is not None and str(problem).startswith("t.yaml: items[1].kind (line")


def test_missing_fields_and_unknown_fields():
    data = base()
    del data["items"][0]["name"]
    data["items"][1]["materails"] = []
    del data["hall"]
    _, problems = check(data)
    assert only(problems, "items[0].name").message == "is required but missing"
    assert "not a known field" in only(problems, "items[1].materails").message
    assert "hall" in {p.field for p in problems}


def test_bad_encoding_names_the_byte_offset():
    text = yaml.safe_dump(base(), allow_unicode=True)
    raw = text.encode("gbk")
    _, problems = check(raw, "gbk.yaml")
    assert len(problems) == 1
    message = str(problems[0])
    with pytest.raises(UnicodeDecodeError) as info:
        raw.decode("utf-8")
    offset = info.value.start
    assert "not UTF-8" in message and f"byte offset {offset}" in message and "GBK" in message
    assert check(b"\xff\xfe" + text.encode("utf-16-le"))[1][0].message.startswith("the file is UTF-16")
    assert check(b"\xef\xbb\xbf" + text.encode())[1] == []  # a BOM is fine


def test_duplicates_are_reported_on_the_later_entry():
    data = base()
    data["items"][1]["code"] = "GA-1"
    data["departments"].append({"id": "gaj", "name": "又一个"})
    data["queues"][1]["prefix"] = "B"
    data["windows"][1]["number"] = 1
    _, problems = check(data)
    assert "already used by items[0]" in only(problems, "items[1].code").message
    assert "already used by departments[0]" in only(problems, "departments[2].id").message
    only(problems, "queues[1].prefix")
    only(problems, "windows[1].number")


def test_unknown_references():
    data = base()
    data["items"][0]["department"] = "nope"
    data["items"][0]["queue"] = "Z"
    data["items"][1]["windows"] = ["w9"]
    data["windows"][0]["queues"] = ["B", "Q"]
    _, problems = check(data)
    assert "unknown department 'nope'" in only(problems, "items[0].department").message
    assert "unknown queue 'Z'" in only(problems, "items[0].queue").message
    assert "unknown window 'w9'" in only(problems, "items[1].windows[0]").message
    assert "unknown queue 'Q'" in only(problems, "windows[0].queues[1]").message


def test_window_must_serve_the_items_queue_and_queues_need_a_window():
    data = base()
    data["items"][1]["windows"] = ["w1"]  # w1 serves only B; the item is in E
    data["windows"][1]["queues"] = ["B"]  # now nobody serves E
    _, problems = check(data)
    assert "does not serve queue 'E'" in only(problems, "items[1].windows[0]").message
    assert "no window serves queue 'E'" in only(problems, "items[1].queue").message


def test_promised_longer_than_statutory_even_when_other_fields_are_wrong():
    data = base()
    data["items"][0]["promised_days"] = 20
    _, problems = check(data)
    assert "must not exceed statutory_days (15)" in only(problems, "items[0].promised_days").message
    data["items"][0]["materials"][0]["copies"] = 0
    _, problems = check(data)
    assert "must be at least 1" in only(problems, "items[0].materials[0].copies").message
    only(problems, "items[0].promised_days")


@pytest.mark.parametrize("hours, where, words", [
    ([{"start": "25:00", "end": "26:00"}], "queues[0].hours[0].start", "not a time"),
    ([{"start": "13:00", "end": "12:00"}], "queues[0].hours[0].end", "must be after start"),
    ([{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}], "queues[0].hours[1].start",
     "must not overlap"),
    ([{"start": "09:00", "end": "12:00", "days": [1, 8]}], "queues[0].hours[0].days", "weekday"),
])
def test_bad_hours(hours, where, words):
    data = base()
    data["queues"][0]["hours"] = hours
    _, problems = check(data)
    assert words in only(problems, where).message


def test_unquoted_times_and_numbers_read_as_a_person_means():
    text = yaml.safe_dump(base(), allow_unicode=True).replace("'09:00'", "09:00").replace("'12:00'", "12:00")
    text = text.replace("name: 公安局", "name: 公安局\n  phone: 12345678")
    assert "start: 09:00" in text and "end: 12:00" in text
    catalog, problems = check(text)
    assert problems == []
    assert catalog.queues[0].hours[0].end == "12:00" and catalog.departments[0].phone == "12345678"


@pytest.mark.parametrize("raw, words", [
    (b"", "empty"),
    (b"hall: [1", "not valid YAML"),
    (b"- 1\n- 2\n", "must be a mapping"),
    (b"hall: {name: x}\nhall: {name: y}\n", "appears twice"),
    (b"format: 2\nhall: {name: x}\n", "format 2 is not supported"),
    (b"hall: {name: x}\nitem: []\n", "'item' is not a known section"),
    (b"hall: {name: x}\nitems: 3\n", "must be a list"),
    (b"hall: {name: x}\x00\n", "NUL"),
])
def test_malformed_files(raw, words):
    catalog, problems = check(raw)
    assert catalog is None
    assert any(words in str(p) for p in problems), [str(p) for p in problems]


def test_syntax_error_names_line_and_column():
    _, problems = check(b"hall:\n  name: x\nitems:\n  - id: [\n")
    assert problems[0].where.startswith("line ") and "column" in problems[0].where


def test_every_problem_is_reported_at_once():
    data = base()
    data["items"][0]["kind"] = "x"
    data["items"][1]["department"] = "nope"
    data["queues"][0]["prefix"] = "b"
    _, problems = check(data)
    assert {p.location for p in problems} >= {"items[0].kind", "items[1].department", "queues[0].prefix"}


# -- round trips ---------------------------------------------------------------------------------
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30)


@settings(max_examples=40, deadline=None)
@given(name=TEXT.filter(lambda s: s.strip()), notes=TEXT, phone=st.from_regex(r"0\d{2,3}-\d{7,8}", fullmatch=True),
       lines=st.lists(TEXT, max_size=3), copies=st.integers(1, 99), mandatory=st.booleans(),
       days=st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True))
def test_export_import_export_is_byte_stable(name, notes, phone, lines, copies, mandatory, days):
    data = base()
    item = data["items"][0]
    item.update(name=name, notes=notes, consult_phone=phone, conditions=lines, legal_basis=lines)
    item["materials"] = [{"name": "材料", "copies": copies, "mandatory": mandatory, "notes": notes}]
    data["queues"][0]["hours"][0]["days"] = days
    first, problems = check(dump_yaml(data))
    assert problems == [], [str(p) for p in problems]
    text = export_yaml(first)
    second, problems = validate_catalog(text.encode(), "export.yaml")
    assert problems == [] and second == first
    assert export_yaml(second) == text


def test_export_leaves_out_empty_fields_and_keeps_order(sample):
    data = catalog_data(sample)
    assert list(data) == ["format", "hall", "departments", "queues", "windows", "items"]
    first = data["items"][0]
    assert "v" not in first and list(first)[:3] == ["id", "code", "name"]
    assert all(value not in ("", [], None) for value in first.values())
    assert copy.deepcopy(data) == catalog_data(sample)


def test_an_item_too_large_for_one_mqtt_message_is_refused():
    data = base()
    data["items"][0]["legal_basis"] = ["法" * 4000] * 40
    _, problems = check(data)
    assert "more than the" in only(problems, "items[0]").message
