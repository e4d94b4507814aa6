"""The BM25 keyword index (bm25s), saved beside the manifest and memory-mapped on load."""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from pathlib import Path

import numpy as np

from index.errors import IndexCorruptError
from index.hashing import crc32_file
from index.lock import crash_point
from index.textproc import terms

BUILT = "built.json"  # written last into a new BM25 folder: {"generation", "chunks", "crc32"}
DF = "df.json"  # each term's document frequency, counted at build time (for IDF)


class KeywordIndex:
    """BM25 over chunk texts; rebuilt once per ingest that changed something, never per query."""

    def __init__(self, folder: Path):
        self.folder = folder / "bm25"
        self._model = None
        self._ids: list[str] = []
        self._df: dict[str, int] = {}
        self._lock = threading.Lock()
        self._loaded = False
        self._sound: bool | None = None  # whether the saved files are whole (checked once)

    def build(self, items, generation: int = 0) -> None:
        """Index (id, text) pairs and save, recording the docstore ``generation`` they came from.

        The new index is written to a temporary folder and swapped in by renames, so a crash
        leaves the old index, or none (seen as out of step and rebuilt), never a half-written one.
        """
        import bm25s

        # bm25s sets its own logger to DEBUG: "Building index from tokens" reached the eval's
        # output whenever another library had given the root logger a handler
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        ids, tokens = [], []
        for cid, text in items:
            ids.append(cid)
            tokens.append(terms(text) or ["∅"])
        model = None
        tmp = self.folder.with_name(self.folder.name + ".tmp")
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        df: dict[str, int] = {}
        for doc in tokens:
            for term in set(doc):
                df[term] = df.get(term, 0) + 1
        if ids:
            model = bm25s.BM25()
            model.index(tokens, show_progress=False)
            model.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(ids))
        (tmp / DF).write_text(json.dumps(df))
        sums = {f.name: crc32_file(f) for f in sorted(tmp.iterdir())}  # each file, to find damage later
        (tmp / BUILT).write_text(json.dumps({"generation": generation, "chunks": len(ids),
                                             "crc32": sums}))
        crash_point("bm25-written")
        with self._lock:
            shutil.rmtree(old, ignore_errors=True)
            self._sound = True
            if self.folder.exists():
                os.rename(self.folder, old)  # open memory maps of the old files stay valid
            crash_point("bm25-swapped-out")
            os.rename(tmp, self.folder)
            shutil.rmtree(old, ignore_errors=True)
            self._model, self._ids, self._df, self._loaded = model, ids, df, True

    def generation(self) -> int | None:
        """The docstore generation the saved index was built from; None when there is none
        (or it was built before document frequencies were saved: then it is rebuilt)."""
        if not (self.folder / DF).exists():
            return None
        try:
            return int(json.loads((self.folder / BUILT).read_text())["generation"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def sound(self) -> bool:
        """Whether the saved index is whole: every file its build recorded still has the same
        checksum, and it loads (read once per process; a damaged one is rebuilt by repair)."""
        if self._sound is None:
            try:
                built = json.loads((self.folder / BUILT).read_text())
                sums = built.get("crc32") or {}
                self._sound = all(crc32_file(self.folder / name) == crc for name, crc in sums.items())
            except (OSError, ValueError, TypeError, AttributeError):
                self._sound = False
            if self._sound:
                try:
                    self._load()
                except IndexCorruptError:
                    self._sound = False
        return self._sound

    def _load(self) -> None:
        import bm25s

        with self._lock:
            if self._loaded:
                return
            ids_file = self.folder / "ids.json"
            if ids_file.exists():
                try:
                    self._ids = json.loads(ids_file.read_text())
                    self._df = json.loads((self.folder / DF).read_text())
                    self._model = bm25s.BM25.load(str(self.folder), mmap=True,
                                                  show_progress=False)
                except Exception as exc:  # noqa: BLE001 - numpy, json and bm25s raise their own
                    raise IndexCorruptError(
                        f"the keyword index {self.folder} is damaged ({type(exc).__name__}); "
                        f"run citeqa again: the next command rebuilds it"
                    ) from None
            self._loaded = True

    def idf(self, words: list[str]) -> dict[str, float]:
        """BM25 inverse document frequency of stemmed terms (unknown terms get the maximum)."""
        self._load()
        n = max(1, len(self._ids))
        top = float(np.log(1 + (n + 0.5) / 0.5))
        if self._model is None:
            return {w: top for w in words}
        return {w: float(np.log(1 + (n - (df := self._df.get(w, 0)) + 0.5) / (df + 0.5)))
                for w in words}

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The ``k`` best chunks for ``query`` as (id, BM25 score), best first."""
        self._load()
        if self._model is None:
            return []
        query_terms = [t for t in terms(query) if t in self._df]
        if not query_terms:
            return []
        scores = self._model.get_scores(query_terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]  # best first; ties in the order indexed
        return [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]
