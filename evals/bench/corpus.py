"""``citeqa bench``: ingest throughput, warm ask latency and peak memory of any system.

The system comes from a factory (``factory(index_folder) -> system`` with ``ingest`` and ``ask``),
so this module, like the runner, knows nothing of ``assistant/``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from evals.metrics import percentile
from evals.runner import ask_streaming
from evals.suite_files import SuiteFormatError, read_suite, select_cases

SUITE_SUFFIXES = {".jsonl", ".json", ".csv"}
TEXT_SUFFIXES = {".txt", ".md"}


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB. On Linux the kernel's VmHWM of this program's
    memory: ``getrusage`` keeps, across ``exec``, the peak of the process that forked it, so a
    child started by a big parent would report the parent's peak. Elsewhere ``getrusage`` (KiB on
    Linux, bytes on macOS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def corpus_files(paths: list[str]) -> list[Path]:
    """Every file under ``paths`` (files as given, folders walked), hidden ones skipped."""
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file():
            files.append(path)
        else:
            raise SuiteFormatError(f"{raw}: no such file or folder")
    return files


def questions_from_text(files: list[Path], count: int) -> list[str]:
    """Questions made from the corpus: the start of evenly spaced sentences of its text files."""
    sentences = []
    for path in files:
        if path.suffix.lower() in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 8]
    if not sentences:
        return ["What is this document about?", "Who is named?", "When did it happen?"]
    step = max(1, len(sentences) // count)
    return [f"What about {' '.join(s.split()[:10]).rstrip('.,;:')}?" for s in sentences[::step]][:count]


def _prepare(corpus: list[str], work: Path, questions: str | None, count: int):
    """The paths to ingest, their size in bytes, and the questions to time."""
    suite = None
    if len(corpus) == 1 and Path(corpus[0]).suffix in SUITE_SUFFIXES and Path(corpus[0]).is_file():
        suite = read_suite(corpus[0])
        if not suite.documents:
            raise SuiteFormatError(f"{corpus[0]}: this suite carries no documents; bench a folder "
                                   "and pass the suite with --questions")
        folder = work / "docs"
        folder.mkdir(parents=True)
        for name, text in suite.documents.items():
            (folder / name).write_text(text, encoding="utf-8")
        corpus = [str(folder)]
    files = corpus_files(corpus)
    if questions:
        suite = read_suite(questions)
    if suite:
        asked = [c.turns[0].question for c in select_cases(suite.cases, sample=count)]
    else:
        asked = questions_from_text(files, count)
    return corpus, files, asked


def run_bench(factory, corpus: list[str], index: str | None = None, questions: str | None = None,
              asks: int = 50, top_k: int | None = None, json_out: str | None = None,
              progress: bool = True) -> int:
    """Ingest ``corpus`` into a fresh index (a temporary one unless ``index`` is given), time
    warm questions, print a table and optionally write JSON; returns the exit status."""
    from index.errors import CiteqaError

    work = Path(tempfile.mkdtemp(prefix="citeqa-bench-"))
    try:
        try:
            paths, files, asked = _prepare(corpus, work, questions, asks)
        except SuiteFormatError as exc:
            raise CiteqaError(str(exc)) from None
        if not asked:
            raise CiteqaError("no questions to time: pass --questions SUITE")
        system = factory(index or str(work / "index"))
        started = time.perf_counter()
        report = system.ingest(paths)
        ingest_s = time.perf_counter() - started
        result = measure(system, files, report, ingest_s, asked, top_k, progress)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_bench(result)
    if not result["documents_indexed"]:
        print("citeqa: warning: nothing new was indexed (the index already held the corpus), so "
              "the ingest figures mean nothing; bench into a new --index folder", file=sys.stderr)
    if json_out:
        Path(json_out).write_text(json.dumps(result, indent=1))
    return 0


def measure(system, files: list[Path], report, ingest_s: float, asked: list[str],
            top_k: int | None, progress: bool) -> dict:
    """Throughput from the finished ingest, then one cold and ``len(asked)`` warm questions."""
    from evals.progress import progress_bar

    size = sum(p.stat().st_size for p in files)
    index = getattr(system, "index", None)
    chunks = sum(d.chunks for d in index.documents()) if hasattr(index, "documents") else None
    ingest_rss = peak_rss_mb()
    started = time.perf_counter()
    system.ask(asked[0], top_k=top_k)
    first_ms = (time.perf_counter() - started) * 1000
    latencies, first_pieces = [], []
    for question in progress_bar(asked, desc="bench", unit="ask", show=progress):
        started = time.perf_counter()
        _, first = ask_streaming(system, question, top_k)
        latencies.append((time.perf_counter() - started) * 1000)
        if first is not None:  # a generated answer streamed (LLM mode)
            first_pieces.append((first - started) * 1000)
    added = len(getattr(report, "added", []) or []) + len(getattr(report, "updated", []) or [])
    return {
        "files": len(files), "documents_indexed": added, "bytes": size, "chunks": chunks,
        "ingest_s": round(ingest_s, 2),
        "chunks_per_s": round(chunks / ingest_s, 1) if chunks and ingest_s else None,
        "mb_per_s": round(size / 1e6 / ingest_s, 3) if ingest_s else None,
        "first_ask_ms": round(first_ms, 1), "asks": len(latencies),
        "ask_p50_ms": round(percentile(latencies, 50), 1),
        "ask_p95_ms": round(percentile(latencies, 95), 1),
        "ask_mean_ms": round(sum(latencies) / len(latencies), 1) if latencies else None,
        "streamed_asks": len(first_pieces),  # answers that streamed (LLM mode)
        "first_token_p50_ms": round(percentile(first_pieces, 50), 1) if first_pieces else None,
        "first_token_p95_ms": round(percentile(first_pieces, 95), 1) if first_pieces else None,
        "peak_rss_mb_after_ingest": ingest_rss, "peak_rss_mb": peak_rss_mb(),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def print_bench(result: dict) -> None:
    """The results as a two-column table on stdout."""
    print("benchmark")
    for key, value in result.items():
        print(f"  {key:<26} {'-' if value is None else value}")
