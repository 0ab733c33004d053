"""Signage (综合屏, 条屏, 语音叫号): the LED wall, the window LED bars and the voice call.

``signage.main(argv)`` runs a node from its settings (see :mod:`signage.runner`);
the models (:mod:`signage.wallmodel`, :mod:`signage.calls`, :mod:`signage.highlight`,
:mod:`signage.paging`, :mod:`signage.announce`, :mod:`signage.barstate`) are pure
and import neither Kivy nor paho.
"""


def main(argv: list[str] | None = None) -> int:
    from .runner import main as run

    return run(argv)


__all__ = ["main"]
