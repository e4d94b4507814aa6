"""Extractive answers: score the sentences of the retrieved chunks and cite the best ones."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from assistant.text.answer_kinds import HOLDER, find_answer, kind_in_section, quantity_unit
from assistant.text.entities import mentioned, words_of
from assistant.text.sentence_forms import (
    BYLINE,
    CREDIT,
    HEADING,
    ITEM,
    NOTE,
    SENTENCE,
    TITLE_LINES,
    answers_content,
    asks_about_versions,
    forms_asked,
    names_authors,
    sentence_form,
)
from assistant.types import Hit
from index.sentences import starts_a_definition
from index.textproc import WORD, stem, stopwords, terms
from index.view import DocumentView, Outline


@dataclass(frozen=True)
class Weights:
    """How sentence evidence is combined (chosen by measurement on COVID-QA; see README)."""

    dense: float = 1.0      # cosine of the question and the sentence's own vector
    lexical: float = 0.8    # IDF-weighted share of the question's terms the sentence holds
    phrase: float = 0.3     # share of the question's word pairs found in the sentence
    passage: float = 0.25   # the retrieval score of the chunk holding the sentence
    kind: float = 0.2       # the sentence holds an answer of the kind asked (a number, a date …)
    fragment: float = 0.2   # penalty for a sentence of fewer than 3 content words
    note: float = 0.2       # penalty for a version note when the question is not about versions
    byline: float = 0.8     # "Who wrote it?": a byline naming someone is the answer
    entity: float = 0.3     # penalty for a sentence that (with its neighbours and the document's
    #                         title) mentions none of the names and numbers the question does
    keep_ratio: float = 0.85  # further sentences are cited when this close to the best
    max_sentences: int = 3
    widen_to: int = 400     # citations grow over the following sentences up to this many chars …
    widen_below: int = 350  # … and a sentence shorter than this gets at least the next one
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
    coverage: float = 0.0  # undamped IDF share of the question's terms in the sentence …
    coverage_near: float = 0.0  # … and in it with its neighbours
    grounded: float = 1.0  # share of the question's names and numbers its passage mentions …
    grounded_near: float = 1.0  # … and it with its neighbours
    pairs: float = 0.0  # share of the question's word pairs it holds
    form: str = SENTENCE  # see sentence_forms


SHORT_TERMS = 6  # a sentence of fewer terms than this is read with its context when it answers
INFORMATIVE_IDF = 4.0  # question terms worth this much IDF make lexical evidence count fully


# a definition's term before its description, as the loaders write it: "--only-untracked: …",
# "stash.showStat: …", "shutil.rmtree(path, ignore_errors=False): …" (a name from code: no
# spaces, or a call's signature)
DEFINED_TERM = re.compile(r"^[ \t]*([^\s:]{2,60}|[\w.]+\([^()\n]{0,80}\)):[ \t]")
# an API reference's heading that is the name it documents: "### `timeout.refresh()`"
HEADED_TERM = re.compile(r"^#{1,6}[ \t]+`?([\w.$:-]{2,60}(?:\([^()\n]{0,80}\))?)`?[ \t]*$")
DEFINITION_CHARS = 300  # a later sentence this far into its description is cited with its term
DEFINITION_SENTENCES = 3


def definitions(text: str, offset: int, sentences) -> dict[int, tuple[int, str]]:
    """For each sentence (by index) that goes on a definition's description after its first
    sentence, within DEFINITION_SENTENCES sentences and DEFINITION_CHARS characters (a
    description's later paragraphs too): where the definition starts (its term) and the term.
    A man page's term over its description counts too ("--contimeout=SECONDS" on a line of its
    own), and so does a heading that is a name from code ("### `timeout.refresh()`"); the next
    term, another heading, a byline or a credit ends a description."""
    found: dict[int, tuple[int, str]] = {}
    lead: tuple[int, int, str] | None = None  # (sentence index, start, term)
    for i, (a, b) in enumerate(sentences):
        sentence = text[a - offset:b - offset]
        term = DEFINED_TERM.match(sentence) or HEADED_TERM.match(sentence)
        line_start = text.rfind("\n", 0, a - offset) + 1  # the sentence's line, indented
        if term and CODE_CHARS.search(term.group(1)):
            lead = (i, a, term.group(1))
        elif "\n" in sentence and starts_a_definition("\n" + text[line_start:b - offset]):
            lead = (i, a, sentence.split("\n", 1)[0].strip())
        elif (lead and i - lead[0] <= DEFINITION_SENTENCES and b - lead[1] <= DEFINITION_CHARS
              and (form := sentence_form(sentence)) in (SENTENCE, ITEM, NOTE)):
            if form != NOTE:  # a version note annotates the description: not cited from its term
                found[i] = (lead[1], lead[2])
        else:
            lead = None  # a heading, byline or credit ("AUTHOR") ends the description
    return found


CODE_CHARS = re.compile(r"[-_.()=/<>\[\]$%]")  # a term from code, not "Note:" or "Example:"


def opens_definition(text: str) -> bool:
    """Whether ``text`` (what follows a sentence) opens the next definition: a term from code
    before its description ("--index: Restore …"), or a man page's term over it."""
    term = DEFINED_TERM.match(text.lstrip())
    return bool(term and CODE_CHARS.search(term.group(1))) or starts_a_definition(text)


def document_name(source: str) -> str:
    """A document's file name as words ("docs/zstd-README.md" -> "zstd README md"): a question
    may name the document it asks about ("in the Zstandard README")."""
    return re.sub(r"[\W_]+", " ", source.rsplit("/", 1)[-1])


def coverage(question_terms: list[str], sentence_terms: set[str], idf: dict[str, float]) -> float:
    """Share of the question's IDF weight found in the sentence."""
    total = sum(idf.get(t, 0.0) for t in dict.fromkeys(question_terms))  # in the question's order
    if total <= 0:
        return 0.0
    return sum(idf.get(t, 0.0) for t in dict.fromkeys(question_terms) if t in sentence_terms) / total


def lexical_coverage(question_terms: list[str], sentence_terms: set[str],
                     idf: dict[str, float]) -> float:
    """``coverage``, damped when the question's terms are common in the corpus (then matching
    them says little)."""
    total = sum(idf.get(t, 0.0) for t in dict.fromkeys(question_terms))  # in the question's order
    return (coverage(question_terms, sentence_terms, idf)
            * (1.0 - math.exp(-total / INFORMATIVE_IDF)))


def term_positions(text: str, question_terms: set[str]) -> list[int]:
    """Character offsets in ``text`` of words whose stems the question uses."""
    stops = stopwords()
    return [m.start() for m in WORD.finditer(text)
            if (w := m.group().lower()) not in stops and stem(w) in question_terms]


def score_sentences(question: str, query_vector: np.ndarray, hits: list[Hit],
                    idf: dict[str, float], weights: Weights, kind: str | None = None,
                    focus: str | None = None, entities: list[str] | None = None,
                    outlines: dict[str, Outline] | None = None) -> list[Scored]:
    """Every sentence of the hits that may answer, scored, best first (a sentence in two chunks
    counts once); ``kind`` is the kind of answer wanted (see answer_kinds.answer_kind); answer
    phrases are sought near the words of ``focus`` (the user's own question when ``question``
    was expanded with the conversation's topic). A sentence that mentions none of the
    ``entities`` (question_entities of the question), nor does its passage, its document's
    title or its section heading (``outlines``: index.view.Outline by source), ranks lower.
    Headings are left out, and bylines, credits and reference entries unless the question is
    about them (sentence_forms.forms_asked)."""
    q_terms = terms(question)
    q_pairs = set(zip(q_terms, q_terms[1:]))
    focus_terms = set(terms(focus)) if focus else set(q_terms)
    top = max((h.score for h in hits), default=1.0) or 1.0
    best: dict[tuple[str, int, int], Scored] = {}
    outlines = outlines or {}
    allowed = forms_asked(focus or question, kind)
    versions = asks_about_versions(focus or question)
    unit = quantity_unit(focus or question) if kind == "quantity" else None
    heading_words: dict[tuple[str, str], set[str]] = {}

    def avoid(span_text: str) -> bool:  # an "answer" made of the question's own words
        return bool(set(terms(span_text)) & focus_terms) and not any(c.isdigit() for c in span_text)

    def grounding(words: set[str]) -> float:
        return mentioned(entities, words) if entities else 1.0

    for hit in hits:
        chunk = hit.chunk
        passage = hit.score / top
        dense = (chunk.vectors.astype(np.float32) @ query_vector
                 if chunk.vectors is not None else np.zeros(len(chunk.sentences)))
        outline = outlines.get(chunk.source)
        texts = [chunk.text[a - chunk.start:b - chunk.start] for a, b in chunk.sentences]
        sentence_terms = [terms(t) for t in texts]
        # the words entities are looked for in (none to look for: none to read)
        sentence_words = [words_of(t) for t in texts] if entities else [set()] * len(texts)
        chunk_words = (set().union(*sentence_words) | words_of(outline.title if outline else "")
                       | words_of(document_name(chunk.source)) if entities else set())
        defined = definitions(chunk.text, chunk.start, chunk.sentences)
        for i, ((a, b), d) in enumerate(zip(chunk.sentences, dense)):
            text, s_terms = texts[i], sentence_terms[i]
            heading = outline.heading_of(a) if outline else ""
            section = outline.section_of(a) if outline else ""
            form = sentence_form(text, heading, outline.title if outline else "")
            if form == ITEM and outline and outline.heads_a_table(a):
                form = HEADING  # a table's header row names its columns: read with each row
            under_title = (form == HEADING and chunk.ordinal == 0 and 0 < i <= TITLE_LINES
                           and names_authors(text)
                           and all(sentence_form(t) == HEADING for t in texts[:i]))
            if under_title:
                form = BYLINE  # "2004, Oliver Elphick, Martin Pitt" under the title
            if form not in allowed:
                continue
            if (heading, section) not in heading_words:  # a term's entry is in its section too
                heading_words[heading, section] = (words_of(f"{heading} {section}") if entities
                                                   else set())
            key = (chunk.source, a, b)
            near = slice(max(0, i - 1), i + 2)
            notice = form == CREDIT and bool(HOLDER.match(text))
            span = find_answer(kind_in_section(kind, heading, form in (BYLINE, CREDIT),
                                               under_title, notice), text,
                               term_positions(text, focus_terms), avoid, unit)
            # a list item or table row is read with its section's heading ("Opening hours"); a
            # short sentence holding the kind of answer asked, with its heading and the sentence
            # before ("stash.showStat: If this is set … ." / "Defaults to true.")
            read_terms = set(s_terms + terms(heading) if form == ITEM and heading else s_terms)
            if span and len(set(s_terms)) < SHORT_TERMS:
                read_terms |= set(terms(heading)) | set(sentence_terms[i - 1] if i else ())
                d = max(d, dense[i - 1]) if i else d  # and as close to the question as it
            if form == ITEM and outline and text.startswith("|"):  # a row, under its header
                read_terms |= set(terms(outline.table_header_of(a)))
            if i in defined:  # a description's later sentence, read and cited with its term
                read_terms |= set(terms(defined[i][1]))
            cov = coverage(q_terms, read_terms, idf)
            cov_near = coverage(q_terms, set().union(*map(set, sentence_terms[near])), idf)
            grounded = grounding(chunk_words | heading_words[heading, section])
            lex = lexical_coverage(q_terms, read_terms, idf)
            pairs = len(q_pairs & set(zip(s_terms, s_terms[1:]))) / len(q_pairs) if q_pairs else 0
            score = (weights.dense * float(d) + weights.lexical * lex + weights.phrase * pairs
                     + weights.passage * passage + (weights.kind if span else 0.0)
                     - weights.entity * (1.0 - grounded))
            if (form == BYLINE or notice) and span:  # as much as its document is what the
                score += weights.byline * passage  # question is about
            if form == SENTENCE and len(set(s_terms)) < 3:
                score -= weights.fragment  # "Yes, it is." rarely answers
            if form == NOTE and not versions:
                score -= weights.note  # "Changed in version 3.8: Now returns dst." annotates
            if key in best and best[key].score >= score:
                continue
            grounded_near = grounding(set().union(*sentence_words[near])
                                      | heading_words[heading, section])
            start, shown, at = a, text, span
            if i in defined:
                start = defined[i][0]
                shown = chunk.text[start - chunk.start:b - chunk.start]
                at = (span[0] + a - start, span[1] + a - start) if span else None
            best[key] = Scored(chunk.source, start, b, shown, score, float(d), lex, at, cov,
                               cov_near, grounded, grounded_near, pairs, form)
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


def widen(s: Scored, kind: str | None, weights: Weights, view: DocumentView,
          stop: int | None = None, unit: re.Pattern | None = None) -> Scored:
    """Cite the sentences after the best one too (up to ``widen_to`` characters, at least one
    when the sentence is short), unless the question names a kind of answer this sentence
    holds or it is a list item: answers often follow the sentence that restates the question.
    Widening ends at a heading, byline or credit, and before ``stop`` (another citation)."""
    if (kind and s.highlight) or s.form == ITEM:  # a list item or table row stands alone
        return s
    end = s.end
    for i, next_end in enumerate(view.sentence_ends_after(s.source, s.end)):
        if stop is not None and next_end > stop:
            break
        if not (next_end - s.start <= weights.widen_to
                or (i == 0 and end - s.start < weights.widen_below)):
            break
        following = view.span(s.source, end, next_end)
        if not answers_content(sentence_form(following)):
            break
        if opens_definition(following):
            break  # the next option or error code is not this one's answer
        end = next_end
    if end == s.end:
        return s
    text = view.span(s.source, s.start, end)
    highlight = s.highlight
    if kind and highlight is None:  # the answer may be in a sentence the citation took in
        found = find_answer(kind, text[len(s.text):], unit=unit)
        if found:
            highlight = (found[0] + len(s.text), found[1] + len(s.text))
    return replace(s, end=end, text=text, highlight=highlight)


ENTRY_CHARS = 800  # how far after a cited sentence its entry's answer is looked for
PHRASE_KINDS = ("quantity", "date", "person", "place", "author", "default")


def answer_after(s: Scored, kind: str, view: DocumentView,
                 unit: re.Pattern | None = None) -> Scored | None:
    """The first sentence after ``s``, within its entry (up to ENTRY_CHARS from its start, not
    past a heading, credit or the next term of a man page), holding an answer of ``kind``: the
    entry of an option states its default last ("TunnelDevice / Specifies the tun(4) devices …
    The default is any:any.")."""
    end = s.end
    for next_end in view.sentence_ends_after(s.source, s.end, limit=8):
        if next_end - s.start > ENTRY_CHARS:
            break
        following = view.span(s.source, end, next_end)
        if opens_definition(following) or not answers_content(sentence_form(following)):
            break
        text = following.lstrip()
        found = find_answer(kind, text, unit=unit)
        if found:
            return replace(s, start=next_end - len(text), end=next_end, text=text,
                           highlight=found, form=SENTENCE)
        end = next_end
    return None


def select(kind: str | None, scored: list[Scored], weights: Weights, view: DocumentView,
           answers: bool = True, question: str = "") -> list[Scored]:
    """The best sentence and those close enough to it, none repeating another; [] when the
    documents do not ``answers`` the question (assistant/models/abstention.py decides). An
    answer phrase found in what a citation takes in has the unit the ``question`` asks for."""
    if not scored or not answers:
        return []
    unit = quantity_unit(question) if kind == "quantity" else None
    best = scored[0].score
    chosen: list[Scored] = []
    for s in scored:
        if len(chosen) >= weights.max_sentences or s.score < best * weights.keep_ratio:
            break
        if any(s.source == c.source and s.start < c.end and c.start < s.end for c in chosen):
            continue  # already cited (a citation widened over it)
        if any(s.text == c.text for c in chosen):  # the same words twice in the documents
            continue
        later = [c.start for c in chosen if c.source == s.source and c.start >= s.end]
        chosen.append(widen(s, kind, weights, view, min(later) if later else None, unit))
    if kind in PHRASE_KINDS and chosen and chosen[0].highlight is None:
        found = answer_after(chosen[0], kind, view, unit)
        if found and not any(c.source == found.source and c.start < found.end
                             and found.start < c.end for c in chosen):
            chosen = [chosen[0], found, *chosen[1:]][:weights.max_sentences]
    return chosen
