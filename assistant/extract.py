"""Extractive answers: score the sentences of the retrieved chunks and cite the best ones."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from assistant.answer_kinds import find_answer
from assistant.retrieval import Hit
from index.sentences import SENTENCE_END
from index.textproc import WORD, stem, stopwords, terms
from index.view import DocumentView


@dataclass(frozen=True)
class Weights:
    """How sentence evidence is combined (chosen by measurement on COVID-QA; see README)."""

    dense: float = 1.0      # cosine of the question and the sentence's own vector
    lexical: float = 0.8    # IDF-weighted share of the question's terms the sentence holds
    phrase: float = 0.3     # share of the question's word pairs found in the sentence
    passage: float = 0.25   # the retrieval score of the chunk holding the sentence
    kind: float = 0.2       # the sentence holds an answer of the kind asked (a number, a date …)
    fragment: float = 0.2   # penalty for a heading or fragment (no sentence ending, < 3 words)
    keep_ratio: float = 0.85  # further sentences are cited when this close to the best
    max_sentences: int = 3
    widen_to: int = 400     # citations grow over the following sentences up to this many chars …
    widen_below: int = 350  # … and a sentence shorter than this gets at least the next one
    # The documents are taken to answer when the best sentence is this close to the question,
    min_dense: float = 0.45
    # or one of the next best is this close and the best shares a rare word with the question,
    near_dense: float = 0.42
    near_lexical: float = 0.1
    # or the best holds this share of the question's informative terms and is not far off.
    min_lexical: float = 0.8
    floor_dense: float = 0.2
    # Follow-ups: sentences are scored on the question with its borrowed topic and on the
    # user's own words, mixed with this share for the latter (measured on the follow-up suites:
    # 0.5-0.9 all lift COVID-QA follow-ups from 50 % to 75-83 % with the sample suite unchanged),
    own_words: float = 0.7
    # and the documents the last answer cited gain this much in retrieval and sentence scores.
    prefer: float = 0.2


@dataclass
class Scored:
    """A candidate sentence (or a sentence and those after it) with its evidence."""

    source: str
    start: int
    end: int
    text: str
    score: float
    dense: float
    lexical: float
    highlight: tuple[int, int] | None


INFORMATIVE_IDF = 4.0  # question terms worth this much IDF make lexical evidence count fully


def lexical_coverage(question_terms: list[str], sentence_terms: set[str],
                     idf: dict[str, float]) -> float:
    """Share of the question's IDF weight found in the sentence, damped when the question's
    terms are common in the corpus (then matching them says little)."""
    total = sum(idf.get(t, 0.0) for t in set(question_terms))
    if total <= 0:
        return 0.0
    covered = sum(idf.get(t, 0.0) for t in set(question_terms) if t in sentence_terms) / total
    return covered * (1.0 - math.exp(-total / INFORMATIVE_IDF))


def term_positions(text: str, question_terms: set[str]) -> list[int]:
    """Character offsets in ``text`` of words whose stems the question uses."""
    stops = stopwords()
    return [m.start() for m in WORD.finditer(text)
            if (w := m.group().lower()) not in stops and stem(w) in question_terms]


def score_sentences(question: str, query_vector: np.ndarray, hits: list[Hit],
                    idf: dict[str, float], weights: Weights, kind: str | None = None,
                    focus: str | None = None) -> list[Scored]:
    """Every sentence of the hits, scored, best first (a sentence in two chunks counts once);
    ``kind`` is the kind of answer wanted (see cues.answer_kind); answer phrases are sought
    near the words of ``focus`` (the user's own question when ``question`` was expanded with
    the conversation's topic)."""
    q_terms = terms(question)
    q_pairs = set(zip(q_terms, q_terms[1:]))
    focus_terms = set(terms(focus)) if focus else set(q_terms)
    top = max((h.score for h in hits), default=1.0) or 1.0
    best: dict[tuple[str, int, int], Scored] = {}

    def avoid(span_text: str) -> bool:  # an "answer" made of the question's own words
        return bool(set(terms(span_text)) & focus_terms) and not any(c.isdigit() for c in span_text)

    for hit in hits:
        chunk = hit.chunk
        passage = hit.score / top
        dense = (chunk.vectors.astype(np.float32) @ query_vector
                 if chunk.vectors is not None else np.zeros(len(chunk.sentences)))
        for (a, b), d in zip(chunk.sentences, dense):
            key = (chunk.source, a, b)
            text = chunk.text[a - chunk.start:b - chunk.start]
            s_terms = terms(text)
            lex = lexical_coverage(q_terms, set(s_terms), idf)
            pairs = len(q_pairs & set(zip(s_terms, s_terms[1:]))) / len(q_pairs) if q_pairs else 0
            span = find_answer(kind, text, term_positions(text, focus_terms), avoid)
            score = (weights.dense * float(d) + weights.lexical * lex + weights.phrase * pairs
                     + weights.passage * passage + (weights.kind if span else 0.0))
            if len(set(s_terms)) < 3 or not text.endswith(SENTENCE_END):
                score -= weights.fragment  # titles, headings, bylines: rarely an answer
            if key in best and best[key].score >= score:
                continue
            best[key] = Scored(chunk.source, a, b, text, score, float(d), lex, span)
    return sorted(best.values(), key=lambda s: s.score, reverse=True)


def blend(scored: list[Scored], own: list[Scored], share: float) -> list[Scored]:
    """Mix two scorings of the same sentences (``own`` with weight ``share``), best first; the
    evidence fields that decide abstention stay those of ``scored``."""
    mine = {(s.source, s.start): s.score for s in own}
    mixed = [replace(s, score=share * mine.get((s.source, s.start), s.score) + (1 - share) * s.score)
             for s in scored]
    return sorted(mixed, key=lambda s: s.score, reverse=True)


def favour(scored: list[Scored], sources: set[str], boost: float) -> list[Scored]:
    """Raise the sentences of ``sources`` by ``boost``, best first."""
    raised = [replace(s, score=s.score + boost) if s.source in sources else s for s in scored]
    return sorted(raised, key=lambda s: s.score, reverse=True)


def supported(scored: list[Scored], weights: Weights) -> bool:
    """Whether the best sentences bear on the question enough to answer from them (thresholds
    calibrated on answerable, off-topic and held-out questions; see README)."""
    best = scored[0]
    near = max(s.dense for s in scored[:5])
    return (best.dense >= weights.min_dense
            or (near >= weights.near_dense and best.lexical >= weights.near_lexical)
            or (best.lexical >= weights.min_lexical and best.dense >= weights.floor_dense))


def widen(s: Scored, kind: str | None, weights: Weights, view: DocumentView) -> Scored:
    """Cite the sentences after the best one too (up to ``widen_to`` characters, at least one
    when the sentence is short), unless the question names a kind of answer this sentence
    holds: answers often follow the sentence that restates the question."""
    if kind and s.highlight:
        return s
    end = s.end
    for i, next_end in enumerate(view.sentence_ends_after(s.source, s.end)):
        if next_end - s.start <= weights.widen_to or (i == 0 and end - s.start < weights.widen_below):
            end = next_end
        else:
            break
    if end == s.end:
        return s
    return replace(s, end=end, text=view.span(s.source, s.start, end))


def select(kind: str | None, scored: list[Scored], weights: Weights, view: DocumentView,
           evidence: list[Scored] | None = None) -> list[Scored]:
    """The best sentence and those close enough to it; [] when the evidence (``scored``, or
    the scoring given as ``evidence`` when ``scored`` was re-ranked) is too weak."""
    if not scored or not supported(evidence or scored, weights):
        return []
    best = scored[0].score
    chosen = [widen(scored[0], kind, weights, view)]
    for s in scored[1:]:
        if len(chosen) >= weights.max_sentences or s.score < best * weights.keep_ratio:
            break
        if any(s.source == c.source and s.start < c.end and c.start < s.end for c in chosen):
            continue
        chosen.append(widen(s, kind, weights, view))
    return chosen
