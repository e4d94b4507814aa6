"""The index manifest: schema version, embedding model and hash, chunk settings."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from index.errors import IndexCorruptError, IndexMismatchError

SCHEMA_VERSION = 3
FILENAME = "manifest.json"
# Backends whose vectors can share an index: ONNX fp32 gives the torch vectors to a cosine of
# 0.9999+, so either opens the other's index (a GPU machine runs torch on an index built on a
# CPU with ONNX); int8 vectors differ a little (cosine ~0.99), enough to move answers at the
# abstention threshold, so an int8 index is queried with int8 only. The field is new in schema 3
# with a default, so indexes written before it (all torch) open unchanged.
VECTOR_FAMILY = {"torch": "fp32", "onnx": "fp32", "onnx-int8": "int8"}


@dataclass
class Manifest:
    """What an index was built with; a different model or chunking needs a rebuild."""

    schema: int
    embed_model: str
    embed_sha256: str
    dimension: int
    chunk_tokens: int
    overlap_tokens: int
    # how the vectors were computed (index/embedding.py BACKENDS); manifests written before
    # backends existed lack it and were all built with torch
    embed_backend: str = "torch"

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        """The folder's manifest, or None when the folder holds no index yet."""
        path = folder / FILENAME
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            return cls(**{f.name: data[f.name] for f in fields(cls)
                          if f.name in data or f.name != "embed_backend"})
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(
                f"{path} is unreadable ({exc}); remove the folder {folder} and ingest again"
            ) from None

    def write(self, folder: Path) -> None:
        """Write atomically (temp file, then rename)."""
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / (FILENAME + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, folder / FILENAME)

    def check(self, other: Manifest, folder: Path) -> None:
        """Refuse to use an index built with other settings, saying how to rebuild."""
        if self.schema != other.schema:
            raise IndexMismatchError(
                f"index {folder} has schema {self.schema}, this citeqa reads {other.schema}; "
                f"rebuild it: rm -r {folder} && citeqa ingest DOCS --index {folder}"
            )
        if (self.embed_model, self.embed_sha256) != (other.embed_model, other.embed_sha256):
            raise IndexMismatchError(
                f"index {folder} was built with embedding model {self.embed_model!r}, "
                f"not {other.embed_model!r}; use that model (CITEQA_EMBED_MODEL) or rebuild: "
                f"rm -r {folder} && citeqa ingest DOCS --index {folder}"
            )
        if VECTOR_FAMILY.get(self.embed_backend) != VECTOR_FAMILY.get(other.embed_backend):
            raise IndexMismatchError(
                f"index {folder} was built with embedding backend {self.embed_backend!r}, "
                f"not {other.embed_backend!r}; use that backend (CITEQA_EMBED_BACKEND="
                f"{self.embed_backend}) or rebuild: "
                f"rm -r {folder} && citeqa ingest DOCS --index {folder}"
            )
        if (self.chunk_tokens, self.overlap_tokens) != (other.chunk_tokens, other.overlap_tokens):
            raise IndexMismatchError(
                f"index {folder} was chunked at {self.chunk_tokens}/{self.overlap_tokens} tokens, "
                f"not {other.chunk_tokens}/{other.overlap_tokens}; rebuild: "
                f"rm -r {folder} && citeqa ingest DOCS --index {folder}"
            )
