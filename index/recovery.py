"""Recovering from failed writes: the vector store rebuilt from the document tables, and a
failed write (a full disk above all) told in one line that says what to do."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

import numpy as np

from index.errors import CiteqaError, StoreError

LOW_DISK_BYTES = 64 * 2**20  # under this much free space, a failed write is put down to it


def rebuild_vectors(docstore, vectors, discard: bool = False) -> list[str]:
    """Refill a damaged (or lost) vector store from the sentence vectors the document tables
    keep; return the sources that had none stored (older indexes), for the caller to drop.
    ``discard``: its files are damaged, so it is deleted without being opened."""
    vectors.reset(discard)
    ids: list[str] = []
    rows: list[np.ndarray] = []
    sources: list[str] = []
    missing: set[str] = set()

    def flush() -> None:
        if ids:
            vectors.upsert(ids, np.vstack(rows), sources)
        ids.clear(), rows.clear(), sources.clear()

    for cid, source, own in docstore.all_vectors():
        if own is None:
            missing.add(source)
            continue
        ids.extend(f"{cid}:{n}" for n in range(len(own)))
        rows.append(own.astype(np.float32))
        sources.extend([source] * len(own))
        if len(ids) >= 5000:
            flush()
    flush()
    return sorted(missing)


def free_bytes(folder: Path) -> int | None:
    """Free space on the disk holding ``folder`` (None when it cannot be told)."""
    for path in (folder, *folder.parents):
        try:
            return shutil.disk_usage(path).free
        except OSError:
            continue
    return None


def write_failure(exc: BaseException, folder: Path, doing: str = "ingest") -> CiteqaError:
    """One line for a write that failed midway; what was stored before it is kept, and the
    next command repairs the rest (index.Index.repair)."""
    free = free_bytes(folder)
    full = (isinstance(exc, OSError) and exc.errno == errno.ENOSPC
            or "full" in str(exc).lower() or (free is not None and free < LOW_DISK_BYTES))
    if full:
        left = f"{free / 2**20:,.1f} MB free" if free is not None else "the disk is full"
        return CiteqaError(f"no space left on the disk holding the index {folder} ({left}); "
                           f"free some space and run the {doing} again (documents stored "
                           f"before this are kept)")
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return CiteqaError(f"writing the index {folder} failed ({' '.join(str(detail).split())[:200]}); "
                       f"run the {doing} again (documents stored before this are kept)")


WRITE_ERRORS = (OSError, sqlite3.Error, StoreError)
