"""A read-only view of the indexed documents: what answerers and renderers may read (spans, the
sentences after a place, pages, the context around a citation), never writes."""

from __future__ import annotations

import bisect

from index.docstore import DocStore


class DocumentView:
    """Reads the document tables; hands out no way to change them."""

    def __init__(self, docstore: DocStore):
        self._docstore = docstore

    def span(self, source: str, start: int, end: int) -> str:
        """The document's text at [start, end)."""
        return self._docstore.span(source, start, end)

    def sentence_ends_after(self, source: str, offset: int, limit: int = 4) -> list[int]:
        """End offsets of up to ``limit`` sentences that start at or after ``offset``."""
        return self._docstore.sentence_ends_after(source, offset, limit)

    def page_of(self, source: str, offset: int) -> int | None:
        """The 1-based page holding ``offset`` (None for unpaged documents)."""
        pages = self._docstore.pages(source)
        return bisect.bisect_right(pages, offset) if pages else None

    def context(self, source: str, start: int, end: int, chars: int) -> tuple[str, str, str]:
        """(up to ``chars`` before [start, end), up to ``chars`` after it, the whole text)."""
        full = self._docstore.text(source)
        return full[max(0, start - chars):start], full[end:end + chars], full
