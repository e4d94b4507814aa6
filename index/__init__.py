"""Ingestion and the stores: loaders, sentence-aware chunking, embedding, Chroma, BM25, manifest."""

from index.docstore import DocumentRecord, StoredChunk
from index.embedding import DEFAULT_MODEL, Embedder
from index.errors import CiteqaError, IndexCorruptError, IndexMismatchError, LoadError, ModelError
from index.ingest import IngestReport
from index.store import Index

__all__ = [
    "DEFAULT_MODEL", "CiteqaError", "DocumentRecord", "Embedder", "Index", "IndexCorruptError",
    "IndexMismatchError", "IngestReport", "LoadError", "ModelError", "StoredChunk",
]
