"""hallcore.search: Chinese, pinyin, initials, codes, ranking, tolerance."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin

from hallcore.search import Hit, SearchIndex, normalize
from protocol.models.catalog import Item, Material


def make(code: str, name: str, dept: str = "gaj", *, short: str = "", keywords=(), materials=(),
         conditions=()) -> Item:
    return Item(id=code, code=code, name=name, short_name=short, department=dept, kind="即办件", queue="A",
                keywords=tuple(keywords), conditions=tuple(conditions),
                materials=tuple(Material(name=m) for m in materials))


ITEMS = [
    make("SCJ-001", "企业营业执照核发", "scj", short="营业执照", keywords=["开公司", "公司注册"],
         materials=["公司章程", "法定代表人身份证明"]),
    make("GAJ-001", "普通护照签发", materials=["居民身份证", "近期免冠彩色照片"]),
    make("GAJ-002", "居民身份证申领", materials=["居民户口簿"]),
    make("GAJ-003", "户口迁移", conditions=["在本市有合法固定住所"]),
    make("RMY-001", "银行账户开立许可", "rmy"),
    make("JSJ-001", "建设工程规划许可证核发", "jsj", keywords=["建房"]),
    make("JTJ-001", "道路运输经营许可证", "jtj"),
    make("WSJ-001", "医疗机构执业许可", "wsj"),
    make("MZJ-001", "社会团体成立登记", "mzj"),
    make("CL-001", "残疾人证核发", "cl"),
    make("MZJ-002", "重庆籍退役军人优抚", "mzj"),
    make("ZX-001", "绿色通道申请", "zx"),
    make("GXW-001", "ICP经营许可证", "gxw"),
    make("KJJ-001", "会计从业资格确认", "kjj"),
]
DEPTS = {"gaj": "公安局", "scj": "市场监管局", "jsj": "建设(环保)局", "mzj": "民政局", "cl": "残联"}


def first(index: SearchIndex, query: str, **kwargs) -> Hit:
    hits = index.search(query, **kwargs)
    assert hits, f"nothing found for {query!r}"
    return hits[0]


def names(hits: list[Hit]) -> list[str]:
    return [hit.item.name for hit in hits]


INDEX = SearchIndex(ITEMS, DEPTS)


def test_chinese_substring_and_short_name():
    assert first(INDEX, "营业执照").item.code == "SCJ-001"
    assert first(INDEX, "营业执照").field == "name"
    assert first(INDEX, "护照").item.code == "GAJ-001"
    assert first(INDEX, "团体").item.code == "MZJ-001"


def test_initials():
    hit = first(INDEX, "yyzz")
    assert (hit.item.code, hit.field) == ("SCJ-001", "initials")
    assert first(INDEX, "hz").item.code == "GAJ-001"  # word start beats 银行账户 (行账)
    assert first(INDEX, "jsgcghxkz").item.code == "JSJ-001"
    assert first(INDEX, "cjrz").item.code == "CL-001"


def test_full_pinyin_with_and_without_spaces_and_partial_syllable():
    for query in ("yingyezhizhao", "ying ye zhi zhao", "Ying Ye", "yingyezh", "zhizhao"):
        hit = first(INDEX, query)
        assert hit.item.code == "SCJ-001", query
        assert hit.field == "pinyin", query
    assert first(INDEX, "daoluyunshu").item.code == "JTJ-001"


def test_pinyin_matches_only_from_a_syllable_start():
    assert "普通护照签发" not in names(INDEX.search("uzhao"))


def test_full_width_case_and_punctuation():
    assert first(INDEX, "ＹＹＺＺ").item.code == "SCJ-001"
    assert first(INDEX, "ＧＡＪ－００１").item.code == "GAJ-001"
    assert first(INDEX, "  营业 执照 ").item.code == "SCJ-001"
    assert first(INDEX, "icp").item.code == "GXW-001"


def test_code_exact_prefix_and_without_punctuation():
    hit = first(INDEX, "GAJ-002")
    assert (hit.item.code, hit.field) == ("GAJ-002", "code")
    assert first(INDEX, "gaj002").item.code == "GAJ-002"
    assert {h.item.code for h in INDEX.search("gaj")} >= {"GAJ-001", "GAJ-002", "GAJ-003"}


def test_polyphonic_reading_in_context_first_others_still_match():
    assert first(INDEX, "yinhang").item.code == "RMY-001"
    assert first(INDEX, "yinxing").item.code == "RMY-001"
    assert first(INDEX, "yinhang").score > first(INDEX, "yinxing").score
    assert first(INDEX, "chongqing").item.code == "MZJ-002"
    assert first(INDEX, "kuaiji").item.code == "KJJ-001"
    assert first(INDEX, "lvse").item.code == "ZX-001"
    assert first(INDEX, "luse").item.code == "ZX-001"


def test_keywords_department_materials_and_conditions():
    assert (first(INDEX, "开公司").item.code, first(INDEX, "开公司").field) == ("SCJ-001", "keywords")
    assert first(INDEX, "kaigongsi").field == "keywords"
    assert first(INDEX, "jianfang").item.code == "JSJ-001"
    hits = INDEX.search("公安局")
    assert {h.item.code for h in hits} == {"GAJ-001", "GAJ-002", "GAJ-003"}
    assert {h.field for h in hits} == {"department"}
    hit = first(INDEX, "公司章程")
    assert (hit.item.code, hit.field) == ("SCJ-001", "materials")
    hit = first(INDEX, "固定住所")
    assert (hit.item.code, hit.field) == ("GAJ-003", "conditions")


def test_ranking_exact_then_prefix_then_inside_then_text():
    items = [make("A-1", "道路运输经营许可证补发"), make("A-2", "许可证查询"), make("A-3", "许可证"),
             make("A-4", "其他事项", materials=["许可证原件"])]
    hits = SearchIndex(items).search("许可证")
    assert [h.item.code for h in hits] == ["A-3", "A-2", "A-1", "A-4"]
    assert [h.field for h in hits] == ["name", "name", "name", "materials"]
    assert hits[0].score > hits[1].score > hits[2].score > hits[3].score


def test_name_beats_pinyin_beats_keywords():
    items = [make("B-1", "其他", keywords=["hz"]), make("B-2", "护照"), make("B-3", "HZ专用")]
    assert [h.item.code for h in SearchIndex(items).search("hz")] == ["B-3", "B-2", "B-1"]


def test_department_filter_limit_and_empty_query():
    assert {h.item.code for h in INDEX.search("证", department="gaj")} == {"GAJ-001", "GAJ-002"}
    assert INDEX.search("yyzz", department="gaj") == []
    assert len(INDEX.search("", limit=3)) == 3
    assert [h.item.code for h in INDEX.search("", department="gaj")] == ["GAJ-001", "GAJ-002", "GAJ-003"]
    assert INDEX.search("证", limit=0) == []
    assert len(INDEX.search("z", limit=2)) == 2


def test_several_words_that_do_not_match_as_a_whole():
    hit = first(INDEX, "护照 身份证")
    assert hit.item.code == "GAJ-001"  # 护照 in the name, 身份证 in the materials
    assert INDEX.search("护照 残疾人") == []


def test_nothing_found_and_no_items():
    assert INDEX.search("量子计算机") == []
    assert SearchIndex([]).search("yyzz") == []


def test_hit_is_frozen():
    hit = first(INDEX, "护照")
    try:
        hit.score = 0  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("Hit must be frozen")


# -- properties -------------------------------------------------------------------------------
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
NAMES = st.text(HAN, min_size=2, max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NAMES, min_size=1, max_size=12, unique=True), st.data())
def test_any_substring_of_a_name_finds_the_item(all_names, data):
    items = [make(f"P-{i}", name) for i, name in enumerate(all_names)]
    index = SearchIndex(items)
    target = data.draw(st.integers(0, len(items) - 1))
    name = all_names[target]
    start = data.draw(st.integers(0, len(name) - 1))
    end = data.draw(st.integers(start + 1, len(name)))
    hits = index.search(name[start:end], limit=len(items))
    assert f"P-{target}" in {h.item.code for h in hits}
    assert first(index, name).item.code == f"P-{target}"  # the whole name is the best match
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=8, unique=True), st.data())
def test_pinyin_and_initials_of_a_name_find_the_item(all_names, data):
    items = [make(f"P-{i}", name) for i, name in enumerate(all_names)]
    index = SearchIndex(items)
    target = data.draw(st.integers(0, len(items) - 1))
    syllables = lazy_pinyin(all_names[target], style=Style.NORMAL)
    for query in ("".join(syllables), " ".join(syllables), "".join(s[0] for s in syllables)):
        assert f"P-{target}" in {h.item.code for h in index.search(query, limit=len(items))}, query


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.sampled_from([None, "gaj", "nope"]), st.integers(0, 60))
def test_any_query_is_answered(query, department, limit):
    hits = INDEX.search(query, department=department, limit=limit)
    assert len(hits) <= limit
    assert all(department is None or h.item.department == department for h in hits)
    assert len({h.item.id for h in hits}) == len(hits)


@given(st.text(string.ascii_letters + " 　ＡＢｙ", max_size=20))
def test_normalize_ignores_case_width_and_spaces(text):
    assert normalize(text) == normalize(text.upper().replace(" ", ""))
    assert " " not in normalize(text)


# -- the sample catalog and the pre-ranked prefixes --------------------------------------------
def test_sample_catalog_queries(sample):
    index = SearchIndex(sample.items, {d.id: d.name for d in sample.departments})
    expectations = {"hz": "GAJ-001", "yyzz": "SCJ-001", "jmsfz": "GAJ-003", "sfz": "GAJ-003", "hukou": "GAJ-006",
                    "jhdj": "MZJ-005", "dibao": "MZJ-003", "cjrz": "CL-001", "wangba": "WGJ-001", "czc": "JTJ-004"}
    for query, expected in expectations.items():
        hits = index.search(query, limit=5)
        assert hits and hits[0].item.id == expected, (query, [(h.item.id, h.item.name) for h in hits])
    assert all("不动产" in h.item.name for h in index.search("budongchan", limit=5))
    assert all(h.item.department == "gaj" for h in index.search("公安局"))


def test_pre_ranked_prefixes_give_the_same_results(sample, monkeypatch):
    import hallcore.search as search

    monkeypatch.setattr(search, "_HOT_ROWS", 10**9)
    plain = SearchIndex(sample.items)
    monkeypatch.setattr(search, "_HOT_ROWS", 2)
    hot = SearchIndex(sample.items)
    for query in ("x", "xu", "xuke", "证", "许可", "z", "sh", "j", "dj", "gaj", "营", "y"):
        for department in (None, "gaj"):
            expected = [h.score for h in plain.search(query, department=department, limit=7)]
            assert [h.score for h in hot.search(query, department=department, limit=7)] == expected, query
