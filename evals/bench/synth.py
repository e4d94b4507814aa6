"""A deterministic synthetic corpus, and an index of any size built from it for scale measurements.

``python -m evals.bench.synth corpus OUT --chunks N``  writes text files (about N chunks once ingested)
``python -m evals.bench.synth scale INDEX --chunks N``  builds an index of N chunks with *generated*
    sentence vectors (clustered random unit vectors, not embeddings: embedding a million chunks
    takes hours on two cores), real texts, the real docstore, Chroma and BM25; then times warm
    questions through ``--system`` (by default the Assistant) and reports memory and disk.
``python -m evals.bench.synth ask INDEX``  times questions on an existing index in this fresh process
    (what ``scale`` runs after building, so that the memory reported is the asking process's alone)

Like the rest of ``evals/``, nothing here imports ``assistant/`` at module level.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

SENTENCES_PER_CHUNK = 7  # COVID-QA: 17,491 sentence vectors for 2,481 chunks
CHUNKS_PER_DOC = 100
TOPICS = 512
MARK = ".synthetic"  # left in a scale index, so that only such a folder is ever replaced


def _vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    syllables = [a + b for a in "bcdfghklmnprstvz" for b in ["a", "e", "i", "o", "u", "ai", "ou"]]
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
    return sorted(words)


class Synth:
    """Documents of sentences drawn from topic-skewed vocabularies; same seed, same corpus."""

    def __init__(self, seed: int = 6):
        self.rng = random.Random(seed)
        self.words = _vocabulary(self.rng)
        self.topics = [self.rng.sample(self.words, 300) for _ in range(TOPICS)]

    def sentence(self, topic: int, n: int) -> str:
        """One sentence about ``topic``, with a number so that 'how many' questions have answers."""
        rng, own = self.rng, self.topics[topic]
        words = [rng.choice(own) if rng.random() < 0.6 else rng.choice(self.words)
                 for _ in range(rng.randint(8, 24))]
        words.insert(rng.randint(1, len(words) - 1), f"{rng.randint(2, 99_999):,}")
        return f"{words[0].capitalize()} {' '.join(words[1:])} ({n})."

    def document(self, doc: int, chunks: int = CHUNKS_PER_DOC) -> tuple[str, list[tuple[int, int]]]:
        """A document's text and its sentence spans."""
        topic = doc % TOPICS
        parts, spans, at = [], [], 0
        for n in range(chunks * SENTENCES_PER_CHUNK):
            s = self.sentence(topic, n)
            parts.append(s)
            spans.append((at, at + len(s)))
            at += len(s) + 1
        return " ".join(parts), spans


def write_corpus(out: Path, chunks: int, seed: int = 6) -> int:
    """Write ``chunks / CHUNKS_PER_DOC`` text files into ``out``; returns the file count."""
    synth = Synth(seed)
    out.mkdir(parents=True, exist_ok=True)
    docs = max(1, chunks // CHUNKS_PER_DOC)
    for d in range(docs):
        text, _ = synth.document(d, min(CHUNKS_PER_DOC, chunks))
        (out / f"doc-{d:06d}.txt").write_text(text + "\n", encoding="utf-8")
    return docs


def build_index(folder: Path, chunks: int, dimension: int = 384, seed: int = 6,
                progress: bool = True) -> dict:
    """Fill an index folder with ``chunks`` chunks whose sentence vectors are generated; times each
    store. The manifest is the one the default embedder would write, so the Assistant opens it."""
    from index.docstore import DocumentRecord
    from index.ingest import chunk_id
    from index.store import Index

    index = Index(folder)
    index.wanted_manifest(dimension).write(index.folder)
    (folder / MARK).write_text("built by python -m evals.bench.synth scale; safe to delete\n")
    synth = Synth(seed)
    vec_rng = np.random.default_rng(seed)
    centers = vec_rng.standard_normal((TOPICS, dimension)).astype(np.float32)
    timings = {"texts_s": 0.0, "docstore_s": 0.0, "chroma_s": 0.0}
    docs = max(1, chunks // CHUNKS_PER_DOC)
    started = time.perf_counter()
    for d in range(docs):
        t = time.perf_counter()
        text, spans = synth.document(d, min(CHUNKS_PER_DOC, chunks))
        source = f"doc-{d:06d}.txt"
        sha = f"{d:064x}"
        noise = vec_rng.standard_normal((len(spans), dimension), dtype=np.float32)
        vectors = centers[d % TOPICS] * 0.5 + noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows, ids = [], []
        for c in range(len(spans) // SENTENCES_PER_CHUNK):
            own = spans[c * SENTENCES_PER_CHUNK:(c + 1) * SENTENCES_PER_CHUNK]
            cid = chunk_id(source, sha, c)
            block = vectors[c * SENTENCES_PER_CHUNK:(c + 1) * SENTENCES_PER_CHUNK]
            rows.append({"id": cid, "ordinal": c, "start": own[0][0], "end": own[-1][1],
                         "sentences": [list(x) for x in own],
                         "vectors": block.astype(np.float16).tobytes()})
            ids += [f"{cid}:{i}" for i in range(len(own))]
        timings["texts_s"] += time.perf_counter() - t
        t = time.perf_counter()
        index.vectors.upsert(ids, vectors, [source] * len(ids))
        timings["chroma_s"] += time.perf_counter() - t
        t = time.perf_counter()
        index.docstore.put(DocumentRecord(source, str(folder), sha, len(rows)), text, [], rows)
        timings["docstore_s"] += time.perf_counter() - t
        if progress and (d + 1) % max(1, docs // 20) == 0:
            print(f"  {d + 1}/{docs} documents, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    t = time.perf_counter()
    index.keyword.build(index.docstore.all_chunk_texts())
    timings["bm25_s"] = time.perf_counter() - t
    timings = {k: round(v, 1) for k, v in timings.items()}
    timings["total_s"] = round(time.perf_counter() - started, 1)
    timings["vectors"] = index.vectors.count()
    return timings


def folder_mb(folder: Path) -> float:
    """Disk use of a folder in MiB."""
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def load_factory(spec: str):
    """``module:attr.attr`` → the callable it names (the system under test, chosen by the caller,
    so that evals/ imports no system of its own)."""
    import importlib

    module, _, attrs = spec.partition(":")
    target = importlib.import_module(module)
    for name in attrs.split("."):
        target = getattr(target, name)
    return target


def time_asks(factory, folder: Path, count: int = 50, seed: int = 6) -> dict:
    """Open the index with ``factory(folder)`` in this process, ask once (cold), then time
    ``count`` warm questions (ms)."""
    from evals.bench.corpus import peak_rss_mb
    from evals.metrics import percentile

    synth = Synth(seed)
    rng = random.Random(seed + 1)
    questions = [f"How many {' '.join(rng.sample(synth.topics[rng.randrange(TOPICS)], 3))}?"
                 for _ in range(count + 1)]
    t = time.perf_counter()
    qa = factory(folder)
    opened = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    qa.ask(questions[0])
    first = (time.perf_counter() - t) * 1000
    latencies = []
    for q in questions[1:]:
        t = time.perf_counter()
        qa.ask(q)
        latencies.append((time.perf_counter() - t) * 1000)
    return {"open_ms": round(opened, 1), "first_ask_ms": round(first, 1),
            "ask_p50_ms": round(percentile(latencies, 50), 1),
            "ask_p95_ms": round(percentile(latencies, 95), 1), "peak_rss_mb": peak_rss_mb()}


def ask_in_child(folder: Path, system: str, count: int, seed: int) -> dict:
    """``time_asks`` in a fresh process: its first question is a cold one and its peak memory is
    that of a process serving the index, not of the one that built it."""
    import subprocess

    command = [sys.executable, "-m", "evals.bench.synth", "ask", str(folder), "--asks", str(count),
               "--system", system, "--seed", str(seed)]
    done = subprocess.run(command, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"evals.bench.synth ask failed ({done.returncode}): {last}")
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m evals.bench.synth")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("corpus", help="write a synthetic corpus of text files")
    c.add_argument("out", help="folder for the text files")
    c.add_argument("--chunks", type=int, default=10_000,
                   help="about how many chunks the files make once ingested (default: %(default)s)")
    s = sub.add_parser("scale", help="build an index of generated vectors and time questions")
    s.add_argument("index", help="folder for the index (an earlier scale index there is replaced; "
                                 "any other non-empty folder is refused)")
    s.add_argument("--chunks", type=int, default=10_000,
                   help="how many chunks, ~7 sentence vectors each (default: %(default)s)")
    s.add_argument("--json", help="write the numbers here")
    a = sub.add_parser("ask", help="time questions on an existing index in a fresh process")
    a.add_argument("index", help="an index folder (a scale index or a real one)")
    for p in (s, a):
        p.add_argument("--asks", type=int, default=50,
                       help="warm questions to time after the first (default: %(default)s)")
        p.add_argument("--system", default="assistant:Assistant.open",
                       help="module:callable opening the index to question (default: %(default)s)")
    for p in (c, s, a):
        p.add_argument("--seed", type=int, default=6,
                       help="the same seed gives the same texts and vectors (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "corpus":
        print(write_corpus(Path(args.out), args.chunks, args.seed), "files written")
        return 0
    if args.command == "ask":
        factory = load_factory(args.system)
        print(json.dumps(time_asks(factory, Path(args.index), args.asks, args.seed)))
        return 0
    folder = Path(args.index)
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARK).exists():
            print(f"error: {folder} is not empty and not an index built by evals.bench.synth scale; "
                  "choose another folder", file=sys.stderr)
            return 2
        shutil.rmtree(folder)
    result = {"chunks": args.chunks, "vectors_generated": True}
    result["build"] = build_index(folder, args.chunks, seed=args.seed)
    t = time.perf_counter()
    os.sync()  # else the questions are timed while gigabytes of the build are still being written
    result["build"]["flush_s"] = round(time.perf_counter() - t, 1)
    result["disk_mb"] = folder_mb(folder)
    from evals.bench.corpus import peak_rss_mb

    result["build_peak_rss_mb"] = peak_rss_mb()
    result["ask"] = ask_in_child(folder, args.system, args.asks, args.seed)
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
