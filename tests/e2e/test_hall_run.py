"""``hall run`` (what ``make run`` starts) brings up the whole hall and stops it cleanly.

Offscreen, on free ports, for a bounded time: the broker, the backend, the
kiosk, the wall and the demo traffic start, visitors take numbers and
window 1 calls them, the kiosk and the wall write screenshots, the
emulated bars write their output, the consoles answer, and no process logs a
traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.support.broker import free_port, wait_for_port

pytestmark = pytest.mark.broker


def test_hall_run_brings_up_the_whole_hall(tmp_path):
    port, web_port = free_port(), free_port()
    env = {**os.environ, "HALL_HOME": str(tmp_path), "HALL_WEB_PORT": str(web_port), "SDL_VIDEODRIVER": "offscreen"}
    env.pop("DISPLAY", None)
    proc = subprocess.Popen([sys.executable, "-m", "hall", "run", "--headless", "--traffic", "--duration", "40", "--port",
                             str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(web_port, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=10) as page:
            assert "登录" in page.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/api/v1/catalog/items?q=hz", timeout=10) as api:
            names = [item["name"] for item in json.loads(api.read())["items"]]
            assert "普通护照签发" in names
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # let it stop its children (SIGKILL would orphan them)
            proc.terminate()
            try:
                proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, output
    assert "The hall is running" in output and "admin /" in output
    out = tmp_path / "output"
    assert list((out / "wall").glob("wall-*.png")), output
    assert (out / "kiosk" / "latest.png").stat().st_size > 10_000
    assert "请到1号窗口" in (out / "bars" / "bar-01-w01.txt").read_text(encoding="utf-8")  # the call, on the bar
    traffic = (tmp_path / "logs" / "traffic.log").read_text(encoding="utf-8")
    assert "visitor took" in traffic and "window w01 called" in traffic, traffic
    for log in (tmp_path / "logs").glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text, f"{log.name}:\n{text[-3000:]}"
