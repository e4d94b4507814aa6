"""A read-only view of the indexed documents: what answerers and renderers may read (spans, the
sentences after a place, pages, the context around a citation), never writes."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

from index.docstore import DocStore

TITLE_CHARS = 300  # a document's title is its first sentence, up to this long
# a heading line: markdown's, or a line after a blank one without a sentence's ending that
# stands alone (a blank line, the end or a setext underline after it) or is short; a longer one
# with text right after it is the first line of a hard-wrapped paragraph; a list item or table
# row is none
HEADING_LINE = re.compile(r"^(?:#{1,6}[ \t]+(.+)|(?<=\n\n)(?!\||[-*+•▪][ \t])(?:([^\n.!?:;]{1,80})"
                          r"(?=\n[ \t]*\n|\n?\Z|\n[ \t]*(?:={3,}|-{3,})[ \t]*$)|"
                          r"([^\n.!?:;]{1,39})))$", re.MULTILINE)
# a table row: a line that starts with "|" (the loaders write HTML, .docx and PDF tables so,
# Markdown has them); rows with only blank lines between are one table, its first row the header
TABLE_ROW = re.compile(r"^\|[^\n]*", re.MULTILINE)
_RULE_ROW = re.compile(r"^[|:\-\s]+$")  # Markdown's "| --- | --- |"


@dataclass
class Outline:
    """What is read once per document version: its headings (offsets and texts), its title and
    how often each term occurs in it (counted at ingest and read on first use: most outlines a
    question reads need only headings)."""

    heading_starts: list[int]
    headings: list[str]
    title: str
    count_terms: Callable[[], Counter] = field(repr=False)
    tables: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, header row)
    # per heading, the last heading up to it written at its line's start: a man page's section
    # ("CURLMcode") over its indented terms ("CURLM_ADDED_ALREADY (7)"); [] when all are
    sections: list[str] = field(default_factory=list)

    @cached_property
    def term_counts(self) -> Counter:
        """How often each term (index.textproc.terms) occurs in the document."""
        return self.count_terms()

    def heading_of(self, offset: int) -> str:
        """The last heading before ``offset`` ("" when none): the section it stands in."""
        i = bisect.bisect_right(self.heading_starts, offset) - 1
        return self.headings[i] if i >= 0 else ""

    def section_of(self, offset: int) -> str:
        """The last heading before ``offset`` not indented: the section an indented term's
        entry stands in ("" when none)."""
        i = bisect.bisect_right(self.heading_starts, offset) - 1
        if i < 0:
            return ""
        return self.sections[i] if self.sections else self.headings[i]

    def heads_a_table(self, offset: int) -> bool:
        """Whether a table's header row starts at ``offset``."""
        i = bisect.bisect_left(self.tables, (offset, 0))
        return i < len(self.tables) and self.tables[i][0] == offset

    def table_header_of(self, offset: int) -> str:
        """The header row of the table a row at ``offset`` stands in ("" when none, or when
        ``offset`` is the header itself)."""
        i = bisect.bisect_right(self.tables, (offset, float("inf"))) - 1
        if i < 0:
            return ""
        start, end, header = self.tables[i]
        return header if start < offset < end else ""


def tables_of(text: str) -> list[tuple[int, int, str]]:
    """(start, end, header row) of each table of two rows or more in ``text``."""
    if "\n|" not in text and not text.startswith("|"):
        return []  # most documents: no scan
    blocks: list[list[re.Match]] = []
    for row in TABLE_ROW.finditer(text):
        if blocks and not text[blocks[-1][-1].end():row.start()].strip():
            blocks[-1].append(row)
        else:
            blocks.append([row])
    return [(rows[0].start(), rows[-1].end(), rows[0].group().strip()) for rows in blocks
            if len(rows) > 1 and not _RULE_ROW.match(rows[0].group())]


class DocumentView:
    """Reads the document tables; hands out no way to change them."""

    OUTLINES_KEPT = 256

    def __init__(self, docstore: DocStore):
        self._docstore = docstore
        self._outlines: dict[str, Outline] = {}
        self._generation = -1  # of the tables the outlines were read from

    def outline(self, source: str) -> Outline:
        """The document's Outline, read once and kept until the tables change."""
        generation = self._docstore.generation()
        if generation != self._generation or len(self._outlines) >= self.OUTLINES_KEPT:
            self._outlines.clear()
            self._generation = generation
        if source not in self._outlines:
            text = self._docstore.text(source)
            found, sections, section = [], [], ""
            for m in HEADING_LINE.finditer(text):
                line = m.group(1) or m.group(2) or m.group(3)
                found.append((m.start(), line.strip()))
                if not line[:1].isspace():
                    section = line.strip()
                sections.append(section)
            ends = self._docstore.sentence_ends_after(source, 0, 1)
            title = text[:min(ends[0], TITLE_CHARS)] if ends else ""
            self._outlines[source] = Outline([a for a, _ in found], [h for _, h in found], title,
                                             partial(self._docstore.term_counts, source),
                                             tables_of(text), sections)
        return self._outlines[source]

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
