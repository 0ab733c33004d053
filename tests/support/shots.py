"""Where the tests put the screenshots they take (and look at).

By default under the system's temp directory (``hall-screenshots``): a test run leaves the
checkout as it found it.  ``make screenshots`` runs the tests that take the pictures the README
and ``docs/`` show with ``HALL_SCREENSHOTS=docs/screenshots``, which refreshes them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def shots_dir() -> Path:
    """The directory for screenshots: ``$HALL_SCREENSHOTS`` (relative to the checkout), else a temp one."""
    chosen = os.environ.get("HALL_SCREENSHOTS")
    path = ROOT / chosen if chosen else Path(tempfile.gettempdir()) / "hall-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
