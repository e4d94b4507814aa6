"""LLM mode's checks: every claim of a finished reply is tied to the passage that supports it
(a marker on the wrong passage is moved, an unmarked claim gets the passage that supports it or
is marked unsupported), and each cited passage is narrowed to the sentences that bear on the
answer, so a citation still quotes the document exactly."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.llm.markers import MARKER, UNSUPPORTED, Claim, attach, split_claims
from assistant.text.entities import mentioned, question_entities, words_of
from assistant.text.scoring import Scored, Weights, lexical_coverage, widen
from assistant.types import Hit
from index.sentences import SENTENCE_END
from index.textproc import terms
from index.view import DocumentView

NO_ANSWER_REPLY = "do not answer this question"
LEXICAL_WEIGHT = 0.8  # as in extractive scoring (text.scoring.Weights.lexical) …
FRAGMENT_PENALTY = 0.2  # … and titles, bylines and headings are rarely what a claim rests on
MIN_CLAIM_SUPPORT = 0.7  # a claim is supported by a passage's sentence scoring this much (set on
# the bundled model's replies to trust dev: 0.5 kept 4 more wrong answers, 1.1 lost a right one)
MAX_CLAIMS = 3  # the prompt asks for one or two sentences: more is a small model looping
NAME_PENALTY = 0.3  # per share of the claim's names the sentence does not mention
NUMBER_PENALTY = 1.0  # a sentence without the claim's numbers does not support it
REPOINT_MARGIN = 0.25  # a cited passage this much weaker than the best one is the wrong one
# a generated answer must cite one of this many sentences ranked best for the question (the
# extractive ranking): a small model that writes about a neighbouring sentence is refused
AGREE_TOP = 5



@dataclass
class Draft:
    """A parsed reply: claims, the passages they cite, and what could not be supported."""

    claims: list[Claim]
    passage_of: dict[int, int]  # shown number -> passage number (1-based)
    abstained: bool = False
    unsupported: int = 0
    moved: int = 0  # markers moved to the passage that supports their sentence

    def renumber(self) -> None:
        """Number the cited passages 1, 2, … in order of first use; drop the uncited."""
        order = list(dict.fromkeys(n for c in self.claims for n in c.cites))
        new = {old: i for i, old in enumerate(order, 1)}
        for c in self.claims:
            c.cites = [new[n] for n in c.cites]
        self.passage_of = {new[old]: self.passage_of[old] for old in order}

    @property
    def text(self) -> str:
        parts = []
        for c in self.claims:
            marks = "".join(f"[{n}]" for n in c.cites) or UNSUPPORTED
            body = MARKER.sub("", c.text)
            body = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(body.split()))
            parts.append(attach(body, marks))
        return " ".join(parts)



class Support:
    """How well each sentence of the passages supports each claim: the cosine of their vectors
    plus the IDF-weighted share of the claim's words the sentence holds, less a penalty for each
    of the claim's names it does not mention and a larger one when it lacks one of the claim's
    numbers (a small embedding model barely tells 10,000 from hundreds, and a small LLM invents
    figures beside the sentence it cites)."""

    def __init__(self, claims: list[str], hits: list[Hit], embed, idf):
        self.hits = hits
        vectors = embed(claims) if claims else np.zeros((0, 0), dtype=np.float32)
        claim_terms = [terms(c) for c in claims]
        claim_entities = [question_entities(c) for c in claims]
        weights = idf(sorted({t for ts in claim_terms for t in ts}))
        self.scores: list[np.ndarray] = []  # per passage: claims x sentences
        for hit in hits:
            chunk = hit.chunk
            texts = [chunk.text[a - chunk.start:b - chunk.start] for a, b in chunk.sentences]
            sentence_terms = [set(terms(t)) for t in texts]  # each sentence read once
            sentence_words = [words_of(t) for t in texts]
            dense = (vectors @ chunk.vectors.astype(np.float32).T
                     if chunk.vectors is not None and len(claims) else
                     np.zeros((len(claims), len(texts)), dtype=np.float32))
            lexical = np.array([[lexical_coverage(ct, st, weights) for st in sentence_terms]
                                for ct in claim_terms]).reshape(len(claims), len(texts))
            fragment = np.array([FRAGMENT_PENALTY if len(st) < 3 or not t.endswith(SENTENCE_END)
                                 else 0.0 for t, st in zip(texts, sentence_terms)])
            missing = np.array([[entity_penalty(ce, sw) for sw in sentence_words]
                                for ce in claim_entities]).reshape(len(claims), len(texts))
            self.scores.append(dense + LEXICAL_WEIGHT * lexical - fragment - missing)

    def closest(self, claim: int) -> tuple[float, int]:
        """The best support any passage gives claim ``claim``, and that passage (1-based)."""
        best, which = -1.0, 0
        for n, scores in enumerate(self.scores, 1):
            if scores.shape[1] and float(scores[claim].max()) > best:
                best, which = float(scores[claim].max()), n
        return best, which

    def best_sentence(self, passage: int, claims: list[int]) -> tuple[int, float]:
        """The sentence of passage ``passage`` (1-based) that best supports these claims."""
        scores = self.scores[passage - 1][claims].mean(axis=0)
        return int(np.argmax(scores)), float(scores.max())


def entity_penalty(entities: list[str], words: set[str]) -> float:
    """What a sentence (its ``words_of``) loses for the claim's names and numbers it lacks."""
    numbers = [e for e in entities if e[:1].isdigit()]
    names = [e for e in entities if not e[:1].isdigit()]
    return (NUMBER_PENALTY * (mentioned(numbers, words) < 1.0)
            + NAME_PENALTY * (1.0 - mentioned(names, words)))


def parse_reply(text: str, hits: list[Hit], embed, idf, shown: dict[int, int] | None = None
                ) -> tuple[Draft, Support | None]:
    """A Draft from the (filtered) reply; ``shown`` maps passage numbers to the numbers the
    filter showed; ``embed`` and ``idf`` (see Support) place sentences without markers."""
    if NO_ANSWER_REPLY in " ".join(text.lower().split()):
        return Draft([], {}, abstained=True), None
    passage_of = {v: k for k, v in (shown or {}).items()}
    claims = split_claims(text)[:MAX_CLAIMS]
    support = Support([MARKER.sub("", c.text) for c in claims], hits, embed, idf)

    def shown_as(n: int) -> int:
        """The number passage ``n`` is shown as (a new one if it has none yet)."""
        for shown_n, p in passage_of.items():
            if p == n:
                return shown_n
        shown_n = max(passage_of, default=0) + 1
        passage_of[shown_n] = n
        return shown_n

    moved = 0
    for i, claim in enumerate(claims):
        best, n = support.closest(i)
        if not claim.cites:
            if best >= MIN_CLAIM_SUPPORT:
                claim.cites = [shown_as(n)]
            continue
        # a marker stays where its passage supports the sentence nearly as well as the best
        # one does; a marker on no supporting passage is moved, or dropped (unsupported)
        kept = [s for s in claim.cites
                if support.best_sentence(passage_of[s], [i])[1]
                >= max(best - REPOINT_MARGIN, MIN_CLAIM_SUPPORT)]
        if not kept and best >= MIN_CLAIM_SUPPORT:
            kept = [shown_as(n)]
        if kept != claim.cites:
            moved += bool(kept)
            claim.cites = kept
    draft = Draft(claims, passage_of, unsupported=sum(1 for c in claims if not c.cites),
                  moved=moved)
    draft.renumber()
    return draft, support


def cite(draft: Draft, support: Support, scored: list[Scored], weights: Weights,
         view: DocumentView) -> list[tuple[int, Scored]]:
    """The citations: for each claim and each passage it cites, the passage's sentence that best
    supports the claim (widened like an extractive citation unless that would swallow another
    cited sentence). Claims citing the same sentence share its number; the claims' markers are
    rewritten to these numbers, 1, 2, … in order of use."""
    highlights = {(s.source, s.start): s.highlight for s in scored if s.highlight}
    units: dict[tuple[int, int], int] = {}  # (passage, sentence index) -> citation number
    claimed: dict[tuple[int, int], set[str]] = {}
    for i, claim in enumerate(draft.claims):
        cites = []
        for shown in claim.cites:
            n = draft.passage_of[shown]
            key = (n, support.best_sentence(n, [i])[0])
            cites.append(units.setdefault(key, len(units) + 1))
            claimed.setdefault(key, set()).update(terms(MARKER.sub("", claim.text)))
        claim.cites = list(dict.fromkeys(cites))
    starts = {(support.hits[n - 1].chunk.source, support.hits[n - 1].chunk.sentences[j][0])
              for n, j in units}
    out = []
    for (n, j), number in units.items():
        chunk = support.hits[n - 1].chunk
        a, b = chunk.sentences[j]
        text = chunk.text[a - chunk.start:b - chunk.start]
        citing = [i for i, c in enumerate(draft.claims) if number in c.cites]
        score = float(support.scores[n - 1][citing, j].mean())
        mark = highlights.get((chunk.source, a))
        if mark and not set(terms(text[mark[0]:mark[1]])) & claimed[(n, j)]:
            mark = None  # the phrase answers the question, but not what the answer says
        s = Scored(chunk.source, a, b, text, score, score, 0.0, mark)
        if not mark:
            wide = widen(s, None, weights, view)
            if not any(src == s.source and s.end < x < wide.end for src, x in starts):
                s = wide
        out.append((number, s))
    draft.passage_of = {number: n for (n, _), number in units.items()}
    return out


def overlaps(cited: list[tuple[int, Scored]], sentences: list[Scored]) -> bool:
    """Whether a citation overlaps one of ``sentences``."""
    return any(c.source == s.source and c.start < s.end and s.start < c.end
               for _, c in cited for s in sentences)


def why_refused(draft: Draft, cited: list[tuple[int, Scored]], ranked: list[Scored],
                asks_phrase: bool) -> str | None:
    """Why a checked answer with these citations is not shown (the extractive one is), or None.
    ``ranked``: the extractive ranking of the passages' sentences; ``asks_phrase``: the question
    asks for an amount, date, name or place (one the ranking marks in its sentences)."""
    if not cited:
        return "no sentence of the LLM's answer is supported by a passage"
    if draft.unsupported * 2 >= len(draft.claims):  # half of it or more is the model's own
        return (f"no passage supports {draft.unsupported} of the LLM's {len(draft.claims)} "
                "sentences")
    if not overlaps(cited, ranked[:AGREE_TOP]):
        return "the LLM's answer rests on none of the sentences that best match the question"
    if asks_phrase and not any(c.highlight for _, c in cited) and overlaps(
            cited, [s for s in ranked if s.highlight]):
        # "how many …?": a cited sentence holds an amount, and the answer does not state it
        return "the LLM's answer does not state the answer its sources give"
    return None
