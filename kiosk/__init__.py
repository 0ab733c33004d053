"""The kiosk (取号机): touchscreen guide lookup, number-taking and ticket printing.

``kiosk.main(argv)`` runs it (see :mod:`kiosk.app`).  The parts:
:mod:`kiosk.model` (no Kivy), :mod:`kiosk.node` (bus, printer, health),
:mod:`kiosk.ui` (Kivy screens, one .kv file each), :mod:`kiosk.gpio`.
"""


def main(argv: list[str] | None = None) -> int:
    from .app import main as run_kiosk

    return run_kiosk(argv)


__all__ = ["main"]
