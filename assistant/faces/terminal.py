"""Text from documents made safe to print: control characters and escape sequences shown as
visible escapes (``\\x1b``), so a document cannot colour, clear or retitle the terminal, move
the cursor, or write the clipboard (OSC 52). Newlines and tabs are kept."""

from __future__ import annotations

import re
import sys

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides that
# reorder what is shown
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """``text`` with every control character written as a visible escape."""
    return _UNSAFE.sub(_visible, text)


def say(*parts, file=None, end: str = "\n", flush: bool = False) -> None:
    """print(), with each part made safe for the terminal."""
    print(*(safe(str(p)) for p in parts), file=file or sys.stdout, end=end, flush=flush)
