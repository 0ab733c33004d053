"""The entry point: settings errors, a bar node with emulated bars, the wall offscreen in its own process."""

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from signage import main
from signage.runner import Run
from signage.settings import BarSettings, SignageSettings

ROOT = Path(__file__).resolve().parents[2]


def test_a_missing_settings_file_is_reported(tmp_path, caplog):
    assert main(["--config", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in caplog.text


def test_a_bar_node_drives_emulated_bars_and_says_where_their_output_goes(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="signage")
    settings = SignageSettings(hall="linan", device="bar-1", role="bar", window="w03", health_interval_s=0,
                               emulate_bars=str(tmp_path / "bars"), state_dir=str(tmp_path / "state"),
                               bars=(BarSettings(window="w03"), BarSettings(window="w05", address=2)))
    run = Run(settings, demo=True)
    thread = threading.Thread(target=run.run)
    thread.start()
    try:
        assert run.started.wait(20)
        for bar, label in zip(run.bars, ("3号窗口", "5号窗口")):
            assert bar.wait_shown(lambda state, label=label: state.window_label == label, 20)
    finally:
        run.stop_event.set()
        thread.join(20)
    assert not thread.is_alive()
    names = sorted(p.name for p in (tmp_path / "bars").iterdir())
    assert names == ["bar-01-w03.png", "bar-01-w03.txt", "bar-02-w05.png", "bar-02-w05.txt"]
    assert "3号窗口" in (tmp_path / "bars" / "bar-01-w03.txt").read_text(encoding="utf-8")
    assert f"output {tmp_path / 'bars'}/bar-01-w03.png" in caplog.text


def test_the_wall_runs_offscreen_and_writes_screenshots(tmp_path):
    config = tmp_path / "wall.toml"
    config.write_text(f'''hall = "linan"
device = "wall-1"
role = "wall"
voice = false
resolution = [1280, 720]
screenshot_dir = "{tmp_path / 'shots'}"
state_dir = "{tmp_path / 'state'}"
''', encoding="utf-8")
    env = dict(os.environ, SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_ARGS="1")
    env.pop("DISPLAY", None)
    proc = subprocess.Popen([sys.executable, "-m", "signage", "--config", str(config), "--demo"], cwd=ROOT,
                            env=env, stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(90, proc.kill)
    killer.start()
    log = []
    try:
        for line in proc.stderr:
            log.append(line)
            if "first screenshot written" in line:
                proc.terminate()
                break
        proc.stderr.read()
        assert proc.wait(30) == 0, "".join(log)
    finally:
        killer.cancel()
        proc.stderr.close()
    text = "".join(log)
    assert f"screenshots of the wall go to {tmp_path / 'shots'}" in text
    from PIL import Image

    with Image.open(tmp_path / "shots" / "wall-latest.png") as image:
        assert image.size == (1280, 720)
        assert len(image.convert("RGB").getcolors(1280 * 720) or []) > 20
