"""The index manifest: schema version, embedding model and hash, chunk settings."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from index.errors import IndexCorruptError, IndexMismatchError

SCHEMA_VERSION = 3
FILENAME = "manifest.json"


@dataclass
class Manifest:
    """What an index was built with; a different model or chunking needs a rebuild."""

    schema: int
    embed_model: str
    embed_sha256: str
    dimension: int
    chunk_tokens: int
    overlap_tokens: int

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        """The folder's manifest, or None when the folder holds no index yet."""
        path = folder / FILENAME
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            return cls(**{f.name: data[f.name] for f in fields(cls)})
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
        if (self.chunk_tokens, self.overlap_tokens) != (other.chunk_tokens, other.overlap_tokens):
            raise IndexMismatchError(
                f"index {folder} was chunked at {self.chunk_tokens}/{self.overlap_tokens} tokens, "
                f"not {other.chunk_tokens}/{other.overlap_tokens}; rebuild: "
                f"rm -r {folder} && citeqa ingest DOCS --index {folder}"
            )
