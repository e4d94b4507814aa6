"""LLM replies as they stream: [n] markers that point at no passage dropped, the rest numbered
by first use (MarkerFilter), and the finished reply split into claims, each with its markers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from index.sentences import split_sentences

# [1], [1, 2], and the variants models write: [Passage 1], [source 2; 3]
_LABEL = r"(?:(?:passage|source|doc(?:ument)?)\s*)?"
MARKER = re.compile(rf"\[{_LABEL}(\d+(?:\s*[,;]\s*{_LABEL}\d+)*)\]", re.IGNORECASE)
_OPEN_MARKER = re.compile(r"\[[a-z]{0,8}\s*[\d,;\sa-z]*", re.IGNORECASE)
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+\s*")
UNSUPPORTED = "[?]"


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



@dataclass
class Claim:
    """A sentence of the generated answer and the shown numbers of the passages it cites."""

    text: str
    cites: list[int] = field(default_factory=list)



def attach(sentence: str, marks: str) -> str:
    """Put the markers before the sentence's closing punctuation."""
    m = re.search(r"[.!?]+[\"”’)]*$", sentence)
    if m:
        return f"{sentence[:m.start()]} {marks}{sentence[m.start():]}"
    return f"{sentence} {marks}"


def split_claims(text: str) -> list[Claim]:
    """The reply's sentences with their markers, each once; a marker opening a sentence belongs
    to the one before it ("... troops. [1] The plan ...")."""
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
    unique: dict[str, Claim] = {}  # a sentence a small model repeats is kept once, and so is
    for c in claims:               # the start of one that the reply's end cut off
        words = " ".join(re.findall(r"\w+", MARKER.sub("", c.text).lower()))
        kept = next((k for w, k in unique.items() if f"{w} ".startswith(f"{words} ")), None)
        if kept is None:
            unique[words] = c
        else:
            kept.cites += c.cites
    for c in unique.values():
        c.cites = list(dict.fromkeys(c.cites))
    return list(unique.values())




def _sentences_begun(text: str) -> int:
    """Sentences of ``text`` that hold a word (a marker alone begins none)."""
    return sum(1 for a, b in split_sentences(text) if re.search(r"\w", MARKER.sub("", text[a:b])))


def stream_reply(client, system: str, user: str, count: int, stop: tuple[str, ...] = (),
                 max_sentences: int | None = None) -> Iterator[str]:
    """Yields the reply's shown text as it streams (generation ends at any of ``stop``, or
    once ``max_sentences`` sentences are written and another begins: a small model loops);
    returns (the whole shown text, the filter's numbering: passage number -> shown number)."""
    markers = MarkerFilter(count)
    parts: list[str] = []
    deltas = client.stream(system, user, stop=stop)
    for delta in deltas:
        shown = markers.feed(delta)
        if shown:
            parts.append(shown)
            yield shown
            if (max_sentences and re.search(r"\w", shown)  # a new sentence may have begun
                    and _sentences_begun("".join(parts)) > max_sentences):
                deltas.close()  # stops reading the reply; the server stops writing it
                break
    rest = markers.flush()
    if rest:
        parts.append(rest)
        yield rest
    return "".join(parts), markers.shown
