"""citeqa bench on the sample article: real ingest, real model."""

import json

from tests.conftest import ROOT, SAMPLE_DIR


def test_bench_reports_throughput_latency_and_memory(tmp_path, capsys):
    from assistant.cli import main

    out = tmp_path / "bench.json"
    assert main(["bench", str(SAMPLE_DIR), "--asks", "5", "--quiet", "--json", str(out),
                 "--questions", str(ROOT / "evals/suites/sample.jsonl")]) == 0
    result = json.loads(out.read_text())
    assert result["documents_indexed"] == 1 and result["chunks"] > 0 and result["asks"] == 5
    assert result["chunks_per_s"] > 0 and result["mb_per_s"] > 0
    assert 0 < result["ask_p50_ms"] <= result["ask_p95_ms"]
    assert result["peak_rss_mb"] >= result["peak_rss_mb_after_ingest"] > 50
    assert "chunks_per_s" in capsys.readouterr().out


def test_bench_questions_from_corpus_text(tmp_path):
    from evals.bench import questions_from_text

    questions = questions_from_text([SAMPLE_DIR / "mexico-border-troops.txt"], 4)
    assert 1 <= len(questions) <= 4 and all(q.endswith("?") for q in questions)
