"""The HTML report, metric comparison and CI gates (pure functions, no model)."""

import pytest

from evals.compare import check_gates, compare, parse_gate
from evals.report import latency_histogram, render_report, source_hits


def _row(id_, passed, source="a.txt", latency=10.0, **extra):
    return {"id": id_, "question": f"q {id_}?", "expected": ["x"], "answerable": True,
            "answer": f"answer {id_}", "abstained": False, "passed": passed, "source": source,
            "citations": [{"id": 1, "source": source, "text": "The x is here.", "start": 0,
                           "end": 14, "highlight": [4, 5]}], "latency_ms": latency, **extra}


def test_report_is_self_contained_escaped_and_lists_failures_first():
    evil = _row("<script>", False, source="<b>bad</b>.txt")
    evil["answer"] = "<img src=x onerror=alert(1)>"
    rows = [_row("ok-1", True, latency=12), evil, _row("ok-2", True, latency=40)]
    html = render_report("s<1>", {"turns": 3, "passed": 0.6667, "latency_p50_ms": 12.0}, rows,
                         gate_failures=["passed 66.7% < 90.0%"])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;b&gt;bad&lt;/b&gt;.txt" in html
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.index("&lt;script&gt;") < html.index("ok-1")
    assert "<svg" in html and "<mark>x</mark>" in html and "gate failed" in html


def test_latency_histogram_counts_every_value():
    svg = latency_histogram([1.0, 2.0, 2.0, 100.0], bins=4)
    assert svg.count("<rect") == 4 and ": 3</title>" in svg and ": 1</title>" in svg
    assert "no latencies" in latency_histogram([])


def test_source_hits_worst_first():
    rows = [_row("1", True, "a.txt"), _row("2", False, "b.txt"), _row("3", True, "b.txt")]
    assert source_hits(rows) == [("b.txt", 2, 0.5), ("a.txt", 1, 1.0)]


def test_compare_reports_deltas_and_regressions():
    old = {"summary": {"turns": 2, "passed": 1.0, "latency_p50_ms": 20.0},
           "cases": [_row("1", True), _row("2", True)]}
    new = {"summary": {"turns": 2, "passed": 0.5, "latency_p50_ms": 10.0},
           "cases": [_row("1", True), _row("2", False)]}
    result = compare(old, new)
    changes = {d["metric"]: d["change"] for d in result["deltas"]}
    assert changes == {"passed": "worse", "latency_p50_ms": "better"}
    assert [c["id"] for c in result["regressed"]] == ["2"] and result["improved"] == []
    html = render_report("s", new["summary"], new["cases"], comparison=result, old_name="old.json")
    assert "Compared with old.json" in html and "1 regressed" in html


def test_gates():
    summary = {"passed": 0.9, "false_abstention": 0.05}
    assert check_gates(summary, [parse_gate("passed=0.9"), parse_gate("passed=85%")]) == []
    assert check_gates(summary, [parse_gate("passed=0.95")]) == ["passed 90.0% < 95.0%"]
    assert check_gates(summary, [parse_gate("false_abstention=0.01", under=False)]) == [
        "false_abstention 5.0% > 1.0%"]
    assert "not in this run" in check_gates(summary, [parse_gate("f1=0.5")])[0]
    for bad in ("passed", "=1", "passed=high", "false_abstention=0.1"):
        with pytest.raises(ValueError, match="gate"):
            parse_gate(bad)

