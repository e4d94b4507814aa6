"""Content hashes of files (model weights, documents)."""

import hashlib
import zlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def crc32_file(path: Path) -> int:
    """A file's CRC-32, read in 1 MB blocks (a quick check that it is as it was written)."""
    crc = 0
    with path.open("rb") as f:
        while block := f.read(2**20):
            crc = zlib.crc32(block, crc)
    return crc
