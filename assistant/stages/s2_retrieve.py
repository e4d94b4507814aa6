"""Hybrid retrieval: dense (Chroma, best sentence per chunk) and BM25 candidates, fused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.types import Hit, Passage
from index import Index

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


class Retriever(Protocol):
    """Finds the chunks that may answer a Query."""

    def search(self, query: Query, top_k: int) -> list[Hit]:
        """The ``top_k`` best chunks, best first."""
        ...


class HybridRetriever:
    """Dense and keyword search over one index, fused by min-max normalized scores (measured
    on COVID-QA: reciprocal rank fusion put the gold chunk first 4 points less often)."""

    def __init__(self, index: Index, prefer_boost: float = 0.0):
        self.index = index
        self.prefer_boost = prefer_boost

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
        return hits[:top_k]


def to_passage(hit: Hit, page: int | None = None) -> Passage:
    """A hit in the public Passage shape."""
    c = hit.chunk
    return Passage(c.text, c.source, c.start, c.end, round(hit.score, 6), c.id, page)
