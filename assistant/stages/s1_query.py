"""The first stage: a question becomes a Query, built once (cleaned text, the conversation's
context, the kind of answer asked, vectors and term weights)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.errors import EmptyQuestionError, LLMError
from assistant.history import parse_history
from assistant.llm.prompts import condense_prompt
from assistant.stages.followups import Resolved, is_follow_up, resolve, usable_rewrite
from assistant.text.answer_kinds import answer_kind
from assistant.text.entities import question_entities
from index.textproc import terms

# terminal escape sequences (colours, cursor moves) pasted with a question: CSI and OSC forms
ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def clean_question(question: str, limit: int) -> str:
    """Strip terminal escape sequences, control characters and spaces; refuse an over-long
    question, or one without a letter or digit in any script."""
    text = ESCAPES.sub(" ", question or "")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    if len(text) > limit:
        raise EmptyQuestionError(
            f"the question is {len(text):,} characters long; the limit is {limit:,}"
        )
    if not text:
        raise EmptyQuestionError("the question is empty; ask something about your documents")
    if not any(ch.isalnum() for ch in text):
        raise EmptyQuestionError(f"the question {text[:40]!r} has no letter or digit; ask "
                                 f"something about your documents")
    return text


@dataclass
class Query:
    """A question ready for retrieval and scoring."""

    question: str  # the user's own words, cleaned
    resolved: Resolved  # the question in the conversation's context
    kind: str | None  # the kind of answer asked (cues.answer_kind), perhaps inherited
    vector: np.ndarray  # of ``text``
    idf: dict[str, float]  # BM25 IDF of ``text``'s terms
    prefer: list[str] | None = None  # sources a follow-up stays with
    own_vector: np.ndarray | None = None  # of ``question``, when ``text`` differs from it
    own_idf: dict[str, float] | None = None
    entities: list[str] = field(default_factory=list)  # names and numbers the question uses
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """What retrieval and sentence scoring read (see Resolved.search_text)."""
        return self.resolved.search_text

    @property
    def expanded(self) -> bool:
        """Whether the conversation added to the user's words."""
        return self.text != self.question


class QueryBuilder:
    """Builds Queries: the embedder and keyword index load on first use; ``llm`` (optional)
    rewrites follow-ups as standalone questions, the rules of conversation.resolve otherwise."""

    def __init__(self, embedder, keyword, max_chars: int, llm=None):
        self.embedder, self.keyword, self.max_chars, self.llm = embedder, keyword, max_chars, llm

    def run(self, question: str, history: list | None = None) -> Query:
        """The Query for ``question`` after ``history`` (earlier turns; see assistant.history)."""
        return self.build(clean_question(question, self.max_chars), history)

    def build(self, question: str, history: list | None = None) -> Query:
        """Like ``run``, for a question clean_question already passed."""
        turns = parse_history(history or [])
        questions = [t.question for t in turns]
        warnings: list[str] = []
        resolved = self._resolve(question, questions, warnings)
        text = resolved.search_text
        # a follow-up stays with the documents the last answer cited
        prefer = turns[-1].sources if turns and is_follow_up(question) else None
        query = Query(question, resolved, resolved.kind or answer_kind(question),
                      self.embedder.embed_query(text), self.keyword.idf(terms(text)),
                      prefer or None, entities=question_entities(text), warnings=warnings)
        if query.expanded:  # a follow-up: the user's own words weigh most in picking sentences
            query.own_vector = self.embedder.embed_query(question)
            query.own_idf = self.keyword.idf(terms(question))
        return query

    def _resolve(self, question: str, history: list[str], warnings: list[str]) -> Resolved:
        rules = resolve(question, history)
        if self.llm is None or not history or not is_follow_up(question):
            return rules
        try:
            rewritten = self.llm.complete("", condense_prompt(
                question, history, getattr(self.llm, "specials", ()))).strip()
        except LLMError as exc:
            warnings.append(f"{exc}; the follow-up was resolved without it")
            return rules
        if not usable_rewrite(rewritten, question, history):
            return rules
        return Resolved(question, rules.topic, rules.kind,
                        standalone=" ".join(rewritten.split())[:self.max_chars])

