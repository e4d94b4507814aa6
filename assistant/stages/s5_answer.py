"""The answer stage: an Answerer turns Evidence into an Answer, yielding text as it is written
(LLM mode) and then the Answer. The extractive one cites the chosen sentences themselves; the
LLM one writes with a model and falls back to the extractive one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

from assistant.errors import LLMError
from assistant.llm.check import MAX_CLAIMS, cite, parse_reply, why_refused
from assistant.llm.markers import UNSUPPORTED, stream_reply
from assistant.llm.prompts import ANSWER_STOP, build_prompt
from assistant.stages.s1_query import Query
from assistant.stages.s3_rank import Evidence
from assistant.text.display import as_written
from assistant.text.markers import defuse
from assistant.text.scoring import Scored, Weights
from assistant.types import Answer, Citation, Hit

NO_ANSWER = "The documents do not answer this question."


class Answerer(Protocol):
    """Turns a question's evidence into an answer."""

    def answer(self, query: Query, hits: list[Hit], evidence: Evidence) -> Iterator[str | Answer]:
        """Yield text pieces as they are written (if any), then the Answer."""
        ...


def citations_of(chosen: list[tuple[int, Scored]], view) -> list[Citation]:
    """Numbered sentences as Citations, with their pages."""
    return [Citation(n, s.source, s.text, s.start, s.end, s.score, s.highlight,
                     view.page_of(s.source, s.start)) for n, s in chosen]


SHORT_KINDS = ("quantity", "date", "person", "place", "author", "default")  # kinds with a phrase to show


def short_answer(kind: str | None, citations: list[Citation]) -> str | None:
    """The answer phrases of the citations, each with its marker ("hundreds of soldiers [1] ·
    10,000 Mexican soldiers [2]"), when the question asks for a kind of answer that has one;
    None otherwise."""
    if kind not in SHORT_KINDS:
        return None
    parts, seen = [], set()
    for c in citations:
        if c.highlight is None:
            continue
        phrase = " ".join(c.text[c.highlight[0]:c.highlight[1]].split()).strip(" ,;:")
        if phrase and phrase.lower() not in seen:
            seen.add(phrase.lower())
            parts.append(f"{defuse(phrase)} [{c.id}]")
    return " · ".join(parts) or None


class ExtractiveAnswerer:
    """The answer phrase when there is one, then the chosen sentences, each followed by its
    marker; abstains when none was chosen."""

    def __init__(self, view):
        self.view = view

    def answer(self, query: Query, hits: list[Hit], evidence: Evidence) -> Iterator[str | Answer]:
        """Yield the Answer (nothing streams)."""
        citations = citations_of(list(enumerate(evidence.chosen, 1)), self.view)
        short = short_answer(query.kind, citations)
        text = (" ".join(f"{defuse(as_written(c.text))} [{c.id}]" for c in citations)
                if citations else NO_ANSWER)
        if short:
            text = f"{short}\n\n{text}"
        yield Answer(query.question, text, citations, not citations,
                     confidence=evidence.confidence, short=short)


class LLMAnswerer:
    """A model writes the answer from the top passages; its markers are checked and each
    citation is the passage's sentence that best supports it (assistant/llm/check.py). Without
    evidence the model is not asked; a failing endpoint gives the extractive answer."""

    def __init__(self, client, view, embedder, keyword, passages: int,
                 weights: Weights | None = None, fallback: Answerer | None = None):
        self.client, self.view, self.embedder, self.keyword = client, view, embedder, keyword
        self.passages = passages
        self.weights = weights or Weights()
        self.fallback = fallback or ExtractiveAnswerer(view)

    def answer(self, query: Query, hits: list[Hit], evidence: Evidence) -> Iterator[str | Answer]:
        """Yield the reply as it streams, then the checked Answer (or the extractive one)."""
        warnings = []
        if evidence.answers:
            try:
                yield (yield from self._generate(query, hits, evidence))
                return
            except LLMError as exc:
                warnings.append(f"{exc}; showing the extractive answer instead")
        for item in self.fallback.answer(query, hits, evidence):
            if isinstance(item, Answer):
                item.mode, item.warnings = "extractive", warnings + item.warnings
                item.confidence = evidence.confidence
            yield item

    def _generate(self, query: Query, hits: list[Hit], evidence: Evidence):
        started = time.perf_counter()
        # in document order: the same passages make the same prompt, whose computed prefix a
        # llama.cpp server reuses (first token 2.0 -> 0.16 s on the sample article)
        hits = sorted(hits[:self.passages], key=lambda h: (h.chunk.source, h.chunk.start))
        resolved, question = query.resolved, query.question
        ask_as = resolved.standalone or (f"{question} (earlier questions were about: "
                                         f"{resolved.topic})" if resolved.topic else question)
        system, user = build_prompt(ask_as, hits, getattr(self.client, "specials", ()))
        reply, shown = yield from stream_reply(self.client, system, user, len(hits),
                                               stop=ANSWER_STOP, max_sentences=MAX_CLAIMS)
        draft, support = parse_reply(reply, hits, self.embedder.embed, self.keyword.idf,
                                              shown)
        timings = {"generate": (time.perf_counter() - started) * 1000}
        if draft.abstained:
            return Answer(question, NO_ANSWER, [], True, timings, mode="llm",
                          confidence=evidence.confidence)
        cited = cite(draft, support, evidence.ranked, self.weights, self.view)
        refused = why_refused(draft, cited, evidence.ranked, query.kind in SHORT_KINDS)
        if refused:
            raise LLMError(refused)
        warnings = []
        if draft.moved:
            warnings.append("moved 1 citation to the passage that supports its sentence"
                            if draft.moved == 1 else f"moved {draft.moved} citations to the "
                            "passages that support their sentences")
        if draft.unsupported:
            warnings.append(("1 sentence of the answer matches" if draft.unsupported == 1 else
                             f"{draft.unsupported} sentences of the answer match")
                            + f" no passage: marked {UNSUPPORTED}")
        return Answer(question, draft.text, citations_of(cited, self.view), False, timings,
                      mode="llm", warnings=warnings, confidence=evidence.confidence)
