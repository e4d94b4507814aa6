"""``python -m assistant`` is the ``citeqa`` command."""

import sys

from assistant.faces.cli import main

sys.exit(main())
