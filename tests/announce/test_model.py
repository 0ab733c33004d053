"""Checking a draft: messages per field; hostile text is accepted literally, control characters are not."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from backend.announce.model import (MAX_TEXT, Draft, check_draft, forbidden_characters, invisible_characters,
                                    normalise_text)

NOW = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)

HOSTILE = [
    "[color=ff0000]x[/color]",
    "[b]粗体[/b][size=200]大[/size][ref=x]链接[/ref]",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>{{ 7*7 }}',
    "\u202eRTL override\u202c and \u200bzero\u200dwidth\ufeff",
    "عربي עברית mixed 中文",
    "&amp; &lt; %s {0} \\n",
]


def draft(text="今日下午 3 点系统维护", priority="normal", targets=("wall", "bar", "kiosk"),
          start=NOW, end=NOW + HOUR) -> Draft:
    return Draft(text=text, priority=priority, targets=targets, start=start, end=end)


def test_a_plain_draft_is_fine():
    assert check_draft(draft(), NOW) == {}


@pytest.mark.parametrize("text", HOSTILE + ["长" * MAX_TEXT])
def test_hostile_text_is_acceptable(text):
    assert check_draft(draft(text=text), NOW) == {}
    assert normalise_text(text) == text.strip()


@pytest.mark.parametrize("text, words", [
    ("", "text is empty"),
    ("   \n\t ", "text is empty"),
    ("长" * (MAX_TEXT + 1), f"at most {MAX_TEXT} characters, this has {MAX_TEXT + 1}"),
    ("bell\x07", "U+0007 at position 5"),
    ("esc\x1b[31m", "U+001B"),
    ("nul\x00", "U+0000"),
    ("c1\x85c1", "U+0085"),
    ("lone \ud800 surrogate", "U+D800"),
])
def test_bad_text_is_refused_with_a_message_on_the_text_field(text, words):
    errors = check_draft(draft(text=text), NOW)
    assert list(errors) == ["text"]
    assert words in " ".join(errors["text"])


def test_line_breaks_are_allowed_and_normalised():
    assert check_draft(draft(text="第一行\r\n第二行\r第三行"), NOW) == {}
    assert normalise_text(" 第一行\r\n第二行\r第三行 ") == "第一行\n第二行\n第三行"
    assert forbidden_characters("a\nb") == []


def test_invisible_characters_are_named_for_the_console():
    assert invisible_characters("a\u200bb\u202ec\u200b") == ["U+200B", "U+202E"]
    assert invisible_characters("普通文字") == []


@pytest.mark.parametrize("changes, field, words", [
    ({"targets": ()}, "targets", "at least one target"),
    ({"targets": ("wall", "radio")}, "targets", "'radio'"),
    ({"priority": "urgent"}, "priority", "normal, high"),
    ({"end": NOW}, "end", "end must be after start"),
    ({"end": NOW - HOUR}, "end", "end must be after start"),
    ({"start": NOW - 3 * HOUR, "end": NOW - HOUR}, "end", "already in the past"),
    ({"start": None}, "start", "required"),
    ({"end": None}, "end", "required"),
    ({"start": NOW.replace(tzinfo=None)}, "start", "UTC offset"),
])
def test_each_problem_is_reported_on_its_field(changes, field, words):
    errors = check_draft(draft(**changes), NOW)
    assert list(errors) == [field]
    assert words in " ".join(errors[field])


def test_several_problems_at_once():
    errors = check_draft(draft(text="", targets=(), end=NOW - HOUR), NOW)
    assert set(errors) == {"text", "targets", "end"}
