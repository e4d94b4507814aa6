"""The Chroma vector store: embedded PersistentClient by default, a Chroma server when a URL is set."""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from index.errors import CiteqaError, StoreError
from index.hashing import crc32_file

COLLECTION = "citeqa-sentences"
BATCH = 2000
# Chroma (1.5) saves its HNSW graph to disk only after every ``sync_threshold`` (1000) writes; the
# vectors written since are linked into the graph anew, at random, each time a process opens the
# collection, so the same question could find other neighbours in each process (the Chroma issue
# "No public API to force HNSW persistence", #7463). A collection this small never has a saved
# graph: it is searched exactly. A larger one is made to save its whole graph after each write.
EXACT_MAX = 1000
# the graph headers Chroma saved, as the last write left them: {"files": {name: [size, crc]}}.
# A damaged header crashes the process that opens it (a segmentation fault in hnswlib), so it
# is checked first; the other graph files change as Chroma opens them, and their damage is
# found by reading (VectorStore.readable)
FINGERPRINT = "vectors.json"


class VectorStore:
    """Sentence vectors in a Chroma collection with cosine distance. A vector's id is
    ``CHUNK_ID:N`` (the chunk's N-th sentence), so a search ranks chunks by their best sentence."""

    def __init__(self, folder: Path, url: str | None = None, collection: str = COLLECTION):
        self.folder = folder
        self.url = url
        self.collection_name = collection
        self._small: tuple[int, tuple[list[str], np.ndarray] | None] | None = None

    @cached_property
    def client(self):
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        if self.url:
            parts = urlparse(self.url if "//" in self.url else f"http://{self.url}")
            try:
                return chromadb.HttpClient(
                    host=parts.hostname or "localhost",
                    port=parts.port or (443 if parts.scheme == "https" else 8000),
                    ssl=parts.scheme == "https",
                    settings=settings,
                )
            except Exception as exc:
                raise CiteqaError(f"cannot reach the Chroma server at {self.url}: {exc}") from None
        with self._failing("opening"):  # a damaged chroma.sqlite3 fails here, in many ways
            return chromadb.PersistentClient(path=str(self.folder / "chroma"), settings=settings)

    @cached_property
    def collection(self):
        with self._failing("opening the collection"):
            return self.client.get_or_create_collection(
                self.collection_name,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )

    @contextmanager
    def _failing(self, doing: str):
        """Chroma's errors as one StoreError line. Its Rust bindings raise more than
        ChromaError on damaged files (AttributeError, RuntimeError, pyo3's PanicException …),
        so everything but an interrupt is caught."""
        try:
            yield
        except CiteqaError:
            raise
        except Exception as exc:  # noqa: BLE001 - see above
            where = self.url or self.folder / "chroma"
            detail = " ".join(str(exc).split())[:160] or type(exc).__name__
            raise StoreError(f"the vector store ({where}) failed while {doing}: {detail}; run "
                             f"citeqa again: the next command rebuilds it from the document "
                             f"tables") from None

    def readable(self) -> bool:
        """Whether the collection opens and its vectors can be read (a crash on a full disk,
        or a damaged file, can break its graph; the document tables hold the vectors to
        rebuild it from)."""
        try:
            with self._failing("checking"):
                if self.collection.count():
                    self.collection.get(limit=1, include=["embeddings"])
            return True
        except StoreError:
            return False

    def reset(self, discard: bool = False) -> None:
        """Drop the collection and start an empty one; an embedded store that cannot even be
        opened (or, with ``discard``, one whose files are damaged: not even opened) is deleted
        and made anew (its vectors are rebuilt from the document tables)."""
        if discard and not self.url:
            self._discard()
            self._small = None
            return
        try:
            with self._failing("dropping a damaged collection"):
                self.client.delete_collection(self.collection_name)
        except StoreError:
            if self.url:
                raise
            self._discard()
        self.__dict__.pop("collection", None)
        self._small = None

    def _discard(self) -> None:
        """Delete the embedded store's folder, forgetting the client Chroma keeps for it."""
        import chromadb

        self.__dict__.pop("client", None)
        self.__dict__.pop("collection", None)
        chromadb.api.client.SharedSystemClient.clear_system_cache()
        shutil.rmtree(self.folder / "chroma", ignore_errors=True)

    def upsert(self, ids: list[str], vectors: np.ndarray, sources: list[str]) -> None:
        """Write vectors in batches (Chroma caps a single write)."""
        with self._failing("writing vectors"):
            for i in range(0, len(ids), BATCH):
                self.collection.upsert(
                    ids=ids[i : i + BATCH],
                    embeddings=vectors[i : i + BATCH],
                    metadatas=[{"source": s} for s in sources[i : i + BATCH]],
                )

    def delete(self, ids: list[str]) -> None:
        """Remove vectors by id."""
        with self._failing("deleting vectors"):
            for i in range(0, len(ids), BATCH):
                self.collection.delete(ids=ids[i : i + BATCH])

    def delete_source(self, source: str) -> None:
        """Remove every vector of one document."""
        with self._failing("deleting vectors"):
            self.collection.delete(where={"source": source})

    def search(self, vector: np.ndarray, k: int, per_chunk: int = 4,
               version: int = 0) -> list[tuple[str, float]]:
        """The ``k`` chunks holding the sentences nearest to ``vector``, as (chunk id, cosine
        similarity of its best sentence), best first, ties in id order. ``version`` names the
        state of the index (the docstore generation): a small collection's vectors are read
        once per version and searched exactly."""
        small = self._small_vectors(version)
        if small is not None:
            ids, matrix = small
            if not ids:
                return []
            sims = matrix @ (vector / (np.linalg.norm(vector) or 1.0))
            order = sorted(range(len(ids)), key=lambda i: (-sims[i], ids[i]))[: k * per_chunk]
            nearest = [(ids[i], float(sims[i])) for i in order]
        else:
            # no count() first: it cost 38 ms a question at 70,000 vectors and grows with the
            # collection, while Chroma (1.5) answers a query for more than it holds with what it has
            with self._failing("searching"):
                result = self.collection.query(
                    query_embeddings=[vector.tolist()], n_results=k * per_chunk,
                    include=["distances"],
                )
            if not result["ids"] or not result["ids"][0]:
                return []
            nearest = [(vid, 1.0 - dist) for vid, dist in zip(result["ids"][0],
                                                               result["distances"][0])]
        best: dict[str, float] = {}
        for vid, similarity in nearest:
            chunk = vid.rsplit(":", 1)[0]
            best[chunk] = max(best.get(chunk, similarity), similarity)
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:k]

    def _small_vectors(self, version: int) -> tuple[list[str], np.ndarray] | None:
        """The ids and unit vectors of a collection under EXACT_MAX vectors (None for a larger
        one), read once per ``version``."""
        if self._small is None or self._small[0] != version:
            with self._failing("reading vectors"):
                got = self.collection.get(limit=EXACT_MAX, include=["embeddings"])
            small = None
            if not got["ids"]:
                small = ([], np.zeros((0, 0), dtype=np.float32))
            elif len(got["ids"]) < EXACT_MAX:
                matrix = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
                norms = np.linalg.norm(matrix, axis=1, keepdims=True)
                small = (list(got["ids"]), matrix / np.where(norms > 0, norms, 1.0))
            self._small = (version, small)
        return self._small[1]

    def persist(self) -> None:
        """Make Chroma save its whole graph after a write (see EXACT_MAX): it saves once the
        writes since its last save reach ``sync_threshold``, so that many stored vectors are
        written again, unchanged, in one call."""
        with self._failing("saving the vector graph"):
            collection = self.collection
            hnsw = (collection.configuration or {}).get("hnsw") or {}
            threshold = int(hnsw.get("sync_threshold") or EXACT_MAX)
            got = collection.get(limit=threshold, include=["embeddings", "metadatas"])
            if len(got["ids"]) >= threshold:
                collection.upsert(ids=got["ids"], embeddings=got["embeddings"],
                                  metadatas=got["metadatas"])
        self._small = None
        self.record()

    def record(self) -> None:
        """Note the saved graph files' sizes and checksums (see ``intact``)."""
        if not self.url:
            self._fingerprint_file.write_text(json.dumps({"files": self._fingerprint()}))

    def unrecord(self) -> None:
        """Forget the saved graph's fingerprint before writing: Chroma saves its graph as it
        goes, and a write that dies midway must not have its graph taken for a damaged one."""
        self._fingerprint_file.unlink(missing_ok=True)

    @property
    def _fingerprint_file(self) -> Path:
        return self.folder / FINGERPRINT

    def _fingerprint(self) -> dict[str, list[int]]:
        """Size and CRC-32 of each saved graph header."""
        return {f"{path.parent.name}/{path.name}": [path.stat().st_size, crc32_file(path)]
                for path in sorted((self.folder / "chroma").glob("*/header.bin"))}

    def intact(self) -> bool:
        """Whether the saved graph headers are as the last write left them (True when no write
        of this release recorded them, or the vectors live on a server)."""
        if self.url or not self._fingerprint_file.exists():
            return True
        try:
            recorded = json.loads(self._fingerprint_file.read_text())["files"]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return recorded == self._fingerprint()

    def count(self) -> int:
        """Number of vectors stored."""
        with self._failing("counting vectors"):
            return self.collection.count()
