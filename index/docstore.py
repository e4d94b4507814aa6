"""The document and chunk tables (SQLite): texts, offsets, content hashes, sentence vectors."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import IndexCorruptError
from index.sqlite_guard import connect, damaged
from index.textproc import term_counts

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    pages TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    origin TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    sentences TEXT NOT NULL,
    vectors BLOB
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE TABLE IF NOT EXISTS terms (
    source TEXT PRIMARY KEY,
    counts TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""
# Every change to the tables bumps "generation" in the same transaction; the BM25 index records
# the generation it was built from, so a BM25 out of step with the tables (a crash between the
# two) is seen and rebuilt. "writing" holds the writer's pid while an ingest or a removal runs:
# if it is still set when the next writer starts, the last one died mid-write.
_RECORD = "source, root, sha256, chunks, origin"
_BUMP = ("INSERT INTO meta(key, value) VALUES ('generation', 1) "
         "ON CONFLICT(key) DO UPDATE SET value = value + 1")


def _add_origin(conn: sqlite3.Connection) -> None:
    """Tables made before files were known by their origin: add it (folder + name was the
    identity then)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
    if "origin" not in columns:
        with conn:
            conn.execute("ALTER TABLE documents ADD COLUMN origin TEXT NOT NULL DEFAULT ''")
            conn.execute("UPDATE documents SET origin = root || '/' || source")


@dataclass
class StoredChunk:
    """A chunk as stored: its text is ``document text[start:end]``."""

    id: str
    source: str
    ordinal: int
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]]
    vectors: np.ndarray | None  # one unit vector per sentence, or None


@dataclass
class DocumentRecord:
    """A document as stored."""

    source: str
    root: str
    sha256: str
    chunks: int
    origin: str = ""  # the file's absolute path, or upload:NAME (index/naming.py)


class DocStore:
    """SQLite tables beside the vector store; one connection per thread."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._inode: int | None = None  # the file first opened: it must stay the same file

    def _gone(self) -> IndexCorruptError:
        return IndexCorruptError(
            f"the index {self.path.parent} was deleted or replaced while this process had it "
            f"open; restart it (citeqa serve) and ingest the documents again")

    def check_same_file(self) -> None:
        """Refuse to go on when the tables were deleted (or replaced) under this process: an
        open connection would go on reading the deleted file, and a new one would make an empty
        one."""
        if self._inode is None:
            return
        try:
            inode = os.stat(self.path).st_ino
        except OSError:
            inode = None
        if inode != self._inode:
            raise self._gone()

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self.check_same_file()
            return conn
        self.check_same_file()
        try:
            conn = connect(self.path)
        except sqlite3.OperationalError as exc:
            if self._inode is not None:
                raise self._gone() from None
            raise IndexCorruptError(f"cannot open {self.path} ({exc}); check the folder's "
                                    f"permissions") from None
        try:
            # WAL: readers (questions) go on while an ingest writes; a killed writer's
            # uncommitted transaction is rolled back on the next open
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
            _add_origin(conn)
        except (sqlite3.DatabaseError, IndexCorruptError) as exc:
            conn.close()
            if isinstance(exc, IndexCorruptError):
                raise
            raise damaged(self.path, exc) from None
        self._local.conn = conn
        if self._inode is None:
            self._inode = os.stat(self.path).st_ino
        return conn

    def documents(self) -> list[DocumentRecord]:
        """All documents, by source name."""
        rows = self.db.execute(f"SELECT {_RECORD} FROM documents ORDER BY source")
        return [DocumentRecord(*row) for row in rows]

    def document(self, source: str) -> DocumentRecord | None:
        """One document's record, or None."""
        row = self.db.execute(
            f"SELECT {_RECORD} FROM documents WHERE source = ?", (source,)
        ).fetchone()
        return DocumentRecord(*row) if row else None

    def text(self, source: str) -> str:
        """A document's extracted text."""
        row = self.db.execute("SELECT text FROM documents WHERE source = ?", (source,)).fetchone()
        return row[0] if row else ""

    def term_counts(self, source: str) -> Counter:
        """How often each term (index.textproc.terms) occurs in the document: counted at ingest
        (a document indexed before they were is counted now)."""
        row = self.db.execute("SELECT counts FROM terms WHERE source = ?", (source,)).fetchone()
        return Counter(json.loads(row[0])) if row else term_counts(self.text(source))

    def pages(self, source: str) -> list[int]:
        """Offsets where the document's pages start (empty if not paged)."""
        row = self.db.execute("SELECT pages FROM documents WHERE source = ?", (source,)).fetchone()
        return json.loads(row[0]) if row else []

    def sentence_ends_after(self, source: str, offset: int, limit: int = 4) -> list[int]:
        """End offsets of up to ``limit`` sentences that start at or after ``offset``."""
        rows = self.db.execute(
            "SELECT sentences FROM chunks WHERE source = ? AND end > ? ORDER BY ordinal LIMIT 2",
            (source, offset),
        )
        ends = sorted({b for (spans,) in rows for a, b in json.loads(spans) if a >= offset})
        return ends[:limit]

    def span(self, source: str, start: int, end: int) -> str:
        """The document's text at [start, end)."""
        row = self.db.execute("SELECT substr(text, ? + 1, ? - ?) FROM documents WHERE source = ?",
                              (start, end, start, source)).fetchone()
        return row[0] if row else ""

    def chunk_ids_at(self, source: str, start: int, end: int) -> list[str]:
        """Ids of a document's chunks that overlap [start, end), in document order."""
        rows = self.db.execute("SELECT id FROM chunks WHERE source = ? AND start < ? AND end > ? "
                               "ORDER BY start", (source, end, start))
        return [row[0] for row in rows]

    def chunk_ids(self, source: str) -> list[str]:
        """Ids of a document's chunks."""
        rows = self.db.execute("SELECT id FROM chunks WHERE source = ?", (source,))
        return [row[0] for row in rows]

    def put(self, record: DocumentRecord, text: str, pages: list[int], chunks: list[dict]) -> None:
        """Replace a document and its chunks in one transaction."""
        with self.db:
            self.db.execute("DELETE FROM chunks WHERE source = ?", (record.source,))
            self.db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (c["id"], record.source, c["ordinal"], c["start"], c["end"],
                     json.dumps(c["sentences"]), c.get("vectors"))
                    for c in chunks
                ],
            )
            self.db.execute("INSERT OR REPLACE INTO terms VALUES (?, ?)",
                            (record.source, json.dumps(term_counts(text))))
            self.db.execute(
                "INSERT OR REPLACE INTO documents (source, root, sha256, text, pages, chunks, "
                "origin) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.source, record.root, record.sha256, text, json.dumps(pages), record.chunks,
                 record.origin),
            )
            self.db.execute(_BUMP)

    def set_origin(self, source: str, origin: str, root: str) -> None:
        """Record where a document's file now lives (it moved, or another copy was ingested)."""
        with self.db:
            self.db.execute("UPDATE documents SET origin = ?, root = ? WHERE source = ?",
                            (origin, root, source))

    def delete(self, source: str) -> None:
        """Remove a document and its chunks."""
        with self.db:
            self.db.execute("DELETE FROM chunks WHERE source = ?", (source,))
            self.db.execute("DELETE FROM documents WHERE source = ?", (source,))
            self.db.execute("DELETE FROM terms WHERE source = ?", (source,))
            self.db.execute(_BUMP)

    def _meta(self, key: str) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def generation(self) -> int:
        """A counter bumped by every change to the tables (0 for a new or older index)."""
        return self._meta("generation")

    def writer(self) -> int:
        """The pid of the writer that started and has not finished (0 when none)."""
        return self._meta("writing")

    def set_writer(self, pid: int) -> None:
        """Mark a write as started (the pid) or finished (0)."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('writing', ?)", (pid,))

    def vector_ids(self, source: str) -> list[str]:
        """The vector ids of one document's sentences."""
        rows = self.db.execute("SELECT id, sentences FROM chunks WHERE source = ?", (source,))
        return [f"{cid}:{n}" for cid, spans in rows for n in range(len(json.loads(spans)))]

    def all_vectors(self):
        """Yield (chunk id, source, sentence vectors or None) of every chunk."""
        rows = self.db.execute("SELECT id, source, sentences, vectors FROM chunks ORDER BY rowid")
        for cid, source, spans, blob in rows:
            n = len(json.loads(spans))
            yield cid, source, (None if blob is None else
                                np.frombuffer(blob, dtype=np.float16).reshape(n, -1))

    def vector_count(self) -> int:
        """How many sentence vectors the vector store should hold."""
        row = self.db.execute("SELECT COALESCE(SUM(json_array_length(sentences)), 0) FROM chunks")
        return int(row.fetchone()[0])

    def expected_vector_ids(self):
        """Yield (source, vector id) for every sentence of every chunk: what Chroma should hold."""
        rows = self.db.execute("SELECT id, source, sentences FROM chunks")
        for cid, source, sentences in rows:
            for n in range(len(json.loads(sentences))):
                yield source, f"{cid}:{n}"

    def chunks(self, ids: list[str]) -> list[StoredChunk]:
        """Chunks by id, in the order given (unknown ids are left out)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT c.id, c.source, c.ordinal, c.start, c.end, c.sentences, c.vectors, "
            f"substr(d.text, c.start + 1, c.end - c.start) "
            f"FROM chunks c JOIN documents d ON d.source = c.source WHERE c.id IN ({marks})",
            ids,
        ).fetchall()
        found = {}
        for cid, source, ordinal, start, end, sentences, blob, text in rows:
            spans = [tuple(s) for s in json.loads(sentences)]
            vectors = None
            if blob is not None:
                vectors = np.frombuffer(blob, dtype=np.float16).reshape(len(spans), -1)
            found[cid] = StoredChunk(cid, source, ordinal, start, end, text, spans, vectors)
        return [found[i] for i in ids if i in found]

    def sources_of(self, ids: list[str]) -> dict[str, str]:
        """The source of each chunk id (unknown ids are left out)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return dict(self.db.execute(f"SELECT id, source FROM chunks WHERE id IN ({marks})", ids))

    def all_chunk_texts(self):
        """Yield (id, text) of every chunk, in a stable order (for the keyword index)."""
        rows = self.db.execute(
            "SELECT c.id, substr(d.text, c.start + 1, c.end - c.start) "
            "FROM chunks c JOIN documents d ON d.source = c.source ORDER BY c.source, c.ordinal"
        )
        yield from rows

    def count_chunks(self) -> int:
        """Number of chunks stored."""
        return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
