"""Group sentences into chunks of whole sentences that fit the embedding model's input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chunk:
    """A run of sentences of one document: offsets into the document's text."""

    ordinal: int
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]


def chunk_sentences(
    sentences: list[tuple[int, int]],
    tokens: list[int],
    max_tokens: int,
    overlap_tokens: int,
) -> list[Chunk]:
    """Pack sentences greedily up to ``max_tokens``; each chunk repeats the previous one's
    last sentences up to ``overlap_tokens`` so that no answer is cut at a chunk boundary."""
    chunks: list[Chunk] = []
    i = 0
    n = len(sentences)
    while i < n:
        j, used = i, 0
        while j < n and (j == i or used + tokens[j] <= max_tokens):
            used += tokens[j]
            j += 1
        run = tuple(sentences[i:j])
        chunks.append(Chunk(len(chunks), run[0][0], run[-1][1], run))
        if j >= n:
            break
        # step back over trailing sentences that fit in the overlap budget
        back, k = 0, j
        while k - 1 > i and back + tokens[k - 1] <= overlap_tokens:
            back += tokens[k - 1]
            k -= 1
        i = k
    return chunks
