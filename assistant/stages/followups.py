"""Follow-ups without an LLM (stage 1 reads them): a follow-up question borrows what the conversation is
about; an LLM's standalone rewrite is used only when it keeps to the conversation's words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text.answer_kinds import answer_kind
from index.textproc import WORD, stopwords, terms

# Words that point back at something said before, and openings of elliptical questions.
_POINTERS = re.compile(
    r"\b(?:it|its|they|them|their|theirs|this|that|these|those|he|him|his|she|her|hers|"
    r"there|such|same|other|former|latter|so)\b", re.IGNORECASE)
_ELLIPSIS = re.compile(r"^\s*(?:and|but|also|so|or|what about|how about|and what about|what of)\b",
                       re.IGNORECASE)
# "What is the size of X?": the attribute asked about ("size") is not what the talk is about (X).
# ("How many rail workers went on strike?" asks about the workers: no attribute there.)
_ATTRIBUTE = re.compile(
    r"^\s*(?:what|which|how)\s+(?:is|are|was|were)\s+(?:the\s+|a\s+|an\s+)?"
    r"((?:[\w-]+\s+){0,2}?[\w-]+)\s+(?:of|for|in|among|on|at)\s+", re.IGNORECASE)
MAX_OWN_WORDS = 1   # a question with this few content words of its own leans on the context
# Prepositions carry no topic: "Over how many years?", "Under what condition?" are fragments.
_PREPOSITIONS = frozenset(
    "about above across after against along among around at before behind below beneath beside "
    "besides between beyond by despite during except for from in inside into near of off on onto "
    "out outside over per since through throughout till to toward towards under until up upon "
    "via with within without".split())
MAX_TOPIC_WORDS = 12
MAX_NEW_TERMS = 1  # words a standalone rewrite may add that no question of the conversation has


@dataclass(frozen=True)
class Resolved:
    """A question as asked, the topic it borrows (or ""), the answer kind it inherits, and (in
    LLM mode) the LLM's standalone rewrite of it."""

    question: str
    topic: str = ""
    kind: str | None = None
    standalone: str = ""

    @property
    def search_text(self) -> str:
        """What retrieval and sentence scoring read: the standalone rewrite when there is one,
        else the question, then the borrowed topic."""
        return self.standalone or f"{self.question} {self.topic}".strip()


def content_words(text: str) -> list[str]:
    """The words of ``text`` that are not stop or question words, in order, without repeats."""
    stops = stopwords()
    seen: dict[str, None] = {}
    for word in WORD.findall(text):
        if word.lower() not in stops:
            seen.setdefault(word, None)
    return list(seen)


def is_follow_up(question: str) -> bool:
    """Whether a question leans on what came before (pronouns, "and …?", or almost no words)."""
    own = [w for w in content_words(question) if w.lower() not in _PREPOSITIONS]
    return bool(_POINTERS.search(question) or _ELLIPSIS.match(question)
                or len(own) <= MAX_OWN_WORDS)


def resolve(question: str, history: list[str]) -> Resolved:
    """Resolve ``question`` against the previous questions of the conversation (oldest first)."""
    previous: Resolved | None = None
    for earlier in history:
        previous = _resolve_one(earlier, previous)
    return _resolve_one(question, previous)


def _resolve_one(question: str, previous: Resolved | None) -> Resolved:
    if previous is None or not is_follow_up(question):
        return Resolved(question)
    own = {w.lower() for w in content_words(question)}
    attribute = _ATTRIBUTE.match(previous.question)
    if attribute:
        own |= {w.lower() for w in attribute.group(1).split()}
    topic = [w for w in content_words(previous.search_text) if w.lower() not in own]
    if _names(question):  # "And Canada?": a name of its own replaces the topic's names
        topic = [w for w in topic if not w[:1].isupper()]
    kind = answer_kind(question) or (answer_kind(previous.question) if _ELLIPSIS.match(question)
                                     else None)
    return Resolved(question, " ".join(topic[:MAX_TOPIC_WORDS]), kind)


def _names(question: str) -> list[str]:
    """Capitalized content words after the first word (which is capitalized anyway)."""
    stops = stopwords()
    return [w for w in WORD.findall(question)[1:] if w[:1].isupper() and w.lower() not in stops]


def usable_rewrite(rewrite: str, question: str, history: list[str]) -> bool:
    """Whether an LLM's standalone rewrite of a follow-up can stand in for it: one question,
    with all of the follow-up's words, adding what the earlier questions say (and at most
    MAX_NEW_TERMS words of its own) and adding something. A small model answers instead,
    repeats an earlier question or invents a topic; the rules' resolution is used then."""
    rewrite = rewrite.strip()
    if "\n" in rewrite or not rewrite.endswith("?") or rewrite.count("?") > 1:
        return False
    own, said, written = set(terms(question)), set(terms(" ".join(history))), set(terms(rewrite))
    return own <= written and written != own and len(written - own - said) <= MAX_NEW_TERMS
