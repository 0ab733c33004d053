"""The item table as CSV, and the one-per-line syntax of materials, fees and forms."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from backend.catalog.csvformat import COLUMNS, export_items_csv, validate_items_csv
from backend.catalog.lines import format_lines, join_columns, parse_lines, split_columns
from protocol.models.catalog import Material


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def test_csv_round_trip_is_byte_stable(sample):
    text = export_items_csv(sample)
    assert text.startswith("\ufeff") and rows_of(text)[0] == list(COLUMNS)
    again, problems = validate_items_csv(text.encode("utf-8"), "items.csv", sample)
    assert problems == [] and again == sample
    assert export_items_csv(again) == text


def test_csv_problems_name_the_row_and_the_field(sample):
    rows = rows_of(export_items_csv(sample))
    rows[1][COLUMNS.index("kind")] = "普通件"
    rows[3][COLUMNS.index("code")] = rows[2][COLUMNS.index("code")]
    rows[4][COLUMNS.index("materials")] = "居民身份证 | 原件 | 0"
    rows[5][COLUMNS.index("department")] = "nope"
    rows[6][COLUMNS.index("statutory_days")] = "十五"
    catalog, problems = validate_items_csv(as_csv(rows), "items.csv", sample)
    assert catalog is None
    found = {(p.where, p.field): p.message for p in problems}
    assert "seven kinds" in found[("row 2", "kind")]
    assert "already used by row 3" in found[("row 4", "code")]
    assert "copies" in found[("row 5", "materials")] and "line 1" in found[("row 5", "materials")]
    assert "unknown department 'nope'" in found[("row 6", "department")]
    assert "not a whole number" in found[("row 7", "statutory_days")]
    assert str(problems[0]).startswith("items.csv: row ")


def test_csv_header_and_encoding_problems(sample):
    _, problems = validate_items_csv(b"id,code,nom\n", "x.csv", sample)
    assert any("unknown column(s): nom" in p.message for p in problems)
    assert any("missing column(s): name, department, kind, queue" in p.message for p in problems)
    _, problems = validate_items_csv("id,code,name,department,kind,queue\n".encode("utf-16"), "x.csv", sample)
    assert "UTF-16" in problems[0].message
    raw = "id,name\n1,营业执照\n".encode("gbk")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start  # GBK bytes can look like UTF-8 for a while
    _, problems = validate_items_csv(raw, "x.csv", sample)
    assert "not UTF-8" in problems[0].message and f"byte offset {offset}" in problems[0].message


def test_material_lines():
    entries, errors = parse_lines("居民身份证 | 原件及复印件 | 2 | 可选 | 核验后退还\n\n户口簿", "materials")
    assert errors == []
    assert entries == [{"name": "居民身份证", "form": "原件及复印件", "copies": 2, "mandatory": False, "notes": "核验后退还"},
                       {"name": "户口簿"}]
    _, errors = parse_lines("a | 复印 | x | 也许\n | 原件\na|b|c|d|e|f|g", "materials")
    assert [(n, c) for n, c, _ in errors] == [(1, "form"), (1, "copies"), (1, "mandatory"), (2, "name"), (3, "")]


def test_fee_and_form_lines():
    entries, errors = parse_lines("护照证件费 | 120元/本 | 发改价格〔2019〕914号\n工本费", "fees")
    assert entries[0] == {"name": "护照证件费", "amount": "120元/本", "basis": "发改价格〔2019〕914号"}
    assert errors and errors[0][:2] == (2, "amount")
    entries, errors = parse_lines("申请表 | https://x.example/a.docx", "forms")
    assert errors == [] and entries == [{"name": "申请表", "url": "https://x.example/a.docx"}]


PLAIN = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs")), max_size=12)


@given(st.lists(PLAIN, min_size=1, max_size=6))
def test_columns_escape_round_trip(values):
    assert split_columns(join_columns(values)) == [v.strip() for v in values][:len(split_columns(join_columns(values)))]


@given(st.lists(st.builds(Material, name=PLAIN.filter(lambda s: s.strip() == s and s),
                          form=st.sampled_from(["原件", "复印件", "原件及复印件", "电子件"]), copies=st.integers(1, 99),
                          mandatory=st.booleans(), notes=PLAIN.map(str.strip)), max_size=4))
def test_material_lines_round_trip(materials):
    entries, errors = parse_lines(format_lines(tuple(materials), "materials"), "materials")
    assert errors == []
    assert [Material.model_validate(e) for e in entries] == materials


def test_sample_item_table_matches_the_sample_catalog(sample):
    from .conftest import ROOT

    assert (ROOT / "sample" / "items.csv").read_bytes() == export_items_csv(sample).encode("utf-8")
