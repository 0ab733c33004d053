"""The walls between the rooms (STYLE.md) and one place per fact, checked on every run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BANNED = {  # package: top-level packages it must not import
    "protocol": {"backend", "kiosk", "signage", "counter", "hardware", "hall", "flask", "kivy", "sqlalchemy"},
    "hallcore": {"backend", "kiosk", "signage", "counter", "hardware", "hall", "flask", "kivy", "sqlalchemy",
                 "paho"},
    "hardware": {"protocol", "backend", "kiosk", "signage", "counter", "hall", "paho", "flask", "kivy"},
    "kiosk": {"signage", "counter", "backend", "flask", "sqlalchemy"},
    "signage": {"kiosk", "counter", "backend", "flask", "sqlalchemy"},
    "counter": {"kiosk", "signage", "backend", "flask", "sqlalchemy", "kivy"},
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


@pytest.mark.parametrize("package", sorted(BANNED))
def test_packages_respect_the_walls(package):
    bad = [f"{path.relative_to(ROOT)}:{line} imports {name}"
           for path in (ROOT / package).rglob("*.py")
           for line, name in _imports(path) if name.split(".")[0] in BANNED[package]]
    assert not bad, "\n".join(bad)


def test_no_product_code_imports_paho():
    """paho is a test dependency: the tests' independent MQTT client (tests/support/mqtt.py) and the
    reference our wire format is checked against.  The product speaks MQTT through protocol/client.py."""
    offenders = [str(path.relative_to(ROOT)) for pkg in ("protocol", "hallcore", "backend", "kiosk", "signage",
                                                          "counter", "hardware", "hall", "bench")
                 for path in (ROOT / pkg).rglob("*.py")
                 if any(name.split(".")[0] == "paho" for _, name in _imports(path))]
    assert offenders == []


def test_no_topic_strings_outside_protocol():
    pattern = re.compile(r"""["']hall/""")
    offenders = [str(path.relative_to(ROOT)) for pkg in ("hallcore", "backend", "kiosk", "signage", "counter",
                                                          "hardware", "hall")
                 for path in (ROOT / pkg).rglob("*.py") if pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
