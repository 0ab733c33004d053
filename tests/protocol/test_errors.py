"""The error codes: the README's table says when each is given, and names exactly the codes there are."""

from __future__ import annotations

import re
from pathlib import Path

from protocol.errors import ERROR_CODES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_error_table_names_every_code_and_no_other():
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| code | when |"):]
    table = table[:table.index("\n\n")]
    documented = [code for row in table.splitlines()[2:] for code in re.findall(r"`(\w+)`", row.split(" | ")[0])]
    assert sorted(documented) == sorted(ERROR_CODES)
    assert len(documented) == len(set(documented))
