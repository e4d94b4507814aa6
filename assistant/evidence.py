"""The sentence-evidence stage: every sentence of the retrieved chunks scored against the Query,
and the ones to cite chosen (none when the documents do not answer)."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.extract import Scored, Weights, blend, favour, score_sentences, select
from assistant.query import Query
from assistant.retrieval import Hit


@dataclass
class Evidence:
    """What the retrieved sentences say about a question."""

    ranked: list[Scored]  # every sentence, best first, as ranked for citing
    basis: list[Scored]  # the same, scored on the query text alone: decides abstention
    chosen: list[Scored]  # the sentences to cite; [] when the documents do not answer

    @property
    def answers(self) -> bool:
        """Whether the documents answer the question."""
        return bool(self.chosen)


class EvidenceRanker:
    """Scores sentences (assistant/extract.py) and chooses the citations; ``view`` (an
    index.view.DocumentView) widens them over the sentences that follow."""

    def __init__(self, view, weights: Weights | None = None):
        self.view = view
        self.weights = weights or Weights()

    def rank(self, query: Query, hits: list[Hit]) -> Evidence:
        """The Evidence the ``hits`` hold for ``query``."""
        w = self.weights
        basis = ranked = score_sentences(query.text, query.vector, hits, query.idf, w,
                                         kind=query.kind, focus=query.question)
        if query.expanded:  # a follow-up: the user's own words weigh most in picking sentences
            own = score_sentences(query.question, query.own_vector, hits, query.own_idf, w,
                                  kind=query.kind, focus=query.question)
            ranked = blend(ranked, own, w.own_words)
        if query.prefer:
            ranked = favour(ranked, set(query.prefer), w.prefer)
        return Evidence(ranked, basis, select(query.kind, ranked, w, self.view, basis))
