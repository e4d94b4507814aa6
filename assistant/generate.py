"""LLM mode: number the retrieved passages, ask for [n] markers, and keep only markers that hold.

The reply streams through a MarkerFilter, which drops markers that point at no passage and
renumbers the rest by first use. Once the reply is complete, each sentence without a marker gets
the passage it is most similar to, or is marked unsupported; each cited passage is narrowed to
the sentences that bear on the answer, so a citation still quotes the document exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

import prompts
from assistant.extract import Scored, Weights, lexical_coverage, widen
from assistant.markers import defuse
from assistant.retrieval import Hit
from index.sentences import SENTENCE_END, split_sentences
from index.textproc import terms
from index.view import DocumentView

# [1], [1, 2], and the variants models write: [Passage 1], [source 2; 3]
_LABEL = r"(?:(?:passage|source|doc(?:ument)?)\s*)?"
MARKER = re.compile(rf"\[{_LABEL}(\d+(?:\s*[,;]\s*{_LABEL}\d+)*)\]", re.IGNORECASE)
_OPEN_MARKER = re.compile(r"\[[a-z]{0,8}\s*[\d,;\sa-z]*", re.IGNORECASE)
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+\s*")
_TAG = re.compile(r"<(/?)(passage)", re.IGNORECASE)
UNSUPPORTED = "[?]"
NO_ANSWER_REPLY = "do not answer this question"
LEXICAL_WEIGHT = 0.8  # as in extractive scoring (extract.Weights.lexical) …
FRAGMENT_PENALTY = 0.2  # … and titles, bylines and headings are rarely what a claim rests on
MIN_CLAIM_SUPPORT = 0.5  # an unmarked sentence this well supported by a passage's sentence cites it
REPOINT_MARGIN = 0.25  # a cited passage this much weaker than the best one is the wrong one


class MarkerFilter:
    """Streams text through, holding back each ``[...]`` until it closes: markers that point at
    one of ``count`` passages are renumbered in order of first use, the others dropped."""

    def __init__(self, count: int):
        self.count = count
        self.shown: dict[int, int] = {}  # passage number -> number shown in the answer
        self._held = ""

    def feed(self, text: str) -> str:
        """The part of the stream that can be shown now."""
        self._held += text
        out: list[str] = []
        while self._held:
            i = self._held.find("[")
            if i < 0:
                out.append(self._held)
                self._held = ""
                break
            out.append(self._held[:i])
            rest = self._held[i:]
            j = rest.find("]")
            if j < 0:
                if _OPEN_MARKER.fullmatch(rest) and len(rest) <= 24:
                    self._held = rest  # maybe a marker: wait for the rest of it
                    break
                out.append("[")
                self._held = rest[1:]
                continue
            token = rest[:j + 1]
            marker = MARKER.fullmatch(token)
            out.append(self._renumber(marker.group(1)) if marker else token)
            self._held = rest[j + 1:]
        return "".join(out)

    def flush(self) -> str:
        """Whatever is still held back at the end of the stream."""
        held, self._held = self._held, ""
        return held

    def _renumber(self, numbers: str) -> str:
        kept: list[int] = []
        for raw in re.findall(r"\d+", numbers):
            n = int(raw)
            if 1 <= n <= self.count:
                shown = self.shown.setdefault(n, len(self.shown) + 1)
                if shown not in kept:
                    kept.append(shown)
        return "".join(f"[{k}]" for k in kept)


def format_passages(hits: list[Hit]) -> str:
    """The passages as numbered, quoted blocks; a document cannot close the block early."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        text = _TAG.sub(lambda m: f"&lt;{m.group(1)}{m.group(2)}", defuse(hit.chunk.text))
        source = hit.chunk.source.replace('"', "'")
        blocks.append(f'[{n}] <passage id="{n}" source="{source}">\n{text}\n</passage>')
    return "\n\n".join(blocks)


def build_prompt(question: str, hits: list[Hit]) -> tuple[str, str]:
    """The (system, user) messages of the answer prompt."""
    return (prompts.load("answer_system").render(),
            prompts.load("answer").render(passages=format_passages(hits), question=question))


def condense_prompt(question: str, history: list[str]) -> str:
    """The prompt that rewrites a follow-up as a standalone question."""
    lines = "\n".join(f"- {q}" for q in history[-6:])
    return prompts.load("condense").render(history=lines, question=question)


@dataclass
class Claim:
    """A sentence of the generated answer and the shown numbers of the passages it cites."""

    text: str
    cites: list[int] = field(default_factory=list)


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
            parts.append(_attach(body, marks))
        return " ".join(parts)


def _attach(sentence: str, marks: str) -> str:
    """Put the markers before the sentence's closing punctuation."""
    m = re.search(r"[.!?]+[\"”’)]*$", sentence)
    if m:
        return f"{sentence[:m.start()]} {marks}{sentence[m.start():]}"
    return f"{sentence} {marks}"


def split_claims(text: str) -> list[Claim]:
    """The reply's sentences with their markers; a marker opening a sentence belongs to the one
    before it ("... troops. [1] The plan ...")."""
    claims: list[Claim] = []
    for a, b in split_sentences(text):
        sentence = text[a:b]
        lead = _LEADING_MARKERS.match(sentence)
        if lead and claims:
            claims[-1].cites += [int(n) for n in re.findall(r"\d+", lead.group())]
            sentence = sentence[lead.end():]
        if MARKER.sub("", sentence).strip(" .,;:"):
            claims.append(Claim(sentence, [int(n) for g in MARKER.findall(sentence)
                                           for n in re.findall(r"\d+", g)]))
        elif claims:
            claims[-1].cites += [int(n) for n in re.findall(r"\d+", sentence)]
    for c in claims:
        c.cites = list(dict.fromkeys(c.cites))
    return claims


class Support:
    """How well each sentence of the passages supports each claim: the cosine of their vectors
    plus the IDF-weighted share of the claim's words the sentence holds (numbers and names
    count: a small embedding model barely tells 10,000 from hundreds)."""

    def __init__(self, claims: list[str], hits: list[Hit], embed, idf):
        self.hits = hits
        vectors = embed(claims) if claims else np.zeros((0, 0), dtype=np.float32)
        claim_terms = [terms(c) for c in claims]
        weights = idf(sorted({t for ts in claim_terms for t in ts}))
        self.scores: list[np.ndarray] = []  # per passage: claims x sentences
        for hit in hits:
            chunk = hit.chunk
            texts = [chunk.text[a - chunk.start:b - chunk.start] for a, b in chunk.sentences]
            dense = (vectors @ chunk.vectors.astype(np.float32).T
                     if chunk.vectors is not None and len(claims) else
                     np.zeros((len(claims), len(texts)), dtype=np.float32))
            lexical = np.array([[lexical_coverage(ct, set(terms(t)), weights) for t in texts]
                                for ct in claim_terms]).reshape(len(claims), len(texts))
            fragment = np.array([FRAGMENT_PENALTY if len(set(terms(t))) < 3
                                 or not t.endswith(SENTENCE_END) else 0.0 for t in texts])
            self.scores.append(dense + LEXICAL_WEIGHT * lexical - fragment)

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


def parse_reply(text: str, hits: list[Hit], embed, idf, shown: dict[int, int] | None = None
                ) -> tuple[Draft, Support | None]:
    """A Draft from the (filtered) reply; ``shown`` maps passage numbers to the numbers the
    filter showed; ``embed`` and ``idf`` (see Support) place sentences without markers."""
    if NO_ANSWER_REPLY in " ".join(text.lower().split()):
        return Draft([], {}, abstained=True), None
    passage_of = {v: k for k, v in (shown or {}).items()}
    claims = split_claims(text)
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
        # a marker whose passage supports the sentence far less than another passage does
        # is moved there: the model picked the wrong number
        kept = [s for s in claim.cites
                if support.best_sentence(passage_of[s], [i])[1] >= best - REPOINT_MARGIN]
        if not kept and best >= MIN_CLAIM_SUPPORT:
            kept = [shown_as(n)]
        if kept and kept != claim.cites:
            moved += 1
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


def stream_reply(client, system: str, user: str, count: int) -> Iterator[str]:
    """Yields the reply's shown text as it streams; returns (the whole shown text, the
    filter's numbering: passage number -> shown number)."""
    markers = MarkerFilter(count)
    parts: list[str] = []
    for delta in client.stream(system, user):
        shown = markers.feed(delta)
        if shown:
            parts.append(shown)
            yield shown
    rest = markers.flush()
    if rest:
        parts.append(rest)
        yield rest
    return "".join(parts), markers.shown
