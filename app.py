"""Start the citeqa web UI: ``python app.py`` (the same as ``citeqa serve``)."""

import sys

from assistant.faces.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
