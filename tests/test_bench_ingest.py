"""The same-run ingest benchmark: citeqa and the llama-index starter peer, whole processes."""

import json
import subprocess
import sys

from tests.conftest import ROOT, SAMPLE_DIR


def test_bench_ingest_times_citeqa_and_the_peer(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "evals.bench.ingest", str(SAMPLE_DIR),
                           "--systems", "peer,onnx", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-800:]
    result = json.loads(out.read_text())
    for system in ("peer", "onnx"):
        best = result["best"][system]
        assert best["wall_s"] > 0 and best["cpu_s"] > 0 and best["peak_rss_mb"] > 50, best
    assert "wall ratio" in done.stdout and "onnx" in done.stdout


def test_the_peer_answers_from_its_own_index(tmp_path):
    from evals.bench.peer import StarterPipeline

    peer = StarterPipeline(str(tmp_path / "peer"))
    assert peer.ingest([str(SAMPLE_DIR)]).added == ["mexico-border-troops.txt"]
    assert peer.ingest([str(SAMPLE_DIR)]).added == []  # an index that holds vectors is kept
    answer = peer.ask("How many Mexican soldiers will be deployed?").to_dict()
    assert len(answer["citations"]) == min(5, peer.collection.count())  # top-k of 3 chunks
    assert any("10,000" in c["text"] for c in answer["citations"])
    assert all(c["source"] == "mexico-border-troops.txt" for c in answer["citations"])
