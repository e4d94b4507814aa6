"""One writer per index: an advisory file lock (flock on INDEX/.lock); and named crash points.

Crash points make crash-safety testable: ``CITEQA_CRASH_AT=STAGE[:N]`` makes the process kill
itself with SIGKILL the N-th time (default 1) it reaches STAGE, e.g. ``after-vectors:2``. The
stages are the windows between writes in index/store.py and index/keyword.py (CRASH_STAGES).
Unset (always, outside tests) it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from index.errors import CiteqaError

LOCK_FILE = ".lock"
READERS_FILE = ".readers"  # shared-locked by long-lived processes that keep stores in memory
_held: dict[Path, int] = {}  # folder -> this process's shared lock on READERS_FILE
CRASH_STAGES = (
    "after-manifest",    # manifest written, nothing else yet
    "after-drop",        # a vanished file's vectors deleted, its record not yet
    "after-vectors",     # a file's (new) vectors upserted, its document record not yet written
    "after-document",    # a file's document record written: a changed file's old vectors not
                         # yet deleted, BM25 not yet rebuilt
    "after-delete",      # a changed file's old vectors deleted, BM25 not yet rebuilt
    "before-bm25",       # every file stored, BM25 not yet rebuilt
    "bm25-written",      # the new BM25 written to its temporary folder, not yet swapped in
    "bm25-swapped-out",  # the old BM25 folder moved aside, the new one not yet moved in
)
_hits: dict[str, int] = {}


def crash_point(stage: str) -> None:
    """Kill this process (SIGKILL, no cleanup) here when CITEQA_CRASH_AT names this stage."""
    wanted = os.environ.get("CITEQA_CRASH_AT")
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != stage:
        return
    _hits[stage] = _hits.get(stage, 0) + 1
    if _hits[stage] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


class IndexBusyError(CiteqaError):
    """Another process is writing the index."""


class IndexLock:
    """Exclusive, non-blocking lock on an index folder for the length of a write.

    The kernel releases it when the holder exits, however it exits (kill -9 included), so a
    crashed writer never leaves a stale lock. The file holds the holder's pid, for the message.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise IndexBusyError naming the holder."""
        import fcntl

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CiteqaError(f"cannot write the index folder {self.folder} "
                              f"({exc.strerror or exc}); choose another --index or fix its "
                              f"permissions") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise IndexBusyError(
                f"index {self.folder} is being written by another process (pid {holder}); "
                f"try again when it finishes"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        try:
            self._exclude_readers()
        except IndexBusyError:
            self.release()
            raise

    def _exclude_readers(self) -> None:
        """A server keeps Chroma's graph and BM25 in memory and would not see (or could undo)
        another process's writes: refuse while one holds the index open, unless it is us."""
        import fcntl

        own = _held.get(self.folder)
        fd = own if own is not None else os.open(self.folder / READERS_FILE,
                                                 os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            if own is None:
                os.close(fd)
            else:
                fcntl.flock(fd, fcntl.LOCK_SH)
            raise IndexBusyError(
                f"index {self.folder} is open in a running citeqa serve (pid {holder}); add "
                f"files through its page, or stop it and try again"
            ) from None
        self._readers_fd = fd

    def release(self) -> None:
        """Give the lock back (closing the file releases it)."""
        import fcntl

        readers = getattr(self, "_readers_fd", None)
        if readers is not None:
            if _held.get(self.folder) == readers:
                fcntl.flock(readers, fcntl.LOCK_SH)  # back to holding the index open
            else:
                os.close(readers)
            self._readers_fd = None
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> IndexLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def hold_open(folder: Path) -> None:
    """Mark the index as held open by this long-lived process (citeqa serve), until it exits:
    other processes' writes are refused meanwhile; this process's own writes go on."""
    import fcntl

    folder = Path(folder)
    if folder in _held:
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / READERS_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise IndexBusyError(
            f"index {folder} is being written by another process; start the server when it "
            f"finishes"
        ) from None
    os.pwrite(fd, f"{os.getpid()}\n".encode().ljust(16), 0)
    _held[folder] = fd
