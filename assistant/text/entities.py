"""What a question is about: the names, numbers and dates it mentions, and whether a passage
mentions them too ("Canadian" matches "Canada"; curly and straight apostrophes are one)."""

from __future__ import annotations

import re

from index.textproc import stem, stopwords

TOKEN = re.compile(r"[^\W\d_][\w'’-]*|\d[\d,.]*\d|\d")
DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")  # initials: "U.S.", "U.K."
NUMBERED = re.compile(r"([a-z]{2,})\d+$")  # "rfc8878": the name "rfc" with its number
CONTRACTION = re.compile(r"'(?:s|d|ll|re|ve|m|t)$")  # "Canada's", "I'd"
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
# capitalised words that start questions or name nothing
_NOT_NAMES = frozenset(("i", "dr", "mr", "mrs", "ms", "prof", "list", "name", "tell", "give",
                        "describe", "explain", "define", "compare", "summarize", "summarise",
                        "according", "please", "show"))


def fold(word: str) -> str:
    """A word as compared: lower case, one apostrophe, no possessive or contraction, digits
    without commas."""
    word = word.translate(APOSTROPHES).lower()
    word = CONTRACTION.sub("", word)
    word = word.strip("'.-")
    if word[:1].isdigit():
        word = word.replace(",", "")
        if word.endswith(".0"):
            word = word[:-2]
    return word


def question_entities(question: str) -> list[str]:
    """The folded words of ``question`` that name something: numbers, words written with a
    capital (not the first word, unless it is an acronym or the like), in order, once each. A
    run of two or more names also answers to its initials: "united|us", "states|us"."""
    found: list[str] = []
    runs: list[list[int]] = []  # positions in ``found`` of consecutive capitalised names
    stops = stopwords()
    previous = -2
    for i, match in enumerate(TOKEN.finditer(question)):
        word = match.group()
        folded = fold(word)
        if not folded or folded in stops or folded in _NOT_NAMES:
            continue
        if word[0].isdigit():
            named = True
        elif i == 0:  # "Velsmouth's port …" is rare; "Describe …" is not: only odd casing counts
            named = any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word)
        else:
            named = word[0].isupper()
        if not named or folded in found:
            continue
        found.append(folded)
        if word[0].isupper() and not word.isupper():
            if previous == i - 1 and runs:
                runs[-1].append(len(found) - 1)
            else:
                runs.append([len(found) - 1])
            previous = i
    for run in runs:
        if len(run) >= 2:
            initials = "".join(found[k][0] for k in run)
            for k in run:
                found[k] = f"{found[k]}|{initials}"
    return found


def _related(a: str, b: str) -> bool:
    """Whether two folded words are forms of one name: equal, one stem, one letter apart, or
    a shared beginning as long as the shorter word less two letters ("canada"/"canadian",
    "german"/"germany")."""
    if a == b:
        return True
    if a[:1].isdigit() or b[:1].isdigit():
        return False
    if "_" in a or "_" in b:  # a name from code: "CURLE_OK" is not "CURLE_COULDNT_RESOLVE_HOST"
        return False
    if stem(a) == stem(b):
        return True
    shorter = min(len(a), len(b))
    if shorter >= 5 and one_edit(a, b):  # a typing slip: "CEAMCAM1" for "CEACAM1"
        return True
    common = 0
    for x, y in zip(a, b):
        if x != y:
            break
        common += 1
    return shorter >= 5 and common >= max(4, shorter - 2)


def one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter changed, added or dropped."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]


def words_of(text: str) -> set[str]:
    """The folded words of a passage, the parts of its hyphenated ones ("MERS-CoV" is also
    "mers"), the letters before a number written on to them ("RFC8878" is also "rfc") and its
    dotted initials without dots."""
    words = {fold(m.group()) for m in TOKEN.finditer(text)}
    dotted = {m.group().replace(".", "").lower() for m in DOTTED.finditer(text)}  # "U.S." = "us"
    numbered = {m.group(1) for w in words if (m := NUMBERED.match(w))}
    return (words | {part for w in words if "-" in w for part in w.split("-") if part} | dotted
            | numbered)


def mentioned(entities: list[str], words: set[str]) -> float:
    """Share of ``entities`` (question_entities) the passage (its ``words_of``) mentions; 1.0
    when there are none."""
    if not entities:
        return 1.0
    hits = 0
    for entity in entities:
        if any(_mentions(form, words) for form in entity.split("|")):
            hits += 1
    return hits / len(entities)


def _mentions(entity: str, words: set[str]) -> bool:
    return entity in words or (not entity[:1].isdigit()
                               and any(_related(entity, w) for w in words if w[:2] == entity[:2]))
