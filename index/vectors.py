"""The Chroma vector store: embedded PersistentClient by default, a Chroma server when a URL is set."""

from __future__ import annotations

from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from index.errors import CiteqaError, StoreError

COLLECTION = "citeqa-sentences"
BATCH = 2000


class VectorStore:
    """Sentence vectors in a Chroma collection with cosine distance. A vector's id is
    ``CHUNK_ID:N`` (the chunk's N-th sentence), so a search ranks chunks by their best sentence."""

    def __init__(self, folder: Path, url: str | None = None, collection: str = COLLECTION):
        self.folder = folder
        self.url = url
        self.collection_name = collection

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
        return chromadb.PersistentClient(path=str(self.folder / "chroma"), settings=settings)

    @cached_property
    def collection(self):
        return self.client.get_or_create_collection(
            self.collection_name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )

    @contextmanager
    def _failing(self, doing: str):
        """Chroma's errors as one StoreError line."""
        from chromadb.errors import ChromaError

        try:
            yield
        except ChromaError as exc:
            where = self.url or self.folder / "chroma"
            raise StoreError(f"the vector store ({where}) failed while {doing}: "
                             f"{' '.join(str(exc).split())[:160]}; run the ingest again to "
                             f"repair it") from None

    def readable(self) -> bool:
        """Whether the collection can be read (a crash on a full disk can leave its graph
        files damaged; the document tables hold the vectors to rebuild it from)."""
        from chromadb.errors import ChromaError

        try:
            self.collection.count()
            return True
        except ChromaError:
            return False

    def reset(self) -> None:
        """Drop the collection and start an empty one."""
        with self._failing("dropping a damaged collection"):
            self.client.delete_collection(self.collection_name)
        self.__dict__.pop("collection", None)

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

    def search(self, vector: np.ndarray, k: int, per_chunk: int = 4) -> list[tuple[str, float]]:
        """The ``k`` chunks holding the sentences nearest to ``vector``, as (chunk id, cosine
        similarity of its best sentence), best first."""
        # no count() first: it cost 38 ms a question at 70,000 vectors and grows with the
        # collection, while Chroma (1.5) answers a query for more than it holds with what it has
        with self._failing("searching"):
            result = self.collection.query(
                query_embeddings=[vector.tolist()], n_results=k * per_chunk,
                include=["distances"],
            )
        if not result["ids"] or not result["ids"][0]:
            return []
        best: dict[str, float] = {}
        for vid, dist in zip(result["ids"][0], result["distances"][0]):
            chunk = vid.rsplit(":", 1)[0]
            best.setdefault(chunk, 1.0 - dist)  # results come nearest first
        return list(best.items())[:k]

    def count(self) -> int:
        """Number of vectors stored."""
        with self._failing("counting vectors"):
            return self.collection.count()
