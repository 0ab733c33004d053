"""``python -m kiosk --config FILE``."""

from . import main

raise SystemExit(main())
