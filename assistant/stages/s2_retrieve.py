"""Hybrid retrieval: dense (Chroma, best sentence per chunk) and BM25 candidates, fused."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.text.answer_kinds import AUTHOR_SECTION
from assistant.types import Hit, Passage
from index import Index
from index.view import DocumentView

if TYPE_CHECKING:
    from assistant.stages.s1_query import Query

def weighted(dense: list[tuple[str, float]], keyword: list[tuple[str, float]],
             alpha: float = 0.5) -> dict[str, float]:
    """Min-max normalized score fusion: alpha × dense + (1 − alpha) × BM25."""
    fused: dict[str, float] = {}
    for weight, hits in ((alpha, dense), (1 - alpha, keyword)):
        if not hits:
            continue
        scores = np.array([s for _, s in hits])
        low, high = float(scores.min()), float(scores.max())
        for cid, s in hits:
            norm = (s - low) / (high - low) if high > low else 1.0
            fused[cid] = fused.get(cid, 0.0) + weight * norm
    return fused


CANDIDATES = 30  # chunks taken from each search before fusion
CREDITS_CHARS = 200  # the credits read under their heading
MAX_CREDITS = 2  # credits chunks added to an author question's hits
ASKS_COPYRIGHT = re.compile(r"\bcopyright", re.IGNORECASE)
NOTICE_LINE = re.compile(r"^[ \t]*(?:©|\(c\)\s|copyright\b)", re.IGNORECASE | re.MULTILINE)


class Retriever(Protocol):
    """Finds the chunks that may answer a Query."""

    def search(self, query: Query, top_k: int) -> list[Hit]:
        """The ``top_k`` best chunks, best first."""
        ...


class HybridRetriever:
    """Dense and keyword search over one index, fused by min-max normalized scores (measured
    on COVID-QA: reciprocal rank fusion put the gold chunk first 4 points less often)."""

    def __init__(self, index: Index, prefer_boost: float = 0.0, view: DocumentView | None = None):
        self.index = index
        self.prefer_boost = prefer_boost
        self.view = view

    def search(self, query: Query, top_k: int) -> list[Hit]:
        """The ``top_k`` best chunks for ``query``, best first; candidates from the sources a
        follow-up prefers gain ``prefer_boost`` (a conversation stays with its documents)."""
        n = max(CANDIDATES, top_k)
        fused = weighted(self.index.dense_search(query.vector, n),
                         self.index.keyword_search(query.text, n))
        prefer, prefer_boost = query.prefer, self.prefer_boost
        if prefer and prefer_boost:
            wanted = set(prefer)
            for cid, source in self.index.docstore.sources_of(list(fused)).items():
                if source in wanted:
                    fused[cid] += prefer_boost
        ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))  # ties in id order
        hits: list[Hit] = []
        seen: set[str] = set()
        for start in range(0, len(ranked), top_k):  # usually one batch: repeats are rare
            for chunk in self.index.chunks(ranked[start:start + top_k]):
                text = " ".join(chunk.text.split())
                if text not in seen:  # a text met again (a repetitive file) counts once
                    seen.add(text)
                    hits.append(Hit(chunk, fused[chunk.id]))
            if len(hits) >= top_k:
                break
        return self.with_credits(query, hits[:top_k])

    def with_credits(self, query: Query, hits: list[Hit]) -> list[Hit]:
        """"Who wrote it?": the first document's credits (the text under its "AUTHOR",
        "Authors" or "Maintainers" heading), and "Who holds its copyright?": its first
        copyright line, second among the hits with the first one's score (raised there if
        retrieval found it lower), in place of the last.
        A man page's credits close a long document whose every chunk shares the question's
        other words, and a page's notice its footer, so neither search finds them."""
        if not hits or self.view is None:
            return hits
        source = hits[0].chunk.source
        if query.kind == "author":
            outline = self.view.outline(source)
            starts = [start for start, heading in zip(outline.heading_starts, outline.headings)
                      if AUTHOR_SECTION.match(heading)]
        elif ASKS_COPYRIGHT.search(query.question):
            found = NOTICE_LINE.search(self.index.docstore.text(source))
            starts = [found.start()] if found else []
        else:
            return hits
        ids = [cid for start in starts
               for cid in self.index.docstore.chunk_ids_at(source, start, start + CREDITS_CHARS)]
        ids = [cid for cid in dict.fromkeys(ids) if cid != hits[0].chunk.id][:MAX_CREDITS]
        if not ids:
            return hits
        found = [Hit(c, hits[0].score) for c in self.index.chunks(ids)]
        rest = [h for h in hits[1:] if h.chunk.id not in ids]  # found again: raised, once
        return [hits[0], *found, *rest][:len(hits)]


def to_passage(hit: Hit, page: int | None = None) -> Passage:
    """A hit in the public Passage shape."""
    c = hit.chunk
    return Passage(c.text, c.source, c.start, c.end, round(hit.score, 6), c.id, page)
