"""Ingestion: find files, skip unchanged ones by content hash, load, split, chunk, embed, store."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.chunking import chunk_sentences
from index.errors import LoadError
from index.loaders import LOADERS, load
from index.sentences import cap_span, split_sentences

Progress = Callable[[int, int, str], None]  # (done, total, what)
GROUP_CHUNKS = 1024  # embed and write this many chunks at a time


@dataclass
class IngestReport:
    """What an ingest did, by source name; ``errors`` holds (source, reason)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the stores were written."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line for people."""
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{len(self.skipped)} unchanged, {len(self.errors)} failed")


@dataclass
class Prepared:
    """A changed file, split and chunked, waiting for its vectors."""

    source: str
    root: str
    origin: str
    sha256: str
    text: str
    pages: list[int]
    chunks: list  # index.chunking.Chunk
    is_new: bool


def find_files(path: Path) -> Iterator[tuple[Path, str]]:
    """Yield (file, source name relative to ``path``) for supported files under a folder."""
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(path, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:  # a symlink loop
            dirnames[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in LOADERS:
                continue
            full = Path(dirpath) / name
            yield full, full.relative_to(path).as_posix()


def chunk_id(source: str, sha256: str, ordinal: int) -> str:
    """A deterministic id: the same file content always gives the same chunk ids."""
    return hashlib.sha1(f"{source}\0{sha256}\0{ordinal}".encode()).hexdigest()[:24]


def prepare(path: Path, source: str, root: str, origin: str, sha256: str, is_new: bool,
            embedder, chunk_tokens: int, overlap_tokens: int) -> Prepared:
    """Load and chunk one file (raises LoadError)."""
    loaded = load(path)
    spans = split_sentences(loaded.text, max_chars=chunk_tokens * 4)
    tokens = embedder.count_tokens([loaded.text[a:b] for a, b in spans])
    # a sentence longer than the model's input is cut at spaces into pieces that fit
    fitted_spans, fitted_tokens = [], []
    for (a, b), n in zip(spans, tokens):
        if n <= chunk_tokens:
            fitted_spans.append((a, b))
            fitted_tokens.append(n)
            continue
        pieces = list(cap_span(loaded.text, a, b, max(20, int((b - a) * chunk_tokens / n * 0.8))))
        fitted_spans.extend(pieces)
        fitted_tokens.extend(embedder.count_tokens([loaded.text[x:y] for x, y in pieces]))
    chunks = chunk_sentences(fitted_spans, fitted_tokens, chunk_tokens, overlap_tokens)
    if not chunks:
        raise LoadError(f"{source}: no text could be extracted")
    return Prepared(source, root, origin, sha256, loaded.text, loaded.pages, chunks, is_new)
