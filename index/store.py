"""The index: a folder holding the manifest, the document tables, Chroma and the BM25 index."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import numpy as np

from index import ingest
from index.docstore import DocStore, DocumentRecord, StoredChunk
from index.embedding import Embedder
from index.errors import CiteqaError, IndexCorruptError, StoreError
from index.ingest import (
    IngestReport,
    Progress,
)
from index.keyword import KeywordIndex
from index.lock import IndexBusyError, IndexLock, crash_point
from index.manifest import SCHEMA_VERSION, Manifest
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

    def wanted_manifest(self, dimension: int = 0) -> Manifest:
        """The manifest an index built with these settings has."""
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
            existing.check(self.wanted_manifest(), self.folder)
            if not (self.folder / "documents.sqlite").exists():
                raise IndexCorruptError(
                    f"index {self.folder} lacks documents.sqlite; remove the folder and ingest again"
                )
            self._check_parts_agree()
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

    def _check_parts_agree(self) -> None:
        """Refuse an index whose document tables hold fewer documents than its vector store
        (emptied, or replaced by an older copy) instead of taking it for an emptier index: an
        ingest would then drop the documents it cannot see. (A writer that died midway is no
        disagreement: repair() finishes its work.) The vector store is opened for this only
        when the tables are empty; a short table is found by the ingest's repair."""
        if self.docstore.writer() or self.docstore.count_chunks():
            return
        if (self.vectors.url or (self.folder / "chroma").exists()) and self.vectors.intact():
            held = self.vectors.count() if self.vectors.readable() else 0
            if held:
                raise self._disagree(f"{self.docstore.path} holds no documents, but the vector "
                                     f"store holds {held:,} sentence vectors")

    def _disagree(self, what: str) -> IndexCorruptError:
        return IndexCorruptError(
            f"{what}: the document tables were emptied, damaged or replaced, and the documents' "
            f"texts cannot be rebuilt from vectors; nothing was changed. Move the folder "
            f"{self.folder} aside and ingest the documents again (citeqa ingest DOCS --index "
            f"{self.folder})")

    # -- crash recovery ----------------------------------------------------------------------
    def needs_repair(self) -> bool:
        """Whether a writer died mid-write, BM25 is out of step with the document tables or
        damaged, or a saved graph header no longer matches its checksum."""
        return (self.docstore.writer() != 0
                or self.keyword.generation() != self.docstore.generation()
                or not self.keyword.sound() or not self.vectors.intact())

    def repair(self) -> None:
        """Bring the stores back in step after a crash (call with the write lock held).

        The document tables are the truth (each file's record is written last, in one
        transaction): vectors without a record are deleted; a document whose vectors are
        incomplete is dropped, so the next ingest indexes it again; BM25 is rebuilt when it was
        built from another generation of the tables.
        """
        rewritten = False
        intact = self.vectors.intact()  # before opening it: a damaged graph header crashes Chroma
        readable = intact and self.vectors.readable()
        if readable and not self.docstore.writer():
            held, listed = self.vectors.count(), self.docstore.vector_count()
            if held > listed:
                raise self._disagree(f"the vector store holds {held - listed:,} sentence vectors "
                                     f"more than {self.docstore.path} lists")
            if listed and not held:
                readable = False  # emptied (a fresh chroma.sqlite3): rebuilt below
        if self.docstore.count_chunks() and not readable:
            self._refill_vectors(discard=not intact)
            rewritten = True
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
                self.drop(source)
            rewritten = True
        if rewritten:
            self.vectors.persist()
        if self.keyword.generation() != self.docstore.generation() or not self.keyword.sound():
            self._rebuild_keyword()
        self.docstore.set_writer(0)

    def _heal_vectors(self) -> bool:
        """Rebuild a vector store that failed a search from the sentence vectors the document
        tables keep (a graph file can be damaged where only a search reads it); False when that
        cannot be done now (another process writes, or it fails again)."""
        try:
            with IndexLock(self.folder):
                self._refill_vectors(discard=True)
                self.vectors.persist()
            return True
        except (IndexBusyError, OSError, StoreError):
            return False

    def _refill_vectors(self, discard: bool) -> None:
        """Rebuild the vector store from the document tables' sentence vectors (``discard``: its
        files are damaged, so it is deleted unopened); a document with none stored (an older
        index) is dropped, for the next ingest to index again."""
        for source in rebuild_vectors(self.docstore, self.vectors, discard=discard):
            self.docstore.delete(source)

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
        """Nearest chunks by cosine similarity (ties in id order). A vector store found damaged
        here is rebuilt from the document tables, when no other process is writing, and
        searched again."""
        try:
            found = self.vectors.search(vector, k, version=self.docstore.generation())
        except StoreError:
            if not self._heal_vectors():
                raise
            return self.vectors.search(vector, k, version=self.docstore.generation())
        if not found and self.docstore.count_chunks() and not self.vectors.count():
            # emptied (a fresh chroma.sqlite3) while the tables hold documents: refill it
            if self._heal_vectors():
                found = self.vectors.search(vector, k, version=self.docstore.generation())
        return found

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
                self.vectors.unrecord()
                self.drop(source)
                self._rebuild_keyword()
                self.vectors.persist()
                self.docstore.set_writer(0)
            except WRITE_ERRORS as exc:
                raise write_failure(exc, self.folder, "removal") from None
        return True

    def drop(self, source: str) -> None:
        """Delete one document's vectors, then its record (call with the write lock held)."""
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
                self.vectors.unrecord()
                report = ingest.run(self, paths, progress, uploaded)
                if self.exists and (report.changed
                                    or self.keyword.generation() != self.docstore.generation()):
                    self._rebuild_keyword()
                if report.changed:
                    self.vectors.persist()
                elif self.exists:
                    self.vectors.record()
                self.docstore.set_writer(0)
            except WRITE_ERRORS as exc:
                raise write_failure(exc, self.folder) from None
        return report
