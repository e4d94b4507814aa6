"""Run a suite against any system that can ingest(paths) and ask(question); score and report."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from evals.metrics import contains, percentile, token_f1
from evals.suites import Case, Suite, SuiteFormatError, read_suite


class System(Protocol):
    """What the runner needs: ``ask`` returns an object with ``to_dict()`` in the
    ``ask --json`` shape."""

    def ingest(self, paths: list[str]) -> Any: ...

    def ask(self, question: str, top_k: int | None = None) -> Any: ...


def score_turn(turn, result: dict, latency_ms: float) -> dict:
    """Per-turn metrics from an ``ask --json`` object."""
    citations = result.get("citations", [])
    row = {"question": turn.question, "expected": turn.answers, "answerable": turn.answerable,
           "answer": result.get("answer", ""), "abstained": bool(result.get("abstained")),
           "citations": citations, "latency_ms": round(latency_ms, 2)}
    if turn.answerable:
        row["answer_contains"] = contains(row["answer"], turn.answers)
        row["f1"] = round(token_f1(row["answer"], turn.answers), 4)
        row["first_citation_contains"] = bool(citations) and contains(citations[0]["text"],
                                                                      turn.answers)
        row["any_citation_contains"] = any(contains(c["text"], turn.answers) for c in citations)
        if turn.source:
            row["source_at_1"] = bool(citations) and citations[0]["source"] == turn.source
    row["passed"] = (row["abstained"] if not turn.answerable
                     else row["any_citation_contains"] and not row["abstained"])
    return row


def _mean(rows: list[dict], key: str) -> float | None:
    values = [float(r[key]) for r in rows if key in r]
    return round(sum(values) / len(values), 4) if values else None


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
        "false_abstention": _mean(answerable, "abstained"),
        "abstention": _mean(unanswerable, "abstained"),
        "citation_chars": round(sum(cited) / len(cited), 1) if cited else None,
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p95_ms": round(percentile(latencies, 95), 1),
    }
    return {k: v for k, v in summary.items() if v is not None}


def ingest_suite_documents(system: System, suite: Suite, folder: Path) -> None:
    """Write a suite's own documents (SQuAD contexts) to ``folder`` and ingest them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in suite.documents.items():
        target = folder / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    system.ingest([str(folder)])


def evaluate(system: System, cases: list[Case], top_k: int | None = None,
             progress: bool = True) -> list[dict]:
    """Ask every turn of every case; one result row per case (its last turn's metrics)."""
    from tqdm import tqdm

    rows = []
    for case in tqdm(cases, desc="eval", unit="case", disable=not progress, file=sys.stderr):
        turn_rows = []
        for turn in case.turns:
            started = time.perf_counter()
            result = system.ask(turn.question, top_k=top_k).to_dict()
            turn_rows.append(score_turn(turn, result, (time.perf_counter() - started) * 1000))
        row = {"id": case.id, **turn_rows[-1]}
        if len(turn_rows) > 1:
            row["turns"] = turn_rows
        rows.append(row)
    return rows


def print_summary(name: str, summary: dict) -> None:
    """A two-column table on stdout."""
    print(f"suite {name}")
    for key, value in summary.items():
        shown = f"{value:.1%}" if isinstance(value, float) and key not in (
            "citation_chars", "latency_p50_ms", "latency_p95_ms") else value
        print(f"  {key:<26} {shown}")


def run_suite(system, suite_path: str, docs: list[str] | None = None, out: str | None = None,
              limit: int | None = None, top_k: int | None = None) -> int:
    """The ``citeqa eval`` command: returns the exit status."""
    from index.errors import CiteqaError

    try:
        suite = read_suite(suite_path)
    except SuiteFormatError as exc:
        raise CiteqaError(str(exc)) from None
    if docs:
        system.ingest(docs)
    elif suite.documents:
        ingest_suite_documents(system, suite, system.index.folder / "suite-docs" / suite.name)
    cases = suite.cases[:limit] if limit else suite.cases
    rows = evaluate(system, cases, top_k=top_k)
    summary = summarize(rows)
    print_summary(suite.name, summary)
    if out:
        Path(out).write_text(json.dumps({"summary": summary, "cases": rows}, indent=1,
                                        ensure_ascii=False))
    return 0
