"""Hybrid retrieval: dense (Chroma, best sentence per chunk) and BM25 candidates, fused."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.types import Passage
from index import Index, StoredChunk

RRF_K = 60  # the usual constant of reciprocal rank fusion


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the query vector that found it."""

    chunk: StoredChunk
    score: float


def rrf(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of ranked id lists."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank + 1)
    return fused


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


FUSIONS: dict[str, Callable] = {
    "rrf": lambda dense, keyword: rrf([[c for c, _ in dense], [c for c, _ in keyword]]),
    "weighted": weighted,
}


class HybridRetriever:
    """Dense and keyword search over one index, fused; per-call arguments override defaults."""

    def __init__(self, index: Index, fusion: str = "weighted", candidates: int = 30):
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; choose one of {', '.join(FUSIONS)}")
        self.index = index
        self.fusion = fusion
        self.candidates = candidates

    def search(self, query: str, top_k: int, vector: np.ndarray | None = None,
               prefer: list[str] | None = None, prefer_boost: float = 0.0) -> list[Hit]:
        """The ``top_k`` best chunks for ``query``, best first; candidates from the ``prefer``
        sources gain ``prefer_boost`` (a conversation stays with the documents it is about)."""
        if vector is None:
            vector = self.index.embedder.embed_query(query)
        n = max(self.candidates, top_k)
        dense = self.index.dense_search(vector, n)
        keyword = self.index.keyword_search(query, n)
        fused = FUSIONS[self.fusion](dense, keyword)
        if prefer and prefer_boost:
            wanted = set(prefer)
            for cid, source in self.index.docstore.sources_of(list(fused)).items():
                if source in wanted:
                    fused[cid] += prefer_boost
        best = sorted(fused, key=fused.get, reverse=True)[:top_k]
        return [Hit(c, fused[c.id]) for c in self.index.chunks(best)]


def page_of(pages: list[int], offset: int) -> int | None:
    """1-based page number holding ``offset``, or None for unpaged documents."""
    if not pages:
        return None
    return bisect.bisect_right(pages, offset)


def to_passage(hit: Hit, page: int | None = None) -> Passage:
    """A hit in the public Passage shape."""
    c = hit.chunk
    return Passage(c.text, c.source, c.start, c.end, round(hit.score, 6), c.id, page)
