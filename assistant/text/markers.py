"""Citation markers ([1], [2; 3]) in answer text, kept apart from brackets a document wrote."""

from __future__ import annotations

import re

# what a marker looks like in answers (the UI links these, the LLM checks parse them)
DOCUMENT_MARKER = re.compile(r"\[(\s*\d+(?:\s*[,;–-]\s*\d+)*\s*)\]")


def defuse(text: str) -> str:
    """A document's own bracketed numbers ("as shown in [12]") as parentheses, so that in an
    answer, a prompt or the UI they never read as citeqa's markers. Citation texts keep the
    document's exact characters; only composed text passes through this."""
    return DOCUMENT_MARKER.sub(r"(\1)", text)
