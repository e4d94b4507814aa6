"""The sentence-evidence stage: every sentence of the retrieved chunks scored against the Query,
whether the documents answer it (assistant/models/abstention.py), and the sentences to cite."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.models.abstention import AbstentionModel, describe, load_model
from assistant.stages.s1_query import Query
from assistant.text.scoring import Scored, Weights, blend, favour, score_sentences, select
from assistant.text.sentence_forms import BYLINE, CREDIT
from assistant.types import Hit
from index.textproc import terms


@dataclass
class Evidence:
    """What the retrieved sentences say about a question."""

    ranked: list[Scored]  # every candidate sentence, best first, as ranked for citing
    basis: list[Scored]  # the same, scored on the query text alone: decides abstention
    chosen: list[Scored]  # the sentences to cite; [] when the documents do not answer
    confidence: float = 0.0  # 0-1: how likely the documents answer (the abstention model)

    @property
    def answers(self) -> bool:
        """Whether the documents answer the question."""
        return bool(self.chosen)


def by_the_byline(query: Query, basis: list[Scored], hits: list[Hit]) -> bool:
    """"Who wrote it?" is answered by the byline of the document retrieved first, and "Who
    holds its copyright?" or "Who took the photo?" by its credit line (read only for questions
    about credits), whatever the fitted model says: its features read content, and such a line
    shares few words with the question."""
    if not basis or not hits:
        return False
    top = basis[0]
    credited = ((query.kind == "author" and top.form == BYLINE)
                or (query.kind in ("author", "person") and top.form == CREDIT))
    return credited and top.highlight is not None and top.source == hits[0].chunk.source


class EvidenceRanker:
    """Scores sentences (assistant/text/scoring.py), decides whether they answer (the fitted
    ``model``, abstention.json by default) and chooses the citations; ``view`` (an
    index.view.DocumentView) gives outlines (titles, headings, term counts) and widens
    citations over the sentences after."""

    def __init__(self, view, weights: Weights | None = None,
                 model: AbstentionModel | None = None):
        self.view = view
        self.weights = weights or Weights()
        self.model = model or load_model()

    def rank(self, query: Query, hits: list[Hit]) -> Evidence:
        """The Evidence the ``hits`` hold for ``query``."""
        w = self.weights
        outlines = {s: self.view.outline(s) for s in {h.chunk.source for h in hits}}
        basis = ranked = score_sentences(query.text, query.vector, hits, query.idf, w,
                                         kind=query.kind, focus=query.question,
                                         entities=query.entities, outlines=outlines)
        if query.expanded:  # a follow-up: the user's own words weigh most in picking sentences
            own = score_sentences(query.question, query.own_vector, hits, query.own_idf, w,
                                  kind=query.kind, focus=query.question,
                                  entities=query.entities, outlines=outlines)
            ranked = blend(ranked, own, w.own_words)
        if query.prefer:
            ranked = favour(ranked, set(query.prefer), w.prefer)
        confidence = self.model.confidence(self.features(query, basis))
        answers = self.model.answers(confidence) or by_the_byline(query, basis, hits)
        chosen = select(query.kind, ranked, w, self.view, answers, query.question)
        return Evidence(ranked, basis, chosen, confidence)

    def features(self, query: Query, basis: list[Scored]) -> dict[str, float]:
        """What the abstention model reads (assistant/abstention.FEATURES)."""
        return describe(terms(query.text), query.idf, query.kind, basis, self.view)
