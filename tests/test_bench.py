"""citeqa bench on the sample article: real ingest, real model."""

import json
import subprocess
import sys

from tests.conftest import ROOT, SAMPLE_DIR


def test_bench_reports_throughput_latency_and_memory(tmp_path, capsys):
    from assistant.faces.cli import main

    out = tmp_path / "bench.json"
    assert main(["bench", str(SAMPLE_DIR), "--asks", "5", "--quiet", "--json", str(out),
                 "--questions", str(ROOT / "evals/suites/sample.jsonl")]) == 0
    result = json.loads(out.read_text())
    assert result["documents_indexed"] == 1 and result["chunks"] > 0 and result["asks"] == 5
    assert result["chunks_per_s"] > 0 and result["mb_per_s"] > 0
    assert 0 < result["ask_p50_ms"] <= result["ask_p95_ms"]
    assert result["streamed_asks"] == 0 and result["first_token_p50_ms"] is None  # extractive
    assert result["peak_rss_mb"] >= result["peak_rss_mb_after_ingest"] > 50
    assert "chunks_per_s" in capsys.readouterr().out


def test_bench_questions_from_corpus_text(tmp_path):
    from evals.bench.corpus import questions_from_text

    questions = questions_from_text([SAMPLE_DIR / "mexico-border-troops.txt"], 4)
    assert 1 <= len(questions) <= 4 and all(q.endswith("?") for q in questions)


def test_peak_memory_is_the_process_own_not_its_parents():
    # the parent holds ~400 MB when it starts the child; the child must not report that peak
    code = ("import subprocess, sys; big = bytearray(400 * 1024 * 1024); "
            "big[::4096] = b'x' * len(big[::4096]); "
            "print(subprocess.run([sys.executable, '-c', 'from evals.bench.corpus import peak_rss_mb; "
            "print(peak_rss_mb())'], capture_output=True, text=True, check=True).stdout)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert 5 < float(out) < 200
