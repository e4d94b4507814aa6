"""Run a suite against any system that can ingest(paths) and ask(question); score and report."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from evals.compare import check_gates, compare, format_metric, load_run, print_comparison
from evals.metrics import calibration, confidence_pairs, contains, percentile, token_f1
from evals.report import write_report
from evals.suite_files import Case, Suite, SuiteFormatError, read_suite, select_cases


class System(Protocol):
    """What the runner needs: ``ask`` returns an object with ``to_dict()`` in the
    ``ask --json`` shape; ``folder`` is where a suite's own documents are written."""

    folder: Path

    def ingest(self, paths: list[str]) -> Any: ...

    def ask(self, question: str, top_k: int | None = None,
            history: list | None = None) -> Any: ...


def source_ranks(turn, citations: list[dict]) -> dict:
    """Gold-source metrics over the cited passages: at rank 1, recall@k (k = citations given), MRR."""
    sources = [c.get("source") for c in citations]
    rank = sources.index(turn.source) + 1 if turn.source in sources else 0
    return {"source_at_1": rank == 1, "source_recall_at_k": rank > 0,
            "source_mrr": round(1 / rank, 4) if rank else 0.0}


def score_turn(turn, result: dict, latency_ms: float) -> dict:
    """Per-turn metrics from an ``ask --json`` object."""
    citations = result.get("citations", [])
    row = {"question": turn.question, "expected": turn.answers, "answerable": turn.answerable,
           "answer": result.get("answer", ""), "abstained": bool(result.get("abstained")),
           "citations": citations, "latency_ms": round(latency_ms, 2)}
    if result.get("confidence") is not None:
        row["confidence"] = result["confidence"]
    if result.get("mode"):  # LLM mode: how the answer was made and what its checks found
        row.update(llm_checks(result))
    if result.get("warnings"):
        row["warnings"] = result["warnings"]
    if turn.source:
        row["source"] = turn.source
    if turn.answerable:
        row["answer_contains"] = contains(row["answer"], turn.answers)
        row["f1"] = round(token_f1(row["answer"], turn.answers), 4)
        row["first_citation_contains"] = bool(citations) and contains(citations[0]["text"],
                                                                      turn.answers)
        row["any_citation_contains"] = any(contains(c["text"], turn.answers) for c in citations)
        if turn.source:
            row.update(source_ranks(turn, citations))
        if turn.contexts:
            row["context_hit"] = any(contains(ctx, [c["text"]]) for c in citations
                                     for ctx in turn.contexts)
    hit = row.get("any_citation_contains") or row.get("context_hit")
    row["passed"] = row["abstained"] if not turn.answerable else bool(hit) and not row["abstained"]
    return row


MOVED = re.compile(r"moved (\d+) citations?")


def llm_checks(result: dict) -> dict:
    """An LLM-mode answer's mode, sentences, sentences marked unsupported and markers moved."""
    answer, warnings = result.get("answer", ""), result.get("warnings", [])
    row = {"mode": result["mode"],
           "fell_back": result["mode"] == "extractive"
           and any("extractive answer instead" in w for w in warnings)}
    if result["mode"] == "llm" and not result.get("abstained"):
        from index.sentences import split_sentences

        spans = split_sentences(answer)
        row["sentences"] = len(spans)
        row["unsupported"] = sum("[?]" in answer[a:b] for a, b in spans)
        row["moved"] = sum(int(m.group(1)) for w in warnings for m in MOVED.finditer(w))
    return row


def _mean(rows: list[dict], key: str) -> float | None:
    values = [float(r[key]) for r in rows if key in r]
    return round(sum(values) / len(values), 4) if values else None


def ece_of(rows: list[dict]) -> float | None:
    """The expected calibration error of the answered questions' confidence (None without)."""
    pairs = confidence_pairs(rows)
    return calibration(pairs)[0] if len(pairs) >= 20 else None


def summarize(rows: list[dict]) -> dict:
    """Suite-level metrics (means over the turns each applies to)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    cited = [len(c["text"]) for r in rows for c in r["citations"]]
    latencies = [r["latency_ms"] for r in rows]
    summary = {
        "turns": len(rows),
        "passed": _mean(rows, "passed"),
        "answer_contains": _mean(answerable, "answer_contains"),
        "f1": _mean(answerable, "f1"),
        "first_citation_contains": _mean(answerable, "first_citation_contains"),
        "any_citation_contains": _mean(answerable, "any_citation_contains"),
        "source_at_1": _mean(answerable, "source_at_1"),
        "source_recall_at_k": _mean(answerable, "source_recall_at_k"),
        "source_mrr": _mean(answerable, "source_mrr"),
        "context_hit": _mean(answerable, "context_hit"),
        "false_abstention": _mean(answerable, "abstained"),
        "abstention": _mean(unanswerable, "abstained"),
        "citation_chars": round(sum(cited) / len(cited), 1) if cited else None,
        "ece": ece_of(rows),
        "errors": sum(1 for r in rows if "error" in r) or None,
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p95_ms": round(percentile(latencies, 95), 1),
    }
    llm = [r for r in rows if "mode" in r]
    if llm:  # LLM mode
        generated = [r for r in llm if "sentences" in r]
        sentences = sum(r["sentences"] for r in generated)
        first = [r["first_token_ms"] for r in rows if "first_token_ms" in r]
        summary.update({
            "generated": round(len(generated) / len(llm), 4),
            "fell_back": _mean(llm, "fell_back"),
            "unsupported_sentences": round(sum(r["unsupported"] for r in generated) / sentences, 4)
            if sentences else None,
            "markers_moved": sum(r["moved"] for r in generated),
            "first_token_p50_ms": round(percentile(first, 50), 1) if first else None,
            "citations_exact": _mean(llm, "citations_exact"),
        })
    return {k: v for k, v in summary.items() if v is not None}


def ingest_suite_documents(system: System, suite: Suite, folder: Path, progress: bool = True) -> None:
    """Write a suite's own documents (SQuAD contexts) to ``folder`` and ingest them (with a
    progress bar when the system's ``ingest`` takes a ``progress(done, total, what)`` callback)."""
    import inspect

    from evals.progress import progress_bar

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in suite.documents.items():
        target = folder / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    if "progress" not in inspect.signature(system.ingest).parameters:
        system.ingest([str(folder)])
        return
    bar = progress_bar(total=0, desc="index", unit="file", show=progress, leave=False)

    def update(done: int, total: int, what: str) -> None:
        bar.unit = "sentence" if what.startswith("embedding") else "file"  # the two phases
        bar.total, bar.n = total, done
        bar.refresh()

    try:
        system.ingest([str(folder)], progress=update)
    finally:
        bar.close()


def ask_streaming(system, question: str, top_k: int | None = None, history: list | None = None
                  ) -> tuple[Any, float | None]:
    """The answer, and when (perf_counter) its first generated text arrived: None unless the
    system streams (``ask_stream``) and this answer did (LLM mode)."""
    kwargs = {"top_k": top_k, **({"history": history} if history else {})}
    stream = getattr(system, "ask_stream", None)
    if stream is None:
        return system.ask(question, **kwargs), None
    first = None
    for item in stream(question, **kwargs):
        if isinstance(item, str):
            first = first or time.perf_counter()
        else:
            return item, first
    raise RuntimeError("ask_stream ended without an answer")


def failed_turn(turn, reason: str) -> dict:
    """The row of a turn that could not be asked: a failed case with its reason."""
    row = {"question": turn.question, "expected": turn.answers, "answerable": turn.answerable,
           "answer": "", "abstained": False, "citations": [], "latency_ms": 0.0,
           "error": reason, "passed": False}
    if turn.answerable:
        row.update(answer_contains=False, f1=0.0, first_citation_contains=False,
                   any_citation_contains=False)
    return row


def evaluate(system: System, cases: list[Case], top_k: int | None = None,
             progress: bool = True) -> list[dict]:
    """Ask every turn of every case; one result row per case (its last turn's metrics).
    One untimed question first warms the system up (lazy model and index loading). A turn
    the system refuses to ask (a CiteqaError: an empty or overlong question …) fails its case
    with the reason, said on stderr with the case's id and place; the run goes on."""
    from tqdm import tqdm

    from evals.progress import progress_bar
    from index.errors import CiteqaError

    for case in cases[:1]:
        try:
            system.ask(case.turns[0].question, top_k=top_k)
        except CiteqaError:
            pass  # asked again below, where its failure is recorded
    rows = []
    for case in progress_bar(cases, desc="eval", unit="case", show=progress):
        turn_rows, history = [], []
        for turn in case.turns:
            started = time.perf_counter()
            try:
                answer, first = ask_streaming(system, turn.question, top_k, history)
            except CiteqaError as exc:
                reason = " ".join(str(exc).split())
                tqdm.write(f"citeqa: case {case.id} ({case.where or 'no place'}) could not be "
                           f"asked: {reason}", file=sys.stderr)
                turn_rows.append(failed_turn(turn, reason))
                break
            result = answer.to_dict()
            turn_rows.append(score_turn(turn, result, (time.perf_counter() - started) * 1000))
            view = getattr(system, "view", None)
            if view is not None and result.get("citations"):  # each quotes its document exactly
                turn_rows[-1]["citations_exact"] = all(
                    view.span(c["source"], c["start"], c["end"]) == c["text"]
                    for c in result["citations"])
            if first is not None:
                turn_rows[-1]["first_token_ms"] = round((first - started) * 1000, 1)
            history.append({"question": turn.question,
                            "sources": [c["source"] for c in result.get("citations", [])]})
        row = {"id": case.id, **turn_rows[-1]}
        if len(turn_rows) > 1:
            row["turns"] = turn_rows
        rows.append(row)
    return rows


def check_writable(path: Path, option: str) -> None:
    """Refuse, before the first case, an output path that cannot be written (a folder, an
    unwritable place); a missing parent folder is made."""
    from index.errors import CiteqaError

    if path.is_dir():
        raise CiteqaError(f"{option} {path}: that is a folder; give a file name, e.g. "
                          f"{path / ('results.json' if option == '--out' else 'report.html')}")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a"):
            pass
    except OSError as exc:
        raise CiteqaError(f"{option} {path}: cannot be written ({exc.strerror or exc}); choose "
                          f"another path") from None
    if not existed:
        path.unlink()


def print_summary(name: str, summary: dict) -> None:
    """A two-column table on stdout."""
    print(f"suite {name}")
    for key, value in summary.items():
        print(f"  {key:<26} {format_metric(key, value)}")


def run_suite(system, suite_path: str, docs: list[str] | None = None, out: str | None = None,
              limit: int | None = None, top_k: int | None = None, report: str | None = None,
              compare_with: str | None = None, gates: list | None = None,
              sample: int | None = None, progress: bool = True, judge=None) -> int:
    """The ``citeqa eval`` command: returns the exit status (1 when a gate fails). ``judge``, a
    llama-index LLM, adds the LLM-judged faithfulness and relevancy (see evals/judge.py)."""
    from index.errors import CiteqaError

    try:
        suite = read_suite(suite_path)
        old = load_run(compare_with) if compare_with else None
    except SuiteFormatError as exc:
        raise CiteqaError(str(exc)) from None
    for path, option in ((out, "--out"), (report, "--report")):
        if path:
            check_writable(Path(path), option)
    if docs:
        system.ingest(docs)
    elif suite.documents:
        folder = Path(system.folder) / "suite-docs" / suite.name
        print(f"indexing the suite's {len(suite.documents)} documents from {folder} "
              "(unchanged ones are skipped)", file=sys.stderr)
        ingest_suite_documents(system, suite, folder, progress)
    rows = evaluate(system, select_cases(suite.cases, limit, sample), top_k=top_k,
                    progress=progress)
    summary = summarize(rows)
    if judge is not None:
        from evals.judge import judge_rows

        summary.update(judge_rows(rows, judge, progress))
    print_summary(suite.name, summary)
    comparison = compare(old, {"summary": summary, "cases": rows}) if old else None
    if comparison:
        print_comparison(comparison, str(compare_with))
    failures = check_gates(summary, gates or [])
    if out:
        Path(out).write_text(json.dumps({"summary": summary, "cases": rows}, indent=1,
                                        ensure_ascii=False))
    if report:
        write_report(report, suite.name, summary, rows, comparison=comparison,
                     old_name=str(compare_with or ""), gate_failures=failures)
        print(f"report: {report}")
    if failures:
        print(f"citeqa: eval gate failed: {'; '.join(failures)}", file=sys.stderr)
        return 1
    return 0
