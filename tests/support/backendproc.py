"""The backend as a real process (``python -m backend --no-web``) for the end-to-end tests: started,
SIGKILLed and restarted by the test, its output kept in a log file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class BackendProcess:
    def __init__(self, config: Path, log: Path, env: dict | None = None):
        self.config, self.log = config, log
        self.env = {**(env if env is not None else os.environ), "PYTHONPATH": str(ROOT)}
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "backend", "--config", str(self.config),
                                          "--no-web"], cwd=ROOT, env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT)

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def run_hall(*args: str, env: dict) -> subprocess.CompletedProcess:
    """``hall ARGS`` as an installer types it; fails the test on a non-zero exit."""
    result = subprocess.run([sys.executable, "-m", "hall", *args], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result
