"""A damaged SQLite file said in one line: a connection whose every statement and fetch turns
SQLite's "malformed" errors (sqlite3.DatabaseError itself, not its busy, locked or disk-full
subclasses) into IndexCorruptError naming the file and the fix."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from index.errors import IndexCorruptError


def damaged(path: Path, exc: BaseException) -> IndexCorruptError:
    """The one line for a damaged document-tables file."""
    return IndexCorruptError(
        f"{path} is damaged ({exc}); it holds the documents' texts, which the other parts of the "
        f"index cannot give back: move the folder {path.parent} aside and ingest the documents "
        f"again (citeqa ingest DOCS --index {path.parent})")


def _guarded(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:
                raise  # locked, busy, disk full, constraint: not damage
            raise damaged(self.connection.path if isinstance(self, sqlite3.Cursor)
                          else self.path, exc) from None
    return call


class GuardedCursor(sqlite3.Cursor):
    """A cursor whose statements and fetches report damage in one line."""

    execute = _guarded(sqlite3.Cursor.execute)
    executemany = _guarded(sqlite3.Cursor.executemany)
    executescript = _guarded(sqlite3.Cursor.executescript)
    fetchone = _guarded(sqlite3.Cursor.fetchone)
    fetchmany = _guarded(sqlite3.Cursor.fetchmany)
    fetchall = _guarded(sqlite3.Cursor.fetchall)
    __next__ = _guarded(sqlite3.Cursor.__next__)


class GuardedConnection(sqlite3.Connection):
    """A connection (``sqlite3.connect(..., factory=GuardedConnection)``) whose cursors are
    GuardedCursors; ``path`` names the file in messages."""

    path: Path

    def cursor(self, factory=GuardedCursor):
        return super().cursor(factory)

    def execute(self, *args):
        return self.cursor().execute(*args)

    def executemany(self, *args):
        return self.cursor().executemany(*args)

    def executescript(self, *args):
        return self.cursor().executescript(*args)

    commit = _guarded(sqlite3.Connection.commit)


def connect(path: Path, timeout: float = 30) -> GuardedConnection:
    """A GuardedConnection to ``path``."""
    conn = sqlite3.connect(path, timeout=timeout, factory=GuardedConnection)
    conn.path = path
    return conn
