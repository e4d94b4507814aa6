"""A read-only view of the indexed documents: what answerers and renderers may read (spans, the
sentences after a place, pages, the context around a citation), never writes."""

from __future__ import annotations

import bisect
import re

from index.docstore import DocStore

# a heading line: markdown's, or a short line standing alone without a sentence's ending
HEADING_LINE = re.compile(r"^(?:#{1,6}[ \t]+(.+)|(?<=\n\n)([^\n.!?:;]{1,80}))$", re.MULTILINE)


class DocumentView:
    """Reads the document tables; hands out no way to change them."""

    def __init__(self, docstore: DocStore):
        self._docstore = docstore
        self._headings: dict[tuple[str, int], tuple[list[int], list[str]]] = {}

    def sections(self, source: str):
        """A function from an offset of the document to the text of the last heading before
        it ("" when none): the section a sentence stands in."""
        text = self._docstore.text(source)
        key = (source, hash(text))
        if key not in self._headings:
            if len(self._headings) >= 256:
                self._headings.clear()
            found = [(m.start(), (m.group(1) or m.group(2)).strip())
                     for m in HEADING_LINE.finditer(text)]
            self._headings[key] = ([a for a, _ in found], [h for _, h in found])
        starts, names = self._headings[key]

        def heading_of(offset: int) -> str:
            i = bisect.bisect_right(starts, offset) - 1
            return names[i] if i >= 0 else ""

        return heading_of

    def span(self, source: str, start: int, end: int) -> str:
        """The document's text at [start, end)."""
        return self._docstore.span(source, start, end)

    def sentence_ends_after(self, source: str, offset: int, limit: int = 4) -> list[int]:
        """End offsets of up to ``limit`` sentences that start at or after ``offset``."""
        return self._docstore.sentence_ends_after(source, offset, limit)

    def title(self, source: str, limit: int = 300) -> str:
        """The document's first sentence (its title, as a rule; "" when there is none)."""
        ends = self._docstore.sentence_ends_after(source, 0, 1)
        return self._docstore.span(source, 0, min(ends[0], limit)) if ends else ""

    def page_of(self, source: str, offset: int) -> int | None:
        """The 1-based page holding ``offset`` (None for unpaged documents)."""
        pages = self._docstore.pages(source)
        return bisect.bisect_right(pages, offset) if pages else None

    def context(self, source: str, start: int, end: int, chars: int) -> tuple[str, str, str]:
        """(up to ``chars`` before [start, end), up to ``chars`` after it, the whole text)."""
        full = self._docstore.text(source)
        return full[max(0, start - chars):start], full[end:end + chars], full
