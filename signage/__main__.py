"""``python -m signage --config FILE [--role wall|bar]``."""

import sys

from .runner import main

sys.exit(main())
