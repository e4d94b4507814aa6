"""The reading stage, between the evidence ranking and the answer: a reader reads the question
with each of the best few candidate sentences (with their heading or title and the text before
them) and gives the probability that the sentence answers it. Its best probability, calibrated,
becomes the answer's ``confidence`` and decides "not in the documents"; the candidates are cited
in its order.

Readers (``--reader`` / ``CITEQA_READER``): ``none`` (the default), which passes the ranking's
Evidence on unchanged (the fast path: the fitted abstention model of
assistant/models/abstention.py decides); ``minilm``, the cross-encoder of
assistant/models/reader.py (opt-in: on the held-out suites it does not yet beat ``none``); and
``judge``, the cross-encoder's order with the 1.5B model asked whether its first candidate
states the answer (assistant/models/judge.py), the two probabilities combined by a fitted
decision.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np

from assistant.errors import BadInputError
from assistant.models.judge import Judge, JudgeFit, load_fit
from assistant.models.reader import CONTEXT_CHARS, ReaderModel, reader_input
from assistant.settings import READERS
from assistant.stages.s1_query import Query
from assistant.stages.s3_rank import Evidence, by_the_byline
from assistant.text.display import as_written
from assistant.text.scoring import Scored, Weights, select
from assistant.text.sentence_forms import BYLINE, sentence_form
from assistant.types import Hit

DEFAULT_READER = "none"  # minilm does not yet beat it on held-out suites (README, Reader)
CANDIDATES = 8  # candidate sentences read per question
TITLE_CHARS = 120  # a longer first sentence is not a title


class Reader(Protocol):
    """Reads a question's Evidence and returns it reordered and decided."""

    def read(self, query: Query, hits: list[Hit], evidence: Evidence) -> Evidence:
        ...


def candidates(ranked: list[Scored], limit: int = CANDIDATES) -> list[Scored]:
    """The best ``limit`` candidates, each text once."""
    seen, out = set(), []
    for s in ranked:
        if s.text not in seen:
            seen.add(s.text)
            out.append(s)
            if len(out) == limit:
                break
    return out


def cite(query: Query, first: Scored, evidence: Evidence, weights: Weights, view,
         answers: bool) -> list[Scored]:
    """What to cite: the reader's first candidate, then the further sentences the ranking would
    cite beside its own best (select's keep_ratio, on the ranking's scores). The reader's
    probabilities fall off too steeply to choose more than one sentence by themselves, and the
    ranking's second and third sentences often hold the answer the first one introduces."""
    top = evidence.ranked[0].score if evidence.ranked else first.score
    lead = replace(first, score=max(first.score, top))
    rest = [s for s in evidence.ranked if s.text != first.text]
    return select(query.kind, [lead, *rest], weights, view, answers, query.question)


def read_under(view, s: Scored) -> str:
    """The heading a candidate is read under: its section's, else its document's title (also
    when the line above it is the byline under the title: "A story by …" names no section),
    as it is shown (display.as_written: without markdown's heading mark)."""
    outline = view.outline(s.source)
    heading = outline.heading_of(s.start)
    if not heading or sentence_form(heading) == BYLINE:
        heading = outline.title
    return as_written(heading.strip())


def passage(view, s: Scored) -> str:
    """What the reader reads for ``s`` (assistant.models.reader.reader_input)."""
    before = view.span(s.source, max(0, s.start - 2 * CONTEXT_CHARS), s.start)
    heading = read_under(view, s)
    if len(heading) > TITLE_CHARS or heading in before or heading in s.text:
        heading = ""  # a first sentence, not a title; or already in what is read
    return reader_input(s.text, heading, before)


class NoReader:
    """``--reader none``: the ranking's Evidence as it is."""

    def read(self, query: Query, hits: list[Hit], evidence: Evidence) -> Evidence:
        return evidence


class ModelReader:
    """A model's logits over the best candidates: the candidates re-ordered by them, with their
    place in the ranking as a fitted prior (Calibration.scores; those it did not read follow),
    the confidence its best calibrated probability, and the citations chosen from its order when
    that clears the threshold."""

    def __init__(self, view, model: ReaderModel | None = None, weights: Weights | None = None,
                 limit: int = CANDIDATES):
        self.view, self.model = view, model or ReaderModel()
        self.weights, self.limit = weights or Weights(), limit

    def warm(self) -> None:
        """Load the model now (serve does it at start, beside the first question's stores)."""
        self.model.logits("warm up", ["warm up"])

    def read(self, query: Query, hits: list[Hit], evidence: Evidence) -> Evidence:
        read = candidates(evidence.ranked, self.limit)
        if not read:
            return evidence
        logits = self.model.logits(query.text, [passage(self.view, s) for s in read])
        calibration = self.model.calibration
        scores = calibration.scores(logits)
        probs = [calibration.probability(float(x)) for x in scores]
        order = np.argsort(-scores, kind="stable")
        ranked = [replace(read[i], score=probs[i]) for i in order]
        confidence = probs[int(order[0])]
        answers = (confidence >= calibration.threshold
                   or by_the_byline(query, evidence.basis, hits))
        first = read[int(order[0])]
        chosen = cite(query, first, evidence, self.weights, self.view, answers)
        return Evidence(ranked + [s for s in evidence.ranked if s not in read], evidence.basis,
                        chosen, confidence)


def focused(view, s: Scored) -> str:
    """What the judge reads for ``s``: the sentence after its heading or title (short, focused
    candidates read far better than whole chunks)."""
    heading = read_under(view, s)
    text = f"{heading}: {s.text}" if heading and len(heading) < TITLE_CHARS else s.text
    return " ".join(text.split())


class JudgeReader:
    """The cross-encoder's order, then the judge on its first candidate: the confidence and
    the "not in the documents" decision come from both (JudgeFit)."""

    def __init__(self, view, judge: Judge | None = None, fit: JudgeFit | None = None,
                 weights: Weights | None = None):
        self.view, self.weights = view, weights or Weights()
        self.reader = ModelReader(view, weights=self.weights)
        self.judge, self._fit = judge or Judge(), fit

    @property
    def fit(self) -> JudgeFit:
        if self._fit is None:
            self._fit = load_fit()
        return self._fit

    def warm(self) -> None:
        self.reader.warm()
        self.judge.warm()

    def read(self, query: Query, hits: list[Hit], evidence: Evidence) -> Evidence:
        read = self.reader.read(query, hits, evidence)
        first = candidates(read.ranked, 1)
        if not first:
            return read
        judged = self.judge.p_yes(query.text, focused(self.view, first[0]))
        z = self.fit.decision(read.confidence, judged)
        confidence = self.fit.confidence(z)
        answers = self.fit.answers(z) or by_the_byline(query, evidence.basis, hits)
        lead = next(s for s in evidence.ranked if s.text == first[0].text)
        chosen = cite(query, lead, evidence, self.weights, self.view, answers)
        return Evidence(read.ranked, read.basis, chosen, confidence)


def make_reader(name: str | None, view, weights: Weights | None = None) -> Reader:
    """The reader called ``name`` (READERS); an unknown one is a one-line error."""
    name = name or DEFAULT_READER
    if name == "none":
        return NoReader()
    if name == "minilm":
        return ModelReader(view, weights=weights)
    if name == "judge":
        return JudgeReader(view, weights=weights)
    raise BadInputError(f"unknown reader {name!r}: choose one of {', '.join(READERS)}")
