"""Whether the documents answer a question: a small logistic model over features of the best
candidate sentences, fitted by ``python -m assistant.models.fitting.abstention`` and stored as plain
coefficients in abstention.json beside this module (no pickle), with the threshold chosen there for a
stated share of answerable questions refused."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.text.scoring import Scored
from assistant.text.sentence_forms import ITEM
from index.textproc import terms

MODEL_FILE = Path(__file__).with_name("abstention.json")
NEAR = 5  # candidates looked at beside the best
CONTEXT_CHARS = 250  # around the best sentence, for the rarest question term
TOPIC_COUNT = 3  # a term used this often in a document is its topic, not what is asked about

# Only evidence: what the question is like (its length, whether it names something) is left
# out, since the made-up unanswerable questions differ from the real ones in exactly that.
# The topic part reads TOPIC_FEATURES, the presence part all of them.
FEATURES = (
    "dense",          # cosine of the question and the best sentence
    "dense_near",     # the best cosine among the top candidates
    "coverage",       # IDF share of the question's terms in the best sentence (not damped) …
    "coverage_near",  # … in it and its neighbours
    "coverage_top",   # the best coverage_near among the top candidates
    "rarest_found",   # the question's rarest term occurs around the best sentence
    "asked_near",     # share of the question's terms that are not its document's topic (rare
    #                   in that document, not in its title) found around the best sentence …
    "asked_doc",      # … and anywhere in that document
    "asked_none",     # the question has no such term (all of it is the document's topic)
    "grounded",       # share of the question's names and numbers the best sentence's context has
    "grounded_top",   # the best such share among the top candidates
    "grounded_near",  # that share in the best sentence and its neighbours alone
    "pairs",          # share of the question's word pairs in the best sentence
    "asked_best",     # the best share of asked terms (see asked_near) in one top candidate
    "kind_found",     # the question asks for a kind of answer and the best sentence holds one
    "item",           # the best sentence is a list item or table row
    "score",          # the best sentence's combined score
    "margin",         # how far it leads the next candidate
)
TOPIC_FEATURES = ("dense", "dense_near", "coverage_near", "coverage_top", "score")


def describe(question_terms: list[str], idf: dict[str, float], kind: str | None,
             basis: list[Scored], view) -> dict[str, float]:
    """The features of a question's candidate sentences (``basis``: best first, scored on the
    question text alone); ``view`` gives the text around the best one."""
    feats = dict.fromkeys(FEATURES, 0.0)
    if not basis:
        return feats
    best, top = basis[0], basis[:NEAR]
    feats.update(
        dense=best.dense, dense_near=max(s.dense for s in top), coverage=best.coverage,
        coverage_near=best.coverage_near, coverage_top=max(s.coverage_near for s in top),
        grounded=best.grounded, grounded_top=max(s.grounded for s in top),
        grounded_near=best.grounded_near, pairs=best.pairs,
        kind_found=float(kind is not None and best.highlight is not None),
        item=float(best.form == ITEM), score=best.score,
        margin=best.score - basis[1].score if len(basis) > 1 else 1.0,
    )
    near = set(terms(view.span(best.source, max(0, best.start - CONTEXT_CHARS),
                               best.end + CONTEXT_CHARS)))
    known = [t for t in dict.fromkeys(question_terms) if idf.get(t, 0.0) > 0]  # ties: the first asked
    if known:
        feats["rarest_found"] = float(max(known, key=lambda t: idf[t]) in near)
    outline = view.outline(best.source)
    counts, title = outline.term_counts, set(terms(outline.title))
    asked = {t for t in set(question_terms) if counts[t] < TOPIC_COUNT and t not in title}
    feats["asked_none"] = float(not asked)
    feats["asked_near"] = len(asked & near) / len(asked) if asked else 1.0
    feats["asked_doc"] = sum(1 for t in asked if counts[t]) / len(asked) if asked else 1.0
    feats["asked_best"] = (max(len(asked & set(terms(s.text))) for s in top) / len(asked)
                           if asked else 1.0)
    return feats


@dataclass(frozen=True)
class Logistic:
    """Standardised features → a logistic probability."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    @classmethod
    def from_dict(cls, data: dict) -> Logistic:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(data["coef"]), float(data["intercept"]))

    def probability(self, feats: dict[str, float]) -> float:
        z = self.intercept + sum(c * (feats.get(f, 0.0) - m) / s for f, m, s, c
                                 in zip(self.features, self.mean, self.scale, self.coef))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


@dataclass(frozen=True)
class AbstentionModel:
    """Two fitted questions, multiplied: is the question about these documents at all
    (``topic``: answerable against off-topic questions), and does the passage found hold its
    answer (``presence``: answerable against on-topic unanswerable ones)?"""

    topic: Logistic
    presence: Logistic
    threshold: float

    @classmethod
    def from_dict(cls, data: dict) -> AbstentionModel:
        return cls(Logistic.from_dict(data["topic"]), Logistic.from_dict(data["presence"]),
                   float(data["threshold"]))

    @classmethod
    def never(cls) -> AbstentionModel:
        """A model that always answers (confidence 0.25): for collecting features to fit."""
        flat = Logistic((), (), (), (), 0.0)
        return cls(flat, flat, 0.0)

    def confidence(self, feats: dict[str, float]) -> float:
        """0-1: how likely the documents answer, by the fitted model."""
        return self.topic.probability(feats) * self.presence.probability(feats)

    def answers(self, confidence: float) -> bool:
        """Whether a question with this confidence is answered (else: not in the documents)."""
        return confidence >= self.threshold


@lru_cache(maxsize=4)
def load_model(path: str | Path = MODEL_FILE) -> AbstentionModel:
    """The fitted model (abstention.json beside this module unless ``path`` is given)."""
    return AbstentionModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
