"""Ingestion and the stores: loaders, sentence-aware chunking, embedding, Chroma, BM25, manifest.

Names load on first use, so importing a light submodule (index.loaders for its list of file
types, say) does not import numpy and the stores."""

from importlib import import_module

_HOMES = {
    "DocumentRecord": "index.docstore", "StoredChunk": "index.docstore",
    "DEFAULT_MODEL": "index.embedding", "Embedder": "index.embedding",
    "CiteqaError": "index.errors", "IndexCorruptError": "index.errors",
    "IndexMismatchError": "index.errors", "LoadError": "index.errors", "ModelError": "index.errors",
    "IngestReport": "index.ingest", "Index": "index.store",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
