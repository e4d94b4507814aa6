"""``python -m assistant`` is the ``citeqa`` command."""

import sys

from assistant.cli import main

sys.exit(main())
