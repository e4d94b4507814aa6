"""Regression checks: metric deltas against an earlier run, and CI gates on summary metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from evals.suite_files import SuiteFormatError

# Metrics where a smaller value is better; every other summary metric is better when larger.
LOWER_IS_BETTER = {"false_abstention", "citation_chars", "latency_p50_ms", "latency_p95_ms",
                   "judge_errors", "fell_back", "unsupported_sentences", "markers_moved",
                   "first_token_p50_ms", "ece"}
# Metrics shown as plain numbers rather than percentages.
ABSOLUTE = {"turns", "citation_chars", "ece", "latency_p50_ms", "latency_p95_ms", "judged_cases",
            "judge_errors", "markers_moved", "first_token_p50_ms"}


def format_metric(key: str, value) -> str:
    """A metric as people read it: a percentage for rates, else the number."""
    if value is None:
        return "-"
    if key in ABSOLUTE or not isinstance(value, float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return f"{value:.1%}"


@dataclass
class Gate:
    """``metric`` must stay at or above (``under``) or at or below (not ``under``) ``value``."""

    metric: str
    value: float
    under: bool = True

    def failure(self, summary: dict) -> str | None:
        """A one-line reason when the summary fails this gate, else None."""
        if self.metric not in summary:
            return f"{self.metric} is not in this run's summary (have: {', '.join(summary)})"
        got = summary[self.metric]
        if (got < self.value) if self.under else (got > self.value):
            sign = "<" if self.under else ">"
            return (f"{self.metric} {format_metric(self.metric, got)} {sign} "
                    f"{format_metric(self.metric, float(self.value))}")
        return None


def parse_gate(text: str, under: bool = True) -> Gate:
    """Parse ``metric=value`` (``passed=0.9`` or ``passed=90%``) into a Gate."""
    metric, sep, raw = text.partition("=")
    metric, raw = metric.strip(), raw.strip()
    if not sep or not metric or not raw:
        raise ValueError(f"gate {text!r}: write metric=value, e.g. passed=0.9")
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValueError(f"gate {text!r}: {raw!r} is not a number") from None
    if under and metric in LOWER_IS_BETTER:
        raise ValueError(f"gate {text!r}: lower {metric} is better; use --fail-over {text}")
    return Gate(metric, value, under)


def check_gates(summary: dict, gates: list[Gate]) -> list[str]:
    """The failures (one line each) of ``gates`` on ``summary``."""
    return [f for f in (g.failure(summary) for g in gates) if f]


def load_run(path: str | Path) -> dict:
    """An earlier ``--out`` file: ``{"summary", "cases"}``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteFormatError(f"{path}: no such results file") from None
    except json.JSONDecodeError as exc:
        raise SuiteFormatError(f"{path.name}:{exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict) \
            or not isinstance(data.get("cases"), list):
        raise SuiteFormatError(f"{path.name}: not an eval results file (needs summary and cases)")
    return data


def compare(old: dict, new: dict) -> dict:
    """Metric deltas (new − old, with whether each got better) and the cases that regressed
    (passed before, fail now) or improved."""
    deltas = []
    for key, value in new["summary"].items():
        before = old["summary"].get(key)
        if isinstance(value, (int, float)) and isinstance(before, (int, float)) and key != "turns":
            delta = value - before
            better = delta < 0 if key in LOWER_IS_BETTER else delta > 0
            worse = delta > 0 if key in LOWER_IS_BETTER else delta < 0
            deltas.append({"metric": key, "old": before, "new": value, "delta": round(delta, 4),
                           "change": "better" if better else "worse" if worse else "same"})
    old_cases = {c.get("id"): c for c in old["cases"]}
    regressed, improved = [], []
    for case in new["cases"]:
        before = old_cases.get(case.get("id"))
        if before is None or "passed" not in before:
            continue
        entry = {"id": case["id"], "question": case.get("question", ""),
                 "old_answer": before.get("answer", ""), "answer": case.get("answer", "")}
        if before["passed"] and not case.get("passed"):
            regressed.append(entry)
        elif not before["passed"] and case.get("passed"):
            improved.append(entry)
    return {"deltas": deltas, "regressed": regressed, "improved": improved}


def print_comparison(result: dict, old_name: str) -> None:
    """Deltas and regressed cases as text on stdout."""
    print(f"compared with {old_name}")
    for d in result["deltas"]:
        mark = {"better": "+", "worse": "-", "same": " "}[d["change"]]
        delta = (f"{d['delta']:+.1%}" if d["metric"] not in ABSOLUTE else f"{d['delta']:+g}")
        print(f"  {mark} {d['metric']:<24} {format_metric(d['metric'], d['old']):>8} -> "
              f"{format_metric(d['metric'], d['new']):>8}  ({delta})")
    print(f"  {len(result['regressed'])} regressed, {len(result['improved'])} improved")
    for case in result["regressed"][:20]:
        print(f"  regressed {case['id']}: {case['question'][:80]}")
    if len(result["regressed"]) > 20:
        print(f"  … and {len(result['regressed']) - 20} more (see the report)")
