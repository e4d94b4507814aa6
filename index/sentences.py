"""Split text into sentences with character offsets (Punkt, plus line and paragraph breaks)."""

from __future__ import annotations

import os
import re
from functools import lru_cache

_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")
SENTENCE_END = tuple(".!?:;\"”’)]")
# a line that starts a unit of its own: a list item, a markdown heading or a table row (a
# numbered item has at most two digits: "873.  The administrator …" after a hard wrap goes on
# its sentence)
_UNIT_START = re.compile(r"[ \t]*(?:[-*+•▪]\s|\d{1,2}[.)]\s|#{1,6}\s|\||(?:By|Photo|Photograph|Image|"
                         r"Credit|Source|Caption)\b)")

_BLANK_LINES = re.compile(r"\A(?:[ \t\r]*\n)+")
_LIST_NUMBER = re.compile(r"(?:\d{1,3}|[ivxIVX]{1,5}|[a-zA-Z])[.)]")  # a list item's number alone

# a setext heading's underline ("=====" or "-----" under its title) or a horizontal rule
SETEXT_RULE = re.compile(r"(?:={3,}|-{3,})")


def _next_is_rule(text: str, start: int, end: int) -> bool:
    nl = text.find("\n", start, end)
    return bool(SETEXT_RULE.fullmatch(text[start:nl if nl >= 0 else end].strip()))


NLTK_DATA = os.path.join(os.path.dirname(__file__), "nltk_data")  # punkt_tab/english, shipped


@lru_cache(maxsize=1)
def _punkt():
    """The English Punkt model shipped in index/nltk_data (Apache-2.0), found through nltk's
    own data path: nothing is downloaded."""
    import nltk

    if NLTK_DATA not in nltk.data.path:
        nltk.data.path.append(NLTK_DATA)
    from nltk.tokenize import PunktTokenizer

    return PunktTokenizer("english")


def _lines(text: str, start: int, end: int):
    """Yield (start, end) of the segments of a paragraph, joining hard-wrapped lines."""
    seg_start = start
    pos = start
    while True:
        nl = text.find("\n", pos, end)
        if nl < 0:
            break
        raw = text[pos:nl]
        line = raw.strip()
        if _is_term(raw, line, text, nl + 1, end):
            pos = nl + 1  # a man page's term ("-k, --keep") goes on with its description
            continue
        # A short line (a title, a byline; not one that ends on a comma), one that ends a
        # sentence or one before a list item, heading or table row closes the segment; any
        # other line is a hard wrap.
        if ((len(line) < 40 and not line.endswith(",")) or _ends_sentence(line)
                or line.startswith("|") or SETEXT_RULE.fullmatch(line)
                or _UNIT_START.match(text, nl + 1, end) or _next_is_rule(text, nl + 1, end)):
            yield seg_start, nl
            seg_start = nl + 1
        pos = nl + 1
    yield seg_start, end


def _ends_sentence(line: str) -> bool:
    """Whether a line ends a sentence: a closing bracket or quote only after a sentence's own
    ending ("(see below.)"); "… prior to 3.32.0 (2020-05-22)" wraps on to "or 32766 …"."""
    return line.rstrip(")]\"”’").endswith(tuple(".!?:;")) if line else False


def _indent(line: str) -> int:
    """The columns a line is indented by, a tab reaching the next multiple of 8 (``man | col
    -b`` writes an indent of 14 as a tab and 6 spaces)."""
    return len(line[:len(line) - len(line.lstrip(" \t"))].expandtabs(8))


def _is_term(raw: str, line: str, text: str, next_start: int, end: int) -> bool:
    """Whether a line is a definition's term as a rendered man page writes it: short, indented,
    without a sentence's ending, the next line (its description) indented deeper ("       -k,
    --keep" over "              Keep (don't delete) input files"). A section heading at the
    margin ("DESCRIPTION") stays a line of its own."""
    if not line or len(line) >= 40 or line.endswith(tuple(".!?:;")) or _indent(raw) == 0:
        return False
    nl = text.find("\n", next_start, end)
    following = text[next_start:nl if nl >= 0 else end]
    return bool(following.strip()) and _indent(following) >= _indent(raw) + 4


def starts_a_definition(text: str) -> bool:
    """Whether ``text``, starting on a line of its own (after a line break), opens with a man
    page's term over its description (``_is_term``)."""
    rest = _BLANK_LINES.sub("", text, count=1)
    if rest == text:
        return False  # it goes on the line where the text before it ended
    lines = rest.split("\n", 2)
    if len(lines) < 2:
        return False
    return _is_term(lines[0], lines[0].strip(), "\n".join(lines[1:]), 0, len(text))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str, max_chars: int = 1000) -> list[tuple[int, int]]:
    """Return [start, end) offsets of the sentences of ``text``, none longer than ``max_chars``."""
    punkt = _punkt()
    spans: list[tuple[int, int]] = []
    pos = 0
    bounds = [m.span() for m in _PARAGRAPH.finditer(text)] + [(len(text), len(text))]
    for par_end, next_start in bounds:
        for seg_start, seg_end in _lines(text, pos, par_end):
            seg_start, seg_end = _trim(text, seg_start, seg_end)
            if seg_start >= seg_end:
                continue
            pieces = list(punkt.span_tokenize(text[seg_start:seg_end]))
            for n, (a, b) in enumerate(pieces):
                if n and _LIST_NUMBER.fullmatch(text, seg_start + pieces[n - 1][0],
                                                 seg_start + pieces[n - 1][1]):
                    a = pieces[n - 1][0]  # "2." and "Chief executive's review": one item
                elif n + 1 < len(pieces) and _LIST_NUMBER.fullmatch(text, seg_start + a,
                                                                    seg_start + b):
                    continue
                spans.extend(cap_span(text, seg_start + a, seg_start + b, max_chars))
        pos = next_start
    return spans


def cap_span(text: str, start: int, end: int, max_chars: int):
    """Cut an over-long sentence at whitespace into pieces of at most ``max_chars``."""
    while end - start > max_chars:
        cut = text.rfind(" ", start + max_chars // 2, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        a, b = _trim(text, start, cut)
        if a < b:
            yield a, b
        start, _ = _trim(text, cut, end)
    if start < end:
        yield start, end
