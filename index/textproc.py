"""Word tokens shared by the keyword index and answer scoring: lower-case, stop words out, stemmed."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

WORD = re.compile(r"(?u)\b\w\w+\b|\b\d\b")
# a word hyphenated across a line break by a typesetter (groff's U+2010, a soft hyphen):
# "prob‐\n       lem" is one word
HYPHENATED = re.compile(r"(?<=\w)[\u2010\u00ad][ \t]*\n[ \t]*(?=\w)")


def words(text: str) -> list[str]:
    """The lower-case words of ``text``, hyphenated words joined ("©" is the word copyright)."""
    return WORD.findall(HYPHENATED.sub("", text).replace("©", " copyright ").lower())


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
    return [stem(w) for w in words(text) if w not in stops]


def term_counts(text: str) -> Counter:
    """How often each of ``terms(text)`` occurs: the same counts as Counter(terms(text)), with
    each distinct word stemmed once (a whole document costs a third of the time)."""
    stops, counts = stopwords(), Counter()
    for word, n in Counter(words(text)).items():
        if word not in stops:
            counts[stem(word)] += n
    return counts
