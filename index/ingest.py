"""Ingestion: find files, skip unchanged ones by content hash, load, split, chunk, embed, store."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.chunking import chunk_sentences
from index.docstore import DocumentRecord
from index.errors import LoadError
from index.hashing import sha256_file
from index.loaders import LOADERS, file_type, load, unsupported
from index.lock import crash_point
from index.naming import Found, assign, clean_name, is_under, upload_names
from index.sentences import cap_span, split_sentences

# (done, total, what): files while reading ("reading NAME"), then sentences ("embedding …")
Progress = Callable[[int, int, str], None]
GROUP_CHUNKS = 1024  # embed and write this many chunks at a time


@dataclass
class IngestReport:
    """What an ingest did, by source name; ``errors`` holds (source, reason)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (name as written, name given)
    repetitive: list[tuple[str, float]] = field(default_factory=list)  # (source, share repeated)
    embedded: int = 0  # sentences run through the model
    reused: int = 0  # sentences whose vector was known (repeated text, unchanged sentences)
    bytes_read: int = 0  # of the files that were (re)indexed
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether the stores were written."""
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line for people (with throughput when anything was embedded)."""
        line = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} "
                f"removed, {len(self.skipped)} unchanged, {len(self.errors)} failed")
        if self.embedded or self.reused:
            took = max(self.seconds, 1e-6)
            size = (f"{self.bytes_read / 2**20:,.1f} MB" if self.bytes_read >= 2**20 / 10
                    else f"{self.bytes_read / 1024:,.1f} KB")
            rate = (f" ({self.bytes_read / 2**20 / took:,.2f} MB/s)"
                    if self.bytes_read >= 2**20 else "")
            speed = f" ({self.embedded / took:,.0f}/s)" if self.embedded >= 100 else ""
            line += (f"; {self.embedded:,} sentence{'' if self.embedded == 1 else 's'} embedded"
                     f"{speed}, {self.reused:,} reused (text already embedded); {size} in "
                     f"{self.seconds:,.1f} s{rate}")
        return line


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
    """Yield (file, source name relative to ``path``) for every file under a folder but hidden
    ones (the caller names those it cannot read)."""
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
            if name.startswith("."):
                continue
            full = Path(dirpath) / name
            yield full, full.relative_to(path).as_posix()


REPETITIVE = 0.5  # a document whose chunks repeat each other this much is named in the report
REPETITIVE_MIN_CHUNKS = 20


def repeated_share(doc: Prepared) -> float:
    """The share of a document's chunks whose text an earlier chunk of it already has (0 for
    a document under REPETITIVE_MIN_CHUNKS chunks)."""
    if len(doc.chunks) < REPETITIVE_MIN_CHUNKS:
        return 0.0
    texts = [" ".join(doc.text[c.start:c.end].split()) for c in doc.chunks]
    return 1 - len(set(texts)) / len(texts)


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


def gather(index, paths: list[str | Path], uploaded: bool, report: IngestReport,
           sha_of=sha256_file) -> list[tuple[Found, str]]:
    """The files to index with their source names (index/naming.py); drops the documents
    of an ingested folder whose files have vanished."""
    found: list[Found] = []
    if uploaded:
        files = [Path(p) for p in paths]
        names = upload_names([clean_name(f.name) for f in files])
        found = [Found.upload(f, n, f.name if clean_name(f.name) != f.name else "")
                 for f, n in zip(files, names)]
    else:
        for raw in paths:
            path = Path(raw).expanduser()
            if path.is_dir():
                found += _folder(index, path, report)
            else:
                found.append(Found.alone(path))
    supported = []
    for item in found:
        if file_type(item.path) in LOADERS:
            supported.append(item)
        else:
            report.errors.append((item.name, unsupported(item.path).split(": ", 1)[1]))

    def same_content(item: Found, source: str) -> bool:
        record = index.docstore.document(source)
        return record is not None and item.path.is_file() and record.sha256 == sha_of(item.path)

    known = {d.origin: d.source for d in index.documents()}
    supported.sort(key=lambda item: bool(item.written))  # a name written clean keeps it first
    named = assign(supported, known, same_content)
    report.renamed += [(item.written, source) for item, source in named
                       if item.written and item.origin not in known]  # said once, when first named
    return named


def _folder(index, path: Path, report: IngestReport) -> list[Found]:
    """The supported files under a folder; its documents whose files vanished are dropped."""
    here = [Found.in_folder(f, name, path) for f, name in find_files(path)]
    origins, root = {f.origin for f in here}, str(path.resolve())
    for doc in index.documents():
        if is_under(doc.origin, root) and doc.origin not in origins:
            index.drop(doc.source)
            report.removed.append(doc.source)
    return here

def run(index, paths: list[str | Path], progress: Progress | None,
        uploaded: bool = False) -> IngestReport:
    """The ingest itself (index.Index.ingest holds the lock and repairs first)."""
    started = time.perf_counter()
    report = IngestReport()
    sha_of = lru_cache(maxsize=None)(sha256_file)  # a name taken over reads it first
    todo = gather(index, paths, uploaded, report, sha_of)
    if todo and not index.exists:  # the tables exist (set_writer made them) before the manifest
        index.wanted_manifest(index.embedder.dimension).write(index.folder)
        crash_point("after-manifest")
    pending: list[Prepared] = []
    for i, (item, source) in enumerate(todo):
        path = item.path
        if progress:
            progress(i, len(todo), f"reading {source}")
        try:
            if not path.is_file():  # a FIFO or device would block or never end
                report.errors.append((source, "cannot read (a link to a missing file)"
                                      if path.is_symlink() and not path.exists()
                                      else "not a regular file"))
                continue
            sha = sha_of(path)
            existing = index.docstore.document(source)
            if existing and existing.sha256 == sha:
                if existing.origin != item.origin:  # the same document, found elsewhere
                    index.docstore.set_origin(source, item.origin, item.root)
                report.skipped.append(source)
                continue
            pending.append(prepare(path, source, item.root, item.origin, sha,
                                   existing is None, index.embedder, index.chunk_tokens,
                                   index.overlap_tokens))
            share = repeated_share(pending[-1])
            if share >= REPETITIVE:
                report.repetitive.append((source, share))
            report.bytes_read += path.stat().st_size
        except LoadError as exc:
            report.errors.append((source, str(exc).split(": ", 1)[-1]))
        except OSError as exc:
            report.errors.append((source, f"cannot read ({exc.strerror or exc})"))
        except Exception as exc:  # a loader's library failing on a damaged file: skip it
            report.errors.append((source, f"could not be read ({type(exc).__name__}: "
                                  f"{' '.join(str(exc).split())[:200]})"))
        if sum(len(p.chunks) for p in pending) >= GROUP_CHUNKS:
            write_group(index, pending, report, progress, i, len(todo))
            pending = []
    write_group(index, pending, report, progress, len(todo), len(todo))
    report.seconds = time.perf_counter() - started
    return report

def known_vectors(index, docs: list[Prepared]) -> dict[str, np.ndarray]:
    """The sentence vectors the index already holds for these documents' old versions, by
    sentence text (stored as float16, so renormalized)."""
    known: dict[str, np.ndarray] = {}
    for doc in docs:
        for chunk in index.docstore.chunks(index.docstore.chunk_ids(doc.source)):
            if chunk.vectors is None:
                continue
            for (a, b), vector in zip(chunk.sentences, chunk.vectors.astype(np.float32)):
                text = chunk.text[a - chunk.start:b - chunk.start]
                known.setdefault(text, vector / max(float(np.linalg.norm(vector)), 1e-12))
    return known


def write_group(index, pending: list[Prepared], report: IngestReport,
                progress: Progress | None, done_files: int, total_files: int) -> None:
    """Embed a group of prepared files and store them; each file's record is written last."""
    if not pending:
        return
    # Each distinct sentence is embedded once, on its own, and stored per chunk: dense
    # search ranks a chunk by its best sentence (measured on COVID-QA: sentence vectors
    # beat whole-chunk vectors both for finding the chunk and for picking the sentence).
    # A text met twice (headers, boilerplate, a paragraph in several files) is embedded once,
    # and a changed file's unchanged sentences keep the vectors its old version stored.
    rows_of: dict[tuple[int, int, int], int] = {}
    unique: dict[str, int] = {}
    for n, doc in enumerate(pending):
        for chunk in doc.chunks:
            for a, b in chunk.sentences:
                rows_of[(n, a, b)] = unique.setdefault(doc.text[a:b], len(unique))
    texts = list(unique)
    known = known_vectors(index, [doc for doc in pending if not doc.is_new])
    missing = [i for i, text in enumerate(texts) if text not in known]
    report.embedded += len(missing)
    report.reused += len(rows_of) - len(missing)
    state = {"done": 0}

    def step(count: int) -> None:  # in sentences, their number known before the first batch
        state["done"] += count
        if progress:
            progress(state["done"], len(missing), f"embedding the sentences of {len(pending)} "
                     f"file{'' if len(pending) == 1 else 's'} ({done_files}/{total_files} read)")

    if progress:
        step(0)

    sentence_vecs = np.zeros((len(texts), index.embedder.dimension), dtype=np.float32)
    if missing:
        sentence_vecs[missing] = index.embedder.embed([texts[i] for i in missing], progress=step)
    for i, text in enumerate(texts):
        if text in known:
            sentence_vecs[i] = known[text]
    for n, doc in enumerate(pending):
        rows, ids, vectors = [], [], []
        for chunk in doc.chunks:
            cid = chunk_id(doc.source, doc.sha256, chunk.ordinal)
            own = sentence_vecs[[rows_of[(n, a, b)] for a, b in chunk.sentences]]
            rows.append({"id": cid, "ordinal": chunk.ordinal, "start": chunk.start,
                         "end": chunk.end, "sentences": [list(x) for x in chunk.sentences],
                         "vectors": own.astype(np.float16).tobytes()})
            ids += [f"{cid}:{i}" for i in range(len(own))]
            vectors.append(own)
        # a changed file's old version stays until the new one is stored: new vectors,
        # then the record (one transaction), then the old vectors go (repair() deletes
        # whichever vectors a crash leaves without a record)
        old = [] if doc.is_new else sorted(set(index.docstore.vector_ids(doc.source)) - set(ids))
        index.vectors.upsert(ids, np.vstack(vectors), [doc.source] * len(ids))
        crash_point("after-vectors")
        index.docstore.put(DocumentRecord(doc.source, doc.root, doc.sha256, len(rows),
                                         doc.origin), doc.text, doc.pages, rows)
        crash_point("after-document")
        if old:
            index.vectors.delete(old)
            crash_point("after-delete")
        (report.added if doc.is_new else report.updated).append(doc.source)
