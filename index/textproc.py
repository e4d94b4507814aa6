"""Word tokens shared by the keyword index and answer scoring: lower-case, stop words out, stemmed."""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"(?u)\b\w\w+\b|\b\d\b")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """English stop words (bm25s's list) and question words."""
    from bm25s.stopwords import STOPWORDS_EN

    question_words = {"how", "what", "which", "who", "whom", "whose", "when", "where", "why",
                      "did", "does", "do", "many", "much"}
    return frozenset(STOPWORDS_EN) | question_words


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of a lower-case word."""
    return _stemmer().stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text``, in order."""
    stops = stopwords()
    return [stem(w) for w in WORD.findall(text.lower()) if w not in stops]
