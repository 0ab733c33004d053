"""A console app served on a free loopback port, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.shots import shots_dir

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: As root in a sandbox with no network: no sandbox, no background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHOTS = shots_dir()


@contextmanager
def serve(app, name: str = "web") -> Iterator[str]:
    """Serve a WSGI app in a thread; yields its base URL; stops it after."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@contextmanager
def chromium() -> Iterator[object]:
    """A headless chromium (Playwright's sync API); fails clearly when it is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
