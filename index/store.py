"""The index: a folder holding the manifest, the document tables, Chroma and the BM25 index."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np

from index.docstore import DocStore, DocumentRecord, StoredChunk
from index.embedding import Embedder
from index.errors import CiteqaError, IndexCorruptError, LoadError
from index.hashing import sha256_file
from index.ingest import (
    GROUP_CHUNKS,
    IngestReport,
    Prepared,
    Progress,
    chunk_id,
    find_files,
    prepare,
)
from index.keyword import KeywordIndex
from index.loaders import LOADERS
from index.lock import IndexBusyError, IndexLock, crash_point
from index.manifest import SCHEMA_VERSION, Manifest
from index.naming import Found, assign, is_under, upload_names
from index.recovery import WRITE_ERRORS, rebuild_vectors, write_failure
from index.vectors import VectorStore

DEFAULT_OVERLAP_TOKENS = 32
PAGE = 5000  # vector ids read from Chroma at a time when checking it against the tables


class Index:
    """Opening is light; the model, Chroma and BM25 load on first use."""

    def __init__(self, folder: str | Path, embed_model: str | None = None,
                 chroma_url: str | None = None, overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
                 device: str | None = None, embed_backend: str | None = None):
        self.folder = Path(folder).expanduser().resolve()
        self.embedder = Embedder(embed_model, device=device, backend=embed_backend)
        self.docstore = DocStore(self.folder / "documents.sqlite")
        self.vectors = VectorStore(self.folder, chroma_url)
        self.keyword = KeywordIndex(self.folder)
        self.overlap_tokens = overlap_tokens

    # -- settings -------------------------------------------------------------------------
    @cached_property
    def chunk_tokens(self) -> int:
        """Word pieces per chunk: the model's input less its two special tokens."""
        return self.embedder.max_tokens - 2

    def _wanted_manifest(self, dimension: int = 0) -> Manifest:
        return Manifest(SCHEMA_VERSION, self.embedder.name, self.embedder.weights_hash,
                        dimension, self.chunk_tokens, self.overlap_tokens, self.embedder.backend)

    def check(self, writing: bool = False) -> Manifest | None:
        """Refuse an index built with other settings or missing parts (saying what to do);
        repair one a crashed writer left behind. None when the folder has no index."""
        if self.folder.exists() and not self.folder.is_dir():
            raise CiteqaError(f"the index {self.folder} is a file, not a folder; choose a folder "
                              f"for the index (--index DIR or CITEQA_INDEX)")
        existing = Manifest.read(self.folder)
        if existing is not None:
            existing.check(self._wanted_manifest(), self.folder)
            if not (self.folder / "documents.sqlite").exists():
                raise IndexCorruptError(
                    f"index {self.folder} lacks documents.sqlite; remove the folder and ingest again"
                )
            if (not self.vectors.url and not (self.folder / "chroma").exists()
                    and self.docstore.count_chunks()):
                if not writing:
                    raise IndexCorruptError(
                        f"index {self.folder} lacks its vectors (chroma/); ingest the documents "
                        f"again to rebuild them: citeqa ingest DOCS --index {self.folder}"
                    )
                self.docstore.set_writer(os.getpid())  # repair() then drops what lacks vectors
            if self.needs_repair():
                try:  # a writer died mid-write: repair now unless another writer is at work
                    with IndexLock(self.folder):
                        self.repair()
                except (IndexBusyError, OSError):
                    pass
        return existing

    # -- crash recovery ----------------------------------------------------------------------
    def needs_repair(self) -> bool:
        """Whether a writer died mid-write or BM25 is out of step with the document tables."""
        return (self.docstore.writer() != 0
                or self.keyword.generation() != self.docstore.generation())

    def repair(self) -> None:
        """Bring the stores back in step after a crash (call with the write lock held).

        The document tables are the truth (each file's record is written last, in one
        transaction): vectors without a record are deleted; a document whose vectors are
        incomplete is dropped, so the next ingest indexes it again; BM25 is rebuilt when it was
        built from another generation of the tables.
        """
        if self.docstore.count_chunks() and not self.vectors.readable():
            for source in rebuild_vectors(self.docstore, self.vectors):
                self.docstore.delete(source)  # no stored vectors to rebuild from: ingest again
        if self.docstore.writer():
            expected: dict[str, str] = dict(
                (vid, source) for source, vid in self.docstore.expected_vector_ids())
            collection = self.vectors.collection
            stored: set[str] = set()
            offset = 0
            while True:
                page = collection.get(include=[], limit=PAGE, offset=offset)["ids"]
                stored.update(page)
                offset += len(page)
                if len(page) < PAGE:
                    break
            orphans = sorted(stored - expected.keys())
            for i in range(0, len(orphans), PAGE):
                collection.delete(ids=orphans[i : i + PAGE])
            for source in sorted({s for vid, s in expected.items() if vid not in stored}):
                self._drop(source)
        if self.keyword.generation() != self.docstore.generation():
            self._rebuild_keyword()
        self.docstore.set_writer(0)

    def _rebuild_keyword(self) -> None:
        crash_point("before-bm25")
        self.keyword.build(self.docstore.all_chunk_texts(), self.docstore.generation())

    @property
    def exists(self) -> bool:
        """Whether the folder holds an index."""
        return (self.folder / "manifest.json").exists()

    # -- reading ---------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        """Indexed documents."""
        if not self.exists:
            self.docstore.check_same_file()  # deleted under this process: say so
            return []
        return self.docstore.documents()

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Nearest chunks by cosine similarity."""
        return self.vectors.search(vector, k)

    def keyword_search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Best chunks by BM25."""
        return self.keyword.search(query, k)

    def chunks(self, ids: list[str]) -> list[StoredChunk]:
        """Stored chunks by id."""
        return self.docstore.chunks(ids)

    # -- writing ---------------------------------------------------------------------------
    def remove(self, source: str) -> bool:
        """Remove one document by source name; False if it is not indexed."""
        if not self.exists or self.docstore.document(source) is None:
            return False
        with IndexLock(self.folder):
            try:
                self.repair()
                if self.docstore.document(source) is None:
                    return False
                self.docstore.set_writer(os.getpid())
                self._drop(source)
                self._rebuild_keyword()
                self.docstore.set_writer(0)
            except WRITE_ERRORS as exc:
                raise write_failure(exc, self.folder, "removal") from None
        return True

    def _drop(self, source: str) -> None:
        self.vectors.delete_source(source)
        crash_point("after-drop")
        self.docstore.delete(source)

    def ingest(self, paths: list[str | Path], progress: Progress | None = None,
               uploaded: bool = False) -> IngestReport:
        """Index new and changed files, skip unchanged ones, drop vanished ones; report per file.
        ``uploaded``: the paths are uploaded files, named by their file names, each replacing
        an earlier upload of that name (index/naming.py says how names are chosen).

        One writer at a time (IndexBusyError otherwise). Crash-safe: killed at any point, the
        next ingest (or the next open) repairs the index, and rerunning it gives the index a
        clean ingest would (see repair()).
        """
        self.docstore.check_same_file()  # deleted under this process: recreate nothing
        self.check(writing=True)
        for raw in paths:
            if not Path(raw).expanduser().exists():
                raise CiteqaError(f"{raw}: no such file or folder")
        with IndexLock(self.folder):
            try:
                if self.exists:
                    self.repair()
                self.docstore.set_writer(os.getpid())
                report = self._ingest(paths, progress, uploaded)
                if self.exists and (report.changed
                                    or self.keyword.generation() != self.docstore.generation()):
                    self._rebuild_keyword()
                self.docstore.set_writer(0)
            except WRITE_ERRORS as exc:
                raise write_failure(exc, self.folder) from None
        return report

    def _gather(self, paths: list[str | Path], uploaded: bool,
                report: IngestReport) -> list[tuple[Found, str]]:
        """The files to index with their source names (index/naming.py); drops the documents
        of an ingested folder whose files have vanished."""
        found: list[Found] = []
        if uploaded:
            files = [Path(p) for p in paths]
            found = [Found.upload(f, n) for f, n in zip(files, upload_names([f.name for f in files]))]
        for raw in [] if uploaded else paths:
            path = Path(raw).expanduser()
            if not path.is_dir():
                found.append(Found.alone(path))
                continue
            here = [Found.in_folder(f, name, path) for f, name in find_files(path)]
            found += here
            origins, root = {f.origin for f in here}, str(path.resolve())
            for doc in self.documents():
                if is_under(doc.origin, root) and doc.origin not in origins:
                    self._drop(doc.source)
                    report.removed.append(doc.source)
        supported = []
        for item in found:
            if item.path.suffix.lower() in LOADERS:
                supported.append(item)
            else:
                report.errors.append((item.name, f"unsupported type; supported: "
                                      f"{', '.join(sorted(LOADERS))}"))
        def same_content(item: Found, source: str) -> bool:
            record = self.docstore.document(source)
            return record is not None and item.path.is_file() and \
                record.sha256 == sha256_file(item.path)

        return assign(supported, {d.origin: d.source for d in self.documents()}, same_content)

    def _ingest(self, paths: list[str | Path], progress: Progress | None,
                uploaded: bool = False) -> IngestReport:
        report = IngestReport()
        todo = self._gather(paths, uploaded, report)
        if todo and not self.exists:  # the tables exist (set_writer made them) before the manifest
            self._wanted_manifest(self.embedder.dimension).write(self.folder)
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
                sha = sha256_file(path)
                existing = self.docstore.document(source)
                if existing and existing.sha256 == sha:
                    if existing.origin != item.origin:  # the same document, found elsewhere
                        self.docstore.set_origin(source, item.origin, item.root)
                    report.skipped.append(source)
                    continue
                pending.append(prepare(path, source, item.root, item.origin, sha,
                                       existing is None, self.embedder, self.chunk_tokens,
                                       self.overlap_tokens))
            except LoadError as exc:
                report.errors.append((source, str(exc).split(": ", 1)[-1]))
            except OSError as exc:
                report.errors.append((source, f"cannot read ({exc.strerror or exc})"))
            except Exception as exc:  # a loader's library failing on a damaged file: skip it
                report.errors.append((source, f"could not be read ({type(exc).__name__}: "
                                      f"{' '.join(str(exc).split())[:200]})"))
            if sum(len(p.chunks) for p in pending) >= GROUP_CHUNKS:
                self._write(pending, report, progress, i, len(todo))
                pending = []
        self._write(pending, report, progress, len(todo), len(todo))
        return report

    def _write(self, pending: list[Prepared], report: IngestReport, progress: Progress | None,
               done_files: int, total_files: int) -> None:
        """Embed a group of prepared files and store them; each file's record is written last."""
        if not pending:
            return
        # Each distinct sentence is embedded once, on its own, and stored per chunk: dense
        # search ranks a chunk by its best sentence (measured on COVID-QA: sentence vectors
        # beat whole-chunk vectors both for finding the chunk and for picking the sentence).
        rows_of: dict[tuple[int, int, int], int] = {}
        texts: list[str] = []
        for n, doc in enumerate(pending):
            for chunk in doc.chunks:
                for a, b in chunk.sentences:
                    if (n, a, b) not in rows_of:
                        rows_of[(n, a, b)] = len(texts)
                        texts.append(doc.text[a:b])
        state = {"done": 0}

        def step(count: int) -> None:
            state["done"] += count
            if progress:
                progress(done_files, total_files,
                         f"embedding {state['done']}/{len(texts)} sentences")

        sentence_vecs = self.embedder.embed(texts, progress=step)
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
            old = [] if doc.is_new else sorted(set(self.docstore.vector_ids(doc.source)) - set(ids))
            self.vectors.upsert(ids, np.vstack(vectors), [doc.source] * len(ids))
            crash_point("after-vectors")
            self.docstore.put(DocumentRecord(doc.source, doc.root, doc.sha256, len(rows),
                                             doc.origin), doc.text, doc.pages, rows)
            crash_point("after-document")
            if old:
                self.vectors.delete(old)
                crash_point("after-delete")
            (report.added if doc.is_new else report.updated).append(doc.source)
